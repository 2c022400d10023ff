"""SQLite is configured for a web server: WAL, foreign keys, a busy timeout, and writers that queue.

Everything here is about SQLite, so each test asks for the SQLite case of ``database_url``
explicitly. The controls at the bottom show what the configuration protects against:
without ``BEGIN IMMEDIATE`` a read-then-write transaction fails with "database is locked"
however long the busy timeout, because SQLite cannot upgrade a stale WAL snapshot.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from advanced_alchemy.extensions.litestar import SQLAlchemyPlugin
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from confman.db.engine import create_engine, read_only_transactions
from confman.db.models import Conference, Speaker
from confman.settings import Settings
from tests.factories import Organiser, conference_payload, database, speaker_payload
from tests.queries import connections_in_use

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
WRITERS = 30


def app_engine(app: Litestar) -> AsyncEngine:
    (config,) = app.plugins.get(SQLAlchemyPlugin).config
    return config.get_engine()


@contextmanager
def begin_statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """Every BEGIN the engine sends to SQLite while the block runs."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("BEGIN"):
            seen.append(statement.strip())

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def pragma(connection: AsyncConnection, name: str) -> Any:
    return (await connection.exec_driver_sql(f"PRAGMA {name}")).scalar_one()


# --- the pragmas ----------------------------------------------------------------------------


@SQLITE_ONLY
async def test_every_connection_gets_wal_foreign_keys_and_the_configured_busy_timeout(database_url: str) -> None:
    engine = create_engine(Settings(database_url=database_url, sqlite_busy_timeout=7.25))
    try:
        # Two connections at once: the pragmas are per connection, so both must have them.
        # (Read-only, so that the two transactions do not queue for the write lock.)
        with read_only_transactions():
            async with engine.connect() as first, engine.connect() as second:
                for connection in (first, second):
                    assert await pragma(connection, "journal_mode") == "wal"
                    assert await pragma(connection, "foreign_keys") == 1
                    assert await pragma(connection, "busy_timeout") == 7250
    finally:
        await engine.dispose()


@SQLITE_ONLY
async def test_the_apps_engine_uses_the_default_busy_timeout(app: Litestar, settings: Settings) -> None:
    engine = app_engine(app)
    try:
        async with engine.connect() as connection:
            assert await pragma(connection, "journal_mode") == "wal"
            assert await pragma(connection, "foreign_keys") == 1
            assert await pragma(connection, "busy_timeout") == int(settings.sqlite_busy_timeout * 1000) == 30_000
    finally:
        await engine.dispose()


@SQLITE_ONLY
def test_wal_is_recorded_in_the_database_file(database_url: str) -> None:
    """WAL is persistent: even a plain sqlite3 connection (no confman pragmas) sees it."""
    path = database_url.removeprefix("sqlite+aiosqlite:///")
    plain = sqlite3.connect(path)
    try:
        assert plain.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        plain.close()


@SQLITE_ONLY
async def test_foreign_keys_are_enforced(settings: Settings) -> None:
    async with database(settings) as session:
        session.add(Speaker(conference_id=123_456, slug="nobody", name="Nobody", country="GB"))
        with pytest.raises(IntegrityError, match="FOREIGN KEY constraint failed"):
            await session.flush()
        await session.rollback()


# --- BEGIN IMMEDIATE for writes, deferred BEGIN for reads, through the real app ----------------------


@SQLITE_ONLY
async def test_reads_begin_deferred_and_writes_begin_immediate(
    app: Litestar, client: AsyncTestClient[Litestar], organiser: Organiser
) -> None:
    """The request's write intent, set in a before_request hook, reaches the engine's "begin"
    listener, which SQLAlchemy runs inside its greenlet bridge."""
    engine = app_engine(app)

    with begin_statements(engine) as seen:
        created = await client.post("/api/v1/conferences", json=conference_payload(), headers=organiser.headers)
    assert created.status_code == 201, created.text
    assert seen == ["BEGIN IMMEDIATE"]

    with begin_statements(engine) as seen:
        public = await client.get("/api/v1/conferences/climate-2027")
    assert public.status_code == 200, public.text
    assert seen == ["BEGIN"]

    with begin_statements(engine) as seen:
        listed = await client.get("/api/v1/conferences/climate-2027/speakers", headers=organiser.headers)
    assert listed.status_code == 200, listed.text
    assert seen == ["BEGIN"]

    # A write after a read is immediate again: nothing leaks from one request to the next.
    with begin_statements(engine) as seen:
        speaker = await client.post(
            "/api/v1/conferences/climate-2027/speakers", json=speaker_payload(), headers=organiser.headers
        )
    assert speaker.status_code == 201, speaker.text
    assert seen == ["BEGIN IMMEDIATE"]


# --- many writers at once ----------------------------------------------------------------------


@asynccontextmanager
async def concurrent_client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose requests really overlap.

    Litestar's AsyncTestClient hands each request to a blocking portal and waits for it, so
    requests gathered through it run one after another. httpx's ASGI transport runs each
    request in the caller's event loop, so gathered requests interleave as under a server.
    """
    async with (
        app.lifespan(),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver.local") as client,
    ):
        yield client


@SQLITE_ONLY
async def test_concurrent_writers_all_succeed(app: Litestar, organiser: Organiser, settings: Settings) -> None:
    async with concurrent_client(app) as client:
        responses = await _many_concurrent_speakers(app, client, organiser)

    assert [r.status_code for r in responses] == [201] * WRITERS, [r.text for r in responses if r.status_code != 201]
    async with database(settings) as session:
        count = await session.scalar(
            select(func.count()).select_from(Speaker).join(Conference).where(Conference.slug == "climate-2027")
        )
    assert count == WRITERS


async def _many_concurrent_speakers(
    app: Litestar, concurrent_client: httpx.AsyncClient, organiser: Organiser
) -> list[httpx.Response]:
    created = await concurrent_client.post("/api/v1/conferences", json=conference_payload(), headers=organiser.headers)
    assert created.status_code == 201, created.text

    # How many database connections are in use at once: proof that the requests overlapped.
    with connections_in_use(app_engine(app).sync_engine) as connections:
        responses = await asyncio.gather(
            *(
                concurrent_client.post(
                    "/api/v1/conferences/climate-2027/speakers",
                    json=speaker_payload(slug=f"speaker-{n}", name=f"Speaker {n}"),
                    headers=organiser.headers,
                )
                for n in range(WRITERS)
            )
        )
    assert connections.peak > 1, "the requests did not overlap, so the test would prove nothing"
    return responses


# --- controls: what goes wrong without BEGIN IMMEDIATE, and what it buys -------------------------


@pytest.fixture
async def scratch_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """A confman engine on a SQLite file of its own, with a one-column table, and a generous busy timeout."""
    engine = create_engine(
        Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'scratch.sqlite3'}", sqlite_busy_timeout=5)
    )
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE item (n INTEGER NOT NULL)"))
    yield engine
    await engine.dispose()


async def _read_then_write(connection: AsyncConnection, n: int) -> None:
    await connection.execute(text("SELECT count(*) FROM item"))
    await connection.execute(text("INSERT INTO item (n) VALUES (:n)"), {"n": n})


async def test_control_deferred_read_then_write_fails_despite_the_busy_timeout(scratch_engine: AsyncEngine) -> None:
    """Two deferred transactions each read, then both write: the second cannot, and waiting does not help."""
    with read_only_transactions():  # what every request would get without BEGIN IMMEDIATE
        async with scratch_engine.connect() as first, scratch_engine.connect() as second:
            await first.begin()
            await second.begin()
            await first.execute(text("SELECT count(*) FROM item"))
            await second.execute(text("SELECT count(*) FROM item"))

            await first.execute(text("INSERT INTO item (n) VALUES (1)"))
            await first.commit()

            started = time.monotonic()
            with pytest.raises(OperationalError, match="database is locked"):
                await second.execute(text("INSERT INTO item (n) VALUES (2)"))
            # Not a timeout: SQLite refuses at once (SQLITE_BUSY_SNAPSHOT), the 5 s busy timeout is never used.
            assert time.monotonic() - started < 2.5
            await second.rollback()


async def test_control_immediate_writers_queue_on_the_busy_timeout(scratch_engine: AsyncEngine) -> None:
    """The same two read-then-write transactions with the default (immediate) BEGIN: the second waits, then succeeds."""
    async with scratch_engine.connect() as first, scratch_engine.connect() as second:
        await first.begin()
        await _read_then_write(first, 1)

        async def second_writer() -> None:
            await second.begin()  # BEGIN IMMEDIATE: waits here for the first writer
            await _read_then_write(second, 2)
            await second.commit()

        waiting = asyncio.create_task(second_writer())
        await asyncio.sleep(0.3)
        assert not waiting.done(), "the second writer should be waiting for the write lock"

        await first.commit()
        await asyncio.wait_for(waiting, timeout=5)

    async with scratch_engine.connect() as connection:
        assert (await connection.execute(text("SELECT n FROM item ORDER BY n"))).scalars().all() == [1, 2]
