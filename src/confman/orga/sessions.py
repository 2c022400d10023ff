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

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlencode

from babel import Locale
from litestar import Request, Response, get, post
from litestar.params import FromPath
from pydantic import ValidationError

from confman.accounts.auth import AuthenticatedUser
from confman.conferences.access import ORGANISER, ConferenceAccessDependency
from confman.conferences.services import StreamService, TrackService
from confman.db.models import Conference, ConferenceSession, SessionKind, SessionStatus, SpeakerRole
from confman.db.transactions import DbSession
from confman.lib.errors import FieldError, FormRejected
from confman.lib.i18n import N_, format_clock, format_short_day
from confman.lib.languages import is_known_language, language_name
from confman.lib.timezones import to_utc, to_zone
from confman.orga.forms import INVALID, MESSAGES, checkbox, field_errors, optional, text, translations
from confman.orga.frame import NO_STORE, conference_path, orga_context, orga_page, see_other
from confman.orga.session import flash
from confman.programme.flags import conference_flags
from confman.programme.schemas import SessionCreate, SessionUpdate
from confman.programme.services import MAX_SESSION_LENGTH, SessionService
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
_MESSAGES: dict[str, str] = {
    "unknown_track": N_("Choose a track from the list."),
    "unknown_stream": N_("Choose a stream from the list."),
    "unknown_speaker": N_("Choose a speaker from the list."),
    "unknown_session": N_("This session no longer exists; reload the page."),
}
SPEAKER_DUPLICATE = N_("This speaker is listed twice.")
NONE_SELECTED = N_("Select at least one session.")

EMPTY_SPEAKER_ROWS = 3
MAX_SPEAKER_ROWS = 100
NO_TRACK = "-"  # the filter value for "without a track" / "without a stream"
_ROW = re.compile(r"^speakers\[(\d{1,3})\]\.(speaker|role|position)$")
_DAY_MINUTES = int(MAX_SESSION_LENGTH.total_seconds() // 60)


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
            context["bulk_error"] = _MESSAGES.get(error.code, INVALID)
    if context["bulk_error"]:
        raise FormRejected(LIST_TEMPLATE, context, 400, NO_STORE)
    flash(request, BULK_DONE[status])
    query = filters.query()
    return see_other(_sessions_path(conference_access.conference.slug) + (f"?{query}" if query else ""))


# --- the form ------------------------------------------------------------------------------


@dataclass
class SessionForm:
    """A session form as entered: what to show again, and what to give the schema."""

    values: dict[str, Any]
    rows: list[dict[str, str]]
    payload: dict[str, Any]
    errors: dict[str, str]


def _local_input(moment: datetime, zone: str) -> str:
    """A stored time as a ``datetime-local`` value in ``zone`` (seconds only when it has them)."""
    local = to_zone(moment, zone)
    return local.strftime("%Y-%m-%dT%H:%M:%S" if local.second else "%Y-%m-%dT%H:%M")


def _parse_local(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _speaker_rows(form: Mapping[str, Any], errors: dict[str, str]) -> list[dict[str, str]]:
    """The filled speaker rows, in the order their positions give (ties: as on the page)."""
    found: dict[int, dict[str, str]] = {}
    for key in form:
        match = _ROW.match(str(key))
        if match and int(match.group(1)) < MAX_SPEAKER_ROWS:
            found.setdefault(int(match.group(1)), {})[match.group(2)] = text(form, str(key), limit=200)
    filled = [(index, row) for index, row in sorted(found.items()) if row.get("speaker")]

    def order(item: tuple[int, dict[str, str]]) -> tuple[int, int]:
        index, row = item
        try:
            return int(row.get("position") or index + 1), index
        except ValueError:
            return MAX_SPEAKER_ROWS + index, index

    rows = [row for _, row in sorted(filled, key=order)]
    for position, row in enumerate(rows):
        raw = row.get("position", "")
        if raw and not raw.lstrip("-").isdigit():
            errors[f"speakers[{position}].position"] = MESSAGES["int_parsing"]
        row["position"] = str(position + 1)
        row.setdefault("role", SpeakerRole.SPEAKER.value)
    return rows


def read_form(form: Mapping[str, Any], conference: Conference, *, creating: bool, had_meeting_url: bool) -> SessionForm:
    languages = conference.languages
    errors: dict[str, str] = {}
    values: dict[str, Any] = {
        "slug": text(form, "slug", limit=200),
        "title": {lang: text(form, f"title.{lang}", limit=1000) for lang in languages},
        "abstract": {lang: text(form, f"abstract.{lang}", limit=25_000) for lang in languages},
        "kind": text(form, "kind", limit=50),
        "language": text(form, "language", limit=50),
        "track": text(form, "track", limit=200),
        "stream": text(form, "stream", limit=200),
        "starts_at": text(form, "starts_at", limit=50),
        "duration": text(form, "duration", limit=50),
        "ends_at": text(form, "ends_at", limit=50),
        "status": text(form, "status", limit=50),
        "capacity": text(form, "capacity", limit=50),
        "meeting_url": text(form, "meeting_url", limit=5000),
        "remove_meeting_url": checkbox(form, "remove_meeting_url"),
        "has_meeting_url": had_meeting_url,
        "recording_url": text(form, "recording_url", limit=5000),
    }
    payload: dict[str, Any] = {
        "title": translations(form, "title", languages),
        "abstract": translations(form, "abstract", languages),
        "track": optional(form, "track"),
        "stream": optional(form, "stream"),
        "capacity": values["capacity"] or None,
        "recording_url": values["recording_url"] or None,
        "speakers": [],
    }
    for name in ("kind", "language", "status"):
        if values[name]:
            payload[name] = values[name]
    if creating:
        payload["slug"] = values["slug"]
        payload["meeting_url"] = values["meeting_url"] or None
    elif values["remove_meeting_url"]:
        payload["meeting_url"] = None
    elif values["meeting_url"]:
        payload["meeting_url"] = values["meeting_url"]

    # Times: wall-clock in the conference's zone; the end from the duration unless given.
    start = _parse_local(values["starts_at"]) if values["starts_at"] else None
    if not values["starts_at"]:
        errors["starts_at"] = MESSAGES["required"]
    elif start is None:
        errors["starts_at"] = MESSAGES["datetime_parsing"]
    else:
        payload["starts_at"] = start
    if values["ends_at"]:
        end = _parse_local(values["ends_at"])
        if end is None:
            errors["ends_at"] = MESSAGES["datetime_parsing"]
        else:
            payload["ends_at"] = end
    elif values["duration"]:
        try:
            minutes = int(values["duration"])
        except ValueError:
            errors["duration"] = MESSAGES["int_parsing"]
        else:
            if minutes < 1:
                errors["duration"] = MESSAGES["greater_than_equal"]
            elif minutes > _DAY_MINUTES:
                errors["duration"] = MESSAGES["less_than_equal"]
            elif start is not None:
                payload["ends_at"] = to_utc(start, conference.timezone) + timedelta(minutes=minutes)
    else:
        errors["duration"] = MESSAGES["required"]

    rows = _speaker_rows(form, errors)
    payload["speakers"] = [{"speaker": row["speaker"], "role": row["role"]} for row in rows]
    return SessionForm(values, rows, payload, errors)


def _checked(schema: type[SessionCreate] | type[SessionUpdate], entered: SessionForm, conference: Conference) -> Any:
    """The schema built from the form, or None with every refusal added to ``entered.errors``.

    When the page already refused a time (so the payload lacks it), the rest is still checked,
    so that the organiser sees every message at once.
    """
    payload = dict(entered.payload)
    if entered.errors:
        placeholder = datetime.combine(conference.starts_on, datetime.min.time())
        payload.setdefault("starts_at", placeholder)
        payload.setdefault("ends_at", placeholder + timedelta(hours=1))
    if not payload["title"].get(conference.default_language):
        entered.errors.setdefault(f"title.{conference.default_language}", MESSAGES["default_language_missing"])
    try:
        data = schema.model_validate(payload)
    except ValidationError as error:
        for name, message in _refusals(error, entered, conference).items():
            entered.errors.setdefault(name, message)
        return None
    return None if entered.errors else data


def _refusals(error: ValidationError | FieldError, entered: SessionForm, conference: Conference) -> dict[str, str]:
    """The refusal's messages by field, each next to the field the organiser filled in."""
    errors = field_errors(error)
    if isinstance(error, FieldError):
        if error.code in _MESSAGES:
            errors = {error.field: _MESSAGES[error.code]}
        elif error.field.startswith("speakers[") and error.code == "duplicate":
            errors = {error.field: SPEAKER_DUPLICATE}
    placed: dict[str, str] = {}
    for name, message in errors.items():
        if name == "ends_at" and not entered.values["ends_at"]:
            name = "duration"  # the end came from the duration
        elif name in {"title", "abstract"}:
            name = f"{name}.{conference.default_language}"  # missing in the default language
        placed.setdefault(name, message)
    return placed


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


def _move(rows: list[dict[str, str]], move: str) -> int:
    """A no-JS button: ``"<row>:up"``/``"<row>:down"`` swaps a row with its neighbour;
    ``"more"`` asks for more empty rows (their number is returned)."""
    if move == "more":
        return EMPTY_SPEAKER_ROWS
    index, _, direction = move.partition(":")
    if index.isdigit():
        i = int(index)
        j = i - 1 if direction == "up" else i + 1
        if 0 <= i < len(rows) and 0 <= j < len(rows):
            rows[i], rows[j] = rows[j], rows[i]
    return 0


def _stored_form(conference: Conference, session: ConferenceSession) -> SessionForm:
    zone = conference.timezone
    length = session.ends_at - session.starts_at
    whole_minutes = length.total_seconds() % 60 == 0
    values: dict[str, Any] = {
        "slug": session.slug,
        "title": dict(session.title),
        "abstract": dict(session.abstract),
        "kind": session.kind.value,
        "language": session.language,
        "track": session.track.slug if session.track else "",
        "stream": session.stream.slug if session.stream else "",
        "starts_at": _local_input(session.starts_at, zone),
        "duration": str(int(length.total_seconds() // 60)) if whole_minutes else "",
        "ends_at": "" if whole_minutes else _local_input(session.ends_at, zone),
        "status": session.status.value,
        "capacity": str(session.capacity) if session.capacity is not None else "",
        "meeting_url": "",  # a secret: never sent to the browser
        "remove_meeting_url": False,
        "has_meeting_url": session.meeting_url is not None,
        "recording_url": session.recording_url or "",
    }
    rows = [{"speaker": link.speaker.slug, "role": link.role.value} for link in session.speaker_links]
    return SessionForm(values, rows, {}, {})


def _blank_form(conference: Conference) -> SessionForm:
    values: dict[str, Any] = {
        "slug": "",
        "title": {},
        "abstract": {},
        "kind": SessionKind.TALK.value,
        "language": conference.default_language,
        "track": "",
        "stream": "",
        "starts_at": f"{conference.starts_on.isoformat()}T10:00",
        "duration": "60",
        "ends_at": "",
        "status": SessionStatus.DRAFT.value,
        "capacity": "",
        "meeting_url": "",
        "remove_meeting_url": False,
        "has_meeting_url": False,
        "recording_url": "",
    }
    return SessionForm(values, [], {}, {})


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
    _show_form(context, conference, choices, _blank_form(conference), session_slug=None)
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
        extra = _move(entered.rows, move)
        _show_form(context, conference, choices, replace(entered, errors={}), session_slug=None, extra_rows=extra)
        context["unsaved"] = True
        return orga_page(page_renderer, FORM_TEMPLATE, context)
    data = _checked(SessionCreate, entered, conference)
    if data is not None:
        try:
            created = await SessionService(db_session).create(conference, data)
        except FieldError as error:
            entered.errors.update(_refusals(error, entered, conference))
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
    _show_form(
        context, conference, choices, _stored_form(conference, found), session_slug=found.slug, warnings=warnings
    )
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
        extra = _move(entered.rows, move)
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
    data = _checked(SessionUpdate, entered, conference)
    if data is not None:
        try:
            await service.update(conference, found, data)
        except FieldError as error:
            entered.errors.update(_refusals(error, entered, conference))
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
