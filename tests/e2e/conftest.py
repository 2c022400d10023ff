"""Browser fixtures: the demo conference served by a real ``confman`` process, and one headless chromium.

The server is the README's demo (``confman demo``: migrate, load the demo conference,
serve) as a real process on its own SQLite file and a free port. The browser is Debian's
``/usr/bin/chromium`` driven by Playwright (``playwright install`` is never needed).
Without that browser the tests are skipped with the reason shown, except under
``CI=true``, where they fail.

Server, Playwright and browser are started once per run and live for the ``tests/e2e``
package, not the whole pytest session: they are released before the other tests start,
because Playwright's sync API marks its event loop as running in this thread while it is
alive (``asyncio.run`` in the database fixtures would then refuse to start).
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REQUIRE_BROWSER = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CONFERENCE = "climate-2027"
# Fail fast: every page here is small and local.
TIMEOUT_MS = 10_000


@dataclass(frozen=True)
class DemoServer:
    base_url: str
    log: Path
    # The public API's answers, the source of truth the pages are checked against.
    sessions: list[dict[str, Any]]
    speakers: list[dict[str, Any]]

    def url(self, path: str) -> str:
        return self.base_url + path

    def log_tail(self, lines: int = 40) -> str:
        """The end of the server's output (a traceback, when a page answered 500)."""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _confman(*args: str) -> list[str]:
    return [sys.executable, "-m", "confman", *args]


@pytest.fixture(scope="package")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    folder = tmp_path_factory.mktemp("e2e-server")
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {key: value for key, value in os.environ.items() if not key.startswith("CONFMAN_")}
    env.update(
        CONFMAN_DATABASE_URL=f"sqlite+aiosqlite:///{folder / 'demo.sqlite3'}",
        CONFMAN_BASE_URL=base_url,
        CONFMAN_SECRET_KEY="e2e-" + "k" * 40,
        # Never the checkout's mailbox/, which another xdist worker's demo could share.
        CONFMAN_MAILBOX_DIR=str(folder / "mailbox"),
    )
    log = folder / "server.log"
    # The README's demo command in one process: migrate, load the demo conference, serve.
    with log.open("wb") as log_file:
        server = subprocess.Popen(  # noqa: S603 - our own CLI
            _confman("demo", "--host", "127.0.0.1", "--port", str(port)),
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
                assert server.poll() is None, f"confman demo exited:\n{log.read_text()}"
                assert time.monotonic() < deadline, f"confman demo did not answer in 60 s:\n{log.read_text()}"
                time.sleep(0.1)
        assert answer.status_code == 200, answer.text
        assert answer.json(), "the demo conference has no sessions"
        speakers = httpx.get(f"{base_url}/api/v1/conferences/{CONFERENCE}/speakers", timeout=5)
        assert speakers.status_code == 200, speakers.text
        yield DemoServer(base_url=base_url, log=log, sessions=answer.json(), speakers=speakers.json())
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)


@pytest.fixture(scope="package")
def playwright_driver() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} not found (Debian: apt-get install chromium; .ci/run does this)"
        if REQUIRE_BROWSER:
            pytest.fail(message + " - required under CI=true", pytrace=False)
        pytest.skip(message)
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    browser = playwright_driver.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    try:
        yield browser
    finally:
        browser.close()


NewContext = Callable[..., BrowserContext]


@pytest.fixture
def new_context(browser: Browser) -> Iterator[NewContext]:
    """A factory of fresh browser contexts (no cookies: a first visit), closed after the test.

    Keyword arguments go to ``Browser.new_context``: ``timezone_id`` and ``locale`` play a
    viewer abroad; English is the default so that the page's language is known.
    """
    contexts: list[BrowserContext] = []

    def make(**options: Any) -> BrowserContext:
        options.setdefault("locale", "en-GB")
        context = browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


# axe-core (Deque's accessibility rules engine), installed by ``npm ci --prefix tests/js``.
AXE_CORE = Path(__file__).resolve().parents[1] / "js" / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="package")
def axe_script() -> Path:
    """The path of ``axe.min.js``; skipped without it (``npm ci --prefix tests/js``), failed under ``CI=true``."""
    if not AXE_CORE.exists():
        message = f"{AXE_CORE} not found (npm ci --prefix tests/js; .ci/run does this)"
        if REQUIRE_BROWSER:
            pytest.fail(message + " - required under CI=true", pytrace=False)
        pytest.skip(message)
    return AXE_CORE


WCAG_A_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
TARGETS_SHOWN = 5

RUN_AXE = """
tags => axe.run(document, {runOnly: {type: "tag", values: tags}}).then(results => results.violations.map(v => ({
  id: v.id,
  impact: v.impact,
  help: v.help,
  helpUrl: v.helpUrl,
  nodes: v.nodes.map(n => ({target: n.target.map(String).join(" "), html: n.html, summary: n.failureSummary})),
})))
"""


def describe(violations: list[dict[str, Any]], where: str) -> str:
    """One paragraph per violation: rule, impact, help and the first elements it found."""
    lines = [f"{len(violations)} axe violation(s) on {where}:"]
    for violation in violations:
        nodes = violation["nodes"]
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']} [{len(nodes)} element(s)]"
            f" {violation['helpUrl']}"
        )
        for node in nodes[:TARGETS_SHOWN]:
            lines.append(f"    {node['target']}  {node['html'][:160]}")
            summary = " ".join((node["summary"] or "").split())
            if summary:
                lines.append(f"      {summary[:300]}")
        if len(nodes) > TARGETS_SHOWN:
            lines.append(f"    ... and {len(nodes) - TARGETS_SHOWN} more")
    return "\n".join(lines)


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe's WCAG 2.0/2.1 A and AA violations on the page (axe already added to it)."""
    violations: list[dict[str, Any]] = page.evaluate(RUN_AXE, WCAG_A_AA)
    return violations


@dataclass(frozen=True)
class OrgaServer:
    """A ``confman run`` server on an empty database of one kind, with one organiser account."""

    base_url: str
    database: str
    email: str
    password: str
    log: Path
    # The server's environment: the CLI run with it acts on the same database and mailbox.
    env: dict[str, str]

    def url(self, path: str) -> str:
        return self.base_url + path

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def _off_thread(work: Coroutine[Any, Any, None]) -> None:
    """Run ``work`` in a thread of its own: Playwright's sync API holds this thread's event loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, work).result()


ORGANISER_EMAIL = "journey@example.org"
ORGANISER_PASSWORD = "a long journey password"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def orga_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[OrgaServer]:
    """The production command (`confman db upgrade`, `user create`, `run`) on SQLite and on
    PostgreSQL (a database made for the module and dropped after)."""
    from tests.conftest import POSTGRES_URL, REQUIRE_POSTGRES, _admin_execute

    folder = tmp_path_factory.mktemp(f"orga-{request.param}")
    dropped: str | None = None
    if request.param == "sqlite":
        database_url = f"sqlite+aiosqlite:///{folder / 'orga.sqlite3'}"
    else:
        import uuid

        from sqlalchemy.engine import make_url

        name = f"confman_e2e_{uuid.uuid4().hex[:10]}"
        try:
            _off_thread(_admin_execute(f'CREATE DATABASE "{name}"'))
        except OSError as error:
            if REQUIRE_POSTGRES:
                raise
            pytest.skip(f"PostgreSQL not reachable: {error}")
        dropped = name
        database_url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {key: value for key, value in os.environ.items() if not key.startswith("CONFMAN_")}
    env.update(
        CONFMAN_DATABASE_URL=database_url,
        CONFMAN_BASE_URL=base_url,
        CONFMAN_SECRET_KEY="e2e-" + "o" * 40,
        CONFMAN_MAILBOX_DIR=str(folder / "mailbox"),
        CONFMAN_PROGRAMME_CACHE_SECONDS="0",
    )
    for args in (
        ("db", "upgrade"),
        ("user", "create", "--email", ORGANISER_EMAIL, "--name", "Jo Organiser", "--password", ORGANISER_PASSWORD),
    ):
        subprocess.run(_confman(*args), env=env, check=True, capture_output=True)  # noqa: S603 - our own CLI
    log = folder / "server.log"
    with log.open("wb") as log_file:
        server = subprocess.Popen(  # noqa: S603 - our own CLI
            _confman("run", "--host", "127.0.0.1", "--port", str(port)),
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base_url}/orga/login", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, f"confman run exited:\n{log.read_text()}"
                assert time.monotonic() < deadline, f"confman run did not answer in 60 s:\n{log.read_text()}"
                time.sleep(0.1)
        yield OrgaServer(base_url, request.param, ORGANISER_EMAIL, ORGANISER_PASSWORD, log, env)
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)
        if dropped:
            _off_thread(_admin_execute(f'DROP DATABASE IF EXISTS "{dropped}" WITH (FORCE)'))
