// The facilitator's board: select a topic, then a cell (or drag it there).
// Cards and empty cells are buttons, so the mouse, the keyboard (Tab, Enter or Space,
// Escape) and drag and drop all work. Every action is posted to the server, which checks the
// agenda's rules; the board itself is redrawn by the fragments it broadcasts to every page,
// after which the focus goes back to the card that moved (see `focusAfter`).
(function () {
  "use strict";

  // The smallest title on the wall, in pixels at 1920 × 1080: still read from the back row.
  const TITLE_FLOOR_AT_1080P = 20;
  const FOCUS_WAIT_MS = 10000;

  let selected = null; // topic id
  let mode = "move"; // or "merge"
  let pendingFocus = null; // {find, until, last}: where the focus goes once the board is redrawn

  function shell() { return document.querySelector(".projector-shell"); }
  function text(name) { return shell().dataset["text" + name] || ""; }
  function card(id) { return id ? document.querySelector('.card[data-topic="' + id + '"]') : null; }
  function selectButton(id) {
    const el = card(id);
    return el ? el.querySelector(".card-select") : null;
  }
  function isPlaced(el) { return !!el && el.dataset.status === "placed"; }
  function where(el) { return el.dataset.code || text("ToTray"); }

  function say(message) {
    const box = document.getElementById("board-message");
    if (!box) return;
    box.replaceChildren();
    if (message) {
      const note = document.createElement("p");
      note.className = "board-note";
      note.textContent = message;
      box.append(note);
    }
  }

  // ---------- Focus: back to the card that moved, once its fragment has arrived ----------

  function focusAfter(find) {
    pendingFocus = { find: find, until: Date.now() + FOCUS_WAIT_MS, last: null };
  }

  // Each redraw replaces the focused button with a new one; follow it until the user acts.
  function restoreFocus() {
    if (!pendingFocus) return;
    if (Date.now() > pendingFocus.until) { pendingFocus = null; return; }
    if (document.querySelector("dialog[open]")) return;
    const el = pendingFocus.find();
    if (el && el !== pendingFocus.last && el !== document.activeElement) {
      pendingFocus.last = el;
      el.focus();
    }
  }
  document.addEventListener("pointerdown", function () { pendingFocus = null; });
  document.addEventListener("keydown", function () { pendingFocus = null; }, true);

  // The raised topic after this one in the tray (or before it, if it was the last).
  function nextRaised(id) {
    const cards = Array.from(document.querySelectorAll("#tray .card"));
    const index = cards.findIndex(function (el) { return el.dataset.topic === id; });
    const next = cards[index + 1] || cards[index - 1] || (index < 0 ? cards[0] : null);
    return next ? next.dataset.topic : null;
  }

  function firstButton() {
    return document.querySelector("#tray .card-select, #grid .card-select, #grid .cell-select");
  }

  // ---------- The whole title of a card that had to be cut ----------

  function fitTitle(el, floor) {
    const title = el.querySelector(".card-title");
    if (!title) return;
    title.style.fontSize = "";
    title.style.webkitLineClamp = "";
    title.style.maxHeight = "";
    el.classList.remove("is-clamped");
    let size = parseFloat(getComputedStyle(title).fontSize);
    const overflows = function () { return title.scrollHeight > title.clientHeight + 1; };
    while (overflows() && size > floor) {
      size = Math.max(floor, size * 0.92);
      title.style.fontSize = size + "px";
    }
    if (overflows()) {
      const line = parseFloat(getComputedStyle(title).lineHeight) || size * 1.2;
      const lines = Math.max(1, Math.floor(title.clientHeight / line));
      title.style.webkitLineClamp = String(lines);
      // Cut at a whole line: no sliver of the next one below the "…".
      title.style.maxHeight = lines * line + "px";
      el.classList.add("is-clamped");
    }
  }

  let fitting = 0;
  function fitTitles() {
    window.cancelAnimationFrame(fitting);
    fitting = window.requestAnimationFrame(fitAll);
  }
  function fitAll() {
    const floor = TITLE_FLOOR_AT_1080P * Math.min(window.innerWidth / 1920, window.innerHeight / 1080);
    document.querySelectorAll("#grid .cell > .card").forEach(function (el) { fitTitle(el, floor); });
  }

  function showCard(el) {
    const dialog = document.getElementById("card-dialog");
    if (!dialog || !el) return;
    dialog.querySelector(".card-dialog-code").textContent = el.dataset.code || "";
    dialog.querySelector(".card-dialog-title").textContent = el.dataset.title;
    const detail = dialog.querySelector(".card-dialog-detail");
    detail.replaceChildren();
    el.querySelectorAll(".card-merged, .card-people, .card-warning").forEach(function (part) {
      const copy = part.cloneNode(true);
      copy.querySelectorAll(".mine-badge").forEach(function (badge) { badge.remove(); });
      detail.append(copy);
    });
    open(dialog);
  }

  // Cancel (or Close) takes the focus, so that a second stray Enter changes nothing.
  function open(dialog) {
    dialog.returnValue = "";
    dialog.showModal();
    dialog.querySelector(".confirm-no").focus();
  }
  document.addEventListener("click", function (event) {
    const button = event.target.closest("dialog .confirm-actions button");
    if (button) button.closest("dialog").close(button.value);
  });

  // ---------- Asking first: an in-page question with the choice to cancel ----------

  function ask(question, details, yes) {
    const dialog = document.getElementById("confirm");
    dialog.querySelector(".confirm-question").textContent = question;
    const list = dialog.querySelector(".confirm-detail");
    list.replaceChildren();
    details.forEach(function (line) {
      const item = document.createElement("li");
      item.textContent = line;
      list.append(item);
    });
    dialog.querySelector(".confirm-yes").textContent = yes;
    return new Promise(function (resolve) {
      dialog.addEventListener("close", function () { resolve(dialog.returnValue === "yes"); }, { once: true });
      open(dialog);
    });
  }

  // ---------- Selection and actions ----------

  function enhance() {
    if (selected && !card(selected)) selected = null; // withdrawn or merged elsewhere
    document.querySelectorAll("#grid .card, #tray .card").forEach(function (el) {
      const on = el.dataset.topic === selected;
      el.setAttribute("draggable", "true");
      el.classList.toggle("is-selected", on);
      const button = el.querySelector(".card-select");
      if (button) button.setAttribute("aria-pressed", on ? "true" : "false");
    });
    const toolbar = document.querySelector("[data-toolbar]");
    if (toolbar) toolbar.hidden = !selected;
    // Only a placed topic can be pinned to its cell; the button says what it will do.
    const pin = document.querySelector('[data-board-command="pin"]');
    if (pin) {
      const el = card(selected);
      pin.hidden = !isPlaced(el);
      pin.textContent = el && el.dataset.pinned ? pin.dataset.textUnpin : pin.dataset.textPin;
    }
    const board = document.querySelector("[data-board]");
    if (board) board.classList.toggle("is-choosing", !!selected);
    fitTitles();
    restoreFocus();
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

  function post(values, focusTopic) {
    htmx.ajax("POST", shell().dataset.boardUrl, { source: shell(), values: values, swap: "none" });
    focusAfter(function () { return selectButton(focusTopic()) || firstButton(); });
    selected = null;
    mode = "move";
    enhance();
  }

  function toCell(cell) {
    const id = selected;
    const el = card(id);
    if (!el) return;
    if (isPlaced(el)) {
      post({ action: "move", topic: id, slot: cell.dataset.slot, room: cell.dataset.room }, function () { return id; });
      return;
    }
    // From the tray, the next raised topic is what the facilitator places next.
    const next = nextRaised(id);
    post({ action: "place", topic: id, slot: cell.dataset.slot, room: cell.dataset.room }, function () {
      return card(next) && next || id;
    });
  }

  function swap(id, otherId) {
    const el = card(id);
    const other = card(otherId);
    if (!el || !other) return;
    const lines = [
      "“" + el.dataset.title + "” → " + where(other),
      "“" + other.dataset.title + "” → " + where(el),
    ];
    ask(text("Swap"), lines, text("SwapYes")).then(function (yes) {
      if (yes) post({ action: "swap", topic: id, other: otherId }, function () { return id; });
      else select(null);
    });
  }

  function onTopic(targetCard) {
    const id = targetCard.dataset.topic;
    if (!selected) return select(id);
    if (selected === id) return select(null);
    if (mode === "merge") {
      return post({ action: "merge", topic: selected, other: id }, function () { return id; });
    }
    // Two waiting topics cannot swap places: choosing the other one selects it instead.
    if (!isPlaced(card(selected)) && !isPlaced(targetCard)) return select(id);
    swap(selected, id);
  }

  function onTray() {
    const id = selected;
    if (isPlaced(card(id))) post({ action: "unplace", topic: id }, function () { return id; });
    else select(null);
  }

  function withdraw() {
    const id = selected;
    const el = card(id);
    if (!el) return;
    const next = el.closest("#tray") ? nextRaised(id) : null;
    ask(text("Withdraw"), ["“" + el.dataset.title + "”"], text("WithdrawYes")).then(function (yes) {
      if (yes) post({ action: "withdraw", topic: id }, function () { return next; });
    });
  }

  function pin() {
    const id = selected;
    const el = card(id);
    if (!isPlaced(el)) return;
    post({ action: el.dataset.pinned ? "unpin" : "pin", topic: id }, function () { return id; });
  }

  function command(name) {
    if (name === "cancel") return select(null);
    if (!selected) return;
    if (name === "pin") return pin();
    if (name === "unplace") return onTray();
    if (name === "withdraw") return withdraw();
    if (name === "merge") {
      mode = "merge";
      say(document.querySelector('[data-board-command="merge"]').textContent);
    }
  }

  // A change of phase moves every phone in the room: ask first, with Cancel focused, so that
  // a stray Enter does nothing. Without JavaScript the form posts as it is.
  function changePhase(button) {
    if (button.classList.contains("is-current")) return;
    const form = button.form;
    ask(text("Phase"), [button.textContent.trim()], text("PhaseYes")).then(function (yes) {
      if (!yes) return;
      htmx.ajax("POST", form.getAttribute("hx-post"), {
        source: form, values: { phase: button.value }, swap: "none",
      });
      const value = button.value;
      focusAfter(function () { return document.querySelector('#phase-control [value="' + value + '"]'); });
    });
  }

  document.addEventListener("click", function (event) {
    const phase = event.target.closest("#phase-control .phase-step");
    if (phase) {
      event.preventDefault();
      return changePhase(phase);
    }
    const button = event.target.closest("[data-board-command]");
    if (button) return command(button.dataset.boardCommand);
    const more = event.target.closest(".card-more");
    if (more) return showCard(more.closest(".card"));
    if (!event.target.closest("#grid, #tray")) return;
    const pick = event.target.closest(".card-select");
    if (pick) return onTopic(pick.closest(".card"));
    const cell = event.target.closest("#grid .cell-select");
    if (cell && selected) return toCell(cell.closest(".cell"));
    if (event.target.closest("#tray") && !event.target.closest(".card") && selected) onTray();
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && selected && !document.querySelector("dialog[open]")) {
      event.preventDefault();
      select(null);
    }
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
  function clearDropTargets(except) {
    document.querySelectorAll(".is-drop-target").forEach(function (el) {
      if (el !== except) el.classList.remove("is-drop-target");
    });
  }
  document.addEventListener("dragover", function (event) {
    const target = dropTarget(event);
    if (!target || !selected) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    clearDropTargets(target);
    target.classList.add("is-drop-target");
  });
  document.addEventListener("dragleave", function (event) {
    const target = dropTarget(event);
    if (target && !target.contains(event.relatedTarget)) target.classList.remove("is-drop-target");
  });
  document.addEventListener("drop", function (event) {
    const target = dropTarget(event);
    clearDropTargets(null);
    if (!target) return;
    event.preventDefault();
    const id = event.dataTransfer.getData("text/plain");
    if (id) selected = id;
    // Dropped anywhere on the tray means "back to the tray", even onto a waiting topic.
    if (target.id === "tray") return onTray();
    const onto = target.querySelector(".card");
    if (onto) return onTopic(onto);
    toCell(target);
  });
  document.addEventListener("dragend", function () { clearDropTargets(null); });

  let resizing = 0;
  window.addEventListener("resize", function () {
    window.clearTimeout(resizing);
    resizing = window.setTimeout(fitAll, 150);
  });

  document.addEventListener("DOMContentLoaded", enhance);
  document.addEventListener("live:updated", enhance);
})();
