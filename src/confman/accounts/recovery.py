"""One-time links by e-mail (``AccountToken``): a forgotten password, and an owner's invitation.

The secret is in the e-mail only; the database keeps its SHA-256, so a leaked table opens no
account. A link works once and for a limited time (an hour to reset, seven days to join).
Asking for a reset says nothing about whether the address has an account: the caller shows
the same answer either way, and only an existing, active account gets an e-mail. Setting a
password raises the account's ``auth_epoch``, which ends every web session signed in before.

An invitation to an address that has an account adds it at once (and tells them); otherwise
its holder chooses a name and a password, which creates the account and the membership:
there is no other way to get an organiser account from the web.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from confman.accounts import notices
from confman.accounts.services import MembershipService, UserService, check_password
from confman.audit.recorder import set_actor
from confman.db.models import (
    AccountToken,
    AccountTokenPurpose,
    Conference,
    ConferenceMember,
    MemberRole,
    User,
)
from confman.lib.errors import ConflictError, FieldError
from confman.lib.timezones import utcnow
from confman.lib.tokens import hash_token, new_token

RESET_LIFETIME = timedelta(hours=1)
INVITATION_LIFETIME = timedelta(days=7)
RESET_PREFIX = "pr"
INVITATION_PREFIX = "iv"


class InvalidLink(Exception):
    """The link is unknown, used, expired, or its account is gone (one answer for all)."""


@dataclass(frozen=True)
class Invitation:
    """A pending invitation, as pages show it (plain data)."""

    id: int
    email: str
    role: str
    invited_by: str
    expires_at: datetime
    has_account: bool = False
    conference_slug: str = ""


class AccountLinks:
    def __init__(self, db: AsyncSession, base_url: str) -> None:
        self.db = db
        self.base_url = base_url

    async def _issue(self, purpose: AccountTokenPurpose, prefix: str, lifetime: timedelta, **values: object) -> str:
        secret = new_token(prefix)
        self.db.add(
            AccountToken(purpose=purpose, token_hash=hash_token(secret), expires_at=utcnow() + lifetime, **values)
        )
        await self.db.flush()
        return secret

    async def _live(self, secret: str, purpose: AccountTokenPurpose) -> AccountToken:
        """The unused, unexpired token of ``purpose`` for ``secret`` (looked up by hash)."""
        if not secret or len(secret) > 200:
            raise InvalidLink
        token = await self.db.scalar(
            select(AccountToken).where(AccountToken.token_hash == hash_token(secret), AccountToken.purpose == purpose)
        )
        if token is None or token.used_at is not None or token.expires_at <= utcnow():
            raise InvalidLink
        return token

    # --- a forgotten password -----------------------------------------------------------

    async def request_reset(self, email: str, language: str) -> None:
        """E-mail a reset link if ``email`` is an active account's; otherwise do nothing. The
        caller answers the same in both cases."""
        user = await UserService(self.db).get_by_email(email)
        if user is None or not user.is_active:
            return
        secret = await self._issue(
            AccountTokenPurpose.RESET, RESET_PREFIX, RESET_LIFETIME, email=user.email, user_id=user.id
        )
        notices.queue(
            self.db,
            notices.Kind.PASSWORD_RESET,
            recipient=user.email,
            language=language,
            base_url=self.base_url,
            context={"name": user.name, "url": notices.password_reset_url(self.base_url, secret)},
        )
        await self.db.flush()

    async def reset_account(self, secret: str) -> User:
        """The account a live reset link is for (``InvalidLink`` otherwise)."""
        token = await self._live(secret, AccountTokenPurpose.RESET)
        user = await self.db.get(User, token.user_id) if token.user_id is not None else None
        if user is None or not user.is_active:
            raise InvalidLink
        return user

    async def reset_password(self, secret: str, password: str) -> User:
        """Use the link: the new password, every other reset link of the account spent, and
        every session signed in before ended."""
        user = await self.reset_account(secret)
        await UserService(self.db).set_password(user, password)
        await self.db.execute(
            update(AccountToken)
            .where(
                AccountToken.user_id == user.id,
                AccountToken.purpose == AccountTokenPurpose.RESET,
                AccountToken.used_at.is_(None),
            )
            .values(used_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        return user

    # --- invitations --------------------------------------------------------------------

    async def invite(
        self, conference: Conference, email: str, role: MemberRole, inviter: User, language: str
    ) -> ConferenceMember | None:
        """Add ``email`` to ``conference``: at once when it has an account (the member is
        returned), else by an invitation link (None). Inviting a pending address again
        replaces its link."""
        email = email.strip().lower()
        members = MembershipService(self.db)
        user = await UserService(self.db).get_by_email(email)
        context = {"inviter": inviter.name, "role": role.value}
        if user is not None:
            member = await members.add(conference, email, role)
            notices.queue(
                self.db,
                notices.Kind.MEMBER_ADDED,
                recipient=user.email,
                language=language,
                base_url=self.base_url,
                conference_id=conference.id,
                context={
                    **context,
                    "name": user.name,
                    "url": notices.conference_orga_url(self.base_url, conference.slug),
                },
            )
            await self.db.flush()
            return member
        for pending in await self._pending(conference, email):
            await self.db.delete(pending)
        secret = await self._issue(
            AccountTokenPurpose.INVITE,
            INVITATION_PREFIX,
            INVITATION_LIFETIME,
            email=email,
            conference_id=conference.id,
            role=role,
            invited_by_id=inviter.id,
        )
        notices.queue(
            self.db,
            notices.Kind.INVITATION,
            recipient=email,
            language=language,
            base_url=self.base_url,
            conference_id=conference.id,
            context={**context, "url": notices.invitation_url(self.base_url, secret)},
        )
        await self.db.flush()
        return None

    async def _pending(self, conference: Conference, email: str | None = None) -> list[AccountToken]:
        query = select(AccountToken).where(
            AccountToken.purpose == AccountTokenPurpose.INVITE,
            AccountToken.conference_id == conference.id,
            AccountToken.used_at.is_(None),
            AccountToken.expires_at > utcnow(),
        )
        if email is not None:
            query = query.where(AccountToken.email == email)
        return list(await self.db.scalars(query.order_by(AccountToken.id)))

    async def pending_invitations(self, conference: Conference) -> list[Invitation]:
        tokens = await self._pending(conference)
        inviter_ids = {t.invited_by_id for t in tokens if t.invited_by_id is not None}
        names: dict[int, str] = {}
        if inviter_ids:
            rows = await self.db.execute(select(User.id, User.name).where(User.id.in_(inviter_ids)))
            names = dict(rows.tuples().all())
        return [
            Invitation(
                id=t.id,
                email=t.email,
                role=t.role.value if t.role else "",
                invited_by=names.get(t.invited_by_id, "") if t.invited_by_id is not None else "",
                expires_at=t.expires_at,
            )
            for t in tokens
        ]

    async def revoke_invitation(self, conference: Conference, invitation_id: int) -> None:
        token = await self.db.scalar(
            select(AccountToken).where(
                AccountToken.id == invitation_id,
                AccountToken.conference_id == conference.id,
                AccountToken.purpose == AccountTokenPurpose.INVITE,
                AccountToken.used_at.is_(None),
            )
        )
        if token is None:
            raise FieldError("invitation", "not_found", "no such pending invitation", status_code=404)
        await self.db.delete(token)
        await self.db.flush()

    async def invitation(self, secret: str) -> Invitation:
        """A live invitation link: its address, role, conference, and whether the address
        has an account by now."""
        token = await self._live(secret, AccountTokenPurpose.INVITE)
        conference = await self.db.get(Conference, token.conference_id) if token.conference_id else None
        if conference is None or token.role is None:
            raise InvalidLink
        has_account = await UserService(self.db).get_by_email(token.email) is not None
        inviter = await self.db.get(User, token.invited_by_id) if token.invited_by_id else None
        return Invitation(
            id=token.id,
            email=token.email,
            role=token.role.value,
            invited_by=inviter.name if inviter else "",
            expires_at=token.expires_at,
            has_account=has_account,
            conference_slug=conference.slug,
        )

    async def accept(self, secret: str, *, name: str, password: str) -> User:
        """Use an invitation: create the account when the address has none (``name`` and
        ``password``), then the membership. Recorded in the audit trail as the invitee's."""
        token = await self._live(secret, AccountTokenPurpose.INVITE)
        conference = await self.db.get(Conference, token.conference_id) if token.conference_id else None
        if conference is None or token.role is None:
            raise InvalidLink
        users = UserService(self.db)
        user = await users.get_by_email(token.email)
        if user is None:
            check_password(password)
            user = await users.create(token.email, name, password)
        set_actor(self.db, user)
        token.used_at = utcnow()
        # A member already (added by an owner meanwhile): the link is spent all the same.
        with contextlib.suppress(ConflictError):
            await MembershipService(self.db).add(conference, user.email, token.role)
        await self.db.flush()
        return user
