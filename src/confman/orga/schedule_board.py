"""The schedule builder's grid as plain data for its templates: days, columns, cards, flags."""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from confman.db.models import Conference, SessionStatus, Stream
from confman.lib.i18n import N_, format_clock, format_short_day, zone_city
from confman.lib.timezones import get_zone, to_zone
from confman.orga.frame import conference_path
from confman.orga.reach import format_share
from confman.programme.flags import Flag, FlagCode, ScheduledSession, schedule_flags
from confman.programme.flags import load_schedule as load_sessions
from confman.programme.reach import Reach, session_reach, start_reach

ROW_MINUTES = 15
FIRST_MINUTE, LAST_MINUTE = 8 * 60, 20 * 60  # the grid shows at least 08:00–20:00
DAY_MINUTES = 24 * 60
BADGES: dict[FlagCode, str] = {
    FlagCode.SPEAKER_NIGHT: N_("Night"),
    FlagCode.SPEAKER_DOUBLE_BOOKED: N_("Double-booked"),
    FlagCode.STREAM_OVERLAP: N_("Stream overlap"),
    FlagCode.OUTSIDE_CONFERENCE: N_("Outside the days"),
    FlagCode.SPEAKER_WITHOUT_ZONE: N_("No zone"),
}
STATUS_LABELS = {"draft": N_("Draft"), "confirmed": N_("Confirmed"), "cancelled": N_("Cancelled")}


@dataclass(frozen=True)
class Column:
    index: int
    slug: str
    name: str


@dataclass(frozen=True)
class SpeakerTime:
    name: str
    clock: str | None
    city: str | None


@dataclass(frozen=True)
class BadgeView:
    code: str
    label: str
    message: str


@dataclass(frozen=True)
class Card:
    slug: str
    title: str
    status: str
    status_label: str
    track: str | None
    stream: str
    time_label: str
    move_href: str
    day: str
    start: str
    duration: int
    col: int
    row_start: int
    row_span: int
    continues_before: bool
    continues_after: bool
    speakers: tuple[SpeakerTime, ...]
    badges: tuple[BadgeView, ...]
    reach: str | None = None  # "72 %": the share of attendees for whom it falls in their day


@dataclass(frozen=True)
class FlagItem:
    code: str
    label: str
    message: str
    session: str
    title: str
    href: str


def _minutes(moment: datetime) -> int:
    return moment.hour * 60 + moment.minute


def _day_bounds(day: date, zone: str) -> tuple[datetime, datetime]:
    tz = get_zone(zone)
    following = day + timedelta(days=1)
    return datetime.combine(day, time(0), tz), datetime.combine(following, time(0), tz)


def schedule_days(sessions: Sequence[ScheduledSession], conference: Conference, zone: str) -> list[date]:
    """The conference's days as seen in ``zone``, and every other day a session touches there."""
    start, _ = _day_bounds(conference.starts_on, conference.timezone)
    _, end = _day_bounds(conference.ends_on, conference.timezone)
    days = set(_date_range(to_zone(start, zone).date(), to_zone(end - timedelta(seconds=1), zone).date()))
    for session in sessions:
        first = to_zone(session.starts_at, zone).date()
        last = to_zone(session.ends_at - timedelta(seconds=1), zone).date()
        days.update(_date_range(first, last))
    return sorted(days)


def _date_range(first: date, last: date) -> list[date]:
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def schedule_url(slug: str, *, day: date | str | None = None, zone: str | None = None, anchor: str = "") -> str:
    query = {key: str(value) for key, value in (("day", day), ("zone", zone)) if value}
    return conference_path(slug, "schedule/") + (f"?{urlencode(query)}" if query else "") + anchor


def flag_views(
    sessions: Sequence[ScheduledSession],
    flags: Mapping[str, list[Flag]],
    conference_slug: str,
    zone: str,
    language: str,
    *,
    zone_param: str | None = None,
) -> list[FlagItem]:
    """Every flag of the conference, in the order of the sessions, linked to its card."""
    items = []
    for session in sessions:
        day = to_zone(session.starts_at, zone).date()
        href = schedule_url(conference_slug, day=day, zone=zone_param, anchor=f"#card-{session.slug}")
        for flag in flags.get(session.slug, []):
            items.append(
                FlagItem(
                    code=flag.code.value,
                    label=BADGES[flag.code],
                    message=flag.message(language),
                    session=session.slug,
                    title=session.title,
                    href=href,
                )
            )
    return items


async def flag_items(db: AsyncSession, conference: Conference, language: str) -> list[FlagItem]:
    """Every open flag of ``conference`` for the overview (two queries); show them with
    ``{% include "orga/schedule/_flag_list.html" %}`` and ``flag_items`` in the context."""
    sessions = await load_sessions(db, conference, language)
    flags = schedule_flags(
        sessions, zone=conference.timezone, starts_on=conference.starts_on, ends_on=conference.ends_on
    )
    return flag_views(sessions, flags, conference.slug, conference.timezone, language)


async def stream_choices(db: AsyncSession, conference: Conference) -> list[tuple[str, str]]:
    rows = await db.execute(
        select(Stream.slug, Stream.name)
        .where(Stream.conference_id == conference.id)
        .order_by(Stream.position, Stream.slug)
    )
    return [(slug, name) for slug, name in rows.all()]


def _card(
    session: ScheduledSession,
    flags: list[Flag],
    *,
    day_start: datetime,
    day_end: datetime,
    first_minute: int,
    columns: Mapping[str, int],
    zone: str,
    language: str,
    page_url: str,
    reach: Reach | None = None,
) -> Card:
    local_start, local_end = to_zone(session.starts_at, zone), to_zone(session.ends_at, zone)
    begins = _minutes(local_start) if session.starts_at >= day_start else 0
    ends = DAY_MINUTES if session.ends_at >= day_end else _minutes(local_end) + (local_end.second > 0)
    ends = max(ends, begins + 1)
    speakers = tuple(
        SpeakerTime(
            name=speaker.name,
            clock=format_clock(session.starts_at, speaker.zone, language) if speaker.zone else None,
            city=zone_city(speaker.zone, language) if speaker.zone else None,
        )
        for speaker in session.speakers
    )
    return Card(
        slug=session.slug,
        title=session.title,
        status=session.status.value,
        status_label=STATUS_LABELS[session.status.value],
        track=session.track,
        stream=session.stream or "",
        time_label=f"{format_clock(session.starts_at, zone, language)}–{format_clock(session.ends_at, zone, language)}",
        move_href=f"{page_url}{'&' if '?' in page_url else '?'}{urlencode({'move': session.slug})}#move-form",
        day=local_start.date().isoformat(),
        start=f"{local_start:%H:%M}",
        duration=int((session.ends_at - session.starts_at).total_seconds() // 60),
        col=columns.get(session.stream or "", columns[""]),
        row_start=(begins - first_minute) // ROW_MINUTES + 2,
        row_span=max(1, math.ceil((ends - first_minute) / ROW_MINUTES) - (begins - first_minute) // ROW_MINUTES),
        continues_before=session.starts_at < day_start,
        continues_after=session.ends_at > day_end,
        speakers=speakers,
        badges=tuple(BadgeView(f.code.value, BADGES[f.code], f.message(language)) for f in flags),
        reach=format_share(reach, language) if reach and reach.total else None,
    )


def board_context(
    *,
    conference: Conference,
    sessions: Sequence[ScheduledSession],
    streams: Sequence[tuple[str, str]],
    zone: str,
    day: date | None,
    language: str,
    history: Mapping[str, list[Any]],
    moving: str | None = None,
    audience: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """Everything the grid shows, as plain data (it survives a rolled-back request).
    ``audience``: the registered attendees by zone, for each card's and each hour's reach."""
    flags = schedule_flags(
        sessions, zone=conference.timezone, starts_on=conference.starts_on, ends_on=conference.ends_on
    )
    days = schedule_days(sessions, conference, zone)
    shown = day if day in days else days[0]
    zone_param = None if zone == conference.timezone else zone
    day_start, day_end = _day_bounds(shown, zone)
    todays = [s for s in sessions if s.starts_at < day_end and s.ends_at > day_start]
    first_minute, last_minute = FIRST_MINUTE, LAST_MINUTE
    for session in todays:
        if session.starts_at > day_start:
            first_minute = min(first_minute, _minutes(to_zone(session.starts_at, zone)) // 60 * 60)
        else:
            first_minute = 0
        if session.ends_at < day_end:
            local_end = to_zone(session.ends_at, zone)
            last_minute = max(last_minute, math.ceil(_minutes(local_end) / 60) * 60)
        else:
            last_minute = DAY_MINUTES
    columns = [Column(index + 2, slug, name) for index, (slug, name) in enumerate(streams)]
    columns.append(Column(len(columns) + 2, "", ""))
    column_of = {column.slug: column.index for column in columns}
    audience = audience or {}
    reaches = session_reach([s for s in todays if s.status is not SessionStatus.CANCELLED], audience)
    reach_length = _usual_length(sessions)
    hour_reach = (
        {f"{item.start:%H:00}": item.reach for item in start_reach(shown, reach_length, audience, zone, 60)}
        if audience
        else {}
    )
    cards = [
        _card(
            session,
            flags.get(session.slug, []),
            day_start=day_start,
            day_end=day_end,
            first_minute=first_minute,
            columns=column_of,
            zone=zone,
            language=language,
            page_url=schedule_url(conference.slug, day=shown, zone=zone_param),
            reach=reaches.get(session.slug),
        )
        for session in todays
    ]
    hours = []
    for minute in range(first_minute, last_minute, 60):
        label = f"{minute // 60:02d}:00"
        reach = hour_reach.get(label)
        hours.append(
            {
                "label": label,
                "row": (minute - first_minute) // ROW_MINUTES + 2,
                "reach": format_share(reach, language) if reach else None,
            }
        )
    unplaced = [
        {
            "slug": s.slug,
            "title": s.title,
            "when": f"{format_short_day(to_zone(s.starts_at, zone).date(), language)} "
            f"{format_clock(s.starts_at, zone, language)}",
            "href": schedule_url(
                conference.slug, day=to_zone(s.starts_at, zone).date(), zone=zone_param, anchor=f"#card-{s.slug}"
            ),
        }
        for s in sessions
        if not s.stream
    ]
    moved = next((s for s in sessions if s.slug == moving), None)
    return {
        "notice": None,
        "errors": {},
        "moving": _move_values(moved, zone) if moved else {},
        "session_options": [(s.slug, s.title) for s in sessions],
        "zone": zone,
        "zone_param": zone_param or "",
        "conference_zone": conference.timezone,
        "day": shown.isoformat(),
        "days": [
            {
                "iso": d.isoformat(),
                "label": format_short_day(d, language),
                "href": schedule_url(conference.slug, day=d, zone=zone_param),
                "current": d == shown,
            }
            for d in days
        ],
        "columns": columns,
        "stream_options": [(c.slug, c.name) for c in columns if c.slug],
        "hours": hours,
        "first_minute": first_minute,
        "row_count": (last_minute - first_minute) // ROW_MINUTES,
        "cards": cards,
        "unplaced": unplaced,
        "flag_items": flag_views(
            sessions, flags, conference.slug, conference.timezone, language, zone_param=zone_param
        ),
        "reach_length": reach_length if hour_reach else None,
        "reach_url": conference_path(conference.slug, "reach/"),
        "can_undo": bool(history.get("undo")),
        "can_redo": bool(history.get("redo")),
        "move_url": conference_path(conference.slug, "schedule/move"),
        "undo_url": conference_path(conference.slug, "schedule/undo"),
        "redo_url": conference_path(conference.slug, "schedule/redo"),
        "page_url": schedule_url(conference.slug, day=shown, zone=zone_param),
    }


def _usual_length(sessions: Sequence[ScheduledSession]) -> int:
    """The median length of the sessions in minutes, to the nearest 5 (60 without sessions):
    the length the grid's hours show the reach of."""
    active = (s for s in sessions if s.status is not SessionStatus.CANCELLED)
    lengths = [int((s.ends_at - s.starts_at).total_seconds() // 60) for s in active]
    return max(5, 5 * round(statistics.median_low(lengths) / 5)) if lengths else 60


def _move_values(session: ScheduledSession, zone: str) -> dict[str, str]:
    local = to_zone(session.starts_at, zone)
    return {
        "session": session.slug,
        "day": local.date().isoformat(),
        "start": f"{local:%H:%M}",
        "duration": str(int((session.ends_at - session.starts_at).total_seconds() // 60)),
        "stream": session.stream or "",
    }
