"""Audience reach (programme/reach.py) against a computation written here from zoneinfo's wall
clocks: three zones, sessions on every quarter hour of days around daylight-saving changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from confman.programme.reach import Reach, best_start_hours, in_their_day, session_reach, start_reach

ZONES = {"America/Los_Angeles": 3, "Europe/Berlin": 5, "Asia/Tokyo": 2}
# Europe changes on 2027-03-28 and 2027-10-31, the USA on 2027-03-14 and 2027-11-07.
DAYS = (date(2027, 3, 14), date(2027, 3, 28), date(2027, 10, 31), date(2027, 11, 7), date(2027, 11, 14))


@dataclass(frozen=True)
class Slot:
    slug: str
    starts_at: datetime
    ends_at: datetime


def expected_in_day(start: datetime, end: datetime, zone: str) -> bool:
    """07:00–23:00 on the attendee's wall clock, start and end on the same local day."""
    local_start, local_end = start.astimezone(ZoneInfo(zone)), end.astimezone(ZoneInfo(zone))
    same_day = local_end.date() == local_start.date() and local_end.time() <= time(23)
    return local_start.time() >= time(7) and same_day


def expected(start: datetime, end: datetime) -> Reach:
    return Reach(sum(count for zone, count in ZONES.items() if expected_in_day(start, end, zone)), sum(ZONES.values()))


def test_session_reach_equals_the_wall_clock_computation_around_dst_changes() -> None:
    slots = [
        Slot(f"{day}-{minute}-{length}", start, start + timedelta(minutes=length))
        for day in DAYS
        for minute in range(0, 24 * 60, 15)
        for length in (30, 90, 240)
        for start in [datetime.combine(day, time(0), UTC) + timedelta(minutes=minute)]
    ]
    found = session_reach(slots, ZONES)
    assert found == {slot.slug: expected(slot.starts_at, slot.ends_at) for slot in slots}
    for slot in slots[:: len(ZONES)]:
        for zone in ZONES:
            assert in_their_day(slot.starts_at, slot.ends_at, zone) == expected_in_day(
                slot.starts_at, slot.ends_at, zone
            )
    # Known values: 06:00 UTC on 14 November is 22:00 the day before in Los Angeles (PST),
    # 07:00 in Berlin and 15:00 in Tokyo; at 06:00 UTC on 31 October Berlin is still on summer time.
    november = datetime(2027, 11, 14, 6, tzinfo=UTC)
    assert session_reach([Slot("a", november, november + timedelta(hours=1))], ZONES)["a"] == Reach(10, 10)
    october = datetime(2027, 10, 31, 5, tzinfo=UTC)  # Berlin: 06:00 (CET since 01:00 UTC)
    assert session_reach([Slot("b", october, october + timedelta(hours=1))], ZONES)["b"] == Reach(5, 10)
    assert session_reach([Slot("c", november, november + timedelta(hours=1, minutes=1))], ZONES)["c"] == Reach(7, 10)


def test_best_start_hours_equal_the_wall_clock_computation_in_the_conference_zone() -> None:
    for zone in ("Europe/London", "America/Sao_Paulo"):
        for day in DAYS:
            for length in (15, 60, 180, 285, 345):  # 285 and 345 end across the DST change
                starts = start_reach(day, length, ZONES, zone)
                local_starts = [item.start.replace(tzinfo=None) for item in starts]
                wall = [datetime.combine(day, time(0)) + timedelta(minutes=m) for m in range(0, 24 * 60, 30)]
                if (zone, day) == ("Europe/London", date(2027, 3, 28)):  # 01:00–02:00 does not exist
                    wall = [moment for moment in wall if moment.hour != 1]
                assert local_starts == wall
                for item in starts:
                    start = item.start.astimezone(UTC)
                    assert item.reach == expected(start, start + timedelta(minutes=length)), (zone, day, item)
                best = best_start_hours(day, length, ZONES, zone)
                ordered = sorted(starts, key=lambda item: (-item.reach.in_day, item.start))
                assert [(item.start, item.reach) for item in best] == [(item.start, item.reach) for item in ordered]


def test_reach_of_no_attendees_is_zero_everywhere() -> None:
    start = datetime(2027, 11, 14, 12, tzinfo=UTC)
    assert session_reach([Slot("a", start, start + timedelta(hours=1))], {}) == {"a": Reach(0, 0)}
    assert Reach(0, 0).share == 0.0
    assert Reach(0, 0).percent == 0
    assert {item.reach for item in start_reach(date(2027, 11, 14), 60, {}, "Europe/London")} == {Reach(0, 0)}
