// A write that did not get through is sent again by itself, with what was typed kept
// (htmx swaps nothing on a failure) and a polite notice saying why nothing happened yet.
// - "Busy, try again" (503: every database connection was taken) is sent again after
//   the Retry-After the server asked for; the server had done nothing.
// - A lost connection is sent again only for a form marked data-resend: its write may
//   have been saved before the answer was lost, so it carries a key (request_key) made
//   when it is first sent and kept until the server answers; the server saves a key's
//   write once (sessions_app/views/once.py).
(function () {
  "use strict";

  const TRIES = 6;
  const tries = new WeakMap();

  function notice() {
    return document.getElementById("busy-notice");
  }

  function newKey() {
    const bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.from(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }

  function keyField(elt) {
    const form = elt && elt.closest ? elt.closest("form[data-resend]") : null;
    return form ? form.querySelector("input[name=request_key]") : null;
  }

  document.addEventListener("htmx:configRequest", function (event) {
    const field = keyField(event.detail.elt);
    if (!field) return;
    if (!field.value) field.value = newKey();
    event.detail.parameters.request_key = field.value;
  });

  function sendAgain(event, seconds) {
    const elt = event.detail.elt;
    const asked = event.detail.requestConfig && event.detail.requestConfig.triggeringEvent;
    if (!elt || !asked) return;
    const count = (tries.get(elt) || 0) + 1;
    tries.set(elt, count);
    const shown = notice();
    if (count > TRIES) {
      tries.delete(elt);
      if (shown) shown.textContent = shown.dataset.failed;
      return;
    }
    if (shown) {
      shown.textContent = shown.dataset.waiting;
      shown.hidden = false;
    }
    window.setTimeout(function () {
      if (elt.isConnected) htmx.trigger(elt, asked.type);
    }, seconds * 1000 * count + Math.random() * 1000);
  }

  document.addEventListener("htmx:responseError", function (event) {
    const xhr = event.detail.xhr;
    if (!xhr || xhr.status !== 503) return;
    sendAgain(event, parseFloat(xhr.getResponseHeader("Retry-After")) || 2);
  });

  document.addEventListener("htmx:sendError", function (event) {
    if (keyField(event.detail.elt)) sendAgain(event, 1);
  });

  // The server answered: the write is done or refused, and the next one is a new write.
  document.addEventListener("htmx:afterRequest", function (event) {
    const xhr = event.detail.xhr;
    if (!xhr || xhr.status === 503 || xhr.status === 0) return;
    tries.delete(event.detail.elt);
    const field = keyField(event.detail.elt);
    if (field) field.value = "";
    const shown = notice();
    if (shown && !shown.hidden) {
      shown.hidden = true;
      shown.textContent = "";
    }
  });
})();
