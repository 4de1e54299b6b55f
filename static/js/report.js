// The report form saves each field as it is typed, with the version it started from.
// A save refused because someone else saved the field meanwhile (409) keeps what this
// person typed and shows the newer text beside it, to merge. What is not saved yet is
// kept in this browser too, so a reload or a dropped connection loses nothing typed.
(function () {
  "use strict";

  const DELAY_MS = 800;
  const RETRY_MS = 5000;

  function csrf() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function storageKey(field) {
    const form = document.querySelector(".report-form");
    return (form ? form.dataset.storageKey : "report") + ":" + field.input.id;
  }

  function remember(field) {
    try {
      window.localStorage.setItem(
        storageKey(field),
        JSON.stringify({ text: field.input.value, version: field.input.dataset.version })
      );
    } catch (ignored) { /* private mode: the server keeps what was saved */ }
  }

  function forget(field) {
    try { window.localStorage.removeItem(storageKey(field)); } catch (ignored) { /* as above */ }
  }

  function say(field, text, isError) {
    field.state.textContent = text;
    field.state.classList.toggle("is-error", !!isError);
    field.input.setAttribute("aria-invalid", isError ? "true" : "false");
  }

  function showTheirs(field, theirs, version) {
    let box = field.box.querySelector(".conflict");
    if (!box) {
      box = document.createElement("div");
      box.className = "conflict";
      box.setAttribute("role", "alert");
      field.box.appendChild(box);
    }
    const strings = document.querySelector(".report-form").dataset;
    box.replaceChildren();
    const intro = document.createElement("p");
    intro.textContent = strings.conflictText;
    const pre = document.createElement("pre");
    pre.className = "theirs";
    pre.textContent = theirs;
    const actions = document.createElement("div");
    actions.className = "conflict-actions";
    const useTheirs = document.createElement("button");
    useTheirs.type = "button";
    useTheirs.textContent = strings.useTheirs;
    useTheirs.addEventListener("click", function () {
      field.input.value = theirs;
      field.input.dataset.version = version;
      field.version.value = version;
      box.remove();
      forget(field);
      say(field, strings.saved, false);
    });
    const keepMine = document.createElement("button");
    keepMine.type = "button";
    keepMine.textContent = strings.keepMine;
    keepMine.addEventListener("click", function () {
      field.input.dataset.version = version;
      field.version.value = version;
      box.remove();
      save(field);
    });
    actions.append(useTheirs, keepMine);
    box.append(intro, pre, actions);
  }

  function save(field) {
    window.clearTimeout(field.timer);
    if (field.busy) { field.again = true; return; }
    const sent = field.input.value;
    const body = new FormData();
    body.append("field", field.name);
    body.append("text", sent);
    body.append("version", field.input.dataset.version);
    const strings = document.querySelector(".report-form").dataset;
    field.busy = true;
    say(field, strings.saving, false);
    fetch(field.url, {
      method: "POST",
      body: body,
      headers: { "X-CSRFToken": csrf() },
      credentials: "same-origin",
    })
      .then(function (response) {
        return response.json().then(function (data) { return [response.status, data]; });
      })
      .then(function (result) {
        const status = result[0], data = result[1];
        if (status === 200) {
          field.input.dataset.version = data.version;
          field.version.value = data.version;
          if (field.input.value === sent) {
            forget(field);
            say(field, data.saved, false);
          }
        } else if (status === 409) {
          say(field, data.error, true);
          showTheirs(field, data.theirs, data.version);
        } else {
          say(field, data.error || strings.notSaved, true);
        }
      })
      .catch(function () {
        say(field, strings.offline, true);
        field.timer = window.setTimeout(function () { save(field); }, RETRY_MS);
      })
      .finally(function () {
        field.busy = false;
        if (field.again || field.input.value !== sent) {
          field.again = false;
          if (!field.box.querySelector(".conflict")) schedule(field);
        }
      });
  }

  function schedule(field) {
    window.clearTimeout(field.timer);
    field.timer = window.setTimeout(function () { save(field); }, DELAY_MS);
  }

  function setUp(input) {
    const box = input.closest(".report-field");
    const form = document.querySelector(".report-form");
    const field = {
      input: input,
      box: box,
      name: box.dataset.field || "caption",
      url: box.dataset.captionUrl || form.dataset.fieldUrl,
      state: box.querySelector(".save-state"),
      version: box.querySelector("input[type=hidden][name$='-version']") || { value: "" },
      timer: null,
      busy: false,
      again: false,
    };
    // Bring back what was typed here but not saved, if the stored text is still the
    // one it was typed over; otherwise show it beside the stored one, to merge.
    try {
      const kept = JSON.parse(window.localStorage.getItem(storageKey(field)) || "null");
      if (kept && kept.text !== input.value) {
        if (kept.version === input.dataset.version) {
          input.value = kept.text;
          schedule(field);
        } else {
          const stored = input.value;
          input.value = kept.text;
          showTheirs(field, stored, input.dataset.version);
        }
      }
    } catch (ignored) { /* nothing kept */ }
    input.addEventListener("input", function () { remember(field); schedule(field); });
    input.addEventListener("blur", function () {
      if (field.timer) save(field);
    });
    window.addEventListener("online", function () { if (field.timer) save(field); });
    return field;
  }

  function peopleSearch() {
    const input = document.getElementById("people-add");
    if (!input) return;
    const list = document.getElementById("people-list");
    const textarea = document.getElementById("field-participants");
    let timer = null;
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        const url = input.dataset.peopleUrl + "?q=" + encodeURIComponent(input.value);
        fetch(url, { credentials: "same-origin" })
          .then(function (response) { return response.ok ? response.text() : ""; })
          .then(function (html) {
            const template = document.createElement("template");
            template.innerHTML = html;
            list.replaceChildren(template.content);
          });
      }, 250);
    });
    function add() {
      const name = input.value.trim();
      if (!name) return;
      const lines = textarea.value.split("\n").map(function (line) { return line.trim(); });
      if (lines.indexOf(name) < 0) {
        textarea.value = lines.filter(Boolean).concat([name]).join("\n");
        textarea.dispatchEvent(new Event("input"));
      }
      input.value = "";
    }
    document.querySelector("[data-people-add]").addEventListener("click", add);
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); add(); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    const form = document.querySelector(".report-form");
    if (!form) return;
    document.querySelectorAll("[data-autosave]").forEach(setUp);
    peopleSearch();
    // With saving as one types, the button is only for pages without JavaScript.
    const saveAll = form.querySelector(".save-all");
    if (saveAll) saveAll.hidden = true;
    document.querySelectorAll("form[data-confirm]").forEach(function (remove) {
      remove.addEventListener("submit", function (event) {
        if (!window.confirm(remove.dataset.confirm)) event.preventDefault();
      });
    });
  });
})();
