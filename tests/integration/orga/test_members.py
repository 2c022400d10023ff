"""Members of a conference: the list, invitations by e-mail (an account is created only through
one), roles, removal, the last owner, and who may do what."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select, update

from confman.accounts.services import UserService
from confman.app import create_app
from confman.db.models import AccountToken, ConferenceMember, MemberRole, User
from confman.lib.timezones import utcnow
from confman.settings import Settings
from confman.worker import MailWorker
from tests.factories import Organiser, conference_payload, database, outbox, post_ok
from tests.mailserver import MailServer, Recorder, free_port, smtp_settings
from tests.orga import csrf_token, post_form, sign_in

Client = AsyncTestClient[Litestar]
SLUG = "climate-2027"
MEMBERS = f"/orga/{SLUG}/members/"
NEW_PASSWORD = "a long enough password"
_LINK = re.compile(r"http://testserver\.local(/orga/invitation/[A-Za-z0-9_-]+)")
LAST_OWNER = "A conference needs at least one owner: make someone else an owner first."


@pytest.fixture
async def conference(client: Client, organiser: Organiser) -> str:
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload(status="draft"))
    return SLUG


async def add_member(client: Client, owner: Organiser, email: str, role: str = "organiser") -> int:
    member = await post_ok(client, owner, f"/api/v1/conferences/{SLUG}/members", {"email": email, "role": role})
    return int(member["id"])


async def members(settings: Settings) -> list[tuple[str, str]]:
    async with database(settings) as db:
        rows = await db.execute(
            select(User.email, ConferenceMember.role)
            .join(User, User.id == ConferenceMember.user_id)
            .order_by(ConferenceMember.id)
        )
        return [(email, role.value) for email, role in rows.tuples()]


async def member_id(settings: Settings, email: str) -> int:
    async with database(settings) as db:
        found = await db.scalar(
            select(ConferenceMember.id).join(User, User.id == ConferenceMember.user_id).where(User.email == email)
        )
        assert found is not None
        return int(found)


async def invite(client: Client, email: str, role: str = "organiser") -> Any:
    return await post_form(client, MEMBERS, MEMBERS, {"email": email, "role": role})


async def invitation_path(settings: Settings) -> str:
    mails = [mail for mail in await outbox(settings) if mail.kind == "invitation"]
    match = _LINK.match(str(mails[-1].context["url"]))
    assert match
    return match.group(1)


async def test_members_see_the_list_and_only_owners_get_the_forms(
    client: Client, organiser: Organiser, other_organiser: Organiser, conference: str
) -> None:
    await add_member(client, organiser, other_organiser.email)
    await sign_in(client, other_organiser.email)

    page = await client.get(MEMBERS)

    assert page.status_code == 200
    assert re.search(r"<td>Ada</td>\s*<td>ada@example.org</td>\s*<td>Owner</td>", page.text)
    assert re.search(r"<td>Grace \(you\)</td>\s*<td>grace@example.org</td>\s*<td>Organiser</td>", page.text)
    assert "Invite someone" not in page.text
    assert "/remove" not in page.text


async def test_inviting_an_existing_account_adds_it_at_once_and_tells_them(
    client: Client, organiser: Organiser, other_organiser: Organiser, conference: str, settings: Settings
) -> None:
    await sign_in(client, organiser.email)

    answer = await invite(client, "Grace@Example.org", "owner")

    assert answer.status_code == 303
    assert answer.headers["location"] == MEMBERS
    assert await members(settings) == [(organiser.email, "owner"), (other_organiser.email, "owner")]
    [mail] = await outbox(settings)
    assert (mail.kind, mail.recipient) == ("member_added", other_organiser.email)
    page = await client.get(MEMBERS)
    assert "The account was added to the conference and told by e-mail." in page.text


async def test_an_invitation_to_a_new_address_creates_the_account_and_the_membership(
    client: Client, organiser: Organiser, conference: str, settings: Settings
) -> None:
    await sign_in(client, organiser.email)
    assert (await invite(client, "rosa@example.org")).status_code == 303
    page = await client.get(MEMBERS)
    assert "rosa@example.org" in page.text
    assert "invited by Ada" in page.text

    # The e-mail, through a real mail server.
    recorder = Recorder()
    server = MailServer(free_port(), recorder)
    server.start()
    worker = MailWorker(smtp_settings(settings, server.url))
    path = await invitation_path(settings)
    try:
        assert await worker.run_once() == 1
    finally:
        await worker.close()
        server.stop()
    [message] = recorder.messages
    assert message["To"] == "rosa@example.org"
    assert message["Subject"] == "Invitation: The Revolutionary Alternative"
    body = message.get_body(("plain",))
    assert body is not None
    assert "Ada invites you to organise The Revolutionary Alternative as organiser." in body.get_content()
    assert path in body.get_content()

    async with AsyncTestClient(create_app(settings), base_url="http://testserver.local") as invitee:
        form = await invitee.get(path)
        assert form.status_code == 200
        assert "Ada invites rosa@example.org to organise a conference." in form.text
        answer = await invitee.post(
            path,
            data={
                "name": "Роза Éloïse",
                "password": NEW_PASSWORD,
                "password_repeat": NEW_PASSWORD,
                "_csrf_token": csrf_token(form.text),
            },
            follow_redirects=False,
        )
        assert answer.status_code == 303
        assert answer.headers["location"] == f"/orga/{SLUG}/"
        overview = await invitee.get(f"/orga/{SLUG}/")
        assert overview.status_code == 200
        assert "Welcome! Your account is ready" in overview.text
        # The link works once.
        assert (await invitee.get(path)).status_code == 404

    assert await members(settings) == [(organiser.email, "owner"), ("rosa@example.org", "organiser")]
    async with database(settings) as db:
        assert await UserService(db).authenticate("rosa@example.org", NEW_PASSWORD) is not None
        assert await db.scalar(select(User.name).where(User.email == "rosa@example.org")) == "Роза Éloïse"
    page = await client.get(MEMBERS)
    assert "No pending invitations." in page.text


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "", "password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD}, "name", "This field is required."),
        ({"name": "Rosa", "password": "too short", "password_repeat": "too short"}, "password", "Use at least 12"),
        ({"name": "Rosa", "password": NEW_PASSWORD, "password_repeat": "other"}, "password_repeat", "not the same"),
    ],
)
async def test_a_bad_invitation_form_creates_nothing(
    client: Client,
    organiser: Organiser,
    conference: str,
    settings: Settings,
    data: dict[str, str],
    field: str,
    message: str,
) -> None:
    await sign_in(client, organiser.email)
    await invite(client, "rosa@example.org")
    path = await invitation_path(settings)
    async with AsyncTestClient(create_app(settings), base_url="http://testserver.local") as invitee:
        form = await invitee.get(path)
        answer = await invitee.post(path, data={**data, "_csrf_token": csrf_token(form.text)})
        assert answer.status_code == 400
        assert re.search(rf'id="{re.escape(field)}-error">[^<]*{message}', answer.text)
        # The link still works.
        assert (await invitee.get(path)).status_code == 200
    async with database(settings) as db:
        assert await db.scalar(select(func.count()).select_from(User).where(User.email == "rosa@example.org")) == 0
    assert await members(settings) == [(organiser.email, "owner")]


async def test_an_expired_or_revoked_invitation_no_longer_works(
    client: Client, organiser: Organiser, conference: str, settings: Settings
) -> None:
    await sign_in(client, organiser.email)
    await invite(client, "rosa@example.org")
    expired = await invitation_path(settings)
    async with database(settings) as db:
        token = await db.scalar(select(AccountToken))
        assert token is not None
        assert timedelta(days=6, hours=23) < token.expires_at - utcnow() <= timedelta(days=7)
        await db.execute(update(AccountToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert (await client.get(expired)).status_code == 404

    await invite(client, "rosa@example.org")
    revoked = await invitation_path(settings)
    async with database(settings) as db:
        pending = await db.scalar(select(AccountToken.id).where(AccountToken.expires_at > utcnow()))
    answer = await post_form(client, MEMBERS, f"{MEMBERS}invitations/{pending}/revoke", {})
    assert answer.status_code == 303
    assert (await client.get(revoked)).status_code == 404
    assert "No pending invitations." in (await client.get(MEMBERS)).text


async def test_a_bad_invitation_address_is_named_and_nothing_is_sent(
    client: Client, organiser: Organiser, conference: str, settings: Settings
) -> None:
    await sign_in(client, organiser.email)
    answer = await invite(client, "<b>not-an-address</b>")
    assert answer.status_code == 400
    assert 'id="email-error">Enter an e-mail address such as name@example.org.</p>' in answer.text
    assert "&lt;b&gt;not-an-address&lt;/b&gt;" in answer.text
    bad_role = await invite(client, "rosa@example.org", "emperor")
    assert bad_role.status_code == 400
    assert 'id="role-error">Choose a role from the list.</p>' in bad_role.text
    assert await outbox(settings) == []
    async with database(settings) as db:
        assert await db.scalar(select(func.count()).select_from(AccountToken)) == 0


async def test_inviting_a_member_again_is_refused(
    client: Client, organiser: Organiser, other_organiser: Organiser, conference: str, settings: Settings
) -> None:
    await add_member(client, organiser, other_organiser.email)
    await sign_in(client, organiser.email)
    answer = await invite(client, other_organiser.email)
    assert answer.status_code == 409
    assert 'id="email-error">This person is already a member.</p>' in answer.text
    assert await outbox(settings) == []


async def test_owners_change_roles_and_remove_members(
    client: Client, organiser: Organiser, other_organiser: Organiser, conference: str, settings: Settings
) -> None:
    grace = await add_member(client, organiser, other_organiser.email)
    await sign_in(client, organiser.email)

    promoted = await post_form(client, MEMBERS, f"{MEMBERS}{grace}/role", {"role": "owner"})
    assert promoted.status_code == 303
    assert await members(settings) == [(organiser.email, "owner"), (other_organiser.email, "owner")]

    removed = await post_form(client, MEMBERS, f"{MEMBERS}{grace}/remove", {})
    assert removed.status_code == 303
    assert await members(settings) == [(organiser.email, "owner")]


async def test_the_last_owner_can_be_neither_demoted_nor_removed(
    client: Client, organiser: Organiser, other_organiser: Organiser, conference: str, settings: Settings
) -> None:
    await add_member(client, organiser, other_organiser.email)
    ada = await member_id(settings, organiser.email)
    await sign_in(client, organiser.email)

    demoted = await post_form(client, MEMBERS, f"{MEMBERS}{ada}/role", {"role": "organiser"})
    removed = await post_form(client, MEMBERS, f"{MEMBERS}{ada}/remove", {})

    assert demoted.status_code == removed.status_code == 409
    assert LAST_OWNER in demoted.text
    assert LAST_OWNER in removed.text
    assert await members(settings) == [(organiser.email, "owner"), (other_organiser.email, "organiser")]


async def test_an_owner_may_step_down_when_another_owner_remains(
    client: Client, organiser: Organiser, other_organiser: Organiser, conference: str, settings: Settings
) -> None:
    await add_member(client, organiser, other_organiser.email, "owner")
    ada = await member_id(settings, organiser.email)
    await sign_in(client, organiser.email)
    answer = await post_form(client, MEMBERS, f"{MEMBERS}{ada}/remove", {})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/orga/"
    assert await members(settings) == [(other_organiser.email, "owner")]
    assert (await client.get(MEMBERS)).status_code == 404


@pytest.fixture
async def signed_in_organiser(client: Client, organiser: Organiser, other_organiser: Organiser, conference: str) -> str:
    """Grace, an organiser (not an owner) of the conference, signed in; the page's form token."""
    await add_member(client, organiser, other_organiser.email)
    await sign_in(client, other_organiser.email)
    page = await client.get(MEMBERS)
    return csrf_token(page.text)


async def test_a_member_who_is_not_an_owner_gets_403_on_every_change(
    client: Client, organiser: Organiser, signed_in_organiser: str, settings: Settings
) -> None:
    ada = await member_id(settings, organiser.email)
    token = signed_in_organiser
    answers = {
        "invite": await client.post(MEMBERS, data={"email": "x@example.org", "role": "owner", "_csrf_token": token}),
        "role": await client.post(f"{MEMBERS}{ada}/role", data={"role": "organiser", "_csrf_token": token}),
        "remove": await client.post(f"{MEMBERS}{ada}/remove", data={"_csrf_token": token}),
        "revoke": await client.post(f"{MEMBERS}invitations/1/revoke", data={"_csrf_token": token}),
    }
    assert {name: answer.status_code for name, answer in answers.items()} == dict.fromkeys(answers, 403)
    assert await members(settings) == [(organiser.email, "owner"), ("grace@example.org", "organiser")]
    assert await outbox(settings) == []


async def test_a_non_member_gets_404_for_the_page_and_every_change(
    client: Client, organiser: Organiser, other_organiser: Organiser, conference: str, settings: Settings
) -> None:
    ada = await member_id(settings, organiser.email)
    await sign_in(client, other_organiser.email)
    token = csrf_token((await client.get("/orga/")).text)
    answers = {
        "page": await client.get(MEMBERS),
        "invite": await client.post(
            MEMBERS, data={"email": "grace@example.org", "role": "owner", "_csrf_token": token}
        ),
        "role": await client.post(f"{MEMBERS}{ada}/role", data={"role": "organiser", "_csrf_token": token}),
        "remove": await client.post(f"{MEMBERS}{ada}/remove", data={"_csrf_token": token}),
    }
    missing = await client.get("/orga/no-such-conference/members/")
    assert {name: answer.status_code for name, answer in answers.items()} == dict.fromkeys(answers, 404)
    assert answers["page"].text == missing.text.replace("no-such-conference", SLUG)
    assert await members(settings) == [(organiser.email, "owner")]


async def test_anonymous_callers_are_sent_to_sign_in(client: Client, conference: str) -> None:
    answer = await client.get(MEMBERS, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/orga/login?next=")


async def test_a_member_id_of_another_conference_is_not_found(
    client: Client, organiser: Organiser, other_organiser: Organiser, conference: str, settings: Settings
) -> None:
    await post_ok(client, other_organiser, "/api/v1/conferences", conference_payload(slug="other-2027"))
    grace = await member_id(settings, other_organiser.email)
    await sign_in(client, organiser.email)
    answer = await post_form(client, MEMBERS, f"{MEMBERS}{grace}/remove", {})
    assert answer.status_code == 404
    assert await members(settings) == [(organiser.email, "owner"), (other_organiser.email, "owner")]


async def test_an_invitation_to_an_address_that_got_an_account_meanwhile_joins_it(
    client: Client, organiser: Organiser, conference: str, settings: Settings
) -> None:
    await sign_in(client, organiser.email)
    await invite(client, "rosa@example.org", "owner")
    path = await invitation_path(settings)
    await Organiser.create(settings, "rosa@example.org")
    async with AsyncTestClient(create_app(settings), base_url="http://testserver.local") as invitee:
        form = await invitee.get(path)
        assert "has an organiser account already" in form.text
        answer = await invitee.post(path, data={"_csrf_token": csrf_token(form.text)}, follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"] == f"/orga/login?next=/orga/{SLUG}/"
    assert await members(settings) == [(organiser.email, "owner"), ("rosa@example.org", "owner")]
    assert MemberRole.OWNER.value == "owner"
