// A visitor's picks, without an account: a star on every element with data-session="<slug>"
// (session cards, the session page, the timetable's blocks), kept in this browser's
// localStorage per conference, and a "My picks (n)" link to the picks page, whose address
// holds the picks (/{conf}/programme/picks/?sessions=a,b), so it is also the share link.
// Without this script no star is shown (one that could not be kept would lie); the picks
// page has a plain form of checkboxes instead.
(function () {
  "use strict";
  var config = document.getElementById("picks-config");
  if (!config) {
    return;
  }
  var conf = config.getAttribute("data-conf");
  var key = "confman:picks:" + conf;
  var slugPattern = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
  // The picks feed and page take at most this many (published/picks.py, MAX_PICKS): a star
  // past it would make a link that answers 400.
  var max = parseInt(config.getAttribute("data-max"), 10) || 200;
  var storage;
  try {
    storage = window.localStorage;
    storage.setItem(key + ":probe", "1");
    storage.removeItem(key + ":probe");
  } catch (error) {
    return; // storage disabled: no star that cannot be kept
  }

  function load() {
    var picks;
    try {
      picks = JSON.parse(storage.getItem(key) || "[]");
    } catch (error) {
      picks = [];
    }
    if (!Array.isArray(picks)) {
      return [];
    }
    return picks.filter(function (slug) {
      return typeof slug === "string" && slugPattern.test(slug);
    });
  }

  function save(picks) {
    picks.sort();
    storage.setItem(key, JSON.stringify(picks));
  }

  function label(name, values) {
    return config.getAttribute("data-label-" + name).replace(/\{(\w+)\}/g, function (whole, field) {
      return Object.prototype.hasOwnProperty.call(values, field) ? values[field] : whole;
    });
  }

  function titleOf(element) {
    var title = element.getAttribute("data-title");
    if (title) {
      return title;
    }
    var heading = element.querySelector("h1, h2, h3, h4, a");
    return (heading || element).textContent.replace(/\s+/g, " ").trim();
  }

  var buttons = [];

  function render() {
    var picks = load();
    buttons.forEach(function (button) {
      var picked = picks.indexOf(button.getAttribute("data-pick")) !== -1;
      button.setAttribute("aria-pressed", picked ? "true" : "false");
      button.setAttribute(
        "aria-label",
        label(picked ? "remove" : "add", { title: button.getAttribute("data-pick-title") })
      );
      button.firstChild.textContent = picked ? "\u2605" : "\u2606";
    });
    var link = document.getElementById("my-picks-link");
    var href = config.getAttribute("data-picks-url");
    if (picks.length) {
      href += "?sessions=" + picks.map(encodeURIComponent).join(",");
    }
    link.setAttribute("href", href);
    link.textContent = label("link", { n: String(picks.length) });
  }

  function toggle(event) {
    var slug = event.currentTarget.getAttribute("data-pick");
    var picks = load();
    var at = picks.indexOf(slug);
    if (at === -1 && picks.length >= max) {
      status.textContent = label("full", { n: String(max) });
      return;
    }
    if (at === -1) {
      picks.push(slug);
    } else {
      picks.splice(at, 1);
    }
    status.textContent = "";
    save(picks);
    render();
  }

  // The link to the picks page, beside the conference's sections.
  var sections = document.querySelector("nav.sections ul");
  var item = document.createElement(sections ? "li" : "p");
  var link = document.createElement("a");
  link.id = "my-picks-link";
  item.appendChild(link);
  // Said by screen readers when a star is refused (the most picks there can be).
  var status = document.createElement("span");
  status.className = "picks-status";
  status.setAttribute("role", "status");
  item.appendChild(status);
  (sections || document.getElementById("main")).appendChild(item);

  Array.prototype.forEach.call(document.querySelectorAll("[data-session]"), function (element) {
    var slug = element.getAttribute("data-session");
    if (!slugPattern.test(slug)) {
      return;
    }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "pick-star";
    button.setAttribute("data-pick", slug);
    button.setAttribute("data-pick-title", titleOf(element));
    var icon = document.createElement("span");
    icon.setAttribute("aria-hidden", "true");
    button.appendChild(icon);
    button.addEventListener("click", toggle);
    element.insertBefore(button, element.firstChild);
    buttons.push(button);
  });

  render();
  // The picks page's form without picks in its address: start from the stored picks.
  var form = document.getElementById("picks-form");
  if (form && !/[?&]sessions=/.test(window.location.search)) {
    var stored = load();
    Array.prototype.forEach.call(form.querySelectorAll('input[name="sessions"]'), function (box) {
      box.checked = stored.indexOf(box.value) !== -1;
    });
  }
  // Someone's shared picks (the page's address holds them): offer to keep those not yet kept.
  var shared = form ? new URLSearchParams(window.location.search).get("sessions") : null;
  if (shared) {
    var offered = shared.split(",").filter(function (slug) {
      return slugPattern.test(slug) && load().indexOf(slug) === -1;
    });
    if (offered.length) {
      var keep = document.createElement("button");
      keep.type = "button";
      keep.id = "keep-picks";
      keep.className = "button";
      keep.textContent = label("keep", {});
      keep.addEventListener("click", function () {
        var picks = load();
        offered.forEach(function (slug) {
          if (picks.indexOf(slug) === -1 && picks.length < max) {
            picks.push(slug);
          }
        });
        save(picks);
        render();
        keep.remove();
      });
      var heading = document.querySelector("main h1");
      heading.parentNode.insertBefore(keep, heading.nextSibling);
    }
  }
  // Another tab changed the picks: show them here too.
  window.addEventListener("storage", function (event) {
    if (event.key === key) {
      render();
    }
  });
})();
