/* The tabs of the fiche organisme (templates/admin/organisme_fiche.html): the page arrives with its
 * tabs marked up (role=tablist/tab/tabpanel, aria-selected, the inactive panels hidden); this script
 * switches them. Every tab is a link reachable with Tab, opened with Enter, Space or a click;
 * the arrow keys, Début and Fin move between tabs. The open tab is kept in the URL hash
 * (#onglet-<key>), also in the form's action so that "Enregistrer et continuer" comes back to it.
 * After a refused save the server opens the tab holding the first error (data-onglet-erreur), and a
 * field the browser refuses (required) opens its own tab before the browser points at it. */
(function () {
  "use strict";
  var root = document.querySelector("[data-onglets]");
  if (!root) { return; }
  var tabs = Array.prototype.slice.call(root.querySelectorAll("[role=tab]"));
  var form = root.closest("form");
  var PREFIX = "#onglet-";

  function panelOf(tab) { return document.getElementById(tab.getAttribute("aria-controls")); }

  function keepInUrl(key) {
    var hash = PREFIX + key;
    if (window.history && window.history.replaceState) {
      window.history.replaceState(null, "", window.location.pathname + window.location.search + hash);
    }
    if (form) {
      form.setAttribute("action", window.location.pathname + window.location.search + hash);
    }
  }

  function select(tab, focus) {
    tabs.forEach(function (other) {
      var selected = other === tab;
      other.setAttribute("aria-selected", selected ? "true" : "false");
      other.classList.toggle("active", selected);
      panelOf(other).hidden = !selected;
    });
    keepInUrl(tab.getAttribute("data-onglet"));
    if (focus) { tab.focus(); }
  }

  function byKey(key) {
    for (var i = 0; i < tabs.length; i++) {
      if (tabs[i].getAttribute("data-onglet") === key) { return tabs[i]; }
    }
    return null;
  }

  tabs.forEach(function (tab, index) {
    tab.addEventListener("click", function (event) {
      event.preventDefault();
      select(tab, true);
    });
    tab.addEventListener("keydown", function (event) {
      var target = null;
      if (event.key === " " || event.key === "Spacebar") {
        event.preventDefault();
        select(tab, true);
        return;
      }
      if (event.key === "ArrowRight") { target = tabs[(index + 1) % tabs.length]; }
      if (event.key === "ArrowLeft") { target = tabs[(index - 1 + tabs.length) % tabs.length]; }
      if (event.key === "Home") { target = tabs[0]; }
      if (event.key === "End") { target = tabs[tabs.length - 1]; }
      if (target) {
        event.preventDefault();
        select(target, true);
      }
    });
  });

  // The carnets' rows, ROWS at a time: a long carnet no longer makes the page endless. Every row
  // stays in the form (hidden rows are posted too); the page of the first error is shown first, and
  // a row added with « Ajouter » is shown at once.
  var ROWS = 10;
  function pageCarnet(box) {
    var list = box.querySelector(".inline-field-list");
    if (!list) { return; }
    var nav = document.createElement("div");
    nav.className = "carnet-pages d-flex align-items-center mb-2";
    nav.setAttribute("role", "group");
    nav.setAttribute("aria-label", "Pages du carnet");
    var previous = document.createElement("button");
    var next = document.createElement("button");
    var status = document.createElement("span");
    previous.type = next.type = "button";
    previous.className = next.className = "btn btn-sm btn-outline-secondary mr-2";
    previous.textContent = "Lignes précédentes";
    next.textContent = "Lignes suivantes";
    status.className = "mr-2 carnet-pages-etat";
    status.setAttribute("aria-live", "polite");
    nav.appendChild(previous);
    nav.appendChild(status);
    nav.appendChild(next);
    list.parentNode.insertBefore(nav, list.nextSibling);
    var current = 0;
    function rows() {
      return Array.prototype.filter.call(list.children, function (el) { return el.classList.contains("inline-field"); });
    }
    function show(page) {
      var all = rows();
      var pages = Math.max(1, Math.ceil(all.length / ROWS));
      current = Math.min(Math.max(page, 0), pages - 1);
      all.forEach(function (row, i) { row.hidden = Math.floor(i / ROWS) !== current; });
      nav.hidden = all.length <= ROWS;
      nav.classList.toggle("d-flex", all.length > ROWS);
      status.textContent = "Lignes " + (current * ROWS + 1) + " à " + Math.min(all.length, (current + 1) * ROWS) +
        " sur " + all.length;
      previous.disabled = current === 0;
      next.disabled = current >= pages - 1;
    }
    previous.addEventListener("click", function () { show(current - 1); });
    next.addEventListener("click", function () { show(current + 1); });
    list.showRowOf = function (element) {
      var index = rows().indexOf(element.closest(".inline-field"));
      if (index >= 0) { show(Math.floor(index / ROWS)); }
    };
    var firstError = rows().findIndex(function (row) { return row.querySelector(".input-errors, .is-invalid"); });
    show(firstError >= 0 ? Math.floor(firstError / ROWS) : 0);
    if (window.MutationObserver) {
      new MutationObserver(function () { show(Math.ceil(rows().length / ROWS) - 1); })
        .observe(list, {childList: true});
    }
  }
  Array.prototype.forEach.call(document.querySelectorAll("[data-carnet]"), pageCarnet);

  // the browser's own check of a required field: open the field's tab (and carnet page) first, so it
  // can point at it
  if (form) {
    form.addEventListener("invalid", function (event) {
      var list = event.target.closest ? event.target.closest(".inline-field-list") : null;
      if (list && list.showRowOf) { list.showRowOf(event.target); }
      var panel = event.target.closest ? event.target.closest("[role=tabpanel]") : null;
      if (panel && panel.hidden) {
        var tab = document.getElementById(panel.getAttribute("aria-labelledby"));
        if (tab) { select(tab, false); }
      }
    }, true);
  }

  var initial = byKey(root.getAttribute("data-onglet-initial"));
  if (root.getAttribute("data-onglet-erreur") !== "1" && window.location.hash.indexOf(PREFIX) === 0) {
    initial = byKey(window.location.hash.slice(PREFIX.length)) || initial;
  }
  if (initial) { select(initial, false); }
  if (root.getAttribute("data-onglet-erreur") === "1") {
    var invalid = panelOf(initial).querySelector(".is-invalid, .input-errors, .invalid-feedback");
    var field = invalid && invalid.closest(".form-group") ? invalid.closest(".form-group").querySelector("input, select, textarea") : null;
    (field || initial).focus();
  }
})();
