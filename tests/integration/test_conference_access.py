"""Conference access, declared once per route (``opt["access"]``) and decided by the
``conference_access`` dependency: which routes declare which level, that an undeclared route
cannot be built, and the answers of each level through real routes."""

from __future__ import annotations

import re

import pytest
from litestar import Litestar, get, post
from litestar.di import Provide
from litestar.exceptions import ImproperlyConfiguredException
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient

from confman.accounts.auth import BEARER
from confman.conferences.access import (
    ACCESS_OPT,
    READ,
    ConferenceAccessDependency,
    access_level,
    check_conference_routes,
    provide_conference_access,
)
from confman.conferences.services import ConferenceAccess
from confman.settings import Settings
from tests.factories import Organiser, conference_payload, post_ok, registration_payload

Client = AsyncTestClient[Litestar]
CONF = "/api/v1/conferences/climate-2027"
MISSING = "/api/v1/conferences/no-such-conference"

NEEDS_TOKEN = {"status_code": 401, "detail": "This operation needs 'Authorization: Bearer <token>'"}
NOT_FOUND = {"status_code": 404, "detail": "Conference not found"}
NOT_OWNER = {"status_code": 403, "detail": "Only an owner of this conference may do this"}
CHALLENGE = 'Bearer realm="confman"'

# Every /api/v1 operation on a conference, by the level it declares.
PUBLIC_OPERATIONS = {
    ("POST", "/registrations"),
    ("POST", "/registrations/confirm"),
    ("POST", "/registrations/cancel"),
}
READ_OPERATIONS = {
    ("GET", path)
    for path in [
        "",
        "/tracks",
        "/tracks/{track}",
        "/streams",
        "/streams/{stream}",
        "/speakers",
        "/speakers/{speaker}",
        "/sessions",
        "/sessions/{session}",
        "/registration-settings",
    ]
}
OWNER_OPERATIONS = {("DELETE", ""), ("POST", "/members"), ("DELETE", "/members/{member_id}")}
ORGANISER_OPERATIONS = {
    ("PATCH", ""),
    ("POST", "/tracks"),
    ("PATCH", "/tracks/{track}"),
    ("DELETE", "/tracks/{track}"),
    ("PUT", "/tracks/order"),
    ("POST", "/streams"),
    ("PATCH", "/streams/{stream}"),
    ("DELETE", "/streams/{stream}"),
    ("PUT", "/streams/order"),
    ("POST", "/speakers"),
    ("PATCH", "/speakers/{speaker}"),
    ("DELETE", "/speakers/{speaker}"),
    ("PUT", "/speakers/{speaker}/photo"),
    ("DELETE", "/speakers/{speaker}/photo"),
    ("PUT", "/logo"),
    ("DELETE", "/logo"),
    ("POST", "/sessions"),
    ("POST", "/sessions/status"),
    ("PATCH", "/sessions/{session}"),
    ("PUT", "/sessions/{session}/speakers"),
    ("DELETE", "/sessions/{session}"),
    ("GET", "/members"),
    ("PUT", "/registration-settings"),
    ("PATCH", "/registration-settings"),
    ("GET", "/registrations"),
    ("GET", "/registrations/counts"),
    ("GET", "/registrations/export.csv"),
    ("GET", "/registrations/{registration_id}"),
    ("PATCH", "/registrations/{registration_id}"),
    ("POST", "/registrations/{registration_id}/resend"),
    ("GET", "/attendance"),
    ("GET", "/sessions/{session}/attendance"),
    ("GET", "/releases"),
    ("POST", "/releases"),
    ("GET", "/webhooks"),
    ("POST", "/webhooks"),
    ("GET", "/webhooks/{webhook_id}"),
    ("PATCH", "/webhooks/{webhook_id}"),
    ("DELETE", "/webhooks/{webhook_id}"),
    ("POST", "/webhooks/{webhook_id}/secret"),
    ("GET", "/webhooks/{webhook_id}/deliveries"),
    ("POST", "/webhooks/{webhook_id}/deliveries/{delivery_id}/replay"),
    ("GET", "/announcements"),
    ("POST", "/announcements"),
    ("GET", "/announcements/{announcement}"),
    ("PATCH", "/announcements/{announcement}"),
    ("DELETE", "/announcements/{announcement}"),
    ("GET", "/announcements/{announcement}/recipients"),
    ("POST", "/announcements/{announcement}/send"),
}


def conference_handlers(app: Litestar) -> list[tuple[str, str, HTTPRouteHandler]]:
    """(method, path after /api/v1/conferences/{conf}, handler) for every API route on a conference."""
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith("/api/v1/conferences/{conf:str}"):
            continue
        tail = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path.removeprefix("/api/v1/conferences/{conf:str}"))
        for handler in route.route_handlers:
            found += [(method, tail, handler) for method in handler.http_methods if method != "OPTIONS"]
    return found


def test_access_every_api_route_on_a_conference_declares_its_level(app: Litestar) -> None:
    levels: dict[str, set[tuple[str, str]]] = {}
    for method, tail, handler in conference_handlers(app):
        levels.setdefault(str(access_level(handler)), set()).add((method, tail))

    assert levels == {
        "public": PUBLIC_OPERATIONS,
        "read": READ_OPERATIONS,
        "organiser": ORGANISER_OPERATIONS,
        "owner": OWNER_OPERATIONS,
    }


def test_access_levels_are_checked_by_the_dependency_and_documented(app: Litestar) -> None:
    """Every declared level but the submit's (whose service checks it in its one query) is
    enforced by asking for ``conference_access``; organiser and owner operations document the token."""
    unchecked = set()
    undocumented = set()
    for method, tail, handler in conference_handlers(app):
        if "conference_access" not in handler.parsed_fn_signature.parameters:
            unchecked.add((method, tail))
        if (method, tail) in ORGANISER_OPERATIONS | OWNER_OPERATIONS and handler.resolve_security() != BEARER:
            undocumented.add((method, tail))

    assert unchecked == {("POST", "/registrations")}
    assert undocumented == set()


@get("/api/v1/conferences/{conf:str}/undeclared", sync_to_thread=False)
def undeclared(conf: FromPath[str]) -> str:
    return conf


@get("/orga/{conf:str}/asks-without-level", sync_to_thread=False)
def asks_without_level(conference_access: ConferenceAccessDependency) -> str:
    return conference_access.conference.slug


@post("/api/v1/conferences/{conf:str}/declared-not-checked", opt=READ, sync_to_thread=False)
def declared_not_checked(conf: FromPath[str]) -> str:
    return conf


@get("/api/v1/conferences/{conf:str}/unknown-level", opt={ACCESS_OPT: "members"}, sync_to_thread=False)
def unknown_level(conference_access: ConferenceAccessDependency) -> ConferenceAccess:
    return conference_access


@get("/{conf:str}/page", sync_to_thread=False)
def public_page(conf: FromPath[str]) -> str:
    return conf


# What conference_access needs, for apps that are only built (never asked).
ACCESS_DEPENDENCIES = {
    "conference_access": Provide(provide_conference_access),
    "current_user": Provide(lambda: None, sync_to_thread=False),
    "db_session": Provide(lambda: None, sync_to_thread=False),
}


@pytest.mark.parametrize(
    ("handler", "problem"),
    [
        (
            undeclared,
            "['GET'] /api/v1/conferences/{conf:str}/undeclared (undeclared)"
            " names a conference without declaring opt['access']",
        ),
        (
            asks_without_level,
            "['GET'] /orga/{conf:str}/asks-without-level (asks_without_level)"
            " asks for conference_access without declaring opt['access']\n"
            "['GET'] /orga/{conf:str}/asks-without-level (asks_without_level)"
            " names a conference without declaring opt['access']",
        ),
        (
            declared_not_checked,
            "['POST'] /api/v1/conferences/{conf:str}/declared-not-checked (declared_not_checked)"
            " declares 'read' access but does not ask for conference_access, which checks it",
        ),
        (
            unknown_level,
            "['GET'] /api/v1/conferences/{conf:str}/unknown-level (unknown_level):"
            " opt['access'] is not one of ['public', 'read', 'organiser', 'owner']",
        ),
    ],
)
def test_access_routes_that_could_reach_a_conference_unchecked_are_refused(
    handler: HTTPRouteHandler, problem: str
) -> None:
    app = Litestar(route_handlers=[handler, public_page], dependencies=ACCESS_DEPENDENCIES)

    with pytest.raises(ImproperlyConfiguredException) as refused:
        check_conference_routes(app.routes)

    assert refused.value.detail == f"Conference access:\n{problem}"


def test_access_public_pages_and_declared_routes_pass_the_check() -> None:
    app = Litestar(route_handlers=[public_page])

    check_conference_routes(app.routes)


# The levels through real routes, on both databases.


async def test_access_read_shows_a_draft_to_its_members_only(
    client: Client, organiser: Organiser, other_organiser: Organiser
) -> None:
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload(status="draft"))

    anonymous = await client.get(f"{CONF}/tracks")
    stranger = await client.get(f"{CONF}/tracks", headers=other_organiser.headers)
    missing = await client.get(f"{MISSING}/tracks")
    member = await client.get(CONF, headers=organiser.headers)

    assert (anonymous.status_code, anonymous.json()) == (404, NOT_FOUND)
    assert (stranger.status_code, stranger.json()) == (404, NOT_FOUND)
    assert (missing.status_code, missing.json()) == (404, NOT_FOUND)
    assert (member.status_code, member.json()["role"]) == (200, "owner")


async def test_access_read_shows_a_published_conference_to_anyone(client: Client, organiser: Organiser) -> None:
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload())

    anonymous = await client.get(CONF)
    member = await client.get(CONF, headers=organiser.headers)

    assert (anonymous.status_code, anonymous.json()["role"]) == (200, None)
    assert (member.status_code, member.json()["role"]) == (200, "owner")


async def test_access_organiser_without_token_is_401_before_anything_else(client: Client, organiser: Organiser) -> None:
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload(status="draft"))

    answers = [
        await client.get(f"{CONF}/members"),
        await client.get(f"{MISSING}/members"),
        await client.post(f"{CONF}/tracks", json={"slug": "t", "name": {"en": "T"}}),
        await client.delete(CONF),
    ]

    assert [(a.status_code, a.json(), a.headers["www-authenticate"]) for a in answers] == [
        (401, NEEDS_TOKEN, CHALLENGE)
    ] * 4


async def test_access_organiser_is_any_member_and_404_for_others(
    client: Client, organiser: Organiser, other_organiser: Organiser
) -> None:
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload())

    stranger = await client.get(f"{CONF}/members", headers=other_organiser.headers)
    await post_ok(client, organiser, f"{CONF}/members", {"email": other_organiser.email})
    member = await client.get(f"{CONF}/members", headers=other_organiser.headers)

    assert (stranger.status_code, stranger.json()) == (404, NOT_FOUND)
    assert member.status_code == 200
    assert [m["role"] for m in member.json()] == ["owner", "organiser"]


async def test_access_owner_is_403_for_an_organiser_and_404_for_others(
    client: Client, settings: Settings, organiser: Organiser, other_organiser: Organiser
) -> None:
    third_organiser = await Organiser.create(settings, "linus@example.org")
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload())
    await post_ok(client, organiser, f"{CONF}/members", {"email": other_organiser.email})

    by_organiser = await client.delete(CONF, headers=other_organiser.headers)
    by_stranger = await client.delete(CONF, headers=third_organiser.headers)
    by_owner = await client.delete(CONF, headers=organiser.headers)
    after = await client.get(CONF, headers=organiser.headers)

    assert (by_organiser.status_code, by_organiser.json()) == (403, NOT_OWNER)
    assert (by_stranger.status_code, by_stranger.json()) == (404, NOT_FOUND)
    assert by_owner.status_code == 204
    assert (after.status_code, after.json()) == (404, NOT_FOUND)


async def test_access_is_decided_before_the_body_is_read(
    client: Client, organiser: Organiser, other_organiser: Organiser
) -> None:
    """A stranger learns nothing of a conference, not even whether a body would be valid."""
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload())

    stranger = await client.post(f"{CONF}/tracks", json={"slug": "no spaces"}, headers=other_organiser.headers)
    member = await client.post(f"{CONF}/tracks", json={"slug": "no spaces"}, headers=organiser.headers)

    assert (stranger.status_code, stranger.json()) == (404, NOT_FOUND)
    assert member.status_code == 400


async def test_access_public_actions_do_not_read_the_callers_token(client: Client, organiser: Organiser) -> None:
    """Confirm and cancel act for no one: a broken Authorization header is not even looked at,
    and a member's token does not open a draft to them."""
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload())
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload(slug="draft-2027", status="draft"))
    broken = {"Authorization": "Bearer cm_not-a-real-token"}

    cancel = await client.post(f"{CONF}/registrations/cancel", json={"token": "x" * 43}, headers=broken)
    draft = await client.post(
        "/api/v1/conferences/draft-2027/registrations/confirm", json={"token": "x" * 43}, headers=organiser.headers
    )
    submit = await client.post(
        "/api/v1/conferences/draft-2027/registrations", json=registration_payload(), headers=organiser.headers
    )

    assert (cancel.status_code, cancel.json()["detail"]) == (404, "This link is not valid.")
    assert (draft.status_code, draft.json()) == (404, NOT_FOUND)
    assert (submit.status_code, submit.json()) == (404, NOT_FOUND)
