"""Seats under real concurrency: a real server process (uvicorn, two workers), real concurrent
HTTP clients, on SQLite and on PostgreSQL. The control run serves an app built with a placement
that has no lock (tests/unlocked.py) and must oversell, which shows that the main run could fail."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from confman.db.models import RegistrationTally
from confman.settings import Settings
from tests.factories import Organiser, conference_payload, database, registration_payload, registration_settings_payload
from tests.server import Server, serve_many
from tests.unlocked import UNLOCKED_APP

CONF = "/api/v1/conferences/climate-2027"
SEATS = 20


@pytest.fixture(scope="module")
def servers(database_url: str) -> Iterator[tuple[str, str]]:
    """The server as in production, and the control server without the lock."""
    # Several processes where production runs several (PostgreSQL); the embedded SQLite
    # default runs one, and its writers queue on the database lock either way. One process
    # is enough for the control to oversell.
    workers = 1 if database_url.startswith("sqlite") else 2
    production, control = Server(database_url, workers), Server(database_url, 1, factory=UNLOCKED_APP)
    with serve_many(production, control) as [locked_url, unlocked_url]:
        yield locked_url, unlocked_url


@pytest.fixture
def server(servers: tuple[str, str]) -> str:
    return servers[0]


@pytest.fixture
def unlocked_server(servers: tuple[str, str]) -> str:
    return servers[1]


async def open_conference(http: httpx.AsyncClient, organiser: Organiser, **rules: Any) -> None:
    created = await http.post("/api/v1/conferences", json=conference_payload(), headers=organiser.headers)
    assert created.status_code == 201, created.text
    response = await http.put(
        f"{CONF}/registration-settings", json=registration_settings_payload(**rules), headers=organiser.headers
    )
    assert response.status_code == 200, response.text


def client(base_url: str) -> httpx.AsyncClient:
    # Idle connections are dropped after 1 s, before uvicorn's 5 s keep-alive timeout: with
    # httpx's default (also 5 s) a reused connection could be closed by the server as the
    # next request went out ("Server disconnected without sending a response"; seen under load).
    limits = httpx.Limits(max_connections=250, max_keepalive_connections=250, keepalive_expiry=1.0)
    return httpx.AsyncClient(base_url=base_url, limits=limits, timeout=120)


async def register_all(http: httpx.AsyncClient, emails: list[str]) -> list[httpx.Response]:
    return list(
        await asyncio.gather(
            *(http.post(f"{CONF}/registrations", json=registration_payload(email=email)) for email in emails)
        )
    )


async def everyone(http: httpx.AsyncClient, organiser: Organiser) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = (await http.get(CONF + "/registrations?limit=1000", headers=organiser.headers)).json()
    return rows


async def assert_invariants(rows: list[dict[str, Any]], settings: Settings) -> None:
    counts = Counter(row["status"] for row in rows)
    # The tally that the next placement reads (kept by triggers under concurrency) is true.
    async with database(settings) as session:
        tally = (await session.execute(select(RegistrationTally.confirmed, RegistrationTally.waiting))).one()
    assert tuple(tally) == (counts["confirmed"], counts["waitlisted"])
    assert counts["confirmed"] <= SEATS
    if counts["waitlisted"]:
        assert counts["confirmed"] == SEATS  # no one waits while a seat is free
    positions = sorted(row["waitlist_position"] for row in rows if row["status"] == "waitlisted")
    assert positions == list(range(1, counts["waitlisted"] + 1))


async def test_200_concurrent_registrations_for_20_seats(server: str, settings: Settings, organiser: Organiser) -> None:
    async with client(server) as http:
        await open_conference(http, organiser, capacity=SEATS, double_opt_in=False)

        responses = await register_all(http, [f"person{i}@example.org" for i in range(200)])

        assert [r.status_code for r in responses if r.status_code >= 500] == []
        assert Counter(r.status_code for r in responses) == {201: 200}
        results = Counter(r.json()["result"] for r in responses)
        assert results == {"confirmed": 20, "waitlisted": 180}
        assert sorted(r.json()["position"] for r in responses if r.json()["result"] == "waitlisted") == list(
            range(1, 181)
        )
        rows = await everyone(http, organiser)
    assert Counter(row["status"] for row in rows) == {"confirmed": 20, "waitlisted": 180}
    await assert_invariants(rows, settings)


async def test_control_without_the_lock_the_same_load_oversells(
    unlocked_server: str, settings: Settings, organiser: Organiser
) -> None:
    async with client(unlocked_server) as http:
        await open_conference(http, organiser, capacity=SEATS, double_opt_in=False)

        await register_all(http, [f"person{i}@example.org" for i in range(200)])

        rows = await everyone(http, organiser)
    assert Counter(row["status"] for row in rows)["confirmed"] > SEATS


async def test_100_concurrent_submissions_of_one_address_make_one_registration(
    server: str, settings: Settings, organiser: Organiser
) -> None:
    async with client(server) as http:
        await open_conference(http, organiser, capacity=SEATS)

        responses = await register_all(http, ["rosa@example.org"] * 100)

        assert Counter(r.status_code for r in responses) == {202: 100}
        assert len({r.content for r in responses}) == 1
        rows = await everyone(http, organiser)
    assert [(row["email"], row["status"]) for row in rows] == [("rosa@example.org", "pending")]


async def test_cancellations_alongside_registrations_keep_the_invariants(
    server: str, settings: Settings, organiser: Organiser
) -> None:
    async with client(server) as http:
        await open_conference(http, organiser, capacity=SEATS, double_opt_in=False)
        await register_all(http, [f"early{i}@example.org" for i in range(30)])
        confirmed = [row for row in await everyone(http, organiser) if row["status"] == "confirmed"]
        leaving = random.Random(5).sample(confirmed, 15)  # noqa: S311 (a fixed, repeatable order)

        cancels = [
            http.patch(f"{CONF}/registrations/{row['id']}", json={"status": "cancelled"}, headers=organiser.headers)
            for row in leaving
        ]
        joins = [
            http.post(f"{CONF}/registrations", json=registration_payload(email=f"late{i}@example.org"))
            for i in range(60)
        ]
        tasks = cancels + joins
        random.Random(7).shuffle(tasks)  # noqa: S311
        responses = await asyncio.gather(*tasks)

        assert [r.status_code for r in responses if r.status_code >= 500] == []
        rows = await everyone(http, organiser)
    counts = Counter(row["status"] for row in rows)
    assert counts == {"confirmed": 20, "cancelled": 15, "waitlisted": 55}
    await assert_invariants(rows, settings)
