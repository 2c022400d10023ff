"""The programme version: raised on every public change, read by feeds and ETags. A session's
change is an outbox event too (``session.changed`` with the session's new revision), written in
the same transaction. A raise of the version alone emits nothing: ``programme.released`` is
an organiser's release (``changes/services.py``), and nothing consumes the raw raises.

Raised with ``version = version + 1`` in SQL so that concurrent writers never lose an
increment, then copied into the loaded object without a reload.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from confman.db.models import Conference, ConferenceSession, Event
from confman.lib.timezones import utcnow
from confman.mail.outbox import emit


async def record_programme_change(db: AsyncSession, conference: Conference) -> None:
    now = utcnow()
    version = await db.scalar(
        update(Conference)
        .where(Conference.id == conference.id)
        .values(programme_version=Conference.programme_version + 1, programme_changed_at=now)
        .returning(Conference.programme_version)
    )
    set_committed_value(conference, "programme_version", version)
    set_committed_value(conference, "programme_changed_at", now)


async def record_session_change(db: AsyncSession, session: ConferenceSession) -> None:
    """Raise one session's revision (iCalendar SEQUENCE) and its change time."""
    now = utcnow()
    await db.flush()
    revision = await db.scalar(
        update(ConferenceSession)
        .where(ConferenceSession.id == session.id)
        .values(revision=ConferenceSession.revision + 1, changed_at=now)
        .returning(ConferenceSession.revision)
    )
    set_committed_value(session, "revision", revision)
    set_committed_value(session, "changed_at", now)
    _session_changed(db, session.conference_id, session.id, session.slug, revision)


async def record_sessions_change(db: AsyncSession, *conditions: ColumnElement[bool]) -> None:
    """Raise the revision of every session matching ``conditions`` (e.g. those on a renamed track)."""
    await db.flush()
    changed = await db.execute(
        update(ConferenceSession)
        .where(*conditions)
        .values(revision=ConferenceSession.revision + 1, changed_at=utcnow())
        .returning(
            ConferenceSession.conference_id, ConferenceSession.id, ConferenceSession.slug, ConferenceSession.revision
        )
        .execution_options(synchronize_session="fetch")
    )
    for conference_id, session_id, slug, revision in changed.tuples().all():
        _session_changed(db, conference_id, session_id, slug, revision)


def _session_changed(db: AsyncSession, conference_id: int, session_id: int, slug: str, revision: int | None) -> None:
    emit(
        db,
        Event.SESSION_CHANGED,
        conference_id=conference_id,
        payload={"session_id": session_id, "session": slug, "revision": revision},
    )
