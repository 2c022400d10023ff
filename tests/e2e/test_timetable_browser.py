"""The programme's timetable in a real browser: zones, streams side by side, day tabs, the phone's list, now.

Expected times come from ``zoneinfo`` and the public API's UTC times, never written down.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from tests.e2e.conftest import DemoServer, NewContext, axe_violations, describe
from tests.e2e.test_public_site_browser import PROGRAMME, clocks, hhmm, open_page, utc

KIRITIMATI = "Pacific/Kiritimati"
WIDE = {"viewport": {"width": 1280, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
# The demo's parallel sessions (13:00-14:30 London, in two streams) and a 60- and a 90-minute one.
PARALLEL = ("marxism-nature-metabolic-rift", "climate-justice-global-south")
HOUR_LONG, HOUR_AND_A_HALF = "climate-chaos-in-the-pacific", "limits-of-cop26"

_READ = """
articles => articles.map(a => ({
  slug: a.dataset.session,
  day: a.closest("section.day").querySelector("h2").id,
  times: [...a.querySelectorAll(".viewer-time time")].map(t => t.textContent),
}))
"""


def box(page: Page, slug: str) -> dict[str, float]:
    found = page.locator(f'article[data-session="{slug}"]').bounding_box()
    assert found is not None, slug
    return dict(found)


def test_timetable_in_three_zones_with_streams_side_by_side_tabs_phone_list_and_now(
    axe_script: Path, demo_server: DemoServer, new_context: NewContext
) -> None:
    sessions = {s["slug"]: s for s in demo_server.sessions}
    streams = list(dict.fromkeys(s["stream"] for s in demo_server.sessions if s["stream"]))
    for zone in ("Europe/London", "America/Sao_Paulo", KIRITIMATI):
        # axe is injected as an inline script: only this context bypasses the CSP.
        page = new_context(timezone_id=zone, bypass_csp=zone == KIRITIMATI, **WIDE).new_page()
        open_page(page, demo_server, PROGRAMME, zone)

        shown: list[dict[str, Any]] = page.locator("article[data-session]").evaluate_all(_READ)
        assert sorted(card["slug"] for card in shown) == sorted(sessions), zone
        for card in shown:
            starts, ends = utc(sessions[card["slug"]]["starts_at"]), utc(sessions[card["slug"]]["ends_at"])
            assert [c for text in card["times"] for c in clocks(text)] == [hhmm(starts, zone), hhmm(ends, zone)], card
            assert card["day"] == f"day-{starts.astimezone(ZoneInfo(zone)).date().isoformat()}", (zone, card)
        days = sorted({card["day"] for card in shown})
        panels = page.locator("section.day")
        expect(panels).to_have_count(len(days))
        # One column per stream, on every day.
        for index in range(len(days)):
            heads = panels.nth(index).locator(".tt-head:not(.tt-corner)")
            assert heads.all_text_contents() == ["Main hall", "Room 2"], zone
        assert len(streams) == 2

        if zone == KIRITIMATI:
            # 09:00 in London is 23:00 in Kiritimati (UTC+14): the conference's day is two days there, two tabs.
            assert len(days) == 2
            tabs = page.get_by_role("tab")
            expect(tabs).to_have_count(2)
            expect(tabs.first).to_have_attribute("aria-selected", "true")
            expect(panels.nth(1)).to_be_hidden()
            tabs.nth(1).click()
            expect(panels.nth(1)).to_be_visible()
            expect(panels.first).to_be_hidden()
            expect(page.locator(f'article[data-session="{PARALLEL[0]}"]')).to_be_visible()
            page.keyboard.press("ArrowLeft")
            expect(tabs.first).to_be_focused()
            expect(tabs.first).to_have_attribute("aria-selected", "true")
            expect(panels.first).to_be_visible()
            # A link to a session opens its day.
            page.evaluate(f"location.hash = '#session-{PARALLEL[0]}'")
            expect(panels.nth(1)).to_be_visible()
            expect(tabs.nth(1)).to_have_attribute("aria-selected", "true")
            # The tabbed timetable (the one-day grid is in test_accessibility) has no WCAG A/AA violation.
            page.add_script_tag(path=axe_script)
            violations = axe_violations(page)
            assert violations == [], describe(violations, f"{PROGRAMME} in {zone}, tabs")
            continue
        assert len(days) == 1
        expect(page.get_by_role("tab")).to_have_count(0)
        # Parallel sessions side by side in one row; heights follow the durations.
        left, right = box(page, PARALLEL[0]), box(page, PARALLEL[1])
        assert abs(left["y"] - right["y"]) < 1, (left, right)
        assert abs(left["height"] - right["height"]) < 1, (left, right)
        assert left["x"] + left["width"] <= right["x"], (left, right)
        hour, longer = box(page, HOUR_LONG), box(page, HOUR_AND_A_HALF)
        assert abs(longer["height"] / hour["height"] - 1.5) < 0.05, (hour, longer)
        assert hour["x"] == longer["x"]
        assert hour["y"] + hour["height"] < longer["y"]

    # A phone gets the list: one session under the other, full width, no stream heads.
    phone = new_context(timezone_id="Europe/London", **PHONE).new_page()
    open_page(phone, demo_server, PROGRAMME, "Europe/London")
    expect(phone.locator(".tt-head").first).to_be_hidden()
    upper, lower = sorted((box(phone, PARALLEL[0]), box(phone, PARALLEL[1])), key=lambda b: b["y"])
    assert upper["x"] == lower["x"]
    assert upper["y"] + upper["height"] <= lower["y"], (upper, lower)
    assert upper["width"] > 300

    # Printed (even from a wide screen): the list with every day, no navigation, pickers or tabs.
    printed = new_context(timezone_id="Europe/London", **WIDE).new_page()
    open_page(printed, demo_server, PROGRAMME, "Europe/London")
    printed.emulate_media(media="print")
    for hidden in (".tt-head", ".zone-picker", ".site-header nav"):
        expect(printed.locator(hidden).first).to_be_attached()
        expect(printed.locator(hidden).first).to_be_hidden()
    expect(printed.locator(".day").last).to_be_visible()
    upper, lower = sorted((box(printed, PARALLEL[0]), box(printed, PARALLEL[1])), key=lambda b: b["y"])
    assert upper["y"] + upper["height"] <= lower["y"], (upper, lower)
    assert printed.pdf(format="A4")[:5] == b"%PDF-"

    # While the conference runs, the now line crosses the running session where the clock is.
    starts = utc(sessions[HOUR_AND_A_HALF]["starts_at"])
    context = new_context(timezone_id="Europe/London", **WIDE)
    live = context.new_page()
    live.clock.set_fixed_time(starts + timedelta(minutes=45))
    open_page(live, demo_server, PROGRAMME, "Europe/London")
    line = live.locator(".tt-now")
    expect(line).to_have_count(1)
    running = box(live, HOUR_AND_A_HALF)
    now = live.evaluate("document.querySelector('.tt-now').getBoundingClientRect().top")
    assert abs(now - (running["y"] + running["height"] / 2)) < 3, (now, running)
