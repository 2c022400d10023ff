"""/healthz, /readyz, request ids, the request metrics and the database's figures, on both databases."""

from __future__ import annotations

import asyncio
import json
import logging
import re

from litestar import Litestar
from litestar.testing import AsyncTestClient
from prometheus_client import REGISTRY
from sqlalchemy import text

from confman.app import create_app
from confman.lib.request_log import REQUEST_ID, JsonFormatter, TextFormatter
from confman.ops.gauges import DatabaseCollector
from confman.ops.health import head_revisions
from confman.settings import Settings
from tests.factories import Organiser, database
from tests.mailserver import free_port, queue_mails

HEX_ID = re.compile(r"[0-9a-f]{32}")


async def test_healthz_answers_without_the_database(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/healthz")

    assert (response.status_code, response.json()) == (200, {"status": "ok"})
    assert response.headers["cache-control"] == "no-store"
    assert HEX_ID.fullmatch(response.headers["x-request-id"])


async def test_readyz_checks_the_database_and_its_schema(client: AsyncTestClient[Litestar], settings: Settings) -> None:
    ready = await client.get("/readyz")
    assert (ready.status_code, ready.json()) == (200, {"status": "ok", "checks": {"database": "ok"}})
    assert ready.headers["cache-control"] == "no-store"

    (newest,) = head_revisions()
    async with database(settings) as session:
        await session.execute(text("UPDATE alembic_version SET version_num = '0001'"))
        await session.commit()
    try:
        behind = await client.get("/readyz")
    finally:
        async with database(settings) as session:
            await session.execute(text("UPDATE alembic_version SET version_num = :newest"), {"newest": newest})
            await session.commit()
    assert behind.status_code == 503
    assert behind.json() == {
        "status": "unavailable",
        "checks": {"database": f"schema at 0001, newest is {newest}"},
    }


async def test_readyz_names_an_unreachable_database_and_redis(settings: Settings) -> None:
    unreachable = (
        "sqlite+aiosqlite:////nonexistent/folder/confman.sqlite3"
        if settings.is_sqlite
        else f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/test"
    )
    app = create_app(
        settings.model_copy(update={"database_url": unreachable, "redis_url": f"redis://127.0.0.1:{free_port()}/0"})
    )
    async with AsyncTestClient(app) as client:
        response = await client.get("/readyz")
        alive = await client.get("/healthz")

    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"].startswith("unreachable: "), checks
    assert checks["redis"] == "unreachable: ConnectionError"
    assert alive.status_code == 200


async def test_readyz_with_redis(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"redis_url": "redis://127.0.0.1:6379/0"}))
    async with AsyncTestClient(app) as client:
        response = await client.get("/readyz")

    assert (response.status_code, response.json()["checks"]) == (200, {"database": "ok", "redis": "ok"})


async def test_health_checks_are_not_in_the_public_api_document(client: AsyncTestClient[Litestar]) -> None:
    paths = (await client.get("/schema/openapi.json")).json()["paths"]

    assert "/healthz" not in paths
    assert "/readyz" not in paths


async def test_a_sane_request_id_is_kept_any_other_replaced(client: AsyncTestClient[Litestar]) -> None:
    kept = await client.get("/api/v1/conferences", headers={"X-Request-ID": "lb-7f3a:42.x_y"})
    missing_page = await client.get("/no/such/page", headers={"X-Request-ID": "abc"})
    too_long = await client.get("/healthz", headers={"X-Request-ID": "a" * 65})
    odd = await client.get("/healthz", headers={"X-Request-ID": "<script>"})

    assert kept.headers["x-request-id"] == "lb-7f3a:42.x_y"
    assert (missing_page.status_code, missing_page.headers["x-request-id"]) == (404, "abc")
    assert HEX_ID.fullmatch(too_long.headers["x-request-id"])
    assert HEX_ID.fullmatch(odd.headers["x-request-id"])
    assert too_long.headers["x-request-id"] != odd.headers["x-request-id"]


async def test_log_lines_carry_the_request_id_and_no_tokens() -> None:
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, "", 0, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/me/s3cr3t-t0ken/calendar.ics?q=ada@example.org", "1.1", 200), None,
    )  # fmt: skip
    token = REQUEST_ID.set("req-1")
    try:
        line = json.loads(JsonFormatter().format(record))
        text_line = TextFormatter().format(record)
    finally:
        REQUEST_ID.reset(token)

    assert line["request_id"] == "req-1"
    assert line["message"] == '127.0.0.1:5000 - "GET /me/[token]/calendar.ics?q=[redacted] HTTP/1.1" 200'
    assert (line["level"], line["logger"]) == ("info", "uvicorn.access")
    assert "[req-1]" in text_line
    assert "s3cr3t" not in text_line
    assert "ada@" not in text_line


def requests_counted(route: str, status: str) -> float:
    labels = {"route": route, "method": "GET", "status": status}
    return REGISTRY.get_sample_value("confman_http_requests_total", labels) or 0.0


async def test_requests_are_counted_by_route_template_never_by_path(client: AsyncTestClient[Litestar]) -> None:
    template = "/api/v1/conferences/{conf}"
    before = requests_counted(template, "4xx")

    await client.get("/api/v1/conferences/no-such-conference-4711")

    assert requests_counted(template, "4xx") == before + 1
    labels = {value for metric in REGISTRY.collect() for sample in metric.samples for value in sample.labels.values()}
    assert not any("4711" in value for value in labels)


async def test_database_figures_for_prometheus(
    client: AsyncTestClient[Litestar], settings: Settings, organiser: Organiser
) -> None:
    await queue_mails(client, organiser, 3)
    collector = DatabaseCollector(settings, cache_seconds=60)

    # The collector runs in the metrics server's thread, with an event loop of its own.
    families = {family.name: family for family in await asyncio.to_thread(lambda: list(collector.collect()))}

    def value(name: str, **labels: str) -> float:
        return next(sample.value for sample in families[name].samples if sample.labels == labels)

    assert value("confman_database_up") == 1
    assert value("confman_registrations", status="pending") == 3
    assert value("confman_registrations", status="confirmed") == 0
    assert value("confman_outbox_pending") == 3
    assert 0 <= value("confman_outbox_oldest_pending_age_seconds") < 60
    # Remembered: a second scrape within the cache time asks nothing.
    await queue_mails_more(client)
    again = {family.name: family for family in await asyncio.to_thread(lambda: list(collector.collect()))}
    assert next(s.value for s in again["confman_outbox_pending"].samples) == 3


async def queue_mails_more(client: AsyncTestClient[Litestar]) -> None:
    from tests.factories import registration_payload

    response = await client.post(
        "/api/v1/conferences/climate-2027/registrations", json=registration_payload(email="late@example.org")
    )
    assert response.status_code == 202, response.text
