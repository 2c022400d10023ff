"""The public programme site in a real browser: zones, languages, console, phone width, keyboard.

Each test opens a fresh browser context (a first visit: no cookies) whose ``timezone_id``
and ``locale`` play a viewer somewhere else. Expected times are computed here with
``zoneinfo`` from the UTC times the public API gives, never written down.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from babel import Locale
from babel.dates import format_date
from playwright.sync_api import BrowserContext, ConsoleMessage, Error, Page, Response, expect

from confman.lib.security_headers import CONTENT_SECURITY_POLICY
from confman.lib.templating import gettext_callables
from tests.e2e.conftest import CONFERENCE, DemoServer, NewContext

LONDON = "Europe/London"
PROGRAMME = f"/{CONFERENCE}/programme/"
FIRST_SESSION = "climate-chaos-in-the-pacific"  # "Fire and Flood", 09:00-10:00 London
PHONE_WIDTH = 360
PHONE = {
    "viewport": {"width": PHONE_WIDTH, "height": 740},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}

# "9:00 AM", "21:30", "9:00 PM" (CLDR puts a narrow no-break space before AM/PM): any clock a page writes.
_CLOCK = re.compile(r"(\d{1,2})[:.](\d{2})(?:\s*([AaPp])\.?\s*[Mm]\.?)?")

# Every session card on a page: its id, day heading, the two clocks and the conference's clock.
_READ_SESSIONS = """
articles => articles.map(article => ({
  id: article.id,
  day: article.closest("section.day")?.querySelector("h2")?.id ?? null,
  times: [...article.querySelectorAll(".viewer-time time")].map(t => [t.getAttribute("datetime"), t.textContent]),
  conference: article.querySelector(".conference-time")?.textContent ?? null,
}))
"""


def clocks(text: str) -> list[str]:
    """The times of day written in ``text``, as 24-hour "HH:MM"."""
    found = []
    for hours, minutes, half in _CLOCK.findall(text):
        hour = int(hours)
        if half:
            hour = hour % 12 + (12 if half.lower() == "p" else 0)
        found.append(f"{hour:02d}:{minutes}")
    return found


def utc(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def hhmm(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%H:%M")


def open_page(page: Page, server: DemoServer, path: str, zone: str) -> None:
    """Go to ``path`` and wait until the page is rendered in ``zone`` (after viewer.js's one reload)."""
    answer = page.goto(server.url(path))
    assert answer is not None
    assert answer.status == 200, f"{path}: HTTP {answer.status}\n{server.log_tail()}"
    expect(page.locator("html")).to_have_attribute("data-zone", zone)
    page.wait_for_load_state("load")


def shown_sessions(page: Page) -> dict[str, dict[str, Any]]:
    cards: list[dict[str, Any]] = page.locator("article.session").evaluate_all(_READ_SESSIONS)
    return {card["id"].removeprefix("session-"): card for card in cards}


def assert_programme_in_zone(page: Page, server: DemoServer, zone: str) -> None:
    """Every session shows its start and end in ``zone``, under the heading of its day there."""
    cards = shown_sessions(page)
    assert sorted(cards) == sorted(s["slug"] for s in server.sessions)
    for session in server.sessions:
        card = cards[session["slug"]]
        starts, ends = utc(session["starts_at"]), utc(session["ends_at"])
        assert [utc(value) for value, _ in card["times"]] == [starts, ends], card
        shown = [clock for _, text in card["times"] for clock in clocks(text)]
        assert shown == [hhmm(starts, zone), hhmm(ends, zone)], (session["slug"], zone, card)
        assert card["day"] == f"day-{starts.astimezone(ZoneInfo(zone)).date().isoformat()}", (session["slug"], card)
        if zone == LONDON:
            assert card["conference"] is None, card  # the viewer reads the conference's zone: one clock
        else:
            assert card["conference"] is not None, card
            assert clocks(card["conference"])[:2] == [hhmm(starts, LONDON), hhmm(ends, LONDON)], card
            assert "London" in card["conference"], card


def cookie(context: BrowserContext, name: str) -> list[str]:
    """The values of cookie ``name`` (the server quotes values with a "/": ``tz="Asia/Tokyo"``)."""
    return [c["value"].strip('"') for c in context.cookies() if c["name"] == name]


def first_start(server: DemoServer) -> datetime:
    (session,) = [s for s in server.sessions if s["slug"] == FIRST_SESSION]
    return utc(session["starts_at"])


# 1. The detected zone changes the times shown -------------------------------------------------


def test_detected_zone_changes_the_times_shown(demo_server: DemoServer, new_context: NewContext) -> None:
    starts = first_start(demo_server)
    shown_first: dict[str, str] = {}
    for zone in ("Australia/Sydney", "America/Sao_Paulo"):
        page = new_context(timezone_id=zone).new_page()
        open_page(page, demo_server, PROGRAMME, zone)

        assert_programme_in_zone(page, demo_server, zone)
        first = page.locator(f"#session-{FIRST_SESSION} .viewer-time time").first
        shown_first[zone] = clocks(first.inner_text())[0]
        assert shown_first[zone] == hhmm(starts, zone)
        assert cookie(page.context, "tz") == [zone]

    # Sydney, São Paulo and London each read a different clock for the same session.
    assert len({*shown_first.values(), hhmm(starts, LONDON)}) == 3, shown_first


def test_without_javascript_times_are_in_the_conference_zone(demo_server: DemoServer, new_context: NewContext) -> None:
    context = new_context(timezone_id="Australia/Sydney", java_script_enabled=False)
    page = context.new_page()
    open_page(page, demo_server, PROGRAMME, LONDON)

    assert_programme_in_zone(page, demo_server, LONDON)
    assert clocks(page.locator(f"#session-{FIRST_SESSION} .viewer-time time").first.inner_text()) == [
        hhmm(first_start(demo_server), LONDON)
    ]
    assert cookie(context, "tz") == []


# 2. Switching language changes the interface and the country names ---------------------------


def _section_links(page: Page) -> list[str]:
    return [text.strip() for text in page.locator("nav.sections a").all_inner_texts()]


def _speaker_country(page: Page, slug: str) -> str:
    """A speaker's entry (name, country, role) in the first session card that lists them."""
    speaker = page.locator(".speaker").filter(has=page.locator(f'a[href$="/speakers/{slug}/"]')).first
    return speaker.inner_text()


def test_switching_language_changes_interface_and_country_names(
    demo_server: DemoServer, new_context: NewContext
) -> None:
    russian = gettext_callables("ru")["_"]
    brazil_en, brazil_ru = Locale("en").territories["BR"], Locale("ru").territories["BR"]
    assert (brazil_en, brazil_ru) == ("Brazil", "Бразилия")
    context = new_context(timezone_id=LONDON)
    page = context.new_page()
    open_page(page, demo_server, PROGRAMME, LONDON)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    english_links = _section_links(page)
    assert "Programme" in english_links
    assert f"({brazil_en})" in _speaker_country(page, "sabrina-fernandez")

    page.locator("nav.languages").get_by_role("link", name="Русский", exact=True).click()
    page.wait_for_url(re.compile(r"[?&]lang=ru\b"))

    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.locator("nav.languages a[aria-current]")).to_have_text("Русский")
    # Dates come from CLDR in the new language...
    day = first_start(demo_server).astimezone(ZoneInfo(LONDON)).date()
    expect(page.locator("section.day h2").first).to_have_text(format_date(day, format="full", locale="ru"))
    # ...country names too...
    assert f"({brazil_ru})" in _speaker_country(page, "sabrina-fernandez")
    # ...and the interface from the Russian catalogue.
    programme_link = page.locator(f'nav.sections a[href$="{PROGRAMME}"]')
    expect(programme_link).to_have_text(russian("Programme"))
    russian_links = _section_links(page)
    assert russian_links != english_links, f"the interface is still in English after choosing Русский: {russian_links}"

    # The choice is remembered: the next page, without ?lang=, is Russian too.
    assert cookie(context, "lang") == ["ru"]
    page.locator("nav.sections").get_by_role("link", name=russian("Speakers"), exact=True).click()
    page.wait_for_url(demo_server.url(f"/{CONFERENCE}/speakers/"))
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.locator("h1")).to_have_text(russian("Speakers"))
    sabrina = page.locator(".speaker-grid > li").filter(has=page.get_by_role("link", name="Sabrina Fernandez"))
    expect(sabrina.locator(".country")).to_have_text(brazil_ru)
    erima = page.locator(".speaker-grid > li").filter(has=page.get_by_role("link", name="Erima Dall"))
    expect(erima.locator(".country")).to_have_text(Locale("ru").territories["AU"])


# 3. No console errors on any public page -----------------------------------------------------


def public_pages(server: DemoServer) -> list[str]:
    return [
        "/",
        f"/{CONFERENCE}/",
        PROGRAMME,
        *(f"/{CONFERENCE}/sessions/{s['slug']}/" for s in server.sessions),
        f"/{CONFERENCE}/speakers/",
        *(f"/{CONFERENCE}/speakers/{s['slug']}/" for s in server.speakers),
    ]


# The conference's own zone in English (no reload), and a reload into Tokyo in Russian.
@pytest.mark.parametrize(("zone", "locale"), [(LONDON, "en-GB"), ("Asia/Tokyo", "ru-RU")])
def test_no_console_errors_on_any_public_page(
    demo_server: DemoServer, new_context: NewContext, zone: str, locale: str
) -> None:
    page = new_context(timezone_id=zone, locale=locale).new_page()
    problems: list[str] = []
    current = {"url": ""}
    icons: dict[str, int] = {}

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(f"{current['url']}: console error: {message.text} (from {message.location.get('url')})")

    def on_page_error(error: Error) -> None:
        problems.append(f"{current['url']}: page error: {error}")

    def on_response(response: Response) -> None:
        if response.status >= 400:
            problems.append(f"{current['url']}: HTTP {response.status} for {response.url}")

    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    page.on("response", on_response)
    pages = public_pages(demo_server)
    assert len(pages) == 3 + len(demo_server.sessions) + 1 + len(demo_server.speakers)
    for path in pages:
        current["url"] = path
        open_page(page, demo_server, path, zone)  # data-zone = zone: our script ran (CSP let it)
        expect(page.locator("html")).to_have_attribute("lang", locale.split("-")[0])
        # Our stylesheet applied (CSP let it): the skip link is moved out of sight until focused.
        assert page.locator(".skip-link").evaluate("e => getComputedStyle(e).position") == "absolute", path
        # The browser asks for the page's icon (or /favicon.ico) on a visitor's first page and logs a
        # console error when it is missing; it then remembers the failure for the whole browser, so the
        # console of the pages above cannot show it reliably: ask for it as the browser would.
        icon = page.evaluate(
            "document.querySelector('link[rel~=icon]')?.href ?? new URL('/favicon.ico', location).href"
        )
        if not icon.startswith("data:") and icon not in icons:
            icons[icon] = page.request.get(icon).status
            if icons[icon] >= 400:
                problems.append(
                    f"{path}: HTTP {icons[icon]} for the page icon {icon} (a console error on a first visit)"
                )
    assert problems == []


# 4. Phone width: nothing wider than the screen ------------------------------------------------


@pytest.mark.parametrize("locale", ["en-GB", "ru-RU"])
@pytest.mark.parametrize("path", [f"/{CONFERENCE}/", PROGRAMME, f"/{CONFERENCE}/sessions/{FIRST_SESSION}/"])
def test_phone_width_has_no_horizontal_scroll(
    demo_server: DemoServer, new_context: NewContext, tmp_path: Path, path: str, locale: str
) -> None:
    # Sydney: every session shows two clocks and the conference's day, the longest "when" lines.
    page = new_context(timezone_id="Australia/Sydney", locale=locale, **PHONE).new_page()
    open_page(page, demo_server, path, "Australia/Sydney")

    screenshot = tmp_path / f"phone-{locale}-{path.strip('/').replace('/', '-')}.png"
    page.screenshot(path=screenshot, full_page=True)
    assert screenshot.stat().st_size > 0
    scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    # A phone zooms out to fit wider content, so innerWidth grows with it: compare with the screen too.
    too_wide = page.evaluate(
        """width => [...document.querySelectorAll("body *")]
             .filter(e => e.getBoundingClientRect().right > width + 0.5)
             .slice(0, 5).map(e => e.tagName.toLowerCase() + (e.className ? "." + e.className : ""))""",
        PHONE_WIDTH,
    )
    overflow = f"{path} ({locale}): scrollWidth {scroll_width}, innerWidth {inner_width}, screen {PHONE_WIDTH}"
    assert inner_width == PHONE_WIDTH, f"{overflow}; wider than the screen: {too_wide}; see {screenshot}"
    assert scroll_width <= inner_width, f"{overflow}; wider than the screen: {too_wide}; see {screenshot}"


# 5. Keyboard: the first Tab reaches "Skip to content" ----------------------------------------


@pytest.mark.parametrize("path", [f"/{CONFERENCE}/", PROGRAMME])
def test_first_tab_focuses_a_visible_skip_link(demo_server: DemoServer, new_context: NewContext, path: str) -> None:
    page = new_context(timezone_id=LONDON).new_page()
    open_page(page, demo_server, path, LONDON)

    page.keyboard.press("Tab")

    skip = page.locator(":focus")
    expect(skip).to_have_text("Skip to content")
    expect(skip).to_have_attribute("href", "#main")
    expect(skip).to_be_visible()
    expect(skip).to_be_in_viewport()
    box = skip.bounding_box()
    assert box is not None
    viewport = page.viewport_size
    assert viewport is not None
    assert box["x"] >= 0, box
    assert box["y"] >= 0, box
    assert box["x"] + box["width"] <= viewport["width"], box
    assert box["height"] >= 10, box
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"#main$"))


# 6. The zone picker ---------------------------------------------------------------------------


def test_zone_picker_shows_times_in_the_chosen_zone(demo_server: DemoServer, new_context: NewContext) -> None:
    starts = first_start(demo_server)
    assert hhmm(starts, "Asia/Tokyo") != hhmm(starts, "America/Sao_Paulo")  # else this proves nothing
    context = new_context(timezone_id="America/Sao_Paulo")
    page = context.new_page()
    open_page(page, demo_server, PROGRAMME, "America/Sao_Paulo")
    picker = page.locator("details.zone-picker")
    select = picker.locator("select#tz")
    expect(select).to_be_hidden()

    picker.locator("summary").click()
    expect(picker).to_have_attribute("open", "")
    expect(select).to_be_visible()
    select.select_option("Asia/Tokyo")
    picker.get_by_role("button").click()

    page.wait_for_url(re.compile(r"[?&]tz=Asia(%2F|/)Tokyo"))
    expect(page.locator("html")).to_have_attribute("data-zone", "Asia/Tokyo")
    assert_programme_in_zone(page, demo_server, "Asia/Tokyo")
    assert cookie(context, "tz") == ["Asia/Tokyo"]

    # Remembered, and the browser's own zone does not win it back: the next page is in Tokyo too.
    open_page(page, demo_server, PROGRAMME, "Asia/Tokyo")
    assert_programme_in_zone(page, demo_server, "Asia/Tokyo")
    expect(page.locator("details.zone-picker select#tz option:checked")).to_have_attribute("value", "Asia/Tokyo")
    assert cookie(context, "tz") == ["Asia/Tokyo"]


def test_clock_reader_understands_the_page_formats() -> None:
    assert clocks("9:00\u202fAM–10:30\u202fPM London") == ["09:00", "22:30"]
    assert clocks("21:30–00:00") == ["21:30", "00:00"]
    assert clocks("12:15 AM (14 нояб. 2027 г.)") == ["00:15"]


def test_the_api_documentation_renders_from_our_own_origin(demo_server: DemoServer, new_context: NewContext) -> None:
    # Swagger UI is vendored and started from a file: under the CSP, with no network beyond us.
    context = new_context()
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    foreign: list[str] = []
    page.on(
        "request",
        lambda request: foreign.append(request.url) if not request.url.startswith(demo_server.base_url) else None,
    )

    answer = page.goto(demo_server.url("/schema/swagger"))

    assert answer is not None
    assert answer.status == 200
    # The site's own policy, not a relaxed one: a violation would show as a console error.
    assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    # Swagger UI parses its 1.7 MB bundle and the whole schema before it draws anything: on a
    # loaded CI machine that took longer than expect's default 5 s (the page was complete a
    # moment later), so it gets 30 s.
    expect(page.locator(".swagger-ui .opblock-tag", has_text="Registrations").first).to_be_visible(timeout=30_000)
    expect(
        page.locator(".swagger-ui .opblock-summary-path", has_text="/api/v1/conferences/{conf}/registrations").first
    ).to_be_visible()
    # An operation opened: its parameters, bodies and answers drawn under the same policy.
    page.locator(".swagger-ui .opblock-summary-path", has_text="/api/v1/conferences/{conf}/registrations").first.click()
    expect(page.locator(".swagger-ui .opblock.is-open .responses-table").first).to_be_visible()
    assert foreign == []
    assert problems == []
    context.close()
