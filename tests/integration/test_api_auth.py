"""Tokens, authentication and isolation between organisers through the JSON API."""

from __future__ import annotations

import json
import re
from typing import Any, cast

import pytest
from jsonschema import Draft202012Validator
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.exc import OperationalError

from confman.lib.errors import database_unavailable_handler
from tests.factories import PASSWORD, Organiser, conference_payload, post_ok, session_payload, speaker_payload

Client = AsyncTestClient[Litestar]
CONF = "/api/v1/conferences/climate-2027"
MISSING = "/api/v1/conferences/no-such-conference"


async def build_programme(client: Client, organiser: Organiser, status: str = "published") -> None:
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload(status=status))
    await post_ok(client, organiser, f"{CONF}/tracks", {"slug": "ecology", "name": {"en": "Ecology"}})
    await post_ok(client, organiser, f"{CONF}/streams", {"slug": "main", "name": "Main"})
    await post_ok(client, organiser, f"{CONF}/speakers", speaker_payload())
    await post_ok(client, organiser, f"{CONF}/sessions", session_payload())


# Authentication


async def test_auth_write_without_token_is_401_with_challenge(client: Client) -> None:
    response = await client.post("/api/v1/conferences", json=conference_payload())
    listed = await client.get("/api/v1/conferences")

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="confman"'
    assert listed.json() == []


async def test_auth_garbage_token_is_401(client: Client) -> None:
    headers = {"Authorization": "Bearer cm_not-a-real-token"}

    write = await client.post("/api/v1/conferences", json=conference_payload(), headers=headers)
    read = await client.get("/api/v1/conferences", headers=headers)

    assert write.status_code == 401
    assert write.headers["www-authenticate"] == 'Bearer realm="confman"'
    assert read.status_code == 401


@pytest.mark.parametrize("header", ["Basic abc", "Bearer", "Bearer   ", "cm_token"])
async def test_auth_malformed_authorization_header_is_401(client: Client, header: str) -> None:
    response = await client.post("/api/v1/conferences", json=conference_payload(), headers={"Authorization": header})

    assert response.status_code == 401


async def test_auth_token_from_password_works(client: Client, organiser: Organiser) -> None:
    created = await client.post(
        "/api/v1/tokens", json={"email": "ADA@example.org ", "password": PASSWORD, "name": "laptop"}
    )
    headers = {"Authorization": f"Bearer {created.json()['token']}"}

    write = await client.post("/api/v1/conferences", json=conference_payload(), headers=headers)
    tokens = await client.get("/api/v1/tokens", headers=headers)

    assert created.status_code == 201, created.text
    assert created.json()["name"] == "laptop"
    assert created.json()["token"].startswith(created.json()["prefix"])
    assert write.status_code == 201
    assert [t["name"] for t in tokens.json()] == ["tests", "laptop"]
    assert "token" not in tokens.json()[0]


async def test_auth_wrong_password_and_unknown_email_answer_alike(client: Client, organiser: Organiser) -> None:
    wrong_password = await client.post("/api/v1/tokens", json={"email": organiser.email, "password": "wrong"})
    unknown_email = await client.post("/api/v1/tokens", json={"email": "nobody@example.org", "password": "wrong"})

    assert wrong_password.status_code == 401
    assert unknown_email.status_code == wrong_password.status_code
    assert unknown_email.json() == wrong_password.json()
    assert unknown_email.headers.get("www-authenticate") == wrong_password.headers.get("www-authenticate")


async def test_auth_revoked_token_is_401(client: Client, organiser: Organiser) -> None:
    created = await client.post("/api/v1/tokens", json={"email": organiser.email, "password": PASSWORD})
    headers = {"Authorization": f"Bearer {created.json()['token']}"}

    revoked = await client.delete(f"/api/v1/tokens/{created.json()['id']}", headers=organiser.headers)
    after = await client.post("/api/v1/conferences", json=conference_payload(), headers=headers)
    still = await client.get("/api/v1/tokens", headers=organiser.headers)

    assert revoked.status_code == 204
    assert after.status_code == 401
    assert [t["revoked_at"] is None for t in still.json()] == [True, False]


async def test_auth_token_of_someone_else_cannot_be_revoked(
    client: Client, organiser: Organiser, other_organiser: Organiser
) -> None:
    tokens = await client.get("/api/v1/tokens", headers=organiser.headers)

    response = await client.delete(f"/api/v1/tokens/{tokens.json()[0]['id']}", headers=other_organiser.headers)
    after = await client.get("/api/v1/tokens", headers=organiser.headers)

    assert response.status_code == 404
    assert after.json()[0]["revoked_at"] is None


# Isolation between organisers


async def test_isolation_draft_conference_reads_look_missing(
    client: Client, organiser: Organiser, other_organiser: Organiser
) -> None:
    await build_programme(client, organiser, status="draft")
    paths = ["", "/sessions", "/sessions/limits-of-cop26", "/speakers", "/tracks", "/streams", "/members"]

    answers = [await client.get(f"{CONF}{path}", headers=other_organiser.headers) for path in paths]
    missing = [await client.get(f"{MISSING}{path}", headers=other_organiser.headers) for path in paths]

    assert [(a.status_code, a.json()) for a in answers] == [(m.status_code, m.json()) for m in missing]
    assert {a.status_code for a in answers} == {404}


WRITES: list[tuple[str, str, Any]] = [
    ("PATCH", "", {"title": {"en": "Stolen"}}),
    ("DELETE", "", None),
    ("POST", "/tracks", {"slug": "t2", "name": {"en": "T"}}),
    ("PATCH", "/tracks/ecology", {"name": {"en": "T"}}),
    ("DELETE", "/tracks/ecology", None),
    ("POST", "/streams", {"slug": "s2", "name": "S"}),
    ("PATCH", "/streams/main", {"name": "S"}),
    ("DELETE", "/streams/main", None),
    ("POST", "/speakers", speaker_payload(slug="sp2")),
    ("PATCH", "/speakers/alex-callinicos", {"name": "X"}),
    ("DELETE", "/speakers/alex-callinicos", None),
    ("POST", "/sessions", session_payload(slug="s2")),
    ("PATCH", "/sessions/limits-of-cop26", {"title": {"en": "X"}}),
    ("PUT", "/sessions/limits-of-cop26/speakers", [{"speaker": "alex-callinicos"}]),
    ("DELETE", "/sessions/limits-of-cop26", None),
    ("POST", "/members", {"email": "grace@example.org"}),
    ("DELETE", "/members/1", None),
]


@pytest.mark.parametrize("status", ["draft", "published"])
async def test_isolation_writes_on_someone_elses_conference_look_missing(
    client: Client, organiser: Organiser, other_organiser: Organiser, status: str
) -> None:
    await build_programme(client, organiser, status=status)
    before = await client.get(f"{CONF}/sessions/limits-of-cop26", headers=organiser.headers)

    answers = []
    expected = []
    for method, path, body in WRITES:
        answer = await client.request(method, f"{CONF}{path}", json=body, headers=other_organiser.headers)
        missing = await client.request(method, f"{MISSING}{path}", json=body, headers=other_organiser.headers)
        answers.append((method, path, answer.status_code, answer.json()))
        expected.append((method, path, missing.status_code, missing.json()))
    after = await client.get(f"{CONF}/sessions/limits-of-cop26", headers=organiser.headers)
    conference = await client.get(CONF, headers=organiser.headers)

    assert answers == expected
    assert {a[2] for a in answers} == {404}
    assert after.json() == before.json()
    assert conference.json()["title"] == conference_payload()["title"]


async def test_isolation_other_organiser_lists_only_published(
    client: Client, organiser: Organiser, other_organiser: Organiser
) -> None:
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload(slug="public-one"))
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload(slug="secret-one", status="draft"))

    listed = await client.get("/api/v1/conferences", headers=other_organiser.headers)

    assert [(c["slug"], c["role"]) for c in listed.json()] == [("public-one", None)]


async def test_isolation_duplicate_slug_of_someone_elses_draft_is_409(
    client: Client, organiser: Organiser, other_organiser: Organiser
) -> None:
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload(status="draft"))

    response = await client.post("/api/v1/conferences", json=conference_payload(), headers=other_organiser.headers)

    assert response.status_code == 409
    assert response.json()["extra"][0]["key"] == "slug"


# OpenAPI

OPERATION_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}
# Operations anyone may call without a token.
PUBLIC_OPERATIONS = (
    {("POST", "/api/v1/tokens")}
    | {
        ("GET", path)
        for path in [
            "/api/v1/conferences",
            "/api/v1/conferences/{conf}",
            "/api/v1/conferences/{conf}/tracks",
            "/api/v1/conferences/{conf}/tracks/{track}",
            "/api/v1/conferences/{conf}/streams",
            "/api/v1/conferences/{conf}/streams/{stream}",
            "/api/v1/conferences/{conf}/speakers",
            "/api/v1/conferences/{conf}/speakers/{speaker}",
            "/api/v1/conferences/{conf}/sessions",
            "/api/v1/conferences/{conf}/sessions/{session}",
            "/api/v1/conferences/{conf}/registration-settings",
        ]
    }
    | {
        # Attendees register, confirm and cancel without an account (the private token is the proof).
        ("POST", "/api/v1/conferences/{conf}/registrations"),
        ("POST", "/api/v1/conferences/{conf}/registrations/confirm"),
        ("POST", "/api/v1/conferences/{conf}/registrations/cancel"),
    }
)
# Writes that are an action on what the path names and carry no body.
BODILESS_ACTIONS = {
    ("POST", "/api/v1/conferences/{conf}/registrations/{registration_id}/resend"),
    ("POST", "/api/v1/conferences/{conf}/webhooks/{webhook_id}/secret"),
    ("POST", "/api/v1/conferences/{conf}/webhooks/{webhook_id}/deliveries/{delivery_id}/replay"),
}


def app_operations(app: Litestar) -> set[tuple[str, str]]:
    """Every /api/v1 operation the app routes, as (method, OpenAPI path)."""
    operations = set()
    for route in app.routes:
        if not route.path.startswith("/api/v1"):
            continue
        path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
        operations |= {(method, path) for method in route.methods if method in OPERATION_METHODS}
    return operations


async def openapi_operations(client: Client) -> dict[tuple[str, str], dict[str, Any]]:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    return {
        (method.upper(), path): operation
        for path, item in response.json()["paths"].items()
        if path.startswith("/api/v1")
        for method, operation in item.items()
        if method.upper() in OPERATION_METHODS
    }


async def test_openapi_lists_every_api_operation(client: Client) -> None:
    documented = await openapi_operations(client)

    assert set(documented) == app_operations(client.app)
    # 43 until issue 6 added attendance per session and who joined; issue 13 added PATCH
    # registration-settings, the tracks' and streams' order (PUT .../tracks/order, .../streams/order)
    # and the sessions' status in bulk (POST .../sessions/status); issue 15 the conference's logo
    # and a speaker's photo (PUT and DELETE each); issue 16 the webhooks (list, create, one,
    # change, delete, rotate the secret, the delivery log, replay), the announcements (CRUD, the
    # count of recipients and sending) and the releases (list, create).
    assert len(documented) == 61 + 7 + 2


async def test_openapi_write_operations_document_json_request_body(client: Client) -> None:
    documented = await openapi_operations(client)

    def content(operation: dict[str, Any]) -> dict[str, Any]:
        found: dict[str, Any] = operation.get("requestBody", {}).get("content", {})
        return found

    # Images (a logo, a photo) are sent as themselves or as a form's file: both documented.
    uploads = {key for key, operation in documented.items() if "image/png" in content(operation)}
    without_body = [
        key
        for key, operation in documented.items()
        if key[0] in {"POST", "PUT", "PATCH"}
        and key not in BODILESS_ACTIONS
        and key not in uploads
        and not content(operation).get("application/json", {}).get("schema")
    ]

    assert without_body == []
    assert sorted(uploads) == [
        ("PUT", "/api/v1/conferences/{conf}/logo"),
        ("PUT", "/api/v1/conferences/{conf}/speakers/{speaker}/photo"),
    ]
    for key in uploads:
        assert {"image/jpeg", "image/png", "image/webp", "multipart/form-data"} <= set(content(documented[key])), key


async def test_openapi_operations_document_error_responses(client: Client) -> None:
    documented = await openapi_operations(client)

    without_errors = [
        key for key, operation in documented.items() if not any(code.startswith("4") for code in operation["responses"])
    ]
    writes_without_400_401_404 = [
        key
        for key, operation in documented.items()
        if key[0] != "GET" and key not in PUBLIC_OPERATIONS and not {"400", "401", "404"} <= set(operation["responses"])
    ]

    assert without_errors == []
    assert writes_without_400_401_404 == []


async def test_openapi_documents_the_apps_own_415_and_503_on_the_operations_that_meet_them(
    client: Client, organiser: Organiser
) -> None:
    documented = await openapi_operations(client)
    json_bodies = {
        key
        for key, operation in documented.items()
        if "application/json" in operation.get("requestBody", {}).get("content", {})
    }

    # 415 (a JSON body sent as another type) on exactly the operations that take a JSON body…
    assert {key for key, operation in documented.items() if "415" in operation["responses"]} == json_bodies
    assert len(json_bodies) == 28
    # …and 503 (the database out of reach) with its Retry-After on every operation.
    assert [key for key, operation in documented.items() if "503" not in operation["responses"]] == []
    for operation in documented.values():
        unavailable = operation["responses"]["503"]
        assert unavailable["headers"]["Retry-After"]["required"] is True
        assert unavailable["headers"]["Retry-After"]["schema"]["type"] == "integer"
    # The answers really look as documented: a conference sent as text/plain.
    submit = documented[("POST", "/api/v1/conferences")]
    refused = await client.post(
        "/api/v1/conferences",
        content=json.dumps(conference_payload()),
        headers={**organiser.headers, "Content-Type": "text/plain"},
    )
    assert refused.status_code == 415
    schema = submit["responses"]["415"]["content"]["application/json"]["schema"]
    assert list(Draft202012Validator(schema).iter_errors(refused.json())) == []
    unavailable = database_unavailable_handler(cast(Any, None), OperationalError("SELECT 1", {}, ConnectionError()))
    assert unavailable.status_code == 503
    assert set(submit["responses"]["503"]["headers"]) <= set(unavailable.headers)
    schema = submit["responses"]["503"]["content"]["application/json"]["schema"]
    assert list(Draft202012Validator(schema).iter_errors(unavailable.content)) == []


async def test_openapi_organiser_operations_require_bearer_token(client: Client) -> None:
    documented = await openapi_operations(client)

    security = {key: operation.get("security") for key, operation in documented.items()}

    assert {key for key, value in security.items() if value != [{"BearerToken": []}]} == PUBLIC_OPERATIONS
    assert {key for key, value in security.items() if value is None} == PUBLIC_OPERATIONS


async def test_openapi_request_schemas_match_real_payloads(client: Client) -> None:
    document = (await client.get("/schema/openapi.json")).json()

    def validator(name: str) -> Draft202012Validator:
        return Draft202012Validator({"$ref": f"#/components/schemas/{name}", "components": document["components"]})

    cases = [
        ("ConferenceCreate", conference_payload()),
        ("SessionCreate", session_payload(speakers=[{"speaker": "a", "role": "chair"}])),
        ("SpeakerCreate", speaker_payload()),
    ]

    errors = [
        (name, error.json_path, error.message)
        for name, payload in cases
        for error in validator(name).iter_errors(payload)
    ]

    assert errors == []


async def test_openapi_describes_the_submit_as_the_validators_read_it(client: Client) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    paths, schemas = document["paths"], document["components"]["schemas"]
    submit = paths["/api/v1/conferences/{conf}/registrations"]["post"]
    one = paths["/api/v1/conferences/{conf}/registrations/{registration_id}"]["get"]

    # Answers are an object keyed by question, not an array.
    assert schemas["RegistrationCreate"]["properties"]["answers"]["type"] == "object"
    # One 409 (registration closed), not a oneOf of two identical shapes; the rate limit's 429.
    assert "oneOf" not in submit["responses"]["409"]["content"]["application/json"]["schema"]
    assert {"202", "400", "404", "409", "429"} <= set(submit["responses"])
    assert "401" not in submit["responses"]  # public
    assert {"200", "401", "404"} <= set(one["responses"])


async def test_options_names_every_method_of_each_api_path(client: Client) -> None:
    documented: dict[str, set[str]] = {}
    for method, path in await openapi_operations(client):
        documented.setdefault(path, set()).add(method)
    values = {"conf": "x", "speaker": "s", "session": "s", "track": "t", "stream": "t"}
    for path, methods in documented.items():
        url = re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "1"), path)
        answer = await client.options(url)
        allowed = {method.strip() for method in answer.headers.get("allow", "").split(",")}
        # Paths served by several handlers said only one of them (Allow: OPTIONS, POST beside a GET).
        assert methods | {"OPTIONS"} <= allowed, (path, sorted(allowed))
