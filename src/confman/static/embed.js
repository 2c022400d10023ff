// The embedded programme opens its links outside the frame (<base target="_blank">), except
// the links within the page (day tabs, "#session-…"): those stay in the frame.
(function () {
  "use strict";
  var links = document.querySelectorAll('a[href^="#"]');
  for (var i = 0; i < links.length; i += 1) {
    links[i].setAttribute("target", "_self");
  }
})();
