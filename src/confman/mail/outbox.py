"""Outbox events, and the e-mails that deliver them: record, queue, claim and settle.

``emit`` adds an event row (:class:`~confman.db.models.Event`, a payload without secrets) to
the caller's session, and ``enqueue`` an e-mail row that delivers it (the registration submit
inserts the same columns, ``event_values`` and ``outbox_values``, with Core in its own
statement), so both are committed (or rolled back) together with the change that caused them.
Workers claim e-mails for a lease in a short transaction of their own (``FOR UPDATE SKIP
LOCKED`` on PostgreSQL, so any number of them never take the same row; on SQLite the claim's
``BEGIN IMMEDIATE`` serialises them), send outside any transaction, and settle each row as it
is sent. A worker killed mid-send holds no lock: its rows become due again when their lease
runs out. Webhook deliveries of the same events will be claimed and settled the same way.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import ColumnElement, delete, insert, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from confman.db.models import PAYLOAD_VERSION, Event, MailStatus, OutboxEvent, OutboxMail
from confman.lib.timezones import utcnow


def emit(db: AsyncSession, event: Event, *, conference_id: int, payload: dict[str, Any]) -> OutboxEvent:
    """Record ``event`` in the caller's transaction (flushed with it). ``payload`` holds ids
    and public values only: it is read by every consumer, e-mail and webhooks alike."""
    row = OutboxEvent(name=event, payload_version=PAYLOAD_VERSION, payload=payload, conference_id=conference_id)
    db.add(row)
    return row


def event_values(
    event: Event, *, conference_id: int, payload: dict[str, Any], now: datetime | None = None
) -> dict[str, Any]:
    """The columns of a new event row, for Core inserts on hot paths (as ``outbox_values``)."""
    now = now or utcnow()
    return {
        "name": event.value,
        "payload_version": PAYLOAD_VERSION,
        "payload": payload,
        "conference_id": conference_id,
        "created_at": now,
        "updated_at": now,
    }


async def emit_from_select(
    db: AsyncSession, event: Event, *, conference_id: ColumnElement[Any], payload: dict[str, Any]
) -> None:
    """Record ``event`` with its conference taken from a scalar subquery (for callers that
    know a session or registration but not its conference), as one INSERT … SELECT."""
    now = utcnow()
    table = OutboxEvent.__table__
    values = event_values(event, conference_id=0, payload=payload, now=now)
    columns = ["name", "payload_version", "payload", "conference_id", "created_at", "updated_at"]
    selected = select(
        *(
            conference_id.label(name)
            if name == "conference_id"
            else literal(values[name], table.c[name].type).label(name)
            for name in columns
        )
    )
    await db.execute(insert(OutboxEvent).from_select(columns, selected))


def new_message_id(base_url: str) -> str:
    host = urlsplit(base_url).hostname or "localhost"
    return f"<{uuid.uuid4().hex}@{host}>"


def outbox_values(
    *,
    kind: str,
    recipient: str,
    language: str,
    conference_id: int | None,
    registration_id: int | None,
    context: dict[str, Any],
    base_url: str,
    event_id: int | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The columns of a new outbox row: for ``enqueue`` and for Core inserts on hot paths
    (registration submits), so both write the same row."""
    now = now or utcnow()
    return {
        "message_id": new_message_id(base_url),
        "kind": kind,
        "recipient": recipient,
        "language": language,
        "conference_id": conference_id,
        "registration_id": registration_id,
        "event_id": event_id,
        "context": context,
        "status": MailStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        "updated_at": now,
    }


def enqueue(
    db: AsyncSession,
    *,
    kind: str,
    recipient: str,
    language: str,
    conference_id: int | None,
    registration_id: int | None,
    context: dict[str, Any],
    base_url: str,
    event: OutboxEvent | None = None,
) -> OutboxMail:
    """An e-mail of ``kind`` (the wording its domain registered for it), delivering ``event``;
    ``context`` holds what only this e-mail may carry (private links), emptied once sent."""
    mail = OutboxMail(
        **outbox_values(
            kind=kind,
            recipient=recipient,
            language=language,
            conference_id=conference_id,
            registration_id=registration_id,
            context=context,
            base_url=base_url,
        )
    )
    if event is not None:
        mail.event = event
    db.add(mail)
    return mail


async def forget_recipient(db: AsyncSession, registration_id: int, recipient: str) -> None:
    """A registration's personal data is erased: its unsent e-mails are not sent, and the sent
    ones keep neither the address (``recipient`` replaces it) nor their links."""
    await db.execute(
        delete(OutboxMail).where(OutboxMail.registration_id == registration_id, OutboxMail.status != MailStatus.SENT)
    )
    await db.execute(
        update(OutboxMail).where(OutboxMail.registration_id == registration_id).values(recipient=recipient, context={})
    )


def backoff(attempts: int, base: float, maximum: float) -> timedelta:
    """Delay before the next try after ``attempts`` failed ones: base, 2·base, 4·base … ≤ maximum."""
    return timedelta(seconds=min(maximum, base * 2 ** max(0, min(attempts - 1, 40))))


async def claim(db: AsyncSession, worker_id: str, *, limit: int, lease_seconds: float) -> list[OutboxMail]:
    """Take up to ``limit`` due e-mails for this worker; the caller commits at once."""
    now = utcnow()
    due = (
        select(OutboxMail.id)
        .where(
            OutboxMail.status == MailStatus.PENDING,
            OutboxMail.next_attempt_at <= now,
            or_(OutboxMail.lease_until.is_(None), OutboxMail.lease_until < now),
        )
        .order_by(OutboxMail.next_attempt_at, OutboxMail.id)
        .limit(limit)
    )
    if db.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    ids: Sequence[int] = (await db.scalars(due)).all()
    if not ids:
        return []
    await db.execute(
        update(OutboxMail)
        .where(OutboxMail.id.in_(ids))
        .values(
            lease_until=now + timedelta(seconds=lease_seconds),
            claimed_by=worker_id,
            attempts=OutboxMail.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    rows = await db.scalars(
        select(OutboxMail)
        .where(OutboxMail.id.in_(ids))
        .order_by(OutboxMail.id)
        .execution_options(populate_existing=True)
    )
    return list(rows)


async def extend_lease(db: AsyncSession, ids: Sequence[int], worker_id: str, *, lease_seconds: float) -> None:
    """The heartbeat of a live worker: its claimed e-mails that are not settled yet stay its own
    for another lease. A dead worker's stop being extended, and are due again within one lease."""
    await db.execute(
        update(OutboxMail)
        .where(OutboxMail.id.in_(ids), OutboxMail.claimed_by == worker_id, OutboxMail.status == MailStatus.PENDING)
        .values(lease_until=utcnow() + timedelta(seconds=lease_seconds))
        .execution_options(synchronize_session=False)
    )


async def mark_sent(db: AsyncSession, mail: OutboxMail, worker_id: str) -> None:
    # The private links in the context are not kept once the server has the e-mail.
    await db.execute(
        update(OutboxMail)
        .where(OutboxMail.id == mail.id, OutboxMail.claimed_by == worker_id)
        .values(status=MailStatus.SENT, sent_at=utcnow(), context={}, lease_until=None, last_error=None)
        .execution_options(synchronize_session=False)
    )


async def mark_failed_attempt(
    db: AsyncSession,
    mail: OutboxMail,
    worker_id: str,
    error: str,
    *,
    permanent: bool,
    retry_base: float,
    retry_max: float,
    give_up_seconds: float,
) -> None:
    now = utcnow()
    gives_up = permanent or now - mail.created_at >= timedelta(seconds=give_up_seconds)
    values: dict[str, Any] = {"last_error": error[:2000], "lease_until": None, "claimed_by": None}
    if gives_up:
        values.update(status=MailStatus.FAILED, context={})
    else:
        values["next_attempt_at"] = now + backoff(mail.attempts, retry_base, retry_max)
    await db.execute(
        update(OutboxMail)
        .where(OutboxMail.id == mail.id, OutboxMail.claimed_by == worker_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
