"""Rate limits sit on the routers they guard and count only what they guard: the submit limit
counts the JSON and the form submits of one client together, and nothing else on their paths;
the sign-in limit counts only password sign-ins."""

from __future__ import annotations

import re

from litestar import Litestar
from litestar.testing import AsyncTestClient

from confman.app import create_app
from confman.settings import Settings
from tests.factories import Organiser, conference_payload, post_ok, registration_payload

Client = AsyncTestClient[Litestar]
CONF = "/api/v1/conferences/climate-2027"
FORM = "/climate-2027/register/"


def rate_limit_headers(headers: dict[str, str]) -> list[str]:
    return sorted(name for name in headers if name.lower().startswith("ratelimit"))


async def form_submit(client: Client, email: str) -> int:
    page = await client.get(FORM)
    match = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert match is not None
    fields = {
        "_csrf_token": match.group(1),
        "name": "Rosa Attendee",
        "email": email,
        "country": "BR",
        "timezone": "America/Sao_Paulo",
        "language": "es",
        "consent": "yes",
    }
    return (await client.post(FORM, data=fields)).status_code


async def test_submit_limit_counts_json_and_form_submits_of_a_client_together(
    settings: Settings, organiser: Organiser
) -> None:
    app = create_app(settings.model_copy(update={"registration_submits_per_minute": 3}))
    async with AsyncTestClient(app, base_url="http://testserver.local") as client:
        await post_ok(client, organiser, "/api/v1/conferences", conference_payload())
        # On the limited paths, but not submits: the form, the organisers' list, OPTIONS.
        others = [
            *[(await client.get(FORM)).status_code for _ in range(4)],
            *[(await client.get(f"{CONF}/registrations", headers=organiser.headers)).status_code for _ in range(4)],
            *[(await client.options(path)).status_code for path in (FORM, f"{CONF}/registrations") * 2],
        ]
        first = await client.post(f"{CONF}/registrations", json=registration_payload(email="p1@example.org"))
        submits = [
            first.status_code,
            await form_submit(client, "p2@example.org"),
            (await client.post(f"{CONF}/registrations", json=registration_payload(email="p3@example.org"))).status_code,
            await form_submit(client, "p4@example.org"),
        ]
        refused = await client.post(f"{CONF}/registrations", json=registration_payload(email="p5@example.org"))

    assert others == [200] * 8 + [204] * 4
    assert submits == [202, 200, 202, 429]
    assert refused.status_code == 429
    assert rate_limit_headers(dict(first.headers)) == []
    assert rate_limit_headers(dict(refused.headers)) == []


async def test_sign_in_limit_counts_only_sign_ins(settings: Settings, organiser: Organiser) -> None:
    app = create_app(settings.model_copy(update={"token_attempts_per_minute": 2}))
    guess = {"email": organiser.email, "password": "wrong password"}
    async with AsyncTestClient(app, base_url="http://testserver.local") as client:
        others = [
            *[(await client.get("/api/v1/tokens", headers=organiser.headers)).status_code for _ in range(3)],
            *[(await client.delete("/api/v1/tokens/999999", headers=organiser.headers)).status_code for _ in range(3)],
            *[(await client.options("/api/v1/tokens")).status_code for _ in range(3)],
        ]
        attempts = [await client.post("/api/v1/tokens", json=guess) for _ in range(3)]

    assert others == [200] * 3 + [404] * 3 + [204] * 3
    assert [attempt.status_code for attempt in attempts] == [401, 401, 429]
    assert attempts[0].headers["ratelimit-limit"] == "2"
    assert attempts[0].headers["ratelimit-remaining"] == "1"
