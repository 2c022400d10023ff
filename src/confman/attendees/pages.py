"""The attendee's page (``/me/{token}/``), its forms, the personal feed and the join gate.

Everything here is private: answers are never cached (``Cache-Control: no-store``), send no
referrer (the token is in the path, never in a query string), and are never marked for the
micro-cache. The page and its forms sit behind the CSRF middleware; the feed and the join
links do not, as calendar apps fetch and open them without cookies.

A refused form raises :class:`~confman.lib.errors.FormRejected` with the page and its
messages (chosen by the refusal's field and code), so nothing of the request stays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.params import FromPath
from litestar.response import Redirect
from litestar.status_codes import (
    HTTP_200_OK,
    HTTP_303_SEE_OTHER,
    HTTP_400_BAD_REQUEST,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_410_GONE,
    HTTP_503_SERVICE_UNAVAILABLE,
)
from pydantic import BaseModel, ConfigDict, ValidationError

from confman.attendees import services
from confman.attendees.attendance import counts_as_a_join
from confman.attendees.links import (
    attendee_tokens,
    existing_tokens,
    registration_by_feed_token,
    registration_by_join_token,
    registration_by_page_token,
    rotate_tokens,
)
from confman.attendees.services import AttendanceRules, Gate, JoinDecision
from confman.calendar.ical import build_calendar
from confman.db.engine import set_write_intent
from confman.db.models import Conference, Registration, RegistrationStatus
from confman.db.transactions import WRITES, DbSession
from confman.lib.errors import FieldError, FormRejected
from confman.lib.head import client_method
from confman.lib.i18n import N_, UI_LANGUAGES, format_clock, format_short_day, language_autonym
from confman.lib.templating import gettext_callables
from confman.lib.timezones import get_zone, utcnow
from confman.lib.urls import attendee_action_url, attendee_feed_url, attendee_url, join_url, webcal_url
from confman.lib.validation import LanguageCode, Line, ZoneName
from confman.lib.viewer import Viewer
from confman.published.model import PublicSession, PublishedProgramme
from confman.registration.placement import AppPlacement
from confman.registration.seats import Seat, release_seat, seats_of, take_seat, taken_seats
from confman.registration.services import RegistrationService
from confman.settings import AppSettings
from confman.site.display import ProgrammeDisplay, SessionView
from confman.site.serve import PageRendererDependency, ProgrammeCacheDependency, html_response, page_context

AnyRequest = Request[Any, Any, Any]
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
ICS = "text/calendar"
# What a finished form says on the page it leads back to (?done=…: no secret in it).
DONE_MESSAGES = {
    "profile": N_("Your details are saved."),
    "follow": N_("Your sessions are saved."),
    "seat": N_("Your seat is saved."),
    "released": N_("You gave up your place."),
    "links": N_("You have new calendar and join links. The old ones no longer work."),
    "cancelled": N_("Your registration is cancelled."),
}


class ProfileInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Line
    timezone: ZoneName
    language: LanguageCode


@dataclass
class Attendee:
    """A registration opened by its page token, with what its page shows."""

    registration: Registration
    conference: Conference
    programme: PublishedProgramme


def _viewer(registration: Registration, programme: PublishedProgramme) -> Viewer:
    """The attendee's own language and zone (their settings, not the browser's)."""
    offered = {*UI_LANGUAGES, *programme.conference.languages}
    language = registration.language if registration.language in offered else programme.conference.default_language
    return Viewer(language=language, zone=registration.timezone, locale=language)


def _display(attendee: Attendee, base_url: str) -> ProgrammeDisplay:
    return ProgrammeDisplay(attendee.programme, _viewer(attendee.registration, attendee.programme), base_url)


def _html(renderer: PageRendererDependency, template: str, context: dict[str, Any], status: int,
          headers: dict[str, str] | None = None) -> Response[bytes]:  # fmt: skip
    return html_response(renderer, template, context, status, {**PRIVATE, **(headers or {})})


def _not_found(request: AnyRequest, renderer: PageRendererDependency, base_url: str) -> Response[bytes]:
    """One answer for every link that leads nowhere: unknown, rotated, cancelled or waiting.
    It depends only on the request's language, never on what the token was."""
    context = page_context(request, base_url=base_url, path="/", private=True)
    return _html(renderer, "attendee/not_found.html", context, HTTP_404_NOT_FOUND)


async def _open(db: DbSession, cache: ProgrammeCacheDependency, registration: Registration | None) -> Attendee | None:
    if registration is None or registration.erased_at is not None:
        return None
    conference = await db.get(Conference, registration.conference_id)
    if conference is None or not conference.is_published:
        return None
    programme = await cache.programme(db, conference.slug)
    if programme is None:
        return None
    return Attendee(registration, conference, programme)


async def _attendee(db: DbSession, cache: ProgrammeCacheDependency, token: str) -> Attendee | None:
    # The page may make the attendee's links on first view, and its forms write: every
    # request here takes SQLite's write lock from its first statement.
    set_write_intent(True)
    return await _open(db, cache, await registration_by_page_token(db, token))


# --- the page ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SessionEntry:
    view: SessionView
    followed: bool
    capacity: int | None
    seats_left: int | None
    seat: Seat | None
    join_url: str | None
    # ISO instants for the page's script, and what the page says before the script runs.
    join_opens_at: str
    join_closes_at: str
    join_state: str
    join_opens_label: str


def _entries(
    attendee: Attendee, viewer: Viewer, display: ProgrammeDisplay, rules: AttendanceRules, *,
    followed: set[int], seats: dict[int, Seat], taken: dict[int, int], join_token: str | None, base_url: str,
) -> list[SessionEntry]:  # fmt: skip
    now = utcnow()
    joinable = {s.id for s in services.join_link_sessions(attendee.registration, attendee.programme.sessions, seats)}
    entries = []
    for session in attendee.programme.sessions:
        opens_at, closes_at = rules.window(session.starts_at, session.ends_at)
        state = "early" if now < opens_at else "ended" if now >= closes_at else "open"
        link = join_url(base_url, join_token, session.slug) if join_token and session.id in joinable else None
        entries.append(
            SessionEntry(
                view=display.session(session),
                followed=session.id in followed,
                capacity=session.capacity,
                seats_left=max(0, session.capacity - taken.get(session.id, 0)) if session.capacity else None,
                seat=seats.get(session.id),
                join_url=link,
                join_opens_at=opens_at.isoformat(),
                join_closes_at=closes_at.isoformat(),
                join_state=state,
                join_opens_label=format_clock(opens_at, viewer.zone, viewer.formatting),
            )
        )
    return entries


async def _page_context(
    request: AnyRequest, attendee: Attendee, token: str, db: DbSession, settings: AppSettings,
    *, errors: dict[str, str] | None = None, values: dict[str, Any] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The page's context, plain data only (a refused form's page is rendered after the
    rollback); ``errors`` maps a form's field to a message id, shown in the attendee's language.

    The page makes the attendee's links the first time it is shown; a refused form's page shows
    only links that exist already, as whatever it would make is rolled back.
    """
    registration, programme = attendee.registration, attendee.programme
    display = _display(attendee, settings.base_url)
    viewer = display.viewer
    translate = gettext_callables(viewer.language)["_"]
    context = page_context(request, base_url=settings.base_url, display=display, private=True)
    rules = await services.attendance_rules(db, programme.conference.id)
    seats = await seats_of(db, registration.id)
    followed = await services.followed_session_ids(db, registration, programme, seats)
    taken = await taken_seats(db, [s.id for s in programme.sessions if s.capacity])
    active = registration.status in {RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED}
    links = attendee_tokens if errors is None else existing_tokens
    tokens = await links(db, registration.id, settings.secret_key) if active else None
    feed = attendee_feed_url(settings.base_url, tokens.feed) if tokens else None
    done = request.query_params.get("done")
    context.update(
        status=registration.status.value,
        position=await RegistrationService(db, settings).position(registration),
        sessions=_entries(
            attendee, viewer, display, rules, followed=followed, seats=seats, taken=taken,
            join_token=tokens.join if tokens else None, base_url=settings.base_url,
        ),
        join_opens_minutes=rules.join_opens_minutes,
        follows_all=registration.follows_all,
        feed_url=feed,
        feed_webcal=webcal_url(feed) if feed else None,
        action=lambda name: attendee_action_url("", token, name),
        page_url=attendee_url("", token),
        done=DONE_MESSAGES.get(done or ""),
        errors={field: translate(message) for field, message in (errors or {}).items()},
        values=values or {"name": registration.name, "timezone": registration.timezone,
                          "language": registration.language},
        form_languages=[
            (code, language_autonym(code))
            for code in dict.fromkeys([*programme.conference.languages, *UI_LANGUAGES])
        ],
    )  # fmt: skip
    return context


async def _refused(
    request: AnyRequest, attendee: Attendee, token: str, db: DbSession, settings: AppSettings, status: int,
    errors: dict[str, str], values: dict[str, Any] | None = None,
) -> FormRejected:  # fmt: skip
    """The page again with a form's messages; raised, so that the request leaves nothing behind."""
    context = await _page_context(request, attendee, token, db, settings, errors=errors, values=values)
    return FormRejected("attendee/page.html", context, status, PRIVATE)


def _done(token: str, what: str) -> Redirect:
    return Redirect(attendee_url("", token) + f"?done={what}", status_code=HTTP_303_SEE_OTHER, headers=PRIVATE)


@get("/me/{token:str}/", name="attendee_page", include_in_schema=False, opt={WRITES: True})
async def attendee_page(
    request: AnyRequest, token: FromPath[str], db_session: DbSession, settings: AppSettings,
    programme_cache: ProgrammeCacheDependency, page_renderer: PageRendererDependency,
) -> Response[bytes]:  # fmt: skip
    attendee = await _attendee(db_session, programme_cache, token)
    if attendee is None:
        return _not_found(request, page_renderer, settings.base_url)
    context = await _page_context(request, attendee, token, db_session, settings)
    return _html(page_renderer, "attendee/page.html", context, HTTP_200_OK)


def _form_text(form: FormMultiDict, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


# The profile's refusals are worded by the input they name, whatever their code (the schema's
# type errors, or the service's ``language_not_offered``): each input has one way to be right.
PROFILE_MESSAGES = {
    "name": N_("Please enter your name (one line, at most 300 characters)."),
    "timezone": N_("Please choose a time zone from the list."),
    "language": N_("Please choose a language from the list."),
}


@post("/me/{token:str}/profile", name="attendee_profile", include_in_schema=False, status_code=HTTP_303_SEE_OTHER)
async def attendee_profile(
    request: AnyRequest, token: FromPath[str], db_session: DbSession, settings: AppSettings,
    programme_cache: ProgrammeCacheDependency, page_renderer: PageRendererDependency,
) -> Response[Any]:  # fmt: skip
    attendee = await _attendee(db_session, programme_cache, token)
    if attendee is None:
        return _not_found(request, page_renderer, settings.base_url)
    form = await request.form()
    values = {name: _form_text(form, name) for name in ("name", "timezone", "language")}
    problems: dict[str, str] = {}
    try:
        data = ProfileInput.model_validate(values)
        await services.update_profile(
            db_session, settings, attendee.conference, attendee.registration,
            name=data.name, timezone=data.timezone, language=data.language,
        )  # fmt: skip
    except ValidationError as error:
        problems = {str(item["loc"][0]): item["type"] for item in error.errors()}
    except FieldError as error:
        problems = {error.field: error.code}
    if problems:
        errors = {field: PROFILE_MESSAGES.get(field, N_("This value is not valid.")) for field in problems}
        raise await _refused(request, attendee, token, db_session, settings, HTTP_400_BAD_REQUEST, errors, values)
    return _done(token, "profile")


@post("/me/{token:str}/follow", name="attendee_follow", include_in_schema=False, status_code=HTTP_303_SEE_OTHER)
async def attendee_follow(
    request: AnyRequest, token: FromPath[str], db_session: DbSession, settings: AppSettings,
    programme_cache: ProgrammeCacheDependency, page_renderer: PageRendererDependency,
) -> Response[Any]:  # fmt: skip
    attendee = await _attendee(db_session, programme_cache, token)
    if attendee is None:
        return _not_found(request, page_renderer, settings.base_url)
    form = await request.form()
    follow_all = form.get("follow") != "some"
    slugs = [value for value in form.getall("session", []) if isinstance(value, str)]
    try:
        ids = services.check_session_ids(attendee.programme, slugs[:1000])
    except FieldError as error:
        errors = {"follow": FOLLOW_MESSAGES.get(error.code, FOLLOW_MESSAGES["unknown_session"])}
        raise await _refused(request, attendee, token, db_session, settings, HTTP_400_BAD_REQUEST, errors) from None
    await services.set_follows(db_session, attendee.registration, follow_all=follow_all, session_ids=ids)
    return _done(token, "follow")


FOLLOW_MESSAGES = {"unknown_session": N_("One of the chosen sessions is not part of this conference.")}
# By the code of take_seat's refusal (registration/seats.py).
SEAT_SESSION_MESSAGE = N_("This session takes no seats now (it is cancelled, over, or has no capacity).")
SEAT_MESSAGES = {
    "not_confirmed": N_("Only confirmed attendees can take a seat."),
    "unknown_session": SEAT_SESSION_MESSAGE,
    "session_cancelled": SEAT_SESSION_MESSAGE,
    "no_seats": SEAT_SESSION_MESSAGE,
    "session_over": SEAT_SESSION_MESSAGE,
}


@post(
    "/me/{token:str}/seats/{session:str}", name="attendee_seat", include_in_schema=False,
    status_code=HTTP_303_SEE_OTHER,
)  # fmt: skip
async def attendee_seat(
    request: AnyRequest, token: FromPath[str], session: FromPath[str], db_session: DbSession,
    settings: AppSettings, programme_cache: ProgrammeCacheDependency, page_renderer: PageRendererDependency,
) -> Response[Any]:  # fmt: skip
    attendee = await _attendee(db_session, programme_cache, token)
    if attendee is None:
        return _not_found(request, page_renderer, settings.base_url)
    target = attendee.programme.session(session)
    form = await request.form()
    try:
        if target is None:
            raise FieldError("session", "unknown_session", "no such session")
        if form.get("action") == "release":
            await release_seat(db_session, attendee.registration.id, target.id, base_url=settings.base_url)
            return _done(token, "released")
        await take_seat(db_session, attendee.registration, target.id)
    except FieldError as error:
        errors = {"seat": SEAT_MESSAGES.get(error.code, SEAT_SESSION_MESSAGE)}
        raise await _refused(request, attendee, token, db_session, settings, HTTP_409_CONFLICT, errors) from None
    return _done(token, "seat")


@post("/me/{token:str}/links", name="attendee_links", include_in_schema=False, status_code=HTTP_303_SEE_OTHER)
async def attendee_links(
    request: AnyRequest, token: FromPath[str], db_session: DbSession, settings: AppSettings,
    programme_cache: ProgrammeCacheDependency, page_renderer: PageRendererDependency,
) -> Response[Any]:  # fmt: skip
    attendee = await _attendee(db_session, programme_cache, token)
    if attendee is None:
        return _not_found(request, page_renderer, settings.base_url)
    await rotate_tokens(db_session, attendee.registration.id, settings.secret_key)
    return _done(token, "links")


def _confirmed(form: FormMultiDict) -> bool:
    return form.get("confirm") == "yes"


@post("/me/{token:str}/cancel", name="attendee_cancel", include_in_schema=False, status_code=HTTP_303_SEE_OTHER)
async def attendee_cancel(
    request: AnyRequest, token: FromPath[str], db_session: DbSession, settings: AppSettings,
    programme_cache: ProgrammeCacheDependency, page_renderer: PageRendererDependency, placement: AppPlacement,
) -> Response[Any]:  # fmt: skip
    attendee = await _attendee(db_session, programme_cache, token)
    if attendee is None:
        return _not_found(request, page_renderer, settings.base_url)
    if not _confirmed(await request.form()):
        errors = {"cancel": N_("Tick the box to confirm that you want to cancel.")}
        raise await _refused(request, attendee, token, db_session, settings, HTTP_400_BAD_REQUEST, errors)
    await RegistrationService(db_session, settings, placement).cancel(attendee.conference, attendee.registration)
    return _done(token, "cancelled")


@post("/me/{token:str}/erase", name="attendee_erase", include_in_schema=False, status_code=HTTP_200_OK)
async def attendee_erase(
    request: AnyRequest, token: FromPath[str], db_session: DbSession, settings: AppSettings,
    programme_cache: ProgrammeCacheDependency, page_renderer: PageRendererDependency, placement: AppPlacement,
) -> Response[Any]:  # fmt: skip
    attendee = await _attendee(db_session, programme_cache, token)
    if attendee is None:
        return _not_found(request, page_renderer, settings.base_url)
    # The page in the attendee's language and zone, as they were before the data went.
    display = _display(attendee, settings.base_url)
    if not _confirmed(await request.form()):
        errors = {"erase": N_("Tick the box to confirm that you want your data deleted.")}
        raise await _refused(request, attendee, token, db_session, settings, HTTP_400_BAD_REQUEST, errors)
    await services.erase(db_session, settings, attendee.conference, attendee.registration, placement)
    context = page_context(request, base_url=settings.base_url, display=display, private=True)
    return _html(page_renderer, "attendee/erased.html", context, HTTP_200_OK)


# --- the personal feed ------------------------------------------------------------------------


@get("/me/{token:str}/calendar.ics", name="attendee_feed", include_in_schema=False)
async def attendee_feed(
    request: AnyRequest, token: FromPath[str], db_session: DbSession, settings: AppSettings,
    programme_cache: ProgrammeCacheDependency, page_renderer: PageRendererDependency,
) -> Response[bytes]:  # fmt: skip
    """The sessions the attendee follows, each with their join link (DESCRIPTION, LOCATION and
    CONFERENCE). A cancelled registration's feed is empty, so subscribed calendars clear."""
    attendee = await _open(db_session, programme_cache, await registration_by_feed_token(db_session, token))
    if attendee is None:
        return Response(b"Not found\n", status_code=HTTP_404_NOT_FOUND, media_type="text/plain", headers=PRIVATE)
    registration, programme = attendee.registration, attendee.programme
    conference = programme.conference
    language = registration.language if registration.language in conference.languages else None
    sessions: list[PublicSession] = []
    links: dict[int, str] = {}
    if registration.status is not RegistrationStatus.CANCELLED:
        seats = await seats_of(db_session, registration.id)
        followed = await services.followed_session_ids(db_session, registration, programme, seats)
        sessions = [session for session in programme.sessions if session.id in followed]
        tokens = await existing_tokens(db_session, registration.id, settings.secret_key)
        if tokens is not None:
            links = {
                session.id: join_url(settings.base_url, tokens.join, session.slug)
                for session in services.join_link_sessions(registration, sessions, seats)
            }
    title = programme.text(conference.title, language or registration.language)[0]
    reader = _viewer(registration, programme).language
    name = gettext_callables(reader)["_"]("My sessions · %(title)s", title=title)
    # Labels ("Join", "Speakers"…) in the attendee's language even where the content has none.
    body = build_calendar(
        conference, sessions, base_url=settings.base_url, name=name,
        source_url=attendee_feed_url(settings.base_url, token), language=language, join_links=links,
        label_language=reader,
    )  # fmt: skip
    disposition = f'inline; filename="{conference.slug}-my-sessions.ics"'
    return Response(body, media_type=ICS, headers={**PRIVATE, "Content-Disposition": disposition})


# --- the join gate ----------------------------------------------------------------------------

GATE_STATUS = {
    Gate.EARLY: HTTP_200_OK,
    Gate.ENDED: HTTP_410_GONE,
    Gate.CANCELLED: HTTP_410_GONE,
    Gate.NO_SEAT: HTTP_403_FORBIDDEN,
    Gate.NO_MEETING: HTTP_503_SERVICE_UNAVAILABLE,
}


@get("/join/{token:str}/{session:str}", name="join_session", include_in_schema=False, opt={WRITES: True})
async def join_session(
    request: AnyRequest, token: FromPath[str], session: FromPath[str], db_session: DbSession,
    settings: AppSettings, programme_cache: ProgrammeCacheDependency, page_renderer: PageRendererDependency,
) -> Response[Any]:  # fmt: skip
    # A join is recorded: the request writes.
    set_write_intent(True)
    registration = await registration_by_join_token(db_session, token)
    attendee = await _open(db_session, programme_cache, registration)
    if attendee is None or attendee.registration.status is not RegistrationStatus.CONFIRMED:
        return _not_found(request, page_renderer, settings.base_url)
    target = await services.join_target(db_session, attendee.conference.id, session)
    if target is None:
        return _not_found(request, page_renderer, settings.base_url)
    now = utcnow()
    rules = await services.attendance_rules(db_session, attendee.conference.id)
    decision = await services.decide(db_session, attendee.registration, target, rules, now)
    if decision.gate is Gate.OPEN and decision.meeting_url:
        if counts_as_a_join(client_method(request), request.headers.get("user-agent", "")):
            await services.record_join(db_session, attendee.registration.id, target.id, now)
        return Redirect(decision.meeting_url, status_code=302, headers=PRIVATE)
    return _gate_page(request, attendee, decision, settings, page_renderer)


def _gate_page(
    request: AnyRequest, attendee: Attendee, decision: JoinDecision, settings: AppSettings,
    renderer: PageRendererDependency,
) -> Response[bytes]:  # fmt: skip
    programme = attendee.programme
    display = _display(attendee, settings.base_url)
    viewer = display.viewer
    context = page_context(request, base_url=settings.base_url, display=display, private=True)
    session = programme.session(decision.target.slug)
    assert session is not None
    locale = viewer.formatting
    context.update(
        gate=decision.gate.value,
        session=display.session(session),
        opens_at=decision.opens_at.isoformat(),
        opens_label=format_clock(decision.opens_at, viewer.zone, locale),
        opens_day=format_short_day(decision.opens_at.astimezone(get_zone(viewer.zone)).date(), locale),
        recording_url=decision.target.recording_url,
        retry_seconds=30,
    )
    headers = {"Retry-After": "30"} if decision.gate is Gate.NO_MEETING else {}
    return _html(renderer, "attendee/gate.html", context, GATE_STATUS[decision.gate], headers)
