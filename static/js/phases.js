// What the phase sections mark for this phone, and the clock of the discussions.
// The server sends the same sections to every page; here each page adds what is its own:
// the topics it may write the report of, the reports it gave a dot, its dots left.
(function () {
  "use strict";

  function listOf(el, name) {
    return new Set(((el && el.dataset[name]) || "").split(" ").filter(Boolean));
  }

  function markMine() {
    const me = document.getElementById("me");
    if (!me) return;
    const id = me.dataset.me;
    const pens = listOf(me, "pens");
    const dots = listOf(me, "dots");
    const joined = listOf(me, "joined");
    document.querySelectorAll(".initiative[data-initiative]").forEach(function (row) {
      const isJoined = joined.has(row.dataset.initiative);
      row.classList.toggle("is-joined", isJoined);
      const toggle = row.querySelector(".join-toggle");
      if (toggle) toggle.setAttribute("aria-pressed", isJoined ? "true" : "false");
    });
    document.querySelectorAll(".now-topic[data-topic], .report-card[data-topic]").forEach(function (el) {
      const people = (el.dataset.people || "").split(" ");
      const mine = people.indexOf(id) >= 0;
      el.classList.toggle("is-mine", mine);
      el.classList.toggle("can-write", mine || pens.has(el.dataset.topic));
      const dotted = dots.has(el.dataset.topic);
      el.classList.toggle("is-dotted", dotted);
      const toggle = el.querySelector(".dot-toggle");
      if (toggle) {
        toggle.setAttribute("aria-pressed", dotted ? "true" : "false");
        // A dot never goes on one's own topic: the server refuses it, so do not offer it.
        toggle.hidden = mine;
      }
    });
    const reports = document.getElementById("reports");
    const left = document.querySelector("[data-dots-left]");
    if (reports && left && reports.dataset.dotsAllowed) {
      const remaining = Math.max(0, parseInt(reports.dataset.dotsAllowed, 10) - dots.size);
      left.textContent = (left.dataset.template || "") + " " + remaining;
    }
  }

  // During the discussions the server says when the slot under way changes. Ask for the
  // state again then, each page a little apart, so that the room does not ask at once.
  let timer = null;
  function followTheClock() {
    const now = document.getElementById("now");
    if (timer) { window.clearTimeout(timer); timer = null; }
    if (!now || !now.dataset.changesAt || !now.dataset.serverNow) return;
    const wait = Date.parse(now.dataset.changesAt) - Date.parse(now.dataset.serverNow);
    if (!(wait >= 0)) return;
    timer = window.setTimeout(function () {
      document.dispatchEvent(new CustomEvent("live:ask-state"));
    }, wait + 1000 + Math.random() * 4000);
  }

  function refresh() {
    markMine();
    followTheClock();
  }

  // A form saved without error starts empty again; a refused one keeps what was typed.
  document.addEventListener("htmx:afterRequest", function (event) {
    const form = event.detail.elt;
    const xhr = event.detail.xhr;
    if (!form || !form.matches || !form.matches("form[data-reset-on-success]")) return;
    if (!xhr || xhr.status < 200 || xhr.status >= 300) return;
    form.querySelectorAll("textarea, input:not([type=hidden]):not([data-keep-on-reset])").forEach(
      function (field) {
        if (field.type === "checkbox") field.checked = false;
        else field.value = "";
      }
    );
  });

  document.addEventListener("DOMContentLoaded", refresh);
  document.addEventListener("live:updated", refresh);
})();
