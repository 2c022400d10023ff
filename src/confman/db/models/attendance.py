"""What an attendee does with the sessions: follow them, hold workshop seats, join them,
get reminded of them; and the private links (feed, join) that lead there."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from confman.db.base import Base, DateTimeUTC
from confman.db.models._types import enum_column


class AttendeeLink(Base):
    """The attendee's calendar-feed and join tokens, stored only as SHA-256.

    Both tokens are HMACs of the server's secret key over (purpose, registration, ``salt``),
    so the attendee's page and the feed can show them again without keeping them; a new
    ``salt`` (rotating the links) makes the old ones answer 404.
    """

    __tablename__ = "attendee_link"

    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"), unique=True)
    salt: Mapped[str] = mapped_column(String(64))
    feed_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    join_token_hash: Mapped[str] = mapped_column(String(64), unique=True)


class SessionFollow(Base):
    """A session an attendee follows, when they chose some rather than all (``follows_all``)."""

    __tablename__ = "session_follow"
    __table_args__ = (UniqueConstraint("registration_id", "session_id"),)

    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"))
    session_id: Mapped[int] = mapped_column(ForeignKey("conference_session.id", ondelete="CASCADE"), index=True)


class SeatStatus(enum.StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


class SessionSeat(Base):
    """A seat (or a waiting-list place) in a session with its own capacity, such as a workshop."""

    __tablename__ = "session_seat"
    __table_args__ = (
        UniqueConstraint("session_id", "registration_id"),
        UniqueConstraint("session_id", "waitlist_seq", name="uq_session_seat_waitlist_seq"),
        Index("ix_session_seat_session_status", "session_id", "status"),
    )

    session_id: Mapped[int] = mapped_column(ForeignKey("conference_session.id", ondelete="CASCADE"))
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"), index=True)
    status: Mapped[SeatStatus] = mapped_column(enum_column(SeatStatus, "seat_status"))
    waitlist_seq: Mapped[int | None] = mapped_column(default=None)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)


class SessionAttendance(Base):
    """Who went through the join gate of a session: the first time and how often."""

    __tablename__ = "session_attendance"
    __table_args__ = (UniqueConstraint("session_id", "registration_id"),)

    session_id: Mapped[int] = mapped_column(ForeignKey("conference_session.id", ondelete="CASCADE"))
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"), index=True)
    first_joined_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    last_joined_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    joins: Mapped[int] = mapped_column(default=1)


class SessionReminder(Base):
    """A reminder e-mail queued for one attendee and one session start: the unique key is what
    makes it once only, however many workers look for due reminders at the same moment."""

    __tablename__ = "session_reminder"
    __table_args__ = (UniqueConstraint("registration_id", "session_id", "starts_at"),)

    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"))
    session_id: Mapped[int] = mapped_column(ForeignKey("conference_session.id", ondelete="CASCADE"), index=True)
    # The start it reminds of: a session moved later gets a new reminder for its new time.
    starts_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
