"""The attendee's whole journey in a real browser, against ``confman demo --live-in 25``:

register through the form, confirm from the local mailbox, open "Your registration page"
from the second e-mail, watch the first session's join button count down and switch on by
itself (no reload) when its join window opens, click it, and arrive in the demo meeting room.

The server is a second ``confman demo`` process of its own (its own SQLite file, port and
mailbox folder), started for this module only: ``--live-in`` moves the demo programme, which
the shared ``demo_server`` of the other browser tests must keep as it is. The wait for the
window is the one slow part (the window opens 25 seconds after the server prepared it).
"""

from __future__ import annotations

import os
import re
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import ConsoleMessage, Error, Page, expect

from tests.e2e.conftest import CONFERENCE, NewContext, _confman, _free_port, axe_violations, describe

LIVE_IN_SECONDS = 25
ZONE = "Asia/Tokyo"
# The window opens LIVE_IN_SECONDS after the server prepared the demo; a little slack on top.
WINDOW_WAIT_MS = 45_000
MAILBOX = "/_dev/mailbox/"
# "9:00 PM" or "21:00" (CLDR may put a narrow no-break space before AM/PM).
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?:\s*([AaPp])\.?\s*[Mm]\.?)?")


@dataclass(frozen=True)
class LiveServer:
    base_url: str
    log: Path
    first_session: dict[str, Any]

    def url(self, path: str) -> str:
        return self.base_url + path

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """``confman demo --live-in 25`` as a real process, like ``demo_server`` but on its own."""
    folder = tmp_path_factory.mktemp("e2e-live-server")
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {key: value for key, value in os.environ.items() if not key.startswith("CONFMAN_")}
    env.update(
        CONFMAN_DATABASE_URL=f"sqlite+aiosqlite:///{folder / 'live.sqlite3'}",
        CONFMAN_BASE_URL=base_url,
        CONFMAN_SECRET_KEY="e2e-live-" + "k" * 40,
        CONFMAN_MAILBOX_DIR=str(folder / "mailbox"),
    )
    log = folder / "server.log"
    with log.open("wb") as log_file:
        server = subprocess.Popen(  # noqa: S603 - our own CLI
            _confman("demo", "--live-in", str(LIVE_IN_SECONDS), "--host", "127.0.0.1", "--port", str(port)),
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                answer = httpx.get(f"{base_url}/api/v1/conferences/{CONFERENCE}/sessions", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, f"confman demo --live-in exited:\n{log.read_text()}"
                assert time.monotonic() < deadline, f"confman demo did not answer in 60 s:\n{log.read_text()}"
                time.sleep(0.1)
        assert answer.status_code == 200, answer.text
        sessions = sorted(answer.json(), key=lambda s: (utc(s["starts_at"]), s["slug"]))
        assert sessions, "the demo conference has no sessions"
        yield LiveServer(base_url=base_url, log=log, first_session=sessions[0])
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)


def utc(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def clocks(text: str) -> list[str]:
    """The times of day written in ``text``, as 24-hour "HH:MM"."""
    found = []
    for hours, minutes, half in _CLOCK.findall(text):
        hour = int(hours)
        if half:
            hour = hour % 12 + (12 if half.lower() == "p" else 0)
        found.append(f"{hour:02d}:{minutes}")
    return found


def goto(page: Page, server: LiveServer, url: str) -> None:
    answer = page.goto(url if url.startswith("http") else server.url(url))
    assert answer is not None
    assert answer.status == 200, f"{url}: HTTP {answer.status}\n{server.log_tail()}"


def open_mail(page: Page, server: LiveServer, subject: str) -> None:
    """Open the mailbox and then the newest e-mail whose subject starts with ``subject``
    (the embedded mail worker writes it within a second or two: reload until it is there)."""
    goto(page, server, MAILBOX)
    link = page.locator("table a", has_text=re.compile("^" + re.escape(subject)))
    deadline = time.monotonic() + 15
    while link.count() == 0:
        assert time.monotonic() < deadline, f"no e-mail {subject!r} in the mailbox\n{server.log_tail()}"
        page.wait_for_timeout(250)
        page.reload()
    link.first.click()
    expect(page.locator("h1")).to_have_text(re.compile("^" + re.escape(subject)))


def mail_link(page: Page, label: str, path_part: str) -> str:
    """The URL the open e-mail gives under ``label`` (the text part: "Label:\\nURL")."""
    text = page.locator("pre.mail-text").inner_text()
    assert f"{label}:" in text, text
    after = text.split(f"{label}:", 1)[1]
    url = after.split()[0]
    assert path_part in url, (label, url)
    # The mailbox page links it: the browser follows the same address.
    expect(page.locator(f'pre.mail-text a[href="{url}"]')).to_have_count(1)
    return url


def test_register_confirm_and_join_when_the_window_opens(
    live_server: LiveServer, new_context: NewContext, axe_script: Path
) -> None:
    server = live_server
    first = server.first_session
    context = new_context(timezone_id=ZONE, locale="en-GB")
    # axe-core on every page of the journey: an init script comes in through the browser's
    # protocol, which the CSP does not govern, so these pages keep their policy (and the
    # console check below still sees any violation of it).
    context.add_init_script(path=axe_script)
    page = context.new_page()
    problems: list[str] = []

    def accessible(checked: Page, where: str, schemes: tuple[str, ...] = ("light", "dark")) -> None:
        for scheme in schemes:
            checked.emulate_media(color_scheme=scheme)
            violations = axe_violations(checked)
            assert violations == [], describe(violations, f"{where} ({scheme})")
        checked.emulate_media(color_scheme="light")

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(f"{page.url}: console error: {message.text} (from {message.location.get('url')})")

    def on_page_error(error: Error) -> None:
        problems.append(f"{page.url}: page error: {error}")

    page.on("console", on_console)
    page.on("pageerror", on_page_error)

    # 1. The registration form (viewer.js reloads it once into the browser's zone).
    goto(page, server, f"/{CONFERENCE}/register/")
    expect(page.locator("html")).to_have_attribute("data-zone", ZONE)
    page.wait_for_load_state("load")
    expect(page.locator("#timezone")).to_have_value(ZONE)
    email = f"rosa-{uuid.uuid4().hex[:8]}@example.org"
    page.locator("#name").fill("Rosa Attendee")
    page.locator("#email").fill(email)
    page.locator("#language").select_option("en")
    page.get_by_label("Climate activism").check()
    page.get_by_label("I agree to the privacy notice.").check()
    page.get_by_role("button", name="Register").click()
    expect(page.locator("h1")).to_have_text("Check your e-mail")
    accessible(page, "registration sent")

    # 2. The confirmation e-mail in the local mailbox; its link; the button.
    open_mail(page, server, "Confirm your registration")
    expect(page.locator("dd").first).to_contain_text(email)
    confirm_url = mail_link(page, "Confirm my registration", f"/{CONFERENCE}/register/confirm/")
    # The mailbox and the e-mail, its text and its HTML part as a mail app shows it, fit a phone
    # (long addresses and link lines wrap; the HTML part's table is fluid up to 600 px).
    phone = new_context(viewport={"width": 390, "height": 844}).new_page()
    for path in (MAILBOX, page.url, page.url.rstrip("/") + "/html"):
        goto(phone, server, path)
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width} px wide on a 390 px phone"
    button = phone.get_by_role("link", name="Confirm my registration").bounding_box()
    assert button is not None
    assert button["x"] >= 0, button
    assert button["x"] + button["width"] <= 390, button
    phone.context.close()
    page.locator(f'pre.mail-text a[href="{confirm_url}"]').click()
    expect(page.locator("h1")).to_have_text("Confirm your registration")
    accessible(page, "the confirmation page")
    page.get_by_role("button", name="Confirm my registration").click()
    expect(page.locator("h1")).to_have_text("You are registered")
    accessible(page, "registration confirmed")

    # 3. The "confirmed" e-mail: "Your registration page".
    open_mail(page, server, "You are registered")
    page_url = mail_link(page, "Your registration page", "/me/")
    page.locator(f'pre.mail-text a[href="{page_url}"]').click()
    expect(page.locator("h1")).to_have_text("My registration")
    attendee_problems_from = len(problems)

    # 4. The first session: not open yet, counting down, in the attendee's zone.
    item = page.locator(f"#session-{first['slug']} [data-join]")
    button = item.locator("a.join-button")
    expect(item).to_have_attribute("data-state", "early")
    expect(button).to_have_attribute("aria-disabled", "true")
    countdown = item.locator("[data-countdown]")
    expect(countdown).to_have_text(re.compile(r"^\(0:00:\d\d\)$"))
    shown = countdown.inner_text()
    opens = utc(item.get_attribute("data-opens") or "")
    assert (opens - utc(first["starts_at"])).total_seconds() == -15 * 60, (opens, first["starts_at"])
    status = item.locator(".join-status")
    assert clocks(status.inner_text())[:1] == [opens.astimezone(ZoneInfo(ZONE)).strftime("%H:%M")], status.inner_text()
    # The countdown ticks.
    expect(countdown).not_to_have_text(shown)
    href = button.get_attribute("href") or ""
    assert re.fullmatch(re.escape(server.base_url) + r"/join/[^/]+/" + re.escape(first["slug"]), href), href

    # 5. The window opens: the button switches on by itself, the page is not reloaded.
    page.evaluate("window.__notReloaded = true")
    expect(button).not_to_have_attribute("aria-disabled", "true", timeout=WINDOW_WAIT_MS)
    expect(item).to_have_attribute("data-state", "open")
    expect(status).to_have_text("Open now.")
    expect(button).to_have_class(re.compile(r"\bbutton-primary\b"))
    assert page.evaluate("window.__notReloaded === true"), "the attendee page reloaded"
    attendee_problems = problems[attendee_problems_from:]

    # 6. In: the join link sends the attendee to the session's meeting room.
    button.click()
    expect(page.locator("#meeting-room")).to_be_visible()
    assert page.url == server.url(f"/_dev/meeting/{first['stream']}"), page.url
    expect(page.locator("#meeting-room")).to_contain_text(first["stream"])

    # A later session's join link before its window: the gate says when it opens.
    goto(page, server, page_url)
    later = page.locator('[data-join][data-state="early"] a.join-button').first.get_attribute("href")
    assert later is not None
    goto(page, server, later)
    expect(page.locator("p.gate")).to_be_visible()
    accessible(page, "the join gate, early")

    assert attendee_problems == [], attendee_problems
    assert problems == [], problems

    # The attendee's own page passes axe, light and dark, at the width of a phone (a context
    # of its own: axe is an inline script, which only a context that bypasses the CSP may add).
    checker = new_context(
        timezone_id=ZONE, locale="en-GB", bypass_csp=True, viewport={"width": 360, "height": 740}
    ).new_page()
    goto(checker, server, page_url)
    expect(checker.locator("h1")).to_have_text("My registration")
    checker.add_script_tag(path=axe_script)
    for scheme in ("light", "dark"):
        checker.emulate_media(color_scheme=scheme)
        violations = axe_violations(checker)
        assert violations == [], describe(violations, f"the attendee's page ({scheme})")

    # In Russian, at phone width: the attendee switches their language (the page speaks the
    # attendee's), a confirmation link that no longer works, then cancelling and deleting (the
    # destructive forms and the pages they lead to).
    russian = new_context(timezone_id=ZONE, locale="ru-RU", viewport={"width": 360, "height": 740})
    russian.add_init_script(path=axe_script)
    ru = russian.new_page()
    goto(ru, server, page_url)
    ru.locator("#language").select_option("ru")
    ru.get_by_role("button", name="Save my details").click()
    expect(ru.locator("html")).to_have_attribute("lang", "ru")
    accessible(ru, "the attendee's page in Russian")
    goto(ru, server, confirm_url + "?lang=ru")
    ru.locator("main form button[type=submit]").click()
    expect(ru.locator("html")).to_have_attribute("lang", "ru")
    accessible(ru, "a used confirmation link in Russian", ("light",))
    goto(ru, server, page_url)
    ru.locator("#cancel input[name=confirm]").check()
    ru.locator("#cancel button[type=submit]").click()
    expect(ru.locator("#cancel")).to_have_count(0)
    accessible(ru, "a cancelled registration's page in Russian")
    ru.locator("#erase input[name=confirm]").check()
    ru.locator("#erase button[type=submit]").click()
    expect(ru.locator("#erase")).to_have_count(0)
    accessible(ru, "the erased page in Russian")
    russian.close()
