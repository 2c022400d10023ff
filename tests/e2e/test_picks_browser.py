"""A visitor's picks in a real browser: star, un-star, reload, "My picks", and the picks feed in ical.js."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import CONFERENCE, DemoServer, NewContext

JS_DIR = Path(__file__).resolve().parents[1] / "js"
REQUIRE_NODE = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def icaljs_uids(body: bytes, folder: Path) -> set[str]:
    """The UIDs of the events ical.js (tests/js/parse_ics.mjs) reads in ``body``."""
    node = shutil.which("node")
    if node is None or not (JS_DIR / "node_modules" / "ical.js").is_dir():
        reason = "node or ical.js missing (npm ci --prefix tests/js)"
        if REQUIRE_NODE:
            pytest.fail(reason)
        pytest.skip(reason)
    path = folder / "picks.ics"
    path.write_bytes(body)
    parsed = subprocess.run(  # noqa: S603 - our own script
        [node, str(JS_DIR / "parse_ics.mjs"), str(path)], capture_output=True, check=True, timeout=30
    )
    return {event["uid"] for event in json.loads(parsed.stdout)}


def test_picks_starred_on_the_programme_survive_a_reload_and_make_the_picks_feed(
    demo_server: DemoServer, new_context: NewContext, tmp_path: Path
) -> None:
    public = [s for s in demo_server.sessions if s["status"] == "confirmed"]
    chosen = sorted(public[:3:2], key=lambda s: (s["starts_at"], s["slug"]))  # two, not side by side
    page = new_context(timezone_id="Europe/London").new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(demo_server.url(f"/{CONFERENCE}/programme/"))
    expect(page.locator("html")).to_have_attribute("data-zone", "Europe/London")
    for session in chosen:
        star = page.get_by_role("button", name=f"Add {session['title']['en']} to my picks")
        star.click()
        expect(page.locator(f'[data-session="{session["slug"]}"] > .pick-star')).to_have_attribute(
            "aria-pressed", "true"
        )

    page.reload()
    for session in chosen:
        star = page.locator(f'[data-session="{session["slug"]}"] > .pick-star')
        expect(star).to_have_attribute("aria-pressed", "true")
        expect(star).to_have_accessible_name(f"Remove {session['title']['en']} from my picks")
    expect(page.locator('.pick-star[aria-pressed="true"]')).to_have_count(2)
    link = page.locator("#my-picks-link")
    expect(link).to_have_text("My picks (2)")

    link.click()
    expect(page.locator("h1")).to_have_text("My picks")
    cards = page.locator("#picks-list [data-session]")
    expect(cards).to_have_count(2)
    assert [cards.nth(n).get_attribute("data-session") for n in range(2)] == [s["slug"] for s in chosen]
    expect(page.locator("#picks-qr svg")).to_be_visible()
    feed = page.locator("#picks-ics").get_attribute("href")
    assert feed is not None
    answer = httpx.get(feed, timeout=10)
    assert answer.status_code == 200, demo_server.log_tail()
    assert icaljs_uids(answer.content, tmp_path) == {f"{s['guid']}@confman" for s in chosen}

    # The share link opened in another browser: its picks can be kept there.
    share = page.locator("#picks-share-link").get_attribute("href")
    assert share is not None
    other = new_context(timezone_id="Asia/Tokyo").new_page()
    other.goto(share)
    expect(other.locator("#my-picks-link")).to_have_text("My picks (0)")
    other.get_by_role("button", name="Add these sessions to my picks").click()
    expect(other.locator("#my-picks-link")).to_have_text("My picks (2)")
    expect(other.locator("#keep-picks")).to_have_count(0)
    other.goto(demo_server.url(f"/{CONFERENCE}/programme/"))
    expect(other.locator('.pick-star[aria-pressed="true"]')).to_have_count(2)

    # Un-starring takes a session out, and stays out after a reload.
    other.get_by_role("button", name=f"Remove {chosen[0]['title']['en']} from my picks").click()
    expect(other.locator("#my-picks-link")).to_have_text("My picks (1)")
    other.reload()
    expect(other.locator('.pick-star[aria-pressed="true"]')).to_have_count(1)
    expect(other.locator(f'[data-session="{chosen[1]["slug"]}"] > .pick-star')).to_have_attribute(
        "aria-pressed", "true"
    )

    # At the most a picks link can hold (200), another star is refused and says why.
    other.evaluate(
        "key => localStorage.setItem(key, JSON.stringify(Array.from({length: 200}, (_, n) => 'kept-' + n)))",
        f"confman:picks:{CONFERENCE}",
    )
    other.reload()
    expect(other.locator("#my-picks-link")).to_have_text("My picks (200)")
    other.locator(".pick-star").first.click()
    expect(other.locator(".picks-status")).to_have_text("At most 200 sessions can be picked.")
    expect(other.locator(".picks-status")).to_have_attribute("role", "status")
    expect(other.locator('.pick-star[aria-pressed="true"]')).to_have_count(0)
    expect(other.locator("#my-picks-link")).to_have_text("My picks (200)")
    assert errors == []
