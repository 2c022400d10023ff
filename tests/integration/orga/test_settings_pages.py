"""/orga/{conf}/settings/: titles, descriptions with their preview, zone, days, languages; deleting."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from confman.db.models import Conference
from confman.settings import Settings
from tests.factories import Organiser, conference_payload, database, post_ok
from tests.orga import csrf_token, post_form, sign_in

Client = AsyncTestClient[Litestar]
PAGE = "/orga/climate-2027/settings/"


async def _conference(settings: Settings) -> dict[str, Any]:
    async with database(settings) as db:
        conference = await db.scalar(select(Conference).where(Conference.slug == "climate-2027"))
        assert conference is not None
        return {
            "title": conference.title,
            "description": conference.description,
            "timezone": conference.timezone,
            "default_language": conference.default_language,
            "languages": conference.languages,
            "starts_on": conference.starts_on.isoformat(),
            "ends_on": conference.ends_on.isoformat(),
            "version": conference.programme_version,
        }


async def _signed_in_with_conference(client: Client, organiser: Organiser, **overrides: Any) -> None:
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload(**overrides))
    await sign_in(client, organiser.email)


def _full_form(**overrides: str | list[str]) -> dict[str, Any]:
    """The form as the page sends it (conference languages en, es, fr, ru)."""
    form: dict[str, Any] = {
        "title.en": "The Revolutionary Alternative",
        "title.es": "",
        "title.fr": "",
        "title.ru": "Революционная альтернатива",
        "description.en": "An online conference.",
        "description.es": "",
        "description.fr": "",
        "description.ru": "",
        "timezone": "Europe/London",
        "starts_on": "2027-11-14",
        "ends_on": "2027-11-14",
        "default_language": "en",
        "languages": ["", "en", "es", "fr", "ru"],
        "action": "save",
    }
    form.update(overrides)
    return form


async def test_settings_page_shows_the_conference_as_it_is(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await _signed_in_with_conference(client, organiser)
    page = await client.get(PAGE)
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert 'value="Революционная альтернатива"' in page.text
    assert '<option value="Europe/London" selected>' in page.text
    assert 'id="languages-ru" name="languages" value="ru" checked' in page.text
    assert 'id="languages-pt" name="languages" value="pt">' in page.text


async def test_titles_in_cyrillic_and_accented_text_are_saved(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await _signed_in_with_conference(client, organiser)
    form = _full_form(**{"title.fr": "L'alternative révolutionnaire", "title.ru": "Революция — ёлка"})
    answer = await post_form(client, PAGE, PAGE, form)
    assert answer.status_code == 303
    assert answer.headers["location"] == PAGE
    after = await _conference(settings)
    assert after["title"] == {
        "en": "The Revolutionary Alternative",
        "fr": "L'alternative révolutionnaire",
        "ru": "Революция — ёлка",
    }
    page = await client.get(PAGE)
    assert "The settings were saved." in page.text
    assert 'value="Революция — ёлка"' in page.text
    assert 'value="L&#39;alternative révolutionnaire"' in page.text


async def test_zone_days_and_languages_are_saved(client: Client, organiser: Organiser, settings: Settings) -> None:
    await _signed_in_with_conference(client, organiser)
    form = _full_form(
        timezone="America/Sao_Paulo",
        starts_on="2027-11-13",
        ends_on="2027-11-15",
        languages=["", "en", "es", "fr", "ru", "pt"],
    )
    answer = await post_form(client, PAGE, PAGE, form)
    assert answer.status_code == 303
    after = await _conference(settings)
    assert after["timezone"] == "America/Sao_Paulo"
    assert (after["starts_on"], after["ends_on"]) == ("2027-11-13", "2027-11-15")
    assert after["languages"] == ["en", "es", "fr", "ru", "pt"]
    # The new language gets its fields on the next visit.
    assert 'name="title.pt"' in (await client.get(PAGE)).text


async def test_unknown_zone_is_named_next_to_the_field_and_nothing_is_written(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await _signed_in_with_conference(client, organiser)
    before = await _conference(settings)
    form = _full_form(timezone="Mars/Olympus_Mons", **{"title.en": "Changed"})
    answer = await post_form(client, PAGE, PAGE, form)
    assert answer.status_code == 400
    assert '<p class="field-error" id="timezone-error">Choose a time zone from the list.</p>' in answer.text
    assert 'aria-invalid="true" aria-describedby="timezone-error' in answer.text
    # The form keeps what was typed.
    assert 'value="Changed"' in answer.text
    assert await _conference(settings) == before


async def test_last_day_before_the_first_is_refused(client: Client, organiser: Organiser, settings: Settings) -> None:
    await _signed_in_with_conference(client, organiser)
    before = await _conference(settings)
    form = _full_form(starts_on="2027-11-14", ends_on="2027-11-10", **{"title.en": "Changed"})
    answer = await post_form(client, PAGE, PAGE, form)
    assert answer.status_code == 400
    assert '<p class="field-error" id="ends_on-error">This must come after the start.</p>' in answer.text
    assert await _conference(settings) == before


async def test_title_needs_the_default_language(client: Client, organiser: Organiser, settings: Settings) -> None:
    await _signed_in_with_conference(client, organiser)
    before = await _conference(settings)
    answer = await post_form(client, PAGE, PAGE, _full_form(**{"title.en": ""}))
    assert answer.status_code == 400
    assert 'id="title-error">Fill this in in the conference&#39;s default language.' in answer.text
    assert await _conference(settings) == before


async def test_a_new_default_language_needs_its_title_first(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await _signed_in_with_conference(client, organiser)
    before = await _conference(settings)
    form = _full_form(default_language="pt", languages=["", "en", "es", "fr", "ru", "pt"])
    answer = await post_form(client, PAGE, PAGE, form)
    assert answer.status_code == 400
    assert 'id="default_language-error">Offer this language and save first;' in answer.text
    assert await _conference(settings) == before


async def test_dropping_a_language_with_a_title_in_it_is_refused_by_the_field(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await _signed_in_with_conference(client, organiser)
    before = await _conference(settings)
    answer = await post_form(client, PAGE, PAGE, _full_form(languages=["", "en", "es", "fr"]))
    assert answer.status_code == 400
    assert 'id="title.ru-error">The conference does not offer this language.' in answer.text
    assert await _conference(settings) == before


async def test_a_form_that_does_not_show_a_field_does_not_wipe_it(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await _signed_in_with_conference(client, organiser)
    before = await _conference(settings)
    # Only the Russian title: the other titles, the description, the zone, the days and the
    # languages stay as they were.
    answer = await post_form(client, PAGE, PAGE, {"title.ru": "Новое название"})
    assert answer.status_code == 303
    after = await _conference(settings)
    assert after["title"] == {"en": "The Revolutionary Alternative", "ru": "Новое название"}
    assert {k: v for k, v in after.items() if k not in {"title", "version"}} == {
        k: v for k, v in before.items() if k not in {"title", "version"}
    }


async def test_preview_renders_markdown_safely_and_saves_nothing(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await _signed_in_with_conference(client, organiser)
    before = await _conference(settings)
    description = "**Bold** <script>alert(1)</script> [x](javascript:alert(2)) <b onclick=x>b</b>"
    form = _full_form(action="preview", **{"description.en": description})
    answer = await post_form(client, PAGE, PAGE, form)
    assert answer.status_code == 200
    assert "<strong>Bold</strong>" in answer.text
    assert "<script>alert(1)" not in answer.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in answer.text
    assert 'href="javascript:' not in answer.text
    assert "<b onclick" not in answer.text
    # The textarea keeps the text as typed (escaped), below it the preview.
    assert "&lt;b onclick=x&gt;b&lt;/b&gt;</textarea>" in answer.text
    assert await _conference(settings) == before


async def test_preview_fragment_for_htmx(client: Client, organiser: Organiser, settings: Settings) -> None:
    await _signed_in_with_conference(client, organiser)
    page = await client.get(PAGE)
    answer = await client.post(
        PAGE + "preview",
        data=_full_form(**{"description.en": "# Title\n\n<img src=x onerror=alert(1)>", "description.ru": "*Привет*"}),
        headers={"X-CSRFToken": csrf_token(page.text), "HX-Request": "true"},
    )
    assert answer.status_code == 200
    assert "<html" not in answer.text
    assert "<h3>Title</h3>" in answer.text
    assert "<em>Привет</em>" in answer.text
    assert "<img" not in answer.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in answer.text


async def test_non_member_gets_the_404_of_a_missing_conference(
    client: Client, organiser: Organiser, other_organiser: Organiser, settings: Settings
) -> None:
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload())
    await sign_in(client, other_organiser.email)
    page = await client.get(PAGE)
    missing = await client.get("/orga/no-such-conference/settings/")
    assert page.status_code == missing.status_code == 404
    home = await client.get("/orga/")
    token = csrf_token(home.text)
    for path in (PAGE, PAGE + "preview", PAGE + "delete"):
        answer = await client.post(
            path, data={"title.en": "Stolen", "confirm_slug": "climate-2027", "_csrf_token": token}
        )
        assert answer.status_code == 404, path
    assert (await client.get(PAGE + "delete")).status_code == 404
    assert (await _conference(settings))["title"]["en"] == "The Revolutionary Alternative"


async def test_owner_deletes_after_typing_the_address(client: Client, organiser: Organiser, settings: Settings) -> None:
    await _signed_in_with_conference(client, organiser)
    assert "Delete this conference" in (await client.get(PAGE)).text
    wrong = await post_form(client, PAGE + "delete", PAGE + "delete", {"confirm_slug": "climate"})
    assert wrong.status_code == 400
    assert 'id="confirm_slug-error">Type the conference&#39;s address exactly as shown.' in wrong.text
    assert (await _conference(settings))["timezone"] == "Europe/London"
    answer = await post_form(client, PAGE + "delete", PAGE + "delete", {"confirm_slug": "climate-2027"})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/orga/"
    async with database(settings) as db:
        assert await db.scalar(select(Conference.id).where(Conference.slug == "climate-2027")) is None
    assert "The conference was deleted." in (await client.get("/orga/")).text


async def test_organiser_who_is_not_an_owner_may_not_delete(
    client: Client, organiser: Organiser, other_organiser: Organiser, settings: Settings
) -> None:
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload())
    await post_ok(
        client,
        organiser,
        "/api/v1/conferences/climate-2027/members/",
        {"email": other_organiser.email, "role": "organiser"},
    )
    await sign_in(client, other_organiser.email)
    page = await client.get(PAGE)
    assert page.status_code == 200
    assert "Delete this conference" not in page.text
    assert (await client.get(PAGE + "delete")).status_code == 403
    answer = await client.post(
        PAGE + "delete", data={"confirm_slug": "climate-2027", "_csrf_token": csrf_token(page.text)}
    )
    assert answer.status_code == 403
    assert (await _conference(settings))["timezone"] == "Europe/London"
