/* The « i » info bubbles (templates/admin/_info_bulle.html): pressing the button (Enter, Space, click)
 * keeps its text open (aria-expanded) or closes it; Échap closes every open bubble, including the one
 * shown because its button has the focus (WCAG 1.4.13: dismissible without moving the focus). */
(function () {
  "use strict";
  function buttons() { return document.querySelectorAll("[data-info-bulle]"); }
  function close(button) {
    button.setAttribute("aria-expanded", "false");
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-info-bulle]") : null;
    var all = buttons();
    for (var i = 0; i < all.length; i++) {
      if (all[i] !== button) { close(all[i]); }
    }
    if (!button) { return; }
    event.preventDefault();
    var open = button.getAttribute("aria-expanded") === "true";
    button.setAttribute("aria-expanded", open ? "false" : "true");
    button.classList.toggle("info-bulle-fermee", open);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" && event.key !== "Esc") { return; }
    var all = buttons();
    for (var i = 0; i < all.length; i++) {
      if (all[i].getAttribute("aria-expanded") === "true" || all[i] === document.activeElement) {
        close(all[i]);
        all[i].classList.add("info-bulle-fermee");
      }
    }
  });
  document.addEventListener("focusout", function (event) {
    if (event.target && event.target.hasAttribute && event.target.hasAttribute("data-info-bulle")) {
      event.target.classList.remove("info-bulle-fermee");
    }
  });
})();
