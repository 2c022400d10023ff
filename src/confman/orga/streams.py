"""/orga/{conf}/streams/: the online rooms in their order; add, edit, delete, order, and the
meeting URL, which is a secret.

No page that answers GET carries a meeting URL: the list shows only its host, and the edit
form never fills it in (left empty, it stays; "remove" clears it). "Reveal" is a POST (with
the form token) that answers the URL (an htmx fragment, or a small page without script) and
records who saw it in the audit trail (``meeting_url.revealed``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from litestar import Request, Response, get, post
from litestar.params import FromPath
from pydantic import ValidationError
from sqlalchemy import func, select

from confman.accounts.auth import AuthenticatedUser
from confman.audit.recorder import record_action
from confman.conferences.access import ORGANISER, ConferenceAccessDependency
from confman.conferences.schemas import StreamCreate, StreamUpdate
from confman.conferences.services import ConferenceAccess, StreamService
from confman.db.models import ConferenceSession, Stream
from confman.db.transactions import DbSession
from confman.lib.errors import FieldError, FormRejected
from confman.lib.i18n import N_
from confman.orga.forms import MESSAGES, checkbox, field_errors, optional, text
from confman.orga.frame import NO_STORE, conference_path, orga_context, orga_page, see_other
from confman.orga.session import flash
from confman.orga.tracks import moved, order_from_form, wants_fragment
from confman.settings import AppSettings
from confman.site.serve import PageRendererDependency, html_response


def masked(url: str | None) -> str | None:
    """What the pages show of a meeting URL: its host and dots (which service, not which room)."""
    if not url:
        return None
    host = urlsplit(url).hostname or ""
    return f"{host}/•••" if host else "•••"


def _stream_values(form: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "slug": text(form, "slug", limit=64),
        "name": text(form, "name", limit=200),
        "public_url": text(form, "public_url", limit=2000),
        "meeting_url": text(form, "meeting_url", limit=2000),
        "remove_meeting_url": checkbox(form, "remove_meeting_url"),
    }


def _shown(values: dict[str, Any]) -> dict[str, Any]:
    """Form values to show again: never the meeting URL that was typed (a GET never shows one,
    and a refused form does not either; it must be typed again)."""
    return {**values, "meeting_url": ""}


def _plain(streams: Sequence[Stream]) -> list[dict[str, Any]]:
    return [
        {
            "slug": stream.slug,
            "name": stream.name,
            "public_url": stream.public_url,
            "meeting": masked(stream.meeting_url),
            "number": index + 1,
        }
        for index, stream in enumerate(streams)
    ]


def _frame(
    request: Request[Any, Any, Any],
    access: ConferenceAccess,
    organiser: AuthenticatedUser,
    settings: AppSettings,
    **page: Any,
) -> dict[str, Any]:
    return orga_context(
        request,
        base_url=settings.base_url,
        user=organiser,
        access=access,
        section="streams",
        streams_path=conference_path(access.conference.slug, "streams/"),
        **page,
    )


async def _list_context(
    request: Request[Any, Any, Any],
    access: ConferenceAccess,
    organiser: AuthenticatedUser,
    settings: AppSettings,
    db_session: DbSession,
    **page: Any,
) -> dict[str, Any]:
    context = _frame(request, access, organiser, settings, **page)
    context["streams"] = _plain(await StreamService(db_session).list(access.conference))
    context.setdefault("values", {})
    context.setdefault("errors", {})
    context.setdefault("order_errors", {})
    context.setdefault("entered", {})
    return context


@get("/{conf:str}/streams/", name="orga:streams", opt=ORGANISER)
async def stream_list(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    context = await _list_context(request, conference_access, organiser, settings, db_session)
    return orga_page(page_renderer, "orga/streams/list.html", context)


@post("/{conf:str}/streams/", name="orga:stream-create", opt=ORGANISER, status_code=303)
async def stream_create(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
) -> Response[Any]:
    conference = conference_access.conference
    values = _stream_values(await request.form())
    context = await _list_context(request, conference_access, organiser, settings, db_session, values=_shown(values))
    try:
        data = StreamCreate.model_validate(
            {
                "slug": values["slug"],
                "name": values["name"],
                "public_url": values["public_url"] or None,
                "meeting_url": values["meeting_url"] or None,
            }
        )
        await StreamService(db_session).create(conference, data)
    except (ValidationError, FieldError) as error:
        context["errors"] = field_errors(error)
        raise FormRejected("orga/streams/list.html", context, 400, NO_STORE) from None
    flash(request, N_("The stream was added."))
    return see_other(conference_path(conference.slug, "streams/"))


async def _edit_context(
    request: Request[Any, Any, Any],
    access: ConferenceAccess,
    organiser: AuthenticatedUser,
    settings: AppSettings,
    stream: Stream,
    **page: Any,
) -> dict[str, Any]:
    context = _frame(request, access, organiser, settings, **page)
    context["stream"] = {
        "slug": stream.slug,
        "name": stream.name,
        "meeting": masked(stream.meeting_url),
        "path": conference_path(access.conference.slug, f"streams/{stream.slug}/"),
    }
    context.setdefault("values", {"name": stream.name, "public_url": stream.public_url or ""})
    context.setdefault("errors", {})
    return context


@get("/{conf:str}/streams/{stream:str}/", name="orga:stream", opt=ORGANISER)
async def stream_edit(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    stream: FromPath[str],
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    found = await StreamService(db_session).get(conference_access.conference, stream)
    context = await _edit_context(request, conference_access, organiser, settings, found)
    return orga_page(page_renderer, "orga/streams/edit.html", context)


@post("/{conf:str}/streams/{stream:str}/", name="orga:stream-update", opt=ORGANISER, status_code=303)
async def stream_update(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    stream: FromPath[str],
    db_session: DbSession,
    settings: AppSettings,
) -> Response[Any]:
    conference, service = conference_access.conference, StreamService(db_session)
    found = await service.get(conference, stream)
    form = await request.form()
    values = _stream_values(form)
    context = await _edit_context(request, conference_access, organiser, settings, found, values=_shown(values))
    changes: dict[str, Any] = {"name": values["name"], "public_url": optional(form, "public_url")}
    if values["remove_meeting_url"]:
        changes["meeting_url"] = None
    elif values["meeting_url"]:
        changes["meeting_url"] = values["meeting_url"]
    try:
        await service.update(conference, found, StreamUpdate.model_validate(changes))
    except (ValidationError, FieldError) as error:
        context["errors"] = field_errors(error)
        raise FormRejected("orga/streams/edit.html", context, 400, NO_STORE) from None
    flash(request, N_("The stream was saved."))
    return see_other(conference_path(conference.slug, "streams/"))


@post("/{conf:str}/streams/{stream:str}/reveal", name="orga:stream-reveal", opt=ORGANISER, status_code=200)
async def stream_reveal(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    stream: FromPath[str],
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    """The meeting URL, to this organiser, once asked for with a POST; recorded."""
    conference = conference_access.conference
    found = await StreamService(db_session).get(conference, stream)
    if found.meeting_url:
        record_action(
            db_session,
            conference_id=conference.id,
            action="meeting_url.revealed",
            entity="stream",
            entity_key=found.slug,
            detail={},
        )
    context = await _edit_context(request, conference_access, organiser, settings, found)
    context["meeting_url"] = found.meeting_url
    headers = {**NO_STORE, "Referrer-Policy": "no-referrer"}
    if request.headers.get("hx-request"):
        return html_response(page_renderer, "orga/streams/_revealed.html", context, headers=headers)
    return orga_page(page_renderer, "orga/streams/reveal.html", context, headers=headers)


@get("/{conf:str}/streams/{stream:str}/delete", name="orga:stream-delete-confirm", opt=ORGANISER)
async def stream_delete_confirm(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    stream: FromPath[str],
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    found = await StreamService(db_session).get(conference_access.conference, stream)
    context = await _edit_context(request, conference_access, organiser, settings, found)
    context["session_count"] = int(
        await db_session.scalar(
            select(func.count()).select_from(ConferenceSession).where(ConferenceSession.stream_id == found.id)
        )
        or 0
    )
    return orga_page(page_renderer, "orga/streams/delete.html", context)


@post("/{conf:str}/streams/{stream:str}/delete", name="orga:stream-delete", opt=ORGANISER, status_code=303)
async def stream_delete(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    stream: FromPath[str],
    db_session: DbSession,
) -> Response[Any]:
    conference, service = conference_access.conference, StreamService(db_session)
    await service.delete(conference, await service.get(conference, stream))
    flash(request, N_("The stream was deleted. Its sessions have no stream now."))
    return see_other(conference_path(conference.slug, "streams/"))


@post("/{conf:str}/streams/_order", name="orga:stream-order", opt=ORGANISER, status_code=303)
async def stream_order(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
) -> Response[Any]:
    conference, service = conference_access.conference, StreamService(db_session)
    form = await request.form()
    slugs = [stream.slug for stream in await service.list(conference)]
    order, entered, errors = order_from_form(form, slugs)
    if form.get("move") is not None:
        order = moved(slugs, text(form, "move", limit=80)) or slugs
        errors = {}
    if not errors:
        try:
            await service.reorder(conference, order)
        except FieldError:
            errors = {"order": MESSAGES["missing"]}
    if errors:
        if wants_fragment(request):
            return Response(b"", status_code=400, headers=NO_STORE)
        context = await _list_context(
            request, conference_access, organiser, settings, db_session, order_errors=errors, entered=entered
        )
        raise FormRejected("orga/streams/list.html", context, 400, NO_STORE)
    if wants_fragment(request):
        return Response(b"", status_code=204, headers=NO_STORE)
    flash(request, N_("The order was saved."))
    return see_other(conference_path(conference.slug, "streams/"))
