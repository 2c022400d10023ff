"""The public side of announcements: what is visible now, read cheaply and cached per worker.

Public pages are cached by programme version, but announcements do not change the programme,
and a scheduled one appears when its time comes, with no write at all. So the news pages and
feed add to their cache key the visible announcements' ``(id, revision)`` *at the moment of
the request*: an edit (revision), a publish, unpublish or delete (the set), and a publish time
passing (the set, computed from the clock) each make a new key. What is needed to compute it
is the list of published announcements with their publish times: one small query, remembered
per conference for ``ttl`` seconds (the programme cache's lifetime, so every change shows as
promptly as a programme change); the texts are loaded only for a ``(id, revision)`` not seen
before, and kept in a bounded memory.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from confman.db.models import Announcement, AnnouncementStatus

_MAX_TEXTS = 512


@dataclass(frozen=True)
class PublicAnnouncement:
    id: int
    guid: uuid.UUID
    slug: str
    title: dict[str, str]
    body: dict[str, str]
    publish_at: datetime
    updated_at: datetime
    pinned: bool
    revision: int

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(language for language, title in self.title.items() if title and self.body.get(language))

    @property
    def modified_at(self) -> datetime:
        return max(self.publish_at, self.updated_at)


@dataclass(frozen=True)
class _Stamp:
    id: int
    guid: uuid.UUID
    revision: int
    publish_at: datetime
    pinned: bool


@dataclass(frozen=True)
class VisibleNews:
    """The announcements visible at one moment: pinned first, then the newest."""

    announcements: tuple[PublicAnnouncement, ...]

    @property
    def key(self) -> Hashable:
        return tuple((str(a.guid), a.revision) for a in self.announcements)

    def changed_at(self, since: datetime) -> datetime:
        """The latest of ``since`` (the conference's change) and every visible announcement's."""
        return max([since, *(a.modified_at for a in self.announcements)])

    def by_slug(self, slug: str) -> PublicAnnouncement | None:
        return next((a for a in self.announcements if a.slug == slug), None)

    def newest_first(self) -> list[PublicAnnouncement]:
        return sorted(self.announcements, key=lambda a: (a.publish_at, a.id), reverse=True)


class NewsCache:
    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._stamps: dict[int, tuple[float, tuple[_Stamp, ...]]] = {}
        # By (guid, revision): ids restart when a test empties the database, guids never repeat.
        self._texts: OrderedDict[tuple[uuid.UUID, int], PublicAnnouncement] = OrderedDict()

    def clear(self) -> None:
        self._stamps.clear()
        self._texts.clear()

    async def _published(self, db: AsyncSession, conference_id: int) -> tuple[_Stamp, ...]:
        now = time.monotonic()
        cached = self._stamps.get(conference_id)
        if cached is not None and now - cached[0] < self.ttl:
            return cached[1]
        rows = await db.execute(
            select(
                Announcement.id, Announcement.guid, Announcement.revision, Announcement.publish_at, Announcement.pinned
            ).where(
                Announcement.conference_id == conference_id,
                Announcement.status == AnnouncementStatus.PUBLISHED,
                Announcement.publish_at.is_not(None),
            )
        )
        stamps = tuple(_Stamp(int(i), g, int(r), p, bool(pin)) for i, g, r, p, pin in rows.tuples() if p is not None)
        if self.ttl > 0:
            self._stamps[conference_id] = (now, stamps)
        return stamps

    async def _texts_of(self, db: AsyncSession, stamps: Sequence[_Stamp]) -> list[PublicAnnouncement]:
        missing = [stamp.id for stamp in stamps if (stamp.guid, stamp.revision) not in self._texts]
        if missing:
            for row in await db.scalars(select(Announcement).where(Announcement.id.in_(missing))):
                if row.publish_at is None:
                    continue
                self._texts[(row.guid, row.revision)] = PublicAnnouncement(
                    id=row.id, guid=row.guid, slug=row.slug, title=dict(row.title), body=dict(row.body),
                    publish_at=row.publish_at, updated_at=row.updated_at, pinned=row.pinned, revision=row.revision,
                )  # fmt: skip
            while len(self._texts) > _MAX_TEXTS:
                self._texts.popitem(last=False)
        found = []
        for stamp in stamps:
            text = self._texts.get((stamp.guid, stamp.revision))
            if text is not None:  # changed again since the stamps were read: shown at the next look
                found.append(text)
        return found

    async def visible(self, db: AsyncSession, conference_id: int, now: datetime) -> VisibleNews:
        """What the public sees at ``now``: published announcements whose time has come."""
        stamps = [stamp for stamp in await self._published(db, conference_id) if stamp.publish_at <= now]
        stamps.sort(key=lambda s: (s.pinned, s.publish_at, s.id), reverse=True)
        return VisibleNews(tuple(await self._texts_of(db, stamps)))
