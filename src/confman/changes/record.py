"""Recording the public programme's changes: the session services call :func:`record_change`
with a session's public state before and after, in the transaction of the change itself, so a
change and its record are committed (or rolled back) together."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from confman.db.models import ChangeKind, ConferenceSession, ProgrammeChange, SessionStatus
from confman.lib.timezones import utcnow

Snapshot = dict[str, Any]


def snapshot(session: ConferenceSession) -> Snapshot | None:
    """The session as the public sees it (its stream and speakers loaded); None for a draft."""
    if session.status is SessionStatus.DRAFT:
        return None
    stream = session.stream
    return {
        "title": dict(session.title),
        "starts_at": session.starts_at.isoformat(),
        "ends_at": session.ends_at.isoformat(),
        "stream": stream.slug if stream else None,
        "stream_name": stream.name if stream else None,
        "status": session.status.value,
        "speakers": [link.speaker.name for link in session.speaker_links],
    }


def change_kinds(before: Snapshot | None, after: Snapshot | None) -> list[ChangeKind]:
    """What changed between two snapshots, in a fixed order."""
    if before is None and after is None:
        return []
    if before is None:
        return [ChangeKind.ADDED]
    if after is None:
        return [ChangeKind.REMOVED]
    kinds: list[ChangeKind] = []
    if before["status"] != after["status"]:
        if after["status"] == SessionStatus.CANCELLED.value:
            kinds.append(ChangeKind.CANCELLED)
        elif before["status"] == SessionStatus.CANCELLED.value:
            kinds.append(ChangeKind.RESTORED)
    if (before["starts_at"], before["ends_at"]) != (after["starts_at"], after["ends_at"]):
        kinds.append(ChangeKind.RESCHEDULED)
    if before["stream"] != after["stream"]:
        kinds.append(ChangeKind.MOVED)
    if before["speakers"] != after["speakers"]:
        kinds.append(ChangeKind.SPEAKERS)
    if before["title"] != after["title"]:
        kinds.append(ChangeKind.TITLE)
    return kinds


def record_change(
    db: AsyncSession,
    *,
    conference_id: int,
    session_id: int | None,
    slug: str,
    before: Snapshot | None,
    after: Snapshot | None,
    now: datetime | None = None,
) -> list[ProgrammeChange]:
    """A row per kind of change between ``before`` and ``after`` (none if nothing public changed)."""
    now = now or utcnow()
    rows = [
        ProgrammeChange(
            conference_id=conference_id,
            session_id=session_id,
            session_slug=slug,
            kind=kind.value,
            before=before,
            after=after,
            changed_at=now,
        )
        for kind in change_kinds(before, after)
    ]
    db.add_all(rows)
    return rows
