from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from confman.db.base import GUID, Base, DateTimeUTC, JsonB
from confman.db.models._types import Translations, enum_column

if TYPE_CHECKING:
    from confman.db.models.conferences import Conference, Stream, Track
    from confman.db.models.speakers import Speaker


class SessionStatus(enum.StrEnum):
    DRAFT = "draft"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"


class SessionKind(enum.StrEnum):
    TALK = "talk"
    KEYNOTE = "keynote"
    PANEL = "panel"
    WORKSHOP = "workshop"
    DISCUSSION = "discussion"
    BREAK = "break"
    OTHER = "other"


class SpeakerRole(enum.StrEnum):
    SPEAKER = "speaker"
    CHAIR = "chair"
    MODERATOR = "moderator"


class ConferenceSession(Base):
    """A slot in the programme (named so to keep it apart from the database session)."""

    __tablename__ = "conference_session"
    __table_args__ = (
        UniqueConstraint("conference_id", "slug"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
        Index("ix_conference_session_conference_id_starts_at", "conference_id", "starts_at"),
    )

    # Stable forever: the iCalendar UID and frab guid are derived from it.
    guid: Mapped[uuid.UUID] = mapped_column(GUID, default=uuid.uuid4, unique=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(64))
    title: Mapped[Translations] = mapped_column(JsonB)
    abstract: Mapped[Translations] = mapped_column(JsonB, default=dict)
    kind: Mapped[SessionKind] = mapped_column(enum_column(SessionKind, "session_kind"), default=SessionKind.TALK)
    # The spoken language (a language code).
    language: Mapped[str] = mapped_column(String(16))
    track_id: Mapped[int | None] = mapped_column(ForeignKey("track.id", ondelete="SET NULL"), default=None)
    stream_id: Mapped[int | None] = mapped_column(ForeignKey("stream.id", ondelete="SET NULL"), default=None)
    starts_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    status: Mapped[SessionStatus] = mapped_column(
        enum_column(SessionStatus, "session_status"), default=SessionStatus.DRAFT
    )
    capacity: Mapped[int | None] = mapped_column(default=None)
    # Overrides the stream's meeting URL for this session; a secret like it.
    meeting_url: Mapped[str | None] = mapped_column(Text, default=None)
    # The recording, once there is one: the join link points there after the session ends.
    recording_url: Mapped[str | None] = mapped_column(Text, default=None)
    # Raised on every public change of this session (iCalendar SEQUENCE).
    revision: Mapped[int] = mapped_column(default=0)
    # When the public content last changed (iCalendar LAST-MODIFIED).
    changed_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))

    conference: Mapped[Conference] = relationship(back_populates="sessions", lazy="raise")
    track: Mapped[Track | None] = relationship(lazy="raise")
    stream: Mapped[Stream | None] = relationship(lazy="raise")
    speaker_links: Mapped[list[SessionSpeaker]] = relationship(
        back_populates="session",
        lazy="raise",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="SessionSpeaker.position",
    )

    @property
    def is_public(self) -> bool:
        return self.status is not SessionStatus.DRAFT


class SessionSpeaker(Base):
    __tablename__ = "session_speaker"
    __table_args__ = (UniqueConstraint("session_id", "speaker_id"),)

    session_id: Mapped[int] = mapped_column(ForeignKey("conference_session.id", ondelete="CASCADE"))
    speaker_id: Mapped[int] = mapped_column(ForeignKey("speaker.id", ondelete="CASCADE"), index=True)
    role: Mapped[SpeakerRole] = mapped_column(enum_column(SpeakerRole, "speaker_role"), default=SpeakerRole.SPEAKER)
    position: Mapped[int] = mapped_column(default=0)

    session: Mapped[ConferenceSession] = relationship(back_populates="speaker_links", lazy="raise")
    speaker: Mapped[Speaker] = relationship(back_populates="session_links", lazy="raise")
