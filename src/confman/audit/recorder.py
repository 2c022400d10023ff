"""Recording organiser changes, whatever made them (a page, the API, a service).

A request that acts for an organiser names them with :func:`set_actor` on its database
session (the API's token and the pages' sign-in both do). From then on every flush of that
session writes an ``audit_record`` per created, changed or deleted row of the kinds below,
in the same transaction: who, when, what (the table and the row's key), and the changed
fields before and after. Nothing here is called by the services: they cannot forget it.

What is kept is chosen per kind: never a password, token or meeting URL (only that it
changed), and of a registration only its id and status, so deleting an attendee's data
leaves none of it here.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import event, insert, inspect, select
from sqlalchemy.orm import Session, UOWTransaction

from confman.db.models import (
    AccountToken,
    AccountTokenPurpose,
    Announcement,
    AuditRecord,
    Conference,
    ConferenceMember,
    ConferenceSession,
    Registration,
    RegistrationSettings,
    SessionSpeaker,
    Speaker,
    Stream,
    Track,
    User,
)

_ACTOR = "audit_actor"
# Bookkeeping every row has, and counters the system raises itself.
_IGNORED = frozenset(
    {"id", "created_at", "updated_at", "revision", "changed_at", "programme_version", "programme_changed_at"}
)
# Secrets: the record says they changed, never what they are.
_SECRET = frozenset({"meeting_url"})
HIDDEN_VALUE = "•••"  # what a secret shows as


@dataclass(frozen=True)
class _Kind:
    entity: str
    key: str | Callable[[Any], Any] | None  # the attribute naming the row (or a function); None: its id
    only: frozenset[str] | None = None  # record only these fields
    when: Callable[[Any], bool] | None = None  # record only the rows this accepts


def _member_key(member: ConferenceMember) -> Any:
    # The member's address when the account is loaded with it (the services load it), else the id.
    user = member.__dict__.get("user")
    return user.email if user is not None else member.id


_KINDS: dict[type[Any], _Kind] = {
    Conference: _Kind("conference", "slug"),
    Track: _Kind("track", "slug"),
    Stream: _Kind("stream", "slug"),
    Speaker: _Kind("speaker", "slug"),
    ConferenceSession: _Kind("session", "slug"),
    SessionSpeaker: _Kind("session_speaker", None, frozenset({"session_id", "speaker_id", "role", "position"})),
    RegistrationSettings: _Kind("registration_settings", None),
    ConferenceMember: _Kind("member", _member_key, frozenset({"user_id", "role"})),
    # An owner's invitation (never a password reset: those are no conference's business).
    AccountToken: _Kind(
        "invitation",
        "email",
        frozenset({"email", "role", "expires_at", "used_at"}),
        when=lambda token: token.purpose is AccountTokenPurpose.INVITE,
    ),
    Registration: _Kind("registration", None, frozenset({"status"})),
    Announcement: _Kind("announcement", "slug"),
}


def set_actor(db: Session | Any, user: User) -> None:
    """Record the changes flushed by ``db`` (a sync or async session) as ``user``'s."""
    db.info[_ACTOR] = (user.id, user.email)


def actor_of(db: Session | Any) -> tuple[int, str] | None:
    actor: tuple[int, str] | None = db.info.get(_ACTOR)
    return actor


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return value


def _shown(field: str, value: Any) -> Any:
    if field in _SECRET and value:
        return HIDDEN_VALUE
    return _plain(value)


def _fields(kind: _Kind, obj: Any) -> Iterable[str]:
    for column in inspect(type(obj)).column_attrs:
        name = column.key
        if name in _IGNORED or (kind.only is not None and name not in kind.only):
            continue
        yield name


def _conference_id(db: Session, obj: Any) -> int | None:
    if isinstance(obj, Conference):
        return obj.id
    conference_id = getattr(obj, "conference_id", None)
    if conference_id is None and isinstance(obj, SessionSpeaker):
        session = obj.__dict__.get("session")
        if session is not None:
            conference_id = session.conference_id
        elif obj.session_id is not None:
            # Linked by id alone (the session not loaded): ask the database, in the flush's connection.
            conference_id = db.connection().scalar(
                select(ConferenceSession.conference_id).where(ConferenceSession.id == obj.session_id)
            )
    return conference_id


def _key(kind: _Kind, obj: Any) -> Any:
    if kind.key is None:
        return obj.id
    if callable(kind.key):
        return kind.key(obj)
    return getattr(obj, kind.key)


def _record(
    db: Session, kind: _Kind, obj: Any, action: str, before: dict[str, Any], after: dict[str, Any]
) -> dict[str, Any]:
    key = _key(kind, obj)
    return {
        "entity": kind.entity,
        "entity_key": str(key)[:200],
        "action": action,
        "before": before,
        "after": after,
        "conference_id": None if (isinstance(obj, Conference) and action == "deleted") else _conference_id(db, obj),
    }


def _kind(obj: Any) -> _Kind | None:
    kind = _KINDS.get(type(obj))
    if kind is None or (kind.when is not None and not kind.when(obj)):
        return None
    return kind


def _changes(session: Session) -> list[dict[str, Any]]:
    records = []
    for obj in session.new:
        kind = _kind(obj)
        if kind is not None:
            after = {field: _shown(field, getattr(obj, field, None)) for field in _fields(kind, obj)}
            records.append(_record(session, kind, obj, "created", {}, after))
    for obj in session.dirty:
        kind = _kind(obj)
        if kind is None or not session.is_modified(obj, include_collections=False):
            continue
        state = inspect(obj)
        before, after = {}, {}
        for field in _fields(kind, obj):
            history = state.attrs[field].history
            if not history.has_changes():
                continue
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            if _plain(old) == _plain(new):
                continue
            before[field], after[field] = _shown(field, old), _shown(field, new)
        if after:
            records.append(_record(session, kind, obj, "changed", before, after))
    for obj in session.deleted:
        kind = _kind(obj)
        if kind is not None:
            before = {field: _shown(field, getattr(obj, field, None)) for field in _fields(kind, obj)}
            records.append(_record(session, kind, obj, "deleted", before, {}))
    return records


def _after_flush(session: Session, flush_context: UOWTransaction) -> None:
    # After the flush new rows have their ids, and until its end every attribute's history
    # (what it was before) is still there.
    actor = actor_of(session)
    if actor is None:
        return
    records = _changes(session)
    if records:
        user_id, email = actor
        session.connection().execute(
            insert(AuditRecord), [{**record, "user_id": user_id, "actor": email} for record in records]
        )


def record_action(
    db: Session | Any, *, conference_id: int | None, action: str, entity: str, entity_key: str, detail: dict[str, Any]
) -> None:
    """An organiser action that changes no row (a meeting URL revealed): recorded all the same."""
    actor = actor_of(db)
    if actor is None:
        return
    db.add(
        AuditRecord(
            conference_id=conference_id,
            user_id=actor[0],
            actor=actor[1],
            action=action,
            entity=entity,
            entity_key=entity_key[:200],
            before={},
            after=detail,
        )
    )


def install() -> None:
    """Listen on every session (once per process); only sessions with an actor record."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
