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
    showLive();
  }

  // "Live" only while updates arrive: the socket is open and has been heard from lately.
  function showLive() {
    const stale = online && Date.now() - lastHeard > HEARD_WITHIN_MS;
    document.querySelectorAll("[data-connection]").forEach(function (el) {
      el.classList.toggle("is-online", online && !stale);
      el.classList.toggle("is-stale", stale);
    });
    document.body.classList.toggle("is-offline", !online || stale);
  }

  // ---- Every screen comes back to the database's state by itself ----
  // Each change raises the meeting's live revision. A message says which revisions it
  // holds and as of which one it was rendered; the heartbeat (every few seconds) says the
  // meeting's revision. A revision heard of but not received within a grace period means
  // something was lost on the way: the page asks for the whole state over its socket. A
  // socket that stays silent (a frozen channel layer) asks for it now and then too.
  const HEARD_WITHIN_MS = 12000;
  const GAP_GRACE_MS = 2500;
  const ASK_EVERY_MS = 3000;
  const POLL_SILENT_EVERY_MS = 10000;
  const MARK = /id="live-revision"[^>]*data-covers="([\d ]*)"[^>]*data-rendered="(\d+)"([^>]*data-state)?/;
  let openSocket = null; // the open socket's wrapper, to ask for the state
  let known = 0; // every revision up to this one is on the page
  const ahead = new Set(); // revisions after `known` that are on the page too
  let stateAt = 0; // the revision of the last whole state
  let highest = 0; // the highest revision the server spoke of
  let lastHeard = Date.now();
  let gapSince = 0;
  let lastAsked = 0;

  function cover(revisions) {
    revisions.forEach(function (revision) { if (revision > known) ahead.add(revision); });
    while (ahead.has(known + 1)) {
      ahead.delete(known + 1);
      known += 1;
    }
  }

  function wholeState(revision) {
    stateAt = revision;
    known = Math.max(known, revision);
    ahead.forEach(function (r) { if (r <= known) ahead.delete(r); });
    cover([]);
  }

  function heardOf(revision) {
    highest = Math.max(highest, revision);
    if (highest > known) {
      if (!gapSince) gapSince = Date.now();
    } else {
      gapSince = 0;
    }
  }

  function askForState() {
    if (!openSocket) return;
    lastAsked = Date.now();
    openSocket.send(JSON.stringify({ type: "state" }));
  }

  // Runs before htmx swaps a message: decide whether it is news, stale, or a heartbeat.
  // Only what comes through the channel layer (heartbeats, broadcasts) shows that updates
  // arrive: the state a page asked for comes straight from its server, even when the
  // layer is frozen.
  function heard() {
    lastHeard = Date.now();
    showLive();
  }

  function onMessage(event) {
    const text = event.detail.message || "";
    if (text.charAt(0) === "{") {
      event.preventDefault(); // not HTML: the heartbeat, or a pong
      let message = null;
      try { message = JSON.parse(text); } catch (ignored) { return; }
      if (message && message.type === "revision") {
        heard();
        heardOf(message.revision);
      }
      return;
    }
    const mark = MARK.exec(text);
    if (!mark) return; // one's own nudge: no revision
    if (!mark[3]) heard();
    const rendered = parseInt(mark[2], 10);
    if (rendered < stateAt) {
      // Rendered before the state this page shows: older news, already here.
      event.preventDefault();
      return;
    }
    if (mark[3]) wholeState(rendered);
    else cover(mark[1].split(" ").filter(Boolean).map(Number));
    heardOf(rendered);
  }

  function watch() {
    const now = Date.now();
    showLive();
    if (!openSocket || now - lastAsked < ASK_EVERY_MS) return;
    if (gapSince && now - gapSince > GAP_GRACE_MS) askForState();
    else if (now - lastHeard > HEARD_WITHIN_MS && now - lastAsked > POLL_SILENT_EVERY_MS) {
      askForState();
    }
  }

  function pageState() {
    const mark = document.getElementById("live-revision");
    if (mark && mark.dataset.rendered) wholeState(parseInt(mark.dataset.rendered, 10));
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
    lastHeard = Date.now();
    openSocket = event.detail.socketWrapper || null;
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
    openSocket = null;
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

  document.addEventListener("DOMContentLoaded", pageState);
  document.addEventListener("DOMContentLoaded", refresh);
  document.addEventListener("htmx:wsBeforeMessage", onMessage);
  document.addEventListener("live:ask-state", askForState);
  document.addEventListener("htmx:wsOpen", onOpen);
  document.addEventListener("htmx:wsClose", onClose);
  document.addEventListener("htmx:wsAfterMessage", refresh);
  document.addEventListener("htmx:afterSettle", refresh);
  document.addEventListener("htmx:oobAfterSwap", refresh);
  setInterval(markCurrentSlot, 30000);
  setInterval(watch, 1000);
})();
