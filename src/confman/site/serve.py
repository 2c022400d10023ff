"""Serving the public pages of a conference: viewer, cache, validators, and the page chrome.

A page is rendered once per (programme version, language, zone, filters, now/next state)
in each worker and then answered from memory; a browser that has it gets 304. Every page
shares the chrome built here: the language switcher, the zone picker (the conference's
zone and the viewer's first, then every IANA zone), and ``hreflang`` alternates.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.status_codes import HTTP_404_NOT_FOUND
from sqlalchemy.ext.asyncio import AsyncSession

from confman.lib.conditional import accepts_gzip, encoded_etag, etag_for, is_fresh, not_modified, validator_headers
from confman.lib.errors import not_found
from confman.lib.i18n import UI_LANGUAGES, language_autonym, zone_city
from confman.lib.response_cache import CACHEABLE_HEADER
from confman.lib.templating import PageRenderer, site_revision
from confman.lib.timezones import known_zones, utcnow
from confman.lib.viewer import Viewer, resolve_viewer
from confman.published.cache import ProgrammeCache
from confman.published.model import PublicConference, PublishedProgramme
from confman.settings import Settings
from confman.site.display import ProgrammeDisplay, live_state

PageRendererDependency = NamedDependency[PageRenderer]

# How handlers ask for the worker's programme cache.
ProgrammeCacheDependency = NamedDependency[ProgrammeCache]

HTML = "text/html"
# Pages differ by cookie and Accept-Language: browsers revalidate (cheap: 304), shared caches keep nothing.
PAGE_CACHE_CONTROL = "no-cache"
PAGE_VARY = "Cookie, Accept-Language, Accept-Encoding"

# What a page handler supplies: the template and its context, from the viewer's display.
PageBuilder = Callable[[ProgrammeDisplay], tuple[str, dict[str, Any]]]


def viewer_for(request: Request[Any, Any, Any], conference: PublicConference) -> Viewer:
    return resolve_viewer(
        request,
        default_language=conference.default_language,
        default_zone=conference.timezone,
        content_languages=conference.languages,
    )


def page_languages(conference_languages: Sequence[str] = ()) -> tuple[str, ...]:
    """Languages a page can be read in: the interface's, then the content's."""
    return tuple(dict.fromkeys([*UI_LANGUAGES, *conference_languages]))


def chrome(
    viewer: Viewer,
    path: str,
    query: dict[str, str],
    *,
    base_url: str,
    languages: Sequence[str],
    conference_zone: str | None,
) -> dict[str, Any]:
    """What every page's header and <head> need besides its own content."""

    def link(**changes: str) -> str:
        params = {**query, **changes}
        return path + ("?" + urlencode(params) if params else "")

    first_zones = tuple(dict.fromkeys(z for z in (conference_zone, viewer.zone) if z))
    return {
        "viewer": viewer,
        "viewer_city": zone_city(viewer.zone, viewer.formatting),
        "page_path": path,
        "page_query": query,
        "language_links": [(code, language_autonym(code), link(lang=code)) for code in languages],
        "alternates": [(code, base_url.rstrip("/") + link(lang=code)) for code in languages],
        "canonical": base_url.rstrip("/") + link(),
        "first_zones": first_zones,
        "other_zones": other_zones(first_zones),
    }


@functools.lru_cache(maxsize=64)
def other_zones(first: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(zone for zone in sorted(known_zones()) if zone not in first and ("/" in zone or zone == "UTC"))


async def serve_page(
    request: Request[Any, Any, Any],
    *,
    db: AsyncSession,
    cache: ProgrammeCache,
    renderer: PageRenderer,
    settings: Settings,
    slug: str,
    page: str,
    query: Callable[[PublishedProgramme], dict[str, str]] | None = None,
    build: PageBuilder,
) -> Response[bytes]:
    """Answer one public page of conference ``slug``: 404, 304, cached bytes or a fresh render.

    ``query`` picks the page's own valid parameters from the request (given the programme):
    they are part of the cache key and of the links the page makes to itself. ``build`` may
    raise 404 for an unknown session or speaker.
    """
    programme = await cache.programme(db, slug)
    if programme is None:
        raise not_found("Conference not found")
    conference = programme.conference
    parameters = query(programme) if query else {}
    viewer = viewer_for(request, conference)
    live = live_state(programme, utcnow())
    key = (
        "page", page, slug, conference.version, viewer.language, viewer.locale, viewer.zone, viewer.rejected_zone,
        tuple(sorted(parameters.items())), live.key(), site_revision(),
    )  # fmt: skip
    gzipped = accepts_gzip(request)
    etag = encoded_etag(etag_for(key), gzipped)
    headers = validator_headers(etag, conference.changed_at, PAGE_CACHE_CONTROL)
    headers["Vary"] = PAGE_VARY
    if is_fresh(request, etag, conference.changed_at):
        response = not_modified(headers)
    else:

        async def render() -> bytes:
            display = ProgrammeDisplay(programme, viewer, settings.base_url, live, parameters)
            template, context = build(display)
            context.update(
                chrome(
                    viewer,
                    request.url.path,
                    parameters,
                    base_url=settings.base_url,
                    languages=page_languages(conference.languages),
                    conference_zone=conference.timezone,
                ),
                conference=display.conference_context(),
            )
            return renderer.render(template, viewer.language, context)

        if gzipped:
            headers["Content-Encoding"] = "gzip"
        headers[CACHEABLE_HEADER] = "1"
        response = Response(await cache.encoded_body(key, render, gzipped=gzipped), media_type=HTML, headers=headers)
    viewer.apply_cookies(response)
    return response


# Paths that answer JSON or files even when they are missing.
_MACHINE_PATHS = ("/api/", "/schema")
_FILE_SUFFIXES = (".ics", ".json", ".xml")


def not_found_handler(renderer: PageRenderer) -> Callable[[Request[Any, Any, Any], HTTPException], Response[Any]]:
    """404 as a page in the viewer's language for people; JSON for the API and for files."""

    def handle(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
        path = request.url.path
        if path.startswith(_MACHINE_PATHS) or path.endswith(_FILE_SUFFIXES):
            return Response({"status_code": HTTP_404_NOT_FOUND, "detail": exc.detail}, status_code=HTTP_404_NOT_FOUND)
        viewer = resolve_viewer(request, default_language="en", default_zone="UTC")
        context = chrome(
            viewer, path, {}, base_url=str(request.base_url), languages=page_languages(), conference_zone=None
        )
        body = renderer.render("errors/404.html", viewer.language, {**context, "detail": exc.detail})
        response: Response[bytes] = Response(
            body, status_code=HTTP_404_NOT_FOUND, media_type=HTML, headers={"Cache-Control": "no-store"}
        )
        viewer.apply_cookies(response)
        return response

    return handle


# --- public files (feeds, exports): what to render is the caller's; whether to, this module's ---


FEED_CACHE_CONTROL = "public, max-age=300"


async def published_programme(db: AsyncSession, cache: ProgrammeCache, slug: str) -> PublishedProgramme:
    """The published programme a file is rendered from (404 if it was unpublished meanwhile).

    Loaded once per version and worker: every feed variant and every page shares it.
    """
    programme = await cache.programme(db, slug)
    if programme is None:
        raise not_found("Conference not found")
    return programme


async def serve_programme_file(
    request: Request[Any, Any, Any],
    *,
    db: AsyncSession,
    cache: ProgrammeCache,
    slug: str,
    variant: Hashable,
    render: Callable[[], Awaitable[bytes]],
    media_type: str,
    filename: str,
) -> Response[bytes]:
    version = await cache.published_version(db, slug)
    if version is None:
        raise not_found("Conference not found")
    key = (slug, version.version, variant)
    gzipped = accepts_gzip(request)
    etag = encoded_etag(etag_for(key), gzipped)
    headers = validator_headers(etag, version.changed_at, FEED_CACHE_CONTROL)
    headers["Content-Disposition"] = f'inline; filename="{filename}"'
    headers["Vary"] = "Accept-Encoding"
    if is_fresh(request, etag, version.changed_at):
        return not_modified(headers)
    if gzipped:
        headers["Content-Encoding"] = "gzip"
    headers[CACHEABLE_HEADER] = "1"
    body = await cache.encoded_body(key, render, gzipped=gzipped)
    return Response(body, media_type=media_type, headers=headers)
