"""A Litestar :class:`~litestar.stores.base.Store` in the database (``web_session``): the
default home of the organisers' sign-in sessions, shared by every app process and server
without Redis. Each call is its own short transaction on the app's engine, apart from the
request's (the session middleware reads before the handler and writes after it).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from litestar.stores.base import Store
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from confman.db.models import WebSession
from confman.lib.timezones import utcnow

# A read that renews the expiry writes only when that moves it by more than this: a busy
# organiser's page views do not each become a write.
RENEW_GRANULARITY = timedelta(seconds=60)


def _expiry(expires_in: int | timedelta | None) -> datetime | None:
    if expires_in is None:
        return None
    return utcnow() + (expires_in if isinstance(expires_in, timedelta) else timedelta(seconds=expires_in))


class DatabaseStore(Store):
    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def set(self, key: str, value: str | bytes, expires_in: int | timedelta | None = None) -> None:
        data = value.encode() if isinstance(value, str) else value
        expires_at = _expiry(expires_in)
        async with self._sessions.begin() as db:
            changed = await db.execute(
                update(WebSession).where(WebSession.key == key).values(value=data, expires_at=expires_at)
            )
            if changed.rowcount == 0:  # type: ignore[attr-defined]
                db.add(WebSession(key=key, value=data, expires_at=expires_at))

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        async with self._sessions() as db:
            row = (
                await db.execute(select(WebSession.value, WebSession.expires_at).where(WebSession.key == key))
            ).one_or_none()
            if row is None:
                return None
            value, expires_at = row
            now = utcnow()
            if expires_at is not None and expires_at <= now:
                await db.execute(delete(WebSession).where(WebSession.key == key))
                await db.commit()
                return None
            renewed = _expiry(renew_for)
            if renewed is not None and expires_at is not None and renewed - expires_at > RENEW_GRANULARITY:
                await db.execute(update(WebSession).where(WebSession.key == key).values(expires_at=renewed))
                await db.commit()
            return bytes(value)

    async def delete(self, key: str) -> None:
        async with self._sessions.begin() as db:
            await db.execute(delete(WebSession).where(WebSession.key == key))

    async def delete_all(self) -> None:
        async with self._sessions.begin() as db:
            await db.execute(delete(WebSession))

    async def delete_expired(self) -> int:
        async with self._sessions.begin() as db:
            result = await db.execute(delete(WebSession).where(WebSession.expires_at <= utcnow()))
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def exists(self, key: str) -> bool:
        return await self.get(key) is not None

    async def expires_in(self, key: str) -> int | None:
        async with self._sessions() as db:
            expires_at = await db.scalar(select(WebSession.expires_at).where(WebSession.key == key))
        if expires_at is None:
            return None
        return max(0, int((expires_at - utcnow()).total_seconds()))
