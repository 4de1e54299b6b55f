// Shared by the projector and the phones: connection state, personal marks, the clock.
// The server sends the same fragments to everyone; what is personal is added here.
(function () {
  "use strict";

  let online = false;
  let everOnline = false;
  let lastSocket = null; // the socket to revive when the phone is back

  function me() {
    const el = document.getElementById("me");
    if (!el) return null;
    return {
      id: el.dataset.me,
      interests: new Set((el.dataset.interests || "").split(" ").filter(Boolean)),
    };
  }

  function markPersonal() {
    const who = me();
    if (!who) return;
    document.querySelectorAll(".card[data-topic]").forEach(function (card) {
      const people = (card.dataset.people || "").split(" ");
      card.classList.toggle("is-mine", people.indexOf(who.id) >= 0);
      const interested = who.interests.has(card.dataset.topic);
      card.classList.toggle("is-interested", interested);
      const toggle = card.querySelector(".interest-toggle");
      if (toggle) toggle.setAttribute("aria-pressed", interested ? "true" : "false");
    });
  }

  function minutes(text) {
    const parts = (text || "").split(":");
    return parseInt(parts[0], 10) * 60 + parseInt(parts[1], 10);
  }

  // During discussions the row of the slot under way is highlighted by the local clock.
  function markCurrentSlot() {
    const stage = document.querySelector("#stage [data-phase]");
    const discussing = stage && stage.dataset.phase === "discussions";
    const now = new Date();
    const current = now.getHours() * 60 + now.getMinutes();
    document.querySelectorAll(".slot-row").forEach(function (row) {
      const on =
        discussing &&
        current >= minutes(row.dataset.starts) &&
        current < minutes(row.dataset.ends);
      row.classList.toggle("is-now", on);
    });
  }

  // Said to screen readers on phones, which have a status region for it; only changes are
  // said, not the first connect.
  function announceConnection(isOnline) {
    const status = document.getElementById("phone-status");
    if (!status || isOnline === online) return;
    if (isOnline && !everOnline) return;
    status.textContent = isOnline ? status.dataset.online : status.dataset.offline;
  }

  function setOnline(isOnline) {
    announceConnection(isOnline);
    everOnline = everOnline || isOnline;
    online = isOnline;
    document.querySelectorAll("[data-connection]").forEach(function (el) {
      el.classList.toggle("is-online", isOnline);
    });
    document.body.classList.toggle("is-offline", !isOnline);
  }

  // After a long time offline, htmx waits up to a minute between attempts. When the
  // phone is back on the network or back in the hand, try at once instead.
  function reconnectNow() {
    if (!online && lastSocket && document.visibilityState === "visible") {
      const socket = lastSocket;
      lastSocket = null;
      socket.reconnect();
    }
  }
  window.addEventListener("online", reconnectNow);
  document.addEventListener("visibilitychange", reconnectNow);

  // A fragment that replaces the focused element takes the focus with it, to <body>. Put it
  // back on the element of the same id in the new fragment (a card's button, say).
  let focusedId = null;
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    const active = document.activeElement;
    const target = event.detail.target;
    if (active && active.id && target && target.contains(active)) focusedId = active.id;
    // The stage is a live region, sent again on every reconnect and setup change: swap it
    // only when it says something new, so that a screen reader does not repeat it.
    if (target && target.id === "stage" && event.detail.fragment.innerHTML === target.innerHTML) {
      event.detail.shouldSwap = false;
    }
  });
  function keepFocus() {
    if (!focusedId) return;
    const active = document.activeElement;
    if (active && active !== document.body && active.isConnected) return;
    const again = document.getElementById(focusedId);
    focusedId = null;
    if (again) again.focus();
  }

  function refresh() {
    keepFocus();
    markPersonal();
    markCurrentSlot();
    document.dispatchEvent(new CustomEvent("live:updated"));
  }

  // The server sends the shared state on every connect; what is personal to this
  // phone (its own topics) is fetched on every connect too, the first one included: a
  // nudge sent between the page's render and the socket joining its group is lost, and
  // this one GET catches up with it. It swaps only the list (#mine), never a field
  // being typed in (see phone.html and phone.js).
  function onOpen(event) {
    setOnline(true);
    lastSocket = null;
    const shell = event.target.closest ? event.target.closest("[data-mine-url]") : null;
    if (shell) {
      htmx.ajax("GET", shell.dataset.mineUrl, { source: shell, swap: "none" });
    }
  }

  // htmx reconnects by itself after an abnormal close (1006, 1011-1013). A server that
  // restarts says "going away" (1001) or closes normally (1000): reconnect then too.
  // 4403 means this browser may not listen (any more): reload, which leads to joining.
  function onClose(event) {
    setOnline(false);
    const detail = event.detail || {};
    const code = detail.event ? detail.event.code : 0;
    const socket = detail.socketWrapper;
    if (code !== 4403) lastSocket = socket;
    if (code === 4403) {
      window.setTimeout(function () { window.location.reload(); }, 2000);
    } else if ((code === 1000 || code === 1001) && socket && document.body.contains(event.target)) {
      window.setTimeout(function () { socket.reconnect(); }, 1000 + Math.random() * 4000);
    }
  }

  document.addEventListener("DOMContentLoaded", refresh);
  document.addEventListener("htmx:wsOpen", onOpen);
  document.addEventListener("htmx:wsClose", onClose);
  document.addEventListener("htmx:wsAfterMessage", refresh);
  document.addEventListener("htmx:afterSettle", refresh);
  document.addEventListener("htmx:oobAfterSwap", refresh);
  setInterval(markCurrentSlot, 30000);
})();
