// Setup screens: "Add a room" adds an empty row to a Django formset, from the empty form
// that the page carries in a <template>. Without JavaScript the button stays hidden, and
// every save brings one more empty row instead.
(function () {
  "use strict";

  function addForm(prefix) {
    const template = document.querySelector('template[data-empty-form="' + prefix + '"]');
    const rows = document.querySelector('[data-formset="' + prefix + '"]');
    const total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    if (!template || !rows || !total) return;
    const index = parseInt(total.value, 10);
    const html = template.innerHTML.replace(/__prefix__/g, String(index));
    rows.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    const first = rows.lastElementChild.querySelector("input:not([type=hidden]), select, textarea");
    if (first) first.focus();
  }

  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-add-form]");
    if (button) addForm(button.dataset.addForm);
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-add-form]").forEach(function (button) {
      button.hidden = false;
    });
  });
})();
