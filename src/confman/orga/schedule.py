"""/orga/{conf}/schedule/: the schedule builder.

One day at a time, streams as columns and quarter-hour rows in a chosen zone (the
conference's by default); a column for sessions without a stream, and those listed beside the
grid. Every card shows its speakers' local times and the schedule's flags
(``programme/flags.py``), and has a form (day, stream, start, length) that moves it: the same
form the drag and drop and the keyboard fill in with JavaScript. Each move goes through
``SessionService.update``, so it raises the programme version exactly as the API does, and is
remembered in the organiser's web session for undo and redo. An undo that would overwrite
someone else's later change is refused.

Grid positions are classes (``row-start-N``, ``row-span-N``, ``col-N`` in
``static/orga/schedule.css``): the CSP refuses ``style`` attributes.

The overview shows the conference's flags with :func:`flag_items` and the partial
``orga/schedule/_flag_list.html`` (context: ``flag_items``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from confman.accounts.auth import AuthenticatedUser
from confman.conferences.access import ORGANISER, ConferenceAccessDependency
from confman.db.models import Conference, ConferenceSession, Stream
from confman.db.transactions import DbSession
from confman.lib.errors import FieldError, FormRejected
from confman.lib.i18n import N_, format_clock, format_short_day, zone_city
from confman.lib.timezones import get_zone, is_known_zone, known_zones, to_zone
from confman.orga.forms import field_errors, text
from confman.orga.frame import NO_STORE, conference_path, orga_context, orga_page, see_other
from confman.programme.flags import Flag, FlagCode, ScheduledSession, schedule_flags
from confman.programme.flags import load_schedule as load_sessions
from confman.programme.schemas import SessionUpdate
from confman.programme.services import MAX_SESSION_LENGTH, SessionService
from confman.settings import AppSettings
from confman.site.serve import PageRendererDependency

ROW_MINUTES = 15
FIRST_MINUTE, LAST_MINUTE = 8 * 60, 20 * 60  # the grid shows at least 08:00–20:00
DAY_MINUTES = 24 * 60
HISTORY_LIMIT = 20
_HISTORY = "schedule_history"
_NOTICE = "schedule_notice"

# A flag's short name on a card (its full message is in the list below the grid).
BADGES: dict[FlagCode, str] = {
    FlagCode.SPEAKER_NIGHT: N_("Night"),
    FlagCode.SPEAKER_DOUBLE_BOOKED: N_("Double-booked"),
    FlagCode.STREAM_OVERLAP: N_("Stream overlap"),
    FlagCode.OUTSIDE_CONFERENCE: N_("Outside the days"),
    FlagCode.SPEAKER_WITHOUT_ZONE: N_("No zone"),
}
STATUS_LABELS = {"draft": N_("Draft"), "confirmed": N_("Confirmed"), "cancelled": N_("Cancelled")}
ENTER_DATE = N_("Enter a date.")
ENTER_TIME = N_("Enter a time as HH:MM.")
ENTER_DURATION = N_("Enter a length in minutes, from 5 to 1440.")
UNKNOWN_STREAM = N_("Choose a stream from the list.")
NOTHING_TO_UNDO = N_("There is nothing to undo.")
NOTHING_TO_REDO = N_("There is nothing to redo.")
CHANGED_MEANWHILE = N_(
    "“%(title)s” was changed by someone else since your move, so it was left as it is. "
    "The move was taken off the history."
)
SESSION_GONE = N_("The session of this move no longer exists. The move was taken off the history.")
MOVED = N_("“%(title)s” was moved.")
UNDONE = N_("The move of “%(title)s” was undone.")
REDONE = N_("The move of “%(title)s” was made again.")


# -- the grid ---------------------------------------------------------------------------------


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


async def _streams(db: AsyncSession, conference: Conference) -> list[tuple[str, str]]:
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
) -> dict[str, Any]:
    """Everything the grid shows, as plain data (it survives a rolled-back request)."""
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
        )
        for session in todays
    ]
    hours = [
        {"label": f"{minute // 60:02d}:00", "row": (minute - first_minute) // ROW_MINUTES + 2}
        for minute in range(first_minute, last_minute, 60)
    ]
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
        "can_undo": bool(history.get("undo")),
        "can_redo": bool(history.get("redo")),
        "move_url": conference_path(conference.slug, "schedule/move"),
        "undo_url": conference_path(conference.slug, "schedule/undo"),
        "redo_url": conference_path(conference.slug, "schedule/redo"),
        "page_url": schedule_url(conference.slug, day=shown, zone=zone_param),
    }


def _move_values(session: ScheduledSession, zone: str) -> dict[str, str]:
    local = to_zone(session.starts_at, zone)
    return {
        "session": session.slug,
        "day": local.date().isoformat(),
        "start": f"{local:%H:%M}",
        "duration": str(int((session.ends_at - session.starts_at).total_seconds() // 60)),
        "stream": session.stream or "",
    }


def _chosen_zone(value: str | None, conference: Conference) -> str:
    return value if value and is_known_zone(value) else conference.timezone


def _chosen_day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


# -- history (undo and redo), in the organiser's web session ----------------------------------


def _history(request: Request[Any, Any, Any], slug: str) -> dict[str, list[Any]]:
    stored = request.session.get(_HISTORY, {}).get(slug, {})
    return {"undo": list(stored.get("undo", [])), "redo": list(stored.get("redo", []))}


def _keep_history(request: Request[Any, Any, Any], slug: str, history: dict[str, list[Any]]) -> None:
    session = dict(request.session)
    everything = dict(session.get(_HISTORY, {}))
    everything[slug] = {"undo": history["undo"][-HISTORY_LIMIT:], "redo": history["redo"][-HISTORY_LIMIT:]}
    session[_HISTORY] = everything
    request.set_session(session)


def _notice(request: Request[Any, Any, Any], message: str, values: dict[str, str] | None = None) -> None:
    session = dict(request.session)
    session[_NOTICE] = {"message": message, "values": values or {}}
    request.set_session(session)


def _take_notice(request: Request[Any, Any, Any]) -> dict[str, Any] | None:
    if "session" not in request.scope or not request.session.get(_NOTICE):
        return None
    session = dict(request.session)
    notice: dict[str, Any] = session.pop(_NOTICE)
    request.set_session(session)
    return notice


def _place(session: ConferenceSession) -> dict[str, str | None]:
    """Where a session is: what a move changes, and what undo compares and restores."""
    return {
        "starts_at": session.starts_at.isoformat(),
        "ends_at": session.ends_at.isoformat(),
        "stream": session.stream.slug if session.stream else None,
    }


def _update_to(place: Mapping[str, str | None]) -> SessionUpdate:
    return SessionUpdate(
        starts_at=datetime.fromisoformat(str(place["starts_at"])),
        ends_at=datetime.fromisoformat(str(place["ends_at"])),
        stream=place["stream"],
    )


# -- handlers ---------------------------------------------------------------------------------


async def _board(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    conference: Conference,
    *,
    zone: str,
    day: date | None,
    language: str,
    moving: str | None = None,
) -> dict[str, Any]:
    with db.no_autoflush:  # a refused move's changes must not reach the database
        sessions = await load_sessions(db, conference, language)
        streams = await _streams(db, conference)
    return board_context(
        conference=conference,
        sessions=sessions,
        streams=streams,
        zone=zone,
        day=day,
        language=language,
        history=_history(request, conference.slug),
        moving=moving,
    )


def _answer(
    request: Request[Any, Any, Any],
    renderer: PageRendererDependency,
    context: dict[str, Any],
    status_code: int = 200,
) -> Response[Any]:
    if request.headers.get("hx-request"):
        return orga_page(renderer, "orga/schedule/_board.html", context, status_code)
    return orga_page(renderer, "orga/schedule/page.html", context, status_code)


@get("/{conf:str}/schedule/", name="orga:schedule", opt=ORGANISER)
async def schedule_page(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    conference = conference_access.conference
    context = orga_context(
        request, base_url=settings.base_url, user=organiser, access=conference_access, section="schedule"
    )
    zone = _chosen_zone(request.query_params.get("zone"), conference)
    day = _chosen_day(request.query_params.get("day"))
    context["board"] = await _board(
        request,
        db_session,
        conference,
        zone=zone,
        day=day,
        language=context["viewer"].language,
        moving=request.query_params.get("move"),
    )
    context["board"]["notice"] = _take_notice(request)
    context["board"]["errors"] = {}
    context["zones"] = sorted(known_zones())
    return _answer(request, page_renderer, context)


def _current(session: ConferenceSession, zone: str) -> dict[str, str]:
    """The move form's values for where ``session`` is now (what a field left out keeps)."""
    local = to_zone(session.starts_at, zone)
    return {
        "day": local.date().isoformat(),
        "start": f"{local:%H:%M}",
        "duration": str(int((session.ends_at - session.starts_at).total_seconds() // 60)),
        "stream": session.stream.slug if session.stream else "",
    }


def _read_move(
    form: Mapping[str, Any], zone: str, current: Mapping[str, str]
) -> tuple[dict[str, str], dict[str, str], SessionUpdate | None]:
    """The move form's values, its errors by field, and the change it asks for. A field the
    form leaves out keeps the session's current value (the cards' quarter-hour buttons send none)."""
    values = {name: text(form, name, limit=64) if name in form else current[name] for name in current}
    values["adjust"] = text(form, "adjust", limit=20)
    errors: dict[str, str] = {}
    day = _chosen_day(values["day"])
    if day is None:
        errors["day"] = ENTER_DATE
    try:
        start = time.fromisoformat(values["start"]) if len(values["start"]) == 5 else None
    except ValueError:
        start = None
    if start is None:
        errors["start"] = ENTER_TIME
    try:
        duration = int(values["duration"])
    except ValueError:
        duration = 0
    adjust_start, adjust_length = {
        "earlier": (-ROW_MINUTES, 0),
        "later": (ROW_MINUTES, 0),
        "shorter": (0, -ROW_MINUTES),
        "longer": (0, ROW_MINUTES),
    }.get(values["adjust"], (0, 0))
    duration += adjust_length
    if not 5 <= duration <= MAX_SESSION_LENGTH.total_seconds() // 60:
        errors["duration"] = ENTER_DURATION
    if errors or day is None or start is None:
        return values, errors, None
    starts_at = datetime.combine(day, start, get_zone(zone)) + timedelta(minutes=adjust_start)
    try:
        update = SessionUpdate.model_validate(
            {
                "starts_at": starts_at,
                "ends_at": starts_at + timedelta(minutes=duration),
                "stream": values["stream"] or None,
            }
        )
    except ValidationError:
        return values, {"stream": UNKNOWN_STREAM}, None
    return values, errors, update


# The service's fields, as the move form names them.
_FIELDS = {"starts_at": "start", "ends_at": "duration", "stream": "stream"}


@post("/{conf:str}/schedule/move", name="orga:schedule-move", opt=ORGANISER, status_code=303)
async def schedule_move(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    conference = conference_access.conference
    form = await request.form()
    zone = _chosen_zone(text(form, "zone"), conference)
    shown_day = _chosen_day(text(form, "shown_day"))
    service = SessionService(db_session)
    session = await service.get(conference, text(form, "session", limit=64), public_only=False)
    values, errors, update = _read_move(form, zone, _current(session, zone))
    values["session"] = session.slug
    title = conference.text(session.title)
    before = _place(session)
    if update is not None:
        try:
            await service.update(conference, session, update)
        except FieldError as error:
            errors = {_FIELDS.get(k, k): m for k, m in field_errors(error).items()}
            if error.field == "stream":
                errors = {"stream": UNKNOWN_STREAM}
    if errors:
        context = orga_context(
            request, base_url=settings.base_url, user=organiser, access=conference_access, section="schedule"
        )
        board = await _board(
            request, db_session, conference, zone=zone, day=shown_day, language=context["viewer"].language
        )
        board.update(errors=errors, moving=values, notice=None)
        context.update(board=board, zones=sorted(known_zones()))
        template = "orga/schedule/_board.html" if request.headers.get("hx-request") else "orga/schedule/page.html"
        raise FormRejected(template, context, 400, NO_STORE)
    after = _place(session)
    if after != before:
        history = _history(request, conference.slug)
        history["undo"].append({"session": session.slug, "title": title, "before": before, "after": after})
        history["redo"] = []
        _keep_history(request, conference.slug, history)
    return await _after_change(
        request,
        conference_access,
        organiser,
        db_session,
        settings,
        page_renderer,
        zone=zone,
        # Without JS, to the day the session is on now (its card has the focus there).
        day=shown_day if request.headers.get("hx-request") and shown_day else to_zone(session.starts_at, zone).date(),
        message=MOVED,
        values={"title": title},
        anchor=f"#card-{session.slug}",
    )


async def _after_change(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    db_session: AsyncSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
    *,
    zone: str,
    day: date | None,
    message: str,
    values: dict[str, str],
    anchor: str = "",
    error: bool = False,
) -> Response[Any]:
    """Without JS: back to the grid (303) with a message. With htmx: the updated grid."""
    conference = conference_access.conference
    zone_param = None if zone == conference.timezone else zone
    if not request.headers.get("hx-request"):
        _notice(request, message, {**values, "error": "1" if error else ""})
        return see_other(schedule_url(conference.slug, day=day, zone=zone_param, anchor=anchor))
    context = orga_context(
        request, base_url=settings.base_url, user=organiser, access=conference_access, section="schedule"
    )
    board = await _board(request, db_session, conference, zone=zone, day=day, language=context["viewer"].language)
    board.update(notice={"message": message, "values": {**values, "error": "1" if error else ""}}, errors={})
    context["board"] = board
    return orga_page(page_renderer, "orga/schedule/_board.html", context)


async def _replay(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    db_session: AsyncSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
    *,
    undo: bool,
) -> Response[Any]:
    """Undo (or redo) the organiser's last move, unless the session changed since."""
    conference = conference_access.conference
    form = await request.form()
    zone = _chosen_zone(text(form, "zone"), conference)
    shown_day = _chosen_day(text(form, "shown_day"))
    history = _history(request, conference.slug)
    source, target = ("undo", "redo") if undo else ("redo", "undo")
    common = (request, conference_access, organiser, db_session, settings, page_renderer)
    if not history[source]:
        return await _after_change(
            *common, zone=zone, day=shown_day, message=NOTHING_TO_UNDO if undo else NOTHING_TO_REDO, values={}
        )
    entry = history[source].pop()
    expected, wanted = (entry["after"], entry["before"]) if undo else (entry["before"], entry["after"])
    service = SessionService(db_session)
    session = await db_session.scalar(
        select(ConferenceSession.id).where(
            ConferenceSession.conference_id == conference.id, ConferenceSession.slug == entry["session"]
        )
    )
    if session is None:
        _keep_history(request, conference.slug, history)
        return await _after_change(*common, zone=zone, day=shown_day, message=SESSION_GONE, values={}, error=True)
    found = await service.get(conference, entry["session"], public_only=False)
    values = {"title": entry.get("title", found.slug)}
    if _place(found) != expected:
        # Someone (or something) changed it since: leave their change alone.
        _keep_history(request, conference.slug, history)
        return await _after_change(
            *common, zone=zone, day=shown_day, message=CHANGED_MEANWHILE, values=values, error=True
        )
    try:
        await service.update(conference, found, _update_to(wanted))
    except FieldError as error:
        context = orga_context(
            request, base_url=settings.base_url, user=organiser, access=conference_access, section="schedule"
        )
        board = await _board(
            request, db_session, conference, zone=zone, day=shown_day, language=context["viewer"].language
        )
        board.update(errors={}, notice={"message": field_errors(error).popitem()[1], "values": {"error": "1"}})
        context.update(board=board, zones=sorted(known_zones()))
        template = "orga/schedule/_board.html" if request.headers.get("hx-request") else "orga/schedule/page.html"
        raise FormRejected(template, context, 409, NO_STORE) from None
    history[target].append(entry)
    _keep_history(request, conference.slug, history)
    return await _after_change(
        *common,
        zone=zone,
        day=shown_day,
        message=UNDONE if undo else REDONE,
        values=values,
        anchor=f"#card-{found.slug}",
    )


@post("/{conf:str}/schedule/undo", name="orga:schedule-undo", opt=ORGANISER, status_code=303)
async def schedule_undo(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    return await _replay(request, conference_access, organiser, db_session, settings, page_renderer, undo=True)


@post("/{conf:str}/schedule/redo", name="orga:schedule-redo", opt=ORGANISER, status_code=303)
async def schedule_redo(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    return await _replay(request, conference_access, organiser, db_session, settings, page_renderer, undo=False)
