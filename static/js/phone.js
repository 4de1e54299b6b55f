// The phone's own topics (#mine) are swapped anew after every write, nudge and
// reconnect. What is being typed must survive that: the propose form lives outside
// #mine, and an open Edit form inside it is kept in place by hx-preserve. What the phone's
// own actions did is said in its status region (#phone-status).
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
  });

  // Enter in the partner search searches (its "search" event); it does not share yet.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.matches && event.target.matches(".share input[type=search]")) {
      event.preventDefault();
    }
  });

  // Said politely to a screen reader: what the phone's own action did.
  function tell(message) {
    const status = document.getElementById("phone-status");
    if (!status || !message) return;
    // Emptied first, so that the same words twice in a row are said twice.
    status.textContent = "";
    window.setTimeout(function () { status.textContent = message; }, 100);
  }

  // What a request of this phone did, once its answer is in. Listened for on the element
  // itself: the answer (or a broadcast) may have taken it off the page by then, and the
  // events of an element off the page do not reach the document.
  document.addEventListener("htmx:beforeRequest", function (event) {
    const elt = event.detail.elt;
    if (!elt || !elt.matches || !elt.closest(".phone-shell")) return;
    // An "I want to join" button turns over: what it was says what it becomes.
    const wasJoining = elt.getAttribute("aria-pressed") === "true";
    elt.addEventListener("htmx:afterRequest", function (done) {
      answered(elt, ok(done.detail.xhr), wasJoining);
    }, { once: true });
  });

  function answered(elt, done, wasJoining) {
    // A saved proposal empties the field; a refused one keeps the text to correct, marked
    // invalid and described by the message above the list.
    if (elt.matches("form.propose")) {
      const field = elt.querySelector("textarea");
      if (done) {
        elt.reset();
        field.value = "";
        field.removeAttribute("aria-invalid");
        field.removeAttribute("aria-describedby");
      } else {
        field.setAttribute("aria-invalid", "true");
        field.setAttribute("aria-describedby", "mine-error");
      }
    }
    if (!done) return; // a refusal is shown, and said, as an alert
    if (elt.matches(".interest-toggle")) {
      const shell = document.querySelector(".phone-shell");
      tell(wasJoining ? shell.dataset.textLeft : shell.dataset.textJoined);
    } else if (elt.dataset.done) {
      tell(elt.dataset.done);
    }
  }
})();
