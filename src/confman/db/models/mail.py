"""The transactional outbox: an e-mail is a row written in the same transaction as its cause."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from confman.db.base import Base, DateTimeUTC, JsonB
from confman.db.models._types import enum_column
from confman.db.models.events import OutboxEvent


class MailStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    # Refused permanently by the server, or undeliverable for longer than the give-up time.
    FAILED = "failed"


class OutboxMail(Base):
    """One e-mail to send: a delivery of the outbox event ``event_id`` (what happened) to one
    recipient. The worker renders it from ``kind`` (which e-mail of the domain that wrote it)
    and ``context`` when it sends, and empties ``context`` (which holds the private links) once
    the server has it."""

    __tablename__ = "mail_outbox"
    __table_args__ = (Index("ix_mail_outbox_due", "status", "next_attempt_at"),)

    # Stable across retries, so a receiver can drop a duplicate after a crash mid-send.
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str] = mapped_column(String(320))
    language: Mapped[str] = mapped_column(String(16))
    conference_id: Mapped[int | None] = mapped_column(ForeignKey("conference.id", ondelete="CASCADE"), index=True)
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registration.id", ondelete="SET NULL"), index=True, default=None
    )
    # Indexed (0009): a message to attendees counts its deliveries by event.
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_event.id", ondelete="SET NULL"), index=True, default=None
    )
    context: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    # Set when queued with the event in the same flush; never loaded (the worker needs no event).
    event: Mapped[OutboxEvent | None] = relationship(lazy="raise")
    status: Mapped[MailStatus] = mapped_column(enum_column(MailStatus, "mail_status"), default=MailStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    # A worker that claimed the row owns it until then; a killed worker's rows come back after it.
    lease_until: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    claimed_by: Mapped[str | None] = mapped_column(String(64), default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    sent_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
