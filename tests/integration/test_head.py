"""``HEAD`` on every route that answers ``GET``, taken from the app: the GET's status and headers,
no body (lib/head.py). Anonymous, and with an organiser's token for the API."""

from __future__ import annotations

import re

import httpx
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient

from tests.factories import Organiser, conference_payload, post_ok, session_payload, speaker_payload

API = "/api/v1/conferences"
VALUES = {
    "conf": "climate-2027",
    "track": "main",
    "stream": "room-a",
    "speaker": "alex-callinicos",
    "session": "limits-of-cop26",
}
# Different for every answer, GET or GET: when it was made, and a new sign-in session's cookie.
UNCOMPARED = {"date", "set-cookie", "x-request-id"}  # a request id is per request


def get_paths(app: Litestar) -> list[str]:
    """Every path the app answers GET on, its parameters filled (things that exist, or made up)."""
    paths = []
    for route in app.routes:
        if isinstance(route, HTTPRoute) and "GET" in route.methods:

            def value(parameter: re.Match[str]) -> str:
                name, kind = parameter.group(1), parameter.group(2)
                return VALUES.get(name, "1" if kind == "int" else "x.css" if kind == "path" else "x")

            paths.append(re.sub(r"\{(\w+):(\w+)\}", value, route.path))
    return paths


def headers_of(response: httpx.Response) -> list[tuple[str, str]]:
    return [(k, v) for k, v in response.headers.multi_items() if k not in UNCOMPARED]


async def test_head_answers_as_get_without_the_body_on_every_get_route(
    client: AsyncTestClient[Litestar], app: Litestar, organiser: Organiser
) -> None:
    await post_ok(client, organiser, API, conference_payload())
    conf = f"{API}/climate-2027"
    await post_ok(client, organiser, f"{conf}/tracks", {"slug": "main", "name": {"en": "Main"}})
    await post_ok(client, organiser, f"{conf}/streams", {"slug": "room-a", "name": "Room A"})
    await post_ok(client, organiser, f"{conf}/speakers", speaker_payload())
    await post_ok(client, organiser, f"{conf}/sessions", session_payload(speakers=[{"speaker": "alex-callinicos"}]))
    paths = get_paths(app)
    assert len(paths) > 60, paths
    statuses: dict[int, int] = {}
    for headers in ({}, organiser.headers):
        for path in paths:
            if headers and not path.startswith("/api/"):
                continue
            got = await client.get(path, headers=headers, follow_redirects=False)
            head = await client.head(path, headers=headers, follow_redirects=False)
            assert head.status_code == got.status_code, (path, head.status_code, got.status_code)
            assert head.content == b"", path
            assert headers_of(head) == headers_of(got), path
            if got.status_code == 200:
                assert int(head.headers["content-length"]) == got.num_bytes_downloaded > 0, path
            statuses[got.status_code] = statuses.get(got.status_code, 0) + 1
    # The walk reached real answers, not only refusals.
    assert statuses.get(200, 0) > 30, statuses

    # A conditional HEAD: 304 as a conditional GET would be.
    page = await client.get("/climate-2027/programme/")
    again = await client.head("/climate-2027/programme/", headers={"if-none-match": page.headers["etag"]})
    assert (again.status_code, again.content) == (304, b"")
    # A path that takes no GET: as GET, 405 naming its methods.
    post_only = await client.head(f"{conf}/sessions/status")
    assert post_only.status_code == (await client.get(f"{conf}/sessions/status")).status_code == 405
    # OPTIONS names HEAD beside GET.
    allowed = {m.strip() for m in (await client.options(f"{conf}/sessions")).headers["allow"].split(",")}
    assert {"GET", "HEAD", "POST", "OPTIONS"} <= allowed
