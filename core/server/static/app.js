/* Progressive enhancement only: every page works without this file.
 * - asks for confirmation before break-glass and bulk reassignment;
 * - a "select all" box above tables of checkboxes;
 * - live relevance on form pages (below). */
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

/* Live relevance on form pages: the stylesheet gives each field, group or
 * section with skip logic a data-relevant attribute holding its XPath 1.0
 * expression (docs/forms.md). The answers on the page are turned into the
 * same instance the server builds (<data><field>…</field><row>…</row>…),
 * and each expression is evaluated by the browser's own XPath engine with
 * the field's level as context, in document order (a field hidden by an
 * earlier one is empty for later ones). Hidden parts get the `hidden`
 * attribute. Expressions the browser cannot evaluate (functions of ours
 * such as age() or today()) leave the part shown. The server stays the
 * authority: it evaluates relevance again on submit and drops the answers
 * of fields that are not relevant. */
(function () {
  "use strict";

  // "member[2].member-name" → [["member", 2], ["member-name", 0]]
  function parsePath(name) {
    var out = [], re = /([^.\[\]]+)(?:\[(\d+)\])?\.?/g, m;
    while ((m = re.exec(name)) !== null && m[0] !== "") out.push([m[1], m[2] ? +m[2] : 0]);
    return out;
  }

  // "5/3/2026" → "2026-03-05", "5/3/2026 9:30" → "2026-03-05T09:30", as the server does
  function isoOf(text) {
    var m = /^\s*(\d{1,2})\/(\d{1,2})\/(\d{4})(?:\s+(\d{1,2}):(\d{2}))?\s*$/.exec(text);
    if (!m) return text;
    return m[3] + "-" + ("0" + m[2]).slice(-2) + "-" + ("0" + m[1]).slice(-2) +
      (m[4] ? "T" + ("0" + m[4]).slice(-2) + ":" + m[5] : "");
  }

  // selected(list, 'code') is ours; XPath 1.0 says the same with contains().
  function rewrite(expr) {
    return expr.replace(/selected\(\s*([^,()]+?)\s*,\s*('[^']*'|"[^"]*")\s*\)/g,
      "contains(concat(' ', normalize-space($1), ' '), concat(' ', $2, ' '))");
  }

  function instanceOf(form) {
    var doc = document.implementation.createDocument(null, "data", null);
    var root = doc.documentElement, byName = {};
    function child(parent, tag, index) {
      // the index-th element <tag> of parent (created when missing)
      var n = 0, c;
      for (c = parent.firstElementChild; c; c = c.nextElementSibling) {
        if (c.tagName === tag && ++n === index) return c;
      }
      for (; n < index; n++) c = parent.appendChild(doc.createElement(tag));
      return c;
    }
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.name.charAt(0) === "_" || el.type === "submit") return;
      var path = parsePath(el.name), node = root;
      for (var i = 0; i < path.length; i++) {
        node = child(node, path[i][0], path[i][1] || 1);
      }
      if (!byName[el.name]) {
        byName[el.name] = node;
        node.textContent = "";
      }
      var v = null, points = null;
      if (el.type === "checkbox" || el.type === "radio") {
        if (el.checked) { v = el.value; points = el.getAttribute("data-points"); }
      } else {
        v = el.getAttribute("data-date") ? isoOf(el.value) : el.value;
      }
      if (v === null) return;
      node.textContent = node.textContent ? node.textContent + " " + v : v;
      if (points !== null) node.setAttribute("points", points);
    });
    return { doc: doc, byName: byName };
  }

  // The instance element that is the context of a part of the page: the
  // row it sits in (through the names of the controls in that row), else
  // <data>.
  function contextOf(part, inst) {
    var row = part.parentElement && part.parentElement.closest(".fr-row");
    if (part.classList.contains("fr-row")) row = part;
    if (!row) return inst.doc.documentElement;
    var depth = 0;
    for (var r = row; r; r = r.parentElement && r.parentElement.closest(".fr-row")) depth++;
    var named = row.querySelector("[name]:not([name^='_'])");
    if (!named) return inst.doc.documentElement;
    var path = parsePath(named.name), node = inst.doc.documentElement, seen = 0;
    for (var i = 0; i < path.length && seen < depth; i++) {
      var n = 0, c, want = path[i][1] || 1;
      for (c = node.firstElementChild; c; c = c.nextElementSibling) {
        if (c.tagName === path[i][0] && ++n === want) break;
      }
      if (!c) return inst.doc.documentElement;
      node = c;
      if (path[i][1]) seen++;
    }
    return node;
  }

  function apply(form) {
    var inst = instanceOf(form);
    form.querySelectorAll("[data-relevant]").forEach(function (part) {
      var shown = true;
      try {
        shown = inst.doc.evaluate(rewrite(part.getAttribute("data-relevant")),
          contextOf(part, inst), null, XPathResult.BOOLEAN_TYPE, null).booleanValue;
      } catch (e) {
        shown = true; // not evaluable here: the server decides
      }
      part.hidden = !shown;
      if (shown) return;
      // hidden: empty for the expressions that follow
      part.querySelectorAll("[name]").forEach(function (el) {
        var node = inst.byName[el.name];
        if (node) { node.textContent = ""; node.removeAttribute("points"); }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.fr-form").forEach(function (form) {
      if (!form.querySelector("[data-relevant]") || !document.evaluate) return;
      apply(form);
      form.addEventListener("input", function () { apply(form); });
      form.addEventListener("change", function () { apply(form); });
    });
  });
})();
