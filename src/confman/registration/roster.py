"""What organisers read about registrations beyond the service's figures: the values present
(for the filters' choices), waiting-list positions of a page's rows, and one registration's
history (its events and e-mails) and sessions (followed, seats, joins).

Every function is a fixed number of queries, whatever the number of registrations; each
answer is plain data, which a page may still show after its transaction rolled back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from confman.db.models import (
    ConferenceSession,
    OutboxEvent,
    OutboxMail,
    Registration,
    RegistrationStatus,
    SessionAttendance,
    SessionFollow,
    SessionSeat,
)


@dataclass(frozen=True)
class Facets:
    """A conference's registrations in figures: the counts of ``RegistrationService.counts``
    and ``.counts_by_country`` (confirmed and waiting, most first), and the countries and
    zones present (for the filters' choices)."""

    by_status: dict[RegistrationStatus, int]
    by_country: dict[str, int]
    countries: list[str]
    zones: list[str]


async def facets(db: AsyncSession, conference_id: int) -> Facets:
    """All of :class:`Facets` from one GROUP BY: one pass over the conference's registrations
    instead of one per figure (each pass reads every row)."""
    rows = await db.execute(
        select(Registration.status, Registration.country, Registration.timezone, func.count())
        .where(Registration.conference_id == conference_id)
        .group_by(Registration.status, Registration.country, Registration.timezone)
    )
    by_status = dict.fromkeys(RegistrationStatus, 0)
    by_country: dict[str, int] = {}
    countries: set[str] = set()
    zones: set[str] = set()
    for status, country, zone, count in rows.tuples():
        by_status[status] += count
        if status in (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED):
            by_country[country or ""] = by_country.get(country or "", 0) + count
        if country:
            countries.add(country)
        zones.add(zone)
    ordered = dict(sorted(by_country.items(), key=lambda item: (-item[1], item[0])))
    return Facets(by_status, ordered, sorted(countries), sorted(zones))


async def positions_of(db: AsyncSession, conference_id: int, waiting: Mapping[int, int]) -> dict[int, int]:
    """Waiting-list positions (1 is next) of the waiting registrations ``waiting`` ({id:
    waitlist_seq}, a page's): their ranks by ``waitlist_seq`` among those still waiting, in one
    query that reads the waiting list only up to the page's last number (the conference's
    ``waitlist_seq`` index), so the first pages cost little however long the list."""
    if not waiting:
        return {}
    ranked = (
        select(
            Registration.id.label("id"),
            func.row_number().over(order_by=Registration.waitlist_seq).label("position"),
        )
        .where(
            Registration.conference_id == conference_id,
            Registration.waitlist_seq <= max(waiting.values()),
            Registration.status == RegistrationStatus.WAITLISTED,
        )
        .subquery()
    )
    rows = await db.execute(select(ranked.c.id, ranked.c.position).where(ranked.c.id.in_(list(waiting))))
    return {int(registration_id): int(position) for registration_id, position in rows.tuples()}


@dataclass(frozen=True)
class HistoryEvent:
    name: str
    at: datetime
    payload: dict[str, Any]


@dataclass(frozen=True)
class SentMail:
    kind: str
    status: str
    queued_at: datetime
    sent_at: datetime | None
    attempts: int


async def history(db: AsyncSession, conference_id: int, registration_id: int) -> list[HistoryEvent]:
    """The outbox events about one registration, oldest first: by the conference's index,
    then the payload's ``registration_id`` (JSON on both databases)."""
    rows = await db.execute(
        select(OutboxEvent.name, OutboxEvent.created_at, OutboxEvent.payload)
        .where(
            OutboxEvent.conference_id == conference_id,
            OutboxEvent.payload["registration_id"].as_integer() == registration_id,
        )
        .order_by(OutboxEvent.id)
    )
    return [HistoryEvent(name, at, dict(payload or {})) for name, at, payload in rows.tuples()]


async def mails(db: AsyncSession, registration_id: int) -> list[SentMail]:
    """The e-mails to one registration, oldest first (by the e-mails' registration index)."""
    rows = await db.execute(
        select(OutboxMail.kind, OutboxMail.status, OutboxMail.created_at, OutboxMail.sent_at, OutboxMail.attempts)
        .where(OutboxMail.registration_id == registration_id)
        .order_by(OutboxMail.id)
    )
    return [SentMail(kind, status.value, queued, sent, attempts) for kind, status, queued, sent, attempts in rows]


@dataclass(frozen=True)
class SessionLine:
    """A session in a registration's view; ``seat`` and the joins only where they apply."""

    slug: str
    title: dict[str, str]
    starts_at: datetime
    seat: str | None = None
    first_joined_at: datetime | None = None
    last_joined_at: datetime | None = None
    joins: int = 0


@dataclass
class RegistrationSessions:
    follows_all: bool
    followed: list[SessionLine] = field(default_factory=list)
    seats: list[SessionLine] = field(default_factory=list)
    joined: list[SessionLine] = field(default_factory=list)


async def sessions_of(db: AsyncSession, registration_id: int, follows_all: bool) -> RegistrationSessions:
    """The sessions a registration chose (unless it follows all), its seats and its joins."""
    found = RegistrationSessions(follows_all=follows_all)
    base = (ConferenceSession.slug, ConferenceSession.title, ConferenceSession.starts_at)
    order = (ConferenceSession.starts_at, ConferenceSession.slug)
    if not follows_all:
        rows = await db.execute(
            select(*base)
            .join(SessionFollow, SessionFollow.session_id == ConferenceSession.id)
            .where(SessionFollow.registration_id == registration_id)
            .order_by(*order)
        )
        found.followed = [SessionLine(slug, dict(title), start) for slug, title, start in rows.tuples()]
    seats = await db.execute(
        select(*base, SessionSeat.status)
        .join(SessionSeat, SessionSeat.session_id == ConferenceSession.id)
        .where(SessionSeat.registration_id == registration_id)
        .order_by(*order)
    )
    found.seats = [SessionLine(slug, dict(title), start, seat=status.value) for slug, title, start, status in seats]
    joins = await db.execute(
        select(*base, SessionAttendance.first_joined_at, SessionAttendance.last_joined_at, SessionAttendance.joins)
        .join(SessionAttendance, SessionAttendance.session_id == ConferenceSession.id)
        .where(SessionAttendance.registration_id == registration_id)
        .order_by(*order)
    )
    found.joined = [
        SessionLine(slug, dict(title), start, first_joined_at=first, last_joined_at=last, joins=count)
        for slug, title, start, first, last, count in joins
    ]
    return found
