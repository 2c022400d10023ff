"""``/{conf}/tracks.css``: the published tracks' colours, and ``/{conf}/brand.css``: the
conference's accent colour, for the public pages (no ``style=`` attributes under the CSP).
Addressed by programme version (``?v=``): with the current one they are cached for a year,
since a change makes a new address; without it, briefly."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Request, Response, get
from litestar.params import FromPath, FromQuery

from confman.db.transactions import DbSession
from confman.lib.errors import not_found
from confman.published.styles import CSS, brand_stylesheet, track_stylesheet
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

    return await _stylesheet(request, db_session, programme_cache, conf, "tracks.css", render, v)


@get("/{conf:str}/brand.css", name="brand_css", include_in_schema=False)
async def brand_css(
    request: Request[Any, Any, Any],
    conf: FromPath[str],
    db_session: DbSession,
    programme_cache: ProgrammeCacheDependency,
    v: FromQuery[str | None] = None,
) -> Response[bytes]:
    async def render() -> bytes:
        programme = await published_programme(db_session, programme_cache, conf)
        return brand_stylesheet(programme.conference.accent_color).encode()

    return await _stylesheet(request, db_session, programme_cache, conf, "brand.css", render, v)


async def _stylesheet(
    request: Request[Any, Any, Any],
    db: DbSession,
    cache: ProgrammeCacheDependency,
    conf: str,
    name: str,
    render: Callable[[], Awaitable[bytes]],
    v: str | None,
) -> Response[bytes]:
    """A stylesheet generated from the published programme: cached like its feeds, and for a
    year when asked for by the version it was made from (pages link ``?v=<version>``)."""
    version = await cache.published_version(db, conf)
    if version is None:
        raise not_found("Conference not found")
    response = await serve_programme_file(
        request, db=db, cache=cache, slug=conf, variant=name, render=render, media_type=CSS, filename=name
    )
    if v == str(version.version):
        response.headers["Cache-Control"] = VERSIONED_CACHE_CONTROL
    return response
