"""The seat rule: who gets a seat, a waiting-list place, or nothing.

One rule for conference seats and workshop seats. PostgreSQL decides with the SQL function
``confman_seat_rule`` (``src/confman/db/sql/``, loaded by the migrations), SQLite with this
twin; a table-driven test holds the two to the same answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Grant(StrEnum):
    SEAT = "seat"
    WAITLIST = "waitlist"
    FULL = "full"


@dataclass(frozen=True, slots=True)
class SeatDecision:
    grant: Grant
    # The new waiting-list number and the position it gives (only for WAITLIST).
    waitlist_seq: int | None = None
    position: int | None = None


def seat_rule(capacity: int | None, confirmed: int, waitlist: bool, waiting: int, last_seq: int) -> SeatDecision:
    """Inside the lock: a seat while one is free, else the end of the waiting list when it is
    on, else nothing. ``capacity`` None means unlimited."""
    if capacity is None or confirmed < capacity:
        return SeatDecision(Grant.SEAT)
    if waitlist:
        return SeatDecision(Grant.WAITLIST, last_seq + 1, waiting + 1)
    return SeatDecision(Grant.FULL)


def seats_for_waiting(capacity: int | None, confirmed: int, waiting: int) -> int:
    """How many of the ``waiting`` at the head of a waiting list the rule seats now, one after
    the other (a promotion after a seat is freed or the capacity raised)."""
    seated = 0
    while seated < waiting and seat_rule(capacity, confirmed + seated, True, 0, 0).grant is Grant.SEAT:
        seated += 1
    return seated
