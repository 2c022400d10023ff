"""Conference, track and stream management, and who may see or change what."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from litestar.exceptions import PermissionDeniedException
from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from confman.accounts.services import MembershipService
from confman.conferences.change_record import record_change, snapshot
from confman.conferences.schemas import (
    ConferenceCreate,
    ConferenceUpdate,
    StreamCreate,
    StreamUpdate,
    TrackCreate,
    TrackUpdate,
)
from confman.conferences.versioning import record_programme_change, record_sessions_change
from confman.db.models import (
    Conference,
    ConferenceMember,
    ConferenceSession,
    ConferenceStatus,
    MemberRole,
    Registration,
    SessionSpeaker,
    Speaker,
    Stream,
    Track,
    User,
)
from confman.lib.errors import ConflictError, FieldError, not_found
from confman.lib.timezones import utcnow
from confman.lib.validation import is_slug, refuse_nulls

CONFERENCE_NOT_FOUND = "Conference not found"

Row = TypeVar("Row", Track, Stream)


@dataclass(frozen=True)
class ConferenceAccess:
    """A conference as the caller may see it."""

    conference: Conference
    role: MemberRole | None

    @property
    def is_organiser(self) -> bool:
        return self.role is not None


def check_translations(conference: Conference, field: str, value: dict[str, str], *, required: bool) -> None:
    """Translations only in the conference's languages; the default one present when required."""
    for language in value:
        if language not in conference.languages:
            raise FieldError(
                f"{field}.{language}",
                "language_not_offered",
                f"language not offered by the conference (offered: {', '.join(conference.languages)})",
            )
    if required and not value.get(conference.default_language):
        raise FieldError(
            field, "default_language_missing", f"needs a value in the default language {conference.default_language!r}"
        )


class ConferenceService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def access(
        self, slug: str, user: User | None, *, write: bool = False, owner: bool = False
    ) -> ConferenceAccess:
        """Resolve a conference for the caller.

        Non-members get 404 for drafts and for any write, with the same body as a
        conference that does not exist, so other organisations' work cannot be probed.
        """
        conference = await self.db.scalar(select(Conference).where(Conference.slug == slug)) if is_slug(slug) else None
        if conference is None:
            raise not_found(CONFERENCE_NOT_FOUND)
        role = await MembershipService(self.db).role_in(user, conference) if user else None
        if role is None and (write or not conference.is_published):
            raise not_found(CONFERENCE_NOT_FOUND)
        if owner and role is not MemberRole.OWNER:
            raise PermissionDeniedException(detail="Only an owner of this conference may do this")
        return ConferenceAccess(conference, role)

    async def get_for_operator(self, slug: str) -> Conference:
        """Any conference, draft or not: for the command line, which runs with full rights."""
        conference = await self.db.scalar(select(Conference).where(Conference.slug == slug))
        if conference is None:
            raise not_found(CONFERENCE_NOT_FOUND)
        return conference

    async def list_visible(self, user: User | None) -> list[ConferenceAccess]:
        """Published conferences and, with a token, the caller's own; upcoming first."""
        today = utcnow().date()
        role_column = (
            select(ConferenceMember.role)
            .where(ConferenceMember.conference_id == Conference.id, ConferenceMember.user_id == user.id)
            .scalar_subquery()
            if user
            else None
        )
        columns: list[Any] = [Conference]
        if role_column is not None:
            columns.append(role_column)
        query = select(*columns).order_by(
            case((Conference.ends_on >= today, 0), else_=1),
            case((Conference.ends_on >= today, Conference.starts_on)),
            Conference.starts_on.desc(),
        )
        if role_column is not None:
            query = query.where((Conference.status == ConferenceStatus.PUBLISHED) | role_column.is_not(None))
        else:
            query = query.where(Conference.status == ConferenceStatus.PUBLISHED)
        rows = (await self.db.execute(query)).all()
        return [ConferenceAccess(row[0], row[1] if role_column is not None else None) for row in rows]

    async def create(self, data: ConferenceCreate, owner: User | None) -> Conference:
        languages = _ordered_languages(data.default_language, data.languages)
        if data.ends_on < data.starts_on:
            raise FieldError("ends_on", "before_start", "must not be before starts_on")
        if await self.db.scalar(select(Conference.id).where(Conference.slug == data.slug)) is not None:
            raise ConflictError("slug", "duplicate", "a conference with this slug exists")
        conference = Conference(
            slug=data.slug,
            title=data.title,
            description=data.description,
            timezone=data.timezone,
            default_language=data.default_language,
            languages=languages,
            status=data.status,
            starts_on=data.starts_on,
            ends_on=data.ends_on,
            accent_color=data.accent_color.lower() if data.accent_color else None,
            embed_origins=data.embed_origins,
            programme_version=1,
            programme_changed_at=utcnow(),
        )
        check_translations(conference, "title", data.title, required=True)
        check_translations(conference, "description", data.description, required=False)
        self.db.add(conference)
        await self.db.flush()
        if owner is not None:
            self.db.add(ConferenceMember(conference_id=conference.id, user_id=owner.id, role=MemberRole.OWNER))
            await self.db.flush()
        return conference

    async def update(self, conference: Conference, data: ConferenceUpdate) -> Conference:
        refuse_nulls(data)
        changes = data.model_dump(exclude_unset=True)
        if changes.get("accent_color"):
            changes["accent_color"] = changes["accent_color"].lower()
        default_language = changes.get("default_language", conference.default_language)
        if "languages" in changes or "default_language" in changes:
            changes["languages"] = _ordered_languages(default_language, changes.get("languages", conference.languages))
        changes = _differing(conference, changes)
        for field, value in changes.items():
            setattr(conference, field, value)
        if conference.ends_on < conference.starts_on:
            raise FieldError("ends_on", "before_start", "must not be before starts_on")
        check_translations(conference, "title", conference.title, required=True)
        check_translations(conference, "description", conference.description, required=False)
        if changes:
            await self.db.flush()
            await record_programme_change(self.db, conference)
        return conference

    async def delete(self, conference: Conference) -> None:
        await self.db.delete(conference)
        await self.db.flush()


def _differing(row: object, changes: dict[str, Any]) -> dict[str, Any]:
    """The changes whose value differs from the row's: re-sending a value changes nothing."""
    return {field: value for field, value in changes.items() if getattr(row, field) != value}


def _ordered_languages(default_language: str, languages: list[str] | None) -> list[str]:
    """The default language first, then the others in the given order, without repeats."""
    ordered = [default_language]
    for language in languages or []:
        if language not in ordered:
            ordered.append(language)
    return ordered


class TrackService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def list(self, conference: Conference) -> list[Track]:
        result = await self.db.scalars(
            select(Track).where(Track.conference_id == conference.id).order_by(Track.position, Track.slug)
        )
        return list(result)

    async def get(self, conference: Conference, slug: str) -> Track:
        if not is_slug(slug):
            raise not_found("Track not found")
        track = await self.db.scalar(select(Track).where(Track.conference_id == conference.id, Track.slug == slug))
        if track is None:
            raise not_found("Track not found")
        return track

    async def create(self, conference: Conference, data: TrackCreate) -> Track:
        check_translations(conference, "name", data.name, required=True)
        if await self.db.scalar(select(Track.id).where(Track.conference_id == conference.id, Track.slug == data.slug)):
            raise ConflictError("slug", "duplicate", "a track with this slug exists in this conference")
        values = data.model_dump()
        if values["position"] is None:
            values["position"] = await _next_position(self.db, Track, conference)
        track = Track(conference_id=conference.id, **values)
        self.db.add(track)
        await self.db.flush()
        await record_programme_change(self.db, conference)
        return track

    async def update(self, conference: Conference, track: Track, data: TrackUpdate) -> Track:
        refuse_nulls(data)
        changes = data.model_dump(exclude_unset=True)
        if "name" in changes:
            check_translations(conference, "name", changes["name"], required=True)
        changes = _differing(track, changes)
        for field, value in changes.items():
            setattr(track, field, value)
        if changes:
            await record_sessions_change(self.db, ConferenceSession.track_id == track.id)
            await record_programme_change(self.db, conference)
        return track

    async def reorder(self, conference: Conference, slugs: Sequence[str]) -> Sequence[Track]:
        """Put the tracks in the order of ``slugs`` (positions 0, 1, 2 …), those not named after
        them in their present order: one programme change for the whole list."""
        tracks = _reordered(await self.list(conference), slugs, "tracks")
        if tracks is None:
            return await self.list(conference)
        await self.db.flush()
        await record_programme_change(self.db, conference)
        return tracks

    async def delete(self, conference: Conference, track: Track) -> None:
        # Its sessions stay, without a track: that changes what their feeds say.
        await record_sessions_change(self.db, ConferenceSession.track_id == track.id)
        await self.db.delete(track)
        await self.db.flush()
        await record_programme_change(self.db, conference)


class StreamService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def list(self, conference: Conference) -> list[Stream]:
        result = await self.db.scalars(
            select(Stream).where(Stream.conference_id == conference.id).order_by(Stream.position, Stream.slug)
        )
        return list(result)

    async def get(self, conference: Conference, slug: str) -> Stream:
        if not is_slug(slug):
            raise not_found("Stream not found")
        stream = await self.db.scalar(select(Stream).where(Stream.conference_id == conference.id, Stream.slug == slug))
        if stream is None:
            raise not_found("Stream not found")
        return stream

    async def create(self, conference: Conference, data: StreamCreate) -> Stream:
        if await self.db.scalar(
            select(Stream.id).where(Stream.conference_id == conference.id, Stream.slug == data.slug)
        ):
            raise ConflictError("slug", "duplicate", "a stream with this slug exists in this conference")
        values = data.model_dump(mode="json")
        if values["position"] is None:
            values["position"] = await _next_position(self.db, Stream, conference)
        stream = Stream(conference_id=conference.id, **values)
        self.db.add(stream)
        await self.db.flush()
        await record_programme_change(self.db, conference)
        return stream

    async def update(self, conference: Conference, stream: Stream, data: StreamUpdate) -> Stream:
        refuse_nulls(data)
        changes = data.model_dump(mode="json", exclude_unset=True)
        changes = _differing(stream, changes)
        public_change = any(stream_field in changes for stream_field in ("name", "public_url", "position"))
        for field, value in changes.items():
            setattr(stream, field, value)
        await self.db.flush()
        # A new meeting URL is not a public change: feeds carry join links, not meeting URLs.
        if public_change:
            await record_sessions_change(self.db, ConferenceSession.stream_id == stream.id)
            await record_programme_change(self.db, conference)
        return stream

    async def reorder(self, conference: Conference, slugs: Sequence[str]) -> Sequence[Stream]:
        """As :meth:`TrackService.reorder`, for streams."""
        streams = _reordered(await self.list(conference), slugs, "streams")
        if streams is None:
            return await self.list(conference)
        await self.db.flush()
        await record_programme_change(self.db, conference)
        return streams

    async def delete(self, conference: Conference, stream: Stream) -> None:
        # Its sessions stay, without a stream: each public one has moved, a change recorded
        # (and told to its followers at the next release) as a session's own move would be.
        sessions = list(
            await self.db.scalars(
                select(ConferenceSession)
                .where(ConferenceSession.stream_id == stream.id)
                .options(
                    joinedload(ConferenceSession.stream),
                    selectinload(ConferenceSession.speaker_links).joinedload(SessionSpeaker.speaker),
                )
                .order_by(ConferenceSession.id)
            )
        )
        await record_sessions_change(self.db, ConferenceSession.stream_id == stream.id)
        for session in sessions:
            before = snapshot(session)
            session.stream = None
            await record_change(self.db, session, before, snapshot(session))
        await self.db.delete(stream)
        await self.db.flush()
        await record_programme_change(self.db, conference)


@dataclass(frozen=True)
class ConferenceCounts:
    """What the organisers' overview counts: sessions and registrations by status, speakers."""

    sessions: dict[str, int]
    speakers: int
    registrations: dict[str, int]


async def conference_counts(db: AsyncSession, conference: Conference) -> ConferenceCounts:
    """Three grouped counts, whatever the conference's size."""
    sessions = {
        str(status): count
        for status, count in (
            await db.execute(
                select(ConferenceSession.status, func.count())
                .where(ConferenceSession.conference_id == conference.id)
                .group_by(ConferenceSession.status)
            )
        ).all()
    }
    speakers = await db.scalar(select(func.count()).select_from(Speaker).where(Speaker.conference_id == conference.id))
    registrations = {
        str(status): count
        for status, count in (
            await db.execute(
                select(Registration.status, func.count())
                .where(Registration.conference_id == conference.id)
                .group_by(Registration.status)
            )
        ).all()
    }
    return ConferenceCounts(sessions=sessions, speakers=int(speakers or 0), registrations=registrations)


async def _next_position(db: AsyncSession, model: type[Track] | type[Stream], conference: Conference) -> int:
    """After the last one: new tracks and streams are appended, not put first."""
    last = await db.scalar(select(func.max(model.position)).where(model.conference_id == conference.id))
    return min(0 if last is None else last + 1, 10_000)


def _reordered(rows: Sequence[Row], slugs: Sequence[str], field: str) -> list[Row] | None:
    """``rows`` with positions following ``slugs`` (then the rest, in order); None if nothing moved.

    Unknown or repeated slugs are refused, naming the list item, before anything changes.
    """
    by_slug = {row.slug: row for row in rows}
    seen: set[str] = set()
    for index, slug in enumerate(slugs):
        if slug not in by_slug:
            raise FieldError(f"{field}[{index}]", "unknown", f"no such slug in this conference: {slug!r}")
        if slug in seen:
            raise FieldError(f"{field}[{index}]", "repeated", f"named twice: {slug!r}")
        seen.add(slug)
    ordered = [by_slug[slug] for slug in slugs] + [row for row in rows if row.slug not in seen]
    changed = False
    for position, row in enumerate(ordered):
        if row.position != position:
            row.position = position
            changed = True
    return ordered if changed else None
