"""The timetable's layout: rows by time in the viewer's zone, a column per stream, lanes for overlaps."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta

from confman.db.models import SessionKind
from confman.lib.paths import STATIC_DIR
from confman.published.model import PublicSession, PublicStream
from confman.site.timetable import MAX_COLUMNS, MAX_HOURS, Column, Place, generated_part, grid_rules, layout

MAIN = PublicStream("main", "Main hall", None, uuid.uuid4())
ROOM = PublicStream("room-2", "Room 2", None, uuid.uuid4())
UNUSED = PublicStream("unused", "Unused", None, uuid.uuid4())


def session(slug: str, start: datetime, minutes: int, stream: PublicStream | None) -> PublicSession:
    moment = datetime(2027, 1, 1, tzinfo=UTC)
    return PublicSession(
        guid=uuid.uuid4(), slug=slug, title={"en": slug}, abstract={}, kind=SessionKind.TALK, language="en",
        track=None, stream=stream, starts_at=start, ends_at=start + timedelta(minutes=minutes), cancelled=False,
        capacity=None, revision=0, changed_at=moment, created_at=moment, id=0,
    )  # fmt: skip


def at(hour: int, minute: int = 0, day: int = 14) -> datetime:
    return datetime(2027, 11, day, hour, minute, tzinfo=UTC)


def clock(moment: datetime) -> str:
    return moment.strftime("%H:%M")


def test_timetable_puts_parallel_sessions_side_by_side_with_rows_by_duration() -> None:
    sessions = [
        session("opening", at(9, 10), 60, MAIN),
        session("panel", at(9, 10), 90, ROOM),
        session("overlap-a", at(9, 30), 30, None),
        session("overlap-b", at(9, 45), 30, None),
        session("alone", at(10, 30), 15, None),
        session("late", at(10, 40), 80, MAIN),
    ]

    (grid,) = layout(sessions, [MAIN, UNUSED, ROOM], "Europe/London", clock)

    assert grid.day == date(2027, 11, 14)
    # From the whole hour before the first start to the whole hour after the last end.
    assert (grid.starts_at, grid.ends_at) == (at(9), at(12))
    assert [(h.row, h.span, h.label) for h in grid.hours] == [(2, 12, "09:00"), (14, 12, "10:00"), (26, 12, "11:00")]
    # One column per stream with sessions, in the streams' order, then the sessions without a
    # stream: two lanes, since two of them overlap.
    assert grid.columns == [
        Column("Main hall", "main", 2, 1),
        Column("Room 2", "room-2", 3, 1),
        Column(None, None, 4, 2),
    ]
    assert grid.width == 5
    assert grid.places == {
        "opening": Place(row=4, span=12, column=2, width=1),
        "panel": Place(row=4, span=18, column=3, width=1),
        "overlap-a": Place(row=8, span=6, column=4, width=1),
        "overlap-b": Place(row=11, span=6, column=5, width=1),
        "alone": Place(row=20, span=3, column=4, width=2),
        "late": Place(row=22, span=16, column=2, width=1),
    }
    assert grid.places["late"].classes == "tt-r22 tt-s16 tt-c2 tt-w1"


def test_timetable_days_are_the_viewers_across_the_date_line() -> None:
    # 09:00 and 10:30 in London on 14 November are 23:00 that day and 00:30 the next in Kiritimati (UTC+14).
    sessions = [session("first", at(9), 60, MAIN), session("second", at(10, 30), 90, MAIN)]

    london = layout(sessions, [MAIN], "Europe/London", clock)
    kiritimati = layout(sessions, [MAIN], "Pacific/Kiritimati", clock)

    assert [(g.day, sorted(g.places)) for g in london] == [(date(2027, 11, 14), ["first", "second"])]
    assert [(g.day, sorted(g.places)) for g in kiritimati] == [
        (date(2027, 11, 14), ["first"]),
        (date(2027, 11, 15), ["second"]),
    ]
    assert [(g.starts_at, g.ends_at) for g in kiritimati] == [(at(9), at(10)), (at(10), at(12))]
    assert kiritimati[1].places["second"] == Place(row=8, span=18, column=2, width=1)
    assert layout([], [MAIN], "Europe/London", clock) == []


def test_timetable_placement_classes_are_all_in_the_stylesheet() -> None:
    # A session of three days is cut at the grid's last row; every class it can get has a rule.
    (grid,) = layout([session("marathon", at(0), 3 * 24 * 60, None)], [MAIN], "Asia/Kolkata", clock)
    css = (STATIC_DIR / "programme.css").read_text(encoding="utf-8")

    assert len(grid.hours) == MAX_HOURS
    assert grid.columns == [Column(None, None, 2, 1)]
    assert generated_part(css) == grid_rules(), "run: python -m confman.site.timetable"
    rules = set(re.findall(r"\.(tt-[a-z]+-?\d+)\{", css))
    last = grid.places["marathon"]
    assert {f"tt-r{last.row}", f"tt-s{last.span}", f"tt-r{grid.hours[-1].row}", f"tt-cols-{MAX_COLUMNS}"} <= rules
    assert {f"tt-c{MAX_COLUMNS}", f"tt-w{MAX_COLUMNS - 1}"} <= rules
