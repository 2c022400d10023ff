"""Announcements: a conference's news, written per language, published now or at a set time.

An announcement is visible to the public when it is ``published`` and its ``publish_at`` has
come (a later ``publish_at`` is a scheduled one). ``revision`` rises with every change, so a
public page's cache key (the visible announcements' ids and revisions) changes with it.
Sending one to attendees is recorded per registration status it covered
(``announcement_sending``): the unique constraint lets each status be sent to once.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from confman.db.base import GUID, Base, DateTimeUTC, JsonB
from confman.db.models._types import Translations, enum_column


class AnnouncementStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class Announcement(Base):
    __tablename__ = "announcement"
    __table_args__ = (
        UniqueConstraint("conference_id", "slug"),
        Index("ix_announcement_conference_id_publish_at", "conference_id", "publish_at"),
    )

    # Stable identity: the Atom entries' ids (per language) survive a change of slug.
    guid: Mapped[uuid.UUID] = mapped_column(GUID, default=uuid.uuid4, unique=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(64))
    # {language: text}; the body is Markdown. The conference's default language is always there.
    title: Mapped[Translations] = mapped_column(JsonB)
    body: Mapped[Translations] = mapped_column(JsonB)
    status: Mapped[AnnouncementStatus] = mapped_column(
        enum_column(AnnouncementStatus, "announcement_status"), default=AnnouncementStatus.DRAFT
    )
    # When it shows (UTC); None until it is first published. Later than now: scheduled.
    publish_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    pinned: Mapped[bool] = mapped_column(default=False)
    revision: Mapped[int] = mapped_column(default=1)


class AnnouncementSending(Base):
    """An announcement sent to the attendees of one registration status (``confirmed`` or
    ``waitlisted``): at most one row per pair, so a status is never sent the same text twice."""

    __tablename__ = "announcement_sending"
    __table_args__ = (UniqueConstraint("announcement_id", "status"),)

    announcement_id: Mapped[int] = mapped_column(ForeignKey("announcement.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16))
    # The organiser's message that carried it (outreach): its e-mails and their delivery.
    message_id: Mapped[int | None] = mapped_column(ForeignKey("attendee_message.id", ondelete="SET NULL"), default=None)
    recipients: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
