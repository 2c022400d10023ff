from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from confman.db.base import Base, DateTimeUTC
from confman.db.models._types import enum_column

if TYPE_CHECKING:
    from confman.db.models.conferences import Conference


class MemberRole(enum.StrEnum):
    OWNER = "owner"
    ORGANISER = "organiser"


class User(Base):
    """An organiser account. Attendees are registrations, not users."""

    __tablename__ = "user_account"

    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(default=True)
    # Raised when the password changes: every web session signed in before then ends.
    auth_epoch: Mapped[int] = mapped_column(default=0, server_default=text("0"))

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user", lazy="raise", cascade="all, delete-orphan")


class ApiToken(Base):
    """A bearer token for the API. Only the SHA-256 of the secret is stored."""

    __tablename__ = "api_token"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters of the token, shown in listings so people can tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(16))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)

    user: Mapped[User] = relationship(back_populates="tokens", lazy="raise")


class ConferenceMember(Base):
    """A user's role in one conference; without a row, the conference does not exist for them."""

    __tablename__ = "conference_member"
    __table_args__ = (UniqueConstraint("conference_id", "user_id"),)

    conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    role: Mapped[MemberRole] = mapped_column(enum_column(MemberRole, "member_role"))

    user: Mapped[User] = relationship(lazy="raise")
    conference: Mapped[Conference] = relationship(back_populates="members", lazy="raise")


class AccountTokenPurpose(enum.StrEnum):
    # "Forgot my password": sets a new password for an existing account.
    RESET = "reset"
    # An owner's invitation: joins a conference, creating the account when there is none.
    INVITE = "invite"


class AccountToken(Base):
    """A one-time link sent by e-mail (password reset, invitation). Only the SHA-256 is stored."""

    __tablename__ = "account_token"
    __table_args__ = (Index("ix_account_token_email", "email"),)

    purpose: Mapped[AccountTokenPurpose] = mapped_column(enum_column(AccountTokenPurpose, "account_token_purpose"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Lower-cased; an invitation may name an address that has no account yet.
    email: Mapped[str] = mapped_column(String(320))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), default=None)
    # An invitation's conference and role, and who sent it.
    conference_id: Mapped[int | None] = mapped_column(ForeignKey("conference.id", ondelete="CASCADE"), default=None)
    role: Mapped[MemberRole | None] = mapped_column(enum_column(MemberRole, "member_role"), default=None)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), default=None)
    expires_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
