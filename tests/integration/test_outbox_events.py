"""Outbox events: each change writes its event in its own transaction, every e-mail delivers
one, and no payload holds a secret (token, private link, meeting URL)."""

from __future__ import annotations

import json
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from confman.db.models import Event, OutboxEvent, OutboxMail
from confman.settings import Settings
from tests.factories import (
    Organiser,
    conference_payload,
    database,
    outbox,
    post_ok,
    put_registration_settings,
    registration_payload,
    session_payload,
    token_from,
)

Client = AsyncTestClient[Litestar]
CONF = "/api/v1/conferences/climate-2027"
REGISTER = f"{CONF}/registrations"
MEETING_URL = "https://meet.example.org/secret-room-7f3"


async def events(settings: Settings) -> list[tuple[str, dict[str, Any]]]:
    """Every event, oldest first, with its payload (the registration ids replaced by e-mail addresses)."""
    async with database(settings) as db:
        rows = list(await db.scalars(select(OutboxEvent).order_by(OutboxEvent.id)))
        assert {row.payload_version for row in rows} <= {1}
        return [(row.name, row.payload) for row in rows]


async def delivered(settings: Settings) -> list[tuple[str, str, str | None]]:
    """Every e-mail, oldest first: its kind, recipient and the name of the event it delivers."""
    async with database(settings) as db:
        rows = await db.execute(
            select(OutboxMail.kind, OutboxMail.recipient, OutboxEvent.name)
            .outerjoin(OutboxEvent, OutboxEvent.id == OutboxMail.event_id)
            .order_by(OutboxMail.id)
        )
        return [tuple(row) for row in rows.all()]  # type: ignore[misc]


async def ids(client: Client, organiser: Organiser) -> dict[str, int]:
    listed = (await client.get(REGISTER, headers=organiser.headers)).json()
    return {row["email"]: row["id"] for row in listed}


async def setup(client: Client, organiser: Organiser) -> None:
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload())
    await post_ok(client, organiser, f"{CONF}/streams", {"slug": "main", "name": "Main", "meeting_url": MEETING_URL})
    await post_ok(client, organiser, f"{CONF}/sessions", session_payload(stream="main"))


def assert_no_secret(found: list[tuple[str, dict[str, Any]]], mails: list[Any]) -> None:
    text = json.dumps(found)
    assert "http" not in text
    assert MEETING_URL not in text
    for mail in mails:
        for value in mail.context.values():
            if isinstance(value, str) and value.startswith("http"):
                assert token_from(value) not in text


async def test_direct_registrations_cancellation_and_promotion_write_their_events(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await setup(client, organiser)
    await put_registration_settings(client, organiser, "climate-2027", capacity=1, double_opt_in=False)
    for name in ("ana", "ben"):
        response = await client.post(REGISTER, json=registration_payload(email=f"{name}@example.org"))
        assert response.status_code == 201, response.text
    people = await ids(client, organiser)
    before = len(await events(settings))

    cancelled = await client.patch(
        f"{REGISTER}/{people['ana@example.org']}", json={"status": "cancelled"}, headers=organiser.headers
    )
    assert cancelled.status_code == 200

    found = await events(settings)
    ana, ben = people["ana@example.org"], people["ben@example.org"]
    registration_events = [(name, payload) for name, payload in found if name.startswith("registration.")]
    assert registration_events == [
        ("registration.created", {"registration_id": ana}),
        ("registration.confirmed", {"registration_id": ana}),
        ("registration.created", {"registration_id": ben}),
        ("registration.waitlisted", {"registration_id": ben, "position": 1}),
        ("registration.cancelled", {"registration_id": ana}),
        ("registration.promoted", {"registration_id": ben}),
    ]
    assert [name for name, _ in found[before:]] == ["registration.cancelled", "registration.promoted"]
    assert await delivered(settings) == [
        ("confirmed", "ana@example.org", "registration.confirmed"),
        ("waitlisted", "ben@example.org", "registration.waitlisted"),
        ("cancelled", "ana@example.org", "registration.cancelled"),
        ("promoted", "ben@example.org", "registration.promoted"),
    ]
    assert_no_secret(found, await outbox(settings))


async def test_double_opt_in_known_address_and_resend_write_their_events(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await setup(client, organiser)
    await put_registration_settings(client, organiser, "climate-2027", double_opt_in=True)
    for _ in range(2):
        response = await client.post(REGISTER, json=registration_payload(email="rosa@example.org"))
        assert response.status_code == 202, response.text
    rosa = (await ids(client, organiser))["rosa@example.org"]
    resent = await client.post(f"{REGISTER}/{rosa}/resend", headers=organiser.headers)
    assert resent.status_code == 202, resent.text
    token = token_from((await outbox(settings))[-1].context["confirm_url"])

    confirmed = await client.post(f"{REGISTER}/confirm", json={"token": token})
    assert confirmed.json()["result"] == "confirmed"

    found = await events(settings)
    assert [(name, payload) for name, payload in found if name.startswith("registration.")] == [
        ("registration.created", {"registration_id": rosa}),
        ("registration.repeated", {"registration_id": rosa}),
        ("registration.resent", {"registration_id": rosa, "status": "pending"}),
        ("registration.confirmed", {"registration_id": rosa}),
    ]
    assert await delivered(settings) == [
        ("confirm_request", "rosa@example.org", "registration.created"),
        ("already_registered", "rosa@example.org", "registration.repeated"),
        ("confirm_request", "rosa@example.org", "registration.resent"),
        ("confirmed", "rosa@example.org", "registration.confirmed"),
    ]
    assert_no_secret(found, await outbox(settings))


async def test_programme_changes_write_session_events_only(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await setup(client, organiser)
    before = await events(settings)

    response = await client.patch(
        f"{CONF}/sessions/limits-of-cop26", json={"title": {"en": "New title"}}, headers=organiser.headers
    )
    assert response.status_code == 200, response.text

    after = (await events(settings))[len(before) :]
    async with database(settings) as db:
        from confman.db.models import Conference, ConferenceSession

        session = await db.scalar(select(ConferenceSession).where(ConferenceSession.slug == "limits-of-cop26"))
        conference = await db.scalar(select(Conference))
        assert session is not None
        assert conference is not None
        expected_version, expected_revision, session_id = conference.programme_version, session.revision, session.id
    # ``programme.released`` waits for an organiser's release (tests/integration/test_releases.py).
    assert expected_version > 1
    assert after == [
        (Event.SESSION_CHANGED.value, {"session_id": session_id, "session": "limits-of-cop26",
                                       "revision": expected_revision}),
    ]  # fmt: skip
    assert_no_secret(after, [])
