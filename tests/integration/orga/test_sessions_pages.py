"""/orga/{conf}/sessions/: the list with its filters and bulk status, the session form (speakers
in order, times in the conference's zone, the secret meeting URL), deleting, and the bulk
status in the API. Every refused form shows its message next to the field and writes nothing."""

from __future__ import annotations

import html
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from confman.db.models import Conference, ConferenceSession
from confman.settings import Settings
from tests.factories import Organiser, conference_payload, database, post_ok, session_payload, speaker_payload
from tests.orga import csrf_token, post_form, sign_in

CONF = "climate-2027"
API = f"/api/v1/conferences/{CONF}"
SESSIONS = f"/orga/{CONF}/sessions/"
NEW = f"/orga/{CONF}/sessions/new"
SECRET = "https://meet.example.org/secret-room-4711"


def edit_path(slug: str) -> str:
    return f"/orga/{CONF}/sessions/{slug}/edit"


async def _conference(client: AsyncTestClient[Litestar], organiser: Organiser) -> None:
    """São Paulo (UTC−3 all year) so that wall-clock and UTC differ; two tracks, two streams, three speakers."""
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload(timezone="America/Sao_Paulo"))
    for slug, name in (("ecology", {"en": "Ecology", "ru": "Экология"}), ("strategy", {"en": "Strategy"})):
        await post_ok(client, organiser, f"{API}/tracks", {"slug": slug, "name": name})
    for slug in ("main", "second"):
        await post_ok(client, organiser, f"{API}/streams", {"slug": slug, "name": slug.title()})
    await post_ok(client, organiser, f"{API}/speakers", speaker_payload())
    await post_ok(
        client,
        organiser,
        f"{API}/speakers",
        speaker_payload(slug="sabrina-fernandez", name="Sabrina Fernandez", country="BR"),
    )
    await post_ok(
        client,
        organiser,
        f"{API}/speakers",
        speaker_payload(slug="erima-dall", name="Erima Dall", country="AU", timezone="Australia/Sydney"),
    )


async def _signed_in_with_conference(client: AsyncTestClient[Litestar], organiser: Organiser) -> None:
    await _conference(client, organiser)
    assert (await sign_in(client, organiser.email)).status_code == 303


def _form(**overrides: Any) -> dict[str, Any]:
    """A complete session form as a browser sends it."""
    data: dict[str, Any] = {
        "slug": "limits-of-cop26",
        "title.en": "The Limits of COP26",
        "title.es": "",
        "title.fr": "",
        "title.ru": "",
        "abstract.en": "",
        "abstract.es": "",
        "abstract.fr": "",
        "abstract.ru": "",
        "kind": "talk",
        "language": "en",
        "track": "",
        "stream": "",
        "starts_at": "2027-11-14T10:00",
        "duration": "60",
        "ends_at": "",
        "status": "draft",
        "capacity": "",
        "meeting_url": "",
        "recording_url": "",
    }
    for row in range(3):
        data.update(
            {
                f"speakers[{row}].speaker": "",
                f"speakers[{row}].role": "speaker",
                f"speakers[{row}].position": str(row + 1),
            }
        )
    data.update(overrides)
    return data


async def _session(client: AsyncTestClient[Litestar], organiser: Organiser, slug: str) -> dict[str, Any]:
    answer = await client.get(f"{API}/sessions/{slug}", headers=organiser.headers)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


async def _version(settings: Settings) -> int:
    async with database(settings) as db:
        return int(await db.scalar(select(Conference.programme_version).where(Conference.slug == CONF)) or 0)


async def _session_rows(settings: Settings) -> list[tuple[str, str, int]]:
    async with database(settings) as db:
        rows = await db.execute(
            select(ConferenceSession.slug, ConferenceSession.status, ConferenceSession.revision).order_by(
                ConferenceSession.slug
            )
        )
        return [(slug, status.value, revision) for slug, status, revision in rows.tuples()]


def _error_of(page: str, field: str) -> str:
    """The message shown next to ``field`` (its ``…-error`` paragraph), unescaped."""
    marker = f'id="{field}-error">'
    assert marker in page, f"no message next to {field}"
    start = page.index(marker) + len(marker)
    return html.unescape(page[start : page.index("</p>", start)])


# --- creating and editing ------------------------------------------------------------------


async def test_new_session_keeps_two_speakers_in_order_with_their_roles(
    client: AsyncTestClient[Litestar], organiser: Organiser, settings: Settings
) -> None:
    await _signed_in_with_conference(client, organiser)
    before = await _version(settings)
    answer = await post_form(
        client,
        NEW,
        NEW,
        _form(
            **{
                "title.ru": "Пределы COP26",
                "abstract.en": "Why **markets** fail.",
                "kind": "panel",
                "language": "pt",
                "track": "ecology",
                "stream": "main",
                "capacity": "40",
                "recording_url": "https://video.example.org/cop26",
                # Positions decide the order, not the rows: the chair comes first.
                "speakers[0].speaker": "alex-callinicos",
                "speakers[0].role": "speaker",
                "speakers[0].position": "2",
                "speakers[1].speaker": "sabrina-fernandez",
                "speakers[1].role": "chair",
                "speakers[1].position": "1",
            }
        ),
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == edit_path("limits-of-cop26")
    session = await _session(client, organiser, "limits-of-cop26")
    assert [(s["slug"], s["role"]) for s in session["speakers"]] == [
        ("sabrina-fernandez", "chair"),
        ("alex-callinicos", "speaker"),
    ]
    assert session["title"] == {"en": "The Limits of COP26", "ru": "Пределы COP26"}
    assert session["abstract"] == {"en": "Why **markets** fail."}
    # Wall-clock time in the conference's zone (São Paulo, UTC−3).
    assert session["starts_at"] == "2027-11-14T10:00:00-03:00"
    assert session["ends_at"] == "2027-11-14T11:00:00-03:00"
    assert (session["kind"], session["language"], session["track"], session["stream"]) == (
        "panel",
        "pt",
        "ecology",
        "main",
    )
    assert (session["status"], session["capacity"], session["meeting_url"]) == ("draft", 40, None)
    assert session["recording_url"] == "https://video.example.org/cop26"
    assert await _version(settings) == before + 1
    page = await client.get(answer.headers["location"])
    assert "The session was created." in page.text
    assert 'value="2027-11-14T10:00"' in page.text
    assert 'name="duration" type="number" value="60"' in page.text


async def test_editing_reorders_speakers_and_changes_their_roles(
    client: AsyncTestClient[Litestar], organiser: Organiser, settings: Settings
) -> None:
    await _signed_in_with_conference(client, organiser)
    speakers = [{"speaker": "alex-callinicos"}, {"speaker": "sabrina-fernandez", "role": "moderator"}]
    await post_ok(client, organiser, f"{API}/sessions", session_payload(speakers=speakers))
    path = edit_path("limits-of-cop26")
    page = await client.get(path)
    assert page.status_code == 200
    # The stored order, numbered.
    assert page.text.index('value="alex-callinicos" selected') < page.text.index('value="sabrina-fernandez" selected')
    before = await _version(settings)
    answer = await post_form(
        client,
        path,
        path,
        _form(
            status="confirmed",
            starts_at="2027-11-14T07:00",
            duration="90",
            **{
                "speakers[0].speaker": "alex-callinicos",
                "speakers[0].role": "chair",
                "speakers[0].position": "3",
                "speakers[1].speaker": "sabrina-fernandez",
                "speakers[1].role": "moderator",
                "speakers[1].position": "1",
                "speakers[2].speaker": "erima-dall",
                "speakers[2].position": "2",
            },
        ),
    )
    assert answer.status_code == 303
    session = await _session(client, organiser, "limits-of-cop26")
    assert [(s["slug"], s["role"]) for s in session["speakers"]] == [
        ("sabrina-fernandez", "moderator"),
        ("erima-dall", "speaker"),
        ("alex-callinicos", "chair"),
    ]
    assert session["revision"] == 1
    assert await _version(settings) == before + 1


async def test_move_buttons_without_javascript_reorder_the_form_and_save_nothing(
    client: AsyncTestClient[Litestar], organiser: Organiser, settings: Settings
) -> None:
    await _signed_in_with_conference(client, organiser)
    speakers = [{"speaker": "alex-callinicos"}, {"speaker": "sabrina-fernandez"}]
    await post_ok(client, organiser, f"{API}/sessions", session_payload(speakers=speakers))
    path = edit_path("limits-of-cop26")
    before = (await _version(settings), await _session_rows(settings))
    answer = await post_form(
        client,
        path,
        path,
        _form(
            status="confirmed",
            move="1:up",
            **{"speakers[0].speaker": "alex-callinicos", "speakers[1].speaker": "sabrina-fernandez"},
        ),
    )
    assert answer.status_code == 200
    assert "Nothing is saved until you press" in answer.text
    assert answer.text.index('value="sabrina-fernandez" selected') < answer.text.index(
        'value="alex-callinicos" selected'
    )
    assert (await _version(settings), await _session_rows(settings)) == before
    stored = await _session(client, organiser, "limits-of-cop26")
    assert [s["slug"] for s in stored["speakers"]] == ["alex-callinicos", "sabrina-fernandez"]


async def test_an_unchanged_save_raises_nothing(
    client: AsyncTestClient[Litestar], organiser: Organiser, settings: Settings
) -> None:
    await _signed_in_with_conference(client, organiser)
    await post_ok(
        client,
        organiser,
        f"{API}/sessions",
        session_payload(speakers=[{"speaker": "alex-callinicos"}], track="ecology"),
    )
    before = (await _version(settings), await _session_rows(settings))
    path = edit_path("limits-of-cop26")
    answer = await post_form(
        client,
        path,
        path,
        _form(
            **{
                "title.en": "The Limits of COP26 and Capitalist Solutions",
                "status": "confirmed",
                "starts_at": "2027-11-14T07:00",
                "duration": "90",
                "track": "ecology",
                "speakers[0].speaker": "alex-callinicos",
            }
        ),
    )
    assert answer.status_code == 303
    assert (await _version(settings), await _session_rows(settings)) == before


async def test_warnings_show_on_the_session_form_and_in_the_list(
    client: AsyncTestClient[Litestar], organiser: Organiser
) -> None:
    await _signed_in_with_conference(client, organiser)
    # 11:00 in São Paulo is 01:00 the next day in Sydney; the second session books her twice.
    for slug in ("limits-of-cop26", "climate-jobs"):
        payload = session_payload(
            slug=slug,
            title={"en": slug.replace("-", " ").title()},
            starts_at="2027-11-14T11:00:00",
            ends_at="2027-11-14T12:00:00",
            speakers=[{"speaker": "erima-dall"}],
        )
        await post_ok(client, organiser, f"{API}/sessions", payload)
    page = html.unescape((await client.get(edit_path("limits-of-cop26"))).text)
    assert "Warnings" in page
    assert "Erima Dall speaks at night in their zone: 01:00–02:00 Australia/Sydney" in page
    assert "Erima Dall is also in “Climate Jobs” at the same time" in page
    listed = html.unescape((await client.get(SESSIONS)).text)
    assert "Erima Dall is also in “Limits Of Cop26” at the same time" in listed


async def test_deleting_asks_first_then_removes_the_session(
    client: AsyncTestClient[Litestar], organiser: Organiser, settings: Settings
) -> None:
    await _signed_in_with_conference(client, organiser)
    await post_ok(client, organiser, f"{API}/sessions", session_payload())
    path = f"/orga/{CONF}/sessions/limits-of-cop26/delete"
    confirm = await client.get(path)
    assert confirm.status_code == 200
    assert "This cannot be undone." in confirm.text
    assert await _session_rows(settings) == [("limits-of-cop26", "confirmed", 0)]
    before = await _version(settings)
    answer = await client.post(path, data={"_csrf_token": csrf_token(confirm.text)}, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == SESSIONS
    assert await _session_rows(settings) == []
    assert await _version(settings) == before + 1
    assert (await client.get(path)).status_code == 404


# --- the meeting URL -----------------------------------------------------------------------


async def test_meeting_url_is_never_shown_and_an_empty_field_keeps_it(
    client: AsyncTestClient[Litestar], organiser: Organiser, settings: Settings
) -> None:
    await _signed_in_with_conference(client, organiser)
    answer = await post_form(client, NEW, NEW, _form(meeting_url=SECRET, status="confirmed"))
    assert answer.status_code == 303
    assert (await _session(client, organiser, "limits-of-cop26"))["meeting_url"] == SECRET
    path = edit_path("limits-of-cop26")
    for page_path in (path, SESSIONS, NEW, f"/orga/{CONF}/sessions/limits-of-cop26/delete"):
        page = await client.get(page_path)
        assert page.status_code == 200
        assert "secret-room" not in page.text
    assert "This session has its own meeting URL." in html.unescape((await client.get(path)).text)
    # Saved with the field left empty: kept.
    assert (
        await post_form(client, path, path, _form(status="confirmed", **{"title.en": "Renamed"}))
    ).status_code == 303
    session = await _session(client, organiser, "limits-of-cop26")
    assert (session["title"], session["meeting_url"]) == ({"en": "Renamed"}, SECRET)
    # A new one replaces it; "remove" clears it.
    other = "https://meet.example.org/another-room"
    assert (await post_form(client, path, path, _form(status="confirmed", meeting_url=other))).status_code == 303
    assert (await _session(client, organiser, "limits-of-cop26"))["meeting_url"] == other
    answer = await post_form(client, path, path, _form(status="confirmed", remove_meeting_url="on"))
    assert answer.status_code == 303
    assert (await _session(client, organiser, "limits-of-cop26"))["meeting_url"] is None


# --- the list: filters and bulk status -----------------------------------------------------


async def _three_drafts_and_a_confirmed(client: AsyncTestClient[Litestar], organiser: Organiser) -> None:
    sessions = [
        session_payload(
            slug="one",
            title={"en": "Marxism and Nature", "ru": "Марксизм и природа"},
            status="draft",
            track="ecology",
            stream="main",
        ),
        session_payload(slug="two", title={"en": "Climate Jobs"}, status="draft", track="strategy", stream="second"),
        session_payload(slug="three", title={"en": "After COP26"}, status="draft", stream="main"),
        session_payload(slug="four", title={"en": "The Limits of COP26"}, status="confirmed", track="ecology"),
    ]
    for payload in sessions:
        await post_ok(client, organiser, f"{API}/sessions", payload)


def _listed(page: str) -> list[str]:
    return [slug for slug in ("one", "two", "three", "four") if f'name="sessions" value="{slug}"' in page]


FILTERS = [
    ("", ["one", "two", "three", "four"]),
    ("?status=draft", ["one", "two", "three"]),
    ("?status=confirmed", ["four"]),
    ("?track=ecology", ["one", "four"]),
    ("?track=-", ["three"]),
    ("?stream=main", ["one", "three"]),
    ("?stream=-", ["four"]),
    ("?q=cop26", ["three", "four"]),
    ("?q=%D0%BF%D1%80%D0%B8%D1%80%D0%BE%D0%B4%D0%B0", ["one"]),  # "природа"
    ("?status=draft&stream=main&q=after", ["three"]),
    ("?status=nonsense", ["one", "two", "three", "four"]),
    ("?track=nowhere", []),
]


async def test_list_filters_by_status_track_stream_and_title(
    client: AsyncTestClient[Litestar], organiser: Organiser
) -> None:
    await _signed_in_with_conference(client, organiser)
    await _three_drafts_and_a_confirmed(client, organiser)
    for query, expected in FILTERS:
        page = await client.get(SESSIONS + query)
        assert page.status_code == 200, query
        assert _listed(page.text) == expected, query


async def test_list_shows_each_session_with_its_start_in_the_conference_zone(
    client: AsyncTestClient[Litestar], organiser: Organiser
) -> None:
    await _signed_in_with_conference(client, organiser)
    await post_ok(
        client,
        organiser,
        f"{API}/sessions",
        session_payload(track="ecology", stream="main", speakers=[{"speaker": "alex-callinicos"}]),
    )
    page = await client.get(SESSIONS)
    assert "Start (America/Sao_Paulo)" in page.text
    assert '<time datetime="2027-11-14T07:00:00-03:00">' in page.text
    assert "Alex Callinicos" in page.text
    assert "Ecology" in page.text
    assert "Confirmed" in page.text


async def test_bulk_confirm_of_three_drafts_raises_the_programme_version_once(
    client: AsyncTestClient[Litestar], organiser: Organiser, settings: Settings
) -> None:
    await _signed_in_with_conference(client, organiser)
    await _three_drafts_and_a_confirmed(client, organiser)
    before = await _version(settings)
    answer = await post_form(
        client,
        SESSIONS + "?status=draft",
        f"/orga/{CONF}/sessions/status",
        {"sessions": ["one", "two", "three"], "status": "confirmed", "back": "status=draft"},
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == SESSIONS + "?status=draft"
    assert await _session_rows(settings) == [
        ("four", "confirmed", 0),
        ("one", "confirmed", 1),
        ("three", "confirmed", 1),
        ("two", "confirmed", 1),
    ]
    assert await _version(settings) == before + 1
    page = await client.get(answer.headers["location"])
    assert "The selected sessions are confirmed." in page.text
    assert _listed(page.text) == []


async def test_bulk_cancel_and_back_to_draft(
    client: AsyncTestClient[Litestar], organiser: Organiser, settings: Settings
) -> None:
    await _signed_in_with_conference(client, organiser)
    await _three_drafts_and_a_confirmed(client, organiser)
    action = f"/orga/{CONF}/sessions/status"
    assert (
        await post_form(client, SESSIONS, action, {"sessions": ["four", "one"], "status": "cancelled"})
    ).status_code == 303
    assert (await post_form(client, SESSIONS, action, {"sessions": ["one"], "status": "draft"})).status_code == 303
    assert await _session_rows(settings) == [
        ("four", "cancelled", 1),
        ("one", "draft", 2),
        ("three", "draft", 0),
        ("two", "draft", 0),
    ]


BULK_REFUSALS = [
    ({"status": "confirmed"}, "Select at least one session."),
    ({"sessions": ["one", "gone"], "status": "confirmed"}, "This session no longer exists; reload the page."),
    ({"sessions": ["one"], "status": "published"}, "Please check this value."),
]


async def test_bulk_status_refusals_change_nothing(
    client: AsyncTestClient[Litestar], organiser: Organiser, settings: Settings
) -> None:
    await _signed_in_with_conference(client, organiser)
    await _three_drafts_and_a_confirmed(client, organiser)
    before = (await _version(settings), await _session_rows(settings))
    for data, message in BULK_REFUSALS:
        answer = await post_form(client, SESSIONS, f"/orga/{CONF}/sessions/status", data)
        assert answer.status_code == 400, data
        assert message in html.unescape(answer.text), data
        assert (await _version(settings), await _session_rows(settings)) == before, data


async def test_api_bulk_status_confirms_in_one_programme_change(
    client: AsyncTestClient[Litestar], organiser: Organiser, settings: Settings
) -> None:
    await _conference(client, organiser)
    await _three_drafts_and_a_confirmed(client, organiser)
    before = await _version(settings)
    answer = await client.post(
        f"{API}/sessions/status",
        json={"sessions": ["two", "one", "four", "two"], "status": "confirmed"},
        headers=organiser.headers,
    )
    assert answer.status_code == 200, answer.text
    assert [(s["slug"], s["status"], s["revision"]) for s in answer.json()] == [
        ("two", "confirmed", 1),
        ("one", "confirmed", 1),
        ("four", "confirmed", 0),
    ]
    assert await _version(settings) == before + 1
    # Nothing to change: no new version.
    again = await client.post(
        f"{API}/sessions/status", json={"sessions": ["four"], "status": "confirmed"}, headers=organiser.headers
    )
    assert again.status_code == 200
    assert await _version(settings) == before + 1


async def test_api_bulk_status_with_an_unknown_session_names_it_and_writes_nothing(
    client: AsyncTestClient[Litestar], organiser: Organiser, settings: Settings
) -> None:
    await _conference(client, organiser)
    await _three_drafts_and_a_confirmed(client, organiser)
    before = (await _version(settings), await _session_rows(settings))
    for unknown in ["gone", "Not A Slug", "x" * 200]:
        answer = await client.post(
            f"{API}/sessions/status",
            json={"sessions": ["one", unknown, "two"], "status": "confirmed"},
            headers=organiser.headers,
        )
        assert answer.status_code == 400, unknown
        assert [(e["key"], e["code"]) for e in answer.json()["extra"]] == [("sessions[1]", "unknown_session")]
        assert (await _version(settings), await _session_rows(settings)) == before


async def test_api_bulk_status_is_for_members_only(
    client: AsyncTestClient[Litestar], organiser: Organiser, other_organiser: Organiser, settings: Settings
) -> None:
    await _conference(client, organiser)
    await _three_drafts_and_a_confirmed(client, organiser)
    before = await _session_rows(settings)
    body = {"sessions": ["one"], "status": "confirmed"}
    assert (await client.post(f"{API}/sessions/status", json=body)).status_code == 401
    assert (await client.post(f"{API}/sessions/status", json=body, headers=other_organiser.headers)).status_code == 404
    assert (
        await client.post(
            f"{API}/sessions/status", json={"sessions": [], "status": "confirmed"}, headers=organiser.headers
        )
    ).status_code == 400
    assert await _session_rows(settings) == before


# --- bad input -----------------------------------------------------------------------------


BAD_INPUT = [
    pytest.param({"title.en": ""}, "title.en", "Fill this in in the conference's default language.", id="empty-title"),
    pytest.param({"title.en": "x" * 301}, "title.en", "This is too long.", id="long-title"),
    pytest.param({"title.en": "a" * 200_000}, "title.en", "This is too long.", id="huge-title"),
    pytest.param({"track": "nowhere"}, "track", "Choose a track from the list.", id="unknown-track"),
    pytest.param({"stream": "nowhere"}, "stream", "Choose a stream from the list.", id="unknown-stream"),
    pytest.param({"kind": "lecture"}, "kind", "Please check this value.", id="unknown-kind"),
    pytest.param({"language": "xx-99"}, "language", "Please check this value.", id="unknown-language"),
    pytest.param({"status": "published"}, "status", "Please check this value.", id="unknown-status"),
    pytest.param({"starts_at": ""}, "starts_at", "This field is required.", id="no-start"),
    pytest.param({"starts_at": "tomorrow"}, "starts_at", "Enter a date and time.", id="bad-start"),
    pytest.param(
        {"starts_at": "2027-11-20T10:00"}, "starts_at", "This falls outside the conference's days.", id="outside"
    ),
    pytest.param({"ends_at": "2027-11-14T09:00"}, "ends_at", "This must come after the start.", id="end-before-start"),
    pytest.param({"ends_at": "2027-11-14T10:00"}, "ends_at", "This must come after the start.", id="end-at-start"),
    pytest.param({"ends_at": "soon"}, "ends_at", "Enter a date and time.", id="bad-end"),
    pytest.param({"duration": "0"}, "duration", "This number is too small.", id="duration-0"),
    pytest.param({"duration": "-30"}, "duration", "This number is too small.", id="duration-negative"),
    pytest.param({"duration": "1441"}, "duration", "This number is too large.", id="duration-over-a-day"),
    pytest.param({"duration": "an hour"}, "duration", "Enter a whole number.", id="duration-text"),
    pytest.param({"duration": ""}, "duration", "This field is required.", id="no-length"),
    pytest.param({"capacity": "-1"}, "capacity", "This number is too small.", id="capacity-negative"),
    pytest.param({"capacity": "0"}, "capacity", "This number is too small.", id="capacity-0"),
    pytest.param({"capacity": "many"}, "capacity", "Enter a whole number.", id="capacity-text"),
    pytest.param(
        {"recording_url": "not a url"},
        "recording_url",
        "Enter a web address starting with https://.",
        id="bad-recording",
    ),
    pytest.param(
        {"meeting_url": "javascript:alert(1)"},
        "meeting_url",
        "Enter a web address starting with https://.",
        id="bad-meeting",
    ),
    pytest.param(
        {"speakers[0].speaker": "nobody"},
        "speakers[0].speaker",
        "Choose a speaker from the list.",
        id="unknown-speaker",
    ),
    pytest.param(
        {"speakers[0].speaker": "erima-dall", "speakers[1].speaker": "erima-dall"},
        "speakers[1].speaker",
        "This speaker is listed twice.",
        id="speaker-twice",
    ),
    pytest.param(
        {"speakers[0].speaker": "erima-dall", "speakers[0].role": "boss"},
        "speakers[0].role",
        "Please check this value.",
        id="bad-role",
    ),
    pytest.param(
        {"speakers[0].speaker": "erima-dall", "speakers[0].position": "first"},
        "speakers[0].position",
        "Enter a whole number.",
        id="bad-position",
    ),
]


async def test_bad_input_on_edit_shows_its_message_next_to_the_field_and_changes_nothing(
    client: AsyncTestClient[Litestar], organiser: Organiser, settings: Settings
) -> None:
    await _signed_in_with_conference(client, organiser)
    await post_ok(client, organiser, f"{API}/sessions", session_payload(speakers=[{"speaker": "alex-callinicos"}]))
    before = (await _version(settings), await _session(client, organiser, "limits-of-cop26"))
    path = edit_path("limits-of-cop26")
    for case in BAD_INPUT:
        changes, field, message = case.values
        answer = await post_form(client, path, path, _form(**{"status": "confirmed", **changes}))
        assert answer.status_code == 400, case.id
        assert answer.headers["cache-control"] == "no-store"
        assert _error_of(answer.text, field) == message, case.id
        assert f'aria-describedby="{field}-error' in answer.text, case.id
        assert "Please correct the fields marked below." in answer.text
        assert (await _version(settings), await _session(client, organiser, "limits-of-cop26")) == before, case.id


async def test_bad_input_on_create_shows_its_message_next_to_the_field_and_creates_nothing(
    client: AsyncTestClient[Litestar], organiser: Organiser, settings: Settings
) -> None:
    await _signed_in_with_conference(client, organiser)
    before = await _version(settings)
    for case in BAD_INPUT:
        changes, field, message = case.values
        answer = await post_form(client, NEW, NEW, _form(**changes))
        assert answer.status_code == 400, case.id
        assert _error_of(answer.text, field) == message, case.id
        assert await _session_rows(settings) == [], case.id
        assert await _version(settings) == before, case.id


BAD_SLUGS = [
    ("", "This field is required."),
    ("Not a slug!", "Use lower-case letters, digits and hyphens."),
    ("taken", "This is already taken."),
]


async def test_bad_slug_on_create_is_refused(
    client: AsyncTestClient[Litestar], organiser: Organiser, settings: Settings
) -> None:
    await _signed_in_with_conference(client, organiser)
    await post_ok(client, organiser, f"{API}/sessions", session_payload(slug="taken"))
    before = (await _version(settings), await _session_rows(settings))
    for slug, message in BAD_SLUGS:
        answer = await post_form(client, NEW, NEW, _form(slug=slug))
        assert answer.status_code == 400, slug
        assert _error_of(answer.text, "slug") == message, slug
        assert (await _version(settings), await _session_rows(settings)) == before


async def test_a_refused_form_keeps_what_was_entered(client: AsyncTestClient[Litestar], organiser: Organiser) -> None:
    await _signed_in_with_conference(client, organiser)
    answer = await post_form(
        client,
        NEW,
        NEW,
        _form(
            duration="0",
            **{
                "title.ru": "Пределы роста",
                "abstract.fr": "Les limites",
                "speakers[0].speaker": "erima-dall",
                "speakers[0].role": "chair",
            },
        ),
    )
    assert answer.status_code == 400
    assert 'value="Пределы роста"' in answer.text
    assert ">Les limites</textarea>" in answer.text
    assert 'value="erima-dall" selected' in answer.text
    assert 'value="chair" selected' in answer.text


async def test_markup_in_titles_is_escaped_and_cyrillic_round_trips(
    client: AsyncTestClient[Litestar], organiser: Organiser
) -> None:
    await _signed_in_with_conference(client, organiser)
    title = '<script>alert("x")</script> Ёлки & <b>зелёные</b>'
    answer = await post_form(client, NEW, NEW, _form(**{"title.en": title, "title.ru": "Марксизм и природа"}))
    assert answer.status_code == 303
    assert (await _session(client, organiser, "limits-of-cop26"))["title"] == {"en": title, "ru": "Марксизм и природа"}
    for path in (SESSIONS, edit_path("limits-of-cop26"), f"/orga/{CONF}/sessions/limits-of-cop26/delete"):
        page = await client.get(path)
        assert "<script>alert" not in page.text
        assert "<b>зелёные</b>" not in page.text
        assert "&lt;script&gt;alert(" in page.text
    assert 'value="Марксизм и природа"' in (await client.get(edit_path("limits-of-cop26"))).text
    # A refused form shows the markup escaped too.
    refused = await post_form(client, NEW, NEW, _form(slug="other", duration="0", **{"title.en": title}))
    assert refused.status_code == 400
    assert "<script>alert" not in refused.text


# --- who may ---------------------------------------------------------------------------------


async def test_sessions_pages_answer_404_to_a_non_member(
    client: AsyncTestClient[Litestar], organiser: Organiser, other_organiser: Organiser, settings: Settings
) -> None:
    await _conference(client, organiser)
    await post_ok(client, organiser, f"{API}/sessions", session_payload(meeting_url=SECRET))
    missing = await sign_in(client, other_organiser.email)
    assert missing.status_code == 303
    home = await client.get("/orga/")
    token = csrf_token(home.text)
    nowhere = await client.get("/orga/no-such-conference/sessions/")
    assert nowhere.status_code == 404
    for path in (SESSIONS, NEW, edit_path("limits-of-cop26"), f"/orga/{CONF}/sessions/limits-of-cop26/delete"):
        answer = await client.get(path)
        assert answer.status_code == 404
        assert "secret-room" not in answer.text
    before = (await _version(settings), await _session_rows(settings))
    for path, data in (
        (f"/orga/{CONF}/sessions/status", {"sessions": ["limits-of-cop26"], "status": "cancelled"}),
        (NEW, _form(slug="intruder")),
        (edit_path("limits-of-cop26"), _form(status="cancelled")),
        (f"/orga/{CONF}/sessions/limits-of-cop26/delete", {}),
    ):
        answer = await client.post(path, data={**data, "_csrf_token": token}, follow_redirects=False)
        assert answer.status_code == 404, answer.text
    assert (await _version(settings), await _session_rows(settings)) == before


async def test_sessions_pages_send_anonymous_visitors_to_sign_in(
    client: AsyncTestClient[Litestar], organiser: Organiser
) -> None:
    await _conference(client, organiser)
    answer = await client.get(SESSIONS, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/orga/login?next=")
