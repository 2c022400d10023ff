"""Queue, claim and settle outbox e-mails.

``enqueue`` only adds a row to the caller's session (the registration submit inserts the
same columns, ``outbox_values``, with Core in its own statement), so the e-mail is committed (or rolled
back) together with the change that caused it. Workers claim rows for a lease in a short
transaction of their own (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so any number of them
never take the same row; on SQLite the claim's ``BEGIN IMMEDIATE`` serialises them), send
outside any transaction, and settle each row as it is sent. A worker killed mid-send holds
no lock: its rows become due again when their lease runs out.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from confman.db.models import MailStatus, OutboxMail
from confman.lib.timezones import utcnow


def new_message_id(base_url: str) -> str:
    host = urlsplit(base_url).hostname or "localhost"
    return f"<{uuid.uuid4().hex}@{host}>"


def outbox_values(
    *,
    kind: str,
    recipient: str,
    language: str,
    conference_id: int,
    registration_id: int | None,
    context: dict[str, Any],
    base_url: str,
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
    conference_id: int,
    registration_id: int | None,
    context: dict[str, Any],
    base_url: str,
) -> OutboxMail:
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
    db.add(mail)
    return mail


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
