// The viewer's time zone, detected once: pages are rendered on the server in the zone of
// the "tz" cookie (or the conference's), so without the cookie we set it from the browser
// and reload once. An explicit choice (?tz= or the picker) sets the cookie on the server
// and is never overridden. Pages work without this script, in the conference's zone.
(function () {
  "use strict";
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (error) {
    return;
  }
  if (!zone || !/^[A-Za-z0-9_+\-\/]+$/.test(zone)) {
    return;
  }
  if (/(?:^|;\s*)tz=/.test(document.cookie)) {
    return;
  }
  document.cookie = "tz=" + zone + "; path=/; max-age=31536000; samesite=lax";
  var shown = document.documentElement.getAttribute("data-zone");
  if (shown !== zone && !/[?&]tz=/.test(window.location.search) && /(?:^|;\s*)tz=/.test(document.cookie)) {
    window.location.reload();
  }
})();
