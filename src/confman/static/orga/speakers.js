// Speakers' form: with JavaScript, htmx fetches the country's zones as the country changes
// (hx-get on the country select), so the no-JS "Update zones" button is not needed.
(function () {
  "use strict";
  document.querySelectorAll(".no-js-only").forEach(function (element) {
    element.hidden = true;
  });
})();
