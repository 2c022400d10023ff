"""Placement: giving a registration a seat or a waiting-list place, never beyond capacity.

Seats are given inside a per-conference lock: ``SELECT … FOR UPDATE`` of the conference's
``registration_tally`` row on PostgreSQL (it serialises placements of one conference across
every process and machine; no other row references it, so the lock never meets the
foreign-key checks on the conference row); on SQLite every writing request already holds the
database's write lock (``BEGIN IMMEDIATE``). Counts and the next waiting-list number are read
inside that lock from ``registration_tally``, which database triggers keep (so a placement
costs the same at any size).

On PostgreSQL a new registration is placed at COMMIT by the trigger ``confman_place_on_commit``
(migrations 0003, 0005), which holds the lock for no client round trip: see
:func:`commit_placement`.

:class:`Placement` is that discipline as one object, which ``create_app`` takes: the app and
the CLI use the default; the race test's control run gives its own (in ``tests/``) to show that
the test fails without the lock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, NamedTuple

from litestar.di import NamedDependency
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from confman.db.models import Conference, Registration, RegistrationStatus, RegistrationTally
from confman.lib.timezones import utcnow
from confman.registration.notices import Kind, RegistrationNotices
from confman.registration.queries import PLACED, POSITION, TALLY, conference_rules, waitlist_position
from confman.registration.rules import ConferenceLike, EffectiveSettings

# An outcome that the commit decides (PostgreSQL): see commit_placement.
PLACING = "placing"
FULL_ON_COMMIT = "confman: conference full"
# What confman_place_on_commit (migration 0005) tells the committing client: "confman placed
# <registration id> confirmed" or "confman placed <registration id> waitlisted <position>".
_PLACED_NOTICE = re.compile(r"confman placed (\d+) (confirmed|waitlisted)(?: (\d+))?")


@dataclass(frozen=True)
class Outcome:
    """What happened to a registration: ``check_email`` (pending), ``confirmed``,
    ``waitlisted`` (with ``position``), ``full`` or ``cancelled``."""

    result: str
    position: int | None = None
    registration: Registration | None = None
    # Set instead of ``registration`` where the row was written with Core (the submit's fast path).
    registration_id: int | None = None


class Grant(NamedTuple):
    """What an allocation gives: a seat (``confirmed``), a waiting-list number and the
    position it gives, or nothing (``status`` None: full, and no waiting list)."""

    status: RegistrationStatus | None
    waitlist_seq: int | None = None
    position: int | None = None


async def lock_conference(db: AsyncSession, conference: ConferenceLike) -> None:
    """Serialise seat allocation for one conference until the transaction ends: its tally row,
    the lock that ``confman_place_on_commit`` takes too (migration 0005). SQLite: the write
    lock that the request holds already."""
    if db.get_bind().dialect.name != "postgresql":
        return
    await db.execute(
        select(RegistrationTally.id).where(RegistrationTally.conference_id == conference.id).with_for_update()
    )


async def tally(db: AsyncSession, conference_id: int) -> tuple[int, int, int]:
    """Confirmed, waiting and the last waiting-list number, from the row the database's
    triggers keep (migration 0005); exact inside the conference's lock."""
    row = (await db.execute(TALLY, {"conference_id": conference_id})).first()
    return (0, 0, 0) if row is None else (row[0], row[1], row[2])


class Placement:
    """How seats are given: one conference's placements one after another (the lock above).

    Every placement goes through one of these: :meth:`at_commit` says whether the database
    places a new registration when the transaction commits; otherwise the request places it
    itself, between :meth:`begin` and the write that follows :meth:`allocation`.
    """

    def at_commit(self, db: AsyncSession) -> bool:
        """PostgreSQL places at COMMIT (``confman_place_on_commit``); SQLite places in the request."""
        return db.get_bind().dialect.name == "postgresql"

    async def lock(self, db: AsyncSession, conference: ConferenceLike) -> None:
        """Hold the conference's placements until the transaction ends (cancelling, an
        organiser's change, new rules)."""
        await lock_conference(db, conference)

    async def begin(self, db: AsyncSession, conference: ConferenceLike) -> None:
        """Before reading what decides a placement."""
        await self.lock(db, conference)

    async def allocation(self, db: AsyncSession, conference: ConferenceLike, rules: EffectiveSettings) -> Grant:
        """Inside the lock: a seat if one is free, else the next waiting-list number and the
        position it gives, else nothing. One row read: the lock is held for as short as possible."""
        confirmed, waiting, last_seq = await tally(db, conference.id)
        if rules.capacity is None or confirmed < rules.capacity:
            return Grant(RegistrationStatus.CONFIRMED)
        if rules.waitlist:
            return Grant(RegistrationStatus.WAITLISTED, last_seq + 1, waiting + 1)
        return Grant(None)


# The placement every app uses unless ``create_app`` is given another.
LOCKED = Placement()
# How handlers ask for the running app's placement.
AppPlacement = NamedDependency[Placement]


def place(registration: Registration, status: RegistrationStatus, seq: int | None) -> None:
    registration.status = status
    registration.waitlist_seq = seq
    if status is RegistrationStatus.CONFIRMED:
        registration.confirmed_at = utcnow()


class Placer:
    """Placements of registrations in hand (ORM rows), each told to the attendee by e-mail.
    The caller holds the conference's lock."""

    def __init__(self, db: AsyncSession, notices: RegistrationNotices) -> None:
        self.db = db
        self.notices = notices

    async def after_placing(
        self, conference: ConferenceLike, registration: Registration, position: int | None = None
    ) -> Outcome:
        if registration.status is RegistrationStatus.CONFIRMED:
            await self.notices.status(conference, registration, Kind.CONFIRMED)
            return Outcome("confirmed", registration=registration)
        if position is None:
            position = await waitlist_position(self.db, registration)
        await self.notices.status(conference, registration, Kind.WAITLISTED, position=position)
        return Outcome("waitlisted", position, registration)

    async def promote(self, conference: Conference, rules: EffectiveSettings | None = None) -> list[Registration]:
        """Fill free seats from the head of the waiting list."""
        rules = rules or await conference_rules(self.db, conference)
        confirmed, waiting, _ = await tally(self.db, conference.id)
        free = waiting if rules.capacity is None else rules.capacity - confirmed
        if free <= 0 or waiting == 0:
            return []
        heads = list(
            await self.db.scalars(
                select(Registration)
                .where(
                    Registration.conference_id == conference.id, Registration.status == RegistrationStatus.WAITLISTED
                )
                .order_by(Registration.waitlist_seq)
                .limit(free)
            )
        )
        for registration in heads:
            place(registration, RegistrationStatus.CONFIRMED, None)
            await self.notices.status(conference, registration, Kind.PROMOTED)
        await self.db.flush()
        return heads


async def placed(db: AsyncSession, registration_id: int) -> Outcome:
    """After the commit: what the placement gave, and the position it told the attendee."""
    status, position = (await db.execute(PLACED, {"registration_id": registration_id})).one()
    result = RegistrationStatus(status)
    if result is not RegistrationStatus.WAITLISTED:
        return Outcome(result.value, registration_id=registration_id)
    if position is None:  # no waiting-list e-mail (an organiser's change): rank it
        position = await db.scalar(POSITION, {"registration_id": registration_id})
    return Outcome(result.value, int(position), registration_id=registration_id)


async def commit_placement(db: AsyncSession, outcome: Outcome) -> Outcome:
    """Commit a placement that PostgreSQL makes at COMMIT, and say what it gave.

    The one commit on a request path outside ``provide_db_session`` (PostgreSQL only): the answer must say
    whether the attendee got a seat, and that is decided by the commit (its trigger holds the
    conference's lock for no client round trip). A full conference without a waiting list
    aborts the commit: nothing of the submit stays, and the answer is "full". Other outcomes
    pass through; ``provide_db_session`` commits them as usual.

    The trigger reports the placement as a notice within the COMMIT's answer, so a commit is
    one round trip and no query follows it. Should the notice not arrive (a server configured
    with ``client_min_messages`` above NOTICE, say), the answer is read back instead.
    """
    registration_id = outcome.registration.id if outcome.registration is not None else outcome.registration_id
    if outcome.result != PLACING or registration_id is None:
        return outcome
    driver = (await (await db.connection()).get_raw_connection()).driver_connection  # asyncpg's
    assert driver is not None  # a connection is checked out: the submit wrote with it
    reported: dict[int, Outcome] = {}

    def on_notice(_connection: Any, message: Any) -> None:
        # Only ours: the connection goes back to the pool within the commit.
        found = _PLACED_NOTICE.fullmatch(getattr(message, "message", "") or "")
        if found is not None and int(found[1]) == registration_id:
            position = int(found[3]) if found[3] is not None else None
            reported[registration_id] = Outcome(found[2], position, registration_id=registration_id)

    driver.add_log_listener(on_notice)
    try:
        await db.commit()
    except DBAPIError as error:
        await db.rollback()
        if FULL_ON_COMMIT in str(error):
            return Outcome("full")
        raise
    finally:
        driver.remove_log_listener(on_notice)
    # asyncpg hands notices to listeners with call_soon, before it wakes the committing task;
    # the fallback is a new transaction, which provide_db_session commits.
    return reported.get(registration_id) or await placed(db, registration_id)
