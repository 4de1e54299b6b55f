// "Busy, try again" (503, when every database connection is taken) is not an error to
// show and forget: the same request is sent again after the Retry-After the server
// asked for, a little spread out, up to a few times. What was typed stays in the form
// meanwhile (htmx does not swap a 503), and a polite notice says why nothing happened yet.
(function () {
  "use strict";

  const TRIES = 6;
  const tries = new WeakMap();

  function notice() {
    return document.getElementById("busy-notice");
  }

  document.addEventListener("htmx:responseError", function (event) {
    const xhr = event.detail.xhr;
    const elt = event.detail.elt;
    const asked = event.detail.requestConfig && event.detail.requestConfig.triggeringEvent;
    if (!xhr || xhr.status !== 503 || !elt || !asked) return;
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
    const seconds = parseFloat(xhr.getResponseHeader("Retry-After")) || 2;
    window.setTimeout(function () {
      if (elt.isConnected) htmx.trigger(elt, asked.type);
    }, seconds * 1000 * count + Math.random() * 1000);
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    const xhr = event.detail.xhr;
    if (!xhr || xhr.status === 503) return;
    tries.delete(event.detail.elt);
    const shown = notice();
    if (shown && !shown.hidden) {
      shown.hidden = true;
      shown.textContent = "";
    }
  });
})();
