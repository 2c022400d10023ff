"""Users, tokens and conference membership."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from confman.db.models import ApiToken, Conference, ConferenceMember, MemberRole, User
from confman.lib.errors import ConflictError, FieldError, not_found
from confman.lib.timezones import utcnow
from confman.lib.tokens import hash_token, new_token

_hasher = PasswordHasher()
# Verifying against this when the e-mail is unknown keeps the timing of both failures alike.
_DUMMY_HASH = _hasher.hash("confman-dummy-password")

TOKEN_PREFIX = "cm"  # noqa: S105 - a label in front of the secret, not a secret
# The shortest password an account may have (and the longest we hash).
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024


def check_password(password: str, field: str = "password") -> None:
    """Refuse a password that is too short (or absurdly long), naming ``field``."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise FieldError(field, "password_too_short", f"must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise FieldError(field, "too_long", f"must be at most {MAX_PASSWORD_LENGTH} characters")


class UserService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def create(self, email: str, name: str, password: str) -> User:
        email = email.strip().lower()
        if await self.db.scalar(select(User.id).where(User.email == email)) is not None:
            raise ConflictError("email", "duplicate", "an account with this e-mail exists")
        check_password(password)
        user = User(email=email, name=name, password_hash=_hasher.hash(password))
        self.db.add(user)
        await self.db.flush()
        return user

    async def get_by_email(self, email: str) -> User | None:
        result: User | None = await self.db.scalar(select(User).where(User.email == email.strip().lower()))
        return result

    async def authenticate(self, email: str, password: str) -> User | None:
        user = await self.get_by_email(email)
        try:
            _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
        except VerificationError:
            return None
        if user is None or not user.is_active:
            return None
        return user

    def password_matches(self, user: User, password: str) -> bool:
        try:
            return bool(_hasher.verify(user.password_hash, password))
        except VerificationError:
            return False

    async def set_password(self, user: User, password: str) -> None:
        """A new password; every web session signed in before it ends (``auth_epoch``)."""
        check_password(password)
        user.password_hash = _hasher.hash(password)
        user.auth_epoch = user.auth_epoch + 1
        await self.db.flush()

    async def rename(self, user: User, name: str) -> None:
        user.name = name
        await self.db.flush()


class TokenService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def issue(self, user: User, name: str) -> tuple[ApiToken, str]:
        secret = new_token(TOKEN_PREFIX)
        token = ApiToken(user_id=user.id, name=name, token_hash=hash_token(secret), prefix=secret[:10])
        self.db.add(token)
        await self.db.flush()
        return token, secret

    async def user_for(self, secret: str, *, touch: bool) -> User | None:
        """The active user a live token belongs to. The lookup is by hash, never by secret."""
        row = (
            await self.db.execute(
                select(ApiToken, User)
                .join(User, User.id == ApiToken.user_id)
                .where(ApiToken.token_hash == hash_token(secret), ApiToken.revoked_at.is_(None))
            )
        ).first()
        if row is None:
            return None
        token, user = row._tuple()
        if not user.is_active:
            return None
        if touch:
            # Only on requests that write anyway, so that reads stay read-only.
            await self.db.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=utcnow()))
        return user

    async def list_for(self, user: User) -> list[ApiToken]:
        result = await self.db.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id))
        return list(result)

    async def replace(self, user: User, name: str) -> tuple[ApiToken, str]:
        """A new token named ``name``, the user's earlier live ones of that name revoked (the
        demo prints a new token on every start; the old ones must not pile up, valid forever)."""
        await self.db.execute(
            update(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.name == name, ApiToken.revoked_at.is_(None))
            .values(revoked_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        return await self.issue(user, name)

    async def revoke(self, user: User, token_id: int) -> ApiToken:
        token = await self.db.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id))
        if token is None:
            raise not_found("Token not found")
        if token.revoked_at is None:
            token.revoked_at = utcnow()
            await self.db.flush()
        return token


class MembershipService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def role_in(self, user: User, conference: Conference) -> MemberRole | None:
        role: MemberRole | None = await self.db.scalar(
            select(ConferenceMember.role).where(
                ConferenceMember.conference_id == conference.id, ConferenceMember.user_id == user.id
            )
        )
        return role

    async def list(self, conference: Conference) -> list[ConferenceMember]:
        result = await self.db.scalars(
            select(ConferenceMember)
            .where(ConferenceMember.conference_id == conference.id)
            .options(joinedload(ConferenceMember.user))
            .order_by(ConferenceMember.id)
        )
        return list(result)

    async def add(self, conference: Conference, email: str, role: MemberRole) -> ConferenceMember:
        user = await UserService(self.db).get_by_email(email)
        if user is None:
            # Only owners reach this; organiser accounts are made with `confman user create`.
            raise FieldError("email", "unknown_user", "no organiser account has this e-mail")
        existing = await self.db.scalar(
            select(ConferenceMember).where(
                ConferenceMember.conference_id == conference.id, ConferenceMember.user_id == user.id
            )
        )
        if existing is not None:
            raise ConflictError("email", "duplicate", "already a member of this conference")
        member = ConferenceMember(conference_id=conference.id, user_id=user.id, role=role)
        member.user = user
        self.db.add(member)
        await self.db.flush()
        return member

    async def get(self, conference: Conference, member_id: int) -> ConferenceMember:
        member = await self.db.scalar(
            select(ConferenceMember)
            .where(ConferenceMember.id == member_id, ConferenceMember.conference_id == conference.id)
            .options(joinedload(ConferenceMember.user))
        )
        if member is None:
            raise not_found("Member not found")
        return member

    async def _keep_an_owner(self, conference: Conference, member: ConferenceMember) -> None:
        """Refuse to take ``member``'s ownership away when no other owner would remain. The
        owners' rows are locked (PostgreSQL; SQLite's write lock is held already), so two
        owners demoting each other at once cannot leave the conference without one."""
        if member.role is not MemberRole.OWNER:
            return
        owners = await self.db.scalars(
            select(ConferenceMember.id)
            .where(ConferenceMember.conference_id == conference.id, ConferenceMember.role == MemberRole.OWNER)
            .with_for_update()
        )
        if [owner for owner in owners if owner != member.id] == []:
            raise FieldError("role", "last_owner", "a conference must keep at least one owner", status_code=409)

    async def change_role(self, conference: Conference, member_id: int, role: MemberRole) -> ConferenceMember:
        member = await self.get(conference, member_id)
        if member.role is not role:
            if role is not MemberRole.OWNER:
                await self._keep_an_owner(conference, member)
            member.role = role
            await self.db.flush()
        return member

    async def remove(self, conference: Conference, member_id: int) -> None:
        member = await self.get(conference, member_id)
        await self._keep_an_owner(conference, member)
        await self.db.delete(member)
        await self.db.flush()
