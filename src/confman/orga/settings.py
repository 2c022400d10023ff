"""/orga/{conf}/settings/: the conference's titles, descriptions (Markdown, with a preview),
time zone, days and languages, accent colour and the origins that may embed its programme
(the logo has its own form: ``orga/branding``); and, for owners, deleting the conference.

Saves go through :meth:`ConferenceService.update` with the API's ``ConferenceUpdate``, holding
only the fields the form shows: a field the form does not send keeps its value. Checkbox
groups come with a hidden empty field of the same name, so "none ticked" and "not on this
form" differ.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Request, Response, get, post
from pydantic import ValidationError

from confman.accounts.auth import AuthenticatedUser
from confman.conferences.access import ORGANISER, OWNER, ConferenceAccessDependency
from confman.conferences.branding import logo_of
from confman.conferences.schemas import ConferenceUpdate
from confman.conferences.services import ConferenceService
from confman.db.models import Conference
from confman.db.transactions import DbSession
from confman.lib.errors import FieldError, FormRejected
from confman.lib.i18n import N_, UI_LANGUAGES, language_autonym
from confman.lib.markdown import render_markdown
from confman.lib.timezones import known_zones
from confman.lib.urls import embed_programme_url
from confman.orga.forms import MESSAGES, field_errors, text
from confman.orga.frame import NO_STORE, conference_path, orga_context, orga_page, see_other
from confman.orga.session import flash
from confman.settings import AppSettings
from confman.site.serve import PageRendererDependency

TEMPLATE = "orga/settings/settings.html"
DELETE_TEMPLATE = "orga/settings/delete.html"
PREVIEW_TEMPLATE = "orga/settings/_preview.html"

SLUG_MISMATCH = N_("Type the conference's address exactly as shown.")
ACCENT_INVALID = N_("Enter a colour as #rrggbb, such as #0b5cad, or leave it empty for the site's colour.")
ORIGINS_INVALID = N_(
    "Enter at most 10 addresses, one per line, each only a scheme and a host, such as https://example.org."
)
NEW_DEFAULT_LANGUAGE = N_("Offer this language and save first; then fill in the title in it and make it the default.")

# pydantic says "value_error" for a name it does not know; the page says what to do.
_UNKNOWN = {"timezone": "unknown_zone", "default_language": "unknown_language", "languages": "unknown_language"}


def _values(conference: Conference) -> dict[str, Any]:
    return {
        "title": dict(conference.title),
        "description": dict(conference.description),
        "timezone": conference.timezone,
        "default_language": conference.default_language,
        "languages": list(conference.languages),
        "starts_on": conference.starts_on.isoformat(),
        "ends_on": conference.ends_on.isoformat(),
        "accent_color": conference.accent_color or "",
        "embed_origins": "\n".join(conference.embed_origins),
    }


def _choices(values: Mapping[str, Any], shown_languages: list[str]) -> dict[str, Any]:
    offered = list(UI_LANGUAGES) + [
        lang for lang in [*shown_languages, *values["languages"]] if lang not in UI_LANGUAGES
    ]
    offered = list(dict.fromkeys(offered))
    return {
        # Area/City names, plus the zone set now whatever its name (else the select would change it).
        "zones": [(zone, zone) for zone in sorted(known_zones()) if "/" in zone or zone in {"UTC", values["timezone"]}],
        "language_options": [(code, f"{language_autonym(code)} ({code})") for code in offered],
    }


def _translated(form: Mapping[str, Any], name: str, languages: list[str], current: dict[str, str]) -> dict[str, str]:
    """The form's ``{name}.{language}`` fields over ``current``: a language the form shows and
    leaves empty is removed; one it does not show keeps its text."""
    merged = dict(current)
    for language in languages:
        field = f"{name}.{language}"
        if field in form:
            value = text(form, field)
            if value:
                merged[language] = value
            else:
                merged.pop(language, None)
    return merged


def read_form(form: Any, conference: Conference) -> tuple[dict[str, Any], dict[str, Any]]:
    """(what the page shows again, the ``ConferenceUpdate`` input): only fields the form has."""
    shown = list(conference.languages)
    values = _values(conference)
    update: dict[str, Any] = {}
    if any(f"title.{language}" in form for language in shown):
        values["title"] = update["title"] = _translated(form, "title", shown, conference.title)
    if any(f"description.{language}" in form for language in shown):
        values["description"] = update["description"] = _translated(form, "description", shown, conference.description)
    for name in ("timezone", "default_language", "starts_on", "ends_on"):
        if name in form:
            values[name] = update[name] = text(form, name)
    if "languages" in form:
        values["languages"] = update["languages"] = [value for value in form.getall("languages") if value]
    if "accent_color" in form:
        values["accent_color"] = text(form, "accent_color")
        update["accent_color"] = values["accent_color"] or None
    if "embed_origins" in form:
        values["embed_origins"] = text(form, "embed_origins", limit=5_000)
        update["embed_origins"] = [line.strip() for line in values["embed_origins"].splitlines() if line.strip()]
    return values, update


def _errors(error: ValidationError | FieldError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for key, message in field_errors(error).items():
        field = next((name for name in ("languages", "embed_origins") if key.startswith(name)), key)
        if field == "accent_color":
            message = ACCENT_INVALID
        elif field == "embed_origins":
            message = ORIGINS_INVALID
        elif field in _UNKNOWN and message not in MESSAGES.values():
            message = MESSAGES[_UNKNOWN[field]]
        errors.setdefault(field, message)
    return errors


def _previews(values: Mapping[str, Any], languages: list[str]) -> list[dict[str, Any]]:
    descriptions = values["description"]
    return [
        {"language": language, "html": render_markdown(descriptions[language])}
        for language in languages
        if descriptions.get(language)
    ]


def _page(
    request: Request[Any, Any, Any],
    settings: AppSettings,
    organiser: AuthenticatedUser,
    access: Any,
    values: dict[str, Any],
    **extra: Any,
) -> dict[str, Any]:
    conference = access.conference
    shown = list(conference.languages)
    context = orga_context(
        request,
        base_url=settings.base_url,
        user=organiser,
        access=access,
        section="settings",
        values=values,
        shown_languages=shown,
        action=conference_path(conference.slug, "settings/"),
        preview_action=conference_path(conference.slug, "settings/preview"),
        delete_path=conference_path(conference.slug, "settings/delete"),
        logo_action=conference_path(conference.slug, "settings/logo"),
        logo_url=None,
        embed_url=embed_programme_url(settings.base_url, conference.slug),
        errors={},
        previews=None,
        **_choices(values, shown),
    )
    context.update(extra)
    return context


async def settings_context(
    request: Request[Any, Any, Any], settings: AppSettings, organiser: AuthenticatedUser, access: Any, db: Any
) -> dict[str, Any]:
    """The settings page as stored, with the logo (organisers see it in drafts too)."""
    context = _page(request, settings, organiser, access, _values(access.conference))
    context["logo_url"] = await _logo_url(db, access.conference)
    return context


async def _logo_url(db: Any, conference: Conference) -> str | None:
    stored = await logo_of(db, conference)
    return conference_path(conference.slug, f"settings/logo?v={stored.sha256[:16]}") if stored else None


@get("/{conf:str}/settings/", name="orga:settings", opt=ORGANISER)
async def settings_page(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    context = await settings_context(request, settings, organiser, conference_access, db_session)
    return orga_page(page_renderer, TEMPLATE, context)


@post("/{conf:str}/settings/", name="orga:settings-save", opt=ORGANISER, status_code=303)
async def settings_save(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    conference = conference_access.conference
    form = await request.form()
    values, update = read_form(form, conference)
    # The frame is read before the service changes the conference (a refusal rolls it back).
    context = _page(request, settings, organiser, conference_access, values)
    context["logo_url"] = await _logo_url(db_session, conference)
    if form.get("action") == "preview":
        context["previews"] = _previews(values, list(conference.languages))
        return orga_page(page_renderer, TEMPLATE, context)
    try:
        await ConferenceService(db_session).update(conference, ConferenceUpdate.model_validate(update))
    except (ValidationError, FieldError) as error:
        errors = _errors(error)
        default = update.get("default_language")
        if "title" in errors and default and default not in context["shown_languages"]:
            # The title's field in that language is not on the page yet: say so where it was chosen.
            errors = {"default_language": NEW_DEFAULT_LANGUAGE}
        context["errors"] = errors
        raise FormRejected(TEMPLATE, context, 400, NO_STORE) from None
    flash(request, N_("The settings were saved."))
    return see_other(conference_path(conference.slug, "settings/"))


@post("/{conf:str}/settings/preview", name="orga:settings-preview", opt=ORGANISER, status_code=200)
async def settings_preview(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    """The description's preview alone, for htmx to put in place (nothing is saved)."""
    conference = conference_access.conference
    values, _ = read_form(await request.form(), conference)
    context = orga_context(request, base_url=settings.base_url, user=organiser)
    context["previews"] = _previews(values, list(conference.languages))
    return orga_page(page_renderer, PREVIEW_TEMPLATE, context)


def _delete_context(
    request: Request[Any, Any, Any], settings: AppSettings, organiser: AuthenticatedUser, access: Any, **extra: Any
) -> dict[str, Any]:
    slug = access.conference.slug
    page: dict[str, Any] = {
        "slug": slug,
        "action": conference_path(slug, "settings/delete"),
        "back": conference_path(slug, "settings/"),
        "values": {},
        "errors": {},
        **extra,
    }
    return orga_context(request, base_url=settings.base_url, user=organiser, access=access, section="settings", **page)


@get("/{conf:str}/settings/delete", name="orga:conference-delete-confirm", opt=OWNER)
async def conference_delete_page(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    context = _delete_context(request, settings, organiser, conference_access)
    return orga_page(page_renderer, DELETE_TEMPLATE, context)


@post("/{conf:str}/settings/delete", name="orga:conference-delete", opt=OWNER, status_code=303)
async def conference_delete(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    """Deleting needs the conference's address typed again: nothing goes by one stray click."""
    conference = conference_access.conference
    typed = text(await request.form(), "confirm_slug")
    if typed != conference.slug:
        context = _delete_context(
            request,
            settings,
            organiser,
            conference_access,
            values={"confirm_slug": typed},
            errors={"confirm_slug": SLUG_MISMATCH},
        )
        raise FormRejected(DELETE_TEMPLATE, context, 400, NO_STORE)
    await ConferenceService(db_session).delete(conference)
    flash(request, N_("The conference was deleted."))
    return see_other("/orga/")


HANDLERS = [settings_page, settings_save, settings_preview, conference_delete_page, conference_delete]
