"""/orga/{conf}/reach/: where the registered attendees are, and whom each slot reaches in their day.

Three parts, each a table with the figures (what screen readers and tests read) and, for the
two about time, a chart drawn on the server as SVG beside it (no ``style`` attributes: the CSP
refuses them; geometry is in SVG attributes, colours in ``static/orga/reach.css``):

- the attendees by zone (city and UTC offset on the conference's first day) and by country;
- each scheduled session (not cancelled, in time order, times in the conference's zone) with
  the share of attendees for whom it falls in their day (``programme/reach.py``);
- for a new session of a given length on a given day, that share at every half hour.

``who=all`` (the default) counts everyone registered and not cancelled — confirmed, waiting
and not yet confirmed — as the schedule builder does; ``who=confirmed`` only the confirmed.
Beyond the frame's, the page costs two queries (the attendees by zone and country, the sessions),
whatever the registrations.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from babel.numbers import format_decimal, format_percent
from litestar import Request, Response, get
from sqlalchemy import select

from confman.accounts.auth import AuthenticatedUser
from confman.conferences.access import ORGANISER, ConferenceAccessDependency
from confman.db.models import Conference, ConferenceSession, SessionStatus
from confman.db.transactions import DbSession
from confman.lib.countries import country_name
from confman.lib.i18n import N_, babel_locale, format_clock, format_short_day, zone_city
from confman.lib.timezones import get_zone, utc_offset_label
from confman.orga.frame import conference_path, orga_context, orga_page
from confman.programme.reach import (
    Reach,
    StartReach,
    audience_counts,
    best_start_hours,
    session_reach,
    start_reach,
)
from confman.settings import AppSettings
from confman.site.serve import PageRendererDependency

TEMPLATE = "orga/reach/page.html"
MIN_LENGTH, MAX_LENGTH, DEFAULT_LENGTH = 15, 480, 60
STEP_MINUTES = 30
BEST_SHOWN = 5
WHO = ("all", "confirmed")

CHOOSE_WHO = N_("Choose confirmed attendees or all attendees.")
CHOOSE_DAY = N_("Choose one of the conference's days.")
ENTER_LENGTH = N_("Enter a length in minutes, from 15 to 480.")

# The charts' geometry, in SVG user units (the chart scales to its box with the viewBox).
_TOP, _PLOT_HEIGHT, _AXIS_LEFT, _BAR, _GAP, _BOTTOM = 10, 120, 40, 12, 3, 28
_ROW, _LABEL_WIDTH, _BAR_MAX, _VALUE_WIDTH, _TITLE_CHARS = 22, 300, 300, 60, 38


def format_share(reach: Reach, language: str) -> str:
    """A share as the organiser's language writes a whole percentage ("72 %", "72%")."""
    return _percent(reach.percent, language)


@lru_cache(maxsize=4096)
def _percent(percent: int, language: str) -> str:
    return format_percent(percent / 100, locale=babel_locale(language))


@lru_cache(maxsize=4096)
def _number(count: int, language: str) -> str:
    return format_decimal(count, locale=babel_locale(language))


@dataclass(frozen=True)
class SessionRow:
    slug: str
    title: str
    when: str
    reach: Reach
    share: str


async def _sessions(db: DbSession, conference: Conference, language: str) -> list[tuple[str, str, datetime, datetime]]:
    rows = await db.execute(
        select(ConferenceSession.slug, ConferenceSession.title, ConferenceSession.starts_at, ConferenceSession.ends_at)
        .where(ConferenceSession.conference_id == conference.id, ConferenceSession.status != SessionStatus.CANCELLED)
        .order_by(ConferenceSession.starts_at, ConferenceSession.slug)
    )
    return [(slug, conference.text(title, language), start, end) for slug, title, start, end in rows.tuples()]


@dataclass(frozen=True)
class _Timed:
    slug: str
    starts_at: datetime
    ends_at: datetime


def _conference_days(conference: Conference) -> list[date]:
    return [
        conference.starts_on + timedelta(days=offset)
        for offset in range((conference.ends_on - conference.starts_on).days + 1)
    ]


def read_params(
    query: Mapping[str, str], days: Sequence[date]
) -> tuple[dict[str, str], dict[str, str], bool, date, int]:
    """The page's parameters: the form's values, its errors by field (``who``, ``day``,
    ``length``), and what to show (a refused value falls back to its default)."""
    values = {
        "who": query.get("who", "all"),
        "day": query.get("day", days[0].isoformat()),
        "length": query.get("length", str(DEFAULT_LENGTH)),
    }
    errors: dict[str, str] = {}
    if values["who"] not in WHO:
        errors["who"] = CHOOSE_WHO
    day = days[0]
    try:
        day = date.fromisoformat(values["day"])
    except ValueError:
        errors["day"] = CHOOSE_DAY
    if day not in days:
        errors["day"], day = CHOOSE_DAY, days[0]
    length = DEFAULT_LENGTH
    try:
        length = int(values["length"])
    except ValueError:
        errors["length"] = ENTER_LENGTH
    if not MIN_LENGTH <= length <= MAX_LENGTH:
        errors["length"], length = ENTER_LENGTH, DEFAULT_LENGTH
    return values, errors, values["who"] == "confirmed", day, length


@dataclass(frozen=True, slots=True)
class ColumnBar:
    x: float
    y: float
    width: float
    height: float
    best: bool
    label: str
    label_x: float
    title: str


@dataclass(frozen=True, slots=True)
class GridLine:
    y: float
    label: str


@dataclass(frozen=True, slots=True)
class StartChart:
    width: float
    height: float
    bars: list[ColumnBar]
    axis_x: float
    label_y: float
    grid: list[GridLine]


@dataclass(frozen=True, slots=True)
class RowBar:
    y: float
    text_y: float
    label: str
    x: float
    width: float
    height: float
    value_x: float
    value: str


@dataclass(frozen=True, slots=True)
class SessionChart:
    width: float
    height: float
    bars: list[RowBar]
    label_x: float
    full_x: float


def start_chart(starts: Sequence[StartReach], best: set[datetime], language: str) -> StartChart:
    """A column per start time, as tall as its share; a label every three hours."""
    bars = []
    for index, item in enumerate(starts):
        height = round(item.reach.share * _PLOT_HEIGHT, 1)
        x = _AXIS_LEFT + index * (_BAR + _GAP)
        bars.append(
            ColumnBar(
                x=x,
                y=round(_TOP + _PLOT_HEIGHT - height, 1),
                width=_BAR,
                height=height,
                best=item.start in best,
                label=f"{item.start:%H:%M}" if item.start.minute == 0 and item.start.hour % 3 == 0 else "",
                label_x=x + _BAR / 2,
                title=f"{item.start:%H:%M} {format_share(item.reach, language)}",
            )
        )
    return StartChart(
        width=_AXIS_LEFT + len(starts) * (_BAR + _GAP) + _GAP,
        height=_TOP + _PLOT_HEIGHT + _BOTTOM,
        bars=bars,
        axis_x=_AXIS_LEFT - 4,
        label_y=_TOP + _PLOT_HEIGHT + 16,
        grid=[
            GridLine(round(_TOP + _PLOT_HEIGHT * (1 - fraction), 1), _percent(round(100 * fraction), language))
            for fraction in (0, 0.5, 1)
        ],
    )


def session_chart(rows: Sequence[SessionRow]) -> SessionChart:
    """A bar per session, as long as its share, its title on the left (its time is in the
    table beside: title and time together did not fit the label's width)."""
    bars = []
    for index, row in enumerate(rows):
        y = _TOP + index * _ROW
        title = row.title if len(row.title) <= _TITLE_CHARS else row.title[: _TITLE_CHARS - 1] + "…"
        length = round(row.reach.share * _BAR_MAX, 1)
        bars.append(
            RowBar(
                y=y,
                text_y=y + _ROW * 0.65,
                label=title,
                x=_LABEL_WIDTH,
                width=length,
                height=_ROW - 6,
                value_x=_LABEL_WIDTH + length + 4,
                value=row.share,
            )
        )
    return SessionChart(
        width=_LABEL_WIDTH + _BAR_MAX + _VALUE_WIDTH,
        height=_TOP * 2 + len(rows) * _ROW,
        bars=bars,
        label_x=_LABEL_WIDTH - 6,
        full_x=_LABEL_WIDTH + _BAR_MAX,
    )


@dataclass(frozen=True, slots=True)
class CountRow:
    """A row of the zones' or the countries' table."""

    key: str
    name: str | None
    detail: str
    count: int
    count_label: str
    share: str


@dataclass(frozen=True, slots=True)
class StartRow:
    time: str
    in_day: int
    share: str
    best: bool


@lru_cache(maxsize=4096)
def _offset(zone: str, moment: datetime) -> str:
    # Cached: zoneinfo keeps only a few zones loaded, and a page names a hundred.
    return utc_offset_label(zone, moment)


@get("/{conf:str}/reach/", name="orga:reach", opt=ORGANISER)
async def reach_page(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    conference = conference_access.conference
    context = orga_context(
        request, base_url=settings.base_url, user=organiser, access=conference_access, section="reach"
    )
    language, formatting = context["viewer"].language, context["viewer"].formatting
    days = _conference_days(conference)
    values, errors, confirmed_only, day, length = read_params(request.query_params, days)
    zones, countries = await audience_counts(db_session, conference, confirmed_only)
    sessions = await _sessions(db_session, conference, language)
    total = sum(zones.values())
    conference_zone = conference.timezone
    # Offsets as on the conference's first day, at noon in its zone.
    offset_moment = datetime.combine(conference.starts_on, time(12), get_zone(conference_zone))

    def share(count: int) -> str:
        return format_share(Reach(count, total), formatting)

    zone_rows = [
        CountRow(
            key=zone,
            name=zone_city(zone, formatting),
            detail=_offset(zone, offset_moment),
            count=count,
            count_label=_number(count, formatting),
            share=share(count),
        )
        for zone, count in sorted(zones.items(), key=lambda item: (-item[1], item[0]))
    ]
    country_rows = [
        CountRow(
            key=code or "",
            name=country_name(code, language) if code else None,
            detail="",
            count=count,
            count_label=_number(count, formatting),
            share=share(count),
        )
        for code, count in sorted(countries.items(), key=lambda item: (-item[1], item[0] or "~"))
    ]
    reaches = session_reach([_Timed(slug, start, end) for slug, _, start, end in sessions], zones)
    session_rows = [
        SessionRow(
            slug=slug,
            title=title,
            when=f"{format_short_day(start.astimezone(get_zone(conference_zone)).date(), formatting)} "
            f"{format_clock(start, conference_zone, formatting)}–{format_clock(end, conference_zone, formatting)}",
            reach=reaches[slug],
            share=format_share(reaches[slug], formatting),
        )
        for slug, title, start, end in sessions
    ]
    starts = start_reach(day, length, zones, conference_zone, STEP_MINUTES)
    best = best_start_hours(day, length, zones, conference_zone, STEP_MINUTES)[:BEST_SHOWN] if total else []
    best_moments = {item.start for item in best if item.reach.in_day}
    context.update(
        values=values,
        errors=errors,
        total=total,
        total_label=_number(total, formatting),
        who_confirmed=confirmed_only,
        conference_zone=conference_zone,
        conference_city=zone_city(conference_zone, formatting),
        zone_rows=zone_rows,
        country_rows=country_rows,
        session_rows=session_rows,
        session_chart=session_chart(session_rows),
        day_options=[(d.isoformat(), format_short_day(d, formatting)) for d in days],
        day_label=format_short_day(day, formatting),
        length=length,
        min_length=MIN_LENGTH,
        max_length=MAX_LENGTH,
        starts=[
            StartRow(
                f"{item.start:%H:%M}",
                item.reach.in_day,
                format_share(item.reach, formatting),
                item.start in best_moments,
            )
            for item in starts
        ],
        best=[
            StartRow(f"{item.start:%H:%M}", item.reach.in_day, format_share(item.reach, formatting), True)
            for item in best
        ],
        start_chart=start_chart(starts, best_moments, formatting),
        page_url=conference_path(conference.slug, "reach/"),
    )
    return orga_page(page_renderer, TEMPLATE, context, 400 if errors else 200)


HANDLERS = [reach_page]
