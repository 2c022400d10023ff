"""Accessibility: axe-core finds no WCAG 2.0/2.1 A or AA violation on the public pages.

Every public kind of page (the conference list, an overview, the programme, a session, the
speakers, a speaker, the registration form, the pages an e-mail's links open and a 404; the
attendee's own pages are checked along the journey in test_attendee_journey_browser), in English and Russian, at desktop
width and at a 360 px phone width, in the light colour scheme; the pages with cards, badges,
faces or form controls also in the dark one (the same page again with
``prefers-color-scheme: dark`` emulated: no second load). The zone picker is opened on the
programme page so that its form is checked too. axe is injected as an inline script, which
the site's CSP forbids: these contexts, and only these, bypass the CSP.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import CONFERENCE, DemoServer, NewContext, axe_violations, describe

LONDON = "Europe/London"  # the conference's zone: viewer.js does not reload the page
PROGRAMME = f"/{CONFERENCE}/programme/"
SESSION = "climate-chaos-in-the-pacific"
SPEAKER = "sabrina-fernandez"

DEVICES: dict[str, dict[str, Any]] = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {
        "viewport": {"width": 360, "height": 740},
        "is_mobile": True,
        "has_touch": True,
        "device_scale_factor": 2,
    },
}

# (path, expected HTTP status)
PAGES = {
    "index": ("/", 200),
    "conference": (f"/{CONFERENCE}/", 200),
    "programme": (PROGRAMME, 200),
    "session": (f"/{CONFERENCE}/sessions/{SESSION}/", 200),
    "speakers": (f"/{CONFERENCE}/speakers/", 200),
    "speaker": (f"/{CONFERENCE}/speakers/{SPEAKER}/", 200),
    "picks": (f"/{CONFERENCE}/programme/picks/?sessions={SESSION}", 200),
    "search": (f"{PROGRAMME}?q=climate", 200),
    "embedded programme": (f"/{CONFERENCE}/embed/programme/", 200),
    "register": (f"/{CONFERENCE}/register/", 200),
    "changes": (f"/{CONFERENCE}/changes/", 200),
    "news": (f"/{CONFERENCE}/news/", 200),
    "news article": (f"/{CONFERENCE}/news/programme-and-local-hubs/", 200),
    "not-found": (f"/{CONFERENCE}/sessions/nope/", 404),
    # The pages an e-mail's links open (the token is checked when the form is sent) and a
    # private link that no longer works.
    "confirm link": (f"/{CONFERENCE}/register/confirm/{'x' * 43}", 200),
    "cancel link": (f"/{CONFERENCE}/register/cancel/{'x' * 43}", 200),
    "private link gone": (f"/me/{'x' * 43}/", 404),
}

# Checked in the dark colour scheme too: every page with cards, badges, faces or forms.
DARK_PAGES = {
    "conference",
    "programme",
    "session",
    "speakers",
    "speaker",
    "picks",
    "register",
    "changes",
    "news article",
}


@pytest.mark.parametrize("page_name", list(PAGES))
# Two viewers cover both widths and both scripts without running axe 28 times.
@pytest.mark.parametrize(("lang", "width"), [("en", "desktop"), ("ru", "phone")])
def test_no_accessibility_violations(
    axe_script: Path,  # first: without axe-core, skip before the server starts
    demo_server: DemoServer,
    new_context: NewContext,
    page_name: str,
    lang: str,
    width: str,
) -> None:
    path, status = PAGES[page_name]
    if page_name == "session":
        assert SESSION in {s["slug"] for s in demo_server.sessions}
    if page_name == "speaker":
        assert SPEAKER in {s["slug"] for s in demo_server.speakers}
    url = demo_server.url(path + (("&" if "?" in path else "?") + "lang=ru" if lang == "ru" else ""))
    page = new_context(timezone_id=LONDON, bypass_csp=True, **DEVICES[width]).new_page()

    answer = page.goto(url)
    assert answer is not None
    assert answer.status == status, f"{url}: HTTP {answer.status}\n{demo_server.log_tail()}"
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("html")).to_have_attribute("data-zone", LONDON)
    page.wait_for_load_state("load")
    if page_name == "programme":
        picker = page.locator("details.zone-picker")
        picker.locator("summary").click()
        expect(picker).to_have_attribute("open", "")
        expect(picker.locator("select#tz")).to_be_visible()

    page.add_script_tag(path=axe_script)
    for scheme in ("light", "dark") if page_name in DARK_PAGES else ("light",):
        page.emulate_media(color_scheme=scheme)
        violations = axe_violations(page)

        where = f"{url} ({lang}, {width}, {scheme}{', zone picker open' if page_name == 'programme' else ''})"
        assert violations == [], describe(violations, where)
