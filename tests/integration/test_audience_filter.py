"""One filter names the registrations an organiser means (page, export, API, message
recipients): every criterion, answers of each fixed-value kind included, on both databases."""

from __future__ import annotations

from typing import Any

import pytest

from confman.db.models import Conference
from confman.lib.errors import FieldError
from confman.registration.filters import parse
from confman.registration.services import RegistrationService, RegistrationSettingsService
from confman.settings import Settings
from tests.factories import (
    conference_payload,
    database,
    post_ok,
    put_registration_settings,
    registration_payload,
)

QUESTIONS = [
    {"key": "role", "kind": "single_choice", "label": {"en": "Role"},
     "choices": [{"key": "dev", "label": {"en": "Developer"}}, {"key": "ops", "label": {"en": "Operator"}}]},
    {"key": "topics", "kind": "multiple_choice", "label": {"en": "Topics"},
     "choices": [{"key": "ai", "label": {"en": "AI"}}, {"key": "web", "label": {"en": "Web"}}]},
    {"key": "student", "kind": "yes_no", "label": {"en": "Student?"}},
    {"key": "home", "kind": "country", "label": {"en": "Home"}},
    {"key": "note", "kind": "short_text", "label": {"en": "Note"}},
]  # fmt: skip
PEOPLE = [
    ("Ана Иванова", "ana@example.org", "RU", "Europe/Moscow",
     {"role": "dev", "topics": ["ai", "web"], "student": True, "home": "RU", "note": "ai"}),
    ("Zoë Ünal", "zoe@example.org", "TR", "Europe/Istanbul",
     {"role": "ops", "topics": ["web"], "student": False, "home": "DE"}),
    ("Rosa 100% Silva", "rosa_s@example.org", "BR", "America/Sao_Paulo",
     {"role": "dev", "topics": [], "student": False, "home": "BR"}),
]  # fmt: skip


async def test_each_criterion_names_the_registrations_it_should(
    client: Any, organiser: Any, settings: Settings
) -> None:
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload())
    await put_registration_settings(client, organiser, "climate-2027", questions=QUESTIONS, double_opt_in=False)
    for name, email, country, zone, answers in PEOPLE:
        payload = registration_payload(name=name, email=email, country=country, timezone=zone, answers=answers)
        answer = await client.post("/api/v1/conferences/climate-2027/registrations", json=payload)
        assert answer.status_code == 201, answer.text
    cases: list[tuple[dict[str, str], set[str]]] = [
        ({}, {"ana", "zoe", "rosa_s"}),
        ({"status": "confirmed", "country": "ru"}, {"ana"}),
        ({"zone": "Europe/Istanbul"}, {"zoe"}),
        ({"q": "иван"}, {"ana"}),
        ({"q": "100%"}, {"rosa_s"}),  # % is a character, not a wildcard
        ({"q": "a_s"}, {"rosa_s"}),  # and so is _
        ({"a.role": "dev"}, {"ana", "rosa_s"}),
        ({"a.topics": "web"}, {"ana", "zoe"}),
        ({"a.topics": "ai", "a.role": "dev"}, {"ana"}),
        ({"a.student": "no"}, {"zoe", "rosa_s"}),
        ({"a.home": "de"}, {"zoe"}),
        ({"a.role": "", "country": ""}, {"ana", "zoe", "rosa_s"}),  # a form sent with nothing chosen
    ]
    async with database(settings) as db:
        conference = await _conference(db)
        rules = await RegistrationSettingsService(db).get(conference)
        service = RegistrationService(db, settings)
        for params, expected in cases:
            audience = parse(params, rules.questions)
            found = {row.email.split("@")[0] for row in await service.find(conference, audience)}
            assert found == expected, params
            assert await service.count(conference, audience) == len(expected), params
        refused = [
            ({"status": "gone"}, "status"),
            ({"country": "XX"}, "country"),
            ({"zone": "Mars/Olympus"}, "zone"),
            ({"q": "a\x00b"}, "q"),
            ({"q": "x" * 201}, "q"),
            ({"a.note": "ai"}, "a.note"),  # text answers are searched, not filtered
            ({"a.missing": "x"}, "a.missing"),
            ({"a.role": "<script>"}, "a.role"),
            ({"a.student": "maybe"}, "a.student"),
        ]
        for params, field in refused:
            with pytest.raises(FieldError) as error:
                parse(params, rules.questions)
            assert error.value.field == field, params


async def _conference(db: Any) -> Conference:
    from sqlalchemy import select

    conference: Conference | None = await db.scalar(select(Conference).where(Conference.slug == "climate-2027"))
    assert conference is not None
    return conference
