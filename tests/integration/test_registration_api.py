"""Registration over the JSON API: double opt-in, waiting list, promotion, neutrality, organisers."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from confman.settings import Settings
from tests.factories import (
    Organiser,
    conference_payload,
    outbox,
    post_ok,
    put_registration_settings,
    registration_payload,
    registrations,
    token_from,
)

Client = AsyncTestClient[Litestar]
CONF = "/api/v1/conferences/climate-2027"
REGISTER = f"{CONF}/registrations"


@pytest.fixture
async def conference(client: Client, organiser: Organiser) -> str:
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload())
    return "climate-2027"


async def register(client: Client, email: str, **overrides: Any) -> Any:
    return await client.post(REGISTER, json=registration_payload(email=email, **overrides))


async def statuses(client: Client, organiser: Organiser) -> dict[str, tuple[str, int | None]]:
    rows = (await client.get(REGISTER, headers=organiser.headers)).json()
    return {row["email"]: (row["status"], row["waitlist_position"]) for row in rows}


async def test_double_opt_in_submit_says_check_email_and_confirming_takes_a_seat(
    client: Client, organiser: Organiser, conference: str, settings: Settings
) -> None:
    response = await register(client, "rosa@example.org")

    assert response.status_code == 202
    assert response.json()["result"] == "check_email"
    assert await statuses(client, organiser) == {"rosa@example.org": ("pending", None)}
    [mail] = await outbox(settings)
    assert (mail.kind, mail.recipient, mail.language) == ("confirm_request", "rosa@example.org", "es")
    confirm_url = mail.context["confirm_url"]
    assert confirm_url.startswith("http://testserver.local/climate-2027/register/confirm/")
    assert "?" not in confirm_url

    confirmed = await client.post(f"{REGISTER}/confirm", json={"token": token_from(confirm_url)})

    assert confirmed.status_code == 201
    assert confirmed.json()["result"] == "confirmed"
    assert await statuses(client, organiser) == {"rosa@example.org": ("confirmed", None)}
    mails = await outbox(settings)
    assert [m.kind for m in mails] == ["confirm_request", "confirmed"]
    assert mails[1].context["manage_url"].startswith("http://testserver.local/me/")


async def test_confirming_twice_changes_nothing(
    client: Client, organiser: Organiser, conference: str, settings: Settings
) -> None:
    await register(client, "rosa@example.org")
    token = token_from((await outbox(settings))[0].context["confirm_url"])
    first = await client.post(f"{REGISTER}/confirm", json={"token": token})
    second = await client.post(f"{REGISTER}/confirm", json={"token": token})

    assert (first.json()["result"], second.json()["result"]) == ("confirmed", "confirmed")
    assert [m.kind for m in await outbox(settings)] == ["confirm_request", "confirmed"]


async def test_a_forged_confirmation_token_confirms_nothing(
    client: Client, organiser: Organiser, conference: str, settings: Settings
) -> None:
    await register(client, "rosa@example.org")
    response = await client.post(f"{REGISTER}/confirm", json={"token": "c_" + "A" * 43})

    assert response.status_code == 404
    assert await statuses(client, organiser) == {"rosa@example.org": ("pending", None)}


async def test_tokens_are_stored_only_as_hashes(client: Client, conference: str, settings: Settings) -> None:
    from sqlalchemy import select

    from confman.db.models import RegistrationToken
    from tests.factories import database

    await register(client, "rosa@example.org")
    token = token_from((await outbox(settings))[0].context["confirm_url"])
    async with database(settings) as session:
        stored = list(await session.scalars(select(RegistrationToken.token_hash)))

    assert len(token) >= 40  # ≥ 128 bits of randomness, URL-safe
    assert token not in stored
    assert len(stored) == 1
    assert len(stored[0]) == 64


async def test_registering_again_gives_the_same_answer_and_creates_nothing(
    client: Client, organiser: Organiser, conference: str, settings: Settings
) -> None:
    new = await register(client, "rosa@example.org")
    known = await register(client, "rosa@example.org", name="Someone Else")

    assert (known.status_code, known.content) == (new.status_code, new.content)
    # Every header alike but the request id, which differs per request and tells nothing.
    assert sorted(without_request_id(known.headers)) == sorted(without_request_id(new.headers))
    assert [r.name for r in await registrations(settings)] == ["Rosa Attendee"]
    assert [m.kind for m in await outbox(settings)] == ["confirm_request", "already_registered"]
    # The reminder carries a link that confirms.
    token = token_from((await outbox(settings))[1].context["confirm_url"])
    assert (await client.post(f"{REGISTER}/confirm", json={"token": token})).json()["result"] == "confirmed"


async def test_full_conference_puts_confirmations_on_the_waiting_list_and_cancelling_promotes(
    client: Client, organiser: Organiser, conference: str, settings: Settings
) -> None:
    await put_registration_settings(client, organiser, conference, capacity=1, double_opt_in=False)
    answers = [await register(client, f"{name}@example.org") for name in ("ana", "ben", "cai")]

    assert [(r.status_code, r.json()["result"], r.json()["position"]) for r in answers] == [
        (201, "confirmed", None),
        (201, "waitlisted", 1),
        (201, "waitlisted", 2),
    ]
    ana = next(
        r for r in (await client.get(REGISTER, headers=organiser.headers)).json() if r["email"] == "ana@example.org"
    )

    cancelled = await client.patch(f"{REGISTER}/{ana['id']}", json={"status": "cancelled"}, headers=organiser.headers)

    assert cancelled.status_code == 200
    assert await statuses(client, organiser) == {
        "ana@example.org": ("cancelled", None),
        "ben@example.org": ("confirmed", None),
        "cai@example.org": ("waitlisted", 1),
    }
    kinds = [(m.kind, m.recipient) for m in await outbox(settings)]
    assert kinds[-2:] == [("cancelled", "ana@example.org"), ("promoted", "ben@example.org")]


async def test_attendee_cancels_by_private_link_and_the_head_of_the_list_moves_up(
    client: Client, organiser: Organiser, conference: str, settings: Settings
) -> None:
    await put_registration_settings(client, organiser, conference, capacity=1, double_opt_in=False)
    await register(client, "ana@example.org")
    await register(client, "ben@example.org")
    cancel_url = next(m for m in await outbox(settings) if m.kind == "confirmed").context["cancel_url"]

    response = await client.post(f"{REGISTER}/cancel", json={"token": token_from(cancel_url)})

    assert response.status_code == 201
    assert await statuses(client, organiser) == {
        "ana@example.org": ("cancelled", None),
        "ben@example.org": ("confirmed", None),
    }


async def test_full_without_waiting_list_says_full_and_writes_nothing(
    client: Client, organiser: Organiser, conference: str, settings: Settings
) -> None:
    await put_registration_settings(client, organiser, conference, capacity=1, waitlist=False, double_opt_in=False)
    await register(client, "ana@example.org")
    before = len(await outbox(settings))

    response = await register(client, "ben@example.org")

    assert response.status_code == 409
    assert response.json()["extra"][0]["reason"] == "full"
    assert [r.email for r in await registrations(settings)] == ["ana@example.org"]
    assert len(await outbox(settings)) == before


async def test_confirming_when_full_without_waiting_list_says_full(
    client: Client, organiser: Organiser, conference: str, settings: Settings
) -> None:
    await put_registration_settings(client, organiser, conference, capacity=1, waitlist=False)
    await register(client, "ana@example.org")
    await register(client, "ben@example.org")
    tokens = [token_from(m.context["confirm_url"]) for m in await outbox(settings)]

    first = await client.post(f"{REGISTER}/confirm", json={"token": tokens[0]})
    second = await client.post(f"{REGISTER}/confirm", json={"token": tokens[1]})

    assert (first.json()["result"], second.json()["result"]) == ("confirmed", "full")
    assert await statuses(client, organiser) == {
        "ana@example.org": ("confirmed", None),
        "ben@example.org": ("pending", None),
    }


async def test_more_capacity_promotes_from_the_waiting_list_at_once(
    client: Client, organiser: Organiser, conference: str
) -> None:
    await put_registration_settings(client, organiser, conference, capacity=1, double_opt_in=False)
    for name in ("ana", "ben", "cai"):
        await register(client, f"{name}@example.org")

    await put_registration_settings(client, organiser, conference, capacity=2, double_opt_in=False)

    assert await statuses(client, organiser) == {
        "ana@example.org": ("confirmed", None),
        "ben@example.org": ("confirmed", None),
        "cai@example.org": ("waitlisted", 1),
    }


async def test_organiser_cannot_confirm_beyond_capacity(client: Client, organiser: Organiser, conference: str) -> None:
    await put_registration_settings(client, organiser, conference, capacity=1, double_opt_in=False)
    await register(client, "ana@example.org")
    await register(client, "ben@example.org")
    ben = next(
        r for r in (await client.get(REGISTER, headers=organiser.headers)).json() if r["email"] == "ben@example.org"
    )

    response = await client.patch(f"{REGISTER}/{ben['id']}", json={"status": "confirmed"}, headers=organiser.headers)

    assert response.status_code == 409
    assert response.json()["extra"][0]["key"] == "status"
    assert (await statuses(client, organiser))["ben@example.org"] == ("waitlisted", 1)


@pytest.mark.parametrize(
    ("rules", "reason"),
    [
        ({"opens_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()}, "not_open"),
        ({"closes_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat()}, "closed"),
    ],
)
async def test_registration_outside_its_window_is_refused(
    client: Client, organiser: Organiser, conference: str, settings: Settings, rules: dict[str, Any], reason: str
) -> None:
    await put_registration_settings(client, organiser, conference, **rules)

    response = await register(client, "rosa@example.org")

    assert response.status_code == 409
    assert response.json()["extra"][0]["reason"] == reason
    assert await registrations(settings) == []


async def test_past_conference_refuses_registration(client: Client, organiser: Organiser, settings: Settings) -> None:
    await post_ok(
        client, organiser, "/api/v1/conferences", conference_payload(starts_on="2020-11-14", ends_on="2020-11-14")
    )

    response = await register(client, "rosa@example.org")

    assert response.status_code == 409
    assert response.json()["extra"][0]["reason"] == "past"
    assert await registrations(settings) == []


async def test_unpublished_conference_refuses_registration(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload(status="draft"))

    response = await register(client, "rosa@example.org")

    assert response.status_code == 404
    assert await registrations(settings) == []


async def test_csv_export_defuses_spreadsheet_formulas(client: Client, organiser: Organiser, conference: str) -> None:
    await put_registration_settings(
        client, organiser, conference, double_opt_in=False,
        questions=[{"key": "why", "kind": "short_text", "label": {"en": "Why?"}}],
    )  # fmt: skip
    evil = {"=": '=HYPERLINK("http://x")', "+": "+1+1", "-": "-2+3", "@": "@SUM(A1)"}
    for index, (start, value) in enumerate(evil.items()):
        response = await register(client, f"p{index}@example.org", name=value, answers={"why": value})
        assert response.status_code == 201, (start, response.text)

    response = await client.get(f"{REGISTER}/export.csv", headers=organiser.headers)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(row["name"], row["answer:why"]) for row in rows] == [("'" + v, "'" + v) for v in evil.values()]
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row.values())


async def test_counts_by_status_and_country(client: Client, organiser: Organiser, conference: str) -> None:
    await put_registration_settings(client, organiser, conference, capacity=2, double_opt_in=False)
    for name, country in (("ana", "BR"), ("ben", "GB"), ("cai", "BR")):
        await register(client, f"{name}@example.org", country=country)

    response = await client.get(f"{REGISTER}/counts", headers=organiser.headers)

    assert response.json() == {
        "by_status": {"pending": 0, "confirmed": 2, "waitlisted": 1, "cancelled": 0},
        "by_country": {"BR": 2, "GB": 1},
        "capacity": 2,
    }


async def test_list_filters_by_status_and_country_and_searches(
    client: Client, organiser: Organiser, conference: str
) -> None:
    await put_registration_settings(client, organiser, conference, capacity=1, double_opt_in=False)
    await register(client, "ana@example.org", name="Ana Lima", country="BR")
    await register(client, "ben@example.org", name="Ben 100%_Jones", country="GB")

    def emails(response: Any) -> list[str]:
        return [row["email"] for row in response.json()]

    h = organiser.headers
    assert emails(await client.get(REGISTER, params={"status": "waitlisted"}, headers=h)) == ["ben@example.org"]
    assert emails(await client.get(REGISTER, params={"country": "br"}, headers=h)) == ["ana@example.org"]
    assert emails(await client.get(REGISTER, params={"q": "LIMA"}, headers=h)) == ["ana@example.org"]
    assert emails(await client.get(REGISTER, params={"q": "100%_"}, headers=h)) == ["ben@example.org"]
    assert emails(await client.get(REGISTER, params={"q": "%"}, headers=h)) == ["ben@example.org"]


async def test_registrations_are_only_for_the_conference_organisers(
    client: Client, organiser: Organiser, other_organiser: Organiser, conference: str
) -> None:
    await register(client, "rosa@example.org")

    anonymous = await client.get(REGISTER)
    stranger = await client.get(REGISTER, headers=other_organiser.headers)
    export = await client.get(f"{REGISTER}/export.csv", headers=other_organiser.headers)

    assert (anonymous.status_code, stranger.status_code, export.status_code) == (401, 404, 404)
    assert "rosa@example.org" not in stranger.text + export.text


async def test_resend_sends_a_fresh_working_link(
    client: Client, organiser: Organiser, conference: str, settings: Settings
) -> None:
    await register(client, "rosa@example.org")
    [row] = (await client.get(REGISTER, headers=organiser.headers)).json()

    response = await client.post(f"{REGISTER}/{row['id']}/resend", headers=organiser.headers)

    assert response.status_code == 202
    mails = await outbox(settings)
    assert [m.kind for m in mails] == ["confirm_request", "confirm_request"]
    assert mails[0].message_id != mails[1].message_id
    token = token_from(mails[1].context["confirm_url"])
    assert (await client.post(f"{REGISTER}/confirm", json={"token": token})).json()["result"] == "confirmed"


async def test_registration_submits_are_rate_limited_per_client(settings: Settings, organiser: Organiser) -> None:
    from confman.app import create_app

    app = create_app(settings.model_copy(update={"registration_submits_per_minute": 2}))
    async with AsyncTestClient(app, base_url="http://testserver.local") as client:
        await post_ok(client, organiser, "/api/v1/conferences", conference_payload())
        codes = [(await register(client, f"p{i}@example.org")).status_code for i in range(3)]
        reads = [(await client.get(CONF)).status_code for _ in range(3)]

    assert codes == [202, 202, 429]
    assert reads == [200, 200, 200]


def without_request_id(headers: httpx.Headers) -> list[tuple[str, str]]:
    return [(name, value) for name, value in headers.items() if name != "x-request-id"]
