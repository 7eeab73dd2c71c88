/* Progressive enhancement only: every page works without this file.
 * - asks for confirmation before break-glass and bulk reassignment;
 * - a "select all" box above tables of checkboxes. */
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form[action='/schedule/reassign']")
    .forEach(function (form) {
      form.addEventListener("submit", function (e) {
        var text = form.querySelector("legend, button[type=submit]");
        if (!window.confirm((text ? text.textContent : "") + " ?")) e.preventDefault();
      });
    });
  document.querySelectorAll("table.schedule").forEach(function (table) {
    var head = table.querySelector("thead th");
    if (!head) return;
    var all = document.createElement("input");
    all.type = "checkbox";
    all.setAttribute("aria-label", "✓ *");
    all.addEventListener("change", function () {
      table.querySelectorAll("tbody input[type=checkbox]").forEach(function (c) {
        c.checked = all.checked;
      });
    });
    head.appendChild(all);
  });
});
