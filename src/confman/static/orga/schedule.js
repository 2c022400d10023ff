// The schedule builder's script. Without it every card's "Move" form and buttons do the same:
// this only fills in that form from a drag and drop or from the keyboard, and sends it with htmx.
(function () {
  "use strict";

  function board() { return document.getElementById("schedule-board"); }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function clock(minutes) { return pad(Math.floor(minutes / 60)) + ":" + pad(minutes % 60); }
  function minutesOf(text) { var p = text.split(":"); return parseInt(p[0], 10) * 60 + parseInt(p[1], 10); }
  // The one "Move a session" form, filled in with where the card is now.
  function formOf(card) {
    var form = document.getElementById("move-form");
    if (!form) { return null; }
    form.elements.session.value = card.getAttribute("data-session");
    form.elements.day.value = card.getAttribute("data-day");
    form.elements.start.value = card.getAttribute("data-start");
    form.elements.duration.value = card.getAttribute("data-duration");
    form.elements.stream.value = card.getAttribute("data-stream");
    return form;
  }
  var lastCard = null;

  function send(card, form) {
    lastCard = card.id;
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
  }

  // Move a card's start by `delta` minutes (the day follows when it crosses midnight).
  function shift(form, delta) {
    var start = minutesOf(form.elements.start.value) + delta;
    var day = new Date(form.elements.day.value + "T00:00:00Z");
    while (start < 0) { start += 1440; day.setUTCDate(day.getUTCDate() - 1); }
    while (start >= 1440) { start -= 1440; day.setUTCDate(day.getUTCDate() + 1); }
    form.elements.start.value = clock(start);
    form.elements.day.value = day.toISOString().slice(0, 10);
  }

  function streams() {
    return Array.prototype.map.call(document.querySelectorAll(".grid-head[data-col]"), function (h) {
      return h.getAttribute("data-stream");
    });
  }

  // Drag and drop: the column under the pointer gives the stream, the row the start.
  var grabOffset = 0;
  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest(".card");
    if (!card) { return; }
    grabOffset = event.clientY - card.getBoundingClientRect().top;
    event.dataTransfer.setData("text/plain", card.getAttribute("data-session"));
    event.dataTransfer.effectAllowed = "move";
    card.classList.add("dragging");
  });
  document.addEventListener("dragend", function (event) {
    var card = event.target.closest && event.target.closest(".card");
    if (card) { card.classList.remove("dragging"); }
  });
  document.addEventListener("dragover", function (event) {
    var grid = event.target.closest && event.target.closest("[data-grid]");
    if (grid) { event.preventDefault(); event.dataTransfer.dropEffect = "move"; }
  });
  document.addEventListener("drop", function (event) {
    var grid = event.target.closest && event.target.closest("[data-grid]");
    if (!grid) { return; }
    event.preventDefault();
    var slug = event.dataTransfer.getData("text/plain");
    var card = document.getElementById("card-" + slug);
    var form = card && formOf(card);
    if (!form) { return; }
    var heads = grid.querySelectorAll(".grid-head[data-col]");
    var stream = null;
    Array.prototype.forEach.call(heads, function (head) {
      var box = head.getBoundingClientRect();
      if (event.clientX >= box.left && event.clientX < box.right) { stream = head.getAttribute("data-stream"); }
    });
    if (stream === null) { return; }
    var hour = grid.querySelector(".hour");
    var top = heads[0].getBoundingClientRect().bottom;
    var rowHeight = hour ? hour.getBoundingClientRect().height / 4 : 24;
    var step = parseInt(board().getAttribute("data-row-minutes"), 10);
    var row = Math.max(0, Math.round((event.clientY - grabOffset - top) / rowHeight));
    var start = parseInt(board().getAttribute("data-first-minute"), 10) + row * step;
    form.elements.day.value = board().getAttribute("data-day");
    form.elements.start.value = clock(Math.min(start, 1440 - step));
    form.elements.stream.value = stream;
    send(card, form);
  });

  // The keyboard: arrows move by a row or a stream, + and - change the length.
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var typing = target.closest && target.closest("input, select, textarea");
    if ((event.ctrlKey || event.metaKey) && !typing && (event.key === "z" || event.key === "Z" || event.key === "y")) {
      var redo = event.shiftKey || event.key === "y";
      var button = document.querySelector((redo ? "#schedule-redo" : "#schedule-undo") + " button");
      if (button && !button.disabled) { event.preventDefault(); button.form.requestSubmit(); }
      return;
    }
    if (!target.classList || !target.classList.contains("card")) { return; }
    var form = formOf(target);
    if (!form) { return; }
    var step = parseInt(board().getAttribute("data-row-minutes"), 10);
    if (event.key === "ArrowUp" || event.key === "ArrowDown") {
      shift(form, event.key === "ArrowUp" ? -step : step);
    } else if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
      var all = streams();
      var index = all.indexOf(form.elements.stream.value) + (event.key === "ArrowLeft" ? -1 : 1);
      if (index < 0 || index >= all.length) { return; }
      form.elements.stream.value = all[index];
    } else if (event.key === "+" || event.key === "-") {
      var duration = parseInt(form.elements.duration.value, 10) + (event.key === "+" ? step : -step);
      if (duration < 5) { return; }
      form.elements.duration.value = duration;
    } else {
      return;
    }
    event.preventDefault();
    send(target, form);
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest(".card-actions button");
    if (button) { lastCard = button.closest(".card").id; }
    // "Move" fills in the form below the grid and takes the keyboard there.
    var link = event.target.closest && event.target.closest("a.card-move");
    if (link) {
      var form = formOf(link.closest(".card"));
      if (form) { event.preventDefault(); form.elements.day.focus(); form.scrollIntoView({ block: "center" }); }
    }
  });

  // A refused move answers 400 with the grid and its messages: show it.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if ((status === 400 || status === 409) && event.detail.target && event.detail.target.id === "schedule-board") {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  // After a swap, the keyboard stays on the card that moved.
  document.addEventListener("htmx:afterSettle", function () {
    if (!lastCard) { return; }
    var card = document.getElementById(lastCard);
    if (card) { card.focus(); }
  });

  // Choosing a zone shows it at once.
  document.addEventListener("change", function (event) {
    if (event.target.hasAttribute && event.target.hasAttribute("data-autosubmit")) { event.target.form.submit(); }
  });
})();
