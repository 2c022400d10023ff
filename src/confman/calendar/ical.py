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
- Meeting URLs of streams and sessions are secrets and are not even in the read model
  this module takes. A personal join URL appears only when the caller passes it in
  ``join_links``.
- There is no ``METHOD``: a published feed is not an iTIP message.

How it is written: icalendar generates the ``VTIMEZONE`` (and escapes every TEXT value,
through its ``vText``), but events are written as content lines here rather than through
icalendar's component model, which cost 0.3–0.6 ms an event (a cold 200-session feed
took 58–116 ms, against a budget of 50 ms for loading and building it). The output is
what icalendar wrote: CRLF line ends, lines folded at 75 octets between UTF-8
characters, TEXT escaped (``\\`` ``;`` ``,`` and line breaks), the properties in
icalendar's order (its canonical ones, then by name). Serialized events are cached by
session revision, so a rebuild after one change writes one event.

The labels in the text ("Cancelled: ", "Speakers", "Moderator", "Chair", "Join") come from
the interface's gettext catalogues, in the language of the feed.
"""

from __future__ import annotations

import functools
import re
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from babel.support import NullTranslations
from icalendar import Timezone
from icalendar.parser import Parameters
from icalendar.prop import vText

from confman.db.models import SpeakerRole
from confman.lib.countries import country_name
from confman.lib.i18n import translations, ui_language
from confman.lib.timezones import get_zone, to_zone
from confman.lib.translations import pick
from confman.lib.urls import conference_url, session_url
from confman.published.model import PublicConference, PublicSession

PRODID = "-//confman//confman//EN"
# How often subscribers should refresh (REFRESH-INTERVAL, X-PUBLISHED-TTL): an RFC 5545 DURATION.
REFRESH_INTERVAL = "PT1H"

# RFC 5545 TEXT allows HTAB but no other control character; line breaks become "\n".
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# A URI has no control characters at all (a line break would end the content line).
_URI_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_CRLF = b"\r\n"
_END = b"END:VCALENDAR\r\n"


def session_uid(session: PublicSession) -> str:
    """The session's iCalendar UID: stable forever, the same in every feed, no personal data."""
    return f"{session.guid}@confman"


def build_calendar(
    conference: PublicConference,
    sessions: Sequence[PublicSession],
    *,
    base_url: str,
    name: str,
    source_url: str,
    language: str | None = None,
    join_links: Mapping[int, str] | None = None,
    label_language: str | None = None,
) -> bytes:
    """A VCALENDAR of ``sessions`` (from the published read model), as RFC 5545 bytes.

    ``language`` chooses the titles, abstracts, track and country names and the labels
    (falling back to the conference's default language); ``label_language`` the labels
    alone, when the reader's language is one the interface speaks but the content does not;
    ``join_links`` maps a session's ``id`` to the viewer's personal join URL, for the viewer's
    own calendar only.
    """
    zone_name = conference.timezone
    duration = REFRESH_INTERVAL.encode()
    head = [
        b"BEGIN:VCALENDAR",
        b"VERSION:2.0",
        b"PRODID:" + PRODID.encode(),
        b"CALSCALE:GREGORIAN",
        b"NAME:" + _text(name),
        b"X-WR-CALNAME:" + _text(name),
        b"REFRESH-INTERVAL;VALUE=DURATION:" + duration,
        b"SOURCE;VALUE=URI:" + _uri(source_url),
        b"URL:" + _uri(conference_url(base_url, conference.slug)),
        b"X-PUBLISHED-TTL:" + duration,
        b"X-WR-TIMEZONE:" + _text(zone_name),
    ]
    first, last = _date_range(conference, sessions)
    vtimezone = _vtimezone(zone_name, date(first.year, 1, 1), date(last.year + 1, 1, 1))
    label_code = ui_language(label_language or language or conference.default_language)
    labels = translations(label_code)
    events = [
        _event_bytes(
            conference,
            session,
            base_url=base_url,
            language=language,
            join_url=join_links.get(session.id) if join_links else None,
            labels=labels,
            label_code=label_code,
        )
        for session in sessions
    ]
    return b"".join(fold(line) + _CRLF for line in head) + vtimezone + b"".join(events) + _END


def fold(line: bytes) -> bytes:
    """One content line folded at 75 octets (RFC 5545 §3.1), never inside a UTF-8 character.

    icalendar's own folding walks each line character by character and took half the
    time of a 200-session feed; this slices the encoded line instead, backing off so that
    no UTF-8 sequence is split.
    """
    if len(line) <= 75:
        return line
    parts = []
    start, limit = 0, 75
    while len(line) - start > limit:
        cut = start + limit
        while line[cut] & 0xC0 == 0x80:  # a UTF-8 continuation byte: cut before its lead byte
            cut -= 1
        parts.append(line[start:cut])
        # Continuation lines start with a space, which counts towards their 75 octets.
        start, limit = cut, 74
    parts.append(line[start:])
    return b"\r\n ".join(parts)


# Serialized events by everything they show: a session's revision rises with every public
# change to it (its speakers, track and stream included), so a rebuild after one change
# renders one event, not the whole programme. The labels follow from the language.
_EVENT_CACHE: OrderedDict[tuple[object, ...], bytes] = OrderedDict()
_EVENT_CACHE_SIZE = 8192


def _event_bytes(
    conference: PublicConference,
    session: PublicSession,
    *,
    base_url: str,
    language: str | None,
    join_url: str | None,
    labels: NullTranslations,
    label_code: str,
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
        label_code,
        join_url,
    )
    cached = _EVENT_CACHE.get(key)
    if cached is not None:
        _EVENT_CACHE.move_to_end(key)
        return cached
    lines = _event_lines(conference, session, base_url=base_url, language=language, join_url=join_url, labels=labels)
    rendered = b"".join(fold(line) + _CRLF for line in lines)
    _EVENT_CACHE[key] = rendered
    if len(_EVENT_CACHE) > _EVENT_CACHE_SIZE:
        _EVENT_CACHE.popitem(last=False)
    return rendered


def _event_lines(
    conference: PublicConference,
    session: PublicSession,
    *,
    base_url: str,
    language: str | None,
    join_url: str | None,
    labels: NullTranslations,
) -> list[bytes]:
    """The VEVENT's content lines, unfolded, in icalendar's order."""
    zone = get_zone(conference.timezone)
    page = session_url(base_url, conference.slug, session.slug)
    title = pick(session.title, language, conference.default_language)[0]
    if session.cancelled:
        title = labels.gettext("Cancelled: ") + title
    changed = _utc_stamp(session.changed_at)
    lines = [
        b"BEGIN:VEVENT",
        b"SUMMARY:" + _text(title),
        _date_time(b"DTSTART", session.starts_at, zone),
        _date_time(b"DTEND", session.ends_at, zone),
        b"DTSTAMP:" + changed,
        b"UID:" + session_uid(session).encode(),
        b"SEQUENCE:" + str(session.revision).encode(),
    ]
    if session.track is not None:
        lines.append(b"CATEGORIES:" + _text(pick(session.track.name, language, conference.default_language)[0]))
    if join_url is not None:
        parameters = Parameters({"VALUE": "URI", "FEATURE": "VIDEO", "LABEL": labels.gettext("Join")})
        lines.append(b"CONFERENCE;" + parameters.to_ical() + b":" + _uri(join_url))
    lines += [
        b"CREATED:" + _utc_stamp(session.created_at),
        b"DESCRIPTION:" + _text(_description(conference, session, page, language, join_url, labels)),
        b"LAST-MODIFIED:" + changed,
    ]
    if join_url is not None:
        lines.append(b"LOCATION:" + _text(join_url))
    elif session.stream is not None:
        lines.append(b"LOCATION:" + _text(session.stream.name))
    lines += [
        b"STATUS:" + (b"CANCELLED" if session.cancelled else b"CONFIRMED"),
        b"URL:" + _uri(page),
        b"END:VEVENT",
    ]
    return lines


# The order in which the people of a session are introduced, and how each group is labelled.
_ROLE_ORDER = (SpeakerRole.SPEAKER, SpeakerRole.MODERATOR, SpeakerRole.CHAIR)


def _description(
    conference: PublicConference,
    session: PublicSession,
    page: str,
    language: str | None,
    join_url: str | None,
    labels: NullTranslations,
) -> str:
    country_language = language or conference.default_language
    people: dict[SpeakerRole, list[str]] = {role: [] for role in _ROLE_ORDER}
    for slot in session.speakers:
        speaker = slot.speaker
        if speaker.country:
            people[slot.role].append(f"{speaker.name} ({country_name(speaker.country, country_language)})")
        else:
            people[slot.role].append(speaker.name)
    groups = [f"{_role_label(role, len(names), labels)}: {', '.join(names)}" for role, names in people.items() if names]
    abstract = pick(session.abstract, language, conference.default_language)[0].strip()
    parts = [
        f"{labels.gettext('Join')}: {join_url}" if join_url else "",
        abstract,
        " · ".join(groups),
        page,
    ]
    return "\n\n".join(part for part in parts if part)


def _role_label(role: SpeakerRole, count: int, labels: NullTranslations) -> str:
    if role is SpeakerRole.MODERATOR:
        return labels.ngettext("Moderator", "Moderators", count)
    if role is SpeakerRole.CHAIR:
        return labels.ngettext("Chair", "Chairs", count)
    return labels.gettext("Speakers")


def _text(value: str) -> bytes:
    """A TEXT value: "\\n" line breaks and no other control characters, escaped by icalendar."""
    return vText(_CONTROL_RE.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))).to_ical()


def _uri(value: str) -> bytes:
    return _URI_CONTROL_RE.sub("", value).encode()


def _date_time(name: bytes, value: datetime, zone: ZoneInfo) -> bytes:
    """``value`` as wall-clock time in ``zone`` (``TZID=…``), or in UTC when that is ambiguous.

    In the hour repeated when summer time ends (01:30 in London on 2027-10-31 happens
    twice), a local time cannot say which occurrence it means: RFC 5545 says the first,
    but parsers differ (ical.js takes the second). UTC says it exactly.
    """
    local = value.astimezone(zone)
    if zone.utcoffset(local) != zone.utcoffset(local.replace(fold=1 - local.fold)):
        return name + b":" + _utc_stamp(value)
    return b"%s;TZID=%s:%s" % (name, zone.key.encode(), _basic(local))


def _utc_stamp(value: datetime) -> bytes:
    return _basic(value.astimezone(UTC)) + b"Z"


def _basic(value: datetime) -> bytes:
    """RFC 5545's DATE-TIME form, 20271113T080000 (a quarter of strftime's cost; whole seconds)."""
    return b"%04d%02d%02dT%02d%02d%02d" % (value.year, value.month, value.day, value.hour, value.minute, value.second)


def _date_range(conference: PublicConference, sessions: Sequence[PublicSession]) -> tuple[date, date]:
    """The first and last local day the calendar touches (the conference's days at least)."""
    days = [conference.starts_on, conference.ends_on]
    for session in sessions:
        days.append(to_zone(session.starts_at, conference.timezone).date())
        days.append(to_zone(session.ends_at, conference.timezone).date())
    return min(days), max(days)


@functools.lru_cache(maxsize=64)
def _vtimezone(zone_name: str, first_date: date, last_date: date) -> bytes:
    """The zone's VTIMEZONE for whole years, from zoneinfo, serialized (slow to build, so cached)."""
    component = Timezone.from_tzid(zone_name, first_date=first_date, last_date=last_date)
    return b"".join(fold(line.encode()) + _CRLF for line in component.content_lines() if line)
