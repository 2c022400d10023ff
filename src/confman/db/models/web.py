"""What the organisers' web pages keep on the server: sign-in sessions and uploaded files."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from confman.db.base import GUID, Base, DateTimeUTC


class WebSession(Base):
    """A server-side session (Litestar's session middleware through ``db.session_store``):
    the cookie holds only the key; signing out deletes the row."""

    __tablename__ = "web_session"
    __table_args__ = (Index("ix_web_session_expires_at", "expires_at"),)

    key: Mapped[str] = mapped_column(String(200), unique=True)
    value: Mapped[bytes] = mapped_column(LargeBinary)
    expires_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)


# ``StoredFile.purpose`` of a conference's logo.
LOGO = "logo"


class StoredFile(Base):
    """An uploaded file (a speaker's photo, a conference's logo), in the database so every app
    server reads it."""

    __tablename__ = "stored_file"

    guid: Mapped[uuid.UUID] = mapped_column(GUID, default=uuid.uuid4, unique=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id", ondelete="CASCADE"), index=True)
    content_type: Mapped[str] = mapped_column(String(100))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    width: Mapped[int]
    height: Mapped[int]
    # SHA-256 of ``data``: the file's ETag and its public name, /media/{sha256}.{ext}.
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    # None: a speaker's photo (``speaker.photo_id``); "logo": the conference's logo (one at a
    # time). Kept here rather than as a key on ``conference``, which SQLite could only add by
    # rebuilding the table every other one refers to.
    purpose: Mapped[str | None] = mapped_column(String(16), default=None)
