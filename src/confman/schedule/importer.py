"""Import a frab/c3voc ``schedule.json`` (as pretalx, frab and confman export it) into a conference.

The file is read and checked completely before anything is written; then rooms become
streams, tracks tracks, persons speakers and events confirmed sessions, each through its
domain service, so every rule the API enforces holds for imported data as well. The import
only flushes: on :class:`FrabImportError` the caller rolls back and nothing stays.

What real files get wrong, and how it is handled:

- ``time_zone_name`` may disagree with the offsets in the events' ``date`` (pretalx's demo
  says "UTC" while every date carries +01:00): the offsets win. ``time_zone_name`` (or, if it
  is no known zone, the conference's) only serves dates without an offset;
- rooms may share a guid (pretalx's demo again): rooms are told apart by name, and each
  becomes a stream of its own; the first keeps the guid, the second gets a new one;
- guids (events, rooms, persons) are kept where they are still free in this database, so
  apps' favourites survive a move from pretalx; a guid already used (say, by the conference
  the file was exported from) is replaced by a new one;
- persons carry no country; imported speakers have none (``Speaker.country`` is null)
  until an organiser sets it;
- titles keep their text with runs of whitespace collapsed; abstracts join the event's
  subtitle, abstract and description. Texts go into the conference's default language.
"""

from __future__ import annotations

import json
import re
import unicodedata
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, NoReturn

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from confman.conferences.schemas import StreamCreate, TrackCreate
from confman.conferences.services import StreamService, TrackService
from confman.db.models import (
    Conference,
    ConferenceSession,
    SessionKind,
    SessionStatus,
    Speaker,
    Stream,
    Track,
)
from confman.lib.errors import FieldError
from confman.lib.languages import is_known_language
from confman.lib.timezones import get_zone, is_known_zone, to_zone
from confman.programme.schemas import SessionCreate, SessionSpeakerIn
from confman.programme.services import MAX_SESSION_LENGTH, SessionService
from confman.speakers.schemas import SpeakerCreate
from confman.speakers.services import SpeakerService

SLUG_MAX = 64
_IDENTIFIER_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CLOCK_RE = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])(?::([0-5][0-9]))?$")
_DURATION_RE = re.compile(r"^([0-9]{1,3}):([0-5][0-9])(?::([0-5][0-9]))?$")
_COLOUR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
# A country SpeakerCreate accepts, used only to validate the other fields (see _speaker_create).
_VALIDATION_COUNTRY = "GB"

# frab/pretalx event types (free text) → confman's kinds; first match wins.
_KIND_WORDS: tuple[tuple[str, SessionKind], ...] = (
    ("keynote", SessionKind.KEYNOTE),
    ("panel", SessionKind.PANEL),
    ("workshop", SessionKind.WORKSHOP),
    ("hands-on", SessionKind.WORKSHOP),
    ("tutorial", SessionKind.WORKSHOP),
    ("discussion", SessionKind.DISCUSSION),
    ("meeting", SessionKind.DISCUSSION),
    ("break", SessionKind.BREAK),
    ("pause", SessionKind.BREAK),
    ("talk", SessionKind.TALK),
    ("lecture", SessionKind.TALK),
    ("lightning", SessionKind.TALK),
    ("presentation", SessionKind.TALK),
)


class FrabImportError(ValueError):
    """The file cannot be imported; the message names the JSON path and the problem."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


async def import_frab_schedule(db: AsyncSession, conference: Conference, data: Any) -> int:
    """Add the schedule in ``data`` (parsed JSON) to ``conference``; the number of sessions created.

    Raises :class:`FrabImportError` on any problem, after which the caller must roll back.
    """
    parsed = _parse(conference, data)
    return await _Writer(db, conference, parsed).write()


# --- reading the file -------------------------------------------------------------------


@dataclass(frozen=True)
class _Node:
    """A value in the file with its JSON path, for error messages."""

    value: Any
    path: str

    def fail(self, problem: str) -> NoReturn:
        raise FrabImportError(self.path or "(document)", problem)

    def child(self, key: str) -> _Node:
        value = self.object().get(key)
        if not self.path:
            return _Node(value, key)
        if _IDENTIFIER_RE.match(key):
            return _Node(value, f"{self.path}.{key}")
        return _Node(value, f"{self.path}[{json.dumps(key, ensure_ascii=False)}]")

    def items(self) -> Iterator[_Node]:
        for index, value in enumerate(self.array()):
            yield _Node(value, f"{self.path}[{index}]")

    @property
    def missing(self) -> bool:
        return self.value is None

    def object(self) -> dict[str, Any]:
        if not isinstance(self.value, dict):
            self.fail("not an object" if self.value is not None else "missing")
        return self.value

    def array(self) -> list[Any]:
        if not isinstance(self.value, list):
            self.fail("not an array" if self.value is not None else "missing")
        return self.value

    def string(self) -> str:
        if not isinstance(self.value, str):
            self.fail("not a string" if self.value is not None else "missing")
        return self.value

    def optional_string(self) -> str:
        """The string, or "" for a missing or null value."""
        return "" if self.value is None else self.string()

    def optional_integer(self) -> int | None:
        if self.value is None:
            return None
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            self.fail("not an integer")
        return self.value

    def optional_uuid(self) -> uuid.UUID | None:
        if self.value is None or self.value == "":
            return None
        try:
            return uuid.UUID(self.string())
        except ValueError:
            self.fail("not a UUID")

    def datetime(self, zone: str) -> datetime:
        try:
            value = datetime.fromisoformat(self.string())
        except ValueError:
            self.fail("not an ISO 8601 date-time such as 2020-12-14T09:00:00+01:00")
        if value.tzinfo is None:
            value = value.replace(tzinfo=get_zone(zone))
        return value

    def date(self) -> date:
        try:
            return date.fromisoformat(self.string())
        except ValueError:
            self.fail("not a date (YYYY-MM-DD)")

    def clock(self) -> time:
        match = _CLOCK_RE.match(self.string())
        if match is None:
            self.fail("not HH:MM")
        return time(int(match[1]), int(match[2]), int(match[3] or 0))

    def duration(self) -> timedelta:
        match = _DURATION_RE.match(self.string())
        if match is None:
            self.fail("not H:MM")
        return timedelta(hours=int(match[1]), minutes=int(match[2]), seconds=int(match[3] or 0))


@dataclass
class _Room:
    name: str
    path: str
    guid: uuid.UUID | None = None


@dataclass
class _Track:
    name: str
    path: str
    color: str | None = None


@dataclass
class _Person:
    name: str
    path: str
    guid: uuid.UUID | None
    bio: str


@dataclass
class _Event:
    path: str
    guid: uuid.UUID | None
    slug: str
    title: str
    abstract: str
    kind: SessionKind
    language: str | None
    track: str | None
    room: str
    starts_at: datetime
    ends_at: datetime
    persons: list[str] = field(default_factory=list)


@dataclass
class _Parsed:
    rooms: dict[str, _Room] = field(default_factory=dict)
    tracks: dict[str, _Track] = field(default_factory=dict)
    persons: dict[str, _Person] = field(default_factory=dict)
    events: list[_Event] = field(default_factory=list)


def _parse(conference: Conference, data: Any) -> _Parsed:
    root = _Node(data, "")
    schedule = root.child("schedule")
    header = schedule.child("conference")
    header.object()
    acronym = header.child("acronym").optional_string()
    zone_name = header.child("time_zone_name").optional_string()
    # Offsets in the dates win; the zone only serves dates without one.
    zone = zone_name if is_known_zone(zone_name) else conference.timezone
    parsed = _Parsed()
    rooms_node = header.child("rooms")
    if not rooms_node.missing:
        for room_node in rooms_node.items():
            name = _line(room_node.child("name"))
            guid = room_node.child("guid").optional_uuid()
            parsed.rooms.setdefault(name, _Room(name, room_node.path, guid))
    tracks_node = header.child("tracks")
    if not tracks_node.missing:
        for track_node in tracks_node.items():
            name = _line(track_node.child("name"))
            colour = track_node.child("color").value
            color = colour if isinstance(colour, str) and _COLOUR_RE.match(colour) else None
            parsed.tracks.setdefault(name, _Track(name, track_node.path, color))
    for day_node in header.child("days").items():
        day_date_node = day_node.child("date")
        day_date = None if day_date_node.missing else day_date_node.date()
        rooms = day_node.child("rooms")
        for room_name, _events in rooms.object().items():
            room_node = rooms.child(room_name)
            name = _normalise_line(room_name)
            if not name:
                room_node.fail("a room needs a name")
            parsed.rooms.setdefault(name, _Room(name, room_node.path))
            for event_node in room_node.items():
                event = _event(conference, event_node, parsed, room=name, acronym=acronym, zone=zone, day=day_date)
                parsed.events.append(event)
    return parsed


def _event(
    conference: Conference, node: _Node, parsed: _Parsed, *, room: str, acronym: str, zone: str, day: date | None
) -> _Event:
    node.object()
    guid = node.child("guid").optional_uuid()
    number = node.child("id").optional_integer()
    title = _line(node.child("title"))
    texts: list[str] = []
    for key in ("subtitle", "abstract", "description"):
        text = node.child(key).optional_string().strip()
        if text and text not in texts:
            texts.append(text)
    kind = _kind(node.child("type").optional_string())
    language = _spoken_language(node.child("language"))
    track = _normalise_line(node.child("track").optional_string()) or None
    if track is not None:
        parsed.tracks.setdefault(track, _Track(track, node.child("track").path))
    node.child("room").optional_string()
    starts_at, ends_at = _times(conference, node, zone=zone, day=day)
    persons: list[str] = []
    for person_node in _optional_items(node.child("persons")):
        key = _person(person_node, parsed)
        if key not in persons:
            persons.append(key)
    return _Event(
        path=node.path,
        guid=guid,
        slug=_session_slug_hint(node.child("slug").optional_string(), acronym=acronym, number=number, title=title),
        title=title,
        abstract="\n\n".join(texts),
        kind=kind,
        language=language,
        track=track,
        room=room,
        starts_at=starts_at,
        ends_at=ends_at,
        persons=persons,
    )


def _times(conference: Conference, node: _Node, *, zone: str, day: date | None) -> tuple[datetime, datetime]:
    start_node, date_node = node.child("start"), node.child("date")
    clock = None if start_node.missing else start_node.clock()
    if not date_node.missing:
        starts_at = date_node.datetime(zone)
    elif clock is not None and day is not None:
        starts_at = datetime.combine(day, clock, tzinfo=get_zone(zone))
    else:
        date_node.fail("missing (and no start with the day's date to go by)")
    end_node, duration_node = node.child("end"), node.child("duration")
    if not end_node.missing:
        ends_at, length_node = end_node.datetime(zone), end_node
    else:
        ends_at, length_node = starts_at + duration_node.duration(), duration_node
    if ends_at <= starts_at:
        length_node.fail("the event must end after it starts")
    if ends_at - starts_at > MAX_SESSION_LENGTH:
        length_node.fail("a session may last at most 24 hours")
    local_day = to_zone(starts_at, conference.timezone).date()
    if not conference.starts_on <= local_day <= conference.ends_on:
        (date_node if not date_node.missing else start_node).fail(
            f"falls on {local_day.isoformat()} in {conference.timezone}, outside the conference "
            f"({conference.starts_on.isoformat()} to {conference.ends_on.isoformat()})"
        )
    return starts_at, ends_at


def _person(node: _Node, parsed: _Parsed) -> str:
    """Register the person; their key in ``parsed.persons``."""
    node.object()
    name_node = node.child("name")
    if name_node.missing:
        name_node = node.child("public_name")
    if name_node.missing:
        node.fail("a person needs a name or public_name")
    name = _line(name_node)
    guid = node.child("guid").optional_uuid()
    number = node.child("id").optional_integer()
    code = node.child("code").optional_string()
    if guid is not None:
        key = f"guid:{guid}"
    elif number is not None:
        key = f"id:{number}"
    elif code:
        key = f"code:{code}"
    else:
        key = f"name:{name}"
    bio = node.child("biography").optional_string().strip()
    parsed.persons.setdefault(key, _Person(name, node.path, guid, bio))
    return key


def _optional_items(node: _Node) -> Iterator[_Node]:
    if node.missing:
        return iter(())
    return node.items()


def _normalise_line(value: str) -> str:
    return " ".join(value.split())


def _line(node: _Node) -> str:
    value = _normalise_line(node.string())
    if not value:
        node.fail("empty")
    return value


def _kind(value: str) -> SessionKind:
    lowered = value.strip().lower()
    try:
        return SessionKind(lowered)
    except ValueError:
        pass
    for word, kind in _KIND_WORDS:
        if word in lowered:
            return kind
    return SessionKind.TALK if not lowered else SessionKind.OTHER


def _spoken_language(node: _Node) -> str | None:
    raw = node.optional_string().strip()
    if not raw:
        return None
    parts = re.split(r"[-_]", raw)
    candidates = [parts[0].lower()]
    if len(parts) > 1:
        candidates.insert(0, f"{parts[0].lower()}-{parts[1].upper()}")  # pt_br → pt-BR; de-formal → de
    for candidate in candidates:
        if is_known_language(candidate):
            return candidate
    node.fail(f"unknown language code {raw!r}")


def slugify(text: str) -> str:
    """ASCII slug (lowercase letters, digits, single hyphens); "" for text with no Latin letters."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:SLUG_MAX].strip("-")


def _session_slug_hint(slug: str, *, acronym: str, number: int | None, title: str) -> str:
    """The session slug inside a frab event slug ``<acronym>-<id>-<slug>``, else one from the title."""
    rest = slug.strip().lower()
    if acronym and rest.startswith(f"{acronym.lower()}-"):
        rest = rest[len(acronym) + 1 :]
        if number is not None and rest.startswith(f"{number}-"):
            rest = rest[len(str(number)) + 1 :]
    return slugify(rest) or slugify(title) or (f"session-{number}" if number is not None else "session")


# --- writing through the services ---------------------------------------------------------


def _unique(base: str, taken: set[str]) -> str:
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        suffix = f"-{number}"
        candidate = base[: SLUG_MAX - len(suffix)].rstrip("-") + suffix
    taken.add(candidate)
    return candidate


@contextmanager
def _at(path: str, fields: dict[str, str] | None = None) -> Iterator[None]:
    """Turn a schema or service error into a FrabImportError at ``path`` (and the field's key)."""
    try:
        yield
    except ValidationError as error:
        first = error.errors()[0]
        location = str(first["loc"][0]) if first["loc"] else ""
        key = (fields or {}).get(location, location)
        raise FrabImportError(f"{path}.{key}" if key else path, first["msg"]) from error
    except FieldError as error:
        raise FrabImportError(path, str(error.detail)) from error


class _Writer:
    def __init__(self, db: AsyncSession, conference: Conference, parsed: _Parsed) -> None:
        self.db = db
        self.conference = conference
        self.parsed = parsed
        self.language = conference.default_language

    async def write(self) -> int:
        streams = await self._streams()
        tracks = await self._tracks()
        speakers = await self._speakers()
        taken = set(
            await self.db.scalars(
                select(ConferenceSession.slug).where(ConferenceSession.conference_id == self.conference.id)
            )
        )
        free_guids = await self._free_guids(ConferenceSession.guid, [event.guid for event in self.parsed.events])
        service = SessionService(self.db)
        for event in self.parsed.events:
            with _at(event.path, {"title": "title", "abstract": "abstract", "language": "language"}):
                data = SessionCreate(
                    slug=_unique(event.slug, taken),
                    title={self.language: event.title},
                    abstract={self.language: event.abstract} if event.abstract else {},
                    kind=event.kind,
                    language=event.language,
                    track=tracks[event.track] if event.track else None,
                    stream=streams[event.room],
                    starts_at=event.starts_at,
                    ends_at=event.ends_at,
                    status=SessionStatus.CONFIRMED,
                    speakers=[SessionSpeakerIn(speaker=speakers[key]) for key in event.persons],
                )
                session = await service.create(self.conference, data)
            if event.guid in free_guids:
                free_guids.discard(event.guid)
                session.guid = event.guid
        await self.db.flush()
        return len(self.parsed.events)

    async def _free_guids(self, column: Any, guids: list[uuid.UUID | None]) -> set[uuid.UUID]:
        """The guids not yet used in the database (guids are unique across conferences)."""
        wanted = {guid for guid in guids if guid is not None}
        if not wanted:
            return set()
        used = set(await self.db.scalars(select(column).where(column.in_(wanted))))
        return wanted - used

    async def _streams(self) -> dict[str, str]:
        """Room name → new stream slug."""
        rooms = list(self.parsed.rooms.values())
        taken = set(await self.db.scalars(select(Stream.slug).where(Stream.conference_id == self.conference.id)))
        free_guids = await self._free_guids(Stream.guid, [room.guid for room in rooms])
        first_position = len(taken)
        service = StreamService(self.db)
        slugs: dict[str, str] = {}
        for position, room in enumerate(rooms, start=first_position):
            with _at(room.path, {"name": "name"}):
                data = StreamCreate(
                    slug=_unique(slugify(room.name) or "room", taken), name=room.name, position=min(position, 10_000)
                )
                stream = await service.create(self.conference, data)
            # Two rooms sharing a guid: the first keeps it, the second keeps its new one.
            if room.guid in free_guids:
                free_guids.discard(room.guid)
                stream.guid = room.guid
            slugs[room.name] = stream.slug
        return slugs

    async def _tracks(self) -> dict[str, str]:
        """Track name → new track slug."""
        taken = set(await self.db.scalars(select(Track.slug).where(Track.conference_id == self.conference.id)))
        service = TrackService(self.db)
        slugs: dict[str, str] = {}
        for position, track in enumerate(self.parsed.tracks.values(), start=len(taken)):
            with _at(track.path, {"name": "name"}):
                data = TrackCreate(
                    slug=_unique(slugify(track.name) or "track", taken),
                    name={self.language: track.name},
                    color=track.color,
                    position=min(position, 10_000),
                )
                created = await service.create(self.conference, data)
            slugs[track.name] = created.slug
        return slugs

    async def _speakers(self) -> dict[str, str]:
        """Person key → new speaker slug."""
        persons = self.parsed.persons
        taken = set(await self.db.scalars(select(Speaker.slug).where(Speaker.conference_id == self.conference.id)))
        free_guids = await self._free_guids(Speaker.guid, [person.guid for person in persons.values()])
        service = SpeakerService(self.db)
        slugs: dict[str, str] = {}
        for number, (key, person) in enumerate(persons.items(), start=1):
            slug = _unique(slugify(person.name) or f"speaker-{number}", taken)
            with _at(person.path, {"name": "name", "bio": "biography"}):
                speaker = await service.create(self.conference, _speaker_create(slug, person, self.language))
            if person.guid in free_guids:
                free_guids.discard(person.guid)
                speaker.guid = person.guid
            slugs[key] = speaker.slug
        return slugs


def _speaker_create(slug: str, person: _Person, language: str) -> SpeakerCreate:
    """A SpeakerCreate without a country, which frab does not carry.

    The API's SpeakerCreate rightly requires a country, so every other field is validated
    with a stand-in country, which is then taken away again. SpeakerService.create copes
    with a missing country (the zone stays unknown too).
    """
    validated = SpeakerCreate(
        slug=slug,
        name=person.name,
        country=_VALIDATION_COUNTRY,
        bio={language: person.bio} if person.bio else {},
    )
    return validated.model_copy(update={"country": None})


__all__ = ["FrabImportError", "import_frab_schedule", "slugify"]
