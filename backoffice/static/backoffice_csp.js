/* Flask-Admin under a strict Content-Security-Policy (no inline handlers, no eval).
 *
 * Flask-Admin's templates still carry a few inline onclick handlers; the CSP
 * blocks them, so this script does their work from one delegated listener.
 * Only the known, fixed handler shapes are recognised: nothing is evaluated.
 * x-editable parses data-* attributes with `new Function` (an XSS vector, and
 * refused by the CSP): it gets a JSON.parse-based parser instead.
 */
(function () {
  "use strict";

  function unquote(text) {
    return text.replace(/\\'/g, "'").replace(/\\"/g, '"').replace(/\\\\/g, "\\");
  }

  // The handlers are moved to a data attribute, so that a click never even asks the
  // browser to run inline code (no CSP violation report for Flask-Admin's own markup).
  function disarm(root) {
    var found = (root || document).querySelectorAll("[onclick]");
    for (var i = 0; i < found.length; i++) {
      found[i].setAttribute("data-fa-onclick", found[i].getAttribute("onclick"));
      found[i].removeAttribute("onclick");
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { disarm(); });
  } else {
    disarm();
  }

  document.addEventListener("click", function (event) {
    var el = event.target.closest
      ? event.target.closest("[data-fa-onclick], [onclick], a[href^='javascript:']") : null;
    if (!el) { return; }
    var code = (el.getAttribute("data-fa-onclick") || el.getAttribute("onclick") || "").trim();
    var m;
    if ((m = code.match(/^return faHelpers\.safeConfirm\('([\s\S]*)'\);?$/))) {
      if (!window.faHelpers || !window.faHelpers.safeConfirm(unquote(m[1]))) { event.preventDefault(); }
      return;
    }
    if ((m = code.match(/^return modelActions\.execute\('([^'\\]*)'\);?$/))) {
      event.preventDefault();
      if (window.modelActions) { window.modelActions.execute(m[1]); }
      return;
    }
    if ((m = code.match(/^faForm\.addInlineField\(this, '([^'\\]*)'\);?$/))) {
      event.preventDefault();
      if (window.faForm) { window.faForm.addInlineField(el, m[1]); }
      return;
    }
    if (el.tagName === "A" && /^javascript:/i.test(el.getAttribute("href") || "")) {
      event.preventDefault();  // "javascript:void(0)" links: navigation would only be refused by the CSP
    }
  }, true);

  if (window.jQuery) {
    // registered before Flask-Admin's own ready handlers, so editables are built with it
    window.jQuery(function ($) {
      if ($.fn.editableutils) {
        $.fn.editableutils.tryParseJson = function (s, safe) {
          if (typeof s === "string" && s.length && /^[\{\[][\s\S]*[\}\]]$/.test(s)) {
            try { return JSON.parse(s); } catch (e) { if (!safe) { throw e; } }
          }
          return s;
        };
      }
    });
  }
})();
