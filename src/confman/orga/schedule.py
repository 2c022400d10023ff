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

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

from litestar import Request, Response, get, post
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from confman.accounts.auth import AuthenticatedUser
from confman.conferences.access import ORGANISER, ConferenceAccessDependency
from confman.db.models import Conference, ConferenceSession
from confman.db.transactions import DbSession
from confman.lib.errors import FieldError, FormRejected
from confman.lib.i18n import N_
from confman.lib.timezones import get_zone, is_known_zone, known_zones, to_zone
from confman.orga.forms import field_errors, text
from confman.orga.frame import NO_STORE, orga_context, orga_page, see_other
from confman.orga.schedule_board import ROW_MINUTES, board_context, schedule_url, stream_choices
from confman.programme.flags import load_schedule as load_sessions
from confman.programme.reach import audience_zones
from confman.programme.schemas import SessionUpdate
from confman.programme.services import MAX_SESSION_LENGTH, SessionService
from confman.settings import AppSettings
from confman.site.serve import PageRendererDependency

HISTORY_LIMIT = 20
_HISTORY = "schedule_history"
_NOTICE = "schedule_notice"

# A flag's short name on a card (its full message is in the list below the grid).
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
        streams = await stream_choices(db, conference)
        audience = await audience_zones(db, conference, confirmed_only=False)
    return board_context(
        conference=conference,
        sessions=sessions,
        streams=streams,
        zone=zone,
        day=day,
        language=language,
        history=_history(request, conference.slug),
        moving=moving,
        audience=audience,
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
