"""A per-process cache of what the public programme renders to.

Feeds and exports are asked for far more often than the programme changes. Each
worker keeps rendered bodies keyed by (what, conference, programme version, variant),
so an unchanged programme is served without building anything, and remembers each
conference's current version for a few seconds, so a cached answer needs no database
round trip at all. After a change, workers serve the new version within
``version_ttl`` seconds. Nothing here is shared between processes, so it needs no
invalidation: a new version is simply a new key.
"""

from __future__ import annotations

import gzip
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from confman.db.models import Conference, ConferenceStatus
from confman.lib.metrics import count_lookup
from confman.published.model import PublishedProgramme, load_published_programme
from confman.published.search import SearchIndex, build_index

# Read models kept per worker: a few conferences, each at its current version.
_MAX_PROGRAMMES = 16
T = TypeVar("T")
# Stores shared by a version's viewers: a few conferences, each in a few languages and locales.
_MAX_SHARED = 64


@dataclass(frozen=True)
class ProgrammeVersion:
    conference_id: int
    version: int
    changed_at: datetime


class ProgrammeCache:
    def __init__(self, version_ttl: float, max_bodies: int = 512, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.version_ttl = version_ttl
        self.max_bodies = max_bodies
        # Pages vary by language and zone: bound the memory, not only the count.
        self.max_bytes = max_bytes
        self._bytes = 0
        self._versions: dict[str, tuple[float, ProgrammeVersion | None]] = {}
        self._bodies: OrderedDict[Hashable, bytes] = OrderedDict()
        self._programmes: OrderedDict[tuple[str, int], PublishedProgramme] = OrderedDict()
        self._indexes: OrderedDict[tuple[str, int], SearchIndex] = OrderedDict()
        # Other per-version read data (the changelog's releases), by a key that names the version.
        self._memos: OrderedDict[Hashable, object] = OrderedDict()
        # Search result pages: any query makes a new one, so they get a small pool of their own
        # and never push the programme's pages out.
        self._searches: OrderedDict[Hashable, bytes] = OrderedDict()
        self.max_searches = 64
        # What pages of one version share across viewers (display.py: per language and locale).
        self._shared: OrderedDict[Hashable, dict[Any, Any]] = OrderedDict()

    def clear(self) -> None:
        """Forget everything (tests reuse one app over databases emptied between them)."""
        self._bytes = 0
        self._versions.clear()
        self._bodies.clear()
        self._programmes.clear()
        self._memos.clear()
        self._shared.clear()

    async def published_version(self, db: AsyncSession, slug: str) -> ProgrammeVersion | None:
        """The current version of a published conference, or None if there is none to show."""
        now = time.monotonic()
        cached = self._versions.get(slug)
        if cached is not None and now - cached[0] < self.version_ttl:
            return cached[1]
        row = (
            await db.execute(
                select(Conference.id, Conference.programme_version, Conference.programme_changed_at).where(
                    Conference.slug == slug, Conference.status == ConferenceStatus.PUBLISHED
                )
            )
        ).first()
        found = ProgrammeVersion(row[0], row[1], row[2]) if row else None
        if self.version_ttl > 0:
            self._versions[slug] = (now, found)
        return found

    async def body(self, key: Hashable, render: Callable[[], Awaitable[bytes]], *, search: bool = False) -> bytes:
        if search:
            return await self._search_body(key, render)
        cached = self._bodies.get(key)
        count_lookup("page", cached is not None)
        if cached is not None:
            self._bodies.move_to_end(key)
            return cached
        body = await render()
        self._bodies[key] = body
        self._bytes += len(body)
        while len(self._bodies) > self.max_bodies or (self._bytes > self.max_bytes and len(self._bodies) > 1):
            _, evicted = self._bodies.popitem(last=False)
            self._bytes -= len(evicted)
        return body

    async def _search_body(self, key: Hashable, render: Callable[[], Awaitable[bytes]]) -> bytes:
        cached = self._searches.get(key)
        count_lookup("page", cached is not None)
        if cached is not None:
            self._searches.move_to_end(key)
            return cached
        body = self._searches[key] = await render()
        while len(self._searches) > self.max_searches:
            self._searches.popitem(last=False)
        return body

    async def encoded_body(
        self, key: Hashable, render: Callable[[], Awaitable[bytes]], *, gzipped: bool, search: bool = False
    ) -> bytes:
        """The body, or its gzip form, each compressed once and cached like the body.

        Browsers and calendar apps take gzip: a 260 KB programme travels as ~30 KB, and the
        compression is paid once per version, not per request.
        """
        if not gzipped:
            return await self.body(key, render, search=search)

        async def compress() -> bytes:
            return gzip.compress(await self.body(key, render, search=search), compresslevel=6, mtime=0)

        return await self.body((key, "gzip"), compress, search=search)

    async def programme(self, db: AsyncSession, slug: str) -> PublishedProgramme | None:
        """The published programme of ``slug`` (loaded once per version and worker), or None."""
        version = await self.published_version(db, slug)
        if version is None:
            return None
        key = (slug, version.version)
        cached = self._programmes.get(key)
        if cached is not None:
            self._programmes.move_to_end(key)
            return cached
        programme = await load_published_programme(db, slug)
        if programme is not None:
            self._programmes[key] = programme
            if len(self._programmes) > _MAX_PROGRAMMES:
                self._programmes.popitem(last=False)
        return programme

    async def memo(self, key: Hashable, load: Callable[[], Awaitable[T]]) -> T:
        """What ``load`` gives, once per ``key`` (which names the programme version) and worker."""
        if key in self._memos:
            self._memos.move_to_end(key)
            return cast(T, self._memos[key])
        found = self._memos[key] = await load()
        while len(self._memos) > _MAX_PROGRAMMES:
            self._memos.popitem(last=False)
        return found

    def shared(self, key: Hashable) -> dict[Any, Any]:
        """A store for what every viewer of one programme version with the same language and
        locale reads alike (``key`` says which): speaker links, session cards, clocks. A page
        on a cache miss renders only what depends on the viewer's zone."""
        store = self._shared.get(key)
        if store is None:
            store = self._shared[key] = {}
            if len(self._shared) > _MAX_SHARED:
                self._shared.popitem(last=False)
        else:
            self._shared.move_to_end(key)
        return store

    def search_index(self, programme: PublishedProgramme) -> SearchIndex:
        """The search index of ``programme``, built once per version and worker."""
        key = (programme.conference.slug, programme.conference.version)
        cached = self._indexes.get(key)
        if cached is not None:
            self._indexes.move_to_end(key)
            return cached
        index = self._indexes[key] = build_index(programme)
        if len(self._indexes) > _MAX_PROGRAMMES:
            self._indexes.popitem(last=False)
        return index
