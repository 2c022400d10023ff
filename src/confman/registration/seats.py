"""Seats in sessions with their own capacity (workshops), with a waiting list per session.

The same guarantee as conference registration: a seat is given inside a per-session lock
(``SELECT … FOR NO KEY UPDATE`` of the session row on PostgreSQL, across every process and
machine; SQLite's write lock, which every writing request holds from its first statement),
so a session never has more confirmed seats than its capacity. Releasing a seat gives it to
the head of the session's waiting list in the same transaction. Who gets a seat is decided by
the seat rule that conference registration uses (``registration/seat_rule.py``), with the
session's capacity and a waiting list that is always on.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from confman.db.models import (
    Conference,
    ConferenceSession,
    Event,
    OutboxEvent,
    Registration,
    RegistrationStatus,
    SeatStatus,
    SessionSeat,
    SessionStatus,
)
from confman.lib.errors import ConflictError, FieldError
from confman.lib.timezones import utcnow
from confman.lib.urls import session_url
from confman.mail.outbox import emit, enqueue
from confman.registration.notices import Kind
from confman.registration.seat_rule import Grant, seat_rule, seats_for_waiting

# The e-mail to the head of a session's waiting list when a seat becomes theirs.
SEAT_PROMOTED = Kind.SEAT_PROMOTED
# Sessions with seats always keep a waiting list (the seat rule's ``waitlist``).
WORKSHOP_WAITLIST = True


@dataclass(frozen=True, slots=True)
class Seat:
    """An attendee's place in a session: ``confirmed``, or ``waitlisted`` at ``position``."""

    status: SeatStatus
    position: int | None = None


async def _lock_session(db: AsyncSession, session_id: int) -> ConferenceSession | None:
    query = select(ConferenceSession).where(ConferenceSession.id == session_id)
    if db.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(key_share=True)
    found: ConferenceSession | None = await db.scalar(query)
    return found


async def seats_of(db: AsyncSession, registration_id: int) -> dict[int, Seat]:
    """The registration's seats and waiting-list places by session id, with positions (two queries)."""
    rows = (
        await db.execute(
            select(SessionSeat.session_id, SessionSeat.status, SessionSeat.waitlist_seq).where(
                SessionSeat.registration_id == registration_id, SessionSeat.status != SeatStatus.CANCELLED
            )
        )
    ).all()
    waiting = {session_id: seq for session_id, status, seq in rows if status is SeatStatus.WAITLISTED}
    positions: dict[int, int] = {}
    if waiting:
        ahead = (
            await db.execute(
                select(SessionSeat.session_id, func.count())
                .where(
                    SessionSeat.session_id.in_(waiting),
                    SessionSeat.status == SeatStatus.WAITLISTED,
                    SessionSeat.waitlist_seq <= case(waiting, value=SessionSeat.session_id),
                )
                .group_by(SessionSeat.session_id)
            )
        ).all()
        positions = {session_id: int(count) for session_id, count in ahead}
    return {session_id: Seat(status, positions.get(session_id)) for session_id, status, _ in rows}


async def taken_seats(db: AsyncSession, session_ids: list[int]) -> dict[int, int]:
    """Confirmed seats per session (one query)."""
    if not session_ids:
        return {}
    rows = await db.execute(
        select(SessionSeat.session_id, func.count())
        .where(SessionSeat.session_id.in_(session_ids), SessionSeat.status == SeatStatus.CONFIRMED)
        .group_by(SessionSeat.session_id)
    )
    return {session_id: int(count) for session_id, count in rows.tuples()}


async def take_seat(db: AsyncSession, registration: Registration, session_id: int) -> Seat:
    """A seat if one is free, else a place on the session's waiting list; the same again if held."""
    if registration.status is not RegistrationStatus.CONFIRMED:
        raise ConflictError("registration", "not_confirmed", "only confirmed attendees can take a seat")
    session = await _lock_session(db, session_id)
    if session is None or session.conference_id != registration.conference_id or not session.is_public:
        raise FieldError("session", "unknown_session", "no such session")
    if session.status is SessionStatus.CANCELLED:
        raise ConflictError("session", "session_cancelled", "the session is cancelled")
    if session.capacity is None:
        raise FieldError("session", "no_seats", "this session has no seats to take; follow it instead")
    if session.ends_at <= utcnow():
        raise ConflictError("session", "session_over", "the session is over")
    seat: SessionSeat | None = await db.scalar(
        select(SessionSeat).where(SessionSeat.session_id == session_id, SessionSeat.registration_id == registration.id)
    )
    if seat is not None and seat.status is not SeatStatus.CANCELLED:
        return (await seats_of(db, registration.id))[session_id]
    confirmed, waiting, last_seq = (
        await db.execute(
            select(
                func.coalesce(func.sum(case((SessionSeat.status == SeatStatus.CONFIRMED, 1), else_=0)), 0),
                func.coalesce(func.sum(case((SessionSeat.status == SeatStatus.WAITLISTED, 1), else_=0)), 0),
                func.max(SessionSeat.waitlist_seq),
            ).where(SessionSeat.session_id == session_id)
        )
    ).one()
    if seat is None:
        seat = SessionSeat(session_id=session_id, registration_id=registration.id)
        db.add(seat)
    seat.cancelled_at = None
    decision = seat_rule(session.capacity, int(confirmed), WORKSHOP_WAITLIST, int(waiting), int(last_seq or 0))
    if decision.grant is Grant.SEAT:
        seat.status, seat.waitlist_seq, seat.confirmed_at = SeatStatus.CONFIRMED, None, utcnow()
        _seat_granted(db, session, registration.id, "taken")
        result = Seat(SeatStatus.CONFIRMED)
    else:  # Grant.WAITLIST: a workshop always has a waiting list
        seat.status, seat.waitlist_seq = SeatStatus.WAITLISTED, decision.waitlist_seq
        result = Seat(SeatStatus.WAITLISTED, decision.position)
    await db.flush()
    return result


async def release_seat(db: AsyncSession, registration_id: int, session_id: int, *, base_url: str) -> list[int]:
    """Give up a seat or waiting-list place; the freed seat goes to the head of the list, who
    gets an e-mail in the same transaction. Returns the registration ids promoted."""
    session = await _lock_session(db, session_id)
    seat: SessionSeat | None = await db.scalar(
        select(SessionSeat).where(SessionSeat.session_id == session_id, SessionSeat.registration_id == registration_id)
    )
    if session is None or seat is None or seat.status is SeatStatus.CANCELLED:
        return []
    seat.status, seat.waitlist_seq, seat.cancelled_at = SeatStatus.CANCELLED, None, utcnow()
    await db.flush()
    return await _promote(db, session, base_url)


async def release_all_seats(db: AsyncSession, registration_id: int, *, base_url: str) -> None:
    """A cancelled registration gives up every seat it held (each freed seat moves its list on)."""
    session_ids = list(
        await db.scalars(
            select(SessionSeat.session_id)
            .where(SessionSeat.registration_id == registration_id, SessionSeat.status != SeatStatus.CANCELLED)
            .order_by(SessionSeat.session_id)
        )
    )
    for session_id in session_ids:
        await release_seat(db, registration_id, session_id, base_url=base_url)


async def _promote(db: AsyncSession, session: ConferenceSession, base_url: str) -> list[int]:
    """Fill free seats from the head of the waiting list (the caller holds the session's lock)."""
    if session.capacity is None:
        return []
    confirmed, waiting = (
        await db.execute(
            select(
                func.coalesce(func.sum(case((SessionSeat.status == SeatStatus.CONFIRMED, 1), else_=0)), 0),
                func.coalesce(func.sum(case((SessionSeat.status == SeatStatus.WAITLISTED, 1), else_=0)), 0),
            ).where(SessionSeat.session_id == session.id)
        )
    ).one()
    free = seats_for_waiting(session.capacity, int(confirmed), int(waiting))
    if free == 0:
        return []
    heads = list(
        await db.scalars(
            select(SessionSeat)
            .where(SessionSeat.session_id == session.id, SessionSeat.status == SeatStatus.WAITLISTED)
            .order_by(SessionSeat.waitlist_seq)
            .limit(free)
        )
    )
    for seat in heads:
        seat.status, seat.waitlist_seq, seat.confirmed_at = SeatStatus.CONFIRMED, None, utcnow()
    promoted = [seat.registration_id for seat in heads]
    if promoted:
        await _mail_promoted(db, session, promoted, base_url)
    await db.flush()
    return promoted


async def _mail_promoted(
    db: AsyncSession, session: ConferenceSession, registration_ids: list[int], base_url: str
) -> None:
    slug = await db.scalar(select(Conference.slug).where(Conference.id == session.conference_id))
    for registration in await db.scalars(select(Registration).where(Registration.id.in_(registration_ids))):
        granted = _seat_granted(db, session, registration.id, "waitlist")
        enqueue(
            db, kind=SEAT_PROMOTED, recipient=registration.email, language=registration.language,
            conference_id=session.conference_id, registration_id=registration.id, base_url=base_url, event=granted,
            context={"name": registration.name, "timezone": registration.timezone, "session": session.slug,
                     "session_url": session_url(base_url, slug or "", session.slug)},
        )  # fmt: skip


def _seat_granted(db: AsyncSession, session: ConferenceSession, registration_id: int, source: str) -> OutboxEvent:
    """The event ``seat.granted``: taken while free (``source`` "taken") or from the waiting list."""
    return emit(
        db, Event.SEAT_GRANTED, conference_id=session.conference_id,
        payload={"registration_id": registration_id, "session_id": session.id, "session": session.slug,
                 "source": source},
    )  # fmt: skip
