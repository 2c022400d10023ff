"""Recording the public programme's changes: whatever changes a session's public state (the
session service, a stream's deletion, a speaker's new name) calls :func:`record_change` with
the session's public state before and after, in the transaction of the change itself, so a
change and its record are committed (or rolled back) together.

It lives beside ``versioning`` (every public change also raises the programme version) rather
than in ``changes/``, which imports this package: streams and speakers record here too.

A session leaving the public programme (deleted, or set back to draft) keeps, in its change's
private ``removal``, what its release e-mail needs once the session is gone: its calendar
identity (guid, revision) and who followed it. A deletion cascades its follows, seats and
speaker links away, so they are read here, before it; ids only, never addresses, so that the
release reads each person's current address, language and status (an attendee who cancelled
or erased their data in between is not written to)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from confman.db.models import (
    ChangeKind,
    ConferenceSession,
    ProgrammeChange,
    SeatStatus,
    SessionFollow,
    SessionSeat,
    SessionStatus,
)
from confman.lib.timezones import utcnow

Snapshot = dict[str, Any]


def snapshot(session: ConferenceSession, *, speaker_names: Sequence[str] | None = None) -> Snapshot | None:
    """The session as the public sees it (its stream and speakers loaded); None for a draft.
    ``speaker_names`` replaces its speakers' names (a speaker renamed or removed in this change)."""
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
        "speakers": list(speaker_names) if speaker_names is not None
        else [link.speaker.name for link in session.speaker_links],
    }  # fmt: skip


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


async def record_change(
    db: AsyncSession,
    session: ConferenceSession,
    before: Snapshot | None,
    after: Snapshot | None,
    *,
    deleted: bool = False,
    now: datetime | None = None,
) -> list[ProgrammeChange]:
    """A row per kind of change between ``before`` and ``after`` (none if nothing public changed).
    Called before a deletion is flushed (``deleted``), while its follows still exist."""
    kinds = change_kinds(before, after)
    removal = await _removal(db, session) if ChangeKind.REMOVED in kinds else None
    now = now or utcnow()
    rows = [
        ProgrammeChange(
            conference_id=session.conference_id,
            session_id=None if deleted else session.id,
            session_slug=session.slug,
            kind=kind.value,
            before=before,
            after=after,
            removal=removal if kind is ChangeKind.REMOVED else None,
            changed_at=now,
        )
        for kind in kinds
    ]
    db.add_all(rows)
    return rows


async def _removal(db: AsyncSession, session: ConferenceSession) -> dict[str, Any]:
    """What the release e-mail of a session leaving the programme needs once it is gone: the UID's
    guid, the last revision the public saw (the e-mail's SEQUENCE is one higher) and the ids of
    the attendees who followed it or held a seat, and of its speakers."""
    follows = await db.scalars(select(SessionFollow.registration_id).where(SessionFollow.session_id == session.id))
    seats = await db.scalars(
        select(SessionSeat.registration_id).where(
            SessionSeat.session_id == session.id, SessionSeat.status != SeatStatus.CANCELLED
        )
    )
    return {
        "guid": str(session.guid),
        "revision": session.revision,
        "registrations": sorted(set(follows) | set(seats)),
        "speakers": sorted({link.speaker_id for link in session.speaker_links}),
    }
