"""The programme page's timetable over HTTP: a column per stream, days as links, one element per session."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta

from litestar.testing import AsyncTestClient
from sqlalchemy import select, update

from confman.app import create_app
from confman.db.models import Conference, Speaker, StoredFile
from confman.settings import Settings
from tests.factories import Organiser, database, post_ok
from tests.integration.test_public_pages import BASE, LONDON, Client, add_session, announce, html, texts


def placement(article: object, axis: str) -> str:
    return re.findall(rf"\btt-{axis}(\d+)\b", article.get("class"))[0]  # type: ignore[attr-defined]


async def test_programme_timetable_has_a_column_per_stream_and_day_links(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await announce(client, organiser)
    await post_ok(
        client,
        organiser,
        f"{BASE}/streams",
        {"slug": "room-2", "name": "Room 2", "meeting_url": "https://meet.example.org/r2"},
    )
    colour = await client.patch(f"{BASE}/tracks/plenary", json={"color": "#aa3300"}, headers=organiser.headers)
    assert colour.status_code == 200, colour.text
    start = datetime(2027, 11, 14, 9, 0, tzinfo=LONDON)
    await add_session(client, organiser, "limits", start, stream="main", track="plenary", length=timedelta(minutes=90),
                      speakers=[{"speaker": "alex-callinicos"}])  # fmt: skip
    await add_session(client, organiser, "justice", start, stream="room-2", track="debate")
    await add_session(client, organiser, "lunch", start + timedelta(hours=2), kind="break")
    # 23:00 in London is 10:00 the next morning in Sydney.
    await add_session(client, organiser, "late", start + timedelta(hours=14), stream="main", track="debate")
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 32
    sha = hashlib.sha256(png).hexdigest()
    async with database(settings) as db:
        conference_id = await db.scalar(select(Conference.id))
        photo = StoredFile(
            conference_id=conference_id, content_type="image/png", data=png, width=1, height=1, sha256=sha
        )
        db.add(photo)
        await db.flush()
        await db.execute(update(Speaker).where(Speaker.slug == "alex-callinicos").values(photo_id=photo.id))

    answer = await client.get("/climate-2027/programme/?tz=Australia/Sydney")
    tree = html(answer)
    debate = html(await client.get("/climate-2027/programme/?tz=Australia/Sydney&track=debate"))

    assert re.search(r'<link rel="stylesheet" href="/static/programme\.css\?v=\w+">', answer.text)
    assert re.search(r'<script src="/static/programme\.js\?v=\w+" defer></script>', answer.text)
    # The days are plain links to their headings (programme.js makes them tabs).
    days = ["2027-11-14", "2027-11-15"]
    assert [a.get("href") for a in tree.cssselect(".day-tabs a")] == [f"#day-{d}" for d in days]
    assert texts(tree, ".day-tabs a") == ["Sun, Nov 14", "Mon, Nov 15"]
    assert [h.get("id") for h in tree.cssselect("section.day > h2")] == [f"day-{d}" for d in days]
    assert 'role="tab' not in answer.text
    # A column per stream, then the sessions without a stream; the same streams every day.
    first, second = tree.cssselect("section.day .tt-grid")
    assert texts(first, ".tt-head:not(.tt-corner)") == ["Main hall", "Room 2", "Other"]
    assert texts(second, ".tt-head:not(.tt-corner)") == ["Main hall", "Room 2", "Other"]
    assert texts(first, ".tt-corner") == ["Sydney"]
    nine, ten, noon = (f"2027-11-14T{hour}:00:00+00:00" for hour in ("09", "10", "12"))
    assert (first.get("data-start"), first.get("data-end")) == (nine, noon)
    assert [h.get("data-at") for h in first.cssselect(".tt-hour")] == [nine, ten, "2027-11-14T11:00:00+00:00"]
    # Every session once, with its data-session; the parallel two in one row, side by side.
    articles = {a.get("data-session"): a for a in tree.cssselect("article.session")}
    assert sorted(articles) == ["justice", "late", "limits", "lunch"]
    assert all(a.get("id") == f"session-{slug}" for slug, a in articles.items())
    limits, justice, lunch = articles["limits"], articles["justice"], articles["lunch"]
    assert [placement(a, "r") for a in (limits, justice, lunch)] == ["2", "2", "26"]
    assert [placement(a, "s") for a in (limits, justice, lunch)] == ["18", "12", "12"]
    assert [placement(a, "c") for a in (limits, justice, lunch)] == ["2", "3", "4"]
    assert "track-plenary" in limits.get("class")
    # The legend names the tracks that have a colour.
    assert texts(tree, ".tt-legend li") == ["Plenary"]
    assert tree.cssselect(".tt-legend .swatch")[0].get("class") == "swatch track-plenary"
    avatar = limits.cssselect("img.avatar")[0]
    assert (avatar.get("src"), avatar.get("alt")) == (f"{settings.base_url.rstrip('/')}/media/{sha}.png", "")
    assert texts(limits, ".speaker a") == ["Alex Callinicos"]
    # Filters keep working: only the streams that still hold a session get a column.
    assert sorted(a.get("data-session") for a in debate.cssselect("article.session")) == ["justice", "late"]
    assert texts(debate.cssselect(".tt-grid")[0], ".tt-head:not(.tt-corner)") == ["Main hall", "Room 2"]


async def test_programme_pages_share_zone_free_parts_yet_each_viewer_gets_their_own_page(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    """A page-cache miss reuses what the version's viewers in one language share (session cards,
    speaker links, the conference's clocks): a viewer's page is the very page a fresh worker
    makes for them alone, and a change shows at once."""
    await announce(client, organiser)
    start = datetime(2027, 11, 14, 9, 0, tzinfo=LONDON)
    await add_session(client, organiser, "limits", start, stream="main", track="plenary",
                      speakers=[{"speaker": "alex-callinicos"}])  # fmt: skip
    await add_session(client, organiser, "late", start + timedelta(hours=14), stream="main", track="debate")
    viewers = [("Europe/London", "en"), ("Australia/Sydney", "en"), ("America/Los_Angeles", "ru"),
               ("Asia/Tokyo", "ru"), ("Europe/London", "es")]  # fmt: skip
    shared = {v: (await client.get(f"/climate-2027/programme/?tz={v[0]}&lang={v[1]}")).text for v in viewers}
    alone = create_app(settings)
    for viewer in viewers:
        async with AsyncTestClient(alone, base_url="http://testserver.local") as fresh:
            alone.state["programme_cache"].clear()
            alone.state["response_cache"].clear()
            page = await fresh.get(f"/climate-2027/programme/?tz={viewer[0]}&lang={viewer[1]}")
        assert page.text == shared[viewer], viewer
    assert shared["Australia/Sydney", "en"] != shared["Europe/London", "en"]
    assert "Sydney" in shared["Australia/Sydney", "en"]

    renamed = await client.patch(f"{BASE}/sessions/limits", json={"title": {"en": "Renamed at once"}},
                                 headers=organiser.headers)  # fmt: skip
    assert renamed.status_code == 200, renamed.text
    for zone in ("Europe/London", "Asia/Tokyo"):
        assert "Renamed at once" in (await client.get(f"/climate-2027/programme/?tz={zone}&lang=en")).text
