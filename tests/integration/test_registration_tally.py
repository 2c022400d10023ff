"""The per-conference tally (migration 0005) equals a recount after every kind of change.

Seats are given by reading the tally inside the conference's lock, so a tally that drifted
would oversell or refuse seats that are free. Database triggers keep it; these tests walk
every path that changes a status (submit, confirm, waiting list, cancel with promotion,
organiser changes, more seats, re-registering, deleting one's data, deleting the conference)
and recount after each step, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from confman.attendees.services import erase
from confman.db.models import Conference, Registration, RegistrationStatus, RegistrationTally
from confman.settings import Settings
from tests.factories import (
    Organiser,
    conference_payload,
    database,
    outbox,
    post_ok,
    put_registration_settings,
    registration_payload,
    token_from,
)

Client = AsyncTestClient[Litestar]
CONF = "/api/v1/conferences/climate-2027"
REGISTER = f"{CONF}/registrations"


@pytest.fixture
async def conference(client: Client, organiser: Organiser) -> str:
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload())
    return "climate-2027"


async def register(client: Client, email: str) -> Any:
    response = await client.post(REGISTER, json=registration_payload(email=email))
    assert response.status_code in (201, 202), response.text
    return response.json()


async def tally_and_recount(settings: Settings) -> tuple[tuple[int, int] | None, tuple[int, int], int, int]:
    """(tally confirmed, waiting), (recount confirmed, waiting), tally's last number, highest number in use."""
    async with database(settings) as session:
        tally = (await session.execute(select(RegistrationTally.confirmed, RegistrationTally.waiting))).first()
        last = await session.scalar(select(RegistrationTally.last_waitlist_seq))
        counts = dict(
            (await session.execute(select(Registration.status, func.count()).group_by(Registration.status))).all()
        )
        highest = await session.scalar(select(func.max(Registration.waitlist_seq)))
    recount = (counts.get(RegistrationStatus.CONFIRMED, 0), counts.get(RegistrationStatus.WAITLISTED, 0))
    return (None if tally is None else (tally[0], tally[1])), recount, int(last or 0), int(highest or 0)


async def assert_tally_true(settings: Settings, expected: tuple[int, int]) -> None:
    tally, recount, last, highest = await tally_and_recount(settings)
    assert recount == expected
    assert tally == recount
    assert last >= highest


async def registration_id(client: Client, organiser: Organiser, email: str) -> int:
    rows = (await client.get(REGISTER, params={"q": email}, headers=organiser.headers)).json()
    [row] = [row for row in rows if row["email"] == email]
    return int(row["id"])


async def set_status(client: Client, organiser: Organiser, email: str, status: str) -> int:
    number = await registration_id(client, organiser, email)
    response = await client.patch(f"{REGISTER}/{number}", json={"status": status}, headers=organiser.headers)
    return response.status_code


async def test_every_status_change_keeps_the_tally_equal_to_a_recount(
    client: Client, organiser: Organiser, conference: str, settings: Settings
) -> None:
    await put_registration_settings(client, organiser, conference, capacity=2, double_opt_in=False)
    assert (await tally_and_recount(settings))[0] == (0, 0)  # made with the conference

    for name in ("ana", "ben", "cai", "dan"):
        await register(client, f"{name}@example.org")
    await assert_tally_true(settings, (2, 2))

    # The organiser cancels a seat holder: the head of the list moves up.
    assert await set_status(client, organiser, "ana@example.org", "cancelled") == 200
    await assert_tally_true(settings, (2, 1))

    # The attendee cancels by private link (the confirmed e-mail's).
    cancel_url = next(m for m in await outbox(settings) if m.recipient == "ben@example.org").context["cancel_url"]
    response = await client.post(f"{REGISTER}/cancel", json={"token": token_from(cancel_url)})
    assert response.status_code == 201
    await assert_tally_true(settings, (2, 0))

    # Re-registering after a cancellation: full, so to the end of the list with a new number.
    assert (await register(client, "ana@example.org"))["result"] == "waitlisted"
    await assert_tally_true(settings, (2, 1))

    # More seats promote from the list; then the organiser moves a seat holder nowhere else.
    await put_registration_settings(client, organiser, conference, capacity=3, double_opt_in=False)
    await assert_tally_true(settings, (3, 0))
    assert await set_status(client, organiser, "ana@example.org", "waitlisted") == 400
    await assert_tally_true(settings, (3, 0))

    # Full again: a newcomer waits; a refused organiser change writes nothing.
    await register(client, "eva@example.org")
    assert await set_status(client, organiser, "eva@example.org", "confirmed") == 409
    await assert_tally_true(settings, (3, 1))

    # Deleting one's data cancels (and promotes), and the anonymous row stays counted as cancelled.
    async with database(settings) as session:
        conf = await session.scalar(select(Conference).where(Conference.slug == conference))
        dan = await session.scalar(select(Registration).where(Registration.email == "dan@example.org"))
        assert conf is not None
        assert dan is not None
        await erase(session, settings, conf, dan)
        await session.commit()
    await assert_tally_true(settings, (3, 0))

    # Deleting the conference takes its tally with it.
    response = await client.delete(CONF, headers=organiser.headers)
    assert response.status_code == 204
    async with database(settings) as session:
        assert await session.scalar(select(func.count()).select_from(RegistrationTally)) == 0


async def test_double_opt_in_counts_only_once_confirmed(
    client: Client, organiser: Organiser, conference: str, settings: Settings
) -> None:
    await put_registration_settings(client, organiser, conference, capacity=1, double_opt_in=True)
    for name in ("ana", "ben"):
        await register(client, f"{name}@example.org")
    await assert_tally_true(settings, (0, 0))  # pending holds nothing

    for mail in [m for m in await outbox(settings) if m.kind == "confirm_request"]:
        token = token_from(mail.context["confirm_url"])
        response = await client.post(f"{REGISTER}/confirm", json={"token": token})
        assert response.status_code == 201
        # Confirming twice changes nothing.
        await client.post(f"{REGISTER}/confirm", json={"token": token})
    await assert_tally_true(settings, (1, 1))

    assert await set_status(client, organiser, "ana@example.org", "cancelled") == 200
    await assert_tally_true(settings, (1, 0))


async def test_no_waiting_list_full_conference_refuses_and_counts_nothing_more(
    client: Client, organiser: Organiser, conference: str, settings: Settings
) -> None:
    await put_registration_settings(client, organiser, conference, capacity=1, waitlist=False, double_opt_in=False)
    await register(client, "ana@example.org")
    response = await client.post(REGISTER, json=registration_payload(email="ben@example.org"))
    assert response.status_code == 409
    assert response.json()["extra"][0]["reason"] == "full"
    await assert_tally_true(settings, (1, 0))
