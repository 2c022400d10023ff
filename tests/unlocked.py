"""The race test's control: the app with seats given WITHOUT the per-conference lock.

It shows that the race test can fail: under the same load this app oversells. Only tests use
it; the placement in ``src/`` has no such switch. ``tests/server.py`` serves it with
``factory=UNLOCKED_APP``.
"""

from __future__ import annotations

import asyncio

from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession

from confman.app import create_app
from confman.db.engine import set_write_intent
from confman.registration.placement import Grant, Placement
from confman.registration.rules import ConferenceLike, EffectiveSettings
from confman.settings import Settings

# Seconds between the capacity check and the write that acts on it.
GAP_SECONDS = 0.05
UNLOCKED_APP = "tests.unlocked:create_unlocked_app"


class UnlockedPlacement(Placement):
    """Check and act in separate transactions, with a gap between them: another request's
    check can overtake this one's, as it could if the lock were missing."""

    def at_commit(self, db: AsyncSession) -> bool:
        return False  # the request places, on PostgreSQL too (not the trigger, which locks)

    async def lock(self, db: AsyncSession, conference: ConferenceLike) -> None:
        return None

    async def begin(self, db: AsyncSession, conference: ConferenceLike) -> None:
        # End the transaction, so that the capacity check runs in a new one (on SQLite a
        # deferred one, without the write lock) that another request's check can overtake.
        set_write_intent(False)
        await db.commit()

    async def allocation(self, db: AsyncSession, conference: ConferenceLike, rules: EffectiveSettings) -> Grant:
        granted = await super().allocation(db, conference, rules)
        await db.commit()
        set_write_intent(True)
        # Hold the gap between check and act open a moment, so that the control run
        # oversells every time rather than when the scheduler happens to allow it.
        await asyncio.sleep(GAP_SECONDS)
        return granted


def create_unlocked_app() -> Litestar:
    """Entry point for uvicorn (``--factory``), configured from the environment like the real one."""
    return create_app(Settings(), placement=UnlockedPlacement())
