"""The organiser sees their audience, in a real browser, on SQLite and on PostgreSQL (``confman run``).

Four people register from three zones (Tokyo, Los Angeles, Berlin) for a conference with three
seats; the fourth waits. The organiser filters the registrations, opens one and cancels it
(the head of the waiting list is promoted and e-mailed), exports the filtered list as CSV,
writes to the filtered set (each e-mail arrives in its attendee's language), and reads the
reach chart's figures, which must equal a computation from zoneinfo.
"""

from __future__ import annotations

import csv
import email
import email.policy
import io
import re
import time
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from playwright.sync_api import Page, expect

from tests.e2e.conftest import NewContext, OrgaServer
from tests.e2e.test_organiser_journey_browser import sign_in

CONF = "reach-2027"
ORGA = f"/orga/{CONF}/"
API = f"/api/v1/conferences/{CONF}"
ZONE = "Europe/Berlin"
# (name, e-mail, country, zone, language): the fourth waits for a seat.
PEOPLE = [
    ("Kenji Sato", "kenji@example.org", "JP", "Asia/Tokyo", "en"),
    ("María López", "maria@example.org", "US", "America/Los_Angeles", "es"),
    ("Олег Петров", "oleg@example.org", "DE", "Europe/Berlin", "ru"),
    ("Pat Waiting", "pat@example.org", "DE", "Europe/Berlin", "en"),
]
# (slug, start in Berlin, minutes)
SESSIONS = [
    ("morning", "2027-06-01T09:00", 60),
    ("afternoon", "2027-06-01T16:00", 60),
    ("evening", "2027-06-02T22:00", 90),
]
# The message, by language: each attendee must get theirs.
SUBJECTS = {"en": "News from Reach", "es": "Noticias de Reach", "ru": "Новости конференции"}


def _set_up(page: Page, server: OrgaServer) -> None:
    """The conference, its sessions and four registrations, through the API with a token made
    on the tokens page (the journey's subject is what follows)."""
    page.goto(server.url("/orga/tokens/"))
    page.fill("#name", "audience journey")
    page.get_by_role("button", name="Create a token").click()
    secret = page.locator("#new-token").input_value()
    headers = {"Authorization": f"Bearer {secret}"}
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=30) as api:

        def ok(method: str, path: str, payload: Any) -> None:
            answer = api.request(method, path, json=payload)
            assert answer.status_code < 300, answer.text

        ok("POST", "/api/v1/conferences", {
            "slug": CONF, "title": {"en": "Reach 2027", "es": "Alcance 2027", "ru": "Охват 2027"},
            "default_language": "en", "languages": ["en", "es", "ru"], "timezone": ZONE,
            "starts_on": "2027-06-01", "ends_on": "2027-06-02", "status": "published",
        })  # fmt: skip
        ok("POST", f"{API}/streams", {"slug": "main", "name": "Main"})
        for slug, start, minutes in SESSIONS:
            begins = datetime.fromisoformat(start).replace(tzinfo=ZoneInfo(ZONE))
            ok("POST", f"{API}/sessions", {
                "slug": slug, "title": {"en": slug.title()}, "stream": "main", "status": "confirmed",
                "starts_at": begins.isoformat(), "ends_at": (begins + timedelta(minutes=minutes)).isoformat(),
            })  # fmt: skip
        ok("PUT", f"{API}/registration-settings", {
            "capacity": 3, "waitlist": True, "double_opt_in": False,
            "privacy_text": {"en": "We keep your data until the conference is over."}, "questions": [],
        })  # fmt: skip
        for name, address, country, zone, language in PEOPLE:
            answer = api.post(f"{API}/registrations", json={
                "name": name, "email": address, "country": country, "timezone": zone, "language": language,
                "answers": {}, "consent": True,
            })  # fmt: skip
            assert answer.status_code == 201, answer.text


def _deliver(server: OrgaServer, *expected: tuple[str, str]) -> list[EmailMessage]:
    """The local mailbox once it holds an e-mail to each (address, subject part) of ``expected``
    (the server's embedded worker sends every second)."""
    folder = Path(server.env["CONFMAN_MAILBOX_DIR"])
    deadline = time.monotonic() + 30
    while True:
        found = []
        for path in sorted(folder.glob("*.eml")):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            found.append(message)
        have = {(str(m["To"]), str(m["Subject"])) for m in found}
        missing = [e for e in expected if not any(to == e[0] and e[1] in subject for to, subject in have)]
        if not missing:
            return found
        assert time.monotonic() < deadline, f"not delivered: {missing}; mailbox: {sorted(have)}"
        time.sleep(0.5)


def expected_in_day_share(zones: list[str], start: datetime, minutes: int) -> float:
    """The share of attendees (one per zone in ``zones``) whose 07:00–23:00 holds the whole session."""
    inside = 0
    for zone in zones:
        local_start = start.astimezone(ZoneInfo(zone))
        local_end = (start + timedelta(minutes=minutes)).astimezone(ZoneInfo(zone))
        day_start = local_start.replace(hour=7, minute=0)
        day_end = local_start.replace(hour=23, minute=0)
        inside += day_start <= local_start and local_end <= day_end
    return inside / len(zones)


def test_organiser_sees_and_reaches_their_audience(orga_server: OrgaServer, new_context: NewContext) -> None:
    server = orga_server
    page = new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True).new_page()
    sign_in(page, server)
    _set_up(page, server)
    read_the_reach(page, server)
    cancel_one_registration(page, server)
    export_the_filtered_list(page, server)
    write_to_the_filtered_set(page, server)


def filter_confirmed(page: Page, server: OrgaServer) -> None:
    page.goto(server.url(ORGA + "registrations/"))
    page.get_by_label("Status").select_option("confirmed")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(server.url(ORGA + "registrations/?q=&status=confirmed&country=&zone="))
    expect(page.get_by_role("status")).to_contain_text("1–3 of 3")


def cancel_one_registration(page: Page, server: OrgaServer) -> None:
    filter_confirmed(page, server)
    rows = page.locator("table.registration-table tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.filter(has_text="Pat Waiting")).to_have_count(0)
    page.get_by_role("link", name="Kenji Sato").click()
    expect(page.locator("h1")).to_have_text("Kenji Sato")
    # The box is required: the browser does not send the form without it.
    page.locator("#cancel-registration").click()
    expect(page.locator("h1")).to_have_text("Kenji Sato")
    page.locator("#confirm-cancel").check()
    page.locator("#cancel-registration").click()
    expect(page.locator(".notice-ok")).to_contain_text("The head of the waiting list got the seat")
    # Pat, who waited, now has Kenji's seat, and both are e-mailed.
    filter_confirmed(page, server)
    expect(rows.filter(has_text="Pat Waiting")).to_have_count(1)
    expect(rows.filter(has_text="Kenji Sato")).to_have_count(0)
    delivered = _deliver(server, ("pat@example.org", "You're in"), ("kenji@example.org", "Registration cancelled"))
    mails = {(str(m["To"]), _kind(m)) for m in delivered}
    assert ("pat@example.org", "promoted") in mails, mails
    assert ("kenji@example.org", "cancelled") in mails, mails


def _kind(message: EmailMessage) -> str:
    """What an English e-mail reports, read from its subject (each kind has its own words)."""
    subject = str(message["Subject"])
    kinds = (("promoted", "You're in"), ("cancelled", "Registration cancelled"), ("confirmed", "You are registered"))
    for kind, words in kinds:
        if words in subject:
            return kind
    return subject


def export_the_filtered_list(page: Page, server: OrgaServer) -> None:
    filter_confirmed(page, server)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export CSV").click()
    download = download_info.value
    assert download.suggested_filename == f"{CONF}-registrations.csv"
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert sorted(row["name"] for row in rows) == ["María López", "Pat Waiting", "Олег Петров"]
    assert {row["status"] for row in rows} == {"confirmed"}


def write_to_the_filtered_set(page: Page, server: OrgaServer) -> None:
    filter_confirmed(page, server)
    page.get_by_role("link", name="Write to these attendees").click()
    expect(page.locator("#recipient-count")).to_contain_text("This message goes to 3 attendees.")
    for language, subject in SUBJECTS.items():
        page.locator(f'[id="subject.{language}"]').fill(subject)
        page.locator(f'[id="body.{language}"]').fill(f"**{subject}**: <script>alert(1)</script> the programme grew.")
    page.locator("button[name=action][value=preview]").click()
    expect(page.locator("#preview-ru")).to_contain_text(SUBJECTS["ru"])
    expect(page.locator("#preview-es strong")).to_have_text(SUBJECTS["es"])
    page.locator("button[name=action][value=send]").click()
    expect(page.locator(".notice-ok")).to_contain_text("Sent to 3 attendees.")
    languages = {address: language for _, address, _, _, language in PEOPLE}
    expected = [(address, SUBJECTS[languages[address]]) for address in ("maria@example.org", "oleg@example.org")]
    delivered = _deliver(server, *expected, ("pat@example.org", SUBJECTS["en"]))
    received = {str(m["To"]): m for m in delivered if str(m["Subject"]) in SUBJECTS.values()}
    assert set(received) == {"maria@example.org", "oleg@example.org", "pat@example.org"}
    for address, message in received.items():
        language = languages[address]
        assert message["Subject"] == SUBJECTS[language], address
        assert message["Content-Language"] == language, address
        html = message.get_body(preferencelist=("html",))
        assert html is not None
        content = html.get_content()
        assert "<script>" not in content
        link = re.search(r'href="(http://127\.0\.0\.1:\d+/me/[^"]+)"', content)
        assert link, content
        assert httpx.get(link.group(1), timeout=30).status_code == 200


def read_the_reach(page: Page, server: OrgaServer) -> None:
    """The confirmed attendees are in Tokyo, Los Angeles and Berlin (the fourth waits)."""
    zones = [zone for _, _, _, zone, _ in PEOPLE[:3]]
    page.goto(server.url(ORGA))
    page.get_by_role("navigation", name="Conference").get_by_role("link", name="Reach").click()
    page.locator("#who-confirmed").check()
    page.locator("select#day").select_option("2027-06-01")
    page.locator("input#length").fill("60")
    page.locator("#reach-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"who=confirmed&day=2027-06-01&length=60"))
    expect(page.locator("#reach-total")).to_have_attribute("data-total", "3")
    expect(page.get_by_role("img", name=re.compile("."))).not_to_have_count(0)
    for slug, start, minutes in SESSIONS:
        begins = datetime.fromisoformat(start).replace(tzinfo=ZoneInfo(ZONE))
        expected = round(expected_in_day_share(zones, begins, minutes) * len(zones))
        cell = page.locator(f'#reach-sessions-table tr[data-session="{slug}"] td.reach-in-day')
        expect(cell).to_have_attribute("data-in-day", str(expected))
    # A new hour-long session on the first day, at each start the page offers.
    starts = page.locator("#reach-starts-table tr[data-start]")
    assert starts.count() >= 24
    for index in range(starts.count()):
        row = starts.nth(index)
        clock = row.get_attribute("data-start")
        assert clock is not None
        begins = datetime.fromisoformat(f"2027-06-01T{clock}").replace(tzinfo=ZoneInfo(ZONE))
        expected = round(expected_in_day_share(zones, begins, 60) * len(zones))
        assert row.locator("td.reach-in-day").get_attribute("data-in-day") == str(expected), clock
    for zone in zones:
        expect(page.locator(f'#reach-zones-table tr[data-zone="{zone}"] td.reach-count')).to_have_attribute(
            "data-count", "1"
        )
