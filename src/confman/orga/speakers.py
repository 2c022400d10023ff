"""/orga/{conf}/speakers/: the conference's speakers; add, change, remove; photos.

The forms go through the API's schemas and ``SpeakerService``, so a page accepts nothing the
API refuses. The page asks a little more than the API: a speaker from a country with several
time zones must have one of them chosen (the API accepts none, as imports bring such
speakers, and warns). Without JavaScript, "Update zones" shows the form again with the
chosen country's zones; with it (``static/orga/speakers.js``, htmx) the zone field is
fetched from ``speakers/zones`` as the country changes.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Mapping
from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import HTTPException
from litestar.params import FromPath, FromQuery
from litestar.status_codes import HTTP_413_REQUEST_ENTITY_TOO_LARGE
from pydantic import ValidationError

from confman.accounts.auth import AuthenticatedUser
from confman.conferences.access import ORGANISER, ConferenceAccessDependency
from confman.db.models import Conference, Speaker
from confman.db.transactions import DbSession
from confman.lib.countries import country_name, known_countries
from confman.lib.errors import FieldError, FormRejected
from confman.lib.i18n import N_, zone_city
from confman.lib.templating import PageRenderer
from confman.lib.timezones import get_zone, utc_offset_label, utcnow, zone_for_country, zones_for_country
from confman.orga.forms import field_errors, optional, text, translations
from confman.orga.frame import NO_STORE, conference_path, orga_context, orga_page, see_other
from confman.orga.session import flash
from confman.settings import AppSettings
from confman.site.serve import PageRendererDependency, configured_base_url, page_context
from confman.speakers import photos
from confman.speakers.schemas import SpeakerCreate, SpeakerUpdate
from confman.speakers.services import SpeakerService, speaker_warnings

# Empty link rows offered for adding links without JavaScript.
EMPTY_LINK_ROWS = 3
MAX_LINK_ROWS = 20
# The photo and the other fields: the body may not be much larger than the largest photo.
MAX_BODY_BYTES = photos.MAX_UPLOAD_BYTES + 256 * 1024

SEVERAL_ZONES = N_("%(country)s has several time zones: choose the speaker's.")
CHOOSE_ZONE = N_("Choose the speaker's time zone.")
PHOTO_MESSAGES: dict[str, str] = {
    photos.PHOTO_TOO_LARGE: N_("The photo is larger than 5 MB. Choose a smaller file."),
    photos.PHOTO_NOT_AN_IMAGE: N_("The photo must be a JPEG, PNG or WebP image."),
    photos.PHOTO_TOO_MANY_PIXELS: N_("The image has too many pixels (at most 40 megapixels)."),
    photos.PHOTO_EMPTY: N_("The photo file is empty."),
}


def _sort_key(name: str) -> str:
    # Without ICU: letters compared without their accents, so "Égypte" sits among the E's.
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@functools.lru_cache(maxsize=16)
def country_choices(language: str) -> tuple[tuple[str, str], ...]:
    """Every country as (code, name in ``language``), in that language's alphabetical order."""
    named = [(code, country_name(code, language)) for code in known_countries()]
    return tuple(sorted(named, key=lambda pair: (_sort_key(pair[1]), pair[1])))


def zone_field(country: str | None, zone: str | None, language: str) -> dict[str, Any]:
    """What the zone picker shows for ``country``: its zones (by UTC offset, then city), which
    one is chosen, and whether to ask (its clocks show several times: no default then)."""
    zones = zones_for_country(country) if country else ()
    labelled = sorted(
        ((z, zone_city(z, language), utc_offset_label(z)) for z in zones),
        key=lambda item: (_offset_minutes(item[0]), _sort_key(item[1])),
    )
    options = [(z, f"{city} — {offset} ({z})") for z, city, offset in labelled]
    default = zone_for_country(country) if country else None
    chosen = zone if zone in zones else default
    return {
        "options": options,
        "value": chosen or "",
        "several": bool(zones) and default is None,
        "country_name": country_name(country, language) if country else "",
        "country": country or "",
    }


def _offset_minutes(zone: str) -> int:
    offset = utcnow().astimezone(get_zone(zone)).utcoffset()
    return int(offset.total_seconds()) // 60 if offset else 0


def _form_values(form: Mapping[str, Any], languages: tuple[str, ...]) -> dict[str, Any]:
    links = []
    for row in range(MAX_LINK_ROWS + EMPTY_LINK_ROWS):
        title, url = text(form, f"links[{row}].title"), text(form, f"links[{row}].url")
        if f"links[{row}].title" not in form and f"links[{row}].url" not in form:
            continue
        links.append({"row": row, "title": title, "url": url})
    return {
        "slug": text(form, "slug"),
        "name": text(form, "name"),
        "country": text(form, "country"),
        "timezone": optional(form, "timezone"),
        "email": optional(form, "email"),
        "bio": translations(form, "bio", languages),
        "links": links,
        "remove_photo": form.get("remove_photo") == "on",
    }


def _payload_links(values: dict[str, Any]) -> tuple[list[dict[str, str]], list[int]]:
    """The filled link rows, and each one's row number (for messages next to the right row)."""
    filled = [link for link in values["links"] if link["title"] or link["url"]]
    return [{"title": link["title"], "url": link["url"]} for link in filled], [link["row"] for link in filled]


def _remap_links(errors: dict[str, str], rows: list[int]) -> dict[str, str]:
    remapped = {}
    for key, message in errors.items():
        if key.startswith("links[") and "]" in key:
            index, rest = key[len("links[") :].split("]", 1)
            if index.isdigit() and int(index) < len(rows):
                key = f"links[{rows[int(index)]}]{rest}"
        remapped[key] = message
    return remapped


def _link_rows(links: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows a form shows: the links, then empty rows to add more."""
    rows = [{"row": i, "title": link["title"], "url": link["url"]} for i, link in enumerate(links)]
    start = len(rows)
    rows += [{"row": start + i, "title": "", "url": ""} for i in range(EMPTY_LINK_ROWS)]
    return rows[: MAX_LINK_ROWS + EMPTY_LINK_ROWS]


def _speaker_values(speaker: Speaker) -> dict[str, Any]:
    return {
        "slug": speaker.slug,
        "name": speaker.name,
        "country": speaker.country or "",
        "timezone": speaker.timezone,
        "email": speaker.email,
        "bio": dict(speaker.bio),
        "links": [{"title": link.get("title", ""), "url": link.get("url", "")} for link in speaker.links],
        "remove_photo": False,
    }


def _form_context(
    request: Request[Any, Any, Any],
    settings: AppSettings,
    organiser: Any,
    access: Any,
    *,
    values: dict[str, Any],
    errors: dict[str, str],
    editing: str | None,
    photo_url: str | None = None,
) -> dict[str, Any]:
    context = orga_context(request, base_url=settings.base_url, user=organiser, access=access, section="speakers")
    language = context["viewer"].language
    conference: Conference = access.conference
    context.update(
        values=values,
        errors=errors,
        editing=editing,
        photo_url=photo_url,
        countries=country_choices(language),
        zone=zone_field(values.get("country") or None, values.get("timezone"), language),
        link_rows=_link_rows([link for link in values["links"] if link["title"] or link["url"]]),
        languages=tuple(conference.languages),
        default_language=conference.default_language,
        action=conference_path(conference.slug, f"speakers/{editing}/edit" if editing else "speakers/new"),
        zones_url=conference_path(conference.slug, "speakers/zones"),
        list_url=conference_path(conference.slug, "speakers/"),
    )
    return context


def _check_zone(values: dict[str, Any], errors: dict[str, str]) -> None:
    """The page's own rule: a country whose clocks show several times needs one of its zones
    chosen; where they all show one, the zone is the country's."""
    country = values["country"]
    zones = zones_for_country(country) if country else ()
    if not zones or values["timezone"] in zones:
        return
    values["timezone"] = zone_for_country(country)
    if values["timezone"] is None:
        errors.setdefault("timezone", SEVERAL_ZONES)


async def _upload(form: Mapping[str, Any]) -> photos.PreparedPhoto | None:
    """The form's photo, prepared (``FieldError`` if refused); None if none was chosen."""
    upload = form.get("photo")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    # Never more than the limit and one byte (the request's own limit is a little higher).
    return photos.prepare_photo(await upload.read(photos.MAX_UPLOAD_BYTES + 1))


def _photo_preview(conference: Conference, speaker: Speaker, sha256: str | None) -> str | None:
    if sha256 is None:
        return None
    return conference_path(conference.slug, f"speakers/{speaker.slug}/photo?v={sha256[:16]}")


# Pages ------------------------------------------------------------------------------------


@get("/{conf:str}/speakers/", name="orga:speakers", opt=ORGANISER)
async def speaker_list(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    conference, service = conference_access.conference, SpeakerService(db_session)
    context = orga_context(
        request, base_url=settings.base_url, user=organiser, access=conference_access, section="speakers"
    )
    language = context["viewer"].language
    sessions = await service.session_slugs(conference, public_only=False)
    versions = await photos.photo_versions(db_session, conference)
    context["speakers"] = [
        {
            "slug": s.slug,
            "name": s.name,
            "country": country_name(s.country, language) if s.country else "",
            "timezone": s.timezone or "",
            "sessions": len(sessions.get(s.id, [])),
            "without_zone": bool(speaker_warnings(s, language)),
            "photo": _photo_preview(conference, s, versions.get(s.id)),
            "edit_url": conference_path(conference.slug, f"speakers/{s.slug}/edit"),
        }
        for s in await service.list(conference)
    ]
    context["new_url"] = conference_path(conference.slug, "speakers/new")
    return orga_page(page_renderer, "orga/speakers/list.html", context)


@get("/{conf:str}/speakers/new", name="orga:speaker-new", opt=ORGANISER)
async def speaker_new(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
    country: FromQuery[str | None] = None,
) -> Response[Any]:
    values: dict[str, Any] = {"country": country or "", "timezone": None, "bio": {}, "links": []}
    context = _form_context(request, settings, organiser, conference_access, values=values, errors={}, editing=None)
    return orga_page(page_renderer, "orga/speakers/form.html", context)


@post(
    "/{conf:str}/speakers/new",
    name="orga:speaker-create",
    opt=ORGANISER,
    status_code=303,
    request_max_body_size=MAX_BODY_BYTES,
    exception_handlers={HTTP_413_REQUEST_ENTITY_TOO_LARGE: lambda r, e: _too_large(r, e)},
)
async def speaker_create(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    conference = conference_access.conference
    form = await request.form()
    values = _form_values(form, tuple(conference.languages))
    errors: dict[str, str] = {}
    if form.get("action") == "zones":  # "Update zones" without JavaScript: show, write nothing
        context = _form_context(request, settings, organiser, conference_access, values=values, errors={}, editing=None)
        return orga_page(page_renderer, "orga/speakers/form.html", context)
    _check_zone(values, errors)
    links, rows = _payload_links(values)
    speaker: Speaker | None = None
    try:
        data = SpeakerCreate.model_validate(
            {
                "slug": values["slug"],
                "name": values["name"],
                "country": values["country"],
                "timezone": values["timezone"],
                "email": values["email"],
                "bio": values["bio"],
                "links": links,
            }
        )
        upload = await _upload(form)  # refused before anything is written
        if not errors:
            speaker = await SpeakerService(db_session).create(conference, data)
            if upload is not None:
                await photos.set_photo(db_session, conference, speaker, upload)
    except (ValidationError, FieldError) as error:
        errors = {**_remap_links(_messages(error), rows), **errors}
    if errors or speaker is None:
        context = _form_context(
            request, settings, organiser, conference_access, values=values, errors=errors, editing=None
        )
        raise FormRejected("orga/speakers/form.html", context, 400, NO_STORE)
    flash(request, N_("The speaker was added."))
    return see_other(conference_path(conference.slug, "speakers/"))


@get("/{conf:str}/speakers/{speaker:str}/edit", name="orga:speaker-edit", opt=ORGANISER)
async def speaker_edit(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
    speaker: FromPath[str],
) -> Response[Any]:
    conference = conference_access.conference
    found = await SpeakerService(db_session).get(conference, speaker)
    photo = await photos.photo_of(db_session, found)
    context = _form_context(
        request, settings, organiser, conference_access,
        values=_speaker_values(found), errors={}, editing=found.slug,
        photo_url=_photo_preview(conference, found, photo.sha256 if photo else None),
    )  # fmt: skip
    context["warnings"] = [message for _, message in speaker_warnings(found, context["viewer"].language)]
    return orga_page(page_renderer, "orga/speakers/form.html", context)


@post(
    "/{conf:str}/speakers/{speaker:str}/edit",
    name="orga:speaker-update",
    opt=ORGANISER,
    status_code=303,
    request_max_body_size=MAX_BODY_BYTES,
    exception_handlers={HTTP_413_REQUEST_ENTITY_TOO_LARGE: lambda r, e: _too_large(r, e)},
)
async def speaker_update(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
    speaker: FromPath[str],
) -> Response[Any]:
    conference = conference_access.conference
    service = SpeakerService(db_session)
    found = await service.get(conference, speaker)
    photo = await photos.photo_of(db_session, found)
    photo_url = _photo_preview(conference, found, photo.sha256 if photo else None)
    form = await request.form()
    values = {**_form_values(form, tuple(conference.languages)), "slug": found.slug}
    if form.get("action") == "zones":
        context = _form_context(
            request, settings, organiser, conference_access,
            values=values, errors={}, editing=found.slug, photo_url=photo_url,
        )  # fmt: skip
        return orga_page(page_renderer, "orga/speakers/form.html", context)
    errors: dict[str, str] = {}
    _check_zone(values, errors)
    links, rows = _payload_links(values)
    try:
        data = SpeakerUpdate.model_validate(
            {
                "name": values["name"],
                "country": values["country"],
                "timezone": values["timezone"],
                "email": values["email"],
                "bio": values["bio"],
                "links": links,
            }
        )
        upload = await _upload(form)
        if not errors:
            await service.update(conference, found, data)
            if upload is not None:
                await photos.set_photo(db_session, conference, found, upload)
            elif values["remove_photo"]:
                await photos.remove_photo(db_session, conference, found)
    except (ValidationError, FieldError) as error:
        errors = {**_remap_links(_messages(error), rows), **errors}
    if errors:
        context = _form_context(
            request, settings, organiser, conference_access,
            values=values, errors=errors, editing=found.slug, photo_url=photo_url,
        )  # fmt: skip
        raise FormRejected("orga/speakers/form.html", context, 400, NO_STORE)
    flash(request, N_("The speaker was saved."))
    return see_other(conference_path(conference.slug, "speakers/"))


@post("/{conf:str}/speakers/{speaker:str}/delete", name="orga:speaker-delete", opt=ORGANISER, status_code=303)
async def speaker_delete(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    db_session: DbSession,
    speaker: FromPath[str],
) -> Response[Any]:
    conference, service = conference_access.conference, SpeakerService(db_session)
    await service.delete(conference, await service.get(conference, speaker))
    flash(request, N_("The speaker was removed from the conference and its sessions."))
    return see_other(conference_path(conference.slug, "speakers/"))


@get("/{conf:str}/speakers/zones", name="orga:speaker-zones", opt=ORGANISER)
async def speaker_zones(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
    country: FromQuery[str | None] = None,
    timezone: FromQuery[str | None] = None,
) -> Response[Any]:
    """The zone field for a country, for htmx to swap in when the country changes."""
    context = orga_context(request, base_url=settings.base_url, user=organiser, access=conference_access)
    code = country if country in known_countries() else None
    context.update(errors={}, zone=zone_field(code, timezone, context["viewer"].language))
    return orga_page(page_renderer, "orga/speakers/_zone.html", context)


@get("/{conf:str}/speakers/{speaker:str}/photo", name="orga:speaker-photo", opt=ORGANISER)
async def speaker_photo_preview(
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    db_session: DbSession,
    speaker: FromPath[str],
) -> Response[bytes]:
    """The photo for organisers (drafts included), private to them."""
    found = await SpeakerService(db_session).get(conference_access.conference, speaker)
    photo = await photos.photo_of(db_session, found)
    if photo is None:
        raise HTTPException(status_code=404, detail="No photo")
    return Response(
        photo.data,
        media_type=photo.content_type,
        headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


def _messages(error: ValidationError | FieldError) -> dict[str, str]:
    if isinstance(error, FieldError) and error.field == "photo":
        return {"photo": PHOTO_MESSAGES.get(error.code, PHOTO_MESSAGES[photos.PHOTO_NOT_AN_IMAGE])}
    return field_errors(error)


@functools.cache
def _renderer() -> PageRenderer:
    return PageRenderer()


def _too_large(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    """413 before the body is read past the limit: a page that says so, and the way back."""
    context = page_context(request, base_url=configured_base_url(request))
    context.update(orga_user=None, flashes=[], section="", back=request.url.path)
    return orga_page(_renderer(), "orga/speakers/too_large.html", context, HTTP_413_REQUEST_ENTITY_TOO_LARGE)


HANDLERS = [
    speaker_list, speaker_new, speaker_create, speaker_edit, speaker_update, speaker_delete, speaker_zones,
    speaker_photo_preview,
]  # fmt: skip
