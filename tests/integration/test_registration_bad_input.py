"""Bad registration input over the JSON API: 4xx naming the field, nothing written, never a 500."""

from __future__ import annotations

from typing import Any

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
)

Client = AsyncTestClient[Litestar]
REGISTER = "/api/v1/conferences/climate-2027/registrations"
QUESTIONS = [
    {"key": "topic", "kind": "single_choice", "label": {"en": "Topic"}, "required": True,
     "choices": [{"key": "ecology", "label": {"en": "Ecology"}}, {"key": "labour", "label": {"en": "Labour"}}]},
    {"key": "interests", "kind": "multiple_choice", "label": {"en": "Interests"},
     "choices": [{"key": "a", "label": {"en": "A"}}, {"key": "b", "label": {"en": "B"}}]},
    {"key": "first-time", "kind": "yes_no", "label": {"en": "First time?"}},
    {"key": "from", "kind": "country", "label": {"en": "Where from?"}},
    {"key": "note", "kind": "long_text", "label": {"en": "Anything else?"}},
]  # fmt: skip
GOOD_ANSWERS = {"topic": "ecology"}


def names_field(body: dict[str, Any], field: str) -> bool:
    keys = [str(item.get("key", "")) for item in body.get("extra") or [] if isinstance(item, dict)]
    return any(key == field or key.startswith(field + ".") for key in keys)


BAD: list[tuple[dict[str, Any], str]] = [
    ({"email": None}, "email"),
    ({"email": "not-an-address"}, "email"),
    ({"email": "rosa@example.org\x00"}, "email"),
    ({"name": "x" * 10_000}, "name"),
    ({"name": "Rosa\x00Attendee"}, "name"),
    ({"name": ""}, "name"),
    ({"country": "XX"}, "country"),
    ({"timezone": "Mars/Base"}, "timezone"),
    ({"language": "xx"}, "language"),
    ({"language": "de"}, "language"),  # a real language the conference and the interface do not offer
    ({"answers": {}}, "answers.topic"),
    ({"answers": {"topic": "astrology"}}, "answers.topic"),
    ({"answers": {"topic": ["ecology", "labour"]}}, "answers.topic"),
    ({"answers": {**GOOD_ANSWERS, "interests": ["a", "z"]}}, "answers.interests"),
    ({"answers": {**GOOD_ANSWERS, "first-time": "maybe"}}, "answers.first-time"),
    ({"answers": {**GOOD_ANSWERS, "from": "XX"}}, "answers.from"),
    ({"answers": {**GOOD_ANSWERS, "note": "x" * 6000}}, "answers.note"),
    ({"answers": {**GOOD_ANSWERS, "note": "bad\x00"}}, "answers.note"),
    ({"answers": {**GOOD_ANSWERS, "other-conference-question": "hi"}}, "answers.other-conference-question"),
    ({"consent": False}, "consent"),
    ({"consent": None}, "consent"),
    ({"unknown": 1}, "unknown"),
]


@pytest.fixture
async def conference(client: Client, organiser: Organiser) -> str:
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload())
    await put_registration_settings(client, organiser, "climate-2027", questions=QUESTIONS)
    return "climate-2027"


@pytest.mark.parametrize(("overrides", "field"), BAD)
async def test_bad_registration_is_a_4xx_naming_the_field_and_writes_nothing(
    client: Client, conference: str, settings: Settings, overrides: dict[str, Any], field: str
) -> None:
    payload = registration_payload(answers=GOOD_ANSWERS)
    payload.update(overrides)
    payload = {key: value for key, value in payload.items() if value is not None}

    response = await client.post(REGISTER, json=payload)

    assert response.status_code == 400, response.text
    assert names_field(response.json(), field), response.json()
    assert await registrations(settings) == []
    assert await outbox(settings) == []


async def test_good_answers_of_every_kind_are_kept(client: Client, organiser: Organiser, conference: str) -> None:
    answers = {"topic": "labour", "interests": ["b", "a", "b"], "first-time": False, "from": "gh", "note": "Hi\nthere"}

    response = await client.post(REGISTER, json=registration_payload(answers=answers))

    assert response.status_code == 202
    [row] = (await client.get(REGISTER, headers=organiser.headers)).json()
    assert row["answers"] == {
        "topic": "labour",
        "interests": ["b", "a"],
        "first-time": False,
        "from": "GH",
        "note": "Hi\nthere",
    }


@pytest.mark.parametrize(
    ("rules", "field"),
    [
        ({"capacity": -1}, "capacity"),
        ({"questions": [{"key": "q", "kind": "single_choice", "label": {"en": "Q"}}]}, "questions"),
        ({"questions": [{"key": "q", "kind": "short_text", "label": {"en": "Q"}}] * 2}, "questions"),
        ({"questions": [{"key": "q", "kind": "essay", "label": {"en": "Q"}}]}, "questions"),
        ({"questions": [{"key": "q", "kind": "short_text", "label": {"de": "Q"}}]}, "questions.0.label.de"),
        ({"privacy_text": {"de": "Datenschutz"}}, "privacy_text.de"),
        ({"opens_at": "2027-01-02T00:00:00Z", "closes_at": "2027-01-01T00:00:00Z"}, "closes_at"),
    ],
)
async def test_bad_registration_settings_name_the_field(
    client: Client, organiser: Organiser, conference: str, rules: dict[str, Any], field: str
) -> None:
    path = "/api/v1/conferences/climate-2027/registration-settings"
    before = (await client.get(path)).json()
    payload = {"questions": [], **rules}

    response = await client.put(path, json=payload, headers=organiser.headers)

    assert response.status_code == 400, response.text
    assert names_field(response.json(), field), response.json()
    assert (await client.get(path)).json() == before
