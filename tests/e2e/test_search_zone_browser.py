"""Programme search and the zone picker in a real browser: a speaker found without typing
accents, a Russian title found in capitals, a city found by typing (with JavaScript) and
chosen from the plain list (without)."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import quote

from playwright.sync_api import expect

from confman.lib.i18n import format_clock
from tests.e2e.conftest import CONFERENCE, DemoServer, NewContext

PROGRAMME = f"/{CONFERENCE}/programme/"
LONDON = "Europe/London"


def test_search_finds_a_speaker_and_the_zone_picker_changes_times(
    demo_server: DemoServer, new_context: NewContext
) -> None:
    speaker = next(s for s in demo_server.speakers if s["name"] == "Özdeş Özbay")
    session = next(s for s in demo_server.sessions if speaker["slug"] in [p["slug"] for p in s["speakers"]])
    page = new_context(timezone_id=LONDON).new_page()
    page.goto(demo_server.url(PROGRAMME))

    # Search without accents, by the form on the page.
    page.get_by_role("search").get_by_label("Search the programme").fill("ozdes")
    page.get_by_role("search").get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"[?&]q=ozdes"))
    hit = page.locator(f"article.search-hit#session-{session['slug']}")
    expect(hit.locator("mark")).to_have_text(["Özdeş"])
    expect(page.locator("article.search-hit")).to_have_count(1)

    # A Russian viewer types in capitals: Cyrillic folded for case, the title marked as written.
    marxism = next(s for s in demo_server.sessions if "Марксизм" in s["title"].get("ru", ""))
    russian = new_context(timezone_id=LONDON, locale="ru-RU").new_page()
    russian.goto(demo_server.url(PROGRAMME))
    russian.get_by_role("search").get_by_label("Поиск по программе").fill("МАРКСИЗМ")
    russian.get_by_role("search").get_by_role("button").click()
    expect(russian).to_have_url(re.compile(r"[?&]q=%D0%9C%D0%90"))
    expect(russian.locator(f"article.search-hit#session-{marxism['slug']} h3 mark")).to_have_text(["Марксизм"])
    expect(russian.locator(".search-results .count")).to_contain_text("Найден")

    # With JavaScript: type a city into the picker's search box, take it, times follow.
    page.goto(demo_server.url(f"{PROGRAMME}#session-{session['slug']}"))
    card_time = page.locator(f"#session-{session['slug']} .viewer-time time").first
    moment = datetime.fromisoformat(session["starts_at"])
    expect(card_time).to_have_text(format_clock(moment, LONDON, "en-GB"))
    page.locator("details.zone-picker summary").click()
    box = page.get_by_label("Find a city")
    box.fill("sao pau")
    expect(page.locator("#tz")).to_have_value("America/Sao_Paulo")
    expect(page.locator("#tz option:not([hidden])")).to_have_text(["Sao Paulo (Brazil)"])
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"tz=America%2FSao_Paulo"))
    expect(card_time).to_have_text(format_clock(moment, "America/Sao_Paulo", "en-GB"))

    # Without JavaScript: no search box, the plain list and its button.
    plain = new_context(timezone_id=LONDON, java_script_enabled=False).new_page()
    plain.goto(demo_server.url(PROGRAMME + "?lang=ru"))
    plain.locator("details.zone-picker summary").click()
    expect(plain.locator(".zone-filter")).to_be_hidden()
    plain.locator("#tz").select_option("Asia/Tokyo")
    plain.locator("details.zone-picker button[type=submit]").click()
    expect(plain).to_have_url(re.compile(quote("Asia/Tokyo", safe="")))
    expect(plain.locator("#tz option[selected]")).to_have_text("Токио (Япония)")
    expect(plain.locator(f"#session-{session['slug']} .viewer-time time").first).to_have_text(
        format_clock(moment, "Asia/Tokyo", "ru")
    )
