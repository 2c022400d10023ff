// Reads an .ics file with Mozilla's ical.js (the parser Thunderbird uses) and prints its
// events as JSON, for tests/integration/test_ical.py:
//
//   node parse_ics.mjs FILE.ics
//
// Times are resolved only through the VTIMEZONE components in the file (ical.js ships no
// zone database), so a wrong VTIMEZONE shows up as a wrong instant. A date-time whose TZID
// has no VTIMEZONE would silently become floating time: that is reported as an error.

import { readFileSync } from "node:fs";
import ICAL from "ical.js";

function instant(time, what) {
  if (!time) {
    return null;
  }
  const zone = time.zone;
  const resolved = zone === ICAL.Timezone.utcTimezone || (zone && zone.component);
  if (!resolved) {
    throw new Error(`${what}: time zone ${zone ? zone.tzid : "(none)"} is not defined in the file`);
  }
  return time.toJSDate().toISOString();
}

function text(component, name) {
  const value = component.getFirstPropertyValue(name);
  return value === null ? null : String(value);
}

const path = process.argv[2];
if (!path) {
  console.error("usage: node parse_ics.mjs FILE.ics");
  process.exit(2);
}

const root = new ICAL.Component(ICAL.parse(readFileSync(path, "utf8")));
const events = root.getAllSubcomponents("vevent").map((component) => {
  const event = new ICAL.Event(component);
  const conference = component.getFirstProperty("conference");
  return {
    uid: event.uid,
    summary: event.summary,
    description: event.description,
    location: event.location,
    start_utc_iso: instant(event.startDate, `${event.uid} DTSTART`),
    end_utc_iso: instant(event.endDate, `${event.uid} DTEND`),
    start_tzid: event.startDate.zone.tzid,
    end_tzid: event.endDate.zone.tzid,
    status: text(component, "status"),
    sequence: event.sequence,
    url: text(component, "url"),
    categories: component.getAllProperties("categories").flatMap((property) => property.getValues().map(String)),
    conference: conference
      ? {
          uri: String(conference.getFirstValue()),
          feature: conference.getParameter("feature") ?? null,
          label: conference.getParameter("label") ?? null,
        }
      : null,
  };
});
process.stdout.write(JSON.stringify(events));
