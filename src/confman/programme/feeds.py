"""Serving public programme files (feeds, exports) with validators and the programme cache.

The handlers of ``calendar`` and ``schedule`` describe *what* to render; this module
decides *whether* to: a client with a current copy gets 304, a worker that rendered
this version already answers from memory, and only a new version is built.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from typing import Any

from litestar import Request, Response
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from confman.lib.conditional import accepts_gzip, encoded_etag, etag_for, is_fresh, not_modified, validator_headers
from confman.lib.errors import not_found
from confman.lib.response_cache import CACHEABLE_HEADER
from confman.programme.cache import ProgrammeCache
from confman.programme.published import PublishedProgramme

# How handlers ask for the worker's programme cache.
ProgrammeCacheDependency = NamedDependency[ProgrammeCache]

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
