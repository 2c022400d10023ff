"""The organisers' sessions in the database: kept, renewed, expired, forgotten."""

from __future__ import annotations

from datetime import timedelta

from litestar.testing import AsyncTestClient
from redis.asyncio import Redis
from sqlalchemy import select, update

from confman.app import create_app
from confman.db.engine import create_engine
from confman.db.models import WebSession
from confman.db.session_store import DatabaseStore
from confman.lib.timezones import utcnow
from confman.settings import Settings
from confman.worker import MailWorker
from tests.factories import Organiser, database
from tests.integration.test_rate_limit import REDIS_URL, redis_namespace  # noqa: F401 (a fixture)
from tests.orga import sign_in


async def test_a_session_lives_until_it_expires_and_the_worker_forgets_it(settings: Settings) -> None:
    engine = create_engine(settings)
    store = DatabaseStore(engine)
    try:
        await store.set("alive", b"one", expires_in=600)
        await store.set("alive", b"two", expires_in=600)  # replaced, not duplicated
        await store.set("stale", b"old", expires_in=600)
        assert await store.get("alive") == b"two"
        assert 590 <= (await store.expires_in("alive") or 0) <= 600
        async with database(settings) as db:
            await db.execute(
                update(WebSession).where(WebSession.key == "stale").values(expires_at=utcnow() - timedelta(seconds=1))
            )
        assert await store.get("stale") is None
        await store.set("stale2", b"old", expires_in=1)
        async with database(settings) as db:
            await db.execute(
                update(WebSession).where(WebSession.key == "stale2").values(expires_at=utcnow() - timedelta(seconds=1))
            )
        worker = MailWorker(settings, engine)
        assert await worker.forget_expired_sign_ins() == 1
        async with database(settings) as db:
            assert list(await db.scalars(select(WebSession.key))) == ["alive"]
        await store.delete("alive")
        assert not await store.exists("alive")
    finally:
        await engine.dispose()


async def test_reading_renews_the_expiry_of_an_active_session(settings: Settings) -> None:
    engine = create_engine(settings)
    store = DatabaseStore(engine)
    try:
        await store.set("key", b"data", expires_in=120)
        assert await store.get("key", renew_for=3600) == b"data"
        assert (await store.expires_in("key") or 0) > 3000
    finally:
        await engine.dispose()


async def test_a_sign_in_on_one_server_holds_on_another_with_redis_or_the_database(
    settings: Settings,
    organiser: Organiser,
    redis_namespace: str,  # noqa: F811 (the fixture imported above)
) -> None:
    """Sessions live where every app server reads them: two apps, one sign-in."""
    for shared in (settings, settings.model_copy(update={"redis_url": REDIS_URL, "redis_namespace": redis_namespace})):
        async with (
            AsyncTestClient(create_app(shared), base_url="http://testserver.local") as first,
            AsyncTestClient(create_app(shared), base_url="http://testserver.local") as second,
        ):
            answer = await sign_in(first, organiser.email)
            second.cookies.set("confman_orga", answer.cookies["confman_orga"])
            assert (await second.get("/orga/", follow_redirects=False)).status_code == 200
        async with database(settings) as db:
            rows = len(list(await db.scalars(select(WebSession.key))))
        # In the database without Redis; with Redis, nothing there (the first pass's row aside).
        assert rows == 1
    client = Redis.from_url(REDIS_URL)
    try:
        assert [key async for key in client.scan_iter(f"{redis_namespace}*")]
    finally:
        await client.aclose()
