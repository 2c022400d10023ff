"""A visitor's picks without an account: the picks feed and the picks page, over HTTP."""

from __future__ import annotations

import re
from typing import Any

import lxml.html
from icalendar import Calendar

from confman.published.picks import MAX_PICKS
from tests.factories import Organiser, post_ok, session_payload
from tests.integration.test_ical import (
    AUTUMN,
    BASE,
    LONG_FRENCH_TITLE,
    Client,
    JsParser,
    build_autumn,
    icaljs,  # noqa: F401 - a fixture
    icaljs_installed,  # noqa: F401 - a fixture
    uids,
)

FEED = f"/{AUTUMN}/programme.ics"
PAGE = f"/{AUTUMN}/programme/picks/"


def vevents(body: bytes) -> dict[str, bytes]:
    """Each VEVENT's bytes by UID, as written."""
    blocks = re.findall(rb"BEGIN:VEVENT\r\n.*?END:VEVENT\r\n", body, flags=re.DOTALL)
    return {re.search(rb"\r\nUID:([^\r]+)\r\n", block).group(1).decode(): block for block in blocks}  # type: ignore[union-attr]


async def test_picks_feed_holds_exactly_the_published_picks(
    client: Client,
    organiser: Organiser,
    icaljs: JsParser,  # noqa: F811 - the fixture imported above
) -> None:
    uid = uids(await build_autumn(client, organiser))
    picked = {uid[slug] for slug in ("before-the-change", "after-the-change", "called-off")}

    # Known, cancelled, draft and unknown slugs, as a comma list and a repeated parameter.
    answer = await client.get(
        f"{FEED}?sessions=after-the-change,called-off,secret-draft,no-such-session&sessions=before-the-change"
    )

    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/calendar; charset=utf-8"
    events = await icaljs(answer.content)
    assert {event["uid"] for event in events} == picked
    assert {event["uid"]: event["status"] for event in events}[uid["called-off"]] == "CANCELLED"
    parsed = Calendar.from_ical(answer.content)
    assert {str(event["UID"]) for event in parsed.walk("VEVENT")} == picked
    assert "\r\nX-WR-CALNAME:My picks · Autumn\\, 2027\\; the clocks go back\r\n" in answer.text.replace("\r\n ", "")
    # The very events of the whole programme's feed: same UID, SEQUENCE, times and text.
    full = vevents((await client.get(FEED)).content)
    assert vevents(answer.content) == {key: full[key] for key in picked}


async def test_picks_feed_is_cached_under_the_canonical_picks(client: Client, organiser: Organiser) -> None:
    await build_autumn(client, organiser)

    answers = [
        await client.get(f"{FEED}?sessions={query}")
        for query in ("after-the-change,before-the-change,after-the-change", "before-the-change,after-the-change")
    ]
    answers.append(await client.get(f"{FEED}?sessions=after-the-change&sessions=before-the-change"))
    by_etag = await client.get(
        f"{FEED}?sessions=before-the-change,after-the-change", headers={"If-None-Match": answers[0].headers["etag"]}
    )

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert len({a.content for a in answers}) == 1
    assert len({a.headers["etag"] for a in answers}) == 1
    assert answers[0].headers["cache-control"] == "public, max-age=300"
    assert by_etag.status_code == 304
    assert f"SOURCE;VALUE=URI:{BASE}{FEED}?sessions=after-the-change,before-the-change" in answers[0].text.replace(
        "\r\n ", ""
    )


async def test_picks_malformed_sessions_are_refused_naming_the_parameter(client: Client, organiser: Organiser) -> None:
    await build_autumn(client, organiser)
    too_many = ",".join(f"s{n}" for n in range(MAX_PICKS + 1))
    cases = ["", "a,,b", ",a", "a,", "Upper-case", "a b", "a--b", "-a", "x" * 65, "<script>", too_many]

    for case in cases:
        feed = await client.get(FEED, params={"sessions": case})
        page = await client.get(PAGE, params={"sessions": case})

        assert feed.status_code == 400, (case, feed.text)
        assert feed.json()["detail"].startswith("sessions: "), case
        assert feed.json()["extra"][0]["key"] == "sessions", case
        assert page.status_code == 400, (case, page.text[:200])
        assert "etag" not in page.headers
        tree = lxml.html.fromstring(page.text)
        assert tree.cssselect("#picks-error strong")[0].text_content() == "sessions", case
        assert tree.cssselect("#picks-form"), case
    # At the limit, well-formed but unknown: an empty calendar, not an error.
    assert (await client.get(FEED, params={"sessions": ",".join(f"s{n}" for n in range(MAX_PICKS))})).status_code == 200
    # The stars stop where the links would fail (picks.js reads the limit from the page).
    programme = lxml.html.fromstring((await client.get(f"/{AUTUMN}/programme/")).text)
    assert programme.cssselect("#picks-config")[0].get("data-max") == str(MAX_PICKS)


async def test_picks_page_lists_picks_in_time_marks_overlaps_and_shares_or_offers_a_form(
    client: Client, organiser: Organiser
) -> None:
    await build_autumn(client, organiser)
    overlapping = session_payload(
        slug="overlapping",
        title={"en": "Overlapping talk"},
        starts_at="2027-10-31T10:30:00",
        ends_at="2027-10-31T11:30:00",
    )
    await post_ok(client, organiser, f"/api/v1/conferences/{AUTUMN}/sessions", overlapping)

    answer = await client.get(
        f"{PAGE}?sessions=overlapping,after-the-change,before-the-change,secret-draft,gone&tz=Europe/London"
    )

    assert answer.status_code == 200, answer.text[:300]
    tree = lxml.html.fromstring(answer.text)
    cards = tree.cssselect("#picks-list [data-session]")
    assert [card.get("data-session") for card in cards] == ["before-the-change", "after-the-change", "overlapping"]
    notes = {
        pick.cssselect("[data-session]")[0].get("data-session"): [
            " ".join(p.text_content().split()) for p in pick.cssselect(".overlap")
        ]
        for pick in tree.cssselect(".pick")
    }
    assert notes["before-the-change"] == []
    assert notes["overlapping"] == [f"Overlaps with {LONG_FRENCH_TITLE} (10:00 AM–11:00 AM)"]
    assert notes["after-the-change"] == ["Overlaps with Overlapping talk (10:30 AM–11:30 AM)"]
    canonical = "after-the-change,before-the-change,gone,overlapping,secret-draft"
    share = f"{BASE}{PAGE}?sessions={canonical}"
    assert tree.cssselect("#picks-share-link")[0].get("href") == share
    assert tree.cssselect("#picks-ics")[0].get("href") == f"{BASE}{FEED}?sessions={canonical}"
    assert tree.cssselect("#picks-subscribe")[0].get("href").startswith("webcal://")
    qr = tree.cssselect("#picks-qr svg")
    assert [svg.get("role") for svg in qr] == ["img"]
    # Inline SVG passes the CSP only without style attributes.
    assert "style=" not in answer.text
    assert "2 picks are no longer in the programme." in tree.cssselect("#picks-count")[0].text_content()

    # Without picks: a plain GET form of every public session (no JavaScript needed).
    chooser = lxml.html.fromstring((await client.get(PAGE)).text)
    form: Any = chooser.cssselect("#picks-form")[0]
    assert (form.get("method"), form.get("action")) == ("get", f"{BASE}{PAGE}")
    boxes = form.cssselect("input[type=checkbox][name=sessions]")
    assert [box.get("value") for box in boxes] == [
        "before-the-change",
        "across-the-change",
        "after-the-change",
        "overlapping",
        "called-off",
    ]
    assert form.cssselect("button[formaction]")[0].get("formaction") == f"{BASE}{FEED}"
    assert not chooser.cssselect("#picks-list")
