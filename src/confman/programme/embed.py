"""``/{conf}/embed/programme/``: the programme for an iframe on the organisers' own site.

The page has its own small frame (no site header or footer), opens its links outside the
frame, and may be framed only by the origins the conference lists (CSP ``frame-ancestors``;
``'none'`` when it lists none). Every other page keeps refusing frames (``lib/security_headers``).
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.params import FromPath

from confman.db.transactions import DbSession
from confman.lib.branding import frame_ancestors
from confman.lib.security_headers import policy_with_frame_ancestors
from confman.settings import AppSettings
from confman.site.display import ProgrammeDisplay
from confman.site.serve import PageRendererDependency, ProgrammeCacheDependency, serve_page
from confman.site.timetable import timetable


@get("/{conf:str}/embed/programme/", name="embed_programme", include_in_schema=False)
async def embed_programme(
    request: Request[Any, Any, Any],
    conf: FromPath[str],
    db_session: DbSession,
    settings: AppSettings,
    programme_cache: ProgrammeCacheDependency,
    page_renderer: PageRendererDependency,
) -> Response[bytes]:
    def build(display: ProgrammeDisplay) -> tuple[str, dict[str, Any]]:
        sessions = display.programme.sessions
        return "public/embed_programme.html", {
            "days": display.days(sessions, cards=True),
            "timetable": timetable(display, sessions),
            "cards": display.cards,
            "live": display.live,
        }

    response = await serve_page(
        request, db=db_session, cache=programme_cache, renderer=page_renderer, settings=settings,
        slug=conf, page="embed:programme", build=build,
    )  # fmt: skip
    # Cached per version: no second load. (Read here, not in ``build``, which a 304 skips.)
    programme = await programme_cache.programme(db_session, conf)
    origins = programme.conference.embed_origins if programme is not None else ()
    response.headers["Content-Security-Policy"] = policy_with_frame_ancestors(frame_ancestors(origins))
    return response
