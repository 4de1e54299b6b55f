// Shared by the projector and the phones: connection state, personal marks, the clock.
// The server sends the same fragments to everyone; what is personal is added here.
(function () {
  "use strict";

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
    const stage = document.getElementById("stage");
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

  function setOnline(online) {
    document.querySelectorAll("[data-connection]").forEach(function (el) {
      el.classList.toggle("is-online", online);
    });
    document.body.classList.toggle("is-offline", !online);
  }

  function refresh() {
    markPersonal();
    markCurrentSlot();
    document.dispatchEvent(new CustomEvent("live:updated"));
  }

  document.addEventListener("DOMContentLoaded", refresh);
  document.addEventListener("htmx:wsOpen", function () { setOnline(true); });
  document.addEventListener("htmx:wsClose", function () { setOnline(false); });
  document.addEventListener("htmx:wsAfterMessage", refresh);
  document.addEventListener("htmx:afterSettle", refresh);
  document.addEventListener("htmx:oobAfterSwap", refresh);
  setInterval(markCurrentSlot, 30000);
})();
