"""The public site: pages in the viewer's language and zone, safe, cacheable, in constant queries."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie
from typing import Any
from zoneinfo import ZoneInfo

import lxml.html
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from confman.app import create_app
from confman.lib.countries import country_name
from confman.lib.i18n import format_clock, zone_city
from confman.lib.response_cache import CACHEABLE_HEADER
from confman.lib.templating import gettext_callables
from tests.factories import Organiser, conference_payload, post_ok, session_payload, speaker_payload
from tests.queries import counted_queries

Client = AsyncTestClient[Litestar]
BASE = "/api/v1/conferences/climate-2027"
LONDON = ZoneInfo("Europe/London")
STREAM_MEETING = "https://meet.example.org/secret-stream-room"
SESSION_MEETING = "https://meet.example.org/secret-session-room"


def html(response: Any) -> Any:
    assert response.headers["content-type"] == "text/html; charset=utf-8", response.text[:300]
    return lxml.html.fromstring(response.text)


def texts(tree: Any, selector: str) -> list[str]:
    return [" ".join(node.text_content().split()) for node in tree.cssselect(selector)]


def clock(moment: datetime, zone: str, language: str = "en") -> str:
    """A time of day as CLDR writes it for the language ("8:00 PM" in English, "20:00" in Russian)."""
    return " ".join(format_clock(moment, zone, language).split())


def span(start: datetime, hours: float, zone: str, language: str = "en") -> str:
    return f"{clock(start, zone, language)}–{clock(start + timedelta(hours=hours), zone, language)}"


async def announce(client: Client, organiser: Organiser, **conference: Any) -> None:
    """The announcement's shape: speakers from Brazil, Britain and Australia, two tracks, a stream."""
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload(**conference))
    await post_ok(client, organiser, f"{BASE}/tracks", {"slug": "plenary", "name": {"en": "Plenary", "ru": "Пленум"}})
    await post_ok(client, organiser, f"{BASE}/tracks", {"slug": "debate", "name": {"en": "Debate"}})
    await post_ok(
        client, organiser, f"{BASE}/streams", {"slug": "main", "name": "Main hall", "meeting_url": STREAM_MEETING}
    )
    for slug, name, country, zone in [
        ("sabrina-fernandez", "Sabrina Fernandez", "BR", "America/Sao_Paulo"),
        ("alex-callinicos", "Alex Callinicos", "GB", None),
        ("erima-dall", "Erima Dall", "AU", "Australia/Sydney"),
    ]:
        payload = speaker_payload(slug=slug, name=name, country=country, bio={"en": f"{name} writes *a lot*."})
        if zone:
            payload["timezone"] = zone
        await post_ok(client, organiser, f"{BASE}/speakers", payload)


async def add_session(client: Client, organiser: Organiser, slug: str, start: datetime, **fields: Any) -> None:
    payload = session_payload(
        slug=slug,
        title=fields.pop("title", {"en": f"Session {slug}"}),
        starts_at=start.isoformat(),
        ends_at=(start + fields.pop("length", timedelta(hours=1))).isoformat(),
        **fields,
    )
    await post_ok(client, organiser, f"{BASE}/sessions", payload)


@pytest.fixture
async def site(client: Client, organiser: Organiser) -> Organiser:
    """Sunday 14 November 2027 in London, with a cancelled session and one in Russian."""
    await announce(client, organiser)
    await add_session(
        client, organiser, "limits-of-cop26", datetime(2027, 11, 14, 9, 0, tzinfo=LONDON),
        title={"en": "The Limits of COP26 and Capitalist Solutions", "ru": "Пределы COP26"},
        abstract={"en": "Why *summits* fail.\n\n- pledges\n- markets"},
        track="plenary", stream="main", meeting_url=SESSION_MEETING,
        speakers=[{"speaker": "alex-callinicos"}, {"speaker": "sabrina-fernandez"},
                  {"speaker": "erima-dall", "role": "moderator"}],
    )  # fmt: skip
    await add_session(
        client, organiser, "climate-chaos", datetime(2027, 11, 14, 23, 0, tzinfo=LONDON),
        title={"en": "Climate Chaos in the Pacific"}, track="debate", stream="main", language="ru",
        speakers=[{"speaker": "erima-dall"}],
    )  # fmt: skip
    await add_session(
        client, organiser, "withdrawn", datetime(2027, 11, 14, 15, 0, tzinfo=LONDON),
        title={"en": "A Withdrawn Talk"}, status="cancelled", speakers=[{"speaker": "alex-callinicos"}],
    )  # fmt: skip
    return organiser


async def test_conference_page_lists_speakers_with_countries_like_the_announcement(client: Client, site: Any) -> None:
    tree = html(await client.get("/climate-2027/"))

    assert texts(tree, ".speaker-line .speaker") == [
        "Sabrina Fernandez (Brazil)",
        "Alex Callinicos (United Kingdom)",
        "Erima Dall (Australia)",
    ]
    assert texts(tree, "h1") == ["The Revolutionary Alternative"]
    assert tree.cssselect("a.button-primary")[0].get("href") == "http://testserver.local/climate-2027/register/"
    assert "A Withdrawn Talk" in texts(tree, ".session-list li.is-cancelled del")


@pytest.mark.parametrize(("language", "brazil"), [("ru", "Бразилия"), ("fr", "Brésil"), ("pt", "Brasil")])
async def test_country_names_follow_the_viewer_language(client: Client, site: Any, language: str, brazil: str) -> None:
    tree = html(await client.get(f"/climate-2027/speakers/?lang={language}"))

    assert brazil == country_name("BR", language)
    assert texts(tree, ".speaker-grid .country")[0] == brazil
    assert tree.get("lang") == language


async def test_programme_shows_viewer_and_conference_time(client: Client, site: Any) -> None:
    tree = html(await client.get("/climate-2027/programme/?tz=Australia/Sydney"))

    first = tree.cssselect("article.session")[0]
    start = datetime(2027, 11, 14, 9, 0, tzinfo=LONDON)
    assert start.astimezone(ZoneInfo("Australia/Sydney")).hour == 20
    assert texts(first, ".viewer-time time")[0] == clock(start, "Australia/Sydney") == "8:00 PM"
    assert texts(first, ".viewer-time .zone") == ["your time (Sydney)"]
    assert texts(first, ".conference-time") == [f"{span(start, 1, 'Europe/London')} London"]
    russian = html(await client.get("/climate-2027/programme/?lang=ru"))
    assert texts(russian, ".viewer-time time")[0] == clock(start, "Australia/Sydney", "ru") == "20:00"
    assert first.cssselect(".viewer-time time")[0].get("datetime") == "2027-11-14T09:00:00+00:00"


async def test_programme_days_are_the_viewer_days(client: Client, site: Any) -> None:
    # 23:00 on Sunday in London is 10:00 on Monday in Sydney.
    sydney = html(await client.get("/climate-2027/programme/?tz=Australia/Sydney"))
    london = html(await client.get("/climate-2027/programme/?tz=Europe/London"))

    assert texts(sydney, ".day h2") == ["Sunday, November 14, 2027", "Monday, November 15, 2027"]
    assert texts(sydney.cssselect(".day")[1], "h3 a") == ["A Withdrawn Talk", "Climate Chaos in the Pacific"]
    assert texts(london, ".day h2") == ["Sunday, November 14, 2027"]
    assert texts(london, ".viewer-time .zone")[0] == "London"
    assert london.cssselect(".conference-time") == []


async def test_programme_across_a_daylight_saving_change(client: Client, organiser: Organiser) -> None:
    # London leaves summer time on 31 October 2027; New York only on 7 November.
    await announce(client, organiser, starts_on="2027-10-30", ends_on="2027-11-01")
    before, after = datetime(2027, 10, 30, 10, 0, tzinfo=LONDON), datetime(2027, 11, 1, 10, 0, tzinfo=LONDON)
    await add_session(client, organiser, "before-change", before)
    await add_session(client, organiser, "after-change", after)

    tree = html(await client.get("/climate-2027/programme/?tz=America/New_York"))

    new_york = ZoneInfo("America/New_York")
    assert [before.astimezone(new_york).hour, after.astimezone(new_york).hour] == [5, 6]
    assert texts(tree, ".viewer-time time:first-child") == [
        clock(before, "America/New_York"),
        clock(after, "America/New_York"),
    ]
    assert texts(tree, ".viewer-time time:first-child") == ["5:00 AM", "6:00 AM"]
    assert texts(tree, ".conference-time") == [
        f"{span(before, 1, 'Europe/London')} London",
        f"{span(after, 1, 'Europe/London')} London",
    ]


async def test_unknown_zone_falls_back_to_the_conference_zone_with_a_notice(client: Client, site: Any) -> None:
    response = await client.get("/climate-2027/programme/?tz=Mars/Base")
    tree = html(response)

    assert response.status_code == 200
    assert texts(tree, ".notice") == ["“Mars/Base” is not a time zone we know. Times are shown in London time."]
    start = datetime(2027, 11, 14, 9, 0, tzinfo=LONDON)
    assert texts(tree, ".viewer-time time")[0] == clock(start, "Europe/London")
    assert "tz" not in response.cookies


async def test_zone_and_language_are_remembered_in_cookies(client: Client, site: Any) -> None:
    chosen = await client.get("/climate-2027/programme/?tz=Asia/Tokyo&lang=fr")
    cookies = SimpleCookie()
    for header in chosen.headers.get_list("set-cookie"):
        cookies.load(header)
    assert {name: morsel.value for name, morsel in cookies.items()} == {"tz": "Asia/Tokyo", "lang": "fr"}
    assert cookies["tz"]["max-age"] == str(365 * 24 * 3600)
    assert cookies["tz"]["samesite"] == "lax"

    later = html(await client.get("/climate-2027/sessions/limits-of-cop26/"))

    assert later.get("lang") == "fr"
    assert later.get("data-zone") == "Asia/Tokyo"
    start = datetime(2027, 11, 14, 9, 0, tzinfo=LONDON)
    assert texts(later, ".viewer-time time")[0] == clock(start, "Asia/Tokyo", "fr") == "18:00"


async def test_times_follow_the_browser_regional_variant(client: Client, site: Any) -> None:
    british = html(await client.get("/climate-2027/programme/", headers={"Accept-Language": "en-GB,en;q=0.9"}))
    american = html(await client.get("/climate-2027/programme/", headers={"Accept-Language": "en-US,en;q=0.9"}))

    start = datetime(2027, 11, 14, 9, 0, tzinfo=LONDON)
    assert british.get("lang") == american.get("lang") == "en"
    assert texts(british, ".viewer-time time")[0] == clock(start, "Europe/London", "en-GB") == "09:00"
    assert texts(american, ".viewer-time time")[0] == clock(start, "Europe/London", "en-US") == "9:00 AM"


async def test_language_from_accept_language_then_conference_default(client: Client, site: Any) -> None:
    russian = html(await client.get("/climate-2027/", headers={"Accept-Language": "de-DE, ru;q=0.8, en;q=0.5"}))
    fallback = html(await client.get("/climate-2027/", headers={"Accept-Language": "ja"}))

    assert russian.get("lang") == "ru"
    assert texts(russian, "h1") == ["Революционная альтернатива"]
    assert fallback.get("lang") == "en"
    hreflangs = [link.get("hreflang") for link in russian.cssselect("link[rel=alternate]")]
    assert hreflangs == ["en", "es", "fr", "ru", "pt", "tr", "x-default"]


async def test_interface_text_comes_from_the_viewer_catalogue(client: Client, site: Any) -> None:
    tree = html(await client.get("/climate-2027/programme/?lang=es"))

    translated = gettext_callables("es")["_"]("Programme")
    assert translated != "Programme"
    assert texts(tree, "h1") == [translated]


async def test_fallback_content_is_marked_with_its_language(client: Client, site: Any) -> None:
    tree = html(await client.get("/climate-2027/programme/?lang=ru"))

    titles = tree.cssselect("article.session h3 a span")
    assert [(t.text_content(), t.get("lang")) for t in titles] == [
        ("Пределы COP26", None),
        ("A Withdrawn Talk", "en"),
        ("Climate Chaos in the Pacific", "en"),
    ]


async def test_programme_filters_by_track_and_spoken_language(client: Client, site: Any) -> None:
    debate = html(await client.get("/climate-2027/programme/?track=debate"))
    russian = html(await client.get("/climate-2027/programme/?spoken=ru"))
    unknown = html(await client.get("/climate-2027/programme/?track=nonsense"))

    assert texts(debate, "article.session h3 a") == ["Climate Chaos in the Pacific"]
    assert debate.cssselect("#filter-track option[selected]")[0].get("value") == "debate"
    assert texts(russian, "article.session h3 a") == ["Climate Chaos in the Pacific"]
    assert len(unknown.cssselect("article.session")) == 3


async def test_cancelled_sessions_stay_struck_through_and_labelled(client: Client, site: Any) -> None:
    tree = html(await client.get("/climate-2027/programme/"))

    cancelled = tree.cssselect("article.session.is-cancelled")
    assert len(cancelled) == 1
    assert texts(cancelled[0], "h3 del") == ["A Withdrawn Talk"]
    assert texts(cancelled[0], ".badge-cancelled") == ["Cancelled"]


async def test_now_and_next_are_marked_while_the_conference_runs(client: Client, organiser: Organiser) -> None:
    today = datetime.now(UTC)
    await announce(
        client,
        organiser,
        starts_on=(today - timedelta(days=1)).date().isoformat(),
        ends_on=(today + timedelta(days=1)).date().isoformat(),
    )
    await add_session(client, organiser, "running", today - timedelta(minutes=10))
    await add_session(client, organiser, "following", today + timedelta(hours=2))
    await add_session(client, organiser, "later", today + timedelta(hours=5))

    tree = html(await client.get("/climate-2027/programme/"))

    assert [(a.get("id"), texts(a, ".badge")) for a in tree.cssselect("article.session")] == [
        ("session-running", ["Now"]),
        ("session-following", ["Next"]),
        ("session-later", []),
    ]


async def test_session_page_shows_both_zones_speaker_times_and_calendar_links(client: Client, site: Any) -> None:
    tree = html(await client.get("/climate-2027/sessions/limits-of-cop26/?tz=America/Sao_Paulo"))

    start = datetime(2027, 11, 14, 9, 0, tzinfo=LONDON)
    assert texts(tree, "h1") == ["The Limits of COP26 and Capitalist Solutions"]
    assert texts(tree, ".viewer-time time")[0] == clock(start, "America/Sao_Paulo") == "6:00 AM"
    assert texts(tree, ".conference-time") == [f"{span(start, 1, 'Europe/London')} London"]
    people = texts(tree, ".people li")
    assert people[0] == f"Alex Callinicos (United Kingdom) Their time: {span(start, 1, 'Europe/London')} London"
    sydney = f"{span(start, 1, 'Australia/Sydney')} {zone_city('Australia/Sydney', 'en')}"
    assert people[2] == f"Erima Dall (Australia) · Moderator Their time: {sydney}"
    assert texts(tree, ".rich li") == ["pledges", "markets"]
    assert texts(tree, ".rich em") == ["summits"]
    assert texts(tree, ".facts dd") == ["Main hall", "English"]
    links = [a.get("href") for a in tree.cssselect(".calendar-links a")]
    assert links[:2] == [
        "webcal://testserver.local/climate-2027/sessions/limits-of-cop26.ics",
        "http://testserver.local/climate-2027/sessions/limits-of-cop26.ics",
    ]
    assert links[2].startswith("https://calendar.google.com/calendar/render?")
    assert links[3].startswith("https://outlook.live.com/calendar/0/deeplink/compose?")
    # Read in Russian, subscribed in Russian: the feed links keep the page's language.
    russian = html(await client.get("/climate-2027/sessions/limits-of-cop26/?lang=ru"))
    assert [a.get("href") for a in russian.cssselect(".calendar-links a")][:2] == [
        "webcal://testserver.local/climate-2027/sessions/limits-of-cop26.ics?lang=ru",
        "http://testserver.local/climate-2027/sessions/limits-of-cop26.ics?lang=ru",
    ]
    programme = html(await client.get("/climate-2027/programme/?lang=ru"))
    assert "webcal://testserver.local/climate-2027/programme.ics?lang=ru" in [
        a.get("href") for a in programme.cssselect(".calendar-links a")
    ]


async def test_session_page_carries_schema_org_event(client: Client, site: Any) -> None:
    tree = html(await client.get("/climate-2027/sessions/limits-of-cop26/"))

    data = json.loads(tree.cssselect('script[type="application/ld+json"]')[0].text)
    assert data["@type"] == "Event"
    assert data["eventAttendanceMode"] == "https://schema.org/OnlineEventAttendanceMode"
    assert data["location"] == {
        "@type": "VirtualLocation",
        "url": "http://testserver.local/climate-2027/sessions/limits-of-cop26/",
    }
    assert data["startDate"] == "2027-11-14T09:00:00+00:00"
    assert data["endDate"] == "2027-11-14T10:00:00+00:00"
    assert [p["name"] for p in data["performer"]] == ["Alex Callinicos", "Sabrina Fernandez", "Erima Dall"]
    assert data["eventStatus"] == "https://schema.org/EventScheduled"


async def test_conference_page_carries_schema_org_event(client: Client, site: Any) -> None:
    tree = html(await client.get("/climate-2027/"))

    data = json.loads(tree.cssselect('script[type="application/ld+json"]')[0].text)
    assert data["@type"] == "Event"
    assert data["location"]["@type"] == "VirtualLocation"
    assert data["location"]["url"] == "http://testserver.local/climate-2027/"
    assert data["startDate"] == "2027-11-14T09:00:00+00:00"


async def test_speaker_pages_show_country_bio_and_sessions(client: Client, site: Any) -> None:
    listing = html(await client.get("/climate-2027/speakers/"))
    erima = html(await client.get("/climate-2027/speakers/erima-dall/"))

    assert texts(listing, ".speaker-grid h2") == ["Sabrina Fernandez", "Alex Callinicos", "Erima Dall"]
    assert texts(erima, "h1") == ["Erima Dall"]
    assert texts(erima, ".country") == ["Australia"]
    assert texts(erima, ".rich em") == ["a lot"]
    assert texts(erima, "article.session h3 a") == [
        "The Limits of COP26 and Capitalist Solutions",
        "Climate Chaos in the Pacific",
    ]


@pytest.mark.parametrize(
    "path", ["/no-such-conference/", "/climate-2027/sessions/no-such-session/", "/climate-2027/speakers/nobody/"]
)
async def test_unknown_pages_answer_404_in_the_viewer_language(client: Client, site: Any, path: str) -> None:
    response = await client.get(path, headers={"Accept-Language": "ru"})
    tree = lxml.html.fromstring(response.text)

    assert response.status_code == 404
    assert tree.get("lang") == "ru"
    heading = gettext_callables("ru")["_"]("Page not found")
    assert heading != "Page not found"
    assert texts(tree, "h1") == [heading]


async def test_unknown_api_paths_and_files_still_answer_json(client: Client, site: Any) -> None:
    api = await client.get("/api/v1/conferences/nothing")
    feed = await client.get("/nothing/programme.ics")

    assert api.status_code == feed.status_code == 404
    assert api.json()["status_code"] == feed.json()["status_code"] == 404


async def test_draft_conference_pages_do_not_exist(client: Client, organiser: Organiser) -> None:
    await announce(client, organiser, status="draft")

    assert (await client.get("/climate-2027/")).status_code == 404
    assert (await client.get("/climate-2027/programme/")).status_code == 404


async def test_meeting_urls_never_appear_on_public_pages(client: Client, site: Any) -> None:
    paths = [
        "/",
        "/climate-2027/",
        "/climate-2027/programme/",
        "/climate-2027/speakers/",
        "/climate-2027/speakers/erima-dall/",
        "/climate-2027/sessions/limits-of-cop26/",
        "/climate-2027/sessions/climate-chaos/",
    ]
    for path in paths:
        body = (await client.get(path)).text
        assert "secret-" not in body, path
        assert "meet.example.org" not in body, path


async def test_security_headers_on_every_page(client: Client, site: Any) -> None:
    for path in ["/", "/climate-2027/programme/", "/climate-2027/sessions/nothing/", "/static/site.css"]:
        headers = (await client.get(path)).headers
        policy = headers["content-security-policy"]
        assert "script-src 'self'" in policy
        assert "unsafe-inline" not in policy
        assert "frame-ancestors 'none'" in policy
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "strict-origin-when-cross-origin"


async def test_pages_answer_304_until_the_programme_or_the_viewer_changes(client: Client, site: Organiser) -> None:
    first = await client.get("/climate-2027/programme/")
    etag = first.headers["etag"]
    again = await client.get("/climate-2027/programme/", headers={"If-None-Match": etag})
    other_language = await client.get("/climate-2027/programme/?lang=ru", headers={"If-None-Match": etag})
    await client.patch(f"{BASE}/sessions/climate-chaos", json={"title": {"en": "Renamed"}}, headers=site.headers)
    changed = await client.get("/climate-2027/programme/", headers={"If-None-Match": etag})

    assert first.headers["cache-control"] == "no-cache"
    assert first.headers["vary"] == "Cookie, Accept-Language, Accept-Encoding"
    assert again.status_code == 304
    assert again.content == b""
    assert other_language.status_code == 200
    assert changed.status_code == 200
    assert "Renamed" in changed.text


async def test_pages_travel_gzipped_to_clients_that_take_gzip(client: Client, site: Organiser) -> None:
    plain = await client.get("/climate-2027/programme/", headers={"Accept-Encoding": "identity"})
    zipped = await client.get("/climate-2027/programme/", headers={"Accept-Encoding": "gzip, deflate, br"})
    refused = await client.get("/climate-2027/programme/", headers={"Accept-Encoding": "gzip;q=0, *"})
    revalidated = await client.get(
        "/climate-2027/programme/", headers={"Accept-Encoding": "gzip", "If-None-Match": zipped.headers["etag"]}
    )

    assert "content-encoding" not in plain.headers
    assert zipped.headers["content-encoding"] == "gzip"
    assert int(zipped.headers["content-length"]) < len(plain.content) / 3
    assert zipped.content == plain.content  # httpx decodes: the same page
    assert zipped.headers["etag"] == plain.headers["etag"][:-1] + '-gz"'
    assert "content-encoding" not in refused.headers
    assert revalidated.status_code == 304


HOSTILE = '<script>alert(1)</script><img src=x onerror=alert(2)>"\'><a href="javascript:alert(3)">x</a>'


async def test_hostile_text_in_every_field_is_escaped_or_sanitised(client: Client, organiser: Organiser) -> None:
    description = {"en": "Desc " + HOSTILE + "\n\n[y](javascript:alert(4))"}
    await post_ok(
        client, organiser, "/api/v1/conferences",
        conference_payload(title={"en": "Conf " + HOSTILE}, description=description),
    )  # fmt: skip
    await post_ok(client, organiser, f"{BASE}/tracks", {"slug": "t", "name": {"en": "Track " + HOSTILE}})
    await post_ok(client, organiser, f"{BASE}/streams", {"slug": "s", "name": "Stream " + HOSTILE})
    await post_ok(
        client, organiser, f"{BASE}/speakers",
        speaker_payload(slug="x", name="Name " + HOSTILE, bio={"en": "Bio " + HOSTILE + " [z](javascript:alert(5))"}),
    )  # fmt: skip
    await add_session(
        client, organiser, "hostile", datetime(2027, 11, 14, 10, 0, tzinfo=UTC),
        title={"en": "Title " + HOSTILE}, abstract={"en": "Abstract " + HOSTILE}, track="t", stream="s",
        speakers=[{"speaker": "x"}],
    )  # fmt: skip

    for path in [
        "/", "/climate-2027/", "/climate-2027/programme/", "/climate-2027/speakers/",
        "/climate-2027/speakers/x/", "/climate-2027/sessions/hostile/",
        "/climate-2027/programme/picks/?sessions=hostile",
    ]:  # fmt: skip
        tree = html(await client.get(path))
        scripts = [(s.get("src"), s.get("type")) for s in tree.iter("script")]
        own = ("/static/viewer.js", "/static/picks.js", "/static/zone-picker.js", "/static/programme.js")
        assert all((src and src.startswith(own)) or kind == "application/ld+json" for src, kind in scripts)
        assert tree.cssselect("img") == [], path
        for element in tree.iter():
            assert not any(name.startswith("on") for name in element.attrib), (path, element.tag)
            href = (element.get("href") or "").strip().lower()
            assert not href.startswith("javascript:"), path
        for block in tree.cssselect('script[type="application/ld+json"]'):
            assert "<" not in block.text
            data = json.loads(block.text)
            assert HOSTILE in data["name"]
    session = html(await client.get("/climate-2027/sessions/hostile/"))
    assert texts(session, "h1") == [" ".join(("Title " + HOSTILE).split())]


async def _programme_queries(client: Client, organiser: Organiser, sessions: int) -> int:
    await announce(client, organiser, starts_on="2027-11-14", ends_on="2027-11-15")
    start = datetime(2027, 11, 14, 0, 0, tzinfo=UTC)
    speakers = ["sabrina-fernandez", "alex-callinicos", "erima-dall"]
    for index in range(sessions):
        await add_session(
            client, organiser, f"s-{index}", start + timedelta(minutes=10 * index),
            length=timedelta(minutes=10), track="plenary", stream="main",
            speakers=[{"speaker": speakers[index % 3]}, {"speaker": speakers[(index + 1) % 3]}],
        )  # fmt: skip
    with counted_queries() as statements:
        response = await client.get("/climate-2027/programme/?tz=Asia/Tokyo")
    assert response.status_code == 200
    assert len(html(response).cssselect("article.session")) == sessions
    return len(statements)


async def test_programme_page_queries_do_not_grow_with_the_programme(
    client: Client, organiser: Organiser, settings: Any
) -> None:
    small = await _programme_queries(client, organiser, 10)
    await client.delete(BASE, headers=organiser.headers)
    large = await _programme_queries(client, organiser, 200)

    assert small == large
    assert large <= 8


async def test_the_micro_cache_keeps_each_viewer_their_own_page(settings: Any, organiser: Organiser) -> None:
    # As in production: workers trust a programme version for a while and replay whole answers.
    app = create_app(settings.model_copy(update={"programme_cache_seconds": 60}))
    async with AsyncTestClient(app, base_url="http://testserver.local") as client:
        await announce(client, organiser)
        start = datetime(2027, 11, 14, 9, 0, tzinfo=LONDON)
        await add_session(client, organiser, "opening", start)

        pages = {}
        for zone in ["Australia/Sydney", "Asia/Tokyo", "Australia/Sydney"]:
            response = await client.get("/climate-2027/programme/", headers={"Cookie": f"tz={zone}"})
            assert CACHEABLE_HEADER not in response.headers
            pages.setdefault(zone, []).append(texts(html(response), ".viewer-time time")[0])
        russian = html(await client.get("/climate-2027/programme/", headers={"Accept-Language": "ru"}))
        await client.patch(f"{BASE}/sessions/opening", json={"title": {"en": "Renamed"}}, headers=organiser.headers)
        api = await client.get(f"{BASE}/sessions/opening", headers=organiser.headers)
        # The public's API reads are served like pages (read model, micro-cache): the change
        # shows once the worker's trust in the version runs out (60 s here, 2 s by default).
        public_api = await client.get(f"{BASE}/sessions/opening")

    assert pages == {
        "Australia/Sydney": [clock(start, "Australia/Sydney")] * 2,
        "Asia/Tokyo": [clock(start, "Asia/Tokyo")],
    }
    assert russian.get("lang") == "ru"
    assert api.json()["title"] == {"en": "Renamed"}  # organisers' answers are never replayed
    assert public_api.json()["title"] == {"en": "Session opening"}


async def test_programme_lead_names_a_shared_zone_once_and_an_ended_conference_offers_no_register_link(
    client: Client, organiser: Organiser
) -> None:
    await announce(client, organiser, starts_on="2021-11-14", ends_on="2021-11-14")
    await add_session(client, organiser, "old-talk", datetime(2021, 11, 14, 9, 0, tzinfo=LONDON))

    london = html(await client.get("/climate-2027/programme/?tz=Europe/London"))
    sydney = html(await client.get("/climate-2027/programme/?tz=Australia/Sydney"))
    overview = html(await client.get("/climate-2027/"))
    session = html(await client.get("/climate-2027/sessions/old-talk/"))

    assert texts(london, ".lead") == ["Times are shown in London time (Europe/London)."]
    assert texts(sydney, ".lead") == ["All times in Sydney time; each session also shows its time in London."]
    for tree in (london, sydney, overview, session):
        assert tree.cssselect('a[href$="/register/"]') == []
        assert texts(tree, ".sections li") == ["Overview", "Programme", "Speakers", "News"]
    assert texts(overview, ".ended-note") == ["This conference is over."]
