"""What one registration submit sends to the database, and how its answer learns the placement.

On PostgreSQL the seat is given at COMMIT (``confman_place_on_commit``), which reports it to
the committing client as a notice: the answer needs no query after the commit. Where the
notice does not arrive (a server that sends clients only warnings), the answer is read back,
and is the same. A worker remembers a conference's rules from one submit to the next; the
insert verifies them, so every change an organiser makes holds from the next submit on.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

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
        # The write lock from the first statement, allocation from the tally, the four inserts
        # (the events "created" and "waitlisted" in one).
        assert _shape(statements) == [
            "BEGIN IMMEDIATE",
            "SELECT conference.id, conference.slug, conference.status,",
            "SELECT registration_tally.confirmed, registration_tally.waiting, registration_tally.last_waitlist_seq",
            "INSERT INTO registration (conference_id,",
            "INSERT INTO registration_token (registration_id,",
            "INSERT INTO outbox_event (name,",
            "INSERT INTO mail_outbox (message_id,",
        ]
    else:
        # One statement: the three rows, inserted only if the conference and rules that this
        # worker remembers from the first submit are still current; the commit places.
        assert _shape(statements) == ["WITH target AS ("]


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
    # A new app: its connections are opened after the change, and it remembers no conference
    # yet (each app has its own memory of them).
    async with AsyncTestClient(create_app(quiet_server), base_url="http://testserver.local") as client:
        await post_ok(client, organiser, "/api/v1/conferences", conference_payload())
        await put_registration_settings(client, organiser, "climate-2027", capacity=1, double_opt_in=False)
        with counted_queries() as statements:
            first = await client.post(REGISTER, json=registration_payload(email="ana@example.org"))
            second = await client.post(REGISTER, json=registration_payload(email="ben@example.org"))

    assert first.json()["result"] == "confirmed"
    assert (second.json()["result"], second.json()["position"]) == ("waitlisted", 1)
    # Each submit: the insert and the read-back after the commit (the first reads the rules).
    assert _shape(statements) == [
        "SELECT conference.id, conference.slug, conference.status,",
        "WITH target AS (",
        "SELECT r.status, (SELECT CAST(m.context",
        "WITH target AS (",
        "SELECT r.status, (SELECT CAST(m.context",
    ]


async def submit(client: Client, email: str, **overrides: Any) -> Any:
    return await client.post(REGISTER, json=registration_payload(email=email, **overrides))


async def test_every_organiser_change_holds_from_the_next_submit(
    client: Client, organiser: Organiser, full_conference: None, settings: Settings
) -> None:
    """The same app (worker) throughout: each change is seen although the rules were remembered."""
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    later = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    slug = "climate-2027"

    await put_registration_settings(client, organiser, slug, capacity=1, double_opt_in=False, closes_at=past)
    closed = await submit(client, "ben@example.org")
    assert (closed.status_code, closed.json()["extra"][0]["reason"]) == (409, "closed")

    # Reopened: a refusal made by remembered rules is checked again, not repeated.
    await put_registration_settings(client, organiser, slug, capacity=1, double_opt_in=False, closes_at=later)
    assert (await submit(client, "ben@example.org")).json()["result"] == "waitlisted"

    question = {"key": "diet", "kind": "short_text", "label": {"en": "Diet"}, "required": True}
    await put_registration_settings(client, organiser, slug, capacity=1, double_opt_in=False, questions=[question])
    missing = await submit(client, "cai@example.org")
    assert missing.status_code == 400
    assert "answers.diet" in missing.text

    await put_registration_settings(client, organiser, slug, capacity=5, double_opt_in=True)
    assert (await submit(client, "cai@example.org", answers={})).json()["result"] == "check_email"

    # Unpublished: the public submit is a 404 again.
    response = await client.patch(f"/api/v1/conferences/{slug}", json={"status": "draft"}, headers=organiser.headers)
    assert response.status_code == 200, response.text
    assert (await submit(client, "dan@example.org")).status_code == 404

    # Deleted and made again under the same slug: the new conference gets the registration.
    assert (await client.delete(f"/api/v1/conferences/{slug}", headers=organiser.headers)).status_code == 204
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload())
    await put_registration_settings(client, organiser, slug, capacity=1, double_opt_in=False)
    fresh = await submit(client, "eva@example.org")
    assert fresh.json()["result"] == "confirmed"
    rows = (await client.get(REGISTER, headers=organiser.headers)).json()
    assert [(row["email"], row["status"]) for row in rows] == [("eva@example.org", "confirmed")]
