"""Public HTML pages about conferences: the list of published ones and a conference's own page."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.params import FromPath

from confman.conferences.services import ConferenceService
from confman.db.transactions import DbSession
from confman.lib.i18n import format_days, zone_city
from confman.lib.translations import pick
from confman.lib.urls import conference_url
from confman.settings import AppSettings
from confman.site.calendar_links import programme_calendar_links
from confman.site.display import ProgrammeDisplay
from confman.site.serve import (
    PAGE_CACHE_CONTROL,
    PAGE_VARY,
    PageRendererDependency,
    ProgrammeCacheDependency,
    html_response,
    page_context,
    serve_page,
)
from confman.site.structured_data import event_json_ld


@get("/", name="index_page", include_in_schema=False)
async def index_page(
    request: Request[Any, Any, Any], db_session: DbSession, settings: AppSettings, page_renderer: PageRendererDependency
) -> Response[bytes]:
    context = page_context(request, base_url=settings.base_url)
    viewer = context["viewer"]
    language, locale = viewer.language, viewer.formatting
    conferences = []
    for access in await ConferenceService(db_session).list_visible(None):
        conference = access.conference
        title, title_language = pick(conference.title, language, conference.default_language)
        conferences.append(
            {
                "title": title,
                "title_language": title_language,
                "dates": format_days(conference.starts_on, conference.ends_on, locale),
                "city": zone_city(conference.timezone, locale),
                "url": conference_url(settings.base_url, conference.slug),
                "calendar": programme_calendar_links(settings.base_url, conference, language),
            }
        )
    context["conferences"] = conferences
    headers = {"Cache-Control": PAGE_CACHE_CONTROL, "Vary": PAGE_VARY}
    response = html_response(page_renderer, "public/index.html", context, headers=headers)
    viewer.apply_cookies(response)
    return response


@get("/{conf:str}/", name="conference_page", include_in_schema=False)
async def conference_page(
    request: Request[Any, Any, Any],
    conf: FromPath[str],
    db_session: DbSession,
    settings: AppSettings,
    programme_cache: ProgrammeCacheDependency,
    page_renderer: PageRendererDependency,
) -> Response[bytes]:
    def build(display: ProgrammeDisplay) -> tuple[str, dict[str, Any]]:
        programme = display.programme
        return "public/conference.html", {
            "speakers": [display.speaker_link(speaker) for speaker in programme.speakers],
            "days": display.days(programme.sessions),
            "json_ld": conference_json_ld(display),
        }

    return await serve_page(
        request, db=db_session, cache=programme_cache, renderer=page_renderer, settings=settings,
        slug=conf, page="conference", build=build,
    )  # fmt: skip


def conference_json_ld(display: ProgrammeDisplay) -> dict[str, Any]:
    """schema.org Event for an online conference (Google's event guidelines)."""
    conference = display.conference
    sessions = display.programme.sessions
    context = display.conference_context()
    return event_json_ld(
        name=context["title"].value,
        description=context["description"].html.striptags() if context["description"] else "",
        url=context["url"],
        starts_at=min((s.starts_at for s in sessions), default=None),
        ends_at=max((s.ends_at for s in sessions), default=None),
        start_date=conference.starts_on,
        end_date=conference.ends_on,
        zone=conference.timezone,
        language=context["title"].language,
        performers=[speaker.name for speaker in display.programme.speakers],
        cancelled=False,
    )
