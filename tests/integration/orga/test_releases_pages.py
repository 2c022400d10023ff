"""The organisers' Releases page: unreleased changes, the release form (no script), refusals
that write nothing, past releases."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from confman.db.models import OutboxEvent, ProgrammeRelease
from confman.settings import Settings
from tests.factories import Organiser, conference_payload, database, post_ok, session_payload
from tests.orga import post_form, sign_in

Client = AsyncTestClient[Litestar]
API = "/api/v1/conferences/climate-2027"
PAGE = "/orga/climate-2027/releases/"


async def _releases(settings: Settings) -> list[str]:
    async with database(settings) as db:
        return list(await db.scalars(select(ProgrammeRelease.name).order_by(ProgrammeRelease.id)))


async def test_release_from_the_page_lists_changes_and_refuses_bad_input(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload())
    await post_ok(client, organiser, f"{API}/sessions", session_payload())
    assert (await sign_in(client, organiser.email)).status_code == 303

    page = await client.get(PAGE)
    assert page.status_code == 200
    assert "Not yet released" in page.text
    assert "The Limits of COP26 and Capitalist Solutions" in page.text
    assert "No release yet." in page.text
    assert f'href="{PAGE}"' in page.text  # in the conference's navigation

    for data, message in (
        ({"name": ""}, "This field is required."),
        ({"name": "one two"}, "Use letters, digits, dots, hyphens and underscores, e.g. 1.2."),
    ):
        refused = await post_form(client, PAGE, PAGE, data)
        assert refused.status_code == 400, refused.text
        assert message in refused.text
    assert await _releases(settings) == []

    done = await post_form(client, PAGE, PAGE, {"name": "1.0", "note.en": "The first programme", "note.ru": ""})
    assert done.status_code == 303
    assert done.headers["location"] == PAGE
    assert await _releases(settings) == ["1.0"]
    after = await client.get(PAGE)
    assert "The first programme" in after.text
    assert "Nothing changed since the last release." in after.text

    again = await post_form(client, PAGE, PAGE, {"name": "1.1"})
    assert again.status_code == 409
    assert "Nothing changed since the last release." in again.text
    response = await client.patch(f"{API}/sessions/limits-of-cop26", json={"title": {"en": "New"}},
                                  headers=organiser.headers)  # fmt: skip
    assert response.status_code == 200
    taken = await post_form(client, PAGE, PAGE, {"name": "1.0"})
    assert taken.status_code == 409
    assert "This is already taken." in taken.text
    assert await _releases(settings) == ["1.0"]
    async with database(settings) as db:
        released = await db.scalar(
            select(func.count()).select_from(OutboxEvent).where(OutboxEvent.name == "programme.released")
        )
    assert released == 1


async def test_speaker_form_keeps_the_private_email(client: Client, organiser: Organiser, settings: Settings) -> None:
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload())
    assert (await sign_in(client, organiser.email)).status_code == 303
    new = "/orga/climate-2027/speakers/new"
    speaker = {"slug": "sabrina", "name": "Sabrina", "country": "GB", "timezone": "Europe/London"}
    refused = await post_form(client, new, new, {**speaker, "email": "not-an-address"})
    assert refused.status_code == 400
    assert 'id="email-error"' in refused.text
    added = await post_form(client, new, new, {**speaker, "email": "Sabrina@Example.org"})
    assert added.status_code == 303, added.text
    edit = await client.get("/orga/climate-2027/speakers/sabrina/edit")
    assert 'value="sabrina@example.org"' in edit.text
    public = await client.get("/climate-2027/speakers/sabrina/")
    assert "sabrina@example.org" not in public.text.lower()
