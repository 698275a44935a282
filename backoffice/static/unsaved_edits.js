/* Unsaved changes on a fiche: leaving the page asks first.
 *
 * A form marked data-unsaved-guard (the action and session fiches) is read when the page has
 * loaded; if its fields differ when the user follows a link (PRECEDENT, SUIVANT, RETOUR, the
 * menu...), sends another form or closes the tab, the browser asks before the typed text is
 * lost. A fiche shown again after a refused save ("refusee") holds what was typed, not what is
 * stored: leaving it always asks. Sending the fiche's own form never asks: ENREGISTRER and the workflow buttons post its
 * fields, and the server saves them first (admin_views/action_buttons.py).
 * Without JavaScript nothing asks, and the buttons still save what was typed.
 */
(function () {
  "use strict";

  var MESSAGE = "Vous avez des modifications non enregistrées. Quitter la fiche sans les enregistrer ?";
  var forms = [];
  var leaving = false;  // the user sends the fiche, or already said yes: ask no more

  function state(form) {
    var parts = [];
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrf_token") {
        parts.push(name + "=" + (typeof value === "string" ? value.replace(/\r\n/g, "\n") : value.name));
      }
    });
    return parts.join("&");
  }

  function changed() {
    for (var i = 0; i < forms.length; i++) {
      if (state(forms[i].form) !== forms[i].initial) { return true; }
    }
    return false;
  }

  function guarded(form) {
    for (var i = 0; i < forms.length; i++) {
      if (forms[i].form === form) { return true; }
    }
    return false;
  }

  function mayLeave() {
    if (leaving || !changed()) { return true; }
    if (window.confirm(MESSAGE)) {
      leaving = true;
      return true;
    }
    return false;
  }

  // After the page's own scripts (select2 pickers...) have set the fields up.
  window.addEventListener("load", function () {
    var found = document.querySelectorAll("form[data-unsaved-guard]");
    for (var i = 0; i < found.length; i++) {
      var refused = found[i].getAttribute("data-unsaved-guard") === "refusee";
      forms.push({form: found[i], initial: refused ? null : state(found[i])});
    }
  });

  // A page shown again from the browser's cache: the user is on the fiche again.
  window.addEventListener("pageshow", function () { leaving = false; });

  document.addEventListener("click", function (event) {
    if (event.defaultPrevented || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) {
      return;  // a new tab or window leaves this one as it is
    }
    var link = event.target.closest ? event.target.closest("a[href]") : null;
    if (!link || (link.target && link.target !== "_self") || link.hasAttribute("download")) { return; }
    var href = link.getAttribute("href");
    if (!href || href.charAt(0) === "#" || /^javascript:/i.test(href)) { return; }
    if (!mayLeave()) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("submit", function (event) {
    if (guarded(event.target)) {
      leaving = true;  // the fiche's fields go with it
      return;
    }
    if (!mayLeave()) { event.preventDefault(); }
  }, true);

  window.addEventListener("beforeunload", function (event) {
    if (leaving || !changed()) { return undefined; }
    event.preventDefault();
    event.returnValue = MESSAGE;  // browsers show their own text; this asks them to ask
    return MESSAGE;
  });
})();
