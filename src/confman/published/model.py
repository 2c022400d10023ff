"""The published programme as the public pages read it: plain objects, loaded in six queries.

Pages read a whole conference at once (a programme page shows every session and every
speaker), so the read side skips the ORM's identity map and loads rows with Core selects
into small objects. It is cached per programme version (``ProgrammeCache``), so it is built
once per change, not per request. Meeting URLs are not selected at all: what is not loaded
cannot leak onto a page.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, select
from sqlalchemy.ext.asyncio import AsyncSession

from confman.db.models import (
    Conference,
    ConferenceSession,
    ConferenceStatus,
    SessionKind,
    SessionSpeaker,
    SessionStatus,
    Speaker,
    SpeakerRole,
    StoredFile,
    Stream,
    Track,
)
from confman.db.models._types import Translations
from confman.db.models.web import LOGO
from confman.lib.translations import pick


@dataclass(frozen=True, slots=True)
class PublicConference:
    id: int
    slug: str
    title: Translations
    description: Translations
    timezone: str
    default_language: str
    languages: tuple[str, ...]
    starts_on: date
    ends_on: date
    version: int
    changed_at: datetime
    # Stable across export/import: the frab room of sessions without a stream derives from it.
    guid: uuid.UUID
    # Branding: ``#rrggbb`` or None; the logo's /media/ name or None; origins that may frame
    # the embedded programme.
    accent_color: str | None = None
    logo: str | None = None
    embed_origins: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PublicTrack:
    slug: str
    name: Translations
    color: str | None
    # The organisers' order (the API shows it).
    position: int = 0


@dataclass(frozen=True, slots=True)
class PublicStream:
    slug: str
    name: str
    public_url: str | None
    # The frab room guid.
    guid: uuid.UUID
    # The organisers' order (the API shows it).
    position: int = 0


@dataclass(slots=True, eq=False)
class PublicSpeaker:
    slug: str
    name: str
    country: str | None
    timezone: str | None
    bio: Translations
    links: list[dict[str, str]]
    # The frab person guid.
    guid: uuid.UUID
    # The photo's file name under /media/: its SHA-256 and extension; None: no photo.
    photo: str | None = None
    sessions: list[PublicSession] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class SpeakerSlot:
    speaker: PublicSpeaker
    role: SpeakerRole


@dataclass(slots=True, eq=False)
class PublicSession:
    guid: uuid.UUID
    slug: str
    title: Translations
    abstract: Translations
    kind: SessionKind
    language: str
    track: PublicTrack | None
    stream: PublicStream | None
    starts_at: datetime
    ends_at: datetime
    cancelled: bool
    capacity: int | None
    # iCalendar SEQUENCE, LAST-MODIFIED and CREATED.
    revision: int
    changed_at: datetime
    created_at: datetime
    # The frab event id; the key of personal join links.
    id: int
    speakers: list[SpeakerSlot] = field(default_factory=list)


@dataclass(frozen=True)
class PublishedProgramme:
    conference: PublicConference
    tracks: list[PublicTrack]
    streams: list[PublicStream]
    # In time order; cancelled sessions included (pages strike them through).
    sessions: list[PublicSession]
    # In the order the organisers entered them, as an announcement lists them.
    speakers: list[PublicSpeaker]
    # The same speakers by name (then slug) in the database's collation, as the API lists them.
    speakers_by_name: list[PublicSpeaker] = field(default_factory=list)

    def session(self, slug: str) -> PublicSession | None:
        return next((s for s in self.sessions if s.slug == slug), None)

    def speaker(self, slug: str) -> PublicSpeaker | None:
        return next((s for s in self.speakers if s.slug == slug), None)

    def text(self, field: Translations, language: str | None) -> tuple[str, str]:
        return pick(field, language, self.conference.default_language)


def public_conference(row: Any) -> PublicConference:
    """A conference's public face from a row with the model's column names (a Core row, or the
    ORM ``Conference`` itself: e-mails of a conference that is not published)."""
    return PublicConference(
        id=row.id,
        slug=row.slug,
        title=row.title,
        description=row.description,
        timezone=row.timezone,
        default_language=row.default_language,
        languages=tuple(row.languages),
        starts_on=row.starts_on,
        ends_on=row.ends_on,
        version=row.programme_version,
        changed_at=row.programme_changed_at,
        guid=row.guid,
        accent_color=getattr(row, "accent_color", None),
        logo=getattr(row, "logo", None),
        embed_origins=tuple(getattr(row, "embed_origins", None) or ()),
    )


async def load_published_programme(db: AsyncSession, slug: str) -> PublishedProgramme | None:
    """The published conference ``slug`` with its public sessions and speakers; None if none."""
    row = (
        await db.execute(
            select(
                Conference.id,
                Conference.slug,
                Conference.title,
                Conference.description,
                Conference.timezone,
                Conference.default_language,
                Conference.languages,
                Conference.starts_on,
                Conference.ends_on,
                Conference.programme_version,
                Conference.programme_changed_at,
                Conference.guid,
                Conference.accent_color,
                Conference.embed_origins,
                select(media_name(StoredFile.sha256, StoredFile.content_type))
                .where(StoredFile.conference_id == Conference.id, StoredFile.purpose == LOGO)
                .limit(1)
                .scalar_subquery()
                .label("logo"),
            ).where(Conference.slug == slug, Conference.status == ConferenceStatus.PUBLISHED)
        )
    ).first()
    if row is None:
        return None
    conference = public_conference(row)

    tracks: dict[int, PublicTrack] = {
        track_id: PublicTrack(track_slug, name, color, position)
        for track_id, track_slug, name, color, position in await db.execute(
            select(Track.id, Track.slug, Track.name, Track.color, Track.position)
            .where(Track.conference_id == conference.id)
            .order_by(Track.position, Track.slug)
        )
    }
    streams: dict[int, PublicStream] = {
        stream_id: PublicStream(stream_slug, name, public_url, guid, position)
        for stream_id, stream_slug, name, public_url, guid, position in await db.execute(
            select(Stream.id, Stream.slug, Stream.name, Stream.public_url, Stream.guid, Stream.position)
            .where(Stream.conference_id == conference.id)
            .order_by(Stream.position, Stream.slug)
        )
    }
    sessions: dict[int, PublicSession] = {}
    for row in await db.execute(
        select(
            ConferenceSession.id,
            ConferenceSession.guid,
            ConferenceSession.slug,
            ConferenceSession.title,
            ConferenceSession.abstract,
            ConferenceSession.kind,
            ConferenceSession.language,
            ConferenceSession.track_id,
            ConferenceSession.stream_id,
            ConferenceSession.starts_at,
            ConferenceSession.ends_at,
            ConferenceSession.status,
            ConferenceSession.capacity,
            ConferenceSession.revision,
            ConferenceSession.changed_at,
            ConferenceSession.created_at,
        )
        .where(ConferenceSession.conference_id == conference.id, ConferenceSession.status != SessionStatus.DRAFT)
        .order_by(ConferenceSession.starts_at, ConferenceSession.slug)
    ):
        sessions[row.id] = PublicSession(
            guid=row.guid,
            slug=row.slug,
            title=row.title,
            abstract=row.abstract,
            kind=row.kind,
            language=row.language,
            track=tracks.get(row.track_id) if row.track_id is not None else None,
            stream=streams.get(row.stream_id) if row.stream_id is not None else None,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            cancelled=row.status is SessionStatus.CANCELLED,
            capacity=row.capacity,
            revision=row.revision,
            changed_at=row.changed_at,
            created_at=row.created_at,
            id=row.id,
        )
    speakers: dict[int, PublicSpeaker] = {
        speaker_id: PublicSpeaker(*values)
        for speaker_id, *values in await db.execute(
            select(
                Speaker.id,
                Speaker.slug,
                Speaker.name,
                Speaker.country,
                Speaker.timezone,
                Speaker.bio,
                Speaker.links,
                Speaker.guid,
                media_name(StoredFile.sha256, StoredFile.content_type),
            )
            .outerjoin(StoredFile, StoredFile.id == Speaker.photo_id)
            .where(Speaker.conference_id == conference.id)
            .order_by(Speaker.name, Speaker.slug)
        )
    }
    by_name = list(speakers.values())
    speakers = dict(sorted(speakers.items()))  # by id: the order they were entered
    for session_id, speaker_id, role in await db.execute(
        select(SessionSpeaker.session_id, SessionSpeaker.speaker_id, SessionSpeaker.role)
        .join(Speaker, Speaker.id == SessionSpeaker.speaker_id)
        .where(Speaker.conference_id == conference.id)
        .order_by(SessionSpeaker.session_id, SessionSpeaker.position)
    ):
        session = sessions.get(session_id)
        if session is None:  # a draft session
            continue
        speaker = speakers[speaker_id]
        session.speakers.append(SpeakerSlot(speaker, role))
        speaker.sessions.append(session)
    # Each speaker's sessions in programme order (by time, then slug as the database collates it).
    order = {session_id: index for index, session_id in enumerate(sessions)}
    for speaker in speakers.values():
        speaker.sessions.sort(key=lambda s: order[s.id])
    return PublishedProgramme(
        conference=conference,
        tracks=list(tracks.values()),
        streams=list(streams.values()),
        sessions=list(sessions.values()),
        # Speakers without a public session are not announced.
        speakers=[speaker for speaker in speakers.values() if speaker.sessions],
        speakers_by_name=[speaker for speaker in by_name if speaker.sessions],
    )


# Uploaded images by content type, and the extension of their /media/ name.
MEDIA_EXTENSIONS = {"image/jpeg": "jpg", "image/webp": "webp", "image/png": "png"}


def media_name(sha256: Any, content_type: Any) -> Any:
    """``{sha256}.{ext}`` in SQL: a file's public name, from its hash and type."""
    return sha256 + case(*((content_type == kind, "." + ext) for kind, ext in MEDIA_EXTENSIONS.items()), else_="")


async def load_media(db: AsyncSession, name: str) -> PublicPhoto | None:
    """An uploaded image by its /media/ name, if the public may see it: the photo of an
    announced speaker of a published conference, or a published conference's logo (the hash
    alone would reveal nothing, but a draft's files stay private all the same)."""
    sha256, _, ext = name.partition(".")
    content_type = next((kind for kind, known in MEDIA_EXTENSIONS.items() if known == ext), None)
    if content_type is None or len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
        return None
    announced = (
        select(SessionSpeaker.speaker_id)
        .join(ConferenceSession, ConferenceSession.id == SessionSpeaker.session_id)
        .where(SessionSpeaker.speaker_id == Speaker.id, ConferenceSession.status != SessionStatus.DRAFT)
        .exists()
    )
    row = (
        await db.execute(
            select(StoredFile.content_type, StoredFile.data, StoredFile.sha256)
            .join(Speaker, Speaker.photo_id == StoredFile.id)
            .join(Conference, Conference.id == Speaker.conference_id)
            .where(
                StoredFile.sha256 == sha256,
                StoredFile.content_type == content_type,
                Conference.status == ConferenceStatus.PUBLISHED,
                announced,
            )
            .limit(1)
        )
    ).first()
    if row is None:
        row = (
            await db.execute(
                select(StoredFile.content_type, StoredFile.data, StoredFile.sha256)
                .join(Conference, Conference.id == StoredFile.conference_id)
                .where(
                    StoredFile.sha256 == sha256,
                    StoredFile.content_type == content_type,
                    StoredFile.purpose == LOGO,
                    Conference.status == ConferenceStatus.PUBLISHED,
                )
                .limit(1)
            )
        ).first()
    return PublicPhoto(row.content_type, row.data, row.sha256) if row else None


@dataclass(frozen=True, slots=True)
class PublicPhoto:
    content_type: str
    data: bytes
    sha256: str


async def load_public_photo(db: AsyncSession, conference: str, speaker: str) -> PublicPhoto | None:
    """The photo of speaker ``speaker`` if the public may see it: the conference is published
    and the speaker announced (in a session that is not a draft); else None."""
    announced = (
        select(SessionSpeaker.speaker_id)
        .join(ConferenceSession, ConferenceSession.id == SessionSpeaker.session_id)
        .where(SessionSpeaker.speaker_id == Speaker.id, ConferenceSession.status != SessionStatus.DRAFT)
        .exists()
    )
    row = (
        await db.execute(
            select(StoredFile.content_type, StoredFile.data, StoredFile.sha256)
            .join(Speaker, Speaker.photo_id == StoredFile.id)
            .join(Conference, Conference.id == Speaker.conference_id)
            .where(
                Conference.slug == conference,
                Conference.status == ConferenceStatus.PUBLISHED,
                Speaker.slug == speaker,
                announced,
            )
        )
    ).first()
    return PublicPhoto(row.content_type, row.data, row.sha256) if row else None
