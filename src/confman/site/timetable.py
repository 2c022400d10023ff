"""The programme as a timetable: per viewer day, one column per stream, rows of five minutes.

Pure functions from the read model and the viewer's zone to a grid: which CSS grid row and
column each session takes. The CSP allows no ``style=``, so placements are classes
(``tt-r<row> tt-s<span> tt-c<column> tt-w<width>``) whose rules :func:`grid_rules` writes
once into ``static/programme.css`` (``python -m confman.site.timetable`` rewrites them; a
unit test keeps them in step). Nothing here depends on the clock: the "now" line is drawn
by ``static/programme.js`` from the UTC instants the grid carries as data attributes, so a
rendered page stays cacheable.

Days are the viewer's: a conference day may fall on two local days across the date line.
Sessions of a stream that overlap (or sessions without a stream, in an "other" column at
the end) sit side by side in lanes of their column.
"""

from __future__ import annotations

import math
import sys
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from babel.dates import format_skeleton

from confman.lib.i18n import babel_locale, format_clock
from confman.lib.timezones import get_zone, to_zone
from confman.published.model import PublicSession, PublicStream
from confman.site.display import ProgrammeDisplay, Text

ROW_MINUTES = 5
ROWS_PER_HOUR = 60 // ROW_MINUTES
# Row 1 holds the streams' names; the time rows follow.
FIRST_ROW = 2
# A day's grid spans at most 30 hours (a late session may run past midnight); longer ends are cut.
MAX_HOURS = 30
MAX_ROWS = MAX_HOURS * ROWS_PER_HOUR
# Grid columns, the time axis included; a day wider than this is shown as the list only.
MAX_COLUMNS = 24
_ROW = timedelta(minutes=ROW_MINUTES)
_HOUR = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Column:
    """A stream's column: ``name`` None is the column of the sessions without a stream."""

    name: str | None
    slug: str | None
    start: int
    width: int


@dataclass(frozen=True, slots=True)
class Place:
    row: int
    span: int
    column: int
    width: int

    @property
    def classes(self) -> str:
        return f"tt-r{self.row} tt-s{self.span} tt-c{self.column} tt-w{self.width}"


@dataclass(frozen=True, slots=True)
class Hour:
    row: int
    span: int
    at: datetime
    label: str


@dataclass(frozen=True, slots=True)
class DayGrid:
    day: date
    # The day as a tab names it: "Sun, Nov 14".
    label: str
    # The instants of the first row's top and the last row's bottom (UTC).
    starts_at: datetime
    ends_at: datetime
    columns: list[Column]
    hours: list[Hour]
    places: dict[str, Place]
    # Grid columns, the time axis included.
    width: int

    @property
    def fits(self) -> bool:
        return self.width <= MAX_COLUMNS


def _lanes(sessions: list[tuple[int, int, str]]) -> tuple[dict[str, tuple[int, int]], int]:
    """Lanes for intervals ``(first row, end row, slug)`` of one column: slug → (lane, lanes of
    its cluster), and the most lanes any cluster needs. A cluster is a run of sessions that
    overlap one another, directly or through others."""
    result: dict[str, tuple[int, int]] = {}
    most = 1
    cluster: list[tuple[str, int]] = []
    lane_ends: list[int] = []
    cluster_end = -1

    def close() -> None:
        for slug, lane in cluster:
            result[slug] = (lane, len(lane_ends))

    for first, end, slug in sorted(sessions):
        if first >= cluster_end and cluster:
            close()
            cluster, lane_ends = [], []
        for lane, lane_end in enumerate(lane_ends):
            if lane_end <= first:
                lane_ends[lane] = end
                break
        else:
            lane = len(lane_ends)
            lane_ends.append(end)
            most = max(most, len(lane_ends))
        cluster.append((slug, lane))
        if end > cluster_end:
            cluster_end = end
    if cluster:
        close()
    return result, most


def layout(
    sessions: Sequence[PublicSession],
    streams: Sequence[PublicStream],
    zone: str,
    clock: Callable[[datetime], str],
    day_label: Callable[[date], str] = date.isoformat,
) -> list[DayGrid]:
    """One grid per day of ``zone`` that has sessions, in day order. Columns are the streams
    (in ``streams``' order) that hold any of ``sessions``, then one for sessions without a
    stream; every day has the same streams. ``clock`` writes an hour's label, ``day_label``
    a day's."""
    used = {s.stream.slug for s in sessions if s.stream is not None}
    keys: list[str | None] = [stream.slug for stream in streams if stream.slug in used]
    names: dict[str | None, str | None] = {stream.slug: stream.name for stream in streams}
    if any(s.stream is None for s in sessions):
        keys.append(None)
    by_day: dict[date, list[PublicSession]] = defaultdict(list)
    tz = get_zone(zone)
    for session in sessions:
        by_day[session.starts_at.astimezone(tz).date()].append(session)
    return [_day(day, day_label(day), by_day[day], keys, names, zone, clock) for day in sorted(by_day)]


def _day(
    day: date,
    label: str,
    sessions: list[PublicSession],
    keys: list[str | None],
    names: dict[str | None, str | None],
    zone: str,
    clock: Callable[[datetime], str],
) -> DayGrid:
    first = min(s.starts_at for s in sessions)
    local = to_zone(first, zone)
    # The top of the grid: the whole local hour at or before the first start.
    top = first - timedelta(minutes=local.minute, seconds=local.second, microseconds=local.microsecond)
    last = max(s.ends_at for s in sessions)
    hours = min(MAX_HOURS, max(1, math.ceil((last - top) / _HOUR)))
    rows = hours * ROWS_PER_HOUR

    origin, seconds = top.timestamp(), _ROW.total_seconds()
    spans: dict[str, tuple[int, int]] = {}
    per_column: dict[str | None, list[tuple[int, int, str]]] = defaultdict(list)
    for session in sessions:
        # Rows from the top, rounded to the nearest; a session takes at least one, and ends by the last.
        start = min(max(0, round((session.starts_at.timestamp() - origin) / seconds)), rows - 1)
        end = min(rows, max(start + 1, round((session.ends_at.timestamp() - origin) / seconds)))
        spans[session.slug] = (start, end)
        per_column[session.stream.slug if session.stream else None].append((start, end, session.slug))

    columns: list[Column] = []
    places: dict[str, Place] = {}
    line = 2  # column 1 is the time axis
    for key in keys:
        lanes, width = _lanes(per_column.get(key, []))
        columns.append(Column(names.get(key) if key else None, key, line, width))
        for slug, (lane, cluster) in lanes.items():
            share = width // cluster
            start, end = spans[slug]
            places[slug] = Place(FIRST_ROW + start, end - start, line + lane * share, share)
        line += width
    return DayGrid(
        day=day,
        label=label,
        starts_at=top,
        ends_at=top + hours * _HOUR,
        columns=columns,
        hours=[
            Hour(FIRST_ROW + h * ROWS_PER_HOUR, ROWS_PER_HOUR, top + h * _HOUR, clock(top + h * _HOUR))
            for h in range(hours)
        ],
        places=places,
        width=line - 1,
    )


@dataclass(frozen=True, slots=True)
class Timetable:
    """What the page's timetable shows: the grids by the viewer's day, and the legend: the
    tracks of the shown sessions that have a colour (``.track-<slug>``), in the tracks' order."""

    grids: dict[date, DayGrid]
    legend: list[tuple[str, Text]]


def timetable(display: ProgrammeDisplay, sessions: Sequence[PublicSession]) -> Timetable:
    """The timetable of ``sessions`` for the display's viewer."""
    zone, locale = display.viewer.zone, display.locale
    grids = layout(
        sessions,
        display.programme.streams,
        zone,
        lambda moment: format_clock(moment, zone, locale),
        lambda day: format_skeleton("MMMEd", day, locale=babel_locale(locale)),
    )
    used = {s.track.slug for s in sessions if s.track is not None}
    return Timetable(
        grids={grid.day: grid for grid in grids},
        legend=[(t.slug, display.text(t.name)) for t in display.programme.tracks if t.slug in used and t.color],
    )


# The stylesheet's placement rules ------------------------------------------------------------

GRID_MEDIA = "@media screen and (min-width: 60rem)"
_BEGIN = "/* generated: python -m confman.site.timetable (placement classes) */"
_END = "/* end generated */"


def grid_rules() -> str:
    """The classes a placement uses, for every row, span and column a grid can have."""
    # The time axis, then the lanes of the streams.
    axis, lane = "minmax(4rem,max-content)", "minmax(9rem,1fr)"
    rules = [f".tt-cols-{n}{{grid-template-columns:{axis} repeat({n - 1},{lane})}}" for n in range(2, MAX_COLUMNS + 1)]
    rules += [f".tt-r{n}{{grid-row-start:{n}}}" for n in range(FIRST_ROW, FIRST_ROW + MAX_ROWS)]
    rules += [f".tt-s{n}{{grid-row-end:span {n}}}" for n in range(1, MAX_ROWS + 1)]
    rules += [f".tt-c{n}{{grid-column-start:{n}}}" for n in range(2, MAX_COLUMNS + 1)]
    rules += [f".tt-w{n}{{grid-column-end:span {n}}}" for n in range(1, MAX_COLUMNS)]
    return "\n".join([_BEGIN, GRID_MEDIA + " {", *rules, "}", _END]) + "\n"


def generated_part(css: str) -> str:
    """The generated block of a stylesheet (empty if it has none)."""
    begin, end = css.find(_BEGIN), css.find(_END)
    return css[begin : end + len(_END)] + "\n" if begin >= 0 and end > begin else ""


def write_rules(path: Path) -> None:
    css = path.read_text(encoding="utf-8")
    old = generated_part(css)
    path.write_text(css.replace(old, grid_rules()) if old else css + grid_rules(), encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover - a maintainer's command
    write_rules(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parents[1] / "static" / "programme.css")
