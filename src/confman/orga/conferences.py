"""/orga/: the organiser's conferences and a new one; /orga/{conf}/: one conference's overview."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from pydantic import ValidationError

from confman.accounts.auth import AuthenticatedUser
from confman.conferences.access import ORGANISER, ConferenceAccessDependency
from confman.conferences.schemas import ConferenceCreate, ConferenceUpdate
from confman.conferences.services import ConferenceService, conference_counts
from confman.db.models import ConferenceStatus
from confman.db.transactions import DbSession
from confman.lib.errors import FieldError, FormRejected
from confman.lib.i18n import N_, UI_LANGUAGES, format_days, language_autonym
from confman.lib.timezones import known_zones
from confman.orga.forms import field_errors, text
from confman.orga.frame import NO_STORE, conference_path, orga_context, orga_page, see_other
from confman.orga.session import flash
from confman.programme.flags import load_schedule, schedule_flags
from confman.settings import AppSettings
from confman.site.serve import PageRendererDependency


def _choices(language: str) -> dict[str, Any]:
    return {
        "zones": [(zone, zone) for zone in sorted(known_zones())],
        "languages": [(code, language_autonym(code)) for code in UI_LANGUAGES],
    }


@get("/", name="orga:conferences")
async def conference_list(
    request: Request[Any, Any, Any],
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    accesses = [a for a in await ConferenceService(db_session).list_visible(organiser) if a.role is not None]
    context = orga_context(request, base_url=settings.base_url, user=organiser)
    language = context["viewer"].language
    context["conferences"] = [
        {
            "slug": a.conference.slug,
            "title": a.conference.text(a.conference.title, language),
            "status": a.conference.status.value,
            "role": a.role.value if a.role else "",
            "starts_on": a.conference.starts_on,
            "ends_on": a.conference.ends_on,
            "url": conference_path(a.conference.slug),
        }
        for a in accesses
    ]
    context.update(values={}, errors={}, **_choices(language))
    return orga_page(page_renderer, "orga/conferences.html", context)


@post("/", name="orga:conference-create", status_code=303)
async def conference_create(
    request: Request[Any, Any, Any],
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    form = await request.form()
    language = text(form, "default_language") or "en"
    values = {
        "slug": text(form, "slug"),
        "title": text(form, "title"),
        "timezone": text(form, "timezone"),
        "default_language": language,
        "starts_on": text(form, "starts_on"),
        "ends_on": text(form, "ends_on"),
    }
    try:
        data = ConferenceCreate.model_validate(
            {**values, "title": {language: values["title"]} if values["title"] else {}}
        )
        conference = await ConferenceService(db_session).create(data, organiser)
    except (ValidationError, FieldError) as error:
        errors = {key.split(".")[0]: message for key, message in reversed(field_errors(error).items())}
        context = orga_context(request, base_url=settings.base_url, user=organiser, values=values, errors=errors)
        context.update(conferences=[], creating=True, **_choices(context["viewer"].language))
        raise FormRejected("orga/conferences.html", context, 400, NO_STORE) from None
    flash(request, N_("The conference was created. It is a draft until you publish it."))
    return see_other(conference_path(conference.slug))


@get("/{conf:str}/", name="orga:overview", opt=ORGANISER)
async def conference_overview(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    conference = conference_access.conference
    context = orga_context(
        request, base_url=settings.base_url, user=organiser, access=conference_access, section="overview"
    )
    language = context["viewer"].language
    counts = await conference_counts(db_session, conference)
    sessions = await load_schedule(db_session, conference, language)
    flags = schedule_flags(
        sessions, zone=conference.timezone, starts_on=conference.starts_on, ends_on=conference.ends_on
    )
    titles = {session.slug: session.title for session in sessions}
    order = {session.slug: index for index, session in enumerate(sessions)}
    context.update(
        dates=format_days(conference.starts_on, conference.ends_on, context["viewer"].formatting),
        counts=counts,
        flags=[
            {
                "code": flag.code.value,
                "session": slug,
                "title": titles.get(slug, slug),
                "message": flag.message(language),
                "url": conference_path(conference.slug, f"sessions/{slug}/edit"),
            }
            for slug in sorted(flags, key=lambda slug: order.get(slug, 0))
            for flag in flags[slug]
        ],
    )
    return orga_page(page_renderer, "orga/overview.html", context)


@post("/{conf:str}/publish", name="orga:publish", opt=ORGANISER, status_code=303)
async def conference_publish(
    request: Request[Any, Any, Any], conference_access: ConferenceAccessDependency, db_session: DbSession
) -> Response[Any]:
    """Publish or unpublish (``status`` = published | draft): the public pages follow at once."""
    form = await request.form()
    wanted = ConferenceStatus.PUBLISHED if text(form, "status") == "published" else ConferenceStatus.DRAFT
    await ConferenceService(db_session).update(conference_access.conference, ConferenceUpdate(status=wanted))
    flash(
        request,
        N_("The conference is published: its pages are public.")
        if wanted is ConferenceStatus.PUBLISHED
        else N_("The conference is a draft again: only its organisers see it."),
    )
    return see_other(conference_path(conference_access.conference.slug))
