"""Serving the pages: viewer, cache, validators, the page frame, refused forms and 404s.

A public page of a conference is rendered once per (programme version, language, zone,
filters, now/next state) in each worker and then answered from memory; a browser that has
it gets 304. Every page, public or private, takes its frame from :func:`page_context`: the
language switcher, the zone picker (the conference's zone and the viewer's first, then
every place by region: ``templates/_zones.html``), ``hreflang`` alternates, the
conference's header and the form token.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.exceptions import HTTPException
from litestar.serialization import encode_json, get_serializer
from litestar.status_codes import HTTP_200_OK, HTTP_404_NOT_FOUND
from litestar.utils.scope.state import ScopeState
from sqlalchemy.ext.asyncio import AsyncSession

from confman.lib.conditional import accepts_gzip, encoded_etag, etag_for, is_fresh, not_modified, validator_headers
from confman.lib.errors import FormRejected, not_found
from confman.lib.i18n import UI_LANGUAGES, language_autonym, zone_city
from confman.lib.response_cache import CACHEABLE_HEADER
from confman.lib.templating import PageRenderer, site_revision
from confman.lib.timezones import utcnow
from confman.lib.urls import safe_path
from confman.lib.viewer import Viewer, resolve_viewer
from confman.published.cache import ProgrammeCache
from confman.published.model import PublicConference, PublishedProgramme
from confman.settings import Settings
from confman.site.display import ProgrammeDisplay, has_ended, live_state

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


def page_context(
    request: Request[Any, Any, Any],
    *,
    base_url: str,
    display: ProgrammeDisplay | None = None,
    query: dict[str, str] | None = None,
    path: str | None = None,
    private: bool = False,
) -> dict[str, Any]:
    """The frame of every page, built here and nowhere else: what the header and ``<head>``
    need besides the page's own content.

    That is the viewer (the display's; else the request's, with English and UTC, for pages
    outside a conference), the language links and ``hreflang`` alternates (the
    interface's languages, then the conference's), the canonical address, the zone picker
    (the conference's zone and the viewer's first), the conference's header (with
    ``display``), whether the page is private (a token in its address: no links out, no
    index), and the form token of the request (empty outside the CSRF router). ``query`` is
    the page's own parameters, kept in the links it makes to itself; ``path`` replaces the
    request's path in them (a private page's 404 names no token).
    """
    if display is not None:
        viewer = display.viewer
    else:
        viewer = resolve_viewer(request, default_language="en", default_zone="UTC")
    conference = display.conference if display is not None else None
    languages = page_languages(conference.languages if conference is not None else ())
    path = safe_path(request.url.path) if path is None else path
    query = query or {}

    def link(**changes: str) -> str:
        params = {**query, **changes}
        return path + ("?" + urlencode(params) if params else "")

    first_zones = tuple(dict.fromkeys(z for z in (conference.timezone if conference else None, viewer.zone) if z))
    context: dict[str, Any] = {
        "viewer": viewer,
        "viewer_city": zone_city(viewer.zone, viewer.formatting),
        "page_path": path,
        "page_query": query,
        "language_links": [(code, language_autonym(code), link(lang=code)) for code in languages],
        "alternates": [(code, base_url.rstrip("/") + link(lang=code)) for code in languages],
        "canonical": base_url.rstrip("/") + link(),
        "first_zones": first_zones,
        "private_page": private,
        "csrf_token": ScopeState.from_scope(request.scope).csrf_token or "",
    }
    if display is not None:
        context["conference"] = display.conference_context()
    return context


def configured_base_url(request: Request[Any, Any, Any]) -> str:
    """The configured base URL (``CONFMAN_BASE_URL``), for pages made outside a handler that
    has the settings: never the request's ``Host``, which anyone can set."""
    return str(request.app.state["base_url"])


def html_response(
    renderer: PageRenderer,
    template: str,
    context: dict[str, Any],
    status_code: int = HTTP_200_OK,
    headers: dict[str, str] | None = None,
) -> Response[bytes]:
    """A page rendered in its viewer's language (the context is :func:`page_context`'s and the page's)."""
    body = renderer.render(template, context["viewer"].language, context)
    return Response(body, status_code=status_code, media_type=HTML, headers=headers)


def form_rejected_handler(renderer: PageRenderer) -> Callable[[Request[Any, Any, Any], FormRejected], Response[bytes]]:
    """The answer to a refused form (:class:`~confman.lib.errors.FormRejected`): its page again.

    Runs after ``provide_db_session`` rolled the request back; the context is plain data made
    before the raise, so nothing here touches the database.
    """

    def handle(request: Request[Any, Any, Any], exc: FormRejected) -> Response[bytes]:
        return html_response(renderer, exc.template, exc.context, exc.status_code, exc.headers)

    return handle


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
    search: Callable[[dict[str, str]], bool] | None = None,
    variant: Hashable = None,
    changed_at: datetime | None = None,
) -> Response[bytes]:
    """Answer one public page of conference ``slug``: 404, 304, cached bytes or a fresh render.

    ``query`` picks the page's own valid parameters from the request (given the programme):
    they are part of the cache key and of the links the page makes to itself. ``build`` may
    raise 404 for an unknown session or speaker. ``search`` tells, from those parameters, a
    page that any words typed make (search results): it is cached in a small pool of its own.
    ``variant`` is what else the page is made of besides the programme (the visible
    announcements), part of the key; ``changed_at`` its ``Last-Modified`` when that is later
    than the programme's change.
    """
    programme = await cache.programme(db, slug)
    if programme is None:
        raise not_found("Conference not found")
    conference = programme.conference
    parameters = query(programme) if query else {}
    viewer = viewer_for(request, conference)
    now = utcnow()
    live = live_state(programme, now)
    key = (
        "page", page, slug, conference.version, viewer.language, viewer.locale, viewer.zone, viewer.rejected_zone,
        tuple(sorted(parameters.items())), live.key(), has_ended(conference, now), site_revision(), variant,
    )  # fmt: skip
    gzipped = accepts_gzip(request)
    etag = encoded_etag(etag_for(key), gzipped)
    last_modified = changed_at or conference.changed_at
    headers = validator_headers(etag, last_modified, PAGE_CACHE_CONTROL)
    headers["Vary"] = PAGE_VARY
    if is_fresh(request, etag, last_modified):
        response = not_modified(headers)
    else:

        async def render() -> bytes:
            # What the version's viewers in this language and locale share (display.py).
            shared = cache.shared(
                (slug, conference.id, conference.version, viewer.language, viewer.locale, viewer.formatting,
                 settings.base_url)
            )  # fmt: skip
            display = ProgrammeDisplay(programme, viewer, settings.base_url, live, parameters, shared)
            template, context = build(display)
            context.update(page_context(request, base_url=settings.base_url, display=display, query=parameters))
            return renderer.render(template, viewer.language, context)

        if gzipped:
            headers["Content-Encoding"] = "gzip"
        headers[CACHEABLE_HEADER] = "1"
        pooled = search is not None and search(parameters)
        body = await cache.encoded_body(key, render, gzipped=gzipped, search=pooled)
        response = Response(body, media_type=HTML, headers=headers)
    viewer.apply_cookies(response)
    return response


# Paths that answer JSON or files even when they are missing.
_MACHINE_PATHS = ("/api/", "/schema")
_FILE_SUFFIXES = (".ics", ".json", ".xml", ".atom")


def not_found_handler(renderer: PageRenderer) -> Callable[[Request[Any, Any, Any], HTTPException], Response[Any]]:
    """404 as a page in the viewer's language for people; JSON for the API and for files."""

    def handle(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
        path = request.url.path
        if path.startswith(_MACHINE_PATHS) or path.endswith(_FILE_SUFFIXES):
            return Response({"status_code": HTTP_404_NOT_FOUND, "detail": exc.detail}, status_code=HTTP_404_NOT_FOUND)
        context = page_context(request, base_url=configured_base_url(request))
        context["detail"] = exc.detail
        response = html_response(
            renderer, "errors/404.html", context, HTTP_404_NOT_FOUND, {"Cache-Control": "no-store"}
        )
        context["viewer"].apply_cookies(response)
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
    changed_at: datetime | None = None,
) -> Response[bytes]:
    """A file rendered from the published programme (and whatever ``variant`` names besides;
    ``changed_at``: its ``Last-Modified`` when later than the programme's change)."""
    version = await cache.published_version(db, slug)
    if version is None:
        raise not_found("Conference not found")
    key = (slug, version.version, variant)
    gzipped = accepts_gzip(request)
    etag = encoded_etag(etag_for(key), gzipped)
    last_modified = changed_at or version.changed_at
    headers = validator_headers(etag, last_modified, FEED_CACHE_CONTROL)
    headers["Content-Disposition"] = f'inline; filename="{filename}"'
    headers["Vary"] = "Accept-Encoding"
    if is_fresh(request, etag, last_modified):
        return not_modified(headers)
    if gzipped:
        headers["Content-Encoding"] = "gzip"
    headers[CACHEABLE_HEADER] = "1"
    body = await cache.encoded_body(key, render, gzipped=gzipped)
    return Response(body, media_type=media_type, headers=headers)


# --- public API reads: the read model's answer, encoded once per version and worker ---


# A token may see more (drafts): clients revalidate (cheap: 304), and a token's answer is its own.
API_CACHE_CONTROL = "no-cache"
API_VARY = "Accept-Encoding, Authorization"


async def serve_public_read(
    request: Request[Any, Any, Any],
    *,
    db: AsyncSession,
    cache: ProgrammeCache,
    slug: str,
    variant: Hashable,
    build: Callable[[PublishedProgramme], Callable[[], Any] | None],
) -> Response[Any] | None:
    """A public API read of conference ``slug``, from its published read model: 304, cached bytes,
    or the value that ``build`` makes, encoded as Litestar encodes a handler's return value (the
    same bytes as the ORM path), once per programme version and worker.

    ``build`` tells from the read model whether the thing asked for is there (a maker of the
    value) or not (None). None when the conference is not published or ``build`` finds nothing
    (an unknown or unannounced slug): the handler then answers as it always did (its 404, in its
    words). Only for callers who see what the public sees (organisers see drafts).
    """
    programme = await cache.programme(db, slug)
    if programme is None:
        return None
    make = build(programme)
    if make is None:
        return None
    conference = programme.conference
    key = ("api", slug, conference.id, conference.version, variant)
    gzipped = accepts_gzip(request)
    etag = encoded_etag(etag_for(key), gzipped)
    headers = validator_headers(etag, conference.changed_at, API_CACHE_CONTROL)
    headers["Vary"] = API_VARY
    if is_fresh(request, etag, conference.changed_at):
        return not_modified(headers)

    async def render() -> bytes:
        return encode_json(make(), get_serializer(request.route_handler.resolve_type_encoders()))

    if gzipped:
        headers["Content-Encoding"] = "gzip"
    headers[CACHEABLE_HEADER] = "1"
    body = await cache.encoded_body(key, render, gzipped=gzipped)
    return Response(body, media_type=MediaType.JSON, headers=headers)
