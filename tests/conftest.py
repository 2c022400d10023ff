"""Test fixtures: every database test runs on a real SQLite file and on a real PostgreSQL.

PostgreSQL comes from ``CONFMAN_TEST_POSTGRES_URL`` (default: the local server,
database ``test``); each run creates its own database and drops it afterwards.
Under CI (``CI=true``) an unreachable PostgreSQL fails the run; elsewhere its
tests are skipped with the reason shown, so a machine with only Python still runs
the SQLite half.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from litestar import Litestar
from litestar.stores.memory import MemoryStore
from litestar.testing import AsyncTestClient
from sqlalchemy.engine import make_url

from confman.app import create_app
from confman.db import migrate
from confman.settings import Settings
from tests.factories import Organiser, truncate_all

POSTGRES_URL = os.environ.get("CONFMAN_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
REQUIRE_POSTGRES = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests last: Playwright's sync API keeps an event loop running in the main thread
    for the rest of the session, and every later ``asyncio.run`` (fixtures, the CLI) would fail."""
    items.sort(key=lambda item: "/tests/e2e/" in str(item.path))


# Modules whose tests one xdist worker runs together: their module-scoped servers then start
# once per database, not once on each worker that happens to get one of their tests.
ONE_WORKER_MODULES = {
    "tests/integration/test_registration_race.py",
    "tests/integration/test_seat_race.py",
    # Its servers (two app servers, two mail workers) start once for all its tests.
    "tests/integration/test_many_servers.py",
    "tests/e2e/test_attendee_journey_browser.py",
    # Its tests build on each other on one server per database.
    "tests/e2e/test_organiser_journey_browser.py",
}


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist load``, test by test, except ``ONE_WORKER_MODULES``, each sent whole to one worker.

    (``--dist loadgroup`` with ``xdist_group`` marks would say the same, but pytest-xdist 3.8
    cannot rename nodes on pytest 9.2, so its marks are silently ignored.) Scopes keep the
    collection order except that larger ones go first, so the browser tests still come last.
    """
    from xdist.scheduler import LoadScopeScheduling

    class OneWorkerModules(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return module if module in ONE_WORKER_MODULES else nodeid

    return OneWorkerModules(config, log)


async def _admin_execute(sql: str) -> None:
    url = make_url(POSTGRES_URL)
    connection = await asyncpg.connect(
        host=url.host, port=url.port or 5432, user=url.username, password=url.password, database=url.database
    )
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated, empty database of each kind, shared by the session's tests."""
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("sqlite") / "confman.sqlite3"
        url = f"sqlite+aiosqlite:///{path}"
        asyncio.run(migrate.upgrade(Settings(database_url=url)))
        yield url
        return
    name = f"confman_test_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(_admin_execute(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as error:
        if REQUIRE_POSTGRES:
            raise
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}: {error}")
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    try:
        asyncio.run(migrate.upgrade(Settings(database_url=url)))
        yield url
    finally:
        asyncio.run(_admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def settings(database_url: str, tmp_path: Path) -> Settings:
    # The programme cache asks the database every time, so tests see each change at once.
    settings = Settings(
        database_url=database_url,
        base_url="http://testserver.local",
        secret_key="t" * 32,
        programme_cache_seconds=0,
        # Tests send mail with their own MailWorker (or not at all), never from a background task.
        mail_worker_embedded=False,
        mailbox_dir=tmp_path / "mailbox",
        registration_submits_per_minute=1000,
    )
    await truncate_all(settings)
    return settings


# One app per database and worker process, reused by every test that takes the plain ``app``:
# building one registers ~300 handlers (0.6 s), which ~1,100 tests paid each. Between tests
# the database is emptied (ids restart), so the app's memory is emptied too: caches keyed by
# a conference id and programme version would otherwise serve the last test's pages.
_APPS: dict[str, tuple[dict[str, Any], Litestar]] = {}


async def _reset(app: Litestar) -> None:
    for name in ("programme_cache", "response_cache", "submit_targets"):
        app.state[name].clear()
    for store in app.stores._stores.values():
        if isinstance(store, MemoryStore):
            await store.delete_all()
    # Connections of the last test's event loop must not serve this one.
    await app.state.engine.dispose()


@pytest.fixture
async def app(settings: Settings) -> Litestar:
    # The mailbox folder is per test, and the app never writes it here (no embedded worker).
    shape = settings.model_dump(exclude={"mailbox_dir"})
    cached = _APPS.get(settings.database_url)
    if cached is not None and cached[0] == shape:
        await _reset(cached[1])
        return cached[1]
    app = create_app(settings)
    _APPS[settings.database_url] = (shape, app)
    return app


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app, base_url="http://testserver.local") as client:
        yield client


@pytest.fixture
async def organiser(settings: Settings) -> Organiser:
    return await Organiser.create(settings, "ada@example.org")


@pytest.fixture
async def other_organiser(settings: Settings) -> Organiser:
    return await Organiser.create(settings, "grace@example.org")
