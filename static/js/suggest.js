// The facilitator's preview of a suggested placement: ghost cards in their proposed cells.
// The preview (#suggestion) is the answer to this browser's own request and lives in this
// page alone; every broadcast may redraw the grid's rows, so the ghosts are painted again
// after each, keeping those already in place (and the focus on them).
(function () {
  "use strict";

  function wanted() {
    const ghosts = document.getElementById("suggestion-ghosts");
    return ghosts ? Array.from(ghosts.content.querySelectorAll(".ghost")) : [];
  }

  function paint() {
    const ghosts = wanted();
    const keys = new Set(ghosts.map(function (g) { return g.dataset.topic + "@" + g.dataset.cell; }));
    document.querySelectorAll("#grid .ghost").forEach(function (el) {
      if (!keys.has(el.dataset.topic + "@" + el.dataset.cell)) {
        el.closest(".cell").classList.remove("has-ghost");
        el.remove();
      }
    });
    const moving = new Map();
    ghosts.forEach(function (ghost) {
      moving.set(ghost.dataset.topic, ghost.dataset.cell);
      const cell = document.getElementById("cell-" + ghost.dataset.cell);
      if (!cell || cell.querySelector('.ghost[data-topic="' + ghost.dataset.topic + '"]')) return;
      const copy = ghost.cloneNode(true);
      cell.append(copy);
      cell.classList.add("has-ghost");
      htmx.process(copy);
    });
    // The cards the suggestion takes away from where they are now, and where to.
    document.querySelectorAll("#grid .card, #tray .card").forEach(function (el) {
      const to = moving.get(el.dataset.topic);
      el.classList.toggle("is-leaving", !!to);
      if (to) el.dataset.suggested = "→ " + to;
      else delete el.dataset.suggested;
    });
    const board = document.querySelector("[data-board]");
    if (board) board.classList.toggle("is-previewing", ghosts.length > 0);
  }

  function discard() {
    const panel = document.getElementById("suggestion");
    if (!panel) return;
    panel.replaceChildren();
    panel.removeAttribute("aria-labelledby");
    panel.hidden = true;
    // As after any redraw: the ghosts go, and the titles they squeezed fit their cells again.
    document.dispatchEvent(new CustomEvent("live:updated"));
    const ask = document.querySelector("#suggest-form button");
    if (ask) ask.focus();
  }

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-suggestion-discard]")) discard();
  });
  document.addEventListener("DOMContentLoaded", paint);
  document.addEventListener("live:updated", paint);
})();
