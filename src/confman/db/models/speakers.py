from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from confman.db.base import GUID, Base, JsonB
from confman.db.models._types import Translations

if TYPE_CHECKING:
    from confman.db.models.conferences import Conference
    from confman.db.models.programme import SessionSpeaker


class Speaker(Base):
    __tablename__ = "speaker"
    __table_args__ = (UniqueConstraint("conference_id", "slug"),)

    guid: Mapped[uuid.UUID] = mapped_column(GUID, default=uuid.uuid4, unique=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    # ISO 3166-1 alpha-2, shown by name in the viewer's language. None = unknown: the API
    # always asks for a country, but imported schedules (frab/pretalx) carry none.
    country: Mapped[str | None] = mapped_column(String(2), default=None)
    # IANA zone; None when the country spans several zones and none was given.
    timezone: Mapped[str | None] = mapped_column(String(64), default=None)
    # Organisers only (release e-mails): never in a public answer, page, feed or export for the public.
    email: Mapped[str | None] = mapped_column(String(320), default=None)
    bio: Mapped[Translations] = mapped_column(JsonB, default=dict)
    # [{"title": "…", "url": "https://…"}]
    links: Mapped[list[dict[str, str]]] = mapped_column(JsonB, default=list)
    # The photo (db.models.web.StoredFile), resized and without metadata.
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id", ondelete="SET NULL"), default=None)

    conference: Mapped[Conference] = relationship(back_populates="speakers", lazy="raise")
    session_links: Mapped[list[SessionSpeaker]] = relationship(
        back_populates="speaker", lazy="raise", passive_deletes=True
    )
