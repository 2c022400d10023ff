"""Time the audience reach page, and the schedule builder with its reach, on the large conference
(200 sessions) with 10,000 registrations from about 150 zones, through the whole app in-process.

    python -m benchmarks.reach_page [--database sqlite|postgresql|both] [--runs 30] [--registrations 10000]

Measured as ``schedule_builder.py`` measures (wall p50/p95, CPU p50, SQL statements of one
request): the reach page with its defaults (everyone registered, the first day, 60 minutes),
the reach page for the confirmed only and a 90-minute session on the second day, the schedule
builder's page and an htmx move (the re-rendered grid, with each card's and hour's reach).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import re
import statistics
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from httpx import Response
from litestar.testing import AsyncTestClient
from sqlalchemy import func, insert, select
from sqlalchemy.engine import make_url

from benchmarks.http_load import prepare
from benchmarks.schedule_builder import EMAIL, PASSWORD, SLUG, _admin, _organiser, _timed, summary
from confman.app import create_app
from confman.cli import unit_of_work
from confman.db.models import Conference, Registration, RegistrationStatus
from confman.lib.timezones import known_zones
from confman.settings import Settings

_TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')
STATUSES = [RegistrationStatus.CONFIRMED] * 16 + [
    RegistrationStatus.WAITLISTED,
    RegistrationStatus.WAITLISTED,
    RegistrationStatus.PENDING,
    RegistrationStatus.CANCELLED,
]


async def _registrations(settings: Settings, count: int) -> None:
    chooser = random.Random(14)  # noqa: S311 - reproducible test data, not secrets
    zones = sorted(z for z in known_zones() if "/" in z and not z.startswith("Etc/"))
    popular = chooser.sample(zones, 150)
    weights = [1 / (rank + 1) for rank in range(len(popular))]  # a few big cities, a long tail
    async with unit_of_work(settings) as db:
        conference_id = await db.scalar(select(Conference.id).where(Conference.slug == SLUG))
        have = await db.scalar(select(func.count()).where(Registration.conference_id == conference_id))
        rows = []
        for n in range(have or 0, count):
            status = chooser.choice(STATUSES)
            rows.append(
                {
                    "conference_id": conference_id,
                    "email": f"attendee-{n}@example.org",
                    "name": f"Attendee {n}",
                    "country": chooser.choice(["GB", "BR", "DE", "JP", "US", "AU", "GH", "TR", None]),
                    "timezone": chooser.choices(popular, weights)[0],
                    "language": "en",
                    "answers": {},
                    "consented_at": datetime(2027, 1, 1, tzinfo=UTC),
                    "status": status,
                    "waitlist_seq": n + 1 if status is RegistrationStatus.WAITLISTED else None,
                }
            )
        for start in range(0, len(rows), 1000):
            await db.execute(insert(Registration), rows[start : start + 1000])


async def measure(settings: Settings, runs: int, registrations: int) -> dict[str, tuple[float, float, float, int]]:
    await prepare(settings)
    await _organiser(settings)
    await _registrations(settings, registrations)
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
        schedule = f"/orga/{SLUG}/schedule/?day=2027-11-13"
        found = _TOKEN.search((await client.get(schedule)).text)
        assert found
        csrf = found.group(1)

        def getter(path: str) -> Callable[[int], Awaitable[Response]]:
            async def get(_: int) -> Response:
                return await client.get(path)

            return get

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
            headers = {"HX-Request": "true", "X-CSRFToken": csrf}
            return await client.post(f"/orga/{SLUG}/schedule/move", data=data, headers=headers)

        for name, call in (
            ("reach page (defaults)", getter(f"/orga/{SLUG}/reach/")),
            (
                "reach page (confirmed, day 2, 90 min)",
                getter(f"/orga/{SLUG}/reach/?who=confirmed&day=2027-11-14&length=90"),
            ),
            ("schedule page (first day)", getter(schedule)),
            ("move, htmx (grid fragment)", move),
        ):
            samples, cpu, statements = await _timed(runs, call, 200)
            p50, p95 = summary(samples)
            results[name] = (p50, p95, statistics.median(cpu), statements)
    return results


async def run(database: str, runs: int, registrations: int) -> dict[str, tuple[float, float, float, int]]:
    if database == "sqlite":
        url = f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'bench.sqlite3'}"
        return await measure(Settings(database_url=url, base_url="http://testserver.local"), runs, registrations)
    admin_url = os.environ.get("CONFMAN_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    name = f"confman_bench_{uuid.uuid4().hex[:10]}"
    await _admin(admin_url, f'CREATE DATABASE "{name}"')
    try:
        url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        return await measure(Settings(database_url=url, base_url="http://testserver.local"), runs, registrations)
    finally:
        await _admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--registrations", type=int, default=10_000)
    arguments = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    databases = ["sqlite", "postgresql"] if arguments.database == "both" else [arguments.database]
    print(f"{'database':<11} {'request':<42} {'p50 ms':>8} {'p95 ms':>8} {'CPU p50':>8} {'statements':>10}")
    for database in databases:
        for name, (p50, p95, cpu, statements) in asyncio.run(
            run(database, arguments.runs, arguments.registrations)
        ).items():
            print(f"{database:<11} {name:<42} {p50:>8.1f} {p95:>8.1f} {cpu:>8.1f} {statements:>10}")


if __name__ == "__main__":
    main()
