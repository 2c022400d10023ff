"""What one registration submit sends to the database, and how its answer learns the placement.

On PostgreSQL the seat is given at COMMIT (``confman_place_on_commit``), which reports it to
the committing client as a notice: the answer needs no query after the commit. Where the
notice does not arrive (a server that sends clients only warnings), the answer is read back,
and is the same.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url

from confman.app import create_app
from confman.settings import Settings
from tests.factories import (
    Organiser,
    conference_payload,
    database,
    post_ok,
    put_registration_settings,
    registration_payload,
)
from tests.queries import counted_queries

Client = AsyncTestClient[Litestar]
REGISTER = "/api/v1/conferences/climate-2027/registrations"


@pytest.fixture
async def full_conference(client: Client, organiser: Organiser) -> None:
    """One seat, taken; a waiting list."""
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload())
    await put_registration_settings(client, organiser, "climate-2027", capacity=1, double_opt_in=False)
    first = await client.post(REGISTER, json=registration_payload(email="ana@example.org"))
    assert first.json()["result"] == "confirmed"


def _shape(statements: list[str]) -> list[str]:
    """Each statement by its first words (enough to tell them apart)."""
    return [" ".join(statement.split()[:4]) for statement in statements]


async def test_a_submit_sends_its_statements_and_nothing_after_the_commit(
    client: Client, full_conference: None, settings: Settings
) -> None:
    with counted_queries() as statements:
        response = await client.post(REGISTER, json=registration_payload(email="ben@example.org"))

    assert response.status_code == 201
    assert (response.json()["result"], response.json()["position"]) == ("waitlisted", 1)
    if settings.is_sqlite:
        # The write lock from the first statement, allocation from the tally, the three inserts.
        assert _shape(statements) == [
            "BEGIN IMMEDIATE",
            "SELECT conference.id, conference.slug, conference.status,",
            "SELECT registration_tally.confirmed, registration_tally.waiting, registration_tally.last_waitlist_seq",
            "INSERT INTO registration (conference_id,",
            "INSERT INTO registration_token (registration_id,",
            "INSERT INTO mail_outbox (message_id,",
        ]
    else:
        # The conference with its rules, one insert of all three rows; the commit places.
        assert _shape(statements) == [
            "SELECT conference.id, conference.slug, conference.status,",
            "WITH new_registration AS (",
        ]


@pytest.fixture
async def quiet_server(settings: Settings) -> AsyncIterator[Settings]:
    """PostgreSQL sending its clients no notices (``client_min_messages = warning``), for new connections."""
    if settings.is_sqlite:
        pytest.skip("SQLite places inside the request; there is no commit-time notice to miss")
    name = make_url(settings.database_url).database
    async with database(settings) as session:
        await session.execute(text(f'ALTER DATABASE "{name}" SET client_min_messages = warning'))
        await session.commit()
    try:
        yield settings
    finally:
        async with database(settings) as session:
            await session.execute(text(f'ALTER DATABASE "{name}" RESET client_min_messages'))
            await session.commit()


async def test_without_the_notice_the_answer_is_read_back_and_the_same(
    quiet_server: Settings, organiser: Organiser
) -> None:
    # A new app: its connections are opened after the change.
    async with AsyncTestClient(create_app(quiet_server), base_url="http://testserver.local") as client:
        await post_ok(client, organiser, "/api/v1/conferences", conference_payload())
        await put_registration_settings(client, organiser, "climate-2027", capacity=1, double_opt_in=False)
        with counted_queries() as statements:
            first = await client.post(REGISTER, json=registration_payload(email="ana@example.org"))
            second = await client.post(REGISTER, json=registration_payload(email="ben@example.org"))

    assert first.json()["result"] == "confirmed"
    assert (second.json()["result"], second.json()["position"]) == ("waitlisted", 1)
    # Each submit: conference and rules, the insert, and the read-back after the commit.
    assert (
        _shape(statements)
        == [
            "SELECT conference.id, conference.slug, conference.status,",
            "WITH new_registration AS (",
            "SELECT r.status, (SELECT CAST(m.context",
        ]
        * 2
    )
