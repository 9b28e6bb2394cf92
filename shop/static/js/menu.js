// The header's « Menu » button on a phone (shop.css shows it under 40rem, the account
// links folded from the first paint): this opens and closes them. Without script,
// css/nojs.css shows the links, as on a desktop.
(function () {
  "use strict";
  var header = document.querySelector(".site-header");
  var button = header && header.querySelector(".menu-button");
  if (!button) { return; }
  var nav = document.getElementById(button.getAttribute("aria-controls"));
  if (!nav) { return; }

  function show(open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    header.classList.toggle("menu-open", open);
  }

  button.addEventListener("click", function () {
    show(button.getAttribute("aria-expanded") !== "true");
  });
  header.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
      show(false);
      button.focus();
    }
  });
}());
