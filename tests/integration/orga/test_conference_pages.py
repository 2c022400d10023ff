"""/orga/ and /orga/{conf}/: the organiser's conferences, a new one, the overview, publishing."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from confman.db.models import AuditRecord, Conference
from confman.settings import Settings
from tests.factories import Organiser, conference_payload, database, post_ok, session_payload, speaker_payload
from tests.orga import post_form, sign_in

API = "/api/v1/conferences"
NEW = {
    "title": "Конференция <script>alert(1)</script>",
    "slug": "klima-2027",
    "default_language": "ru",
    "timezone": "America/Sao_Paulo",
    "starts_on": "2027-05-03",
    "ends_on": "2027-05-04",
}


async def _conferences(settings: Settings) -> int:
    async with database(settings) as db:
        return int(await db.scalar(select(func.count()).select_from(Conference)) or 0)


async def test_an_organiser_creates_a_conference_and_becomes_its_owner(
    client: AsyncTestClient[Litestar], organiser: Organiser, settings: Settings
) -> None:
    await sign_in(client, organiser.email)
    answer = await post_form(client, "/orga/", "/orga/", NEW)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/orga/klima-2027/"
    overview = await client.get("/orga/klima-2027/")
    assert overview.status_code == 200
    assert "Конференция &lt;script&gt;alert(1)&lt;/script&gt;" in overview.text
    assert "<script>alert(1)" not in overview.text
    assert "America/Sao_Paulo" in overview.text
    listed = await client.get("/orga/")
    assert "/orga/klima-2027/" in listed.text
    # The API sees the same conference, a draft, with the organiser as owner.
    api = await client.get(f"{API}/klima-2027", headers=organiser.headers)
    assert api.json()["status"] == "draft"
    assert api.json()["role"] == "owner"
    async with database(settings) as db:
        record = await db.scalar(select(AuditRecord).where(AuditRecord.entity == "conference"))
    assert record is not None
    assert record.actor == organiser.email
    assert record.action == "created"


async def test_bad_input_is_named_next_to_its_field_and_nothing_is_written(
    client: AsyncTestClient[Litestar], organiser: Organiser, settings: Settings
) -> None:
    await sign_in(client, organiser.email)
    cases = [
        ({"slug": "Not A Slug"}, "slug"),
        ({"slug": "api"}, "slug"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"title": ""}, "title"),
        ({"title": "x" * 5000}, "title"),
        ({"ends_on": "2027-05-01"}, "ends_on"),
        ({"starts_on": "not a date"}, "starts_on"),
    ]
    for change, field in cases:
        answer = await post_form(client, "/orga/", "/orga/", {**NEW, **change})
        assert answer.status_code == 400, change
        assert f'id="{field}-error"' in answer.text, change
        assert f'id="{field}" name="{field}"' in answer.text
    assert await _conferences(settings) == 0


async def test_a_duplicate_address_is_refused_without_touching_the_other_conference(
    client: AsyncTestClient[Litestar], organiser: Organiser, other_organiser: Organiser, settings: Settings
) -> None:
    await post_ok(client, other_organiser, API, conference_payload(slug="klima-2027", status="draft"))
    await sign_in(client, organiser.email)
    answer = await post_form(client, "/orga/", "/orga/", NEW)
    assert answer.status_code == 400
    assert 'id="slug-error"' in answer.text
    assert await _conferences(settings) == 1


async def test_the_overview_counts_and_lists_every_open_warning(
    client: AsyncTestClient[Litestar], organiser: Organiser
) -> None:
    await post_ok(client, organiser, API, conference_payload(status="draft"))
    conf = f"{API}/climate-2027"
    await post_ok(client, organiser, f"{conf}/speakers", speaker_payload(slug="kenji", name="Kenji", country="JP"))
    # 10:00 in London is 19:00 in Tokyo; 16:00 is 01:00 there.
    for slug, start, end in (("a", "10:00", "11:00"), ("b", "10:30", "11:30"), ("late", "16:00", "17:00")):
        await post_ok(
            client,
            organiser,
            f"{conf}/sessions",
            session_payload(
                slug=slug,
                title={"en": f"Session {slug}"},
                starts_at=f"2027-11-14T{start}:00+00:00",
                ends_at=f"2027-11-14T{end}:00+00:00",
                status="draft" if slug == "late" else "confirmed",
                speakers=[{"speaker": "kenji"}],
            ),
        )
    await sign_in(client, organiser.email)
    page = await client.get("/orga/climate-2027/")
    assert page.status_code == 200
    assert "2 confirmed" in page.text
    assert "1 drafts" in page.text
    assert page.text.count('class="flag flag-speaker_double_booked"') == 2
    assert page.text.count('class="flag flag-speaker_night"') == 1
    assert "Kenji speaks at night in their zone: 01:00–02:00 Asia/Tokyo" in page.text


async def test_publishing_and_unpublishing_from_the_overview(
    client: AsyncTestClient[Litestar], organiser: Organiser
) -> None:
    await post_ok(client, organiser, API, conference_payload(status="draft"))
    assert (await client.get("/climate-2027/")).status_code == 404
    await sign_in(client, organiser.email)
    answer = await post_form(client, "/orga/climate-2027/", "/orga/climate-2027/publish", {"status": "published"})
    assert answer.status_code == 303
    assert "is published" in (await client.get("/orga/climate-2027/")).text
    assert (await client.get("/climate-2027/")).status_code == 200
    await post_form(client, "/orga/climate-2027/", "/orga/climate-2027/publish", {"status": "draft"})
    assert (await client.get("/climate-2027/")).status_code == 404


async def test_other_organisers_conferences_do_not_exist_for_them(
    client: AsyncTestClient[Litestar], organiser: Organiser, other_organiser: Organiser
) -> None:
    await post_ok(client, other_organiser, API, conference_payload())
    await sign_in(client, organiser.email)
    theirs = await client.get("/orga/climate-2027/")
    missing = await client.get("/orga/no-such-conference/")
    assert theirs.status_code == missing.status_code == 404
    assert "/orga/climate-2027/" not in (await client.get("/orga/")).text
    page = await client.get("/orga/")
    from tests.orga import csrf_token

    refused = await client.post(
        "/orga/climate-2027/publish", data={"status": "draft", "_csrf_token": csrf_token(page.text)}
    )
    assert refused.status_code == 404
