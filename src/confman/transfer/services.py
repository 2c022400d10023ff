"""Whole-conference export and import, round-trip lossless.

``export_conference`` then ``import_conference`` into an empty database then
``export_conference`` again gives the same JSON: guids, the programme version,
session revisions and change times are carried over exactly, so calendar clients and
ETags see the imported conference as the same, unchanged one.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, selectinload

from confman.db.models import (
    Conference,
    ConferenceSession,
    RegistrationSettings,
    SessionSpeaker,
    Speaker,
    StoredFile,
    Stream,
    Track,
)
from confman.db.models.web import LOGO
from confman.lib.errors import not_found
from confman.transfer.schemas import FORMAT, ConferenceFile, ConferenceRecord

__all__ = ["TransferError", "export_conference", "import_conference"]


class TransferError(ValueError):
    """A file that cannot be imported; the message has one ``<json.path>: <problem>`` per line."""

    def __init__(self, errors: Sequence[str]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


async def export_conference(db: AsyncSession, slug: str) -> dict[str, Any]:
    """The whole conference as a JSON-ready dict in the ``confman.conference/1`` format.

    This is an operator's full backup, so it INCLUDES the secret meeting URLs of
    streams and sessions: never publish or hand the file to attendees. Members,
    users and database ids are left out; they are not part of the conference.

    Keys and lists come in a fixed order (translations by language code; sessions by
    start time and slug) so two exports of the same data are equal.
    """
    conference = await db.scalar(
        select(Conference)
        .where(Conference.slug == slug)
        .options(
            selectinload(Conference.tracks),
            selectinload(Conference.streams),
            selectinload(Conference.speakers),
            selectinload(Conference.sessions).selectinload(ConferenceSession.speaker_links),
        )
    )
    if conference is None:
        raise not_found("Conference not found")
    # Resolve references from what is already loaded rather than with more queries.
    track_slugs = {track.id: track.slug for track in conference.tracks}
    stream_slugs = {stream.id: stream.slug for stream in conference.streams}
    speaker_slugs = {speaker.id: speaker.slug for speaker in conference.speakers}
    # Sorted in Python: database collations differ between SQLite and PostgreSQL.
    tracks = sorted(conference.tracks, key=lambda track: (track.position, track.slug))
    streams = sorted(conference.streams, key=lambda stream: (stream.position, stream.slug))
    speakers = sorted(conference.speakers, key=lambda speaker: speaker.slug)
    sessions = sorted(conference.sessions, key=lambda session: (session.starts_at, session.slug))
    return {
        "format": FORMAT,
        "conference": {
            "guid": str(conference.guid),
            "slug": conference.slug,
            "title": _translations(conference.title),
            "description": _translations(conference.description),
            "timezone": conference.timezone,
            "default_language": conference.default_language,
            "languages": list(conference.languages),
            "status": conference.status.value,
            "starts_on": conference.starts_on.isoformat(),
            "ends_on": conference.ends_on.isoformat(),
            "programme_version": conference.programme_version,
            "programme_changed_at": _instant(conference.programme_changed_at),
            "accent_color": conference.accent_color,
            "embed_origins": list(conference.embed_origins),
            "logo": await _logo(db, conference),
        },
        "tracks": [
            {
                "slug": track.slug,
                "name": _translations(track.name),
                "color": track.color,
                "position": track.position,
            }
            for track in tracks
        ],
        "streams": [
            {
                "guid": str(stream.guid),
                "slug": stream.slug,
                "name": stream.name,
                "public_url": stream.public_url,
                "meeting_url": stream.meeting_url,
                "position": stream.position,
            }
            for stream in streams
        ],
        "speakers": [
            {
                "guid": str(speaker.guid),
                "slug": speaker.slug,
                "name": speaker.name,
                "country": speaker.country,
                "timezone": speaker.timezone,
                "bio": _translations(speaker.bio),
                "links": [{"title": link["title"], "url": link["url"]} for link in speaker.links],
                "email": speaker.email,
            }
            for speaker in speakers
        ],
        "sessions": [
            {
                "guid": str(session.guid),
                "slug": session.slug,
                "title": _translations(session.title),
                "abstract": _translations(session.abstract),
                "kind": session.kind.value,
                "language": session.language,
                "track": track_slugs[session.track_id] if session.track_id is not None else None,
                "stream": stream_slugs[session.stream_id] if session.stream_id is not None else None,
                "starts_at": _instant(session.starts_at),
                "ends_at": _instant(session.ends_at),
                "status": session.status.value,
                "capacity": session.capacity,
                "meeting_url": session.meeting_url,
                "recording_url": session.recording_url,
                "revision": session.revision,
                "changed_at": _instant(session.changed_at),
                "speakers": [
                    {"speaker": speaker_slugs[link.speaker_id], "role": link.role.value}
                    for link in sorted(session.speaker_links, key=lambda link: link.position)
                ],
            }
            for session in sessions
        ],
        "registration_settings": await _registration_settings(db, conference),
    }


async def import_conference(db: AsyncSession, data: dict[str, Any]) -> Conference:
    """Create the conference described by ``data`` (as written by ``export_conference``).

    Everything is checked before anything is added, and the work is only flushed:
    the caller commits, or rolls back on error, so an import is all or nothing.
    Versions, revisions and change times are taken from the file, not raised, so
    the imported programme looks unchanged to feeds and calendar clients.
    """
    try:
        file = ConferenceFile.model_validate(data)
    except ValidationError as error:
        raise TransferError([_describe(detail) for detail in error.errors()]) from None
    problems = _cross_check(file)
    if not problems:
        problems = await _clashes(db, file)
    if problems:
        raise TransferError(problems)
    logo = None
    if file.conference.logo is not None:
        try:
            logo = file.conference.logo.image()
        except ValueError as error:
            raise TransferError([str(error)]) from None
    conference = _build(file)
    db.add(conference)
    await db.flush()
    if logo is not None and file.conference.logo is not None:
        image, width, height = logo
        db.add(
            StoredFile(
                conference_id=conference.id, content_type=file.conference.logo.content_type, data=image,
                width=width, height=height, sha256=hashlib.sha256(image).hexdigest(), purpose=LOGO,
            )
        )  # fmt: skip
        await db.flush()
    rules = file.registration_settings
    if rules is not None:
        # A new conference has no registrations: the rules are written as they are, nothing to promote.
        db.add(
            RegistrationSettings(
                conference_id=conference.id,
                opens_at=rules.opens_at.astimezone(UTC) if rules.opens_at else None,
                closes_at=rules.closes_at.astimezone(UTC) if rules.closes_at else None,
                capacity=rules.capacity, waitlist=rules.waitlist, double_opt_in=rules.double_opt_in,
                privacy_text=rules.privacy_text,
                questions=[question.model_dump(mode="json") for question in rules.questions],
                join_opens_minutes=rules.join_opens_minutes, join_closes_minutes=rules.join_closes_minutes,
            )
        )  # fmt: skip
        await db.flush()
        # Set after the INSERT, which would take None for "not given" and write the default 60.
        await db.execute(
            update(RegistrationSettings)
            .where(RegistrationSettings.conference_id == conference.id)
            .values(reminder_minutes=rules.reminder_minutes)
        )
    return conference


async def _registration_settings(db: AsyncSession, conference: Conference) -> dict[str, Any] | None:
    row = await db.scalar(select(RegistrationSettings).where(RegistrationSettings.conference_id == conference.id))
    if row is None:
        return None
    return {
        "opens_at": _instant(row.opens_at) if row.opens_at else None,
        "closes_at": _instant(row.closes_at) if row.closes_at else None,
        "capacity": row.capacity,
        "waitlist": row.waitlist,
        "double_opt_in": row.double_opt_in,
        "privacy_text": _translations(row.privacy_text),
        "questions": row.questions,
        "join_opens_minutes": row.join_opens_minutes,
        "join_closes_minutes": row.join_closes_minutes,
        "reminder_minutes": row.reminder_minutes,
    }


async def _logo(db: AsyncSession, conference: Conference) -> dict[str, str] | None:
    stored = await db.scalar(
        select(StoredFile).where(StoredFile.conference_id == conference.id, StoredFile.purpose == LOGO).limit(1)
    )
    if stored is None:
        return None
    return {"content_type": stored.content_type, "data": base64.b64encode(stored.data).decode("ascii")}


def _translations(value: dict[str, str]) -> dict[str, str]:
    # PostgreSQL's JSONB does not keep key order, so order by language code.
    return {language: value[language] for language in sorted(value)}


def _instant(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().removesuffix("+00:00") + "Z"


def _describe(detail: ErrorDetails) -> str:
    path = ""
    for part in detail["loc"]:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part != "[key]":  # pydantic's marker for "the key just named is wrong"
            path += f".{part}" if path else part
    return f"{path or '$'}: {detail['msg'].removeprefix('Value error, ')}"


def _cross_check(file: ConferenceFile) -> list[str]:
    """What the schema cannot see on one record alone: references, duplicates, languages."""
    problems: list[str] = []
    conference = file.conference
    if conference.default_language not in conference.languages:
        problems.append(f"conference.languages: must include the default language {conference.default_language!r}")
    _unique(problems, "conference.languages", "", conference.languages)
    if conference.ends_on < conference.starts_on:
        problems.append("conference.ends_on: must not be before starts_on")
    _check_translations(problems, conference, "conference.title", conference.title, required=True)
    _check_translations(problems, conference, "conference.description", conference.description, required=False)

    for index, track in enumerate(file.tracks):
        _check_translations(problems, conference, f"tracks[{index}].name", track.name, required=True)
    for index, speaker in enumerate(file.speakers):
        _check_translations(problems, conference, f"speakers[{index}].bio", speaker.bio, required=False)
    _unique(problems, "tracks", ".slug", [track.slug for track in file.tracks])
    _unique(problems, "streams", ".slug", [stream.slug for stream in file.streams])
    _unique(problems, "streams", ".guid", [stream.guid for stream in file.streams])
    _unique(problems, "speakers", ".slug", [speaker.slug for speaker in file.speakers])
    _unique(problems, "speakers", ".guid", [speaker.guid for speaker in file.speakers])
    _unique(problems, "sessions", ".slug", [session.slug for session in file.sessions])
    _unique(problems, "sessions", ".guid", [session.guid for session in file.sessions])

    rules = file.registration_settings
    if rules is not None:
        if rules.opens_at is not None and rules.opens_at.tzinfo is None:
            problems.append("registration_settings.opens_at: must say its offset (as exported)")
        if rules.closes_at is not None and rules.closes_at.tzinfo is None:
            problems.append("registration_settings.closes_at: must say its offset (as exported)")
        _check_translations(
            problems, conference, "registration_settings.privacy_text", rules.privacy_text, required=False
        )
        for index, question in enumerate(rules.questions):
            path = f"registration_settings.questions[{index}]"
            _check_translations(problems, conference, f"{path}.label", question.label, required=True)
            for number, choice in enumerate(question.choices):
                _check_translations(
                    problems, conference, f"{path}.choices[{number}].label", choice.label, required=True
                )

    tracks = {track.slug for track in file.tracks}
    streams = {stream.slug for stream in file.streams}
    speakers = {speaker.slug for speaker in file.speakers}
    for index, session in enumerate(file.sessions):
        path = f"sessions[{index}]"
        _check_translations(problems, conference, f"{path}.title", session.title, required=True)
        _check_translations(problems, conference, f"{path}.abstract", session.abstract, required=False)
        if session.track is not None and session.track not in tracks:
            problems.append(f"{path}.track: no track {session.track!r} in this file")
        if session.stream is not None and session.stream not in streams:
            problems.append(f"{path}.stream: no stream {session.stream!r} in this file")
        if session.ends_at <= session.starts_at:
            problems.append(f"{path}.ends_at: must be after starts_at")
        listed: set[str] = set()
        for position, link in enumerate(session.speakers):
            link_path = f"{path}.speakers[{position}].speaker"
            if link.speaker in listed:
                problems.append(f"{link_path}: {link.speaker!r} is listed twice")
            elif link.speaker not in speakers:
                problems.append(f"{link_path}: no speaker {link.speaker!r} in this file")
            listed.add(link.speaker)
    return problems


def _check_translations(
    problems: list[str], conference: ConferenceRecord, path: str, value: dict[str, str], *, required: bool
) -> None:
    # The same rules, and words, as conferences.services.check_translations, but collecting.
    for language in value:
        if language not in conference.languages:
            problems.append(
                f"{path}.{language}: language not offered by the conference "
                f"(offered: {', '.join(conference.languages)})"
            )
    if required and not value.get(conference.default_language):
        problems.append(f"{path}: needs a value in the default language {conference.default_language!r}")


def _unique(problems: list[str], path: str, field: str, values: Iterable[object]) -> None:
    first: dict[object, int] = {}
    for index, value in enumerate(values):
        if value in first:
            shown = str(value) if isinstance(value, uuid.UUID) else repr(value)
            problems.append(f"{path}[{index}]{field}: {shown} is used twice (also by {path}[{first[value]}])")
        else:
            first[value] = index


async def _clashes(db: AsyncSession, file: ConferenceFile) -> list[str]:
    """Identities the database already holds; refused rather than merged or renamed."""
    record = file.conference
    problems: list[str] = []
    existing = (
        await db.execute(
            select(Conference.slug, Conference.guid).where(
                or_(Conference.slug == record.slug, Conference.guid == record.guid)
            )
        )
    ).all()
    if any(slug == record.slug for slug, _ in existing):
        problems.append(f"conference.slug: a conference {record.slug!r} already exists")
    if any(guid == record.guid for _, guid in existing):
        problems.append(f"conference.guid: a conference with guid {record.guid} already exists")
    if problems:
        # The rest would only repeat this: an existing conference's parts hold its guids.
        return problems
    await _guids_taken(db, problems, "streams", Stream.guid, [stream.guid for stream in file.streams])
    await _guids_taken(db, problems, "speakers", Speaker.guid, [speaker.guid for speaker in file.speakers])
    await _guids_taken(db, problems, "sessions", ConferenceSession.guid, [session.guid for session in file.sessions])
    return problems


async def _guids_taken(
    db: AsyncSession, problems: list[str], path: str, column: InstrumentedAttribute[uuid.UUID], guids: list[uuid.UUID]
) -> None:
    if not guids:
        return
    taken = set(await db.scalars(select(column).where(column.in_(guids))))
    for index, guid in enumerate(guids):
        if guid in taken:
            problems.append(f"{path}[{index}].guid: {guid} is already used in another conference")


def _build(file: ConferenceFile) -> Conference:
    record = file.conference
    conference = Conference(
        guid=record.guid,
        slug=record.slug,
        title=dict(record.title),
        description=dict(record.description),
        timezone=record.timezone,
        default_language=record.default_language,
        languages=list(record.languages),
        status=record.status,
        starts_on=record.starts_on,
        ends_on=record.ends_on,
        programme_version=record.programme_version,
        programme_changed_at=record.programme_changed_at.astimezone(UTC),
        accent_color=record.accent_color.lower() if record.accent_color else None,
        embed_origins=list(record.embed_origins),
    )
    tracks = {
        track.slug: Track(slug=track.slug, name=dict(track.name), color=track.color, position=track.position)
        for track in file.tracks
    }
    streams = {
        stream.slug: Stream(
            guid=stream.guid,
            slug=stream.slug,
            name=stream.name,
            public_url=stream.public_url,
            meeting_url=stream.meeting_url,
            position=stream.position,
        )
        for stream in file.streams
    }
    speakers = {
        speaker.slug: Speaker(
            guid=speaker.guid,
            slug=speaker.slug,
            name=speaker.name,
            country=speaker.country,
            timezone=speaker.timezone,
            bio=dict(speaker.bio),
            links=[{"title": link.title, "url": link.url} for link in speaker.links],
            email=speaker.email,
        )
        for speaker in file.speakers
    }
    sessions = [
        ConferenceSession(
            guid=session.guid,
            slug=session.slug,
            title=dict(session.title),
            abstract=dict(session.abstract),
            kind=session.kind,
            language=session.language,
            track=tracks[session.track] if session.track is not None else None,
            stream=streams[session.stream] if session.stream is not None else None,
            starts_at=session.starts_at.astimezone(UTC),
            ends_at=session.ends_at.astimezone(UTC),
            status=session.status,
            capacity=session.capacity,
            meeting_url=session.meeting_url,
            recording_url=session.recording_url,
            revision=session.revision,
            changed_at=session.changed_at.astimezone(UTC),
            speaker_links=[
                SessionSpeaker(speaker=speakers[link.speaker], role=link.role, position=position)
                for position, link in enumerate(session.speakers)
            ],
        )
        for session in file.sessions
    ]
    conference.tracks = list(tracks.values())
    conference.streams = list(streams.values())
    conference.speakers = list(speakers.values())
    conference.sessions = sessions
    return conference
