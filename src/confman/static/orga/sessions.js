// The session form's speakers: move rows up and down in the page (without JavaScript the
// buttons post the form, which comes back reordered), and drag them with SortableJS.
// The order sent is the position numbers, which this keeps in step with the rows.
(function () {
  "use strict";
  var list = document.querySelector(".speaker-rows");
  if (!list) {
    return;
  }
  var live = document.getElementById("speaker-moves");

  function rows() {
    return Array.prototype.slice.call(list.querySelectorAll(":scope > .speaker-row"));
  }

  function renumber() {
    var all = rows();
    all.forEach(function (row, index) {
      var position = row.querySelector("input.position");
      if (position) {
        position.value = String(index + 1);
      }
      var number = row.querySelector(".row-number");
      if (number) {
        number.textContent = String(index + 1);
      }
      row.querySelectorAll("button.move").forEach(function (button) {
        var up = button.getAttribute("data-direction") === "up";
        button.disabled = up ? index === 0 : index === all.length - 1;
      });
    });
  }

  function announce(row) {
    if (!live) {
      return;
    }
    var select = row.querySelector("select");
    var name = select && select.selectedIndex > 0 ? select.options[select.selectedIndex].text : "";
    var number = row.querySelector(".row-number");
    live.textContent = (name ? name + ": " : "") + (number ? number.textContent : "");
  }

  list.addEventListener("click", function (event) {
    var button = event.target.closest("button.move");
    if (!button || !list.contains(button)) {
      return;
    }
    event.preventDefault();
    var row = button.closest(".speaker-row");
    if (button.getAttribute("data-direction") === "up") {
      if (row.previousElementSibling) {
        list.insertBefore(row, row.previousElementSibling);
      }
    } else if (row.nextElementSibling) {
      list.insertBefore(row.nextElementSibling, row);
    }
    renumber();
    announce(row);
    if (button.disabled) {
      var other = row.querySelector("button.move:not([disabled])");
      if (other) {
        other.focus();
      }
    } else {
      button.focus();
    }
  });

  // Typing positions by hand keeps working: the server orders by them.
  if (window.Sortable) {
    list.querySelectorAll(".drag-handle").forEach(function (handle) {
      handle.hidden = false;
    });
    window.Sortable.create(list, {
      handle: ".drag-handle",
      draggable: ".speaker-row",
      animation: 150,
      onEnd: function (event) {
        renumber();
        announce(event.item);
      },
    });
  }
})();
