"""Public HTML pages of the programme: by day in the viewer's zone, and one session."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.params import FromPath, FromQuery

from confman.calendar.feeds import session_ics
from confman.db.transactions import DbSession
from confman.lib.errors import not_found
from confman.lib.urls import conference_url
from confman.published.model import PublishedProgramme
from confman.settings import AppSettings
from confman.site.display import ProgrammeDisplay
from confman.site.search import search_query, search_results
from confman.site.serve import PageRendererDependency, ProgrammeCacheDependency, serve_page
from confman.site.structured_data import event_json_ld
from confman.site.timetable import timetable

_MAX_FILTER = 64


@get("/{conf:str}/programme/", name="programme_page", include_in_schema=False)
async def programme_page(
    request: Request[Any, Any, Any],
    conf: FromPath[str],
    db_session: DbSession,
    settings: AppSettings,
    programme_cache: ProgrammeCacheDependency,
    page_renderer: PageRendererDependency,
    track: FromQuery[str | None] = None,
    spoken: FromQuery[str | None] = None,
    q: FromQuery[str | None] = None,
) -> Response[bytes]:
    searched = search_query(q)

    def chosen_filters(programme: PublishedProgramme) -> dict[str, str]:
        # Filters are plain GET parameters, so they work without JavaScript; values that
        # name no track or language are dropped (and cannot grow the page cache).
        query: dict[str, str] = {}
        if track and len(track) <= _MAX_FILTER and any(t.slug == track for t in programme.tracks):
            query["track"] = track
        if spoken and len(spoken) <= _MAX_FILTER and any(s.language == spoken for s in programme.sessions):
            query["spoken"] = spoken
        if searched:
            query["q"] = searched
        return query

    def build(display: ProgrammeDisplay) -> tuple[str, dict[str, Any]]:
        query = display.query
        sessions = [
            session
            for session in display.programme.sessions
            if ("track" not in query or (session.track is not None and session.track.slug == query["track"]))
            and ("spoken" not in query or session.language == query["spoken"])
        ]
        spoken_languages = sorted({s.language for s in display.programme.sessions})
        return "public/programme.html", {
            "days": display.days(sessions, cards=True),
            "shown": len(sessions),
            "total": len(display.programme.sessions),
            "tracks": [(t.slug, display.text(t.name)) for t in display.programme.tracks],
            "spoken_languages": [(code, display.session_language(code)) for code in spoken_languages],
            "selected_track": query.get("track"),
            "selected_spoken": query.get("spoken"),
            "live": display.live,
            "query": query.get("q", ""),
            "results": search_results(display, programme_cache.search_index(display.programme), query["q"], sessions)
            if "q" in query
            else [],
            "timetable": timetable(display, sessions) if "q" not in query else None,
            "cards": display.cards,
        }

    return await serve_page(
        request, db=db_session, cache=programme_cache, renderer=page_renderer, settings=settings,
        slug=conf, page="programme", query=chosen_filters, build=build, search=lambda query: "q" in query,
    )  # fmt: skip


@get("/{conf:str}/sessions/{name:str}", name="session_page", include_in_schema=False)
async def session_page(
    request: Request[Any, Any, Any],
    conf: FromPath[str],
    name: FromPath[str],
    db_session: DbSession,
    settings: AppSettings,
    programme_cache: ProgrammeCacheDependency,
    page_renderer: PageRendererDependency,
    lang: FromQuery[str | None] = None,
) -> Response[bytes]:
    # One route for the page (/sessions/x/) and the file (/sessions/x.ics): the router
    # does not tell a trailing slash apart.
    if name.endswith(".ics"):
        return await session_ics(request, conf, name, db_session, settings, programme_cache, lang)

    def build(display: ProgrammeDisplay) -> tuple[str, dict[str, Any]]:
        session = display.programme.session(name)
        if session is None:
            raise not_found("Session not found")
        view = display.session(session, full=True)
        conference = display.conference
        return "public/session.html", {
            "session": view,
            "calendar": display.calendar_links(session),
            "json_ld": event_json_ld(
                name=view.title.value,
                description=view.abstract.html.striptags() if view.abstract else "",
                url=view.url,
                starts_at=session.starts_at,
                ends_at=session.ends_at,
                start_date=conference.starts_on,
                end_date=conference.ends_on,
                zone=conference.timezone,
                language=view.title.language,
                performers=[speaker.name for speaker in view.speakers],
                cancelled=view.cancelled,
                super_event={
                    "@type": "Event",
                    "name": display.text(conference.title).value,
                    "url": conference_url(display.base_url, conference.slug),
                },
            ),
        }

    return await serve_page(
        request, db=db_session, cache=programme_cache, renderer=page_renderer, settings=settings,
        slug=conf, page=f"session:{name}", build=build,
    )  # fmt: skip
