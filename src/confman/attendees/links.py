"""The attendee's private links and the tokens in them.

Three tokens, so that sharing one gives nothing of the others:

- the page token (``/me/{token}/``: status, changes, cancel, delete) is in every e-mail; each
  e-mail carries a fresh one (``registration_token``, purpose ``manage``);
- the feed token (``/me/{token}/calendar.ics``), which a calendar shared with colleagues shows;
- the join token (``/join/{token}/{session}``), which the feed's events carry.

The feed and join tokens are HMACs of the server's secret key over (purpose, registration,
salt): the page and the feed can show them again without storing them, the database holds
only their SHA-256, and a new salt (rotating the links) makes the old ones answer 404.
Changing ``CONFMAN_SECRET_KEY`` changes them too: the next page view stores the new hashes,
and links handed out before stop working.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from confman.db.models import AttendeeLink, Registration, RegistrationToken, TokenPurpose
from confman.lib.timezones import utcnow
from confman.lib.tokens import hash_token, tokens_match

FEED = "f"
JOIN = "j"
# The page token's prefix (registration.notices issues it with the e-mails).
PAGE = "m"
# Longer than any token we hand out; anything longer is not looked up at all.
MAX_TOKEN_LENGTH = 100


@dataclass(frozen=True, slots=True)
class AttendeeTokens:
    feed: str
    join: str


def _derive(secret_key: str, prefix: str, registration_id: int, salt: str) -> str:
    digest = hmac.new(secret_key.encode(), f"{prefix}:{registration_id}:{salt}".encode(), hashlib.sha256).digest()
    return f"{prefix}_" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _tokens(secret_key: str, registration_id: int, salt: str) -> AttendeeTokens:
    return AttendeeTokens(
        feed=_derive(secret_key, FEED, registration_id, salt), join=_derive(secret_key, JOIN, registration_id, salt)
    )


def _store(row: AttendeeLink, tokens: AttendeeTokens) -> None:
    row.feed_token_hash = hash_token(tokens.feed)
    row.join_token_hash = hash_token(tokens.join)


async def _row(db: AsyncSession, registration_id: int) -> AttendeeLink | None:
    row: AttendeeLink | None = await db.scalar(
        select(AttendeeLink).where(AttendeeLink.registration_id == registration_id)
    )
    return row


async def attendee_tokens(db: AsyncSession, registration_id: int, secret_key: str) -> AttendeeTokens:
    """The registration's feed and join tokens, made the first time they are asked for."""
    row = await _row(db, registration_id)
    if row is None:
        row = AttendeeLink(registration_id=registration_id, salt=secrets.token_hex(16))
        tokens = _tokens(secret_key, registration_id, row.salt)
        _store(row, tokens)
        try:
            async with db.begin_nested():
                db.add(row)
                await db.flush()
        except IntegrityError:
            # Made at the same moment by another request (two tabs opening the page).
            row = await _row(db, registration_id)
            if row is None:
                raise
        else:
            return tokens
    tokens = _tokens(secret_key, registration_id, row.salt)
    if row.feed_token_hash != hash_token(tokens.feed) or row.join_token_hash != hash_token(tokens.join):
        # The secret key changed since: the links are new from now on.
        _store(row, tokens)
        await db.flush()
    return tokens


async def existing_tokens(db: AsyncSession, registration_id: int, secret_key: str) -> AttendeeTokens | None:
    """The tokens if the attendee has links already (read-only, for the feed)."""
    salt = await db.scalar(select(AttendeeLink.salt).where(AttendeeLink.registration_id == registration_id))
    return _tokens(secret_key, registration_id, salt) if salt is not None else None


async def rotate_tokens(db: AsyncSession, registration_id: int, secret_key: str) -> AttendeeTokens:
    """New feed and join links; the old ones answer 404 from the commit on."""
    await attendee_tokens(db, registration_id, secret_key)
    row = await _row(db, registration_id)
    assert row is not None
    row.salt = secrets.token_hex(16)
    tokens = _tokens(secret_key, registration_id, row.salt)
    _store(row, tokens)
    await db.flush()
    return tokens


def _plausible(token: str, prefix: str) -> bool:
    return bool(token) and len(token) <= MAX_TOKEN_LENGTH and token.startswith(prefix + "_")


async def _by_link(
    db: AsyncSession, token: str, prefix: str, column: InstrumentedAttribute[str]
) -> Registration | None:
    if not _plausible(token, prefix):
        return None
    row = (
        await db.execute(
            select(Registration, column)
            .join(AttendeeLink, AttendeeLink.registration_id == Registration.id)
            .where(column == hash_token(token))
        )
    ).first()
    if row is None or not tokens_match(token, row[1]):
        return None
    registration: Registration = row[0]
    return registration


async def registration_by_feed_token(db: AsyncSession, token: str) -> Registration | None:
    return await _by_link(db, token, FEED, AttendeeLink.feed_token_hash)


async def registration_by_join_token(db: AsyncSession, token: str) -> Registration | None:
    return await _by_link(db, token, JOIN, AttendeeLink.join_token_hash)


async def registration_by_page_token(db: AsyncSession, token: str) -> Registration | None:
    """The registration whose page ``token`` opens (any of the page links its e-mails carried)."""
    if not _plausible(token, PAGE):
        return None
    row = (
        await db.execute(
            select(Registration, RegistrationToken.token_hash)
            .join(RegistrationToken, RegistrationToken.registration_id == Registration.id)
            .where(RegistrationToken.token_hash == hash_token(token), RegistrationToken.purpose == TokenPurpose.MANAGE)
        )
    ).first()
    if row is None or not tokens_match(token, row[1]):
        return None
    registration: Registration = row[0]
    return registration


async def attendee_tokens_for(
    db: AsyncSession, registration_ids: list[int], secret_key: str
) -> dict[int, AttendeeTokens]:
    """Tokens for many registrations at once (reminders): missing links are made in one
    insert that skips rows another worker made at the same moment."""
    if not registration_ids:
        return {}
    salts = dict(
        (
            await db.execute(
                select(AttendeeLink.registration_id, AttendeeLink.salt).where(
                    AttendeeLink.registration_id.in_(registration_ids)
                )
            )
        )
        .tuples()
        .all()
    )
    missing = [registration_id for registration_id in registration_ids if registration_id not in salts]
    if missing:
        insert = postgresql_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
        now = utcnow()
        rows = []
        for registration_id in missing:
            salt = secrets.token_hex(16)
            tokens = _tokens(secret_key, registration_id, salt)
            rows.append(
                {"registration_id": registration_id, "salt": salt, "feed_token_hash": hash_token(tokens.feed),
                 "join_token_hash": hash_token(tokens.join), "created_at": now, "updated_at": now}
            )  # fmt: skip
        await db.execute(insert(AttendeeLink).values(rows).on_conflict_do_nothing(index_elements=["registration_id"]))
        salts.update(
            (
                await db.execute(
                    select(AttendeeLink.registration_id, AttendeeLink.salt).where(
                        AttendeeLink.registration_id.in_(missing)
                    )
                )
            )
            .tuples()
            .all()
        )
    return {registration_id: _tokens(secret_key, registration_id, salt) for registration_id, salt in salts.items()}
