"""The organiser's account: password reset by e-mail (no enumeration, one use, one hour), the
account page, sessions that end, and the sign-in rate limits per address and per client."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select, update

from confman.accounts.services import UserService
from confman.app import create_app
from confman.db.models import AccountToken, AccountTokenPurpose, MailStatus, OutboxMail, User, WebSession
from confman.lib.log_redaction import redact
from confman.lib.timezones import utcnow
from confman.lib.tokens import hash_token
from confman.settings import Settings
from confman.worker import MailWorker
from tests.factories import PASSWORD, Organiser, database, outbox
from tests.mailserver import MailServer, Recorder, free_port, smtp_settings
from tests.orga import csrf_token, post_form, sign_in

Client = AsyncTestClient[Litestar]
NEW_PASSWORD = "a brand new passphrase"
SENT = "If an account exists for this address, we have sent it a link"
THROTTLED = "Too many attempts. Please wait a few minutes and try again."
_LINK = re.compile(r"http://testserver\.local(/orga/password/reset/[A-Za-z0-9_-]+)")


@asynccontextmanager
async def client_for(settings: Settings, **overrides: Any) -> AsyncIterator[Client]:
    app = create_app(settings.model_copy(update=overrides))
    async with AsyncTestClient(app, base_url="http://testserver.local") as client:
        yield client


_CSRF = re.compile(r'(name="csrf-token" content="|name="_csrf_token" value=")[^"]*"')


def without_tokens(html: str) -> str:
    return _CSRF.sub(r'\1"', html)


async def forgot(client: Client, email: str) -> Any:
    return await post_form(client, "/orga/password/forgot", "/orga/password/forgot", {"email": email})


async def reset_path(settings: Settings) -> str:
    """The link of the newest reset e-mail in the outbox."""
    mails = [mail for mail in await outbox(settings) if mail.kind == "password_reset"]
    match = _LINK.match(str(mails[-1].context["url"]))
    assert match
    return match.group(1)


async def can_sign_in(settings: Settings, email: str, password: str) -> bool:
    async with database(settings) as db:
        return await UserService(db).authenticate(email, password) is not None


async def test_forgot_password_answers_alike_for_known_and_unknown_addresses(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    known = await forgot(client, organiser.email)
    unknown = await forgot(client, "nobody@example.org")

    assert known.status_code == unknown.status_code == 200
    assert SENT in known.text
    assert without_tokens(known.text) == without_tokens(unknown.text)
    # Only the account's address gets an e-mail; the unknown one leaves no trace.
    mails = await outbox(settings)
    assert [(mail.kind, mail.recipient) for mail in mails] == [("password_reset", organiser.email)]
    async with database(settings) as db:
        tokens = list(await db.scalars(select(AccountToken)))
    assert [(token.purpose, token.email) for token in tokens] == [(AccountTokenPurpose.RESET, organiser.email)]


async def test_password_reset_end_to_end_through_a_real_mail_server(
    client: Client, organiser: Organiser, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    # The level production logs at (a database driver's DEBUG lines show every statement).
    caplog.set_level(logging.INFO)
    await forgot(client, organiser.email.upper())
    recorder = Recorder()
    server = MailServer(free_port(), recorder)
    server.start()
    worker = MailWorker(smtp_settings(settings, server.url))
    try:
        assert await worker.run_once() == 1
    finally:
        await worker.close()
        server.stop()
    [message] = recorder.messages
    assert message["To"] == organiser.email
    assert message["Subject"] == "Set a new password"
    body = message.get_body(("plain",))
    assert body is not None
    match = _LINK.search(body.get_content())
    assert match
    path = match.group(1)
    # Only the hash is stored; the e-mail row forgets the link once the server has it.
    secret = path.rsplit("/", 1)[1]
    async with database(settings) as db:
        token = await db.scalar(select(AccountToken))
        assert token is not None
        assert token.token_hash == hash_token(secret)
    [sent] = await outbox(settings)
    assert (sent.status, sent.context) == (MailStatus.SENT, {})

    page = await client.get(path)
    assert page.status_code == 200
    assert "Set a new password" in page.text
    answer = await client.post(
        path,
        data={"password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD, "_csrf_token": csrf_token(page.text)},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/orga/"
    # Signed in at once.
    home = await client.get("/orga/")
    assert home.status_code == 200
    assert "Your new password is set." in home.text
    assert await can_sign_in(settings, organiser.email, NEW_PASSWORD)
    assert not await can_sign_in(settings, organiser.email, PASSWORD)
    # The link never reached a log line of the app (the test client's own log is not the app's).
    assert [r for r in caplog.records if r.name != "httpx" and secret in r.getMessage()] == []


async def test_a_reset_link_works_once(client: Client, organiser: Organiser, settings: Settings) -> None:
    await forgot(client, organiser.email)
    path = await reset_path(settings)
    page = await client.get(path)
    data = {"password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD, "_csrf_token": csrf_token(page.text)}
    assert (await client.post(path, data=data, follow_redirects=False)).status_code == 303

    again = await client.get(path)
    assert again.status_code == 404
    assert "This link no longer works" in again.text
    replay = await client.post(path, data={**data, "password": "another passphrase!", "password_repeat": "x"})
    assert replay.status_code == 404
    assert await can_sign_in(settings, organiser.email, NEW_PASSWORD)


async def test_a_reset_link_expires_after_an_hour(client: Client, organiser: Organiser, settings: Settings) -> None:
    await forgot(client, organiser.email)
    path = await reset_path(settings)
    async with database(settings) as db:
        token = await db.scalar(select(AccountToken))
        assert token is not None
        assert timedelta(minutes=59) < token.expires_at - utcnow() <= timedelta(hours=1)
        await db.execute(update(AccountToken).values(expires_at=utcnow() - timedelta(seconds=1)))

    page = await client.get(path)
    assert page.status_code == 404
    token_page = await client.get("/orga/password/forgot")
    answer = await client.post(
        path,
        data={"password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD, "_csrf_token": csrf_token(token_page.text)},
    )
    assert answer.status_code == 404
    assert await can_sign_in(settings, organiser.email, PASSWORD)


async def test_an_unknown_reset_link_is_refused(client: Client) -> None:
    page = await client.get("/orga/password/reset/pr_not-a-real-token")
    assert page.status_code == 404
    assert "This link no longer works" in page.text


@pytest.mark.parametrize(
    ("password", "repeat", "field", "message"),
    [
        ("short one", "short one", "password", "Use at least 12 characters."),
        (NEW_PASSWORD, NEW_PASSWORD + "!", "password_repeat", "The two passwords are not the same."),
        ("", "", "password", "This field is required."),
    ],
)
async def test_a_bad_new_password_is_refused_next_to_its_field_and_changes_nothing(
    client: Client, organiser: Organiser, settings: Settings, password: str, repeat: str, field: str, message: str
) -> None:
    await forgot(client, organiser.email)
    path = await reset_path(settings)
    page = await client.get(path)

    answer = await client.post(
        path, data={"password": password, "password_repeat": repeat, "_csrf_token": csrf_token(page.text)}
    )

    assert answer.status_code == 400
    assert f'id="{field}-error">{message}</p>' in answer.text
    assert f'id="{field}" name="{field}" type="password" value=""' in answer.text
    assert await can_sign_in(settings, organiser.email, PASSWORD)
    # The link still works: a refused form spends nothing.
    assert (await client.get(path)).status_code == 200


async def test_setting_a_password_by_reset_ends_every_other_session(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await sign_in(client, organiser.email)
    assert (await client.get("/orga/", follow_redirects=False)).status_code == 200
    async with client_for(settings) as other:
        await forgot(other, organiser.email)
        path = await reset_path(settings)
        page = await other.get(path)
        await other.post(
            path,
            data={"password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD, "_csrf_token": csrf_token(page.text)},
        )
        assert (await other.get("/orga/", follow_redirects=False)).status_code == 200

    ended = await client.get("/orga/", follow_redirects=False)
    assert ended.status_code == 303
    assert ended.headers["location"].startswith("/orga/login")


async def test_changing_the_password_ends_the_other_session_and_keeps_this_one(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    async with client_for(settings) as other:
        await sign_in(other, organiser.email)
        await sign_in(client, organiser.email)
        epoch_before = await _epoch(settings, organiser.email)

        answer = await post_form(
            client,
            "/orga/account/",
            "/orga/account/password",
            {"current_password": PASSWORD, "password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD},
        )

        assert answer.status_code == 303
        assert await _epoch(settings, organiser.email) == epoch_before + 1
        page = await client.get("/orga/account/")
        assert page.status_code == 200
        assert "Every other session has ended." in page.text
        assert (await other.get("/orga/", follow_redirects=False)).status_code == 303
    assert await can_sign_in(settings, organiser.email, NEW_PASSWORD)


async def _epoch(settings: Settings, email: str) -> int:
    async with database(settings) as db:
        return int(await db.scalar(select(User.auth_epoch).where(User.email == email)) or 0)


async def test_the_password_change_needs_the_current_password(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await sign_in(client, organiser.email)
    answer = await post_form(
        client,
        "/orga/account/",
        "/orga/account/password",
        {"current_password": "not my password", "password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD},
    )
    assert answer.status_code == 400
    assert 'id="current_password-error">This is not your current password.</p>' in answer.text
    assert await _epoch(settings, organiser.email) == 0
    assert await can_sign_in(settings, organiser.email, PASSWORD)
    # Still signed in: a refused form ends nothing.
    assert (await client.get("/orga/", follow_redirects=False)).status_code == 200


async def test_the_account_page_changes_the_name_and_escapes_it(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await sign_in(client, organiser.email)
    name = "Ада Лавлейс <script>alert(1)</script> Éloïse"
    answer = await post_form(client, "/orga/account/", "/orga/account/", {"name": name})
    assert answer.status_code == 303
    page = await client.get("/orga/account/")
    assert "Ада Лавлейс &lt;script&gt;alert(1)&lt;/script&gt; Éloïse" in page.text
    assert "<script>alert(1)" not in page.text
    async with database(settings) as db:
        assert await db.scalar(select(User.name).where(User.email == organiser.email)) == name

    empty = await post_form(client, "/orga/account/", "/orga/account/", {"name": "  "})
    assert empty.status_code == 400
    assert 'id="name-error">This field is required.</p>' in empty.text
    async with database(settings) as db:
        assert await db.scalar(select(User.name).where(User.email == organiser.email)) == name


async def test_the_account_page_needs_a_sign_in(client: Client) -> None:
    answer = await client.get("/orga/account/", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/orga/login?next=%2Forga%2Faccount"


async def test_an_expired_session_row_signs_no_one_in(client: Client, organiser: Organiser, settings: Settings) -> None:
    await sign_in(client, organiser.email)
    assert (await client.get("/orga/", follow_redirects=False)).status_code == 200
    async with database(settings) as db:
        await db.execute(update(WebSession).values(expires_at=utcnow() - timedelta(seconds=1)))

    answer = await client.get("/orga/", follow_redirects=False)

    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/orga/login")
    async with database(settings) as db:
        assert await db.scalar(select(func.count()).select_from(WebSession)) == 0


# --- rate limits ------------------------------------------------------------------------------


async def test_sign_in_is_throttled_per_address_whether_or_not_it_exists(
    organiser: Organiser, settings: Settings
) -> None:
    async with client_for(settings, sign_in_attempts_per_address=3, sign_in_attempts_per_client=100) as client:
        answers: dict[str, list[int]] = {}
        for email in (organiser.email, "nobody@example.org"):
            answers[email] = [(await sign_in(client, email, "wrong password")).status_code for _ in range(4)]
        assert answers == {organiser.email: [400, 400, 400, 429], "nobody@example.org": [400, 400, 400, 429]}

        # Over the limit even the right password is not checked, and the page says why.
        blocked = await sign_in(client, organiser.email)
        unknown = await sign_in(client, "nobody@example.org", PASSWORD)
        assert blocked.status_code == unknown.status_code == 429
        assert THROTTLED in blocked.text
        same = unknown.text.replace("nobody@example.org", organiser.email).replace(
            csrf_token(unknown.text), csrf_token(blocked.text)
        )
        assert blocked.text == same
        assert "confman_orga=" not in " ".join(blocked.headers.get_list("set-cookie"))


async def test_one_address_throttled_leaves_the_others_alone(
    organiser: Organiser, other_organiser: Organiser, settings: Settings
) -> None:
    async with client_for(settings, sign_in_attempts_per_address=2, sign_in_attempts_per_client=100) as client:
        for _ in range(2):
            await sign_in(client, organiser.email, "wrong password")
        assert (await sign_in(client, organiser.email)).status_code == 429
        assert (await sign_in(client, other_organiser.email)).status_code == 303


async def test_a_successful_sign_in_starts_the_address_afresh(organiser: Organiser, settings: Settings) -> None:
    async with client_for(settings, sign_in_attempts_per_address=2, sign_in_attempts_per_client=100) as client:
        await sign_in(client, organiser.email, "wrong password")
        assert (await sign_in(client, organiser.email)).status_code == 303
        client.cookies.clear()
        await sign_in(client, organiser.email, "wrong password")
        assert (await sign_in(client, organiser.email)).status_code == 303


async def test_sign_in_is_throttled_per_client(organiser: Organiser, settings: Settings) -> None:
    async with client_for(settings, sign_in_attempts_per_address=100, sign_in_attempts_per_client=3) as client:
        for index in range(3):
            assert (await sign_in(client, f"guess{index}@example.org", "wrong password")).status_code == 400
        # A fourth address from the same client: refused, even with the right password.
        answer = await sign_in(client, organiser.email)
        assert answer.status_code == 429
        assert THROTTLED in answer.text


async def test_reset_requests_are_throttled_per_address(organiser: Organiser, settings: Settings) -> None:
    async with client_for(settings, sign_in_attempts_per_address=2, sign_in_attempts_per_client=100) as client:
        answers = [(await forgot(client, email)).status_code for email in [organiser.email] * 3]
        unknown = [(await forgot(client, email)).status_code for email in ["nobody@example.org"] * 3]
        assert answers == unknown == [200, 200, 429]
        throttled = await forgot(client, organiser.email)
        assert THROTTLED in throttled.text
    assert len(await outbox(settings)) == 2


async def test_reset_requests_are_throttled_per_client(organiser: Organiser, settings: Settings) -> None:
    async with client_for(settings, sign_in_attempts_per_address=100, sign_in_attempts_per_client=2) as client:
        answers = [(await forgot(client, f"p{index}@example.org")).status_code for index in range(2)]
        assert answers == [200, 200]
        assert (await forgot(client, organiser.email)).status_code == 429
    assert await outbox(settings) == []


async def test_a_bad_address_on_the_forgot_form_is_named(client: Client, settings: Settings) -> None:
    answer = await forgot(client, "not an address <b>")
    assert answer.status_code == 400
    assert 'id="email-error">Enter an e-mail address such as name@example.org.</p>' in answer.text
    assert "not an address &lt;b&gt;" in answer.text
    assert await outbox(settings) == []


def test_reset_and_invitation_links_are_redacted_from_logs() -> None:
    line = '127.0.0.1 - "GET /orga/password/reset/pr_secret123 HTTP/1.1" 200; "GET /orga/invitation/iv_abc HTTP/1.1"'
    assert redact(line) == (
        '127.0.0.1 - "GET /orga/password/reset/[token] HTTP/1.1" 200; "GET /orga/invitation/[token] HTTP/1.1"'
    )


async def test_a_reset_for_a_deactivated_account_sends_nothing(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    async with database(settings) as db:
        await db.execute(update(User).values(is_active=False))
    answer = await forgot(client, organiser.email)
    assert answer.status_code == 200
    assert SENT in answer.text
    assert await outbox(settings) == []
    async with database(settings) as db:
        assert await db.scalar(select(func.count()).select_from(OutboxMail)) == 0
