// The phone's own topics (#mine) are swapped anew after every write, nudge and
// reconnect. What is being typed must survive that: the propose form lives outside
// #mine, and an open Edit form inside it is kept in place by hx-preserve.
(function () {
  "use strict";

  function ok(xhr) {
    return xhr && xhr.status >= 200 && xhr.status < 300;
  }

  // A successful write of this Edit form (or its Withdraw) redraws the topic afresh:
  // the old, closed behaviour. A refused one (422) keeps the form open as typed.
  document.addEventListener("htmx:beforeSwap", function (event) {
    const details = event.detail.elt && event.detail.elt.closest
      ? event.detail.elt.closest("details.edit")
      : null;
    if (details && ok(event.detail.xhr)) details.dataset.saved = "true";
  });

  // Keep only what is open and unsaved; a closed Edit form is re-rendered, so that it
  // shows the current title the next time it is opened.
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    const target = event.detail.target;
    if (!target || target.id !== "mine") return;
    event.detail.fragment.querySelectorAll("details.edit[hx-preserve]").forEach(function (fresh) {
      const current = document.getElementById(fresh.id);
      if (!current || !current.open || current.dataset.saved) {
        fresh.removeAttribute("hx-preserve");
      }
    });
    // A partner chosen but not yet shared stays chosen, if that person is still listed.
    event.detail.fragment.querySelectorAll(".share select[id]").forEach(function (fresh) {
      const current = document.getElementById(fresh.id);
      if (current && current.value && fresh.querySelector('option[value="' + current.value + '"]')) {
        fresh.value = current.value;
      }
    });
  });

  // A saved proposal empties the field; a refused one keeps the text to correct.
  document.addEventListener("htmx:afterRequest", function (event) {
    const form = event.detail.elt;
    if (form && form.matches && form.matches("form.propose") && ok(event.detail.xhr)) {
      form.reset();
      form.querySelector("textarea").value = "";
    }
  });
})();
