"""Organisers' messages to their attendees: what was written, to whom (the filter), by whom."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from confman.db.base import Base, DateTimeUTC, JsonB
from confman.db.models._types import Translations


class AttendeeMessage(Base):
    """One message an organiser sent to a conference's attendees (or a filtered set of them).
    Each recipient's e-mail is a ``mail_outbox`` row (kind ``attendee_message``) delivering the
    message's event ``message.sent`` (``event_id``), so its delivery is counted from there."""

    __tablename__ = "attendee_message"
    __table_args__ = (Index("ix_attendee_message_conference_id_id", "conference_id", "id"),)

    conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id", ondelete="CASCADE"))
    # {language: text}; the body is Markdown. The conference's default language is always there.
    subject: Mapped[Translations] = mapped_column(JsonB, default=dict)
    body: Mapped[Translations] = mapped_column(JsonB, default=dict)
    # The audience filter's query parameters, as pairs (``AudienceFilter.params()``).
    audience: Mapped[list[Any]] = mapped_column(JsonB, default=list)
    recipients: Mapped[int] = mapped_column(default=0)
    # Kept as text too, so the message still names its author after the account is deleted.
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), default=None)
    sent_by_name: Mapped[str] = mapped_column(String(320))
    sent_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_event.id", ondelete="SET NULL"), default=None)
