"""/orga/{conf}/sessions/: every session of a conference (drafts too), filtered, confirmed in
bulk; a form to add, change and delete one, with its speakers in order.

The form reads into the same ``SessionCreate``/``SessionUpdate`` the JSON API takes and calls
the same ``SessionService`` methods, so it accepts exactly what the API accepts. Times are
entered as wall-clock time in the conference's zone (``datetime-local``); the length as a
duration in minutes or as an end. The meeting URL is a secret: no page shows it, the edit form
leaves it empty (empty keeps it; a checkbox removes it).

Without JavaScript the speakers' move buttons post the form, which comes back reordered and
unsaved; ``static/orga/sessions.js`` moves the rows in the page instead and lets them be dragged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlencode

from babel import Locale
from litestar import Request, Response, get, post
from litestar.params import FromPath

from confman.accounts.auth import AuthenticatedUser
from confman.conferences.access import ORGANISER, ConferenceAccessDependency
from confman.conferences.services import StreamService, TrackService
from confman.db.models import Conference, ConferenceSession, SessionKind, SessionStatus, SpeakerRole
from confman.db.transactions import DbSession
from confman.lib.errors import FieldError, FormRejected
from confman.lib.i18n import N_, format_clock, format_short_day
from confman.lib.languages import is_known_language, language_name
from confman.lib.timezones import to_zone
from confman.orga.forms import INVALID, text
from confman.orga.frame import NO_STORE, conference_path, orga_context, orga_page, see_other
from confman.orga.session import flash
from confman.orga.session_form import (
    EMPTY_SPEAKER_ROWS,
    NONE_SELECTED,
    SESSION_MESSAGES,
    SessionForm,
    blank_form,
    checked_input,
    move_row,
    read_form,
    refusals,
    stored_form,
)
from confman.programme.flags import conference_flags
from confman.programme.schemas import SessionCreate, SessionUpdate
from confman.programme.services import SessionService
from confman.settings import AppSettings
from confman.site.serve import PageRendererDependency
from confman.speakers.services import SpeakerService

LIST_TEMPLATE = "orga/sessions/list.html"
FORM_TEMPLATE = "orga/sessions/form.html"
DELETE_TEMPLATE = "orga/sessions/delete.html"

KIND_LABELS: dict[str, str] = {
    SessionKind.TALK: N_("Talk"),
    SessionKind.KEYNOTE: N_("Keynote"),
    SessionKind.PANEL: N_("Panel"),
    SessionKind.WORKSHOP: N_("Workshop"),
    SessionKind.DISCUSSION: N_("Discussion"),
    SessionKind.BREAK: N_("Break"),
    SessionKind.OTHER: N_("Other"),
}
STATUS_LABELS: dict[str, str] = {
    SessionStatus.DRAFT: N_("Draft"),
    SessionStatus.CONFIRMED: N_("Confirmed"),
    SessionStatus.CANCELLED: N_("Cancelled"),
}
ROLE_LABELS: dict[str, str] = {
    SpeakerRole.SPEAKER: N_("Speaker"),
    # Not "Chair"/"Moderator": those are plural messages elsewhere, and one catalogue entry is either.
    SpeakerRole.CHAIR: N_("Session chair"),
    SpeakerRole.MODERATOR: N_("Session moderator"),
}
# What each bulk action says once done.
BULK_DONE: dict[str, str] = {
    SessionStatus.CONFIRMED: N_("The selected sessions are confirmed."),
    SessionStatus.CANCELLED: N_("The selected sessions are cancelled."),
    SessionStatus.DRAFT: N_("The selected sessions are drafts again."),
}
# Refusals of this form that the shared messages do not word.
NO_TRACK = "-"  # the filter value for "without a track" / "without a stream"


def _sessions_path(slug: str, rest: str = "") -> str:
    return conference_path(slug, "sessions/" + rest)


async def _warnings(db: DbSession, conference: Conference, language: str) -> dict[str, list[str]]:
    """Each session's open flags (night, double booking, overlap …) in the organiser's language."""
    flags = await conference_flags(db, conference, language)
    return {slug: [flag.message(language) for flag in found] for slug, found in flags.items()}


# --- choices -------------------------------------------------------------------------------


@lru_cache(maxsize=16)
def _other_languages(language: str) -> tuple[tuple[str, str], ...]:
    """Every language CLDR names with a plain two- or three-letter code, by name in ``language``."""
    codes = [str(code) for code in Locale.parse("en").languages]
    codes = [code for code in codes if "_" not in code and is_known_language(code)]
    return tuple(sorted(((code, language_name(code, language)) for code in codes), key=lambda pair: pair[1].casefold()))


@dataclass
class Choices:
    """What the selects offer (plain data: survives a rolled-back request)."""

    tracks: list[tuple[str, str]]
    streams: list[tuple[str, str]]
    speakers: list[tuple[str, str]]
    conference_languages: list[tuple[str, str]]
    other_languages: list[tuple[str, str]]
    kinds: list[tuple[str, str]] = field(default_factory=lambda: list(KIND_LABELS.items()))
    statuses: list[tuple[str, str]] = field(default_factory=lambda: list(STATUS_LABELS.items()))
    roles: list[tuple[str, str]] = field(default_factory=lambda: list(ROLE_LABELS.items()))


async def _choices(db: DbSession, conference: Conference, language: str, *, speakers: bool = True) -> Choices:
    tracks = [(t.slug, conference.text(t.name, language) or t.slug) for t in await TrackService(db).list(conference)]
    streams = [(s.slug, s.name) for s in await StreamService(db).list(conference)]
    people = (
        sorted(((s.slug, s.name) for s in await SpeakerService(db).list(conference)), key=lambda p: p[1].casefold())
        if speakers
        else []
    )
    own = [(code, language_name(code, language)) for code in conference.languages]
    others = [pair for pair in _other_languages(language) if pair[0] not in conference.languages]
    return Choices(tracks, streams, people, own, others)


# --- the list ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    status: str = ""
    track: str = ""
    stream: str = ""
    q: str = ""

    @classmethod
    def of(cls, query: Mapping[str, str]) -> Filters:
        status = query.get("status", "")
        return cls(
            status=status if status in STATUS_LABELS else "",
            track=query.get("track", "")[:64],
            stream=query.get("stream", "")[:64],
            q=" ".join(query.get("q", "").split())[:200],
        )

    def query(self) -> str:
        params = {key: value for key, value in vars(self).items() if value}
        return urlencode(params)

    def keeps(self, session: ConferenceSession) -> bool:
        if self.status and session.status.value != self.status:
            return False
        if self.track and (session.track.slug if session.track else NO_TRACK) != self.track:
            return False
        if self.stream and (session.stream.slug if session.stream else NO_TRACK) != self.stream:
            return False
        if self.q:
            needle = self.q.casefold()
            return any(needle in title.casefold() for title in session.title.values()) or needle in session.slug
        return True


def _row(
    conference: Conference, session: ConferenceSession, language: str, warnings: Sequence[str] = ()
) -> dict[str, Any]:
    zone = conference.timezone
    start = to_zone(session.starts_at, zone)
    return {
        "slug": session.slug,
        "title": conference.text(session.title, language),
        "kind": session.kind.value,
        "status": session.status.value,
        "track": conference.text(session.track.name, language) if session.track else "",
        "stream": session.stream.name if session.stream else "",
        "start_iso": start.isoformat(),
        "start": f"{format_short_day(start.date(), language)} {format_clock(session.starts_at, zone, language)}",
        "speakers": [link.speaker.name for link in session.speaker_links],
        "edit_url": _sessions_path(conference.slug, f"{session.slug}/edit"),
        "warnings": list(warnings),
    }


async def _list_context(
    request: Request[Any, Any, Any],
    access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    settings: AppSettings,
    db: DbSession,
    filters: Filters,
) -> dict[str, Any]:
    conference = access.conference
    context = orga_context(request, base_url=settings.base_url, user=organiser, access=access, section="sessions")
    language = context["viewer"].language
    every = await SessionService(db).list(conference, public_only=False)
    choices = await _choices(db, conference, language, speakers=False)
    warnings = await _warnings(db, conference, language)
    context.update(
        sessions=[_row(conference, s, language, warnings.get(s.slug, ())) for s in every if filters.keeps(s)],
        total=len(every),
        filters=filters,
        filters_query=filters.query(),
        choices=choices,
        no_track=NO_TRACK,
        kind_labels=KIND_LABELS,
        status_labels=STATUS_LABELS,
        zone=conference.timezone,
        selected=[],
        bulk_error=None,
        list_url=_sessions_path(conference.slug),
        new_url=_sessions_path(conference.slug, "new"),
        bulk_url=_sessions_path(conference.slug, "status"),
    )
    return context


@get("/{conf:str}/sessions/", name="orga:sessions", opt=ORGANISER)
async def session_list(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    filters = Filters.of(dict(request.query_params))
    context = await _list_context(request, conference_access, organiser, settings, db_session, filters)
    return orga_page(page_renderer, LIST_TEMPLATE, context)


@post("/{conf:str}/sessions/status", name="orga:sessions-status", opt=ORGANISER, status_code=303)
async def session_bulk_status(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
) -> Response[Any]:
    """The checked sessions to one status: all in one request, one programme version."""
    form = await request.form()
    slugs = [str(slug)[:200] for slug in form.getall("sessions", [])][:1000]
    status = text(form, "status")
    filters = Filters.of(dict(parse_qsl(text(form, "back", limit=2000))))
    context = await _list_context(request, conference_access, organiser, settings, db_session, filters)
    context["selected"] = slugs
    if status not in STATUS_LABELS:
        context["bulk_error"] = INVALID
    elif not slugs:
        context["bulk_error"] = NONE_SELECTED
    else:
        try:
            await SessionService(db_session).set_status(conference_access.conference, slugs, SessionStatus(status))
        except FieldError as error:
            context["bulk_error"] = SESSION_MESSAGES.get(error.code, INVALID)
    if context["bulk_error"]:
        raise FormRejected(LIST_TEMPLATE, context, 400, NO_STORE)
    flash(request, BULK_DONE[status])
    query = filters.query()
    return see_other(_sessions_path(conference_access.conference.slug) + (f"?{query}" if query else ""))


# --- the form ------------------------------------------------------------------------------


def _frame(
    request: Request[Any, Any, Any],
    access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    settings: AppSettings,
) -> dict[str, Any]:
    return orga_context(request, base_url=settings.base_url, user=organiser, access=access, section="sessions")


def _show_form(
    context: dict[str, Any],
    conference: Conference,
    choices: Choices,
    entered: SessionForm,
    *,
    session_slug: str | None,
    warnings: Sequence[str] = (),
    extra_rows: int = 0,
) -> dict[str, Any]:
    """The form's part of the page context (plain data), for a first view or a refusal."""
    blank = {"speaker": "", "role": SpeakerRole.SPEAKER.value}
    rows = [dict(row) for row in entered.rows] + [dict(blank) for _ in range(EMPTY_SPEAKER_ROWS + extra_rows)]
    for position, row in enumerate(rows):
        row["position"] = str(position + 1)
    context.update(
        values=entered.values,
        rows=rows,
        errors=dict(entered.errors),
        choices=choices,
        creating=session_slug is None,
        session_slug=session_slug,
        warnings=list(warnings),
        unsaved=False,
        zone=conference.timezone,
        day_min=f"{conference.starts_on.isoformat()}T00:00",
        day_max=f"{conference.ends_on.isoformat()}T23:59",
        list_url=_sessions_path(conference.slug),
        action=_sessions_path(conference.slug, f"{session_slug}/edit" if session_slug else "new"),
        delete_url=_sessions_path(conference.slug, f"{session_slug}/delete") if session_slug else "",
    )
    return context


@get("/{conf:str}/sessions/new", name="orga:session-new", opt=ORGANISER)
async def session_new(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    conference = conference_access.conference
    context = _frame(request, conference_access, organiser, settings)
    choices = await _choices(db_session, conference, context["viewer"].language)
    _show_form(context, conference, choices, blank_form(conference), session_slug=None)
    return orga_page(page_renderer, FORM_TEMPLATE, context)


@post("/{conf:str}/sessions/new", name="orga:session-create", opt=ORGANISER, status_code=303)
async def session_create(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    conference = conference_access.conference
    context = _frame(request, conference_access, organiser, settings)
    choices = await _choices(db_session, conference, context["viewer"].language)
    form = await request.form()
    entered = read_form(form, conference, creating=True, had_meeting_url=False)
    move = text(form, "move", limit=20)
    if move:
        # Rows rearranged, nothing saved: the form again as entered.
        extra = move_row(entered.rows, move)
        _show_form(context, conference, choices, replace(entered, errors={}), session_slug=None, extra_rows=extra)
        context["unsaved"] = True
        return orga_page(page_renderer, FORM_TEMPLATE, context)
    data = checked_input(SessionCreate, entered, conference)
    if data is not None:
        try:
            created = await SessionService(db_session).create(conference, data)
        except FieldError as error:
            entered.errors.update(refusals(error, entered, conference))
        else:
            flash(request, N_("The session was created."))
            return see_other(_sessions_path(conference.slug, f"{created.slug}/edit"))
    _show_form(context, conference, choices, entered, session_slug=None)
    raise FormRejected(FORM_TEMPLATE, context, 400, NO_STORE)


@get("/{conf:str}/sessions/{session:str}/edit", name="orga:session-edit", opt=ORGANISER)
async def session_edit(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
    session: FromPath[str],
) -> Response[Any]:
    conference = conference_access.conference
    found = await SessionService(db_session).get(conference, session, public_only=False)
    context = _frame(request, conference_access, organiser, settings)
    language = context["viewer"].language
    choices = await _choices(db_session, conference, language)
    warnings = (await _warnings(db_session, conference, language)).get(found.slug, [])
    _show_form(context, conference, choices, stored_form(conference, found), session_slug=found.slug, warnings=warnings)
    return orga_page(page_renderer, FORM_TEMPLATE, context)


@post("/{conf:str}/sessions/{session:str}/edit", name="orga:session-update", opt=ORGANISER, status_code=303)
async def session_update(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
    session: FromPath[str],
) -> Response[Any]:
    conference = conference_access.conference
    service = SessionService(db_session)
    found = await service.get(conference, session, public_only=False)
    slug = found.slug
    context = _frame(request, conference_access, organiser, settings)
    language = context["viewer"].language
    choices = await _choices(db_session, conference, language)
    warnings = (await _warnings(db_session, conference, language)).get(slug, [])
    form = await request.form()
    entered = read_form(form, conference, creating=False, had_meeting_url=found.meeting_url is not None)
    entered.values["slug"] = slug
    move = text(form, "move", limit=20)
    if move:
        extra = move_row(entered.rows, move)
        _show_form(
            context,
            conference,
            choices,
            replace(entered, errors={}),
            session_slug=slug,
            warnings=warnings,
            extra_rows=extra,
        )
        context["unsaved"] = True
        return orga_page(page_renderer, FORM_TEMPLATE, context)
    data = checked_input(SessionUpdate, entered, conference)
    if data is not None:
        try:
            await service.update(conference, found, data)
        except FieldError as error:
            entered.errors.update(refusals(error, entered, conference))
        else:
            flash(request, N_("The session was saved."))
            return see_other(_sessions_path(conference.slug, f"{slug}/edit"))
    _show_form(context, conference, choices, entered, session_slug=slug, warnings=warnings)
    raise FormRejected(FORM_TEMPLATE, context, 400, NO_STORE)


# --- deleting ------------------------------------------------------------------------------


@get("/{conf:str}/sessions/{session:str}/delete", name="orga:session-delete-confirm", opt=ORGANISER)
async def session_delete_confirm(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
    session: FromPath[str],
) -> Response[Any]:
    conference = conference_access.conference
    found = await SessionService(db_session).get(conference, session, public_only=False)
    context = orga_context(
        request, base_url=settings.base_url, user=organiser, access=conference_access, section="sessions"
    )
    context.update(
        session=_row(conference, found, context["viewer"].language),
        action=_sessions_path(conference.slug, f"{found.slug}/delete"),
        zone=conference.timezone,
        status_labels=STATUS_LABELS,
    )
    return orga_page(page_renderer, DELETE_TEMPLATE, context)


@post("/{conf:str}/sessions/{session:str}/delete", name="orga:session-delete", opt=ORGANISER, status_code=303)
async def session_delete(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    db_session: DbSession,
    session: FromPath[str],
) -> Response[Any]:
    conference = conference_access.conference
    service = SessionService(db_session)
    await service.delete(conference, await service.get(conference, session, public_only=False))
    flash(request, N_("The session was deleted."))
    return see_other(_sessions_path(conference.slug))


HANDLERS = [
    session_list,
    session_bulk_status,
    session_new,
    session_create,
    session_edit,
    session_update,
    session_delete_confirm,
    session_delete,
]
