"""Time the schedule builder on the large conference (200 sessions, 300 speakers), signed in,
through the whole app in-process, on SQLite and on PostgreSQL.

    python -m benchmarks.schedule_builder [--database sqlite|postgresql|both] [--runs 50]

Measured (wall p50 and p95 of N runs; the process's CPU time p50, which the app, the test
client and the database driver share, and which a busy machine does not inflate as much; and
the SQL statements of one request):

- the schedule page of the first day (about 100 sessions on the grid, 4 streams, the flags of
  the whole programme);
- a move by the no-JS form (``POST …/schedule/move``, answered 303), alternating a session
  between two starts so every request changes it (and raises the programme version);
- the same move sent by htmx (``HX-Request``), answered with the re-rendered grid fragment.

PostgreSQL from ``$CONFMAN_BENCH_POSTGRES_URL`` (default the local server); a database is
created for the run and dropped after. SQLite: a fresh file.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import re
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import asyncpg
from httpx import Response
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.engine import make_url

from benchmarks.http_load import prepare
from confman.accounts.services import UserService
from confman.app import create_app
from confman.cli import unit_of_work
from confman.db.models import Conference, ConferenceMember, MemberRole
from confman.settings import Settings
from tests.queries import counted_queries

SLUG = "bench-2027"
EMAIL, PASSWORD = "bench@example.org", "bench-password-1"
PAGE = f"/orga/{SLUG}/schedule/?day=2027-11-13"
MOVE = f"/orga/{SLUG}/schedule/move"
_TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')


def summary(samples: list[float]) -> tuple[float, float]:
    samples = sorted(samples)
    return statistics.median(samples), samples[int(0.95 * (len(samples) - 1))]


async def _organiser(settings: Settings) -> None:
    async with unit_of_work(settings) as db:
        users = UserService(db)
        user = await users.get_by_email(EMAIL) or await users.create(EMAIL, "Bench", PASSWORD)
        conference_id = await db.scalar(select(Conference.id).where(Conference.slug == SLUG))
        assert conference_id is not None
        member = await db.scalar(
            select(ConferenceMember.id).where(
                ConferenceMember.conference_id == conference_id, ConferenceMember.user_id == user.id
            )
        )
        if member is None:
            db.add(ConferenceMember(conference_id=conference_id, user_id=user.id, role=MemberRole.OWNER))


async def _timed(
    runs: int, call: Callable[[int], Awaitable[Response]], expect: int
) -> tuple[list[float], list[float], int]:
    await call(-1)  # warm up: templates compiled, caches filled
    with counted_queries() as statements:
        answer = await call(-2)
    assert answer.status_code == expect, (answer.status_code, answer.text[:500])
    samples, cpu = [], []
    for index in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        answer = await call(index)
        samples.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        assert answer.status_code == expect, (answer.status_code, answer.text[:500])
    return samples, cpu, len(statements)


async def measure(settings: Settings, runs: int) -> dict[str, tuple[float, float, float, int]]:
    await prepare(settings)
    await _organiser(settings)
    app = create_app(settings)
    results: dict[str, tuple[float, float, float, int]] = {}
    async with AsyncTestClient(app, base_url="http://testserver.local") as client:
        login = await client.get("/orga/login")
        token = _TOKEN.search(login.text)
        assert token
        signed = await client.post(
            "/orga/login",
            data={"email": EMAIL, "password": PASSWORD, "_csrf_token": token.group(1)},
            follow_redirects=False,
        )
        assert signed.status_code == 303, signed.text
        page = await client.get(PAGE)
        found = _TOKEN.search(page.text)
        assert found
        csrf = found.group(1)

        async def get_page(_: int) -> Response:
            return await client.get(PAGE)

        def mover(htmx: bool) -> Callable[[int], Awaitable[Response]]:
            async def move(index: int) -> Response:
                data = {
                    "session": "session-3",
                    "day": "2027-11-13",
                    "start": "09:40" if index % 2 else "09:45",
                    "duration": "28",
                    "stream": "stream-0",
                    "zone": "Europe/London",
                    "shown_day": "2027-11-13",
                    "_csrf_token": csrf,
                }
                headers = {"HX-Request": "true", "X-CSRFToken": csrf} if htmx else {}
                return await client.post(MOVE, data=data, headers=headers, follow_redirects=False)

            return move

        for name, call, expect in (
            ("schedule page (first day, ~100 sessions)", get_page, 200),
            ("move, no-JS form (303)", mover(False), 303),
            ("move, htmx (grid fragment)", mover(True), 200),
        ):
            samples, cpu, statements = await _timed(runs, call, expect)
            p50, p95 = summary(samples)
            results[name] = (p50, p95, statistics.median(cpu), statements)
    return results


async def _admin(url: str, sql: str) -> None:
    parsed = make_url(url)
    connection = await asyncpg.connect(
        host=parsed.host,
        port=parsed.port or 5432,
        user=parsed.username,
        password=parsed.password,
        database=parsed.database,
    )
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@contextlib.asynccontextmanager
async def fresh_database_url(database: str) -> AsyncIterator[str]:
    """An empty database for one run: a new SQLite file, or a PostgreSQL database (on
    ``$CONFMAN_BENCH_POSTGRES_URL``'s server) made for the run and dropped after it."""
    if database == "sqlite":
        yield f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'bench.sqlite3'}"
        return
    admin_url = os.environ.get("CONFMAN_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    name = f"confman_bench_{uuid.uuid4().hex[:10]}"
    await _admin(admin_url, f'CREATE DATABASE "{name}"')
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        await _admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def run(database: str, runs: int) -> dict[str, tuple[float, float, float, int]]:
    async with fresh_database_url(database) as url:
        return await measure(Settings(database_url=url, base_url="http://testserver.local"), runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--runs", type=int, default=50)
    arguments = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    databases = ["sqlite", "postgresql"] if arguments.database == "both" else [arguments.database]
    print(f"{'database':<11} {'request':<42} {'p50 ms':>8} {'p95 ms':>8} {'CPU p50':>8} {'statements':>10}")
    for database in databases:
        for name, (p50, p95, cpu, statements) in asyncio.run(run(database, arguments.runs)).items():
            print(f"{database:<11} {name:<42} {p50:>8.1f} {p95:>8.1f} {cpu:>8.1f} {statements:>10}")


if __name__ == "__main__":
    main()
