"""Accessibility of every organiser page: axe-core finds no WCAG 2.0/2.1 A or AA violation,
at desktop width in English and at phone width in Russian, and no page is wider than a phone.

The pages are the demo conference's, signed in as the demo organiser (the password the demo
prints once). One browser context per width signs in once and walks every page.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page

from tests.e2e.conftest import CONFERENCE, DemoServer, NewContext, axe_violations, describe
from tests.e2e.test_accessibility import DEVICES, SESSION, SPEAKER

ORGA = f"/orga/{CONFERENCE}/"
PAGES = [
    "/orga/",
    ORGA,
    ORGA + "settings/",
    ORGA + "registration/",
    ORGA + "registration/new-question",
    ORGA + "tracks/",
    ORGA + "streams/",
    ORGA + "speakers/",
    ORGA + "speakers/new",
    ORGA + f"speakers/{SPEAKER}/edit",
    ORGA + "sessions/",
    ORGA + "sessions/new",
    ORGA + f"sessions/{SESSION}/edit",
    ORGA + f"sessions/{SESSION}/delete",
    ORGA + "schedule/",
    ORGA + "releases/",
    ORGA + "members/",
    ORGA + "audit/",
    ORGA + "settings/delete",
    ORGA + "registrations/",
    ORGA + "attendance/",
    ORGA + "messages/",
    ORGA + "messages/new",
    ORGA + "news/",
    ORGA + "news/new",
    ORGA + "news/registration-open/",
    ORGA + "webhooks/",
    ORGA + "reach/",
    "/orga/account/",
    "/orga/tokens/",
]
# Before signing in.
OPEN_PAGES = ["/orga/login", "/orga/password/forgot"]


def demo_login(server: DemoServer) -> tuple[str, str]:
    """The demo organiser's e-mail and password, as ``confman demo`` printed them."""
    found = re.search(r"organiser login:\s+(\S+) / (\S+)", server.log.read_text(errors="replace"))
    assert found, f"the demo printed no organiser login:\n{server.log_tail()}"
    return found.group(1), found.group(2)


def check(page: Page, axe_script: Path, url: str, where: str) -> None:
    answer = page.goto(url)
    assert answer is not None
    assert answer.status == 200, f"{url}: HTTP {answer.status}"
    page.wait_for_load_state("load")
    page.add_script_tag(path=axe_script)
    violations = axe_violations(page)
    assert violations == [], describe(violations, f"{url} ({where})")
    # Usable at phone width: the page itself never scrolls sideways (wide tables scroll in their box).
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    if overflow > 1:
        widest = page.evaluate(
            """() => Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right >
            document.documentElement.clientWidth + 1).slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' +
            Math.round(e.getBoundingClientRect().right))"""
        )
        pytest.fail(f"{url} ({where}) is {overflow}px wider than the screen: {widest}")


@pytest.mark.parametrize(("lang", "width"), [("en", "desktop"), ("ru", "phone")])
def test_no_accessibility_violations_on_organiser_pages(
    axe_script: Path, demo_server: DemoServer, new_context: NewContext, lang: str, width: str
) -> None:
    email, password = demo_login(demo_server)
    page = new_context(bypass_csp=True, **DEVICES[width]).new_page()
    suffix = "?lang=ru" if lang == "ru" else ""
    for path in OPEN_PAGES:
        check(page, axe_script, demo_server.url(path + suffix), f"{lang}, {width}")
    page.goto(demo_server.url("/orga/login"))
    page.fill("#email", email)
    page.fill("#password", password)
    page.locator("form.orga-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/orga/$"))
    for path in PAGES:
        check(page, axe_script, demo_server.url(path + suffix), f"{lang}, {width}")
    # One registration's page: someone registers first (the demo starts with none).
    answer = httpx.post(
        demo_server.url(f"/api/v1/conferences/{CONFERENCE}/registrations"),
        json={"name": f"Зоя Axe {lang}", "email": f"axe-{lang}@example.org", "country": "UA",
              "timezone": "Europe/Kyiv", "language": lang, "consent": True,
              "answers": {"interest": "study", "first-time": True}},
        timeout=30,
    )  # fmt: skip
    assert answer.status_code in (201, 202), answer.text
    page.goto(demo_server.url(ORGA + "registrations/?q=axe-" + lang))
    detail = page.locator("table.registration-table a").first.get_attribute("href")
    assert detail is not None
    check(page, axe_script, demo_server.url(detail + suffix), f"{lang}, {width}")
