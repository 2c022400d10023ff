"""``/{conf}/tracks.css``: the published tracks' colours, for the public pages (no ``style=``
attributes under the CSP). Addressed by programme version (``?v=``): with the current one it
is cached for a year, since a change makes a new address; without it, briefly."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.params import FromPath, FromQuery

from confman.db.transactions import DbSession
from confman.lib.errors import not_found
from confman.published.styles import CSS, track_stylesheet
from confman.site.serve import ProgrammeCacheDependency, published_programme, serve_programme_file

VERSIONED_CACHE_CONTROL = "public, max-age=31536000, immutable"


@get("/{conf:str}/tracks.css", name="tracks_css", include_in_schema=False)
async def tracks_css(
    request: Request[Any, Any, Any],
    conf: FromPath[str],
    db_session: DbSession,
    programme_cache: ProgrammeCacheDependency,
    v: FromQuery[str | None] = None,
) -> Response[bytes]:
    async def render() -> bytes:
        programme = await published_programme(db_session, programme_cache, conf)
        return track_stylesheet((track.slug, track.color) for track in programme.tracks).encode()

    version = await programme_cache.published_version(db_session, conf)
    if version is None:
        raise not_found("Conference not found")
    response = await serve_programme_file(
        request,
        db=db_session,
        cache=programme_cache,
        slug=conf,
        variant="tracks.css",
        render=render,
        media_type=CSS,
        filename="tracks.css",
    )
    if v == str(version.version):
        response.headers["Cache-Control"] = VERSIONED_CACHE_CONTROL
    return response
