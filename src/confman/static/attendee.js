// Join buttons on the attendee's page and the join gate: count down to the join window and
// switch the button on when it opens, without a reload. The server decides at the gate in any
// case; this only saves a click on a button that would say "not yet". Without the script the
// page says when the window opens, and the link works from then on.
(function () {
  "use strict";
  var items = document.querySelectorAll("[data-join]");
  if (!items.length) {
    return;
  }
  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }
  function left(ms) {
    var s = Math.max(0, Math.ceil(ms / 1000));
    var d = Math.floor(s / 86400);
    var h = Math.floor((s % 86400) / 3600);
    var m = Math.floor((s % 3600) / 60);
    return (d ? d + "d " : "") + h + ":" + pad(m) + ":" + pad(s % 60);
  }
  function tick() {
    var now = Date.now();
    items.forEach(function (item) {
      var retry = item.getAttribute("data-reload-after");
      if (retry) {
        if (!item.dataset.since) {
          item.dataset.since = String(now);
        } else if (now - Number(item.dataset.since) >= Number(retry) * 1000) {
          window.location.reload();
        }
        return;
      }
      var opens = Date.parse(item.getAttribute("data-opens"));
      var closes = Date.parse(item.getAttribute("data-closes") || "");
      var countdown = item.querySelector("[data-countdown]");
      var button = item.querySelector(".join-button");
      var state = item.getAttribute("data-state");
      if (now < opens) {
        if (countdown) {
          countdown.textContent = "(" + left(opens - now) + ")";
        }
        return;
      }
      if (state === "early") {
        if (item.hasAttribute("data-reload")) {
          // The gate page: ask the server again, which now sends the attendee in.
          window.location.reload();
          return;
        }
        item.setAttribute("data-state", "open");
        if (button) {
          button.removeAttribute("aria-disabled");
          button.classList.add("button-primary");
        }
        var status = item.querySelector(".join-status");
        if (status) {
          status.textContent = item.getAttribute("data-open-label") || "";
        }
      }
      if (!isNaN(closes) && now >= closes && item.getAttribute("data-state") === "open") {
        item.setAttribute("data-state", "ended");
        if (button) {
          button.setAttribute("aria-disabled", "true");
          button.classList.remove("button-primary");
        }
      }
    });
  }
  tick();
  window.setInterval(tick, 1000);
})();
