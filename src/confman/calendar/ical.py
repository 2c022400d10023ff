"""The one iCalendar builder: every confman ``.ics`` comes from :func:`build_calendar`.

What calendar apps rely on, and how this module keeps it:

- ``UID`` is ``{session.guid}@confman`` in every feed (programme, one session, one
  speaker), so an event subscribed to twice is still one event and is updated in place.
- ``SEQUENCE`` is the session's revision and ``LAST-MODIFIED``/``DTSTAMP`` its change
  time, so an unchanged programme renders to the same bytes and a change is seen as one.
- Times are written in the conference's IANA zone (``TZID=Europe/London``) with a
  ``VTIMEZONE`` generated from zoneinfo for the years the sessions fall in; only a time
  in the hour repeated when summer time ends is written in UTC, as it is ambiguous.
- A cancelled session stays in the file with ``STATUS:CANCELLED`` (clients remove it)
  and a "Cancelled: " title (for clients that ignore STATUS).
- Meeting URLs of streams and sessions are secrets and are never read here. A personal
  join URL appears only when the caller passes it in ``join_links``.
- There is no ``METHOD``: a published feed is not an iTIP message.

Serialisation is icalendar's: CRLF line ends, lines folded at 75 octets between UTF-8
characters, and TEXT values escaped (``\\`` ``;`` ``,`` and newlines).
"""

from __future__ import annotations

import functools
import re
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Component, Event, Timezone
from icalendar.prop import vDuration, vText, vUri

from confman.db.models import Conference, ConferenceSession, SessionStatus
from confman.lib.countries import country_name
from confman.lib.timezones import get_zone, to_zone
from confman.lib.urls import conference_url, session_url

PRODID = "-//confman//confman//EN"
REFRESH_INTERVAL = timedelta(hours=1)
CANCELLED_PREFIX = "Cancelled: "
JOIN_LABEL = "Join"

# RFC 5545 TEXT allows HTAB but no other control character; line breaks become "\n".
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def session_uid(session: ConferenceSession) -> str:
    """The session's iCalendar UID: stable forever, the same in every feed, no personal data."""
    return f"{session.guid}@confman"


def build_calendar(
    conference: Conference,
    sessions: Sequence[ConferenceSession],
    *,
    base_url: str,
    name: str,
    source_url: str,
    language: str | None = None,
    join_links: Mapping[int, str] | None = None,
) -> bytes:
    """A VCALENDAR of ``sessions`` (drafts are left out), as RFC 5545 bytes.

    ``sessions`` need ``track``, ``stream`` and ``speaker_links`` → ``speaker`` loaded.
    ``language`` chooses the titles, abstracts, track and country names (falling back to
    the conference's default language); ``join_links`` maps a session id to the viewer's
    personal join URL, for the viewer's own calendar only.
    """
    zone_name = conference.timezone
    public = [session for session in sessions if session.status is not SessionStatus.DRAFT]
    calendar = Calendar()
    calendar.add("version", "2.0")
    calendar.add("prodid", PRODID)
    calendar.add("calscale", "GREGORIAN")
    calendar.add("name", vText(_clean(name)))
    calendar.add("x-wr-calname", vText(_clean(name)))
    calendar.add("refresh-interval", vDuration(REFRESH_INTERVAL), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH_INTERVAL))
    calendar.add("url", vUri(conference_url(base_url, conference.slug)))
    calendar.add("source", vUri(source_url), parameters={"VALUE": "URI"})
    calendar.add("x-wr-timezone", vText(zone_name))
    first, last = _date_range(conference, public)
    calendar.add_component(_vtimezone(zone_name, date(first.year, 1, 1), date(last.year + 1, 1, 1)))
    head = serialize(calendar)
    end = b"END:VCALENDAR\r\n"
    events = [
        _event_bytes(
            conference,
            session,
            base_url=base_url,
            language=language,
            join_url=join_links.get(session.id) if join_links else None,
        )
        for session in public
    ]
    return head.removesuffix(end) + b"".join(events) + end


def serialize(component: Component) -> bytes:
    """RFC 5545 bytes of a component: CRLF lines folded at 75 octets.

    icalendar's own folding walks each line character by character and took half the
    time of a 200-session feed; this folds the encoded line in slices instead, backing
    off so that no UTF-8 sequence is split.
    """
    return b"".join(fold(line) + b"\r\n" for line in component.content_lines() if line)


def fold(line: str) -> bytes:
    data = line.encode()
    if len(data) <= 75:
        return data
    parts = []
    start, limit = 0, 75
    while len(data) - start > limit:
        cut = start + limit
        while data[cut] & 0xC0 == 0x80:  # a UTF-8 continuation byte: cut before its lead byte
            cut -= 1
        parts.append(data[start:cut])
        # Continuation lines start with a space, which counts towards their 75 octets.
        start, limit = cut, 74
    parts.append(data[start:])
    return b"\r\n ".join(parts)


# Serialized events by everything they show: a session's revision rises with every public
# change to it (its speakers, track and stream included), so a rebuild after one change
# renders one event, not the whole programme.
_EVENT_CACHE: OrderedDict[tuple[object, ...], bytes] = OrderedDict()
_EVENT_CACHE_SIZE = 8192


def _event_bytes(
    conference: Conference,
    session: ConferenceSession,
    *,
    base_url: str,
    language: str | None,
    join_url: str | None,
) -> bytes:
    key = (
        session.guid,
        session.revision,
        session.changed_at,
        conference.slug,
        conference.timezone,
        conference.default_language,
        base_url,
        language,
        join_url,
    )
    cached = _EVENT_CACHE.get(key)
    if cached is not None:
        _EVENT_CACHE.move_to_end(key)
        return cached
    rendered = serialize(_event(conference, session, base_url=base_url, language=language, join_url=join_url))
    _EVENT_CACHE[key] = rendered
    if len(_EVENT_CACHE) > _EVENT_CACHE_SIZE:
        _EVENT_CACHE.popitem(last=False)
    return rendered


def _event(
    conference: Conference,
    session: ConferenceSession,
    *,
    base_url: str,
    language: str | None,
    join_url: str | None,
) -> Event:
    zone = get_zone(conference.timezone)
    page = session_url(base_url, conference.slug, session.slug)
    cancelled = session.status is SessionStatus.CANCELLED
    title = _clean(conference.text(session.title, language))

    event = Event()
    event.add("uid", session_uid(session))
    event.add("dtstamp", _utc(session.changed_at))
    event.add("dtstart", _zoned(session.starts_at, zone))
    event.add("dtend", _zoned(session.ends_at, zone))
    event.add("summary", vText(CANCELLED_PREFIX + title if cancelled else title))
    event.add("description", vText(_description(conference, session, page, language, join_url)))
    event.add("sequence", session.revision)
    event.add("created", _utc(session.created_at))
    event.add("last-modified", _utc(session.changed_at))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("url", vUri(page))
    if session.track is not None:
        event.add("categories", [_clean(conference.text(session.track.name, language))])
    if join_url is not None:
        event.add("location", vText(_clean(join_url)))
        event.add("conference", vUri(join_url), parameters={"VALUE": "URI", "FEATURE": "VIDEO", "LABEL": JOIN_LABEL})
    elif session.stream is not None:
        event.add("location", vText(_clean(session.stream.name)))
    return event


def _description(
    conference: Conference, session: ConferenceSession, page: str, language: str | None, join_url: str | None
) -> str:
    country_language = language or conference.default_language
    people = []
    for link in session.speaker_links:
        speaker = link.speaker
        if speaker.country:
            people.append(f"{speaker.name} ({country_name(speaker.country, country_language)})")
        else:
            people.append(speaker.name)
    parts = [
        f"Join: {join_url}" if join_url else "",
        conference.text(session.abstract, language).strip() if session.abstract else "",
        "Speakers: " + ", ".join(people) if people else "",
        page,
    ]
    return _clean("\n\n".join(part for part in parts if part))


def _clean(value: str) -> str:
    """Text as RFC 5545 TEXT can carry it: "\\n" line breaks, no other control characters."""
    return _CONTROL_RE.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def _zoned(value: datetime, zone: ZoneInfo) -> datetime:
    """``value`` as wall-clock time in ``zone`` (``TZID=…``), or in UTC when that is ambiguous.

    In the hour repeated when summer time ends (01:30 in London on 2027-10-31 happens
    twice), a local time cannot say which occurrence it means: RFC 5545 says the first,
    but parsers differ (ical.js takes the second). UTC says it exactly.
    """
    local = value.astimezone(zone)
    if local.replace(fold=0).utcoffset() != local.replace(fold=1).utcoffset():
        return value.astimezone(UTC)
    return local


def _utc(value: datetime) -> datetime:
    # iCalendar has whole seconds; dropping the fraction here keeps it out of every property.
    return value.astimezone(UTC).replace(microsecond=0)


def _date_range(conference: Conference, sessions: Sequence[ConferenceSession]) -> tuple[date, date]:
    """The first and last local day the calendar touches (the conference's days at least)."""
    days = [conference.starts_on, conference.ends_on]
    for session in sessions:
        days.append(to_zone(session.starts_at, conference.timezone).date())
        days.append(to_zone(session.ends_at, conference.timezone).date())
    return min(days), max(days)


@functools.lru_cache(maxsize=64)
def _vtimezone(zone_name: str, first_date: date, last_date: date) -> Timezone:
    """The zone's VTIMEZONE for whole years, from zoneinfo (slow to build, so cached; read-only)."""
    return Timezone.from_tzid(zone_name, first_date=first_date, last_date=last_date)
