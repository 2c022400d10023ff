import os
import uuid
from collections.abc import AsyncIterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis
from redis.exceptions import RedisError

from confman.app import create_app
from confman.settings import Settings
from tests.factories import Organiser, conference_payload, post_ok, registration_payload


async def test_token_endpoint_throttles_password_guessing(settings: Settings, organiser: Organiser) -> None:
    app: Litestar = create_app(settings.model_copy(update={"token_attempts_per_minute": 3}))
    guess = {"email": organiser.email, "password": "wrong password"}
    async with AsyncTestClient(app, base_url="http://testserver.local") as client:
        statuses = [(await client.post("/api/v1/tokens", json=guess)).status_code for _ in range(4)]
        # Other endpoints are not limited by it.
        reads = [(await client.get("/api/v1/conferences")).status_code for _ in range(5)]

    assert statuses == [401, 401, 401, 429]
    assert reads == [200] * 5


REDIS_URL = os.environ.get("CONFMAN_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
async def redis_namespace() -> AsyncIterator[str]:
    """A namespace of its own on the machine's Redis, emptied afterwards."""
    client = Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except RedisError as error:
        await client.aclose()
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            raise
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {error}")
    namespace = f"confman_test_{uuid.uuid4().hex[:10]}"
    try:
        yield namespace
    finally:
        keys = [key async for key in client.scan_iter(f"{namespace}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


async def submits_through_two_servers(settings: Settings, organiser: Organiser, count: int) -> list[int]:
    """``count`` submits from one client, alternating between two app instances (two servers)."""
    limited = settings.model_copy(update={"registration_submits_per_minute": 3})
    async with (
        AsyncTestClient(create_app(limited), base_url="http://testserver.local") as first,
        AsyncTestClient(create_app(limited), base_url="http://testserver.local") as second,
    ):
        await post_ok(first, organiser, "/api/v1/conferences", conference_payload())
        servers = [first, second]
        statuses = []
        for index in range(count):
            response = await servers[index % 2].post(
                "/api/v1/conferences/climate-2027/registrations",
                json=registration_payload(email=f"person{index}@example.org"),
            )
            statuses.append(response.status_code)
        return statuses


async def test_with_redis_every_server_counts_the_same_client_once(
    settings: Settings, organiser: Organiser, redis_namespace: str
) -> None:
    shared = settings.model_copy(update={"redis_url": REDIS_URL, "redis_namespace": redis_namespace})

    assert await submits_through_two_servers(shared, organiser, 4) == [202, 202, 202, 429]


async def test_control_without_redis_each_server_counts_alone(settings: Settings, organiser: Organiser) -> None:
    """Why Redis is there: alone, each of two servers lets the client have its own three."""
    assert await submits_through_two_servers(settings, organiser, 6) == [202] * 6
