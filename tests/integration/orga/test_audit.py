"""The audit trail: every organiser change (API or page) recorded with who, when, before and
after; never a meeting URL, never an attendee's personal data; shown per conference."""

from __future__ import annotations

import json
import re

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from confman.audit.recorder import HIDDEN_VALUE
from confman.db.models import AuditRecord, Conference, ConferenceMember, User
from confman.lib.i18n import format_clock
from confman.settings import Settings
from tests.factories import (
    Organiser,
    conference_payload,
    database,
    post_ok,
    put_registration_settings,
    registration_payload,
    session_payload,
)
from tests.orga import post_form, sign_in

Client = AsyncTestClient[Litestar]
SLUG = "climate-2027"
API = f"/api/v1/conferences/{SLUG}"
AUDIT = f"/orga/{SLUG}/audit/"
SECRET_URL = "https://meet.example.org/secret-room-4711"
OTHER_SECRET = "https://meet.example.org/another-secret-room"


async def records(settings: Settings) -> list[AuditRecord]:
    async with database(settings) as db:
        return list(await db.scalars(select(AuditRecord).order_by(AuditRecord.id)))


def as_text(rows: list[AuditRecord]) -> str:
    return json.dumps(
        [[row.actor, row.action, row.entity, row.entity_key, row.before, row.after] for row in rows],
        ensure_ascii=False,
    )


@pytest.fixture
async def conference(client: Client, organiser: Organiser) -> str:
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload())
    return SLUG


async def test_a_change_through_the_api_is_recorded_with_actor_and_before_after(
    client: Client, organiser: Organiser, conference: str, settings: Settings
) -> None:
    response = await client.patch(API, json={"timezone": "America/Sao_Paulo"}, headers=organiser.headers)
    assert response.status_code == 200, response.text

    changed = [row for row in await records(settings) if row.action == "changed" and row.entity == "conference"]
    assert [(row.actor, row.entity_key, row.before, row.after) for row in changed] == [
        (organiser.email, SLUG, {"timezone": "Europe/London"}, {"timezone": "America/Sao_Paulo"})
    ]
    async with database(settings) as db:
        conference_id = await db.scalar(select(Conference.id).where(Conference.slug == SLUG))
    assert changed[0].conference_id == conference_id
    assert changed[0].user_id is not None

    # And the page shows it, with the fields before and after.
    await sign_in(client, organiser.email)
    page = await client.get(AUDIT)
    assert page.status_code == 200
    assert re.search(
        r"<th scope=\"row\"><code>timezone</code></th><td>Europe/London</td><td>America/Sao_Paulo</td>", page.text
    )
    assert organiser.email in page.text


async def test_a_change_through_a_page_is_recorded_with_its_actor(
    client: Client, organiser: Organiser, other_organiser: Organiser, conference: str, settings: Settings
) -> None:
    await sign_in(client, organiser.email)
    members = f"/orga/{SLUG}/members/"
    answer = await post_form(client, members, members, {"email": other_organiser.email, "role": "organiser"})
    assert answer.status_code == 303
    async with database(settings) as db:
        member_id = await db.scalar(
            select(AuditRecord.entity_key).where(AuditRecord.entity == "member", AuditRecord.action == "created")
            .order_by(AuditRecord.id.desc())
        )  # fmt: skip
    assert member_id == other_organiser.email

    rows = await records(settings)
    created = [row for row in rows if row.entity == "member" and row.entity_key == other_organiser.email]
    assert [(row.actor, row.action, row.after["role"]) for row in created] == [
        (organiser.email, "created", "organiser")
    ]
    # A role changed on the page: before and after.
    async with database(settings) as db:
        grace = await db.scalar(
            select(ConferenceMember.id)
            .join(User, User.id == ConferenceMember.user_id)
            .where(User.email == other_organiser.email)
        )
    answer = await post_form(client, members, f"{members}{grace}/role", {"role": "owner"})
    assert answer.status_code == 303
    changed = [row for row in await records(settings) if row.entity == "member" and row.action == "changed"]
    assert [(row.actor, row.entity_key, row.before, row.after) for row in changed] == [
        (organiser.email, other_organiser.email, {"role": "organiser"}, {"role": "owner"})
    ]


async def test_an_invitation_is_recorded_without_its_link(
    client: Client, organiser: Organiser, conference: str, settings: Settings
) -> None:
    await sign_in(client, organiser.email)
    members = f"/orga/{SLUG}/members/"
    await post_form(client, members, members, {"email": "rosa@example.org", "role": "organiser"})
    rows = [row for row in await records(settings) if row.entity == "invitation"]
    assert [(row.actor, row.action, row.entity_key, row.after["role"]) for row in rows] == [
        (organiser.email, "created", "rosa@example.org", "organiser")
    ]
    assert "token_hash" not in rows[0].after
    assert "/orga/invitation/" not in as_text(await records(settings))


async def test_a_meeting_url_never_appears_in_the_record(
    client: Client, organiser: Organiser, conference: str, settings: Settings
) -> None:
    await post_ok(client, organiser, f"{API}/streams", {"slug": "main", "name": "Main", "meeting_url": SECRET_URL})
    response = await client.patch(f"{API}/streams/main", json={"meeting_url": OTHER_SECRET}, headers=organiser.headers)
    assert response.status_code == 200
    await post_ok(client, organiser, f"{API}/sessions", session_payload(meeting_url=SECRET_URL))

    rows = await records(settings)
    text = as_text(rows)
    assert SECRET_URL not in text
    assert OTHER_SECRET not in text
    assert "secret-room" not in text
    # That it changed is kept.
    changed = [row for row in rows if row.entity == "stream" and row.action == "changed"]
    assert [(row.before, row.after) for row in changed] == [
        ({"meeting_url": HIDDEN_VALUE}, {"meeting_url": HIDDEN_VALUE})
    ]
    await sign_in(client, organiser.email)
    page = await client.get(AUDIT)
    assert "secret-room" not in page.text


async def test_a_registration_keeps_only_its_id_and_status_in_the_record(
    client: Client, organiser: Organiser, conference: str, settings: Settings
) -> None:
    await put_registration_settings(
        client, organiser, SLUG, double_opt_in=False,
        questions=[{"key": "why", "kind": "short_text", "label": {"en": "Why?"}}],
    )  # fmt: skip
    name, email, answer = "Rosalía Attendee-Private", "rosalia.private@example.org", "Private answer 8812"
    submitted = await client.post(
        f"{API}/registrations", json=registration_payload(name=name, email=email, answers={"why": answer})
    )
    assert submitted.status_code == 201, submitted.text
    [registration] = (await client.get(f"{API}/registrations", headers=organiser.headers)).json()
    response = await client.patch(
        f"{API}/registrations/{registration['id']}", json={"status": "cancelled"}, headers=organiser.headers
    )
    assert response.status_code == 200, response.text

    rows = await records(settings)
    text = as_text(rows)
    for private in (name, email, answer, "Rosalía", "rosalia.private"):
        assert private not in text
    registration_rows = [row for row in rows if row.entity == "registration"]
    assert registration_rows
    for row in registration_rows:
        assert row.entity_key == str(registration["id"])
        assert set(row.before) | set(row.after) <= {"status"}
    assert [(row.before, row.after) for row in registration_rows if row.action == "changed"] == [
        ({"status": "confirmed"}, {"status": "cancelled"})
    ]
    await sign_in(client, organiser.email)
    page = await client.get(AUDIT)
    assert name not in page.text
    assert email not in page.text


async def test_the_audit_page_pages_newest_first_by_fifty(
    client: Client, organiser: Organiser, conference: str, settings: Settings
) -> None:
    async with database(settings) as db:
        conference_id = await db.scalar(select(Conference.id).where(Conference.slug == SLUG))
        db.add_all(
            AuditRecord(
                conference_id=conference_id,
                actor=organiser.email,
                action="changed",
                entity="track",
                entity_key=f"track-{index:03d}",
                before={},
                after={"position": index},
            )
            for index in range(120)
        )
    total = len(await records(settings))
    await sign_in(client, organiser.email)

    seen: list[str] = []
    path: str | None = AUDIT
    pages = 0
    while path is not None:
        page = await client.get(path)
        assert page.status_code == 200
        keys = re.findall(r'<li class="audit-record" id="change-(\d+)">', page.text)
        assert len(keys) <= 50
        seen.extend(keys)
        pages += 1
        match = re.search(r'<a href="([^"]+)" rel="next">', page.text)
        path = match.group(1).replace("&amp;", "&") if match else None
    assert pages == (total + 49) // 50
    assert len(seen) == len(set(seen)) == total
    assert [int(key) for key in seen] == sorted((int(key) for key in seen), reverse=True)
    first = await client.get(AUDIT)
    assert "track-119" in first.text
    assert "track-000" not in first.text


async def test_the_audit_page_shows_times_in_the_viewers_zone(
    client: Client, organiser: Organiser, conference: str, settings: Settings
) -> None:
    await sign_in(client, organiser.email)
    async with database(settings) as db:
        row = await db.scalar(select(AuditRecord).order_by(AuditRecord.id.desc()))
        assert row is not None
        created = row.created_at
    tokyo = await client.get(f"{AUDIT}?tz=Asia/Tokyo")
    assert f"{format_clock(created, 'Asia/Tokyo', 'en')}" in tokyo.text
    assert "Asia/Tokyo" in tokyo.text


async def test_the_audit_page_is_for_members_only(
    client: Client, organiser: Organiser, other_organiser: Organiser, conference: str
) -> None:
    anonymous = await client.get(AUDIT, follow_redirects=False)
    assert anonymous.status_code == 303
    await sign_in(client, other_organiser.email)
    assert (await client.get(AUDIT)).status_code == 404
    assert (await client.get(f"{AUDIT}?before=abc")).status_code in {400, 404}
