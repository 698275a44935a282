/* Names for the controls Flask-Admin and Select2 3.5 draw without one (RGAA 4.1 / WCAG 2.1 AA:
   tests/browser/test_accessibility.py): the column headers' help icons, a chosen value's "x" in a
   multiple picker. Select2 draws its widgets after this script runs and redraws them on every choice:
   a MutationObserver names them as they appear. */
(function () {
  "use strict";

  function name(root) {
    // Flask-Admin's column help: an empty link whose title Bootstrap's tooltip moves to data-original-title
    root.querySelectorAll('a[data-role="tooltip"]:not([aria-label])').forEach(function (link) {
      var text = link.getAttribute("title") || link.getAttribute("data-original-title") || "";
      link.setAttribute("aria-label", text ? "Aide : " + text : "Aide");
    });
    // Select2 3.5: the cross removing a chosen value (multiple picker) or clearing the choice (single one)
    root.querySelectorAll(".select2-search-choice-close:not([aria-label])").forEach(function (cross) {
      var choice = cross.parentNode ? cross.parentNode.textContent.trim() : "";
      cross.setAttribute("aria-label", choice ? "Retirer « " + choice + " »" : "Retirer ce choix");
      cross.setAttribute("role", "button");
    });
  }

  // A field in error (Flask-Admin's lib.html: .is-invalid, its messages in the .invalid-feedback after it)
  // says so to a screen reader, and reads its messages with its label (WCAG 3.3.1).
  function describeErrors() {
    document.querySelectorAll(".form-group .is-invalid").forEach(function (field) {
      var feedback = field.parentNode.querySelector(".invalid-feedback");
      field.setAttribute("aria-invalid", "true");
      if (feedback && field.id) {
        feedback.id = feedback.id || "erreur-" + field.id;
        var described = (field.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
        if (described.indexOf(feedback.id) < 0) { described.push(feedback.id); }
        field.setAttribute("aria-describedby", described.join(" "));
      }
    });
  }

  // Flask-Admin's lists: the row checkboxes carry only a title, the column of row buttons has no header text.
  function nameListControls() {
    document.querySelectorAll("input.action-rowtoggle:not([aria-label])").forEach(function (box) {
      box.setAttribute("aria-label", "Sélectionner toutes les lignes de la page");
    });
    document.querySelectorAll("input.action-checkbox:not([aria-label])").forEach(function (box) {
      var row = box.closest("tr"), what = "";
      (row ? Array.prototype.slice.call(row.cells) : []).some(function (cell) {
        if (cell.querySelector("input, a.icon, button")) { return false; }
        what = cell.textContent.trim();
        return what !== "";
      });
      box.setAttribute("aria-label", "Sélectionner la ligne" + (what ? " " + what : ""));
    });
    document.querySelectorAll("table.model-list thead th").forEach(function (th) {
      if (!th.textContent.trim() && !th.querySelector("input")) {
        var hidden = document.createElement("span");
        hidden.className = "sr-only";
        hidden.textContent = "Boutons de la ligne";
        th.appendChild(hidden);
      }
    });
  }

  function start() {
    describeErrors();
    nameListControls();
    name(document);
    new MutationObserver(function (mutations) {
      for (var i = 0; i < mutations.length; i += 1) {
        if (mutations[i].addedNodes.length) { name(document); return; }
      }
    }).observe(document.body, {childList: true, subtree: true});
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
