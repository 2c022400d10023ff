"""Conference sessions: creation, changes (with revisions), speakers, public listing."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from confman.conferences.change_record import record_change, snapshot
from confman.conferences.services import check_translations
from confman.conferences.versioning import record_programme_change, record_session_change
from confman.db.models import (
    Conference,
    ConferenceSession,
    SessionSpeaker,
    SessionStatus,
    Speaker,
    SpeakerRole,
    Stream,
    Track,
)
from confman.lib.errors import ConflictError, FieldError, not_found
from confman.lib.timezones import to_utc, to_zone, utcnow
from confman.lib.validation import is_slug, refuse_nulls
from confman.programme.schemas import SessionCreate, SessionSpeakerIn, SessionUpdate

MAX_SESSION_LENGTH = timedelta(hours=24)
# Fields whose change is visible to the public and so raises the session's revision.
_PUBLIC_FIELDS = ("title", "abstract", "kind", "language", "track", "stream", "starts_at", "ends_at", "status")
# A speaker's local hours that count as night.
NIGHT_HOURS = frozenset({23, 0, 1, 2, 3, 4, 5, 6})


def _with_everything() -> list[Any]:
    """Eager loads for a session and what it shows: one query per relation, never per row."""
    return [
        joinedload(ConferenceSession.track),
        joinedload(ConferenceSession.stream),
        selectinload(ConferenceSession.speaker_links).joinedload(SessionSpeaker.speaker),
    ]


class SessionService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def list(self, conference: Conference, *, public_only: bool) -> list[ConferenceSession]:
        query = (
            select(ConferenceSession)
            .where(ConferenceSession.conference_id == conference.id)
            .options(*_with_everything())
            .order_by(ConferenceSession.starts_at, ConferenceSession.slug)
        )
        if public_only:
            query = query.where(ConferenceSession.status != SessionStatus.DRAFT)
        return list(await self.db.scalars(query))

    async def get(self, conference: Conference, slug: str, *, public_only: bool) -> ConferenceSession:
        if not is_slug(slug):
            raise not_found("Session not found")
        query = (
            select(ConferenceSession)
            .where(ConferenceSession.conference_id == conference.id, ConferenceSession.slug == slug)
            .options(*_with_everything())
        )
        session = await self.db.scalar(query)
        if session is None or (public_only and not session.is_public):
            raise not_found("Session not found")
        return session

    async def create(self, conference: Conference, data: SessionCreate) -> ConferenceSession:
        if await self.db.scalar(
            select(ConferenceSession.id).where(
                ConferenceSession.conference_id == conference.id, ConferenceSession.slug == data.slug
            )
        ):
            raise ConflictError("slug", "duplicate", "a session with this slug exists in this conference")
        check_translations(conference, "title", data.title, required=True)
        check_translations(conference, "abstract", data.abstract, required=False)
        session = ConferenceSession(
            conference_id=conference.id,
            slug=data.slug,
            title=data.title,
            abstract=data.abstract,
            kind=data.kind,
            language=data.language or conference.default_language,
            status=data.status,
            capacity=data.capacity,
            meeting_url=str(data.meeting_url) if data.meeting_url else None,
            recording_url=str(data.recording_url) if data.recording_url else None,
            starts_at=_to_utc("starts_at", data.starts_at, conference.timezone),
            ends_at=_to_utc("ends_at", data.ends_at, conference.timezone),
            revision=0,
            changed_at=utcnow(),
        )
        self._check_times(conference, session)
        session.track = await self._track(conference, data.track)
        session.stream = await self._stream(conference, data.stream)
        session.speaker_links = []
        _set_speakers(session, await self._chosen_speakers(conference, data.speakers))
        self.db.add(session)
        await self.db.flush()
        await record_change(self.db, session, None, snapshot(session))
        await record_programme_change(self.db, conference)
        return session

    async def update(self, conference: Conference, session: ConferenceSession, data: SessionUpdate) -> None:
        refuse_nulls(data)
        changes = data.model_dump(exclude_unset=True)
        before = _public_state(session)
        shown_before = snapshot(session)
        if "title" in changes:
            check_translations(conference, "title", changes["title"], required=True)
            session.title = changes["title"]
        if "abstract" in changes:
            check_translations(conference, "abstract", changes["abstract"], required=False)
            session.abstract = changes["abstract"]
        for field in ("kind", "language", "status", "capacity"):
            if field in changes:
                setattr(session, field, changes[field])
        if "meeting_url" in changes:
            session.meeting_url = str(data.meeting_url) if data.meeting_url else None
        if "recording_url" in changes:
            session.recording_url = str(data.recording_url) if data.recording_url else None
        if "starts_at" in changes:
            session.starts_at = _to_utc("starts_at", changes["starts_at"], conference.timezone)
        if "ends_at" in changes:
            session.ends_at = _to_utc("ends_at", changes["ends_at"], conference.timezone)
        self._check_times(conference, session)
        if "track" in changes:
            session.track = await self._track(conference, changes["track"])
        if "stream" in changes:
            session.stream = await self._stream(conference, changes["stream"])
        if data.speakers is not None:
            _set_speakers(session, await self._chosen_speakers(conference, data.speakers))
        await self.db.flush()
        if _public_state(session) != before:
            await record_change(self.db, session, shown_before, snapshot(session))
            await record_session_change(self.db, session)
            await record_programme_change(self.db, conference)

    async def set_status(
        self, conference: Conference, slugs: Sequence[str], status: SessionStatus
    ) -> builtins.list[ConferenceSession]:
        """Give the sessions ``slugs`` names one status, as one change of the programme.

        Each session whose status changes gets a new revision; the programme gets one new
        version however many changed (none if none did). An unknown slug refuses the whole
        change, naming it (``sessions[i]``), before anything is written. The sessions come
        back in the order named, each once.
        """
        wanted = [slug for slug in slugs if is_slug(slug)]
        found = {
            session.slug: session
            for session in await self.db.scalars(
                select(ConferenceSession)
                .where(ConferenceSession.conference_id == conference.id, ConferenceSession.slug.in_(wanted))
                .options(*_with_everything())
            )
        }
        for index, slug in enumerate(slugs):
            if slug not in found:
                raise FieldError(f"sessions[{index}]", "unknown_session", f"no session {slug!r} in this conference")
        sessions = [found[slug] for slug in dict.fromkeys(slugs)]
        changed = [session for session in sessions if session.status is not status]
        for session in changed:
            shown_before = snapshot(session)
            session.status = status
            await record_change(self.db, session, shown_before, snapshot(session))
        for session in changed:
            await record_session_change(self.db, session)
        if changed:
            await record_programme_change(self.db, conference)
        return sessions

    async def delete(self, conference: Conference, session: ConferenceSession) -> None:
        # Recorded before the delete is flushed: its followers go with it (``change_record``).
        await record_change(self.db, session, snapshot(session), None, deleted=True)
        await self.db.delete(session)
        await self.db.flush()
        await record_programme_change(self.db, conference)

    @staticmethod
    def night_warnings(conference: Conference, session: ConferenceSession) -> builtins.list[str]:
        warnings = []
        for link in session.speaker_links:
            zone = link.speaker.timezone
            if zone is None:
                continue
            start, end = to_zone(session.starts_at, zone), to_zone(session.ends_at, zone)
            if start.hour in NIGHT_HOURS or (end - timedelta(minutes=1)).hour in NIGHT_HOURS:
                warnings.append(f"{link.speaker.name} speaks at night in their zone: {start:%H:%M}–{end:%H:%M} {zone}")
        return warnings

    def _check_times(self, conference: Conference, session: ConferenceSession) -> None:
        if session.ends_at <= session.starts_at:
            raise FieldError("ends_at", "before_start", "must be after starts_at")
        if session.ends_at - session.starts_at > MAX_SESSION_LENGTH:
            raise FieldError("ends_at", "too_long", "a session may last at most 24 hours")
        local_day = to_zone(session.starts_at, conference.timezone).date()
        if not conference.starts_on <= local_day <= conference.ends_on:
            raise FieldError(
                "starts_at",
                "outside_conference",
                f"falls on {local_day.isoformat()} in {conference.timezone}, outside the conference "
                f"({conference.starts_on.isoformat()} to {conference.ends_on.isoformat()})",
            )

    async def _track(self, conference: Conference, slug: str | None) -> Track | None:
        if slug is None:
            return None
        track = await self.db.scalar(select(Track).where(Track.conference_id == conference.id, Track.slug == slug))
        if track is None:
            raise FieldError("track", "unknown_track", f"no track {slug!r} in this conference")
        return track

    async def _stream(self, conference: Conference, slug: str | None) -> Stream | None:
        if slug is None:
            return None
        stream = await self.db.scalar(select(Stream).where(Stream.conference_id == conference.id, Stream.slug == slug))
        if stream is None:
            raise FieldError("stream", "unknown_stream", f"no stream {slug!r} in this conference")
        return stream

    async def _chosen_speakers(
        self, conference: Conference, entries: builtins.list[SessionSpeakerIn]
    ) -> builtins.list[tuple[Speaker, SpeakerRole]]:
        """The conference's speakers the entries name, in order, with their roles."""
        slugs = [entry.speaker for entry in entries]
        speakers = {
            speaker.slug: speaker
            for speaker in await self.db.scalars(
                select(Speaker).where(Speaker.conference_id == conference.id, Speaker.slug.in_(slugs))
            )
        }
        chosen: builtins.list[tuple[Speaker, SpeakerRole]] = []
        seen: set[str] = set()
        for index, entry in enumerate(entries):
            if entry.speaker in seen:
                raise FieldError(f"speakers[{index}].speaker", "duplicate", f"{entry.speaker!r} is listed twice")
            seen.add(entry.speaker)
            speaker = speakers.get(entry.speaker)
            if speaker is None:
                raise FieldError(
                    f"speakers[{index}].speaker", "unknown_speaker", f"no speaker {entry.speaker!r} in this conference"
                )
            chosen.append((speaker, entry.role))
        return chosen


def _to_utc(field: str, value: datetime, zone: str) -> datetime:
    """``value`` in UTC; a time at the very edge of the calendar (year 1 or 9999) may not convert."""
    try:
        return to_utc(value, zone)
    except OverflowError:
        raise FieldError(field, "out_of_range", "out of range") from None


def _set_speakers(session: ConferenceSession, chosen: list[tuple[Speaker, SpeakerRole]]) -> None:
    """Make the session's speaker links match ``chosen``, in order.

    Links of speakers who stay are updated in place rather than replaced: a new link for
    the same speaker would be inserted before the old one is deleted and break the
    (session, speaker) unique constraint. New links get their speaker without a backref
    event, which would otherwise try to cascade them through ``Speaker.session_links``.
    """
    existing = {link.speaker_id: link for link in session.speaker_links}
    links: list[SessionSpeaker] = []
    for position, (speaker, role) in enumerate(chosen):
        link = existing.get(speaker.id)
        if link is None:
            link = SessionSpeaker(speaker_id=speaker.id, role=role, position=position)
            set_committed_value(link, "speaker", speaker)
        else:
            if link.role != role:
                link.role = role
            if link.position != position:
                link.position = position
        links.append(link)
    if [id(link) for link in links] != [id(link) for link in session.speaker_links]:
        session.speaker_links = links


def _link_state(links: list[SessionSpeaker]) -> list[tuple[int, str]]:
    return [(link.speaker_id, link.role.value) for link in links]


def _public_state(session: ConferenceSession) -> tuple[Any, ...]:
    values: list[Any] = []
    for field in _PUBLIC_FIELDS:
        if field == "track":
            values.append(session.track.id if session.track else None)
        elif field == "stream":
            values.append(session.stream.id if session.stream else None)
        else:
            values.append(getattr(session, field))
    values.append(_link_state(session.speaker_links))
    return tuple(values)
