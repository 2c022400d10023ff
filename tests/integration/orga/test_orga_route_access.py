"""Every route under /orga/, taken from the app, called as anonymous, as a signed-in
non-member, as an organiser and as an owner of the conference it names."""

from __future__ import annotations

import re

from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient

from confman.conferences.access import AccessLevel, access_level
from tests.factories import Organiser, conference_payload, post_ok, session_payload, speaker_payload
from tests.orga import csrf_token, sign_in

API = "/api/v1/conferences"
# Pages anyone may open: signing in, and the links sent by e-mail (they check their token).
OPEN = re.compile(r"^/orga/(login|logout|password/.*|invitation/.*)$")
# Path parameters filled with things that exist in the conference (others get a made-up value).
VALUES = {
    "conf": "climate-2027",
    "track": "main",
    "stream": "room-a",
    "speaker": "alex-callinicos",
    "session": "limits-of-cop26",
    "member_id": "1",
    "token_id": "1",
}


def _value(parameter: re.Match[str]) -> str:
    name, kind = parameter.group(1), parameter.group(2)
    return VALUES.get(name, "1" if kind == "int" else "x")


def orga_routes(app: Litestar) -> list[tuple[str, str, AccessLevel | None]]:
    """(method, path with values, declared level) for every /orga/ route but OPTIONS."""
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith("/orga"):
            continue
        for handler in route.route_handlers:
            for method in sorted(handler.http_methods - {"OPTIONS", "HEAD"}):
                path = re.sub(r"\{(\w+):(\w+)\}", _value, route.path)
                found.append((method, path, access_level(handler)))
    return found


async def _call(client: AsyncTestClient[Litestar], method: str, path: str, token: str) -> int:
    if method == "GET":
        return (await client.get(path, follow_redirects=False)).status_code
    answer = await client.request(method, path, data={"_csrf_token": token}, follow_redirects=False)
    return answer.status_code


async def _setup(client: AsyncTestClient[Litestar], owner: Organiser) -> None:
    await post_ok(client, owner, API, conference_payload(status="draft"))
    conf = f"{API}/climate-2027"
    await post_ok(client, owner, f"{conf}/tracks", {"slug": "main", "name": {"en": "Main"}})
    await post_ok(client, owner, f"{conf}/streams", {"slug": "room-a", "name": "Room A"})
    await post_ok(client, owner, f"{conf}/speakers", speaker_payload())
    await post_ok(client, owner, f"{conf}/sessions", session_payload(speakers=[{"speaker": "alex-callinicos"}]))


async def test_every_orga_route_refuses_whom_it_must(
    client: AsyncTestClient[Litestar], app: Litestar, organiser: Organiser, other_organiser: Organiser
) -> None:
    routes = orga_routes(app)
    conference_routes = [r for r in routes if "/climate-2027" in r[1]]
    assert len(conference_routes) >= 2, routes
    await _setup(client, organiser)

    # Anonymous: every page but the open ones leads to sign-in; no action acts.
    token = csrf_token((await client.get("/orga/login")).text)
    for method, path, _level in routes:
        status = await _call(client, method, path, token)
        if OPEN.match(path):
            assert status < 500, (method, path, status)
        else:
            assert status == 303, (method, path, status)

    # Signed in, but not a member: the conference does not exist.
    await sign_in(client, other_organiser.email)
    token = csrf_token((await client.get("/orga/")).text)
    for method, path, level in conference_routes:
        assert level is not None, (method, path)
        assert await _call(client, method, path, token) == 404, (method, path)

    # A member who is an organiser, not an owner: owners' actions are refused (403), no other is.
    member = await client.get("/orga/")
    assert member.status_code == 200
    await client.post(
        f"{API}/climate-2027/members",
        json={"email": other_organiser.email, "role": "organiser"},
        headers=organiser.headers,
    )
    for method, path, level in conference_routes:
        status = await _call(client, method, path, token)
        if level is AccessLevel.OWNER:
            assert status == 403, (method, path, status)
        else:
            assert status not in {401, 403, 500}, (method, path, status)

    # The owner: nothing refused for want of rights.
    await sign_in(client, organiser.email)
    token = csrf_token((await client.get("/orga/")).text)
    for method, path, _level in conference_routes:
        if path.endswith("/delete"):
            continue  # deleting the conference would end the walk
        status = await _call(client, method, path, token)
        assert status not in {401, 403, 500}, (method, path, status)
