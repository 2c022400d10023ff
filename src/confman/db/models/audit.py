"""The organisers' audit trail: who changed what in a conference, when, before and after."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from confman.db.base import Base, JsonB


class AuditRecord(Base):
    """One organiser change. ``created_at`` is when. ``before``/``after`` hold only the changed
    fields, never an attendee's personal data (registrations are recorded by id alone)."""

    __tablename__ = "audit_record"
    __table_args__ = (Index("ix_audit_record_conference_id_id", "conference_id", "id"),)

    conference_id: Mapped[int | None] = mapped_column(ForeignKey("conference.id", ondelete="CASCADE"), default=None)
    # Kept as text too, so the record still names its author after the account is deleted.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), default=None)
    actor: Mapped[str] = mapped_column(String(320))
    # "created", "changed", "deleted", or an action's own name ("meeting_url.revealed").
    action: Mapped[str] = mapped_column(String(64))
    # What was changed: a table name and the row's human key (a slug, an e-mail, an id).
    entity: Mapped[str] = mapped_column(String(64))
    entity_key: Mapped[str] = mapped_column(String(200))
    before: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    after: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
