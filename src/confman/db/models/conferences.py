from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from confman.db.base import GUID, Base, DateTimeUTC, JsonB
from confman.db.models._types import Translations, enum_column

if TYPE_CHECKING:
    from confman.db.models.accounts import ConferenceMember
    from confman.db.models.programme import ConferenceSession
    from confman.db.models.speakers import Speaker


class ConferenceStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class Conference(Base):
    __tablename__ = "conference"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="dates_in_order"),)

    # Stable identity for exports and calendar UIDs; survives export/import.
    guid: Mapped[uuid.UUID] = mapped_column(GUID, default=uuid.uuid4, unique=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[Translations] = mapped_column(JsonB)
    description: Mapped[Translations] = mapped_column(JsonB, default=dict)
    timezone: Mapped[str] = mapped_column(String(64))
    default_language: Mapped[str] = mapped_column(String(16))
    languages: Mapped[list[str]] = mapped_column(JsonB)
    status: Mapped[ConferenceStatus] = mapped_column(
        enum_column(ConferenceStatus, "conference_status"), default=ConferenceStatus.DRAFT
    )
    # Local dates in the conference's zone.
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    # Raised on every change to what the public programme shows (ETags, feeds).
    programme_version: Mapped[int] = mapped_column(default=1)
    programme_changed_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    # Branding: ``#rrggbb`` or None (the site's own colour); the logo is the conference's
    # ``StoredFile`` with ``purpose = "logo"``. Embedding: the origins (``https://host[:port]``)
    # whose pages may frame ``/{conf}/embed/programme/``.
    accent_color: Mapped[str | None] = mapped_column(String(7), default=None)
    embed_origins: Mapped[list[str]] = mapped_column(JsonB, default=list, server_default=text("'[]'"))

    tracks: Mapped[list[Track]] = relationship(
        back_populates="conference", lazy="raise", cascade="all, delete-orphan", passive_deletes=True
    )
    streams: Mapped[list[Stream]] = relationship(
        back_populates="conference", lazy="raise", cascade="all, delete-orphan", passive_deletes=True
    )
    speakers: Mapped[list[Speaker]] = relationship(
        back_populates="conference", lazy="raise", cascade="all, delete-orphan", passive_deletes=True
    )
    sessions: Mapped[list[ConferenceSession]] = relationship(
        back_populates="conference", lazy="raise", cascade="all, delete-orphan", passive_deletes=True
    )
    members: Mapped[list[ConferenceMember]] = relationship(
        back_populates="conference", lazy="raise", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def is_published(self) -> bool:
        return self.status is ConferenceStatus.PUBLISHED

    def text(self, field: Translations, language: str | None = None) -> str:
        """The value of a translatable field in ``language``, else the default language."""
        if language and field.get(language):
            return field[language]
        return field.get(self.default_language) or next(iter(field.values()), "")

    def __repr__(self) -> str:
        return f"<Conference {self.slug}>"


class Track(Base):
    __tablename__ = "track"
    __table_args__ = (UniqueConstraint("conference_id", "slug"),)

    conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(64))
    name: Mapped[Translations] = mapped_column(JsonB)
    color: Mapped[str | None] = mapped_column(String(7), default=None)
    position: Mapped[int] = mapped_column(default=0)

    conference: Mapped[Conference] = relationship(back_populates="tracks", lazy="raise")


class Stream(Base):
    """An online room. ``meeting_url`` is a secret shown only to organisers and behind /join/."""

    __tablename__ = "stream"
    __table_args__ = (UniqueConstraint("conference_id", "slug"),)

    guid: Mapped[uuid.UUID] = mapped_column(GUID, default=uuid.uuid4, unique=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    public_url: Mapped[str | None] = mapped_column(Text, default=None)
    meeting_url: Mapped[str | None] = mapped_column(Text, default=None)
    position: Mapped[int] = mapped_column(default=0)

    conference: Mapped[Conference] = relationship(back_populates="streams", lazy="raise")
