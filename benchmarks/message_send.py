"""Time a message to 10,000 attendees through the whole app in-process, on SQLite and PostgreSQL.

    python -m benchmarks.message_send [--database sqlite|postgresql|both] [--attendees 10000] [--runs 3]

Signed in as an organiser of the large conference with N confirmed registrations (written with
one Core insert), measured: the compose page (``GET …/messages/new``: the filter and the count),
the send (``POST …/messages/new``, action=send: the recipients' select, the message, its event,
N tokens and N outbox e-mails in two executemany statements, the audit record, the commit, and
the 303), and the list of sent messages with their delivery counts. Wall time of each run and
the SQL statements of one request.

PostgreSQL from ``$CONFMAN_BENCH_POSTGRES_URL`` (default the local server); a database is
created for the run and dropped after. SQLite: a fresh file.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import tempfile
import time
from pathlib import Path
from typing import Any, cast

from litestar.testing import AsyncTestClient
from sqlalchemy import Table, insert, select

from benchmarks.http_load import prepare
from benchmarks.schedule_builder import EMAIL, PASSWORD, SLUG, _organiser, fresh_database_url
from confman.app import create_app
from confman.cli import unit_of_work
from confman.db.models import Conference, Registration, RegistrationStatus
from confman.lib.timezones import utcnow
from confman.settings import Settings
from tests.queries import counted_queries

NEW = f"/orga/{SLUG}/messages/new"
_TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')
LANGUAGES = ("en", "es", "fr", "ru")
ZONES = ("Europe/London", "America/Sao_Paulo", "Australia/Sydney", "Europe/Moscow")


async def _attendees(settings: Settings, count: int) -> None:
    async with unit_of_work(settings) as db:
        conference_id = await db.scalar(select(Conference.id).where(Conference.slug == SLUG))
        now = utcnow()
        rows = [
            {
                "conference_id": conference_id,
                "email": f"attendee{index}@example.org",
                "name": f"Attendee {index}",
                "country": "GB",
                "timezone": ZONES[index % len(ZONES)],
                "language": LANGUAGES[index % len(LANGUAGES)],
                "answers": {},
                "consented_at": now,
                "status": RegistrationStatus.CONFIRMED,
                "confirmed_at": now,
                "follows_all": True,
                "created_at": now,
                "updated_at": now,
            }
            for index in range(count)
        ]
        await db.execute(insert(cast(Table, Registration.__table__)), rows)


async def measure(settings: Settings, attendees: int, runs: int) -> dict[str, tuple[list[float], int]]:
    await prepare(settings)
    await _organiser(settings)
    await _attendees(settings, attendees)
    results: dict[str, tuple[list[float], int]] = {}
    async with AsyncTestClient(create_app(settings), base_url="http://testserver.local") as client:
        login = await client.get("/orga/login")
        token = _TOKEN.search(login.text)
        assert token is not None
        await client.post("/orga/login", data={"email": EMAIL, "password": PASSWORD, "_csrf_token": token.group(1)})

        async def timed(name: str, call: Any, expect: int) -> None:
            samples: list[float] = []
            statements = 0
            for _ in range(runs):
                with counted_queries() as counted:
                    start = time.perf_counter()
                    answer = await call()
                    samples.append((time.perf_counter() - start) * 1000)
                assert answer.status_code == expect, answer.text[:500]
                statements = len(counted)
            results[name] = (samples, statements)

        page = await client.get(NEW)
        assert f"goes to {attendees} attendees" in page.text, page.text[:2000]
        form_token = _TOKEN.search(page.text)
        assert form_token is not None
        data = {
            "subject.en": "Programme news",
            "body.en": "The **programme** is out.\n\nSee you there.",
            "subject.ru": "Новости программы",
            "body.ru": "Программа **готова**.",
            "action": "send",
            "expected_recipients": str(attendees),
            "_csrf_token": form_token.group(1),
        }
        await timed("compose page (count)", lambda: client.get(NEW), 200)
        await timed(f"send to {attendees}", lambda: client.post(NEW, data=data, follow_redirects=False), 303)
        await timed("sent messages list", lambda: client.get(f"/orga/{SLUG}/messages/"), 200)
    return results


def _settings(url: str) -> Settings:
    # No embedded worker: it would send the e-mails (and count its statements) during the timing.
    return Settings(
        database_url=url,
        base_url="http://testserver.local",
        mail_worker_embedded=False,
        mailbox_dir=Path(tempfile.mkdtemp()) / "mailbox",
    )


async def run(database: str, attendees: int, runs: int) -> dict[str, tuple[list[float], int]]:
    async with fresh_database_url(database) as url:
        return await measure(_settings(url), attendees, runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--attendees", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    arguments = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    databases = ["sqlite", "postgresql"] if arguments.database == "both" else [arguments.database]
    print(f"{'database':<11} {'request':<28} {'runs (ms)':<32} {'statements':>10}")
    for database in databases:
        for name, (samples, statements) in asyncio.run(run(database, arguments.attendees, arguments.runs)).items():
            shown = ", ".join(f"{sample:.0f}" for sample in samples)
            print(f"{database:<11} {name:<28} {shown:<32} {statements:>10}")


if __name__ == "__main__":
    main()
