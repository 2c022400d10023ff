"""The API against its own OpenAPI document: schemathesis, every check, on both databases.

Each operation gets requests generated from the document, valid ones (which must not be refused
with a 400) and invalid ones (which must be), sent in-process through the ASGI app with an
organiser's token and the path values of a seeded conference. Seeded (``derandomize``), so a
run is the same every time; a short budget per operation keeps it a test, not a campaign.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from jsonschema import Draft202012Validator
from litestar import Litestar
from litestar.testing import AsyncTestClient
from schemathesis import GenerationMode
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import positive_data_acceptance

from confman.lib.countries import known_countries
from confman.lib.languages import known_languages
from confman.lib.timezones import known_zones
from confman.settings import Settings
from tests.factories import (
    PASSWORD,
    Organiser,
    conference_payload,
    registration_payload,
    registration_settings_payload,
    session_payload,
    speaker_payload,
)

EXAMPLES = 3

# Requests valid by the document that the API refuses, each for a rule a JSON schema cannot state:
# the request's meaning depends on the database (slugs, accounts, a registration's state) or on
# another field (a title in the conference's default language, a language it offers). Those answer
# 400 naming the field, and the document says so in words; the check that "valid means accepted"
# is left out for these operations only.
STATE_OR_CROSS_FIELD = "refusal depends on the database or on another field"
EXCLUDED: dict[str, tuple[Any, str]] = {
    "POST /api/v1/conferences": (positive_data_acceptance, STATE_OR_CROSS_FIELD),
    "PATCH /api/v1/conferences/{conf}": (
        positive_data_acceptance,
        "OPEN: embed_origins are checked as parsed origins (lib/branding), documented as strings of 300",
    ),
    # An empty multipart form is schema-valid; the file is required in words.
    "PUT /api/v1/conferences/{conf}/logo": (positive_data_acceptance, "the image's bytes are checked, not its schema"),
    "PUT /api/v1/conferences/{conf}/speakers/{speaker}/photo": (
        positive_data_acceptance,
        "the image's bytes are checked, not its schema",
    ),
    "POST /api/v1/conferences/{conf}/members": (positive_data_acceptance, STATE_OR_CROSS_FIELD),
    "POST /api/v1/conferences/{conf}/tracks": (positive_data_acceptance, STATE_OR_CROSS_FIELD),
    "PATCH /api/v1/conferences/{conf}/tracks/{track}": (positive_data_acceptance, STATE_OR_CROSS_FIELD),
    "PUT /api/v1/conferences/{conf}/tracks/order": (positive_data_acceptance, STATE_OR_CROSS_FIELD),
    "PUT /api/v1/conferences/{conf}/streams/order": (positive_data_acceptance, STATE_OR_CROSS_FIELD),
    "POST /api/v1/conferences/{conf}/speakers": (positive_data_acceptance, STATE_OR_CROSS_FIELD),
    "PATCH /api/v1/conferences/{conf}/speakers/{speaker}": (positive_data_acceptance, STATE_OR_CROSS_FIELD),
    "POST /api/v1/conferences/{conf}/sessions": (positive_data_acceptance, STATE_OR_CROSS_FIELD),
    "PATCH /api/v1/conferences/{conf}/sessions/{session}": (positive_data_acceptance, STATE_OR_CROSS_FIELD),
    "PUT /api/v1/conferences/{conf}/sessions/{session}/speakers": (positive_data_acceptance, STATE_OR_CROSS_FIELD),
    "POST /api/v1/conferences/{conf}/sessions/status": (positive_data_acceptance, STATE_OR_CROSS_FIELD),
    "POST /api/v1/conferences/{conf}/registrations": (positive_data_acceptance, STATE_OR_CROSS_FIELD),
    "PATCH /api/v1/conferences/{conf}/registrations/{registration_id}": (
        positive_data_acceptance,
        STATE_OR_CROSS_FIELD,
    ),
    "PUT /api/v1/conferences/{conf}/registration-settings": (positive_data_acceptance, STATE_OR_CROSS_FIELD),
    "PATCH /api/v1/conferences/{conf}/registration-settings": (positive_data_acceptance, STATE_OR_CROSS_FIELD),
    "POST /api/v1/conferences/{conf}/registrations/{registration_id}/resend": (
        positive_data_acceptance,
        STATE_OR_CROSS_FIELD,
    ),
    # An announcement needs its texts in the conference's default language, both title and body.
    "POST /api/v1/conferences/{conf}/announcements": (positive_data_acceptance, STATE_OR_CROSS_FIELD),
    "PATCH /api/v1/conferences/{conf}/announcements/{announcement}": (positive_data_acceptance, STATE_OR_CROSS_FIELD),
    "POST /api/v1/conferences/{conf}/announcements/{announcement}/send": (
        positive_data_acceptance,
        STATE_OR_CROSS_FIELD,
    ),
    # Which addresses a webhook may use depends on the installation (https only, no private or
    # loopback address unless allowed) and on what the name resolves to.
    "POST /api/v1/conferences/{conf}/webhooks": (positive_data_acceptance, "address rules of the installation"),
    "PATCH /api/v1/conferences/{conf}/webhooks/{webhook_id}": (
        positive_data_acceptance,
        "address rules of the installation",
    ),
}

# Operations that undo the seed run last: the paths of every other operation name what they delete.
LAST = ("DELETE /api/v1/conferences/{conf}", "DELETE /api/v1/tokens/{token_id}")


@pytest.fixture
def asgi_client(app: Litestar) -> Iterator[asgi.ASGIClient]:
    """Schemathesis' ASGI client: the app on schemathesis' one event loop, its lifespan started."""
    with asgi.get_client(app) as client:
        yield client
    # The lifespan's shutdown disposes the engine on the loop its connections belong to.
    asgi.shutdown_lifespans()


def _ok(response: Any, status: int = 201) -> dict[str, Any]:
    assert response.status_code == status, response.text
    result: dict[str, Any] = response.json()
    return result


def _seed(client: asgi.ASGIClient, organiser: Organiser, other: Organiser) -> dict[str, Any]:
    """A published conference with one of everything; its path values."""
    headers = organiser.headers
    api = "/api/v1/conferences"
    _ok(client.post(api, json=conference_payload(), headers=headers))
    conf = f"{api}/climate-2027"
    _ok(client.post(f"{conf}/tracks", json={"slug": "ecology", "name": {"en": "Ecology"}}, headers=headers))
    _ok(client.post(f"{conf}/streams", json={"slug": "main", "name": "Main room"}, headers=headers))
    _ok(client.post(f"{conf}/speakers", json=speaker_payload(), headers=headers))
    session = session_payload(track="ecology", stream="main", speakers=[{"speaker": "alex-callinicos"}])
    _ok(client.post(f"{conf}/sessions", json=session, headers=headers))
    settings_ = registration_settings_payload(double_opt_in=False)
    _ok(client.put(f"{conf}/registration-settings", json=settings_, headers=headers), 200)
    _ok(client.post(f"{conf}/registrations", json=registration_payload()))
    registrations: Any = _ok(client.get(f"{conf}/registrations", headers=headers), 200)
    member = _ok(client.post(f"{conf}/members", json={"email": other.email}, headers=headers))
    # A token of its own for DELETE /tokens/{token_id}: the one the run uses stays valid.
    spare = _ok(client.post("/api/v1/tokens", json={"email": organiser.email, "password": PASSWORD, "name": "spare"}))
    return {
        "conf": "climate-2027",
        "track": "ecology",
        "stream": "main",
        "speaker": "alex-callinicos",
        "session": "limits-of-cop26",
        "registration_id": registrations[0]["id"],
        "member_id": member["id"],
        "token_id": spare["id"],
    }


def _check(operation: Any, mode: GenerationMode, client: asgi.ASGIClient, paths: dict[str, Any], token: str) -> None:
    parameters = {
        parameter.name: paths[parameter.name] for parameter in operation.path_parameters if parameter.name in paths
    }
    strategy = operation.as_strategy(generation_mode=mode, path_parameters=parameters)
    excluded = [EXCLUDED[operation.label][0]] if operation.label in EXCLUDED else []

    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        case.call_and_validate(session=client, headers={"Authorization": f"Bearer {token}"}, excluded_checks=excluded)

    run()


def test_api_conforms_to_its_openapi_document(
    app: Litestar, settings: Settings, organiser: Organiser, other_organiser: Organiser, asgi_client: asgi.ASGIClient
) -> None:
    paths = _seed(asgi_client, organiser, other_organiser)
    document = asgi_client.get("/schema/openapi.json").json()
    schema = schemathesis.openapi.from_dict(document)
    schema.app = app
    operations = [result.ok() for result in schema.get_all_operations()]
    operations.sort(key=lambda operation: operation.label in LAST)
    failures = []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _check(operation, mode, asgi_client, paths, organiser.token)
            except Unsatisfiable:
                pass  # Nothing of this operation can be invalid (a GET with its path values given).
            except (Exception, BaseExceptionGroup) as error:
                failures.append(f"{operation.label} [{mode.value}]: {error}")
    assert failures == [], "\n\n".join(failures)


async def test_openapi_documents_bodies_as_strictly_as_the_validators(client: AsyncTestClient[Litestar]) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    schemas = document["components"]["schemas"]

    def validator(name: str) -> Draft202012Validator:
        return Draft202012Validator({"$ref": f"#/components/schemas/{name}", "components": document["components"]})

    def model(body: dict[str, Any]) -> str:
        # A model, or a list of one (the session's speakers).
        reference: str = body.get("$ref") or body["items"]["$ref"]
        return reference.rsplit("/", 1)[-1]

    bodies = {
        model(operation["requestBody"]["content"]["application/json"]["schema"])
        for item in document["paths"].values()
        for operation in item.values()
        if "application/json" in operation.get("requestBody", {}).get("content", {})
    }
    assert len(bodies) >= 20
    # Every body refuses fields it does not know, as the models do (extra="forbid").
    assert {name for name in bodies if schemas[name].get("additionalProperties") is not False} == set()
    # The PATCH's colour has the pattern the POST has (it was a plain string).
    assert not validator("TrackUpdate").is_valid({"color": "red"})
    assert validator("TrackUpdate").is_valid({"color": "#12AB9f"})
    # A field that may be left out but not cleared is not nullable.
    assert not validator("ConferenceUpdate").is_valid({"title": None})
    assert validator("ConferenceUpdate").is_valid({"accent_color": None})
    # Zones, languages and countries: the validators' own lists.
    assert set(schemas["ZoneName"]["enum"]) == known_zones()
    assert set(schemas["LanguageCode"]["enum"]) == known_languages()
    assert set(schemas["CountryCode"]["enum"]) == known_countries()
    speaker = {"slug": "a", "name": "A", "country": "GB", "timezone": "Europe/London"}
    assert validator("SpeakerCreate").is_valid(speaker)
    assert not validator("SpeakerCreate").is_valid({**speaker, "timezone": "Mars/Olympus"})
    assert not validator("SpeakerCreate").is_valid({**speaker, "country": "XX"})
    assert not validator("SpeakerCreate").is_valid({**speaker, "links": [{"title": "x", "url": "ftp://x.org"}]})
    # One line: no control characters or line separators; the length counts once stripped.
    for refused in ("", "   ", "a\u2028b", "a\x00b", "a\nb", "x" * 301):
        assert not validator("StreamCreate").is_valid({"slug": "a", "name": refused}), repr(refused)
    for accepted in ("a", " a ", "a b", "x" * 300, " " + "x" * 300 + "\u3000"):
        assert validator("StreamCreate").is_valid({"slug": "a", "name": accepted}), repr(accepted)


async def test_an_error_of_the_csv_export_is_json(client: AsyncTestClient[Litestar]) -> None:
    answer = await client.get("/api/v1/conferences/x/registrations/export.csv")

    # It was labelled text/csv, the route's media type.
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/json"
