"""The frab/c3voc schedule formats: ``schedule.json`` and ``schedule.xml`` for conference apps.

Both files are built from the same prepared :class:`_Schedule`, so they cannot disagree.
They validate against the C3VOC schemas in ``shared/schemas/`` (see its README for the
quirks). Only public data goes out: never a meeting URL, never a draft session.

Mapping:

- streams are rooms (room guid = stream guid); sessions without a stream share one room,
  "Online", whose guid is derived from the conference guid, so it never changes;
- event guid = session guid, event id = session id (a positive integer, stable);
- days are the conference's local calendar days (midnight to midnight in its zone),
  numbered from 1, and every time carries the zone's offset at that moment;
- titles, abstracts and track names are in the conference's default language unless a
  ``language`` is asked for; an event's ``language`` is the spoken language.

Cancelled sessions are left out, as pretalx and frab do. The format has no "cancelled"
flag: an app would show a cancelled talk as an ordinary one at its slot (a "[cancelled]"
title prefix survives only in apps that show titles in full). EventFahrplan compares each
new schedule with the one it had and itself shows sessions that disappeared as cancelled;
Giggity drops them and any reminder set on them. So leaving them out is what the apps
handle best.
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from confman.lib.timezones import get_zone, to_zone
from confman.lib.translations import pick
from confman.lib.urls import conference_url, session_url, speaker_url
from confman.lib.xml_documents import xml_bytes
from confman.published.model import PublicConference, PublicSession, PublicTrack, PublishedProgramme

SCHEMA_URL = "https://c3voc.de/schedule/schema.json"
GENERATOR = "confman"
ONLINE_ROOM_NAME = "Online"
TIMESLOT_DURATION = "00:05"

# The schema's own pattern for ``conference.time_zone_name`` (note: unanchored alternation).
_ZONE_NAME_RE = re.compile(r"^([A-Z][a-z]+/[A-Z][a-z]+)|UTC$")
# The schema's pattern for room and track slugs; the XSD's for track slugs.
_JSON_SLUG_RE = re.compile(r"^[a-z0-9_-]+[a-z0-9]$")
_XSD_TRACK_SLUG_RE = re.compile(r"^[a-z][a-z0-9-]+$")


def acronym(conference: PublicConference) -> str:
    """The conference slug as a frab acronym: ``climate-2027`` → ``climate_2027``.

    The schema allows hyphens only in a ``-YYYY-word`` suffix, and wants four characters.
    """
    return re.sub(r"[^a-z0-9_]", "_", conference.slug.lower()).ljust(4, "_")


def online_room_guid(conference: PublicConference) -> uuid.UUID:
    """The guid of the room for sessions without a stream: the same in every export."""
    return uuid.uuid5(conference.guid, "confman:room:online")


def build_schedule_json(
    programme: PublishedProgramme,
    *,
    base_url: str,
    version: str,
    language: str | None = None,
) -> dict[str, Any]:
    """The ``schedule.json`` document (frab/c3voc "schedule v1")."""
    schedule = _prepare(programme, base_url=base_url, language=language)
    conference = programme.conference
    conference_json: dict[str, Any] = {
        "acronym": schedule.acronym,
        "title": schedule.text(conference.title),
        "start": conference.starts_on.isoformat(),
        "end": conference.ends_on.isoformat(),
        "daysCount": len(schedule.days),
        "timeslot_duration": TIMESLOT_DURATION,
    }
    description = schedule.text(conference.description)
    if description:
        conference_json["description"] = description
    if schedule.time_zone_name is not None:
        conference_json["time_zone_name"] = schedule.time_zone_name
    conference_json["url"] = schedule.conference_url
    conference_json["rooms"] = [_room_json(room) for room in schedule.rooms]
    conference_json["tracks"] = [_track_json(schedule, track) for track in schedule.tracks]
    conference_json["days"] = [
        {
            "index": day.index,
            "date": day.date.isoformat(),
            "day_start": _instant(day.start),
            "day_end": _instant(day.end),
            "rooms": {
                room.name: [_event_json(schedule, event) for event in day.events[room.name]] for room in day.rooms
            },
        }
        for day in schedule.days
    ]
    return {
        "$schema": SCHEMA_URL,
        "generator": {"name": GENERATOR},
        "schedule": {
            "version": version,
            "base_url": schedule.base_url,
            "conference": conference_json,
        },
    }


def build_schedule_xml(
    programme: PublishedProgramme,
    *,
    base_url: str,
    version: str,
    language: str | None = None,
) -> bytes:
    """The ``schedule.xml`` document (pentabarf/frab XML), UTF-8 with an XML declaration."""
    schedule = _prepare(programme, base_url=base_url, language=language)
    conference = programme.conference
    root = ET.Element("schedule")
    ET.SubElement(root, "generator", name=GENERATOR)
    _text(root, "version", version)
    conference_xml = ET.SubElement(root, "conference")
    _text(conference_xml, "title", schedule.text(conference.title))
    _text(conference_xml, "acronym", schedule.acronym)
    _text(conference_xml, "start", conference.starts_on.isoformat())
    _text(conference_xml, "end", conference.ends_on.isoformat())
    _text(conference_xml, "days", str(len(schedule.days)))
    _text(conference_xml, "timeslot_duration", TIMESLOT_DURATION)
    _text(conference_xml, "base_url", schedule.base_url)
    _text(conference_xml, "url", schedule.conference_url)
    if schedule.time_zone_name is not None:
        _text(conference_xml, "time_zone_name", schedule.time_zone_name)
    for track in schedule.tracks:
        attributes = {"name": schedule.text(track.name)}
        if track.color:
            attributes["color"] = track.color.lower()
        if _XSD_TRACK_SLUG_RE.match(track.slug):
            attributes["slug"] = track.slug
        ET.SubElement(conference_xml, "track", attributes)
    for day in schedule.days:
        day_xml = ET.SubElement(
            root,
            "day",
            index=str(day.index),
            date=day.date.isoformat(),
            start=_instant(day.start),
            end=_instant(day.end),
        )
        for room in day.rooms:
            room_xml = ET.SubElement(day_xml, "room", name=room.name, guid=str(room.guid))
            for event in day.events[room.name]:
                _event_xml(schedule, room_xml, event)
    return xml_bytes(root)


# --- preparation, shared by both formats ---------------------------------------------


@dataclass(frozen=True)
class _Room:
    name: str
    guid: uuid.UUID
    slug: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class _Event:
    session: PublicSession
    room: _Room
    starts: datetime  # in the conference's zone
    ends: datetime


@dataclass
class _Day:
    index: int
    date: date
    start: datetime
    end: datetime
    rooms: list[_Room]
    events: dict[str, list[_Event]] = field(default_factory=dict)


@dataclass
class _Schedule:
    conference: PublicConference
    language: str | None
    base_url: str
    acronym: str
    conference_url: str
    time_zone_name: str | None
    rooms: list[_Room]
    tracks: list[PublicTrack]
    days: list[_Day]

    def text(self, value: dict[str, str]) -> str:
        return pick(value, self.language, self.conference.default_language)[0]


def _prepare(programme: PublishedProgramme, *, base_url: str, language: str | None) -> _Schedule:
    # Confirmed only: the read model has no drafts, and cancelled sessions are left out (module docstring).
    conference = programme.conference
    shown = sorted(
        (session for session in programme.sessions if not session.cancelled),
        key=lambda session: (session.starts_at, session.slug),
    )
    rooms, room_of = _rooms(programme, shown)
    zone = conference.timezone
    events = [
        _Event(session, room_of(session), to_zone(session.starts_at, zone), to_zone(session.ends_at, zone))
        for session in shown
    ]
    # Normally the conference's dates; widened if a session lies outside them (dates moved later).
    first = min([conference.starts_on, *(event.starts.date() for event in events)])
    last = max([conference.ends_on, *(event.starts.date() for event in events)])
    days: list[_Day] = []
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        days.append(
            _Day(
                index=offset + 1,
                date=day,
                start=_local_midnight(day, zone),
                end=_local_midnight(day + timedelta(days=1), zone),
                rooms=rooms,
                events={room.name: [] for room in rooms},
            )
        )
    for event in events:
        days[(event.starts.date() - first).days].events[event.room.name].append(event)
    used_tracks = {session.track.slug for session in shown if session.track is not None}
    return _Schedule(
        conference=conference,
        language=language,
        base_url=base_url.rstrip("/") + "/",
        acronym=acronym(conference),
        conference_url=conference_url(base_url, conference.slug),
        time_zone_name=zone if _ZONE_NAME_RE.match(zone) else None,
        rooms=rooms,
        # In the organisers' order (the read model's).
        tracks=[track for track in programme.tracks if track.slug in used_tracks],
        days=days,
    )


def _rooms(
    programme: PublishedProgramme, sessions: list[PublicSession]
) -> tuple[list[_Room], Callable[[PublicSession], _Room]]:
    """The rooms the sessions use, in stream order, with names unique (JSON keys rooms by name)."""
    used = {session.stream.guid for session in sessions if session.stream is not None}
    rooms: list[_Room] = []
    by_stream: dict[uuid.UUID, _Room] = {}
    taken: set[str] = set()

    def unique(name: str, qualifier: str) -> str:
        candidate, number = name, 1
        while candidate in taken:
            number += 1
            candidate = f"{name} ({qualifier})" if number == 2 else f"{name} ({qualifier} {number})"
        taken.add(candidate)
        return candidate

    for stream in (stream for stream in programme.streams if stream.guid in used):
        room = _Room(
            name=unique(stream.name, stream.slug),
            guid=stream.guid,
            slug=stream.slug,
            # The public livestream only; the meeting URL is a secret.
            url=stream.public_url,
        )
        by_stream[stream.guid] = room
        rooms.append(room)
    online: _Room | None = None
    if any(session.stream is None for session in sessions):
        online = _Room(name=unique(ONLINE_ROOM_NAME, "online"), guid=online_room_guid(programme.conference))
        rooms.append(online)

    def room_of(session: PublicSession) -> _Room:
        if session.stream is not None:
            return by_stream[session.stream.guid]
        assert online is not None
        return online

    return rooms, room_of


def _local_midnight(day: date, zone: str) -> datetime:
    return datetime.combine(day, time.min, tzinfo=get_zone(zone))


def _instant(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def _duration(event: _Event) -> str:
    minutes = int((event.ends - event.starts).total_seconds() // 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _event_slug(schedule: _Schedule, session: PublicSession) -> str:
    """``<acronym>-<id>-<session slug>``: unique, and matching the XSD even for Cyrillic titles."""
    rest = f"{session.id}-{session.slug}"
    if len(rest) < 4:  # the XSD wants four characters after the acronym
        rest = f"{rest}-{session.kind.value}"
    return f"{schedule.acronym}-{rest}"


# --- JSON ------------------------------------------------------------------------------


def _room_json(room: _Room) -> dict[str, Any]:
    value: dict[str, Any] = {"name": room.name, "guid": str(room.guid), "type": "online"}
    if room.slug and _JSON_SLUG_RE.match(room.slug):
        value["slug"] = room.slug
    if room.url:
        value["url"] = room.url
    return value


def _track_json(schedule: _Schedule, track: PublicTrack) -> dict[str, Any]:
    value: dict[str, Any] = {"name": schedule.text(track.name)}
    if _JSON_SLUG_RE.match(track.slug):
        value["slug"] = track.slug
    if track.color:
        value["color"] = track.color.lower()
    return value


def _event_json(schedule: _Schedule, event: _Event) -> dict[str, Any]:
    session = event.session
    conference = schedule.conference
    return {
        "guid": str(session.guid),
        "id": session.id,
        "date": _instant(event.starts),
        "start": f"{event.starts:%H:%M}",
        "end": _instant(event.ends),
        "duration": _duration(event),
        "room": event.room.name,
        "slug": _event_slug(schedule, session),
        "url": session_url(schedule.base_url, conference.slug, session.slug),
        "title": schedule.text(session.title),
        "subtitle": "",
        "track": schedule.text(session.track.name) if session.track else None,
        "type": session.kind.value,
        "language": session.language,
        "abstract": schedule.text(session.abstract),
        "description": "",
        "do_not_record": False,
        "persons": [
            # The pretalx shape. Never "id" next to "public_name": that object would match the
            # frab shape as well, and the schema's oneOf would reject it.
            {
                "guid": str(slot.speaker.guid),
                "name": slot.speaker.name,
                "public_name": slot.speaker.name,
                "biography": schedule.text(slot.speaker.bio) or None,
                "url": speaker_url(schedule.base_url, conference.slug, slot.speaker.slug),
            }
            for slot in session.speakers
        ],
        "links": [],
    }


# --- XML -------------------------------------------------------------------------------


def _text(parent: ET.Element, tag: str, value: str, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes)
    element.text = value
    return element


def _event_xml(schedule: _Schedule, room_xml: ET.Element, event: _Event) -> None:
    session = event.session
    conference = schedule.conference
    event_xml = ET.SubElement(room_xml, "event", guid=str(session.guid), id=str(session.id))
    _text(event_xml, "date", _instant(event.starts))
    _text(event_xml, "start", f"{event.starts:%H:%M}")
    _text(event_xml, "duration", _duration(event))
    _text(event_xml, "room", event.room.name)
    _text(event_xml, "slug", _event_slug(schedule, session))
    _text(event_xml, "url", session_url(schedule.base_url, conference.slug, session.slug))
    _text(event_xml, "title", schedule.text(session.title))
    _text(event_xml, "subtitle", "")
    _text(event_xml, "track", schedule.text(session.track.name) if session.track else "")
    _text(event_xml, "type", session.kind.value)
    _text(event_xml, "language", session.language)
    _text(event_xml, "abstract", schedule.text(session.abstract))
    _text(event_xml, "description", "")
    recording = ET.SubElement(event_xml, "recording")
    _text(recording, "license", "")
    _text(recording, "optout", "false")
    persons = ET.SubElement(event_xml, "persons")
    for slot in session.speakers:
        _text(persons, "person", slot.speaker.name, guid=str(slot.speaker.guid))
    ET.SubElement(event_xml, "links")
