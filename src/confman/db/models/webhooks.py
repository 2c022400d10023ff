"""Webhooks: organisers' endpoints and the deliveries of public outbox events to them.

A delivery row is written by a database trigger on ``outbox_event`` (migration 0013), in the
transaction that writes the event, for every enabled endpoint of the event's conference that
subscribed to its name: whatever inserts the event (the ORM, a Core statement, the placement's
SQL), no event is missed and none is fanned out twice (``uq_webhook_delivery_event_id``).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from confman.db.base import Base, DateTimeUTC, JsonB


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    # Still failing when the give-up time had passed.
    FAILED = "failed"


class WebhookEndpoint(Base):
    """Where a conference's events go. ``secret_sealed`` is the signing secret encrypted with a
    key derived from the deployment's ``secret_key`` (``webhooks/secrets.py``): it must be
    recoverable to sign, and it is never answered again after its creation or rotation."""

    __tablename__ = "webhook_endpoint"
    __table_args__ = (Index("ix_webhook_endpoint_conference_id_id", "conference_id", "id"),)

    conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(200), default="")
    # The public event names (``Event`` values) this endpoint receives.
    event_types: Mapped[list[str]] = mapped_column(JsonB)
    enabled: Mapped[bool] = mapped_column(default=True)
    secret_sealed: Mapped[str] = mapped_column(String(300))
    # Why it is disabled ("failing": by the worker), and since when.
    disabled_reason: Mapped[str | None] = mapped_column(String(32), default=None)
    disabled_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    # Failed attempts since the last success, and when the first of them was.
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    failing_since: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    last_success_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)


class WebhookDelivery(Base):
    """One event for one endpoint, tried until it is delivered or given up. ``webhook_id`` is the
    Standard Webhooks ``webhook-id``: the same on every retry and replay, so the receiver can
    drop a duplicate. ``order_key`` (``registration:<id>``, ``session:<id>`` or ``conference``):
    a delivery waits while an older one of its endpoint and key is pending."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("event_id", "endpoint_id"),
        Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
        Index("ix_webhook_delivery_endpoint_order", "endpoint_id", "order_key", "status", "id"),
    )

    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoint.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(ForeignKey("outbox_event.id", ondelete="CASCADE"))
    webhook_id: Mapped[str] = mapped_column(String(64), unique=True)
    event_type: Mapped[str] = mapped_column(String(64))
    order_key: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    # The give-up time counts from here (the event, a replay, or the endpoint's re-enabling).
    due_since: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    lease_until: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    claimed_by: Mapped[str | None] = mapped_column(String(64), default=None)
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    last_status_code: Mapped[int | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(String(2000), default=None)
    # The start of the last answer's body (at most webhooks.delivery.EXCERPT_BYTES), as text.
    response_excerpt: Mapped[str | None] = mapped_column(Text, default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
