"""The organiser's journey in a real browser, on SQLite and on PostgreSQL (``confman run``).

Sign in, create a conference, add a track, two streams, two speakers (one from Brazil, where
the form asks for the zone), two sessions; drag them into the schedule grid; see a speaker's
night and a double booking flagged, and fix both by moving; publish; see the public pages;
sign out. Then the same kind of move by keyboard alone, and by the form without JavaScript.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import NewContext, OrgaServer

CONF = "atlas-2027"
ORGA = f"/orga/{CONF}/"


def sign_in(page: Page, server: OrgaServer) -> None:
    page.goto(server.url("/orga/login"))
    page.fill("#email", server.email)
    page.fill("#password", server.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(server.url("/orga/"))


def build_the_programme(page: Page, server: OrgaServer) -> None:
    # A conference, two days in Berlin.
    page.fill("#title", "Atlas of Cities")
    page.fill("#slug", CONF)
    page.select_option("#default_language", "en")
    page.select_option("#timezone", "Europe/Berlin")
    page.fill("#starts_on", "2027-06-01")
    page.fill("#ends_on", "2027-06-02")
    page.get_by_role("button", name="Create the conference").click()
    expect(page).to_have_url(server.url(ORGA))

    page.goto(server.url(ORGA + "tracks/"))
    page.fill("#slug", "cities")
    page.locator('[id="name.en"]').fill("Cities")
    page.get_by_role("button", name="Add the track").click()
    expect(page.locator("main")).to_contain_text("Cities")

    for slug, name in (("main", "Main room"), ("side", "Side room")):
        page.goto(server.url(ORGA + "streams/"))
        page.fill("#slug", slug)
        page.fill("#name", name)
        page.get_by_role("button", name="Add the stream").click()
        expect(page.locator("main")).to_contain_text(name)

    # Brazil has several zones: the form offers only Brazil's, and asks.
    page.goto(server.url(ORGA + "speakers/new"))
    page.fill("#slug", "ana-souza")
    page.fill("#name", "Ana Souza")
    page.select_option("#country", "BR")
    expect(page.locator("#timezone option[value='America/Sao_Paulo']")).to_have_count(1)
    expect(page.locator("#timezone option[value='Europe/Berlin']")).to_have_count(0)
    page.select_option("#timezone", "America/Sao_Paulo")
    page.get_by_role("button", name="Add the speaker").click()
    expect(page.locator("main")).to_contain_text("Ana Souza")
    # Japan has one: chosen for us.
    page.goto(server.url(ORGA + "speakers/new"))
    page.fill("#slug", "kenji-sato")
    page.fill("#name", "Kenji Sato")
    page.select_option("#country", "JP")
    expect(page.locator("#timezone")).to_have_value("Asia/Tokyo")
    page.get_by_role("button", name="Add the speaker").click()
    expect(page.locator("main")).to_contain_text("Kenji Sato")

    # Two sessions at 10:00 Berlin, no stream yet: 05:00 in São Paulo, and Ana in both.
    for slug, title, speakers in (
        ("opening", "Opening", ["ana-souza"]),
        ("panel", "Panel", ["ana-souza", "kenji-sato"]),
    ):
        page.goto(server.url(ORGA + "sessions/new"))
        page.fill("#slug", slug)
        page.locator('[id="title.en"]').fill(title)
        page.fill("#starts_at", "2027-06-01T10:00")
        page.fill("#duration", "60")
        page.select_option("#track", "cities")
        for index, speaker in enumerate(speakers):
            page.locator(f'[id="speakers[{index}].speaker"]').select_option(speaker)
        page.get_by_role("button", name="Save").last.click()
        expect(page.locator("main")).to_contain_text(title)


def drop_on(page: Page, slug: str, stream: str, hour: str) -> None:
    """Drag the card ``slug`` to ``stream``'s column at ``hour`` (a time row's label)."""
    card = page.locator(f"#card-{slug}")
    head = page.locator(f".grid-head[data-stream='{stream}']").bounding_box()
    row = page.locator(".hour", has_text=re.compile(f"^{hour}$")).first.bounding_box()
    assert head
    assert row
    grid = page.locator("[data-grid]")
    origin = grid.bounding_box()
    assert origin
    # Playwright's drag runs the browser's own HTML5 drag and drop events.
    card.drag_to(
        grid,
        source_position={"x": 10, "y": 5},
        target_position={"x": head["x"] + head["width"] / 2 - origin["x"], "y": row["y"] + 5 - origin["y"]},
    )


def test_an_organiser_builds_and_publishes_a_programme(new_context: NewContext, orga_server: OrgaServer) -> None:
    # Tall enough that the whole day of the grid is on screen: a drop needs its target visible.
    context = new_context(viewport={"width": 1280, "height": 2000}, timezone_id="America/Sao_Paulo")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    sign_in(page, orga_server)
    build_the_programme(page, orga_server)

    page.goto(orga_server.url(ORGA + "schedule/?day=2027-06-01"))
    board = page.locator("#schedule-board")
    # Both sessions wait in the "no stream" column; Ana is flagged twice over.
    expect(page.locator("#card-opening .badge-speaker_night")).to_have_count(1)
    expect(page.locator("#card-panel .badge-speaker_double_booked")).to_have_count(1)
    # Each card shows each speaker's own time.
    expect(page.locator("#card-panel")).to_contain_text(re.compile(r"Ana Souza (05:00|5:00\s?AM) S[aã]o Paulo"))
    expect(page.locator("#card-panel")).to_contain_text(re.compile(r"Kenji Sato (17:00|5:00\s?PM) Tokyo"))

    # The panel lies on top of the opening (same time, same column): it goes first.
    drop_on(page, "panel", "side", "13:00")
    expect(page.locator("#card-panel")).to_have_attribute("data-stream", "side")
    expect(page.locator("#card-panel")).to_have_attribute("data-start", "13:00")
    drop_on(page, "opening", "main", "14:00")
    expect(page.locator("#card-opening")).to_have_attribute("data-stream", "main")
    expect(page.locator("#card-opening")).to_have_attribute("data-start", "14:00")
    # 13:00 and 14:00 Berlin are 08:00 and 09:00 in São Paulo, 20:00 and 21:00 in Tokyo;
    # the two sessions no longer overlap: no flag left.
    expect(board.locator(".badge")).to_have_count(0)

    # Undo brings the last move back (and its flag), redo makes it again.
    page.get_by_role("button", name="Undo").click()
    expect(page.locator("#card-opening")).to_have_attribute("data-stream", "")
    expect(page.locator("#card-opening .badge-speaker_night")).to_have_count(1)
    page.get_by_role("button", name="Redo").click()
    expect(page.locator("#card-opening")).to_have_attribute("data-stream", "main")
    expect(board.locator(".badge")).to_have_count(0)

    # Sessions are drafts until confirmed: both at once.
    page.goto(orga_server.url(ORGA + "sessions/"))
    page.check("#select-opening")
    page.check("#select-panel")
    page.get_by_role("button", name="Confirm selected").click()
    expect(page.locator("main table")).not_to_contain_text("Draft")
    expect(page.locator("main table")).to_contain_text("Confirmed")

    # The overview has nothing to check any more; publish.
    page.goto(orga_server.url(ORGA))
    expect(page.locator("#warnings + p")).to_contain_text("Nothing to check")
    page.get_by_role("button", name="Publish").click()
    expect(page.locator(".notice-ok")).to_contain_text("published")

    # The public programme, in the viewer's zone (São Paulo): 14:00 Berlin is 09:00 there.
    page.goto(orga_server.url(f"/{CONF}/programme/"))
    expect(page.locator("main")).to_contain_text("Opening")
    expect(page.locator("main")).to_contain_text("Panel")
    expect(page.locator("main")).to_contain_text(re.compile(r"\b(09:00|9:00\s?AM)"))

    page.goto(orga_server.url(ORGA))
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/orga/login"))
    page.goto(orga_server.url(ORGA))
    expect(page).to_have_url(re.compile(r"/orga/login\?next="))
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors


def test_moving_a_session_by_keyboard_alone_and_without_javascript(
    new_context: NewContext, orga_server: OrgaServer
) -> None:
    page = new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(page, orga_server)
    page.goto(orga_server.url(ORGA + "schedule/?day=2027-06-01"))
    card = page.locator("#card-opening")
    start = card.get_attribute("data-start")
    card.focus()
    page.keyboard.press("ArrowDown")  # a quarter of an hour later
    expect(page.locator("#card-opening")).not_to_have_attribute("data-start", start or "")
    page.locator("#card-opening").focus()
    page.keyboard.press("ArrowUp")
    expect(page.locator("#card-opening")).to_have_attribute("data-start", start or "")

    # Without JavaScript: the form below the grid does the same.
    plain = new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False).new_page()
    sign_in(plain, orga_server)
    plain.goto(orga_server.url(ORGA + "schedule/?day=2027-06-01"))
    plain.select_option("#move-session", "opening")
    plain.fill("#move-day", "2027-06-01")
    plain.fill("#move-start", "15:00")
    plain.fill("#move-duration", "60")
    plain.select_option("#move-stream", "main")
    plain.locator("#move-form").get_by_role("button").last.click()
    expect(plain.locator("#card-opening")).to_have_attribute("data-start", "15:00")
