"""Attendee registrations, their private tokens and each conference's registration settings."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text, true
from sqlalchemy.orm import Mapped, mapped_column

from confman.db.base import Base, DateTimeUTC, JsonB
from confman.db.models._types import Translations, enum_column


class RegistrationStatus(enum.StrEnum):
    # Submitted, e-mail address not yet confirmed (double opt-in): holds no seat.
    PENDING = "pending"
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


class TokenPurpose(enum.StrEnum):
    CONFIRM = "confirm"
    # The attendee's private page, /me/{token}/ (and cancelling by private link).
    MANAGE = "manage"


class RegistrationSettings(Base):
    """A conference's registration rules. A conference without a row uses the defaults."""

    __tablename__ = "registration_settings"
    __table_args__ = (CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_not_negative"),)

    conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id", ondelete="CASCADE"), unique=True)
    # None: open now / open until the conference ends.
    opens_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    closes_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    # None: unlimited.
    capacity: Mapped[int | None] = mapped_column(default=None)
    waitlist: Mapped[bool] = mapped_column(default=True)
    double_opt_in: Mapped[bool] = mapped_column(default=True)
    privacy_text: Mapped[Translations] = mapped_column(JsonB, default=dict)
    # A list of question objects (see registration.schemas.Question), validated on write.
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JsonB, default=list)
    # The join window: from this many minutes before a session's start to this many after its end.
    join_opens_minutes: Mapped[int] = mapped_column(default=15, server_default=text("15"))
    join_closes_minutes: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    # Reminder e-mails this many minutes before each followed session; None: no reminders.
    reminder_minutes: Mapped[int | None] = mapped_column(default=60, server_default=text("60"))


class Registration(Base):
    """One attendee of one conference; an e-mail address registers at most once per conference."""

    __tablename__ = "registration"
    __table_args__ = (
        UniqueConstraint("conference_id", "email", name="uq_registration_email"),
        Index("ix_registration_conference_status", "conference_id", "status"),
        # The organisers' registrations page counts by status, country and zone in one pass over
        # this index alone (about four times quicker than over the table, at 10,000).
        Index("ix_registration_facets", "conference_id", "status", "country", "timezone"),
        UniqueConstraint("conference_id", "waitlist_seq", name="uq_registration_waitlist_seq"),
    )

    conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(300))
    country: Mapped[str | None] = mapped_column(String(2), default=None)
    timezone: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(16))
    answers: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    consented_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    status: Mapped[RegistrationStatus] = mapped_column(enum_column(RegistrationStatus, "registration_status"))
    # Order on the waiting list (the position is the rank among those still waiting).
    waitlist_seq: Mapped[int | None] = mapped_column(default=None)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    # False: only the sessions in session_follow (and those with a seat) are followed.
    follows_all: Mapped[bool] = mapped_column(default=True, server_default=true())
    # The attendee deleted their data: the row stays (cancelled, anonymous) so counts add up.
    erased_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)


class RegistrationTally(Base):
    """A conference's running counts, kept by database triggers (migration 0005: made with the
    conference, adjusted by every status change), so that placing a registration reads one row
    instead of counting every registration (which made each placement slower as a conference
    filled). Locking this row (PostgreSQL) is what serialises the conference's seat allocation."""

    __tablename__ = "registration_tally"
    __table_args__ = (CheckConstraint("confirmed >= 0 AND waiting >= 0", name="counts_not_negative"),)

    conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id", ondelete="CASCADE"), unique=True)
    confirmed: Mapped[int] = mapped_column(default=0)
    waiting: Mapped[int] = mapped_column(default=0)
    # The highest waitlist_seq ever given (never lowered): the next place is one more.
    last_waitlist_seq: Mapped[int] = mapped_column(default=0)


class RegistrationToken(Base):
    """A private link's token, stored only as its SHA-256. A registration may have several
    (each e-mail carries a fresh one, since the secret itself is never kept)."""

    __tablename__ = "registration_token"

    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[TokenPurpose] = mapped_column(enum_column(TokenPurpose, "token_purpose"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
