"""Public HTML pages of the speakers: all of them with their countries, and one speaker."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.params import FromPath, FromQuery

from confman.calendar.feeds import speaker_ics
from confman.db.transactions import DbSession
from confman.lib.errors import not_found
from confman.settings import AppSettings
from confman.site.display import ProgrammeDisplay
from confman.site.serve import PageRendererDependency, ProgrammeCacheDependency, serve_page


@get("/{conf:str}/speakers/", name="speakers_page", include_in_schema=False)
async def speakers_page(
    request: Request[Any, Any, Any],
    conf: FromPath[str],
    db_session: DbSession,
    settings: AppSettings,
    programme_cache: ProgrammeCacheDependency,
    page_renderer: PageRendererDependency,
) -> Response[bytes]:
    def build(display: ProgrammeDisplay) -> tuple[str, dict[str, Any]]:
        return "public/speakers.html", {"speakers": [display.speaker(s) for s in display.programme.speakers]}

    return await serve_page(
        request, db=db_session, cache=programme_cache, renderer=page_renderer, settings=settings,
        slug=conf, page="speakers", build=build,
    )  # fmt: skip


@get("/{conf:str}/speakers/{name:str}", name="speaker_page", include_in_schema=False)
async def speaker_page(
    request: Request[Any, Any, Any],
    conf: FromPath[str],
    name: FromPath[str],
    db_session: DbSession,
    settings: AppSettings,
    programme_cache: ProgrammeCacheDependency,
    page_renderer: PageRendererDependency,
    lang: FromQuery[str | None] = None,
) -> Response[bytes]:
    # The page (/speakers/x/) and the file (/speakers/x.ics) share a route, as sessions do.
    if name.endswith(".ics"):
        return await speaker_ics(request, conf, name, db_session, settings, programme_cache, lang)

    def build(display: ProgrammeDisplay) -> tuple[str, dict[str, Any]]:
        speaker = display.programme.speaker(name)
        if speaker is None:
            raise not_found("Speaker not found")
        return "public/speaker.html", {"speaker": display.speaker(speaker)}

    return await serve_page(
        request, db=db_session, cache=programme_cache, renderer=page_renderer, settings=settings,
        slug=conf, page=f"speaker:{name}", build=build,
    )  # fmt: skip
