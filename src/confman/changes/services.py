"""Releases: an organiser names the programme's state, and the changes since the previous
release become that release's. Written in the caller's transaction: the release, its
``programme.released`` event, the programme's new version (pages, feeds and the frab
``version`` follow at once) and one e-mail per person told (``changes.notices``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from confman.changes.notices import queue_release_mails
from confman.changes.public import frab_version
from confman.changes.schemas import ReleaseCreate
from confman.conferences.services import check_translations
from confman.conferences.versioning import record_programme_change
from confman.db.models import Conference, Event, ProgrammeChange, ProgrammeRelease
from confman.lib.errors import ConflictError
from confman.lib.timezones import utcnow
from confman.mail.outbox import emit


@dataclass(frozen=True)
class ReleaseHistory:
    releases: list[ProgrammeRelease]  # newest first
    changes: dict[int | None, list[ProgrammeChange]]  # by release id; None: unreleased

    @property
    def unreleased(self) -> list[ProgrammeChange]:
        return self.changes.get(None, [])


class ReleaseService:
    def __init__(self, db: AsyncSession, base_url: str) -> None:
        self.db = db
        self.base_url = base_url

    async def history(self, conference_id: int) -> ReleaseHistory:
        releases = list(
            await self.db.scalars(
                select(ProgrammeRelease)
                .where(ProgrammeRelease.conference_id == conference_id)
                .order_by(ProgrammeRelease.id.desc())
            )
        )
        changes: dict[int | None, list[ProgrammeChange]] = {}
        for change in await self.db.scalars(
            select(ProgrammeChange).where(ProgrammeChange.conference_id == conference_id).order_by(ProgrammeChange.id)
        ):
            changes.setdefault(change.release_id, []).append(change)
        return ReleaseHistory(releases, changes)

    async def release(self, conference: Conference, data: ReleaseCreate, *, released_by: str) -> ProgrammeRelease:
        """Release the changes since the last release as ``data.name``. A name taken in this
        conference: 409 (``name``, ``duplicate``); no change to release: 409 (``changes``,
        ``no_changes``): a release always says what changed."""
        check_translations(conference, "note", data.note, required=False)
        if await self._taken(conference.id, data.name):
            raise ConflictError("name", "duplicate", "a release with this name exists in this conference")
        # Raising the version first takes the conference's row lock (PostgreSQL): releases of one
        # conference queue, and each takes only the changes no earlier one took.
        await record_programme_change(self.db, conference)
        if await self._taken(conference.id, data.name):
            raise ConflictError("name", "duplicate", "a release with this name exists in this conference")
        release = ProgrammeRelease(
            conference_id=conference.id,
            name=data.name,
            note={language: text for language, text in data.note.items() if text.strip()},
            programme_version=conference.programme_version,
            change_count=0,
            released_at=utcnow(),
            released_by_name=released_by,
        )
        self.db.add(release)
        await self.db.flush()
        taken = await self.db.execute(
            update(ProgrammeChange)
            .where(ProgrammeChange.conference_id == conference.id, ProgrammeChange.release_id.is_(None))
            .values(release_id=release.id)
            .returning(ProgrammeChange.id)
            .execution_options(synchronize_session=False)
        )
        count = len(taken.all())
        if count == 0:
            raise ConflictError("changes", "no_changes", "nothing changed since the last release")
        release.change_count = count
        event = emit(
            self.db,
            Event.PROGRAMME_RELEASED,
            conference_id=conference.id,
            payload={
                "release_id": release.id,
                "name": release.name,
                "version": release.programme_version,
                "change_count": count,
            },
        )
        await self.db.flush()
        changes = list(
            await self.db.scalars(
                select(ProgrammeChange).where(ProgrammeChange.release_id == release.id).order_by(ProgrammeChange.id)
            )
        )
        await queue_release_mails(self.db, conference, release, changes, event=event, base_url=self.base_url)
        await self.db.flush()
        return release

    async def _taken(self, conference_id: int, name: str) -> bool:
        found = await self.db.scalar(
            select(func.count())
            .select_from(ProgrammeRelease)
            .where(ProgrammeRelease.conference_id == conference_id, ProgrammeRelease.name == name)
        )
        return bool(found)


__all__ = ["ReleaseHistory", "ReleaseService", "frab_version"]
