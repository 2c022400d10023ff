// The zone picker's search box (templates/_zones.html): typing a city, country or region
// hides the options that do not match, ignoring case and accents ("sao" finds "São Paulo"),
// and selects the first one left, so Enter or the form's button takes it. Without this
// script the picker is the plain <select> with its button.
(function () {
  "use strict";
  function fold(text) {
    return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  function setUp(input) {
    var select = document.getElementById(input.getAttribute("data-zone-filter"));
    if (!select) {
      return;
    }
    var options = Array.prototype.slice.call(select.options).map(function (option) {
      var group = option.parentNode.tagName === "OPTGROUP" ? option.parentNode.label : "";
      return { option: option, text: fold(option.text + " " + option.value.replace(/_/g, " ") + " " + group) };
    });
    var groups = Array.prototype.slice.call(select.querySelectorAll("optgroup"));
    input.parentNode.hidden = false;
    input.addEventListener("input", function () {
      var words = fold(input.value).split(/\s+/).filter(Boolean);
      var first = null;
      var count = 0;
      options.forEach(function (entry) {
        var shown = words.every(function (word) { return entry.text.indexOf(word) >= 0; });
        entry.option.hidden = !shown;
        if (shown) {
          count += 1;
          first = first || entry.option;
        }
      });
      groups.forEach(function (group) {
        group.hidden = !group.querySelector("option:not([hidden])");
      });
      // While filtering, the matches show as a list rather than a closed drop-down.
      select.size = words.length && count > 1 ? Math.min(count + 1, 8) : 0;
      if (first && words.length) {
        select.value = first.value;
      }
    });
    input.addEventListener("keydown", function (event) {
      // Enter takes the first match; in a longer form (registration) it does not send it.
      if (event.key === "Enter" && !input.form.classList.contains("zone-form")) {
        event.preventDefault();
      }
    });
  }
  document.querySelectorAll("input[data-zone-filter]").forEach(setUp);
})();
