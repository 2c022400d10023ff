"""Programme changes and releases: every public change of a session, with its state before and
after, and the named versions (releases) organisers publish, which group the changes since the
previous one."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from confman.db.base import Base, DateTimeUTC, JsonB
from confman.db.models._types import Translations


class ChangeKind(enum.StrEnum):
    """What a change did to a session, as the public sees it. One change of a session may be
    several kinds at once (moved and rescheduled): each is a row."""

    ADDED = "added"  # it appeared in the public programme (created, or out of draft)
    REMOVED = "removed"  # it left the public programme (deleted, or back to draft)
    RESCHEDULED = "rescheduled"  # its start or end changed
    MOVED = "moved"  # its stream changed
    CANCELLED = "cancelled"
    RESTORED = "restored"  # cancelled, then confirmed again
    SPEAKERS = "speakers"  # who speaks, or in which order
    TITLE = "title"


class ProgrammeRelease(Base):
    """A named checkpoint of a conference's programme (``name`` unique per conference, e.g. "1.2")."""

    __tablename__ = "programme_release"
    __table_args__ = (UniqueConstraint("conference_id", "name"),)

    conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(32))
    # {language: text}, in the conference's languages; may be empty.
    note: Mapped[Translations] = mapped_column(JsonB, default=dict)
    # The programme version the release raised the programme to.
    programme_version: Mapped[int] = mapped_column()
    change_count: Mapped[int] = mapped_column(default=0)
    released_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    released_by_name: Mapped[str] = mapped_column(String(320), default="")


class ProgrammeChange(Base):
    """One public change of one session, written in the transaction of the change itself.
    ``before``/``after`` are the session's public state (``conferences.change_record.snapshot``): title,
    times, stream, status, speakers; ``None`` where it was not (yet, or any more) public.
    ``release_id`` stays NULL until a release takes it."""

    __tablename__ = "programme_change"
    __table_args__ = (Index("ix_programme_change_conference_id_release_id", "conference_id", "release_id"),)

    conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id", ondelete="CASCADE"))
    release_id: Mapped[int | None] = mapped_column(
        ForeignKey("programme_release.id", ondelete="SET NULL"), default=None, index=True
    )
    # NULL once the session is deleted; the slug and the snapshots keep telling what it was.
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("conference_session.id", ondelete="SET NULL"), default=None, index=True
    )
    session_slug: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    before: Mapped[dict[str, Any] | None] = mapped_column(JsonB, default=None, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JsonB, default=None, nullable=True)
    # Never public: for a ``removed`` change only, what its release e-mail needs once the session
    # is gone (its follows cascade away with it): {"guid", "revision", "registrations": [ids],
    # "speakers": [ids]} (``conferences.change_record``).
    removal: Mapped[dict[str, Any] | None] = mapped_column(JsonB, default=None, nullable=True)
    changed_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
