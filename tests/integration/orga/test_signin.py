"""Signing organisers in: sessions on the server, cookie flags, fixation, sign-out, CSRF."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from confman.app import create_app
from confman.db.models import WebSession
from confman.settings import Settings
from tests.factories import Organiser, database
from tests.orga import csrf_token, sign_in


async def _sessions(settings: Settings) -> int:
    async with database(settings) as db:
        return int(await db.scalar(select(func.count()).select_from(WebSession)) or 0)


async def test_anonymous_organiser_pages_lead_to_sign_in_and_back(
    client: AsyncTestClient[Litestar], organiser: Organiser
) -> None:
    answer = await client.get("/orga/", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/orga/login?next=%2Forga"
    page = await client.get(answer.headers["location"])
    assert 'name="next" value="/orga"' in page.text
    assert "noindex" in page.text


async def test_sign_in_sets_a_server_side_session_with_safe_cookie_flags(
    client: AsyncTestClient[Litestar], organiser: Organiser, settings: Settings
) -> None:
    answer = await sign_in(client, organiser.email)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/orga/"
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith("confman_orga="))
    flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "path"} <= flags
    assert "samesite=lax" in cookie.lower()
    assert "secure" not in flags  # the demo's http://127.0.0.1 could not keep it
    # The cookie holds a random key only; the session is a row on the server.
    assert organiser.email not in cookie
    assert await _sessions(settings) == 1
    home = await client.get("/orga/")
    assert home.status_code == 200
    assert "Your conferences" in home.text


async def test_https_sites_use_a_host_prefixed_secure_cookie(settings: Settings, organiser: Organiser) -> None:
    app = create_app(settings.model_copy(update={"base_url": "https://confman.example"}))
    async with AsyncTestClient(app, base_url="https://confman.example") as client:
        answer = await sign_in(client, organiser.email)
        cookie = next(c for c in answer.headers.get_list("set-cookie") if "confman_orga=" in c)
        assert cookie.startswith("__Host-confman_orga=")
        assert "secure" in cookie.lower()
        assert "path=/" in cookie.lower()
        assert "domain=" not in cookie.lower()
        assert (await client.get("/orga/")).status_code == 200


async def test_wrong_password_and_unknown_address_get_the_same_answer(
    client: AsyncTestClient[Litestar], organiser: Organiser, settings: Settings
) -> None:
    wrong = await sign_in(client, organiser.email, "not the password")
    unknown = await sign_in(client, "nobody@example.org", "not the password")
    assert wrong.status_code == unknown.status_code == 400
    assert "The e-mail address or the password is not right." in wrong.text
    same = unknown.text.replace("nobody@example.org", organiser.email).replace(
        csrf_token(unknown.text), csrf_token(wrong.text)
    )
    assert wrong.text == same
    assert await _sessions(settings) == 0


async def test_signing_in_gets_a_new_session_key(
    client: AsyncTestClient[Litestar], organiser: Organiser, settings: Settings
) -> None:
    # A key planted before signing in (session fixation) is not the one signed in.
    planted = "a" * 64
    client.cookies.set("confman_orga", planted)
    answer = await sign_in(client, organiser.email)
    key = answer.cookies.get("confman_orga")
    assert key
    assert key != planted
    # Whoever planted it holds a key that signs no one in.
    client.cookies.clear()
    client.cookies.set("confman_orga", planted)
    assert (await client.get("/orga/", follow_redirects=False)).status_code == 303


async def test_sign_out_ends_the_session_on_the_server(
    client: AsyncTestClient[Litestar], organiser: Organiser, settings: Settings
) -> None:
    answer = await sign_in(client, organiser.email)
    key = answer.cookies["confman_orga"]
    home = await client.get("/orga/")
    out = await client.post("/orga/logout", data={"_csrf_token": csrf_token(home.text)}, follow_redirects=False)
    assert out.status_code == 303
    assert await _sessions(settings) == 0
    # The old key, replayed, signs no one in.
    client.cookies.clear()
    client.cookies.set("confman_orga", key)
    assert (await client.get("/orga/", follow_redirects=False)).status_code == 303


async def test_forms_without_the_csrf_token_are_refused(
    client: AsyncTestClient[Litestar], organiser: Organiser, settings: Settings
) -> None:
    await client.get("/orga/login")
    answer = await client.post("/orga/login", data={"email": organiser.email, "password": "x"})
    assert answer.status_code == 403
    await sign_in(client, organiser.email)
    answer = await client.post("/orga/logout", data={})
    assert answer.status_code == 403
    assert await _sessions(settings) == 1


async def test_an_open_redirect_after_sign_in_is_refused(
    client: AsyncTestClient[Litestar], organiser: Organiser
) -> None:
    page = await client.get("/orga/login?next=//evil.example/")
    assert 'name="next" value="/orga/"' in page.text
