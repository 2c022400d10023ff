"""The schedule builder: the grid by day, stream and zone; moves by form and htmx; undo and redo;
the flags on cards and in the list; the API's warnings."""

from __future__ import annotations

import re
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.factories import Organiser, conference_payload, post_ok, session_payload, speaker_payload
from tests.orga import csrf_token, post_form, sign_in

SLUG = "climate-2027"
API = f"/api/v1/conferences/{SLUG}"
PAGE = f"/orga/{SLUG}/schedule/"
MOVE = f"/orga/{SLUG}/schedule/move"


async def _programme(client: AsyncTestClient[Litestar], organiser: Organiser) -> None:
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload(ends_on="2027-11-15"))
    for position, (slug, name) in enumerate((("main", "Main hall"), ("side", "Side room"))):
        await post_ok(client, organiser, f"{API}/streams", {"slug": slug, "name": name, "position": position})
    for slug, name, country, zone in (
        ("ana", "Ана Souza", "BR", "America/Sao_Paulo"),
        ("bob", "Bob Jones", "GB", None),
        ("cai", "Caio Lima", "BR", None),  # Brazil has several zones: none is guessed
    ):
        payload = speaker_payload(slug=slug, name=name, country=country)
        if zone:
            payload["timezone"] = zone
        await post_ok(client, organiser, f"{API}/speakers", payload)
    sessions: list[dict[str, Any]] = [
        session_payload(
            slug="opening",
            title={"en": "Opening"},
            starts_at="2027-11-14T10:00:00+00:00",
            ends_at="2027-11-14T11:00:00+00:00",
            stream="main",
            speakers=[{"speaker": "ana"}],
        ),
        session_payload(
            slug="panel",
            title={"en": "Panel"},
            starts_at="2027-11-14T10:30:00+00:00",
            ends_at="2027-11-14T11:30:00+00:00",
            stream="main",
            speakers=[{"speaker": "ana"}, {"speaker": "cai"}],
        ),
        session_payload(
            slug="late",
            title={"en": "Late night"},
            starts_at="2027-11-14T23:30:00+00:00",
            ends_at="2027-11-15T00:30:00+00:00",
            stream="side",
            speakers=[{"speaker": "bob"}],
        ),
        session_payload(
            slug="loose",
            title={"en": "Loose <b>end</b>"},
            starts_at="2027-11-15T09:00:00+00:00",
            ends_at="2027-11-15T09:45:00+00:00",
            status="draft",
        ),
    ]
    for payload in sessions:
        await post_ok(client, organiser, f"{API}/sessions", payload)


def _card_classes(html: str, slug: str) -> str | None:
    match = re.search(rf'id="card-{slug}" class="([^"]+)"', html)
    return match.group(1) if match else None


async def _session(client: AsyncTestClient[Litestar], organiser: Organiser, slug: str) -> dict[str, Any]:
    answer = await client.get(f"{API}/sessions/{slug}", headers=organiser.headers)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


async def _version(client: AsyncTestClient[Litestar], organiser: Organiser) -> int:
    return int((await client.get(API, headers=organiser.headers)).json()["programme_version"])


async def _ready(client: AsyncTestClient[Litestar], organiser: Organiser) -> None:
    await _programme(client, organiser)
    assert (await sign_in(client, organiser.email)).status_code == 303


async def _move(client: AsyncTestClient[Litestar], **fields: str) -> Any:
    data = {"zone": "Europe/London", "shown_day": "2027-11-14", **fields}
    return await post_form(client, PAGE, MOVE, data)


async def test_grid_places_sessions_by_stream_and_quarter_hour_in_the_conference_zone(
    client: AsyncTestClient[Litestar], organiser: Organiser
) -> None:
    await _ready(client, organiser)
    page = await client.get(PAGE)
    assert page.status_code == 200
    # Rows start at 08:00 (row 2 is 08:00, after the header row); the streams are columns 2 and 3.
    assert _card_classes(page.text, "opening") == "card col-2 row-start-10 row-span-4 status-confirmed flagged"
    assert _card_classes(page.text, "panel") == "card col-2 row-start-12 row-span-4 status-confirmed flagged"
    # The late session runs past midnight: on the first day until the end of the grid.
    assert _card_classes(page.text, "late") == "card col-3 row-start-64 row-span-2 status-confirmed flagged"
    assert "Main hall" in page.text
    assert "Side room" in page.text
    # Each speaker's local time, in their own zone.
    assert "Ана Souza 7:00\u202fAM Sao Paulo" in page.text
    # The session without a stream is beside the grid, escaped.
    assert "Loose &lt;b&gt;end&lt;/b&gt;" in page.text
    assert "<b>end</b>" not in page.text
    assets = re.findall(r'(?:href|src)="(/static/orga/schedule\.(?:css|js)\?v=[^"]+)"', page.text)
    assert len(assets) == 2
    for asset in assets:
        assert (await client.get(asset)).status_code == 200
    assert 'style="' not in page.text  # the CSP refuses style attributes: positions are classes
    second = await client.get(PAGE, params={"day": "2027-11-15"})
    # The late session began the day before: the grid starts at midnight.
    assert _card_classes(second.text, "late") == "card col-3 row-start-2 row-span-2 status-confirmed flagged"
    assert _card_classes(second.text, "loose") == "card col-4 row-start-38 row-span-3 status-draft"
    assert _card_classes(second.text, "opening") is None


async def test_grid_in_another_zone_moves_the_day_boundary(
    client: AsyncTestClient[Litestar], organiser: Organiser
) -> None:
    await _ready(client, organiser)
    first = await client.get(PAGE, params={"zone": "Asia/Tokyo", "day": "2027-11-14"})
    assert first.status_code == 200
    # 10:00 UTC is 19:00 in Tokyo: row (19:00 - 08:00) / 15 min + 2.
    assert _card_classes(first.text, "opening") == "card col-2 row-start-46 row-span-4 status-confirmed flagged"
    # 23:30 UTC is 08:30 the next morning in Tokyo: not on the 14th there.
    assert _card_classes(first.text, "late") is None
    second = await client.get(PAGE, params={"zone": "Asia/Tokyo", "day": "2027-11-15"})
    assert _card_classes(second.text, "late") == "card col-3 row-start-4 row-span-4 status-confirmed flagged"
    assert '<option value="Asia/Tokyo" selected>' in second.text


async def test_move_by_form_changes_times_and_stream_and_raises_the_version_by_one(
    client: AsyncTestClient[Litestar], organiser: Organiser
) -> None:
    await _ready(client, organiser)
    version = await _version(client, organiser)
    answer = await _move(client, session="opening", day="2027-11-15", start="09:00", duration="90", stream="side")
    assert answer.status_code == 303
    assert answer.headers["location"] == f"{PAGE}?day=2027-11-15#card-opening"
    moved = await _session(client, organiser, "opening")
    assert (moved["starts_at"], moved["ends_at"], moved["stream"]) == (
        "2027-11-15T09:00:00Z",
        "2027-11-15T10:30:00Z",
        "side",
    )
    assert await _version(client, organiser) == version + 1
    page = await client.get(answer.headers["location"])
    assert "“Opening” was moved." in page.text


async def test_move_in_another_zone_reads_the_start_there(
    client: AsyncTestClient[Litestar], organiser: Organiser
) -> None:
    await _ready(client, organiser)
    answer = await _move(
        client, session="opening", day="2027-11-14", start="20:00", duration="60", stream="", zone="Asia/Tokyo"
    )
    assert answer.status_code == 303
    moved = await _session(client, organiser, "opening")
    assert (moved["starts_at"], moved["stream"]) == ("2027-11-14T11:00:00Z", None)


async def test_card_buttons_shift_and_resize_by_a_quarter_hour(
    client: AsyncTestClient[Litestar], organiser: Organiser
) -> None:
    await _ready(client, organiser)
    # A card's buttons send the session and the step only: the rest stays as it is.
    assert (await _move(client, session="opening", adjust="later")).status_code == 303
    assert (await _session(client, organiser, "opening"))["starts_at"] == "2027-11-14T10:15:00Z"
    assert (await _move(client, session="opening", adjust="longer")).status_code == 303
    moved = await _session(client, organiser, "opening")
    assert (moved["starts_at"], moved["ends_at"], moved["stream"]) == (
        "2027-11-14T10:15:00Z",
        "2027-11-14T11:30:00Z",
        "main",
    )


async def test_move_link_fills_in_the_form_without_javascript(
    client: AsyncTestClient[Litestar], organiser: Organiser
) -> None:
    await _ready(client, organiser)
    page = await client.get(PAGE)
    assert f'href="{PAGE}?day=2027-11-14&amp;move=late#move-form"' in page.text
    form = (await client.get(PAGE, params={"day": "2027-11-14", "move": "late"})).text.split('id="move-form"')[1]
    assert '<option value="late" selected>' in form
    assert 'value="2027-11-14"' in form
    assert 'value="23:30"' in form
    assert 'value="60"' in form
    assert '<option value="side" selected>' in form


async def test_move_outside_the_conference_days_is_refused_and_writes_nothing(
    client: AsyncTestClient[Litestar], organiser: Organiser
) -> None:
    await _ready(client, organiser)
    version = await _version(client, organiser)
    answer = await _move(client, session="opening", day="2027-11-20", start="10:00", duration="60", stream="main")
    assert answer.status_code == 400
    assert "This falls outside the conference&#39;s days." in answer.text
    assert 'id="start-error"' in answer.text
    assert 'value="2027-11-20"' in answer.text  # the form keeps what was typed
    unchanged = await _session(client, organiser, "opening")
    assert unchanged["starts_at"] == "2027-11-14T10:00:00Z"
    assert await _version(client, organiser) == version


async def test_move_with_bad_values_names_each_field_and_writes_nothing(
    client: AsyncTestClient[Litestar], organiser: Organiser
) -> None:
    await _ready(client, organiser)
    version = await _version(client, organiser)
    answer = await _move(client, session="opening", day="someday", start="25:99", duration="0", stream="nowhere")
    assert answer.status_code == 400
    for field in ("day", "start", "duration"):
        assert f'id="{field}-error"' in answer.text
    answer = await _move(client, session="opening", day="2027-11-14", start="10:00", duration="60", stream="nowhere")
    assert answer.status_code == 400
    assert "Choose a stream from the list." in answer.text
    assert (await _session(client, organiser, "opening"))["stream"] == "main"
    assert await _version(client, organiser) == version


async def test_flags_show_on_cards_and_in_the_list(client: AsyncTestClient[Litestar], organiser: Organiser) -> None:
    await _ready(client, organiser)
    page = (await client.get(PAGE)).text
    card = {slug: page.split(f'id="card-{slug}"')[1].split("</article>")[0] for slug in ("opening", "panel", "late")}
    assert "badge-speaker_double_booked" in card["opening"]
    assert "badge-stream_overlap" in card["opening"]
    assert "badge-speaker_without_zone" in card["panel"]
    assert "badge-speaker_night" in card["late"]
    flags = page.split('id="flags-title"')[1]
    assert "Ана Souza is also in “Panel” at the same time" in flags
    assert "Overlaps “Opening” on the stream Main hall" in flags
    assert "Caio Lima has no time zone: their night cannot be checked" in flags
    assert "Bob Jones speaks at night in their zone: 23:30–00:30 Europe/London" in flags
    assert f'href="{PAGE}?day=2027-11-14#card-late"' in flags


async def test_undo_and_redo_restore_and_reapply_a_move(
    client: AsyncTestClient[Litestar], organiser: Organiser
) -> None:
    await _ready(client, organiser)
    await _move(client, session="opening", day="2027-11-14", start="14:00", duration="30", stream="side")
    version = await _version(client, organiser)
    undone = await post_form(client, PAGE, f"/orga/{SLUG}/schedule/undo", {"zone": "Europe/London"})
    assert undone.status_code == 303
    back = await _session(client, organiser, "opening")
    assert (back["starts_at"], back["ends_at"], back["stream"]) == (
        "2027-11-14T10:00:00Z",
        "2027-11-14T11:00:00Z",
        "main",
    )
    assert await _version(client, organiser) == version + 1
    assert "The move of “Opening” was undone." in (await client.get(undone.headers["location"])).text
    redone = await post_form(client, PAGE, f"/orga/{SLUG}/schedule/redo", {"zone": "Europe/London"})
    assert redone.status_code == 303
    again = await _session(client, organiser, "opening")
    assert (again["starts_at"], again["ends_at"], again["stream"]) == (
        "2027-11-14T14:00:00Z",
        "2027-11-14T14:30:00Z",
        "side",
    )
    assert await _version(client, organiser) == version + 2
    # Nothing more to redo.
    nothing = await post_form(client, PAGE, f"/orga/{SLUG}/schedule/redo", {"zone": "Europe/London"})
    assert "There is nothing to redo." in (await client.get(nothing.headers["location"])).text


async def test_undo_is_refused_after_someone_else_changed_the_session(
    client: AsyncTestClient[Litestar], organiser: Organiser
) -> None:
    await _ready(client, organiser)
    await _move(client, session="opening", day="2027-11-14", start="14:00", duration="30", stream="side")
    changed = await client.patch(
        f"{API}/sessions/opening",
        json={"starts_at": "2027-11-14T16:00:00+00:00", "ends_at": "2027-11-14T17:00:00+00:00"},
        headers=organiser.headers,
    )
    assert changed.status_code == 200
    version = await _version(client, organiser)
    undone = await post_form(client, PAGE, f"/orga/{SLUG}/schedule/undo", {"zone": "Europe/London"})
    page = await client.get(undone.headers["location"])
    assert "“Opening” was changed by someone else since your move, so it was left as it is." in page.text
    kept = await _session(client, organiser, "opening")
    assert (kept["starts_at"], kept["stream"]) == ("2027-11-14T16:00:00Z", "side")
    assert await _version(client, organiser) == version


async def test_htmx_move_answers_the_grid_fragment(client: AsyncTestClient[Litestar], organiser: Organiser) -> None:
    await _ready(client, organiser)
    token = csrf_token((await client.get(PAGE)).text)
    answer = await client.post(
        MOVE,
        data={
            "session": "panel",
            "day": "2027-11-14",
            "start": "12:00",
            "duration": "60",
            "stream": "main",
            "zone": "Europe/London",
            "shown_day": "2027-11-14",
            "_csrf_token": token,
        },
        headers={"HX-Request": "true", "X-CSRFToken": token},
    )
    assert answer.status_code == 200
    assert answer.text.lstrip().startswith('<div id="schedule-board"')
    assert "<html" not in answer.text
    assert _card_classes(answer.text, "panel") == "card col-2 row-start-18 row-span-4 status-confirmed flagged"
    # Moved apart: the overlap on the stream is gone, the speaker without a zone stays.
    panel = answer.text.split('id="card-panel"')[1].split("</article>")[0]
    assert "badge-stream_overlap" not in panel
    assert "badge-speaker_without_zone" in panel


async def test_htmx_refused_move_answers_the_fragment_with_its_message_and_writes_nothing(
    client: AsyncTestClient[Litestar], organiser: Organiser
) -> None:
    await _ready(client, organiser)
    version = await _version(client, organiser)
    token = csrf_token((await client.get(PAGE)).text)
    answer = await client.post(
        MOVE,
        data={"session": "panel", "day": "2027-12-01", "zone": "Europe/London", "_csrf_token": token},
        headers={"HX-Request": "true", "X-CSRFToken": token},
    )
    assert answer.status_code == 400
    assert answer.text.lstrip().startswith('<div id="schedule-board"')
    assert 'id="day-error"' not in answer.text
    assert 'id="start-error"' in answer.text
    assert (await _session(client, organiser, "panel"))["starts_at"] == "2027-11-14T10:30:00Z"
    assert await _version(client, organiser) == version
    undo = await client.post(
        f"/orga/{SLUG}/schedule/undo",
        data={"zone": "Europe/London", "_csrf_token": token},
        headers={"HX-Request": "true", "X-CSRFToken": token},
    )
    assert undo.status_code == 200
    assert "There is nothing to undo." in undo.text


async def test_schedule_of_a_conference_of_others_is_not_found(
    client: AsyncTestClient[Litestar], organiser: Organiser, other_organiser: Organiser
) -> None:
    await _programme(client, organiser)
    await sign_in(client, other_organiser.email)
    assert (await client.get(PAGE)).status_code == 404
    missing = await client.get("/orga/no-such-conference/schedule/")
    assert missing.status_code == 404


async def test_api_warnings_are_objects_with_codes_for_the_whole_conference(
    client: AsyncTestClient[Litestar], organiser: Organiser
) -> None:
    await _programme(client, organiser)
    panel = await _session(client, organiser, "panel")
    assert sorted((w["code"], w["speaker"], w["other_session"]) for w in panel["warnings"]) == [
        ("speaker_double_booked", "ana", "opening"),
        ("speaker_without_zone", "cai", None),
        ("stream_overlap", None, "opening"),
    ]
    assert all(w["message"] for w in panel["warnings"])
    listed = await client.get(f"{API}/sessions", headers={**organiser.headers, "Accept-Language": "fr"})
    by_slug = {s["slug"]: s for s in listed.json()}
    assert [w["code"] for w in by_slug["late"]["warnings"]] == ["speaker_night"]
    assert by_slug["late"]["warnings"][0]["message"]
    assert by_slug["loose"]["warnings"] == []
    # The public sees no warnings at all.
    public = await client.get(f"{API}/sessions/opening")
    assert "warnings" not in public.json()
