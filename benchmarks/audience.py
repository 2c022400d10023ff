"""Time the organiser's audience pages with 10,000 registrations on the large conference,
signed in, through the whole app in-process, on SQLite and on PostgreSQL.

    python -m benchmarks.audience [--database sqlite|postgresql|both] [--runs 40] [--registrations 10000]

The registrations come from 150 time zones (a few big cities, a long tail) and 40 countries,
in four languages, with answers to three questions; 80 % are confirmed, the others waiting,
pending or cancelled. Measured as
``schedule_builder.py`` does (wall p50/p95, CPU p50, the SQL statements of one request):

- the registrations list, first page, unfiltered; filtered by status and country; searched;
- the reach page (confirmed attendees; all attendees with a start-hour day and length);
- the message form for a filtered set (its recipient count);
- the schedule builder's first day (which shows the reach beside each slot), and a move by htmx
  (the re-rendered grid, with the reach).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import statistics
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from httpx import Response
from litestar.testing import AsyncTestClient
from sqlalchemy import Table, insert, select

from benchmarks.http_load import prepare
from benchmarks.schedule_builder import _TOKEN, EMAIL, PASSWORD, SLUG, _organiser, _timed, fresh_database_url, summary
from confman.app import create_app
from confman.cli import unit_of_work
from confman.db.models import Conference, Registration, RegistrationSettings, RegistrationStatus
from confman.lib.timezones import known_zones
from confman.settings import Settings

COUNTRIES = (
    "US", "BR", "MX", "CA", "AR", "CL", "CO", "PE", "GB", "IE", "PT", "ES", "FR", "DE", "NL", "BE", "IT", "PL", "SE",
    "FI", "UA", "TR", "EG", "NG", "KE", "ZA", "IN", "PK", "BD", "TH", "VN", "CN", "JP", "KR", "PH", "ID", "AU", "NZ",
    "SG", "AE",
)  # fmt: skip
QUESTIONS = [
    {"key": "role", "kind": "single_choice", "label": {"en": "Role"},
     "choices": [{"key": k, "label": {"en": k.title()}} for k in ("research", "policy", "industry", "student")]},
    {"key": "topics", "kind": "multiple_choice", "label": {"en": "Topics"},
     "choices": [{"key": k, "label": {"en": k.title()}} for k in ("energy", "water", "cities", "food")]},
    {"key": "newsletter", "kind": "yes_no", "label": {"en": "Newsletter?"}},
]  # fmt: skip
NAMES = ("Ana", "Bo", "Chen", "Dmitri", "Élodie", "Fatima", "Gustavo", "Hiroshi", "Ingrid", "José", "Kwame", "Лена")


def _zones(count: int) -> list[str]:
    """``count`` zones drawn from 150, weighted 1/rank: a few big cities, a long tail."""
    chooser = random.Random(14)  # noqa: S311 - reproducible test data, not secrets
    zones = sorted(z for z in known_zones() if "/" in z and not z.startswith("Etc/"))
    popular = chooser.sample(zones, 150)
    return chooser.choices(popular, [1 / (rank + 1) for rank in range(len(popular))], k=count)


async def add_registrations(settings: Settings, count: int) -> None:
    """``count`` registrations in one executemany (the submit path is not what is measured)."""
    async with unit_of_work(settings) as db:
        conference = await db.scalar(select(Conference).where(Conference.slug == SLUG))
        assert conference is not None
        if await db.scalar(select(Registration.id).where(Registration.conference_id == conference.id).limit(1)):
            return
        rules = await db.scalar(select(RegistrationSettings).where(RegistrationSettings.conference_id == conference.id))
        if rules is None:
            rules = RegistrationSettings(conference_id=conference.id)
            db.add(rules)
        rules.questions, rules.capacity = QUESTIONS, int(count * 0.8)
        now = datetime.now(UTC)
        rows: list[dict[str, Any]] = []
        waiting = 0
        zones = _zones(count)
        for index in range(count):
            country = COUNTRIES[(index * 7) % len(COUNTRIES)]
            share = index % 100
            status = (
                RegistrationStatus.CONFIRMED if share < 80 else RegistrationStatus.WAITLISTED if share < 95
                else RegistrationStatus.PENDING if share < 98 else RegistrationStatus.CANCELLED
            )  # fmt: skip
            waiting += status is RegistrationStatus.WAITLISTED
            rows.append({
                "conference_id": conference.id, "email": f"person{index}@example.org",
                "name": f"{NAMES[index % len(NAMES)]} Person{index}", "country": country, "timezone": zones[index],
                "language": ("en", "es", "fr", "ru")[index % 4],
                "answers": {"role": ("research", "policy", "industry", "student")[index % 4],
                            "topics": [("energy", "water", "cities", "food")[i] for i in range(index % 4)],
                            "newsletter": index % 3 == 0},
                "consented_at": now - timedelta(minutes=count - index), "status": status,
                "waitlist_seq": waiting if status is RegistrationStatus.WAITLISTED else None,
                "confirmed_at": now if status is RegistrationStatus.CONFIRMED else None,
                "cancelled_at": now if status is RegistrationStatus.CANCELLED else None,
                "created_at": now - timedelta(minutes=count - index), "updated_at": now,
            })  # fmt: skip
        await db.execute(insert(cast(Table, Registration.__table__)), rows)


async def measure(settings: Settings, runs: int, count: int) -> dict[str, tuple[float, float, float, int]]:
    await prepare(settings)
    await _organiser(settings)
    await add_registrations(settings, count)
    app = create_app(settings)
    pages = {
        "registrations, first page": f"/orga/{SLUG}/registrations/",
        "registrations, confirmed from DE": f"/orga/{SLUG}/registrations/?status=confirmed&country=DE",
        "registrations, search 'person99'": f"/orga/{SLUG}/registrations/?q=person99",
        "registrations, answer topics=water": f"/orga/{SLUG}/registrations/?a.topics=water",
        "reach (confirmed)": f"/orga/{SLUG}/reach/",
        "reach (all, 90-minute starts)": f"/orga/{SLUG}/reach/?who=all&day=2027-11-14&length=90",
        "message form (country=BR)": f"/orga/{SLUG}/messages/new?country=BR",
        "schedule builder, first day": f"/orga/{SLUG}/schedule/?day=2027-11-13",
    }
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
        for name, path in pages.items():

            async def get_page(_: int, path: str = path) -> Response:
                return await client.get(path)

            samples, cpu, statements = await _timed(runs, get_page, 200)
            p50, p95 = summary(samples)
            results[name] = (p50, p95, statistics.median(cpu), statements)
        found = _TOKEN.search((await client.get(pages["schedule builder, first day"])).text)
        assert found
        csrf = found.group(1)

        async def move(index: int) -> Response:
            data = {
                "session": "session-3", "day": "2027-11-13", "start": "09:40" if index % 2 else "09:45",
                "duration": "28", "stream": "stream-0", "zone": "Europe/London", "shown_day": "2027-11-13",
                "_csrf_token": csrf,
            }  # fmt: skip
            headers = {"HX-Request": "true", "X-CSRFToken": csrf}
            return await client.post(f"/orga/{SLUG}/schedule/move", data=data, headers=headers)

        samples, cpu, statements = await _timed(runs, move, 200)
        p50, p95 = summary(samples)
        results["schedule move by htmx (grid)"] = (p50, p95, statistics.median(cpu), statements)
    return results


async def run(database: str, runs: int, count: int) -> dict[str, tuple[float, float, float, int]]:
    async with fresh_database_url(database) as url:
        return await measure(Settings(database_url=url, base_url="http://testserver.local"), runs, count)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--registrations", type=int, default=10_000)
    arguments = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    databases = ["sqlite", "postgresql"] if arguments.database == "both" else [arguments.database]
    print(f"{'database':<11} {'request':<38} {'p50 ms':>8} {'p95 ms':>8} {'CPU p50':>8} {'statements':>10}")
    for database in databases:
        results = asyncio.run(run(database, arguments.runs, arguments.registrations))
        for name, (p50, p95, cpu, statements) in results.items():
            print(f"{database:<11} {name:<38} {p50:>8.1f} {p95:>8.1f} {cpu:>8.1f} {statements:>10}")


if __name__ == "__main__":
    main()
