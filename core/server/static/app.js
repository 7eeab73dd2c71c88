/* Progressive enhancement only: every page works without this file.
 * - asks for confirmation before what a button marks
 *   data-confirm="question" (closing a case, deactivating a user, a bulk
 *   reassignment);
 * - a "select all" box above tables of checkboxes, named by the table's
 *   data-select-all;
 * - after a refused form, "back to the form" goes back in the history;
 * - live relevance on form pages (below). */
"use strict";
document.addEventListener("DOMContentLoaded", function() {
    // After a refused form: back in the history, where the browser has kept
    // what was typed (the link itself opens the form's page afresh).
    document.querySelectorAll("a[data-back]").forEach(function(a) {
        a.addEventListener("click", function(e) {
            if (window.history.length > 1) {
                e.preventDefault();
                window.history.back();
            }
        });
    });
    document.querySelectorAll("button[data-confirm]").forEach(function(button) {
        button.addEventListener("click", function(e) {
            if (!window.confirm(button.getAttribute("data-confirm")))
                e.preventDefault();
        });
    });
    document.querySelectorAll("table.schedule").forEach(function(table) {
        var head = table.querySelector("thead th");
        if (!head)
            return;
        var all = document.createElement("input");
        all.type = "checkbox";
        // its name, in the page's language, from the table
        all.setAttribute("aria-label", table.getAttribute("data-select-all") || "");
        all.addEventListener("change", function() {
            table.querySelectorAll("tbody input[type=checkbox]").forEach(function(c) {
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
 * attribute. Our functions today(), age(), days-between() and
 * count-selected() are computed here as the server does (today is the
 * server's date, the form's data-today); expressions the browser cannot
 * evaluate (setting(), the site's) leave the part shown. The server stays the
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

  // Days since 1970 of "YYYY-MM-DD…" (a date-time counts by its date), or NaN.
  function dayOf(text) {
    var m = /^(\d{4})-(\d{2})-(\d{2})/.exec(text || "");
    if (!m) return NaN;
    var d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
    return d.getUTCMonth() === +m[2] - 1 && d.getUTCDate() === +m[3] ? d / 86400000 : NaN;
  }

  // Our other functions (docs/forms.md), computed here as the server does
  // and put back as literals before the browser's engine sees the
  // expression: today() (the server's date, data-today), age(),
  // days-between(), count-selected(). setting() is the site's: an
  // expression using it stays with the server (shown).
  var OURS = /(^|[^\w.-])(today|age|days-between|count-selected)\s*\(/g;
  function literal(v) {
    if (typeof v === "number") return isNaN(v) ? "number('')" : "(" + v + ")";
    return v.indexOf("'") < 0 ? "'" + v + "'" : '"' + v + '"';
  }
  function ours(expr, doc, ctx, today) {
    for (var guard = 0; guard < 50; guard++) {
      var m, last = null;
      OURS.lastIndex = 0;
      while ((m = OURS.exec(expr)) !== null) last = m;  // the innermost call is the last one
      if (!last) return expr;
      var start = last.index + last[1].length, open = expr.indexOf("(", start);
      var depth = 0, args = [], from = open + 1, quote = null, i;
      for (i = open; i < expr.length; i++) {
        var c = expr.charAt(i);
        if (quote) { if (c === quote) quote = null; continue; }
        if (c === "'" || c === '"') quote = c;
        else if (c === "(") depth++;
        else if (c === ")" && --depth === 0) break;
        else if (c === "," && depth === 1) { args.push(expr.slice(from, i)); from = i + 1; }
      }
      if (i >= expr.length) throw new Error("unbalanced");
      if (expr.slice(from, i).trim() || args.length) args.push(expr.slice(from, i));
      var vals = args.map(function (a) {
        return doc.evaluate(rewrite(a), ctx, null, XPathResult.STRING_TYPE, null).stringValue;
      });
      var name = last[2], v;
      if (name === "today") v = today;
      else if (name === "count-selected") {
        v = (vals[0] || "").split(" ").filter(function (x) { return x; }).length;
      } else if (name === "days-between") {
        v = dayOf(vals[1]) - dayOf(vals[0]);
      } else { // age(birth [, on])
        var b = /^(\d{4})-(\d{2})-(\d{2})/.exec(vals[0] || ""),
            o = /^(\d{4})-(\d{2})-(\d{2})/.exec(vals.length > 1 ? vals[1] : today);
        v = b && o && !isNaN(dayOf(b[0])) && !isNaN(dayOf(o[0]))
          ? o[1] - b[1] - (+o[2] < +b[2] || (+o[2] === +b[2] && +o[3] < +b[3]) ? 1 : 0) : NaN;
      }
      expr = expr.slice(0, start) + literal(v) + expr.slice(i + 1);
    }
    throw new Error("too deep");
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
    var inst = instanceOf(form), today = form.getAttribute("data-today") || "";
    form.querySelectorAll("[data-relevant]").forEach(function (part) {
      var shown = true;
      try {
        var ctx = contextOf(part, inst);
        shown = inst.doc.evaluate(
          rewrite(ours(part.getAttribute("data-relevant"), inst.doc, ctx, today)),
          ctx, null, XPathResult.BOOLEAN_TYPE, null).booleanValue;
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

/* Rows of repeat groups added and removed in the page. Without script the
 * stylesheet's buttons post addrow:PATH / delrow:PATH[N] and the server
 * sends the page back with the row added or removed (nothing saved). With
 * script the last row is copied and emptied, or the row taken away, and
 * the rows of the group are numbered again 1, 2, … in the names
 * (PATH[N].field), the ids (f-PATH-N-field, PATH made an id as the
 * stylesheet does: "[" and "]" become "-", "." goes) and the buttons'
 * values, so that what is posted is what the server would have shown. */
(function () {
  "use strict";

  function quote(s) { return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }
  function idOf(path) { return path.replace(/[\[\]]/g, "-").replace(/\./g, ""); }
  function rowsOf(fieldset) {
    return Array.prototype.filter.call(fieldset.children, function (c) {
      return c.classList.contains("fr-row");
    });
  }

  // Row i of the group at path gets the index i wherever one is written.
  function renumber(fieldset, path) {
    var byName = new RegExp("^((?:addrow:|delrow:)?" + quote(path) + ")\\[\\d+\\]");
    var byId = new RegExp("^((?:f|field|hint|err|group)-" + quote(idOf(path)) + "-)\\d+-");
    rowsOf(fieldset).forEach(function (row, i) {
      var n = i + 1;
      row.setAttribute("data-row", n);
      row.querySelectorAll("*").forEach(function (el) {
        ["name", "value"].forEach(function (a) {
          var v = el.getAttribute(a);
          // the name of a control; the value of a row button or of the
          // hidden marker naming a day/month/year date field (_date)
          if (v && byName.test(v) && (a === "name" || el.type === "submit" ||
                                      (el.type === "hidden" && el.name === "_date"))) {
            el.setAttribute(a, v.replace(byName, "$1[" + n + "]"));
          }
        });
        ["id", "for", "aria-describedby"].forEach(function (a) {
          var v = el.getAttribute(a);
          if (!v) return;
          el.setAttribute(a, v.split(" ").map(function (one) {
            return one.replace(byId, "$1" + n + "-");
          }).join(" "));
        });
      });
    });
  }

  function empty(row) {
    row.querySelectorAll(".fr-repeat").forEach(function (inner) {
      rowsOf(inner).slice(1).forEach(function (r) { r.remove(); });
    });
    row.querySelectorAll("input, textarea, select").forEach(function (el) {
      if (el.type === "submit" || el.type === "hidden") return;
      if (el.type === "checkbox" || el.type === "radio") el.checked = false;
      else if (el.tagName === "SELECT") el.selectedIndex = 0;
      else el.value = "";
      el.removeAttribute("aria-invalid");
    });
    row.querySelectorAll(".fr-error").forEach(function (p) { p.remove(); });
    row.querySelectorAll(".fr-invalid").forEach(function (f) { f.classList.remove("fr-invalid"); });
  }

  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest("button.fr-addrow, button.fr-delrow");
    var form = b && b.closest("form.fr-form");
    var fieldset = b && b.closest(".fr-repeat");
    if (!form || !fieldset) return;
    var action = b.value, rows;
    if (b.classList.contains("fr-addrow")) {
      var path = action.slice("addrow:".length);
      rows = rowsOf(fieldset);
      if (!rows.length || rows.length >= 200) return; // the server's way
      e.preventDefault();
      var copy = rows[rows.length - 1].cloneNode(true);
      rows[rows.length - 1].after(copy);
      empty(copy);
      renumber(fieldset, path);
      var first = copy.querySelector("input:not([type=hidden]), textarea, select");
      if (first) first.focus();
    } else {
      var m = /^delrow:(.*)\[\d+\]$/.exec(action);
      if (!m) return;
      e.preventDefault();
      var row = b.closest(".fr-row");
      rows = rowsOf(fieldset);
      if (rows.length > 1) row.remove(); else empty(row);
      renumber(fieldset, m[1]);
      var add = fieldset.querySelector(":scope > .fr-repeat-actions button");
      if (add) add.focus();
    }
    form.dispatchEvent(new Event("input")); // relevance of the new rows
  });
})();
