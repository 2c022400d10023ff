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
    if (at === -1) {
      picks.push(slug);
    } else {
      picks.splice(at, 1);
    }
    save(picks);
    render();
  }

  // The link to the picks page, beside the conference's sections.
  var sections = document.querySelector("nav.sections ul");
  var item = document.createElement(sections ? "li" : "p");
  var link = document.createElement("a");
  link.id = "my-picks-link";
  item.appendChild(link);
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
  // Another tab changed the picks: show them here too.
  window.addEventListener("storage", function (event) {
    if (event.key === key) {
      render();
    }
  });
})();
