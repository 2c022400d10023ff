"""PATCH /api/v1/conferences/{conf}/registration-settings: only the fields sent change."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.factories import Organiser, conference_payload, post_ok, put_registration_settings

Client = AsyncTestClient[Litestar]
PATH = "/api/v1/conferences/climate-2027/registration-settings"
QUESTIONS = [
    {
        "key": "diet",
        "kind": "single_choice",
        "label": {"en": "Diet", "es": "Dieta"},
        "required": True,
        "choices": [{"key": "vegan", "label": {"en": "Vegan"}}, {"key": "any", "label": {"en": "Anything"}}],
    },
    {"key": "union", "kind": "short_text", "label": {"en": "Your union"}, "required": False, "choices": []},
]


async def _with_rules(client: Client, organiser: Organiser) -> dict[str, Any]:
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload())
    await put_registration_settings(
        client, organiser, "climate-2027", capacity=100, questions=QUESTIONS, reminder_minutes=30
    )
    rules: dict[str, Any] = (await client.get(PATH, headers=organiser.headers)).json()
    return rules


async def test_patch_with_only_a_capacity_keeps_questions_and_privacy_text(
    client: Client, organiser: Organiser
) -> None:
    before = await _with_rules(client, organiser)
    answer = await client.patch(PATH, json={"capacity": 250}, headers=organiser.headers)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {**before, "capacity": 250}
    assert (await client.get(PATH, headers=organiser.headers)).json() == {**before, "capacity": 250}
    assert before["questions"] == QUESTIONS
    assert before["privacy_text"] == {"en": "We keep your name and e-mail until the conference is over."}


async def test_patch_null_clears_what_may_be_empty(client: Client, organiser: Organiser) -> None:
    before = await _with_rules(client, organiser)
    answer = await client.patch(PATH, json={"capacity": None, "reminder_minutes": None}, headers=organiser.headers)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {**before, "capacity": None, "reminder_minutes": None}


async def test_patch_opening_times_are_read_in_the_conference_zone(client: Client, organiser: Organiser) -> None:
    await _with_rules(client, organiser)
    answer = await client.patch(
        PATH, json={"opens_at": "2027-07-01T09:00", "closes_at": "2027-11-13T18:00"}, headers=organiser.headers
    )
    assert answer.status_code == 200, answer.text
    # Europe/London: summer time in July (UTC+1), winter time in November.
    assert answer.json()["opens_at"] == "2027-07-01T08:00:00Z"
    assert answer.json()["closes_at"] == "2027-11-13T18:00:00Z"
    assert answer.json()["questions"] == QUESTIONS


async def test_put_stays_a_full_replace(client: Client, organiser: Organiser) -> None:
    await _with_rules(client, organiser)
    answer = await client.put(PATH, json={"capacity": 5}, headers=organiser.headers)
    assert answer.status_code == 200
    assert answer.json()["questions"] == []
    assert answer.json()["privacy_text"] == {}


async def test_patch_invalid_names_the_field_and_writes_nothing(client: Client, organiser: Organiser) -> None:
    before = await _with_rules(client, organiser)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"capacity": -1, "waitlist": False}, "capacity"),
        ({"waitlist": None}, "waitlist"),
        ({"questions": None}, "questions"),
        ({"closes_at": "2027-01-01T00:00", "opens_at": "2027-02-01T00:00"}, "closes_at"),
        ({"privacy_text": {"de": "Datenschutz"}}, "privacy_text.de"),
        ({"questions": [QUESTIONS[1], QUESTIONS[1]]}, "questions"),
        ({"capacity": 3, "unknown": 1}, "unknown"),
    ]
    for payload, field in cases:
        answer = await client.patch(PATH, json=payload, headers=organiser.headers)
        assert answer.status_code == 400, (payload, answer.text)
        keys = [extra.get("key", "") for extra in answer.json().get("extra", [])]
        assert any(key == field or key.startswith(field + ".") for key in keys), (payload, answer.json())
        assert (await client.get(PATH, headers=organiser.headers)).json() == before


async def test_patch_by_a_non_member_is_404_and_anonymous_401(
    client: Client, organiser: Organiser, other_organiser: Organiser
) -> None:
    before = await _with_rules(client, organiser)
    stranger = await client.patch(PATH, json={"capacity": 1}, headers=other_organiser.headers)
    missing = await client.patch(
        "/api/v1/conferences/no-such/registration-settings", json={"capacity": 1}, headers=other_organiser.headers
    )
    assert stranger.status_code == missing.status_code == 404
    assert stranger.json() == missing.json()
    anonymous = await client.patch(PATH, json={"capacity": 1})
    assert anonymous.status_code == 401
    assert (await client.get(PATH, headers=organiser.headers)).json() == before


async def test_patch_more_seats_promote_from_the_waiting_list(client: Client, organiser: Organiser) -> None:
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload())
    await put_registration_settings(client, organiser, "climate-2027", capacity=1, double_opt_in=False)
    for email in ("a@example.org", "b@example.org"):
        answer = await client.post(
            "/api/v1/conferences/climate-2027/registrations",
            json={
                "name": "A",
                "email": email,
                "timezone": "Europe/London",
                "language": "en",
                "answers": {},
                "consent": True,
            },
        )
        assert answer.status_code == 201, answer.text
    answer = await client.patch(PATH, json={"capacity": 2}, headers=organiser.headers)
    assert answer.status_code == 200
    counts = (
        await client.get("/api/v1/conferences/climate-2027/registrations/counts", headers=organiser.headers)
    ).json()
    assert counts["by_status"]["confirmed"] == 2
    assert counts["by_status"]["waitlisted"] == 0
