// Ordering tracks and streams by dragging (SortableJS). Without this script the page orders by
// its numbers and arrow buttons (plain forms); with it, a drop posts the whole new order at once.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');

  function announce(form, key) {
    var status = form.querySelector(".order-status");
    if (status) {
      status.textContent = status.getAttribute(key) || "";
    }
  }

  function renumber(list) {
    var items = list.querySelectorAll(":scope > li");
    items.forEach(function (item, index) {
      var input = item.querySelector('input[type="number"]');
      if (input) {
        input.value = String(index + 1);
      }
      var up = item.querySelector(".move-up");
      var down = item.querySelector(".move-down");
      if (up) { up.disabled = index === 0; }
      if (down) { down.disabled = index === items.length - 1; }
    });
  }

  function save(list, form) {
    var slugs = Array.prototype.map.call(list.querySelectorAll(":scope > li"), function (item) {
      return item.getAttribute("data-slug");
    });
    var body = new FormData();
    body.append("order", slugs.join(","));
    var token = form.querySelector('input[name="_csrf_token"]');
    if (token) {
      body.append("_csrf_token", token.value);
    }
    var headers = { "X-Requested-With": "fetch" };
    if (meta) {
      headers["X-CSRFToken"] = meta.getAttribute("content");
    }
    fetch(list.getAttribute("data-order-url"), {
      method: "POST", body: body, headers: headers, credentials: "same-origin"
    }).then(function (response) {
      announce(form, response.ok ? "data-saved" : "data-failed");
    }, function () {
      announce(form, "data-failed");
    });
  }

  function setUp(list) {
    var form = list.closest("form");
    if (!form || typeof Sortable === "undefined") {
      return;
    }
    document.documentElement.classList.add("js-sortable");
    Sortable.create(list, {
      handle: ".drag-handle",
      animation: 150,
      onEnd: function (event) {
        if (event.oldIndex === event.newIndex) { return; }
        renumber(list);
        save(list, form);
      }
    });
    // The arrow buttons move the item here and save, keeping the keyboard focus on the button.
    list.addEventListener("click", function (event) {
      var button = event.target.closest(".move-up, .move-down");
      if (!button || button.disabled) { return; }
      event.preventDefault();
      var item = button.closest("li");
      if (button.classList.contains("move-up") && item.previousElementSibling) {
        list.insertBefore(item, item.previousElementSibling);
      } else if (button.classList.contains("move-down") && item.nextElementSibling) {
        list.insertBefore(item.nextElementSibling, item);
      }
      renumber(list);
      if (button.disabled) {
        var other = item.querySelector(button.classList.contains("move-up") ? ".move-down" : ".move-up");
        if (other) { other.focus(); }
      } else {
        button.focus();
      }
      save(list, form);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("ol.orderable[data-order-url]").forEach(setUp);
  });
})();
