// The programme page: day links become tabs (the ARIA tabs pattern: arrows, Home and End
// move between days), and the timetable shows a "now" line from this browser's clock while
// the conference runs. The page itself holds nothing that depends on the time (the grids
// carry UTC instants in data attributes), so it stays cacheable; without this script every
// day is shown, one after the other, and the day links jump to them.
(function () {
  "use strict";
  var tabs = Array.prototype.slice.call(document.querySelectorAll(".day-tabs a[data-panel]"));
  var panels = tabs.map(function (tab) { return document.getElementById(tab.getAttribute("data-panel")); });

  function grid(panel) { return panel && panel.querySelector(".tt-grid[data-start]"); }

  function select(index, focus) {
    tabs.forEach(function (tab, i) {
      var chosen = i === index;
      tab.setAttribute("aria-selected", chosen ? "true" : "false");
      tab.tabIndex = chosen ? 0 : -1;
      panels[i].hidden = !chosen;
    });
    if (focus) { tabs[index].focus(); }
    drawNow();
  }

  // The day a link names: "#day-2027-11-14", or anything in its panel ("#session-…").
  function namedTab() {
    var hash = window.location.hash.slice(1);
    var target = hash && document.getElementById(hash);
    return target ? panels.findIndex(function (panel) { return panel.contains(target); }) : -1;
  }

  function initialTab() {
    var named = namedTab();
    if (named >= 0) { return named; }
    // The first day that has not ended yet: today's while the conference runs.
    var now = Date.now();
    var open = panels.findIndex(function (panel) {
      var g = grid(panel);
      return g && Date.parse(g.getAttribute("data-end")) > now;
    });
    return open >= 0 ? open : 0;
  }

  if (tabs.length > 1 && panels.every(Boolean)) {
    var list = tabs[0].closest("ul");
    list.setAttribute("role", "tablist");
    tabs.forEach(function (tab, i) {
      tab.parentNode.setAttribute("role", "presentation");
      tab.setAttribute("role", "tab");
      tab.setAttribute("aria-controls", panels[i].id);
      panels[i].setAttribute("role", "tabpanel");
      tab.addEventListener("click", function (event) {
        event.preventDefault();
        select(i, false);
        if (window.history.replaceState) { window.history.replaceState(null, "", tab.getAttribute("href")); }
      });
      tab.addEventListener("keydown", function (event) {
        var last = tabs.length - 1;
        var next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: last }[event.key];
        if (next === undefined) { return; }
        event.preventDefault();
        select(next < 0 ? last : next > last ? 0 : next, true);
      });
    });
    select(initialTab(), false);
    window.addEventListener("hashchange", function () {
      var named = namedTab();
      if (named >= 0) { select(named, false); }
    });
  }

  // The "now" line: across the grid whose span holds the present moment, at its place in
  // the hour row (each hour row carries its UTC start in data-at).
  function drawNow() {
    var now = Date.now();
    Array.prototype.forEach.call(document.querySelectorAll(".tt-grid[data-start]"), function (g) {
      var line = g.querySelector(".tt-now");
      var start = Date.parse(g.getAttribute("data-start"));
      var end = Date.parse(g.getAttribute("data-end"));
      var hours = g.querySelectorAll(".tt-hour[data-at]");
      if (!(now >= start && now < end) || !hours.length) {
        if (line) { line.parentNode.removeChild(line); }
        return;
      }
      var hour = null;
      var from = start;
      var until = end;
      for (var i = 0; i < hours.length; i++) {
        var at = Date.parse(hours[i].getAttribute("data-at"));
        var next = i + 1 < hours.length ? Date.parse(hours[i + 1].getAttribute("data-at")) : end;
        if (now >= at && now < next) { hour = hours[i]; from = at; until = next; break; }
      }
      if (!hour) { return; }
      if (!line) {
        line = document.createElement("div");
        line.className = "tt-now";
        line.setAttribute("aria-hidden", "true");
        g.appendChild(line);
      }
      // CSSOM, not a style attribute: the CSP allows it.
      line.style.top = (hour.offsetTop + hour.offsetHeight * (now - from) / (until - from)) + "px";
    });
  }

  drawNow();
  window.setInterval(drawNow, 30000);
  window.addEventListener("resize", drawNow);
})();
