"""Bad input is a 4xx JSON answer naming the field, writes nothing, and is never a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest
from babel.localedata import locale_identifiers
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.factories import Organiser, conference_payload, post_ok, session_payload, speaker_payload

Client = AsyncTestClient[Litestar]
CONF = "/api/v1/conferences/climate-2027"
SESSION = f"{CONF}/sessions/limits-of-cop26"


async def build_programme(client: Client, organiser: Organiser) -> None:
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload())
    await post_ok(client, organiser, f"{CONF}/tracks", {"slug": "ecology", "name": {"en": "Ecology"}})
    await post_ok(client, organiser, f"{CONF}/streams", {"slug": "main", "name": "Main"})
    await post_ok(client, organiser, f"{CONF}/speakers", speaker_payload())
    await post_ok(client, organiser, f"{CONF}/sessions", session_payload(speakers=[{"speaker": "alex-callinicos"}]))


async def snapshot(client: Client, organiser: Organiser) -> list[Any]:
    """Everything the organiser can read about the conference, to prove nothing was written."""
    paths = [CONF, f"{CONF}/tracks", f"{CONF}/streams", f"{CONF}/speakers", f"{CONF}/sessions", "/api/v1/conferences"]
    return [(await client.get(path, headers=organiser.headers)).json() for path in paths]


def names_field(body: dict[str, Any], field: str) -> bool:
    keys = [str(item.get("key", "")) for item in body.get("extra") or [] if isinstance(item, dict)]
    return any(field in key for key in keys) or field in str(body.get("detail", ""))


LONG = "x" * 100_000
MANY_LANGUAGES = dict.fromkeys(sorted(c for c in locale_identifiers() if len(c) == 2)[:51], "T")

# (method, path, body, field named in the answer, expected status)
BadWrite = tuple[str, str, Any, str, int]
BAD_WRITES: list[BadWrite] = [
    # Conferences
    ("POST", "", conference_payload(slug="new", timezone="Mars/Base"), "timezone", 400),
    ("POST", "", conference_payload(slug="new", default_language="xx"), "default_language", 400),
    ("POST", "", conference_payload(slug="new", languages=["en", "xx"]), "languages", 400),
    ("POST", "", conference_payload(slug="new", ends_on="2027-11-13"), "ends_on", 400),
    ("POST", "", conference_payload(), "slug", 409),
    ("POST", "", conference_payload(slug="has spaces"), "slug", 400),
    ("POST", "", conference_payload(slug="UpperCase"), "slug", 400),
    ("POST", "", conference_payload(slug="new", title={"en": LONG}), "title", 400),
    ("POST", "", conference_payload(slug="new", title={"en": "Bad\x00title"}), "title", 400),
    ("POST", "", conference_payload(slug="new", title=42), "title", 400),
    ("POST", "", conference_payload(slug="new", title=MANY_LANGUAGES), "title", 400),
    ("POST", "", conference_payload(slug="new", starts_on="tomorrow"), "starts_on", 400),
    ("POST", "", conference_payload(slug="new", colour="red"), "colour", 400),
    ("POST", "", conference_payload(slug="new", title={"de": "Titel", "en": "Title"}), "title", 400),
    ("POST", "", conference_payload(slug="new", title={"ru": "Только по-русски"}), "title", 400),
    ("PATCH", "", {"timezone": "Mars/Base"}, "timezone", 400),
    ("PATCH", "", {"title": {"de": "Titel", "en": "Title"}}, "title", 400),
    ("PATCH", "", {"title": {"es": "Solo español"}}, "title", 400),
    ("PATCH", "", {"title": None}, "title", 400),
    ("PATCH", "", {"ends_on": "2027-11-01"}, "ends_on", 400),
    ("PATCH", "", {"description": {"en": "Bad\x00text"}}, "description", 400),
    # Tracks and streams
    ("POST", "/tracks", {"slug": "ecology", "name": {"en": "Again"}}, "slug", 409),
    ("POST", "/tracks", {"slug": "t2", "name": {"en": "T"}, "color": "green"}, "color", 400),
    ("POST", "/tracks", {"slug": "t2", "name": {"xx": "T"}}, "name", 400),
    ("PATCH", "/tracks/ecology", {"position": "first"}, "position", 400),
    ("POST", "/streams", {"slug": "main", "name": "Again"}, "slug", 409),
    ("POST", "/streams", {"slug": "s2", "name": "S", "meeting_url": "not a url"}, "meeting_url", 400),
    ("POST", "/streams", {"slug": "s2", "name": "Bad\x00name"}, "name", 400),
    ("PATCH", "/streams/main", {"name": None}, "name", 400),
    # Speakers
    ("POST", "/speakers", speaker_payload(slug="s2", country="XX"), "country", 400),
    ("POST", "/speakers", speaker_payload(slug="s2", country="United Kingdom"), "country", 400),
    ("POST", "/speakers", speaker_payload(slug="s2", timezone="Mars/Base"), "timezone", 400),
    ("POST", "/speakers", speaker_payload(), "slug", 409),
    ("POST", "/speakers", speaker_payload(slug="s2", name="Bad\x00name"), "name", 400),
    ("POST", "/speakers", speaker_payload(slug="s2", bio={"en": "Bad\x00bio"}), "bio", 400),
    ("POST", "/speakers", speaker_payload(slug="s2", bio={"de": "Biografie"}), "bio", 400),
    ("POST", "/speakers", speaker_payload(slug="s2", links=[{"title": "x", "url": "javascript:alert(1)"}]), "url", 400),
    ("PATCH", "/speakers/alex-callinicos", {"country": "ZZ"}, "country", 400),
    ("PATCH", "/speakers/alex-callinicos", {"name": LONG}, "name", 400),
    # Sessions
    ("POST", "/sessions", session_payload(slug="s2", ends_at="2027-11-14T10:00:00+00:00"), "ends_at", 400),
    ("POST", "/sessions", session_payload(slug="s2", ends_at="2027-11-14T09:00:00+00:00"), "ends_at", 400),
    (
        "POST",
        "/sessions",
        session_payload(slug="s2", starts_at="2027-11-20T10:00:00+00:00", ends_at="2027-11-20T11:00:00+00:00"),
        "starts_at",
        400,
    ),
    ("POST", "/sessions", session_payload(), "slug", 409),
    ("POST", "/sessions", session_payload(slug="s2", title={"en": LONG}), "title", 400),
    ("POST", "/sessions", session_payload(slug="s2", title={"en": "Bad\x00"}), "title", 400),
    ("POST", "/sessions", session_payload(slug="s2", title=12345), "title", 400),
    ("POST", "/sessions", session_payload(slug="s2", starts_at="tomorrow"), "starts_at", 400),
    ("POST", "/sessions", session_payload(slug="s2", capacity="ten"), "capacity", 400),
    ("POST", "/sessions", session_payload(slug="s2", capacity=0), "capacity", 400),
    ("POST", "/sessions", session_payload(slug="s2", capacity=-5), "capacity", 400),
    ("POST", "/sessions", session_payload(slug="s2", language="xx"), "language", 400),
    ("POST", "/sessions", session_payload(slug="s2", unknown_field=1), "unknown_field", 400),
    ("POST", "/sessions", session_payload(slug="s2", title={"en": "T", "de": "T"}), "title", 400),
    ("POST", "/sessions", session_payload(slug="s2", title={"es": "Sólo español"}), "title", 400),
    ("POST", "/sessions", session_payload(slug="s2", abstract={"en": "ok", "it": "no"}), "abstract", 400),
    ("POST", "/sessions", session_payload(slug="s2", track="no-such-track"), "track", 400),
    ("POST", "/sessions", session_payload(slug="s2", stream="no-such-stream"), "stream", 400),
    ("POST", "/sessions", session_payload(slug="s2", speakers=[{"speaker": "nobody"}]), "speakers", 400),
    (
        "POST",
        "/sessions",
        session_payload(slug="s2", speakers=[{"speaker": "alex-callinicos"}, {"speaker": "alex-callinicos"}]),
        "speakers",
        400,
    ),
    (
        "POST",
        "/sessions",
        session_payload(slug="s2", speakers=[{"speaker": "alex-callinicos", "role": "boss"}]),
        "role",
        400,
    ),
    ("POST", "/sessions", session_payload(slug="s2", kind="lecture"), "kind", 400),
    ("POST", "/sessions", session_payload(slug="s2", starts_at="9999-12-31T23:00:00-10:00"), "starts_at", 400),
    ("PATCH", "/sessions/limits-of-cop26", {"ends_at": "2027-11-14T09:00:00+00:00"}, "ends_at", 400),
    ("PATCH", "/sessions/limits-of-cop26", {"capacity": 0}, "capacity", 400),
    ("PATCH", "/sessions/limits-of-cop26", {"title": None}, "title", 400),
    ("PATCH", "/sessions/limits-of-cop26", {"track": "no-such-track"}, "track", 400),
    ("PATCH", "/sessions/limits-of-cop26", {"title": {"en": "T"}, "slug": "renamed"}, "slug", 400),
    ("PUT", "/sessions/limits-of-cop26/speakers", [{"speaker": "nobody"}], "speakers", 400),
    (
        "PUT",
        "/sessions/limits-of-cop26/speakers",
        [{"speaker": "alex-callinicos"}, {"speaker": "alex-callinicos", "role": "chair"}],
        "speakers",
        400,
    ),
    ("PUT", "/sessions/limits-of-cop26/speakers", {"speaker": "alex-callinicos"}, "", 400),
    # Members
    ("POST", "/members", {"email": "not-an-email"}, "email", 400),
    ("POST", "/members", {"email": "nobody@example.org"}, "email", 400),
    ("POST", "/members", {"email": "ada@example.org", "role": "king"}, "role", 400),
]


async def check_bad_writes(client: Client, organiser: Organiser, cases: list[BadWrite]) -> None:
    """Send each bad write; list every case whose answer is not as expected, or that wrote something."""
    await build_programme(client, organiser)
    before = await snapshot(client, organiser)
    wrong = []
    for method, path, body, field, status in cases:
        url = "/api/v1/conferences" if (method == "POST" and path == "") else f"{CONF}{path}"
        response = await client.request(method, url, json=body, headers=organiser.headers)
        is_json = response.headers.get("content-type", "").startswith("application/json")
        if response.status_code != status or not is_json or not names_field(response.json(), field):
            wrong.append((method, path, field, response.status_code, response.text[:300]))
    after = await snapshot(client, organiser)

    assert wrong == []
    assert after == before


async def test_bad_input_conference_rejected(client: Client, organiser: Organiser) -> None:
    await check_bad_writes(client, organiser, [case for case in BAD_WRITES if case[1] == ""])


async def test_bad_input_track_and_stream_rejected(client: Client, organiser: Organiser) -> None:
    cases = [case for case in BAD_WRITES if case[1].startswith(("/tracks", "/streams"))]
    await check_bad_writes(client, organiser, cases)


async def test_bad_input_speaker_rejected(client: Client, organiser: Organiser) -> None:
    await check_bad_writes(client, organiser, [case for case in BAD_WRITES if case[1].startswith("/speakers")])


async def test_bad_input_session_rejected(client: Client, organiser: Organiser) -> None:
    await check_bad_writes(client, organiser, [case for case in BAD_WRITES if case[1].startswith("/sessions")])


async def test_bad_input_member_rejected(client: Client, organiser: Organiser) -> None:
    await check_bad_writes(client, organiser, [case for case in BAD_WRITES if case[1].startswith("/members")])


async def test_bad_input_malformed_json_is_400(client: Client, organiser: Organiser) -> None:
    await build_programme(client, organiser)
    before = await snapshot(client, organiser)
    headers = {**organiser.headers, "Content-Type": "application/json"}
    targets = [
        ("POST", "/api/v1/conferences"),
        ("PATCH", CONF),
        ("POST", f"{CONF}/sessions"),
        ("PUT", f"{CONF}/sessions/limits-of-cop26/speakers"),
        ("POST", "/api/v1/tokens"),
    ]
    raws = [b'{"slug": "x",', b"not json at all", b"", b"\xff\xfe", b"[1, 2"]

    statuses = [
        (method, path, raw, (await client.request(method, path, content=raw, headers=headers)).status_code)
        for method, path in targets
        for raw in raws
    ]

    assert statuses == [(method, path, raw, 400) for method, path in targets for raw in raws]
    assert await snapshot(client, organiser) == before


@pytest.mark.parametrize("email", ["ada\x00@example.org", "a" * 400 + "@example.org", "ada@example.org\n", 42])
async def test_bad_input_token_request_is_4xx_not_500(client: Client, organiser: Organiser, email: Any) -> None:
    response = await client.post("/api/v1/tokens", json={"email": email, "password": "x"})

    assert response.status_code in {400, 401}, response.text
    assert response.json()["status_code"] == response.status_code


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/conferences/bad%00slug",
        f"{CONF}/sessions/bad%00slug",
        f"{CONF}/speakers/bad%00slug",
        f"{CONF}/tracks/bad%00slug",
        f"{CONF}/streams/bad%00slug",
        "/api/v1/conferences/" + "x" * 5000,
    ],
)
async def test_bad_input_nul_in_path_is_404_not_500(client: Client, organiser: Organiser, path: str) -> None:
    await build_programme(client, organiser)

    public = await client.get(path)
    write = await client.patch(path, json={}, headers=organiser.headers)

    assert public.status_code == 404, public.text
    assert write.status_code == 404, write.text


async def test_bad_input_nul_in_member_email_is_400(client: Client, organiser: Organiser) -> None:
    await build_programme(client, organiser)

    response = await client.post(f"{CONF}/members", json={"email": "grace\x00@example.org"}, headers=organiser.headers)

    assert response.status_code == 400, response.text
    assert names_field(response.json(), "email")


# Text round-trips as data

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)> & &amp; \' "'
CYRILLIC = "Революционная альтернатива — «ёлка»"
ACCENTED = "Çà et là: São Paulo, Zürich, Ñandú, Œuvre"


async def test_text_html_and_unicode_round_trip_unchanged(client: Client, organiser: Organiser) -> None:
    await build_programme(client, organiser)
    title = {"en": HOSTILE, "ru": CYRILLIC, "fr": ACCENTED}

    speaker = await post_ok(
        client,
        organiser,
        f"{CONF}/speakers",
        speaker_payload(slug="hostile", name=HOSTILE, bio={"ru": CYRILLIC, "fr": ACCENTED}),
    )
    # The speaker has a public session, so the public API shows them (announced speakers only).
    session = await post_ok(
        client,
        organiser,
        f"{CONF}/sessions",
        session_payload(
            slug="hostile",
            title=title,
            abstract={"en": HOSTILE + "\n\n" + CYRILLIC},
            speakers=[{"speaker": "hostile"}],
        ),
    )
    track = await post_ok(client, organiser, f"{CONF}/tracks", {"slug": "t2", "name": {"ru": CYRILLIC, "en": HOSTILE}})
    stream = await post_ok(client, organiser, f"{CONF}/streams", {"slug": "s2", "name": ACCENTED})
    public_session = await client.get(f"{CONF}/sessions/hostile")
    public_speaker = await client.get(f"{CONF}/speakers/hostile")

    assert session["title"] == title
    assert public_session.json()["title"] == title
    assert public_session.json()["abstract"] == {"en": HOSTILE + "\n\n" + CYRILLIC}
    assert speaker["name"] == HOSTILE
    assert public_speaker.json()["name"] == HOSTILE
    assert public_speaker.json()["bio"] == {"ru": CYRILLIC, "fr": ACCENTED}
    assert track["name"] == {"ru": CYRILLIC, "en": HOSTILE}
    assert stream["name"] == ACCENTED
    assert public_session.headers["content-type"] == "application/json"
    assert json.loads(public_session.content.decode("utf-8"))["title"]["ru"] == CYRILLIC
