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

  let focusedGhost = null; // the topic whose ghost had the focus before its row was redrawn

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
    if (focusedGhost) {
      const again = document.querySelector('#grid .ghost[data-topic="' + focusedGhost + '"] .ghost-apply');
      focusedGhost = null;
      if (again && lostFocus()) again.focus();
    }
  }

  function lostFocus() {
    const active = document.activeElement;
    return !active || active === document.body || !active.isConnected;
  }

  // A broadcast that redraws a row takes its ghosts with it: keep the one that had the focus.
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    const active = document.activeElement;
    const target = event.detail.target;
    if (active && active.matches(".ghost-apply") && target && target.contains(active)) {
      focusedGhost = active.closest(".ghost").dataset.topic;
    }
  });

  // After asking or applying, the focus goes on to what comes next, unless it went elsewhere
  // meanwhile: the preview's "Apply all" after a suggestion, the next ghost after one was
  // applied.
  const NEXT = {
    "suggest-form": ["#suggestion .suggestion-apply", "#suggestion .suggestion-discard"],
    "suggestion-form": ["#grid .ghost .ghost-apply", "#suggestion .suggestion-apply", "#suggest-form button"],
  };
  function first(selectors) {
    for (const selector of selectors) {
      const found = document.querySelector(selector);
      if (found) return found;
    }
    return null;
  }
  document.addEventListener("htmx:afterRequest", function (event) {
    // The form that asked, even if the answer replaced it (htmx then names its parent).
    const config = event.detail.requestConfig;
    const form = config && config.elt;
    if (!form || !NEXT[form.id]) return;
    window.requestAnimationFrame(function () {
      const next = first(NEXT[form.id]);
      if (next && (lostFocus() || form.contains(document.activeElement))) next.focus();
    });
  });

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
