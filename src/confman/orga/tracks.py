"""/orga/{conf}/tracks/: the tracks in their order, with their colours; add, edit, delete, order.

Every change goes through ``TrackService`` with the API's schemas (``TrackCreate``,
``TrackUpdate``), so the page accepts exactly what the API accepts. The order is saved in
one request for the whole list (``TrackService.reorder``: one programme change), from the
numbers next to the tracks, from the move up/down buttons, or from dragging (SortableJS, in
``static/orga/tracks.js``, which posts the new order of slugs).

``/orga/{conf}/tracks.css`` gives the page its colour swatches, drafts included (the public
``/{conf}/tracks.css`` has only what is published).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from pydantic import ValidationError
from sqlalchemy import func, select

from confman.accounts.auth import AuthenticatedUser
from confman.conferences.access import ORGANISER, ConferenceAccessDependency
from confman.conferences.schemas import TrackCreate, TrackUpdate
from confman.conferences.services import ConferenceAccess, TrackService
from confman.db.models import ConferenceSession, Track
from confman.db.transactions import DbSession
from confman.lib.errors import FieldError, FormRejected
from confman.lib.i18n import N_
from confman.orga.forms import MESSAGES, checkbox, field_errors, text, translations
from confman.orga.frame import NO_STORE, conference_path, orga_context, orga_page, see_other
from confman.orga.session import flash
from confman.published.styles import CSS, track_stylesheet
from confman.settings import AppSettings
from confman.site.serve import PageRendererDependency

COLOUR_MESSAGE = N_("Choose a colour such as #1f77b4.")
POSITION_MESSAGE = MESSAGES["int_parsing"]
DEFAULT_COLOUR = "#1f77b4"
# The organiser's own stylesheet changes with every programme version, like the public one.
VERSIONED_PRIVATE_CACHE = "private, max-age=31536000, immutable"


def _errors(error: ValidationError | FieldError) -> dict[str, str]:
    errors = field_errors(error)
    if "color" in errors:
        errors["color"] = COLOUR_MESSAGE
    return errors


def wants_fragment(request: Request[Any, Any, Any]) -> bool:
    """A script asked (fetch or htmx): answer without a page."""
    return bool(request.headers.get("hx-request") or request.headers.get("x-requested-with") == "fetch")


def _track_values(form: Mapping[str, Any], languages: Sequence[str]) -> dict[str, Any]:
    return {
        "slug": text(form, "slug", limit=64),
        "name": translations(form, "name", languages),
        "color": text(form, "color", limit=7),
        "no_color": checkbox(form, "no_color"),
    }


def _colour(values: Mapping[str, Any]) -> str | None:
    """The colour asked for: none when "no colour" is ticked or the field is empty."""
    return None if values["no_color"] or not values["color"] else str(values["color"])


def _plain(access: ConferenceAccess, tracks: Sequence[Track], language: str) -> list[dict[str, Any]]:
    conference = access.conference
    return [
        {
            "slug": track.slug,
            "name": conference.text(track.name, language),
            "color": track.color,
            "number": index + 1,
        }
        for index, track in enumerate(tracks)
    ]


def _frame(
    request: Request[Any, Any, Any],
    access: ConferenceAccess,
    organiser: AuthenticatedUser,
    settings: AppSettings,
    **page: Any,
) -> dict[str, Any]:
    conference = access.conference
    return orga_context(
        request,
        base_url=settings.base_url,
        user=organiser,
        access=access,
        section="tracks",
        tracks_css=conference_path(conference.slug, f"tracks.css?v={conference.programme_version}"),
        tracks_path=conference_path(conference.slug, "tracks/"),
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
    tracks = await TrackService(db_session).list(access.conference)
    context["tracks"] = _plain(access, tracks, context["viewer"].language)
    context.setdefault("values", {"color": DEFAULT_COLOUR, "name": {}})
    context.setdefault("errors", {})
    context.setdefault("order_errors", {})
    context.setdefault("entered", {})
    return context


@get("/{conf:str}/tracks/", name="orga:tracks", opt=ORGANISER)
async def track_list(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    context = await _list_context(request, conference_access, organiser, settings, db_session)
    return orga_page(page_renderer, "orga/tracks/list.html", context)


@post("/{conf:str}/tracks/", name="orga:track-create", opt=ORGANISER, status_code=303)
async def track_create(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
) -> Response[Any]:
    conference = conference_access.conference
    values = _track_values(await request.form(), conference.languages)
    context = await _list_context(request, conference_access, organiser, settings, db_session, values=values)
    try:
        data = TrackCreate.model_validate({"slug": values["slug"], "name": values["name"], "color": _colour(values)})
        await TrackService(db_session).create(conference, data)
    except (ValidationError, FieldError) as error:
        context["errors"] = _errors(error)
        raise FormRejected("orga/tracks/list.html", context, 400, NO_STORE) from None
    flash(request, N_("The track was added."))
    return see_other(conference_path(conference.slug, "tracks/"))


async def _edit_context(
    request: Request[Any, Any, Any],
    access: ConferenceAccess,
    organiser: AuthenticatedUser,
    settings: AppSettings,
    track: Track,
    **page: Any,
) -> dict[str, Any]:
    context = _frame(request, access, organiser, settings, **page)
    context["track"] = {
        "slug": track.slug,
        "name": access.conference.text(track.name, context["viewer"].language),
        "path": conference_path(access.conference.slug, f"tracks/{track.slug}/"),
    }
    context.setdefault(
        "values",
        {"name": dict(track.name), "color": track.color or DEFAULT_COLOUR, "no_color": track.color is None},
    )
    context.setdefault("errors", {})
    return context


@get("/{conf:str}/tracks/{track:str}/", name="orga:track", opt=ORGANISER)
async def track_edit(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    track: FromPath[str],
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    found = await TrackService(db_session).get(conference_access.conference, track)
    context = await _edit_context(request, conference_access, organiser, settings, found)
    return orga_page(page_renderer, "orga/tracks/edit.html", context)


@post("/{conf:str}/tracks/{track:str}/", name="orga:track-update", opt=ORGANISER, status_code=303)
async def track_update(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    track: FromPath[str],
    db_session: DbSession,
    settings: AppSettings,
) -> Response[Any]:
    conference, service = conference_access.conference, TrackService(db_session)
    found = await service.get(conference, track)
    values = _track_values(await request.form(), conference.languages)
    context = await _edit_context(request, conference_access, organiser, settings, found, values=values)
    try:
        data = TrackUpdate.model_validate({"name": values["name"], "color": _colour(values)})
        await service.update(conference, found, data)
    except (ValidationError, FieldError) as error:
        context["errors"] = _errors(error)
        raise FormRejected("orga/tracks/edit.html", context, 400, NO_STORE) from None
    flash(request, N_("The track was saved."))
    return see_other(conference_path(conference.slug, "tracks/"))


@get("/{conf:str}/tracks/{track:str}/delete", name="orga:track-delete-confirm", opt=ORGANISER)
async def track_delete_confirm(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    track: FromPath[str],
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    found = await TrackService(db_session).get(conference_access.conference, track)
    context = await _edit_context(request, conference_access, organiser, settings, found)
    context["session_count"] = int(
        await db_session.scalar(
            select(func.count()).select_from(ConferenceSession).where(ConferenceSession.track_id == found.id)
        )
        or 0
    )
    return orga_page(page_renderer, "orga/tracks/delete.html", context)


@post("/{conf:str}/tracks/{track:str}/delete", name="orga:track-delete", opt=ORGANISER, status_code=303)
async def track_delete(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    track: FromPath[str],
    db_session: DbSession,
) -> Response[Any]:
    conference, service = conference_access.conference, TrackService(db_session)
    await service.delete(conference, await service.get(conference, track))
    flash(request, N_("The track was deleted. Its sessions have no track now."))
    return see_other(conference_path(conference.slug, "tracks/"))


def order_from_form(form: Mapping[str, Any], slugs: Sequence[str]) -> tuple[list[str], dict[str, str], dict[str, str]]:
    """The order a form asks for: ``order`` (slugs separated by commas, from the script), else
    the numbers ``position.<slug>`` (ties keep the present order). Returns (slugs, what was
    entered, errors by field)."""
    if form.get("order") is not None:
        listed = [slug.strip() for slug in text(form, "order", limit=70_000).split(",") if slug.strip()]
        return listed, {}, {}
    entered: dict[str, str] = {}
    errors: dict[str, str] = {}
    keyed: list[tuple[int, int, str]] = []
    for index, slug in enumerate(slugs):
        raw = text(form, f"position.{slug}", limit=10)
        entered[slug] = raw
        if not raw:
            keyed.append((10_001, index, slug))
            continue
        try:
            number = int(raw)
        except ValueError:
            errors[f"position.{slug}"] = POSITION_MESSAGE
            continue
        if not 1 <= number <= 10_000:
            errors[f"position.{slug}"] = MESSAGES["greater_than_equal" if number < 1 else "less_than_equal"]
            continue
        keyed.append((number, index, slug))
    return [slug for _, _, slug in sorted(keyed)], entered, errors


def moved(slugs: Sequence[str], move: str) -> list[str] | None:
    """``slugs`` with one moved a place up or down (``up:<slug>``, ``down:<slug>``); None if unknown."""
    direction, _, slug = move.partition(":")
    order = list(slugs)
    if slug not in order or direction not in {"up", "down"}:
        return None
    index = order.index(slug)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(order):
        order[index], order[other] = order[other], order[index]
    return order


@post("/{conf:str}/tracks/_order", name="orga:track-order", opt=ORGANISER, status_code=303)
async def track_order(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
) -> Response[Any]:
    conference, service = conference_access.conference, TrackService(db_session)
    form = await request.form()
    slugs = [track.slug for track in await service.list(conference)]
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
        raise FormRejected("orga/tracks/list.html", context, 400, NO_STORE)
    if wants_fragment(request):
        return Response(b"", status_code=204, headers=NO_STORE)
    flash(request, N_("The order was saved."))
    return see_other(conference_path(conference.slug, "tracks/"))


@get("/{conf:str}/tracks.css", name="orga:tracks-css", opt=ORGANISER)
async def orga_tracks_css(
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    db_session: DbSession,
    v: FromQuery[str | None] = None,
) -> Response[bytes]:
    """Every track's colour, published or not; only for the conference's organisers."""
    conference = conference_access.conference
    tracks = await TrackService(db_session).list(conference)
    body = track_stylesheet((track.slug, track.color) for track in tracks).encode()
    current = v == str(conference.programme_version)
    cache = VERSIONED_PRIVATE_CACHE if current else "private, no-cache"
    return Response(body, media_type=CSS, headers={"Cache-Control": cache})
