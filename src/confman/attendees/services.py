"""What attendees do on their own page, and the join gate.

The gate's rule: a confirmed registrant (holding a seat, for a session with a capacity),
inside the session's join window (from ``join_opens_minutes`` before its start to
``join_closes_minutes`` after its end, per conference), is sent to the meeting URL of the
session, else of its stream — read at that moment, so organisers may change it at any time
and nothing has to be re-sent. Everyone else learns why not, and when.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from confman.db.models import (
    AttendeeLink,
    Conference,
    ConferenceSession,
    Event,
    Registration,
    RegistrationSettings,
    RegistrationStatus,
    RegistrationToken,
    SeatStatus,
    SessionAttendance,
    SessionFollow,
    SessionReminder,
    SessionStatus,
    Stream,
)
from confman.lib.errors import FieldError
from confman.lib.timezones import utcnow
from confman.mail.outbox import emit_from_select, forget_recipient
from confman.published.model import PublicSession, PublishedProgramme
from confman.registration.placement import LOCKED, Placement
from confman.registration.rules import DEFAULTS, check_language
from confman.registration.seats import Seat, seats_of
from confman.registration.services import RegistrationService
from confman.settings import Settings


@dataclass(frozen=True, slots=True)
class AttendanceRules:
    """The join window and reminder lead of a conference; the defaults are registration's
    (open 15 minutes before the start, close at the end, remind an hour ahead)."""

    join_opens_minutes: int = DEFAULTS.join_opens_minutes
    join_closes_minutes: int = DEFAULTS.join_closes_minutes
    reminder_minutes: int | None = DEFAULTS.reminder_minutes

    def window(self, starts_at: datetime, ends_at: datetime) -> tuple[datetime, datetime]:
        return (
            starts_at - timedelta(minutes=self.join_opens_minutes),
            ends_at + timedelta(minutes=self.join_closes_minutes),
        )


async def attendance_rules(db: AsyncSession, conference_id: int) -> AttendanceRules:
    row = (
        await db.execute(
            select(
                RegistrationSettings.join_opens_minutes,
                RegistrationSettings.join_closes_minutes,
                RegistrationSettings.reminder_minutes,
            ).where(RegistrationSettings.conference_id == conference_id)
        )
    ).first()
    return AttendanceRules(*row) if row is not None else AttendanceRules()


# --- what an attendee follows -----------------------------------------------------------------


async def followed_session_ids(
    db: AsyncSession, registration: Registration, programme: PublishedProgramme, seats: dict[int, Seat]
) -> set[int]:
    """The sessions in the attendee's calendar: all by default, else the chosen ones and those
    they hold a seat or waiting-list place in."""
    if registration.follows_all:
        return {session.id for session in programme.sessions}
    chosen = set(
        await db.scalars(select(SessionFollow.session_id).where(SessionFollow.registration_id == registration.id))
    )
    public = {session.id for session in programme.sessions}
    return (chosen | set(seats)) & public


async def set_follows(
    db: AsyncSession, registration: Registration, *, follow_all: bool, session_ids: Iterable[int]
) -> None:
    """Follow every session, or exactly ``session_ids`` (already checked to be the conference's)."""
    await db.execute(delete(SessionFollow).where(SessionFollow.registration_id == registration.id))
    registration.follows_all = follow_all
    if not follow_all:
        db.add_all(
            SessionFollow(registration_id=registration.id, session_id=session_id)
            for session_id in sorted(set(session_ids))
        )
    await db.flush()


def join_link_sessions(
    registration: Registration, sessions: Iterable[PublicSession], seats: dict[int, Seat]
) -> list[PublicSession]:
    """The sessions whose join link can open for this attendee: confirmed, not cancelled, and
    with a seat where the session has a capacity."""
    if registration.status is not RegistrationStatus.CONFIRMED:
        return []
    return [
        session
        for session in sessions
        if not session.cancelled
        and (session.capacity is None or (seats.get(session.id) or Seat(SeatStatus.CANCELLED)).status
             is SeatStatus.CONFIRMED)
    ]  # fmt: skip


# --- the attendee's own changes ---------------------------------------------------------------


async def update_profile(
    db: AsyncSession, settings: Settings, conference: Conference, registration: Registration,
    *, name: str, timezone: str, language: str,
) -> None:  # fmt: skip
    check_language(conference, language)
    registration.name = name
    registration.timezone = timezone
    registration.language = language
    await db.flush()


async def erase(
    db: AsyncSession, settings: Settings, conference: Conference, registration: Registration,
    placement: Placement = LOCKED,
) -> None:  # fmt: skip
    """Delete the attendee's personal data. The row stays, cancelled and anonymous (with its
    country, which identifies no one), so that counts and attendance figures still add up."""
    if registration.status is not RegistrationStatus.CANCELLED:
        await RegistrationService(db, settings, placement).cancel(conference, registration)
    registration_id = registration.id
    registration.name = ""
    registration.email = f"erased-{registration_id}@invalid"
    registration.answers = {}
    registration.timezone = conference.timezone
    registration.note = None
    registration.follows_all = True
    registration.erased_at = utcnow()
    for model in (RegistrationToken, AttendeeLink, SessionFollow, SessionReminder):
        await db.execute(delete(model).where(model.registration_id == registration_id))
    # No e-mail goes to the address any more, and those sent keep neither it nor their links.
    await forget_recipient(db, registration_id, registration.email)
    await db.flush()


# --- the join gate ----------------------------------------------------------------------------


class Gate(enum.StrEnum):
    OPEN = "open"
    EARLY = "early"
    ENDED = "ended"
    CANCELLED = "cancelled"
    # A session with a capacity, and the attendee holds no seat in it.
    NO_SEAT = "no_seat"
    # Inside the window, but the organisers have set no meeting URL yet.
    NO_MEETING = "no_meeting"


@dataclass(frozen=True, slots=True)
class JoinTarget:
    id: int
    slug: str
    starts_at: datetime
    ends_at: datetime
    cancelled: bool
    capacity: int | None
    meeting_url: str | None
    recording_url: str | None


@dataclass(frozen=True, slots=True)
class JoinDecision:
    gate: Gate
    target: JoinTarget
    opens_at: datetime
    closes_at: datetime

    @property
    def meeting_url(self) -> str | None:
        return self.target.meeting_url if self.gate is Gate.OPEN else None


async def join_target(db: AsyncSession, conference_id: int, slug: str) -> JoinTarget | None:
    """A public session of the conference with the meeting URL that applies to it (one query)."""
    if not slug or len(slug) > 64:
        return None
    row = (
        await db.execute(
            select(
                ConferenceSession.id,
                ConferenceSession.slug,
                ConferenceSession.starts_at,
                ConferenceSession.ends_at,
                ConferenceSession.status,
                ConferenceSession.capacity,
                func.coalesce(ConferenceSession.meeting_url, Stream.meeting_url),
                ConferenceSession.recording_url,
            )
            .outerjoin(Stream, Stream.id == ConferenceSession.stream_id)
            .where(
                ConferenceSession.conference_id == conference_id,
                ConferenceSession.slug == slug,
                ConferenceSession.status != SessionStatus.DRAFT,
            )
        )
    ).first()
    if row is None:
        return None
    session_id, session_slug, starts_at, ends_at, status, capacity, meeting_url, recording_url = row
    return JoinTarget(
        session_id, session_slug, starts_at, ends_at, status is SessionStatus.CANCELLED, capacity,
        meeting_url or None, recording_url or None,
    )  # fmt: skip


async def decide(
    db: AsyncSession, registration: Registration, target: JoinTarget, rules: AttendanceRules, now: datetime
) -> JoinDecision:
    """Where the join link of a confirmed registrant leads now."""
    opens_at, closes_at = rules.window(target.starts_at, target.ends_at)

    def decision(gate: Gate) -> JoinDecision:
        return JoinDecision(gate, target, opens_at, closes_at)

    if target.cancelled:
        return decision(Gate.CANCELLED)
    if target.capacity is not None:
        seat = (await seats_of(db, registration.id)).get(target.id)
        if seat is None or seat.status is not SeatStatus.CONFIRMED:
            return decision(Gate.NO_SEAT)
    if now < opens_at:
        return decision(Gate.EARLY)
    if now >= closes_at:
        return decision(Gate.ENDED)
    if target.meeting_url is None:
        return decision(Gate.NO_MEETING)
    return decision(Gate.OPEN)


async def record_join(db: AsyncSession, registration_id: int, session_id: int, now: datetime) -> None:
    """First join time and count, as one upsert (two tabs joining at once count twice, once each)."""
    insert = postgresql_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(SessionAttendance).values(
        session_id=session_id,
        registration_id=registration_id,
        first_joined_at=now,
        last_joined_at=now,
        joins=1,
        created_at=now,
        updated_at=now,
    )
    statement = statement.on_conflict_do_update(
        index_elements=[SessionAttendance.session_id, SessionAttendance.registration_id],
        set_={
            "joins": SessionAttendance.joins + 1,
            "last_joined_at": statement.excluded.last_joined_at,
            "updated_at": statement.excluded.updated_at,
        },
    )
    await db.execute(statement)
    conference_id = select(ConferenceSession.conference_id).where(ConferenceSession.id == session_id)
    await emit_from_select(
        db,
        Event.ATTENDANCE_JOINED,
        conference_id=conference_id.scalar_subquery(),
        payload={"registration_id": registration_id, "session_id": session_id, "joined_at": now.isoformat()},
    )


def check_session_ids(programme: PublishedProgramme, slugs: Iterable[str]) -> list[int]:
    """The ids of the programme's sessions named by ``slugs``; a FieldError for any other."""
    by_slug = {session.slug: session.id for session in programme.sessions}
    ids = []
    for slug in slugs:
        if slug not in by_slug:
            raise FieldError("session", "unknown_session", f"{slug[:64]!r} is not a session of this conference")
        ids.append(by_slug[slug])
    return ids
