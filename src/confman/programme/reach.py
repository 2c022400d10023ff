"""Audience reach: for whom of the registered attendees a session falls in their day.

An attendee's day is 07:00–23:00 in their own zone (their night is 23:00–07:00, as for the
speakers in :mod:`confman.programme.flags`). A session *falls in their day* when its whole
``[start, end)`` lies inside one such window: it starts at 07:00 local or later and ends at
23:00 local of the same day or earlier. A session that crosses 23:00 (or starts before 07:00)
does not, however little of it is in the night — exactly the sessions for which
``flags.py`` would call a speaker's slot "at night".

The windows are real conversions with zoneinfo, date by date, so a daylight-saving change
between two days of a conference moves them as it moves the attendees' clocks.

What it costs: the audience is read as counts by zone (one ``GROUP BY``), never row by row.
Zones whose windows fall at the same UTC moments over the dates asked (Berlin, Paris and Rome;
Lagos and Algiers in November) are merged into one group, so every figure costs
sessions × distinct day windows (a few dozen at most), whatever the registrations.
"""

from __future__ import annotations

import functools
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from confman.db.models import Conference, Registration, RegistrationStatus
from confman.lib.timezones import get_zone, is_known_zone
from confman.programme.flags import NIGHT_ENDS, NIGHT_STARTS

# Who counts when "all" registered attendees are meant: everyone not cancelled (nor erased).
ATTENDING = (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED, RegistrationStatus.PENDING)
DAY_START, DAY_END = time(NIGHT_ENDS), time(NIGHT_STARTS)


class Timed(Protocol):
    @property
    def slug(self) -> str: ...
    @property
    def starts_at(self) -> datetime: ...
    @property
    def ends_at(self) -> datetime: ...


@dataclass(frozen=True)
class Reach:
    """How many of ``total`` attendees have a moment (a session) in their day."""

    in_day: int
    total: int

    @property
    def share(self) -> float:
        return self.in_day / self.total if self.total else 0.0

    @property
    def percent(self) -> int:
        return round(100 * self.share)


@dataclass(frozen=True)
class StartReach:
    start: datetime  # aware, in the zone the starts were asked in
    reach: Reach


# -- the audience: two GROUP BY queries ---------------------------------------------------------


def _audience(conference: Conference, confirmed_only: bool) -> list[ColumnElement[bool]]:
    statuses = (RegistrationStatus.CONFIRMED,) if confirmed_only else ATTENDING
    return [
        Registration.conference_id == conference.id,
        Registration.status.in_(statuses),
        Registration.erased_at.is_(None),
    ]


async def audience_zones(db: AsyncSession, conference: Conference, confirmed_only: bool) -> dict[str, int]:
    """Registered attendees by zone: confirmed only, or all who have not cancelled."""
    rows = await db.execute(
        select(Registration.timezone, func.count())
        .where(*_audience(conference, confirmed_only))
        .group_by(Registration.timezone)
    )
    return dict(rows.tuples().all())


async def audience_counts(
    db: AsyncSession, conference: Conference, confirmed_only: bool
) -> tuple[dict[str, int], dict[str | None, int]]:
    """Registered attendees by zone and by country (None: not given), counted as
    :func:`audience_zones`, from one scan: ``GROUP BY`` zone and country together."""
    rows = await db.execute(
        select(Registration.timezone, Registration.country, func.count())
        .where(*_audience(conference, confirmed_only))
        .group_by(Registration.timezone, Registration.country)
    )
    zones: dict[str, int] = defaultdict(int)
    countries: dict[str | None, int] = defaultdict(int)
    for zone, country, count in rows.tuples():
        zones[zone] += count
        countries[country] += count
    return dict(zones), dict(countries)


# -- the day window -----------------------------------------------------------------------------


def in_their_day(starts_at: datetime, ends_at: datetime, zone: str) -> bool:
    """Whether ``[starts_at, ends_at)`` lies within one 07:00–23:00 window of ``zone`` (the
    definition itself, one conversion per call; the figures below use cached windows)."""
    local = starts_at.astimezone(get_zone(zone))
    if local.time() < DAY_START:
        return False
    return ends_at <= day_window(zone, local.date())[1]


@functools.lru_cache(maxsize=65536)
def day_window(zone: str, day: date) -> tuple[datetime, datetime]:
    """The UTC moments of 07:00 and 23:00 on ``day`` in ``zone`` (what DST does to them included)."""
    tz = get_zone(zone)
    return (
        datetime.combine(day, DAY_START, tz).astimezone(UTC),
        datetime.combine(day, DAY_END, tz).astimezone(UTC),
    )


@functools.lru_cache(maxsize=65536)
def _window_seconds(zone: str, day: date) -> tuple[int, int]:
    start, end = day_window(zone, day)
    return int(start.timestamp()), int(end.timestamp())


@dataclass(frozen=True)
class _Group:
    """Attendees whose day windows fall at the same moments (as POSIX seconds, in order)."""

    starts: tuple[int, ...]
    ends: tuple[int, ...]
    count: int

    def has(self, start: int, end: int) -> bool:
        index = bisect_right(self.starts, start) - 1
        return index >= 0 and end <= self.ends[index]


def _groups(zone_counts: Mapping[str, int], first: date, last: date) -> list[_Group]:
    """The attendees grouped by their day windows over the UTC dates ``first``–``last`` (and a
    day either side: a local date is at most one day off the UTC one). Zones unknown to zoneinfo
    count in the total but are never "in their day"."""
    days = [first + timedelta(days=offset) for offset in range(-1, (last - first).days + 2)]
    grouped: dict[tuple[tuple[int, int], ...], int] = defaultdict(int)
    for zone, count in zone_counts.items():
        if count <= 0:
            continue
        windows = tuple(_window_seconds(zone, day) for day in days) if is_known_zone(zone) else ()
        grouped[windows] += count
    return [
        _Group(tuple(start for start, _ in windows), tuple(end for _, end in windows), count)
        for windows, count in grouped.items()
    ]


class _Counter:
    """In-day counts of [start, end) moments against the groups, each distinct slot counted once
    (the parallel streams of a programme share their slots)."""

    def __init__(self, zone_counts: Mapping[str, int], first: date, last: date) -> None:
        self.groups = _groups(zone_counts, first, last)
        self.total = sum(count for count in zone_counts.values() if count > 0)
        self.seen: dict[tuple[int, int], Reach] = {}

    def reach(self, starts_at: datetime, ends_at: datetime) -> Reach:
        key = (int(starts_at.timestamp()), int(ends_at.timestamp()))
        found = self.seen.get(key)
        if found is None:
            in_day = sum(group.count for group in self.groups if group.has(*key))
            found = self.seen[key] = Reach(in_day, self.total)
        return found


def session_reach(sessions: Iterable[Timed], zone_counts: Mapping[str, int]) -> dict[str, Reach]:
    """Each session's reach (by slug): the attendees for whom it falls in their day."""
    sessions = list(sessions)
    if not sessions:
        return {}
    first = min(s.starts_at for s in sessions).astimezone(UTC).date()
    last = max(s.ends_at for s in sessions).astimezone(UTC).date()
    counter = _Counter(zone_counts, first, last)
    return {s.slug: counter.reach(s.starts_at, s.ends_at) for s in sessions}


def start_times(day: date, zone: str, step_minutes: int = 30) -> list[datetime]:
    """Every ``step_minutes`` from 00:00 to the day's last step in ``zone``, skipping a time the
    clocks jump over (a DST gap); a time they pass twice counts once (its first occurrence)."""
    tz = get_zone(zone)
    starts = []
    for minute in range(0, 24 * 60, step_minutes):
        local = datetime.combine(day, time(minute // 60, minute % 60), tz)
        if local.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == local.replace(tzinfo=None):
            starts.append(local)
    return starts


def start_reach(
    day: date, length_minutes: int, zone_counts: Mapping[str, int], zone: str, step_minutes: int = 30
) -> list[StartReach]:
    """The reach of a session of ``length_minutes`` starting at each step of ``day`` in ``zone``,
    in time order."""
    starts = start_times(day, zone, step_minutes)
    length = timedelta(minutes=length_minutes)
    counter = _Counter(zone_counts, starts[0].astimezone(UTC).date(), (starts[-1].astimezone(UTC) + length).date())
    # In UTC: aware arithmetic in a zone would add wall-clock time across a DST change.
    return [StartReach(start, counter.reach(start, start.astimezone(UTC) + length)) for start in starts]


def best_start_hours(
    day: date, length_minutes: int, zone_counts: Mapping[str, int], zone: str, step_minutes: int = 30
) -> list[StartReach]:
    """:func:`start_reach`, the best starts first (the earlier of two equal ones first)."""
    found = start_reach(day, length_minutes, zone_counts, zone, step_minutes)
    return sorted(found, key=lambda item: (-item.reach.in_day, item.start.astimezone(UTC)))
