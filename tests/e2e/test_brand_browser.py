"""The embedded programme in a real browser: a page on another origin shows it in an iframe
when the conference lists that origin, and the browser refuses the frame when it does not."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from tests.e2e.conftest import CONFERENCE, DemoServer, NewContext, _free_port


@pytest.fixture
def other_site(demo_server: DemoServer) -> Iterator[str]:
    """An organiser's own site: another origin (another port) whose page frames the programme."""
    page = (
        f'<!doctype html><html lang="en"><title>Our site</title><h1>Our site</h1>'
        f'<iframe id="programme" title="Programme" width="800" height="600" '
        f'src="{demo_server.url(f"/{CONFERENCE}/embed/programme/")}"></iframe></html>'
    ).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", _free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _allow(demo_server: DemoServer, token: str, origins: list[str]) -> None:
    """Set the conference's embedding origins and wait until the embed page answers with them
    (the programme is cached for a moment)."""
    answer = httpx.patch(
        demo_server.url(f"/api/v1/conferences/{CONFERENCE}"),
        json={"embed_origins": origins},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 200, answer.text
    expected = "frame-ancestors " + (" ".join(origins) if origins else "'none'")
    deadline = time.monotonic() + 10
    while (
        expected not in httpx.get(demo_server.url(f"/{CONFERENCE}/embed/programme/")).headers["content-security-policy"]
    ):
        assert time.monotonic() < deadline, "the embed page never sent the new origins"
        time.sleep(0.2)


def test_programme_embeds_only_on_the_listed_origin(
    demo_server: DemoServer, new_context: NewContext, other_site: str
) -> None:
    token = re.search(r"organiser token:\s+(\S+)", demo_server.log.read_text())
    assert token is not None, demo_server.log_tail()
    first_title = demo_server.sessions[0]["title"]["en"]
    page = new_context().new_page()
    try:
        _allow(demo_server, token.group(1), [other_site])
        page.goto(other_site)
        frame = page.frame_locator("#programme")
        frame.locator(".session h3 a").first.wait_for()
        assert frame.locator(".session h3 a").first.inner_text() == first_title
        assert frame.locator(".site-header").count() == 0
        assert page.frames[1].url == demo_server.url(f"/{CONFERENCE}/embed/programme/")
        # Links leave the frame for a new tab.
        assert frame.locator("base").get_attribute("target") == "_blank"

        _allow(demo_server, token.group(1), [])
        # Chromium replaces a refused frame with its error page: no programme in it. (Public
        # answers are replayed for 2 s to the same kind of client: the browser may see the old
        # policy for that long.)
        deadline = time.monotonic() + 10
        while True:
            page.reload()
            page.wait_for_load_state("load")
            if page.frames[-1].url == "chrome-error://chromewebdata/" or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert [f.url for f in page.frames] == [other_site + "/", "chrome-error://chromewebdata/"]
        assert frame.locator(".session").count() == 0
    finally:
        _allow(demo_server, token.group(1), [])
