"""How often one may try to sign in (or ask for a reset link): per e-mail address and per
client address, each counted for 15 minutes.

The counts live in a Litestar store (``SIGN_IN_STORE``): each process's memory by default,
Redis (shared by every process and server) when ``CONFMAN_REDIS_URL`` is set. A key names
an address only by its SHA-256, so the store holds no e-mail address. Over either limit the
caller gets the same 429 page whether the address has an account or not, and the password
is not even checked. A count is read and written in two steps, so concurrent requests may
each count once less: a limit, not an exact quota.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any

from litestar import Request
from litestar.stores.base import Store

from confman.settings import Settings

SIGN_IN_STORE = "orga_sign_in"
WINDOW_SECONDS = 15 * 60


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:32]


@dataclass
class Throttle:
    store: Store
    action: str  # "login", "reset": counted apart
    per_address: int
    per_client: int

    @classmethod
    def of(cls, request: Request[Any, Any, Any], settings: Settings, action: str) -> Throttle:
        return cls(
            request.app.stores.get(SIGN_IN_STORE),
            action,
            settings.sign_in_attempts_per_address,
            settings.sign_in_attempts_per_client,
        )

    def _keys(self, email: str, client: str) -> list[tuple[str, int]]:
        return [
            (f"{self.action}:address:{_digest(email.strip().lower())}", self.per_address),
            (f"{self.action}:client:{_digest(client)}", self.per_client),
        ]

    async def _read(self, key: str) -> tuple[int, float]:
        raw = await self.store.get(key)
        now = time.time()
        if raw is not None:
            try:
                data = json.loads(raw)
                count, until = int(data["n"]), float(data["until"])
            except (ValueError, KeyError, TypeError):
                count, until = 0, 0.0
            if until > now:
                return count, until
        return 0, now + WINDOW_SECONDS

    async def blocked(self, email: str, client: str) -> bool:
        """True when the address or the client has used up its attempts."""
        for key, limit in self._keys(email, client):
            count, _ = await self._read(key)
            if count >= limit:
                return True
        return False

    async def count(self, email: str, client: str) -> None:
        """One more attempt (a failed sign-in, a reset asked for)."""
        for key, _limit in self._keys(email, client):
            count, until = await self._read(key)
            expires_in = max(1, int(until - time.time()) + 1)
            await self.store.set(key, json.dumps({"n": count + 1, "until": until}), expires_in=expires_in)

    async def forget_address(self, email: str) -> None:
        """A successful sign-in: the address starts afresh (the client's count stays)."""
        key, _ = self._keys(email, "")[0]
        await self.store.delete(key)


def client_address(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"
