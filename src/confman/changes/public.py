"""The changelog as the public reads it: each release with its note and its sessions' net
changes, and the changes no release took yet, as plain values (cached per programme version
and worker, like the read model)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from confman.changes.wording import SessionChange, net_changes
from confman.db.models import ProgrammeChange, ProgrammeRelease
from confman.published.cache import ProgrammeCache
from confman.published.model import PublicConference


@dataclass(frozen=True)
class PublicRelease:
    id: int
    name: str
    note: dict[str, str]
    released_at: datetime
    programme_version: int
    changes: list[SessionChange]


@dataclass(frozen=True)
class Changelog:
    releases: list[PublicRelease]  # newest first
    unreleased: list[SessionChange]
    # The newest change's time: the Atom feed's ``updated`` before any release.
    changed_at: datetime | None

    @property
    def latest(self) -> str | None:
        return self.releases[0].name if self.releases else None

    def frab_version(self, programme_version: int) -> str:
        return frab_version(self.latest, programme_version, bool(self.unreleased))


def frab_version(release_name: str | None, programme_version: int, unreleased: bool) -> str:
    """The frab ``version``: the latest release's name, plus ``+<programme version>`` while
    changes wait for a release ("0" before the first release)."""
    name = release_name or "0"
    return f"{name}+{programme_version}" if unreleased else name


async def load_changelog(db: AsyncSession, conference_id: int) -> Changelog:
    """Two queries, whatever the number of releases."""
    releases = (
        await db.execute(
            select(
                ProgrammeRelease.id,
                ProgrammeRelease.name,
                ProgrammeRelease.note,
                ProgrammeRelease.released_at,
                ProgrammeRelease.programme_version,
            )
            .where(ProgrammeRelease.conference_id == conference_id)
            .order_by(ProgrammeRelease.id.desc())
        )
    ).all()
    grouped: dict[int | None, list[ProgrammeChange]] = {}
    changed_at: datetime | None = None
    for change in await db.scalars(
        select(ProgrammeChange).where(ProgrammeChange.conference_id == conference_id).order_by(ProgrammeChange.id)
    ):
        grouped.setdefault(change.release_id, []).append(change)
        changed_at = change.changed_at
    return Changelog(
        releases=[
            PublicRelease(
                release_id, name, dict(note or {}), released_at, version, net_changes(grouped.get(release_id, []))
            )
            for release_id, name, note, released_at, version in releases
        ],
        unreleased=net_changes(grouped.get(None, [])),
        changed_at=changed_at,
    )


async def cached_changelog(db: AsyncSession, cache: ProgrammeCache, conference: PublicConference) -> Changelog:
    """The changelog of ``conference`` at its programme version, loaded once per version and worker."""
    return await cache.memo(
        ("changelog", conference.slug, conference.version), lambda: load_changelog(db, conference.id)
    )
