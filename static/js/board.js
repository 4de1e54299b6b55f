// The facilitator's board: select a topic, then a cell (or drag it there).
// Works with the mouse, by keyboard (Tab, Enter or Space, Escape) and by drag and drop.
// Every action is posted to the server, which checks the agenda's rules; the board itself
// is redrawn by the fragments the server broadcasts to every open page.
(function () {
  "use strict";

  let selected = null; // topic id
  let mode = "move"; // or "merge"

  function shell() { return document.querySelector(".projector-shell"); }
  function card(id) { return document.querySelector('.card[data-topic="' + id + '"]'); }
  function say(text) {
    const box = document.getElementById("board-message");
    if (box) { box.textContent = text; box.classList.remove("is-error"); }
  }

  function enhance() {
    document.querySelectorAll("#grid .card, #tray .card").forEach(function (el) {
      el.setAttribute("tabindex", "0");
      el.setAttribute("draggable", "true");
      el.setAttribute("role", "button");
      el.setAttribute("aria-pressed", el.dataset.topic === selected ? "true" : "false");
      el.classList.toggle("is-selected", el.dataset.topic === selected);
    });
    document.querySelectorAll("#grid .cell.is-empty").forEach(function (el) {
      el.setAttribute("tabindex", "0");
      el.setAttribute("role", "button");
      el.setAttribute("aria-label", el.dataset.code);
    });
    const tray = document.getElementById("tray");
    if (tray) tray.setAttribute("tabindex", "0");
    if (selected && !card(selected)) selected = null; // withdrawn or merged elsewhere
    const toolbar = document.querySelector("[data-toolbar]");
    if (toolbar) toolbar.hidden = !selected;
    const board = document.querySelector("[data-board]");
    if (board) board.classList.toggle("is-choosing", !!selected);
  }

  function select(id) {
    selected = id;
    mode = "move";
    enhance();
    if (id) {
      const el = card(id);
      say(el ? "“" + el.dataset.title + "”" : "");
    }
  }

  function post(values) {
    const url = shell().dataset.boardUrl;
    htmx.ajax("POST", url, { source: shell(), values: values, swap: "none" });
    selected = null;
    mode = "move";
    enhance();
  }

  function toCell(cell) {
    const el = card(selected);
    if (!el) return;
    const action = el.dataset.status === "placed" ? "move" : "place";
    post({ action: action, topic: selected, slot: cell.dataset.slot, room: cell.dataset.room });
  }

  function onTopic(targetCard) {
    const id = targetCard.dataset.topic;
    if (!selected) return select(id);
    if (selected === id) return select(null);
    if (mode === "merge") return post({ action: "merge", topic: selected, other: id });
    post({ action: "swap", topic: selected, other: id });
  }

  function onTray() {
    const el = card(selected);
    if (el && el.dataset.status === "placed") post({ action: "unplace", topic: selected });
    else select(null);
  }

  // Decide what a click, a key press or a drop on `target` means.
  function activate(target) {
    const targetCard = target.closest(".card");
    if (targetCard && targetCard.closest("#grid, #tray")) return onTopic(targetCard);
    const cell = target.closest("#grid .cell");
    if (cell && selected) return toCell(cell);
    if (target.closest("#tray") && selected) return onTray();
  }

  function command(name) {
    if (name === "cancel") return select(null);
    if (!selected) return;
    if (name === "unplace") return post({ action: "unplace", topic: selected });
    if (name === "withdraw") {
      if (window.confirm(shell().dataset.confirmWithdraw)) {
        post({ action: "withdraw", topic: selected });
      }
      return;
    }
    if (name === "merge") {
      mode = "merge";
      say(document.querySelector('[data-board-command="merge"]').textContent);
    }
  }

  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-board-command]");
    if (button) return command(button.dataset.boardCommand);
    if (event.target.closest("#grid, #tray")) activate(event.target);
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && selected) { event.preventDefault(); return select(null); }
    if (event.key !== "Enter" && event.key !== " ") return;
    if (!event.target.closest("#grid, #tray") || event.target.closest("button")) return;
    event.preventDefault();
    activate(event.target);
  });

  // Native drag and drop: the drop means the same as selecting the target.
  document.addEventListener("dragstart", function (event) {
    const el = event.target.closest && event.target.closest(".card");
    if (!el) return;
    select(el.dataset.topic);
    event.dataTransfer.setData("text/plain", el.dataset.topic);
    event.dataTransfer.effectAllowed = "move";
  });
  function dropTarget(event) {
    return event.target.closest && event.target.closest("#grid .cell, #tray");
  }
  document.addEventListener("dragover", function (event) {
    const target = dropTarget(event);
    if (!target || !selected) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    document.querySelectorAll(".is-drop-target").forEach(function (el) {
      if (el !== target) el.classList.remove("is-drop-target");
    });
    target.classList.add("is-drop-target");
  });
  document.addEventListener("dragleave", function (event) {
    const target = dropTarget(event);
    if (target && !target.contains(event.relatedTarget)) target.classList.remove("is-drop-target");
  });
  document.addEventListener("drop", function (event) {
    const target = dropTarget(event);
    document.querySelectorAll(".is-drop-target").forEach(function (el) {
      el.classList.remove("is-drop-target");
    });
    if (!target) return;
    event.preventDefault();
    const id = event.dataTransfer.getData("text/plain");
    if (id) selected = id;
    // Dropped anywhere on the tray means "back to the tray", even onto a waiting topic.
    if (target.id === "tray") return onTray();
    activate(event.target);
  });
  document.addEventListener("dragend", function () {
    document.querySelectorAll(".is-drop-target").forEach(function (el) {
      el.classList.remove("is-drop-target");
    });
  });

  document.addEventListener("DOMContentLoaded", enhance);
  document.addEventListener("live:updated", enhance);
})();
