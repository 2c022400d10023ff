"""Outbox events: what happened, as a row written in the transaction of the change itself.

An event is a fact with a name (:class:`Event`) and a small versioned JSON payload of ids and
public values: never a secret (no token, no private link, no meeting URL), so any consumer may
read it. Consumers keep their own rows that refer to it: an e-mail is a ``mail_outbox`` row
(``event_id``), which carries the private links it needs in its own ``context`` and empties it
once sent; webhook deliveries will be rows of their own the same way, claimed with
``FOR UPDATE SKIP LOCKED`` and a lease and settled one by one. The events themselves are never
claimed or changed, so any number of consumers can read the same one.
"""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from confman.db.base import Base, JsonB


class Event(enum.StrEnum):
    """Every event the outbox carries. The first eight are public (webhooks publish them);
    the others are internal (only e-mails follow them)."""

    REGISTRATION_CREATED = "registration.created"
    REGISTRATION_CONFIRMED = "registration.confirmed"
    REGISTRATION_WAITLISTED = "registration.waitlisted"
    REGISTRATION_PROMOTED = "registration.promoted"
    REGISTRATION_CANCELLED = "registration.cancelled"
    SESSION_CHANGED = "session.changed"
    PROGRAMME_RELEASED = "programme.released"
    ATTENDANCE_JOINED = "attendance.joined"
    # A known address was submitted again (the "already registered" e-mail).
    REGISTRATION_REPEATED = "registration.repeated"
    # An organiser sent a registration's status e-mail (or confirmation link) again.
    REGISTRATION_RESENT = "registration.resent"
    # A seat in a session with a capacity became an attendee's (taken, or from its waiting list).
    SEAT_GRANTED = "seat.granted"
    # A followed session starts soon: its reminder is due.
    REMINDER_DUE = "reminder.due"
    # An organiser sent a message to attendees (payload: the message's id and its recipients).
    MESSAGE_SENT = "message.sent"


PUBLIC_EVENTS = frozenset(
    {
        Event.REGISTRATION_CREATED,
        Event.REGISTRATION_CONFIRMED,
        Event.REGISTRATION_WAITLISTED,
        Event.REGISTRATION_PROMOTED,
        Event.REGISTRATION_CANCELLED,
        Event.SESSION_CHANGED,
        Event.PROGRAMME_RELEASED,
        Event.ATTENDANCE_JOINED,
    }
)
# The shape of the payloads written now; a consumer reads ``payload_version`` before the payload.
PAYLOAD_VERSION = 1


class OutboxEvent(Base):
    """One event. ``name`` is an :class:`Event` value (a plain string column, so that a new
    event needs no migration); ``created_at`` is when it happened."""

    __tablename__ = "outbox_event"
    __table_args__ = (Index("ix_outbox_event_conference_id_id", "conference_id", "id"),)

    name: Mapped[str] = mapped_column(String(64))
    payload_version: Mapped[int] = mapped_column(default=PAYLOAD_VERSION)
    payload: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id", ondelete="CASCADE"))
