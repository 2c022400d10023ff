"""Announcements: the organisers' API (and its refusals, with nothing written), the public
pages in each language with the other languages side by side, drafts and scheduled ones
invisible until their time, and the Atom feed in each language (RFC 4287's schema and a feed
reader)."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select, update

from confman.db.models import Announcement
from confman.lib.timezones import utcnow
from confman.settings import Settings
from tests.atom import assert_valid_atom
from tests.factories import Organiser, conference_payload, database, post_ok

Client = AsyncTestClient[Litestar]
API = "/api/v1/conferences/climate-2027/announcements"
NEWS = "/climate-2027/news/"

OPEN = {
    "en": ("Registration is open", "Register **now**: the conference is online and free."),
    "es": ("La inscripción está abierta", "Inscríbete **ya**: la conferencia es en línea y gratuita."),
    "fr": ("Les inscriptions sont ouvertes", "Inscrivez-vous **dès maintenant** : la conférence est en ligne."),
    "ru": ("Регистрация открыта", "Регистрируйтесь **сейчас**: конференция проходит онлайн."),
}


def payload(
    slug: str = "registration-open", texts: dict[str, tuple[str, str]] = OPEN, **overrides: Any
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "slug": slug,
        "title": {language: title for language, (title, _) in texts.items()},
        "body": {language: body for language, (_, body) in texts.items()},
        "status": "published",
    }
    data.update(overrides)
    return data


async def _conference(client: Client, organiser: Organiser) -> None:
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload())


async def _count(settings: Settings) -> int:
    async with database(settings) as db:
        return int(await db.scalar(select(func.count()).select_from(Announcement)) or 0)


async def test_announcement_crud_through_the_api(client: Client, organiser: Organiser, settings: Settings) -> None:
    await _conference(client, organiser)
    created = await post_ok(client, organiser, API, payload(status="draft"))
    assert created["status"] == "draft"
    assert created["publish_at"] is None
    assert created["visible"] is False
    assert created["url"] == "http://testserver.local/climate-2027/news/registration-open/"
    assert created["title"]["ru"] == "Регистрация открыта"

    listed = await client.get(API, headers=organiser.headers)
    assert [a["slug"] for a in listed.json()] == ["registration-open"]
    one = await client.get(f"{API}/registration-open", headers=organiser.headers)
    assert one.json()["revision"] == 1

    published = await client.patch(
        f"{API}/registration-open", json={"status": "published", "pinned": True}, headers=organiser.headers
    )
    assert published.status_code == 200, published.text
    assert published.json()["visible"] is True
    assert published.json()["pinned"] is True
    assert published.json()["revision"] == 2

    duplicate = await client.post(API, json=payload(), headers=organiser.headers)
    assert duplicate.status_code == 409
    assert duplicate.json()["extra"][0]["key"] == "slug"

    deleted = await client.delete(f"{API}/registration-open", headers=organiser.headers)
    assert deleted.status_code == 204
    assert (await client.get(f"{API}/registration-open", headers=organiser.headers)).status_code == 404
    assert await _count(settings) == 0


async def test_announcements_api_needs_an_organiser(
    client: Client, organiser: Organiser, other_organiser: Organiser
) -> None:
    await _conference(client, organiser)
    await post_ok(client, organiser, API, payload(status="draft"))
    assert (await client.get(API)).status_code == 401
    assert (await client.post(API, json=payload(slug="other"))).status_code == 401
    assert (await client.get(API, headers=other_organiser.headers)).status_code == 404
    assert (await client.delete(f"{API}/registration-open", headers=other_organiser.headers)).status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": {"en": "Hello", "de": "Hallo"}, "body": {"en": "x", "de": "y"}}, "title.de"),
        ({"title": {"en": "Hello", "xx-nope": "?"}}, "title.xx-nope"),
        ({"title": {"es": "Hola"}, "body": {"es": "Texto"}}, "title"),
        ({"title": {"en": "   "}}, "title.en"),
        ({"body": {"en": ""}}, "body.en"),
        ({"title": {"en": "Hello"}, "body": {"en": "Text", "es": "Texto"}}, "title.es"),
        ({"body": {"en": "Hello <script>alert(1)</script>"}}, "body.en"),
        ({"body": {"en": "<div onclick='x()'>Hi</div>"}}, "body.en"),
        ({"title": {"en": "<b>Bold</b> news"}}, "title.en"),
        ({"body": {"en": "Null \x00 byte"}}, "body.en"),
        ({"title": {"en": "Two\nlines"}}, "title.en"),
        ({"body": {"en": "x" * 16_001}}, "body.en"),
        ({"slug": "Not a slug"}, "slug"),
        ({"slug": "new"}, "slug"),
        ({"publish_at": 1700000000}, "publish_at"),
        ({"status": "archived"}, "status"),
        ({"colour": "red"}, "colour"),
    ],
)
async def test_bad_announcements_are_refused_naming_the_field(
    client: Client, organiser: Organiser, settings: Settings, change: dict[str, Any], field: str
) -> None:
    await _conference(client, organiser)
    data = payload(texts={"en": OPEN["en"]})
    data.update(change)
    answer = await client.post(API, json=data, headers=organiser.headers)
    assert answer.status_code == 400, answer.text
    keys = [item["key"] for item in answer.json()["extra"]]
    # An unknown language is named as pydantic names a dict key: ``title.xx-nope.[key]``.
    assert any(key == field or key.startswith(field + ".") for key in keys), keys
    assert await _count(settings) == 0


async def test_markdown_that_only_looks_like_html_is_accepted(client: Client, organiser: Organiser) -> None:
    await _conference(client, organiser)
    body = "2 < 3, see <https://example.org> and `<br>` in code.\n\n    <p>indented code</p>"
    created = await post_ok(client, organiser, API, payload(texts={"en": ("Notes", body)}))
    page = await client.get(NEWS + "registration-open/")
    assert created["body"]["en"] == body
    assert "&lt;br&gt;" in page.text
    assert '<a href="https://example.org"' in page.text


async def test_a_bad_update_writes_nothing(client: Client, organiser: Organiser) -> None:
    await _conference(client, organiser)
    await post_ok(client, organiser, API, payload())
    await post_ok(client, organiser, API, payload(slug="second"))
    clash = await client.patch(f"{API}/second", json={"slug": "registration-open"}, headers=organiser.headers)
    assert clash.status_code == 409
    bad = await client.patch(
        f"{API}/second", json={"title": {"en": "New", "fr": "<i>x</i>"}, "pinned": True}, headers=organiser.headers
    )
    assert bad.status_code == 400
    assert bad.json()["extra"][0]["key"] == "title.fr"
    unchanged = (await client.get(f"{API}/second", headers=organiser.headers)).json()
    assert unchanged["title"]["en"] == "Registration is open"
    assert unchanged["pinned"] is False
    assert unchanged["revision"] == 1


def _hreflangs(html: str) -> dict[str, str]:
    return dict(re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', html))


async def test_the_article_in_each_language_links_the_others_side_by_side(client: Client, organiser: Organiser) -> None:
    await _conference(client, organiser)
    await post_ok(client, organiser, API, payload())
    for language, (title, _) in OPEN.items():
        page = await client.get(f"{NEWS}registration-open/?lang={language}")
        assert page.status_code == 200, page.text
        assert f'<html lang="{language}"' in page.text
        assert f"<h1><span>{title}</span></h1>" in page.text
        # The head names exactly the announcement's languages (and the default), side by side.
        alternates = _hreflangs(page.text)
        alternates.pop("x-default")  # the canonical address, as on every page
        assert alternates == {
            "en": "http://testserver.local/climate-2027/news/registration-open/?lang=en",
            "es": "http://testserver.local/climate-2027/news/registration-open/?lang=es",
            "fr": "http://testserver.local/climate-2027/news/registration-open/?lang=fr",
            "ru": "http://testserver.local/climate-2027/news/registration-open/?lang=ru",
        }
        for other in OPEN:
            assert (
                f'href="http://testserver.local/climate-2027/news/registration-open/?lang={other}" '
                f'hreflang="{other}" lang="{other}"' in page.text
            )
        ld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page.text, re.S)[1])
        assert ld["@type"] == "NewsArticle"
        assert ld["headline"] == title
        assert ld["inLanguage"] == language
        assert sorted(t["inLanguage"] for t in ld["workTranslation"]) == sorted(set(OPEN) - {language})
    # An interface language the announcement is not written in: the default language's text.
    page = await client.get(f"{NEWS}registration-open/?lang=pt")
    assert '<h1><span lang="en">Registration is open</span></h1>' in page.text


async def test_news_list_pinned_first_then_newest(client: Client, organiser: Organiser) -> None:
    await _conference(client, organiser)
    now = utcnow()
    old = (now - timedelta(days=3)).isoformat()
    await post_ok(client, organiser, API, payload(slug="old-pinned", texts={"en": ("Old pinned", "a")},
                                                   publish_at=old, pinned=True))  # fmt: skip
    await post_ok(client, organiser, API, payload(slug="older", texts={"en": ("Older", "b")},
                                                   publish_at=(now - timedelta(days=2)).isoformat()))  # fmt: skip
    await post_ok(client, organiser, API, payload(slug="newest", texts={"en": ("Newest", "c")},
                                                   publish_at=(now - timedelta(hours=1)).isoformat()))  # fmt: skip
    await post_ok(client, organiser, API, payload(slug="draft", texts={"en": ("Draft", "d")}, status="draft"))
    page = await client.get(NEWS + "?lang=en")
    assert page.status_code == 200
    titles = re.findall(r'<h2 id="news-[^"]+"><a href="[^"]+"><span>([^<]+)</span>', page.text)
    assert titles == ["Old pinned", "Newest", "Older"]
    # The conference's navigation links the news.
    conference = await client.get("/climate-2027/")
    assert 'href="http://testserver.local/climate-2027/news/"' in conference.text


async def test_drafts_and_scheduled_announcements_are_invisible_until_their_time(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await _conference(client, organiser)
    await post_ok(client, organiser, API, payload(slug="draft", status="draft"))
    later = (utcnow() + timedelta(hours=2)).isoformat()
    scheduled = await post_ok(client, organiser, API, payload(slug="scheduled", publish_at=later))
    assert scheduled["scheduled"] is True
    assert scheduled["visible"] is False
    for slug in ("draft", "scheduled", "nothing"):
        missing = await client.get(f"{NEWS}{slug}/")
        assert missing.status_code == 404
        assert "text/html" in missing.headers["content-type"]
    listed = await client.get(NEWS)
    assert "Registration is open" not in listed.text
    feed = await client.get("/climate-2027/news.atom?lang=en")
    assert_valid_atom(feed.content, entries=0)
    etag = listed.headers["etag"]

    # Its time comes (no write to the conference, no new programme version): it shows at once.
    async with database(settings) as db:
        await db.execute(
            update(Announcement)
            .where(Announcement.slug == "scheduled")
            .values(publish_at=utcnow() - timedelta(seconds=1))
        )
    shown = await client.get(NEWS, headers={"If-None-Match": etag})
    assert shown.status_code == 200
    assert "Registration is open" in shown.text
    assert (await client.get(f"{NEWS}scheduled/")).status_code == 200
    assert_valid_atom((await client.get("/climate-2027/news.atom?lang=en")).content, entries=1)

    # Unpublished again: gone at once, and the 304 of the old page is not given.
    unpublished = await client.patch(f"{API}/scheduled", json={"status": "draft"}, headers=organiser.headers)
    assert unpublished.status_code == 200
    assert (await client.get(f"{NEWS}scheduled/")).status_code == 404
    again = await client.get(NEWS, headers={"If-None-Match": shown.headers["etag"]})
    assert again.status_code == 200
    assert "Registration is open" not in again.text


async def test_an_edit_shows_at_once_and_unchanged_pages_answer_304(client: Client, organiser: Organiser) -> None:
    await _conference(client, organiser)
    await post_ok(client, organiser, API, payload())
    first = await client.get(f"{NEWS}registration-open/?lang=en")
    assert (
        await client.get(f"{NEWS}registration-open/?lang=en", headers={"If-None-Match": first.headers["etag"]})
    ).status_code == 304
    await client.patch(
        f"{API}/registration-open",
        json={"title": {**{k: v[0] for k, v in OPEN.items()}, "en": "Registration is still open"}},
        headers=organiser.headers,
    )
    changed = await client.get(f"{NEWS}registration-open/?lang=en", headers={"If-None-Match": first.headers["etag"]})
    assert changed.status_code == 200
    assert "Registration is still open" in changed.text


async def test_the_atom_feed_is_valid_in_each_language(client: Client, organiser: Organiser) -> None:
    await _conference(client, organiser)
    yesterday = (utcnow() - timedelta(days=1)).isoformat()
    await post_ok(client, organiser, API, payload(publish_at=yesterday))
    await post_ok(
        client, organiser, API, payload(slug="english-only", texts={"en": ("Only in English", "Hello & welcome <3")})
    )
    await post_ok(client, organiser, API, payload(slug="draft", status="draft"))
    for language, (title, _) in OPEN.items():
        answer = await client.get(f"/climate-2027/news.atom?lang={language}")
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"] == "application/atom+xml; charset=utf-8"
        feed = assert_valid_atom(answer.content, entries=2)
        assert feed.feed.language == language
        assert feed.feed.links[0].href == f"http://testserver.local/climate-2027/news.atom?lang={language}"
        newest, older = feed.entries
        assert newest.title == "Only in English"
        assert newest.content[0].value == "<p>Hello &amp; welcome &lt;3</p>"
        assert older.title == title
        assert {link.hreflang for link in older.links} == set(OPEN)
        assert older.id.startswith("urn:uuid:")
    ids = {(await client.get(f"/climate-2027/news.atom?lang={code}")).text.count("urn:uuid:") for code in OPEN}
    assert ids == {3}
    # Unknown or unoffered languages fall back to the default one, as the calendar feeds do.
    for asked in ("de", "zz", "x" * 100):
        answer = await client.get(f"/climate-2027/news.atom?lang={asked}")
        feed = assert_valid_atom(answer.content, entries=2)
        assert feed.feed.language == "en"
    cached = await client.get("/climate-2027/news.atom?lang=es")
    assert (
        await client.get("/climate-2027/news.atom?lang=es", headers={"If-None-Match": cached.headers["etag"]})
    ).status_code == 304
    assert (await client.get("/nope/news.atom")).status_code == 404


async def test_the_demo_carries_two_announcements_in_four_languages(client: Client, settings: Settings) -> None:
    from confman.demo.data import load_demo

    async with database(settings) as db:
        await load_demo(db, None, utcnow().date())
    expected = {
        "en": ("Registration is open", "The programme is published: host a local hub"),
        "es": ("Inscripciones abiertas", "Programa publicado: organiza un punto de encuentro local"),
        "fr": ("Les inscriptions sont ouvertes", "Le programme est publié : organisez un point de rencontre local"),
        "ru": ("Регистрация открыта", "Программа опубликована: организуйте местную площадку"),
    }
    for language, titles in expected.items():
        page = await client.get(f"{NEWS}?lang={language}")
        assert page.status_code == 200
        shown = re.findall(r'<h2 id="news-[^"]+"><a href="[^"]+"><span>([^<]+)</span>', page.text)
        assert tuple(shown) == titles  # the pinned "registration is open" first
        feed = assert_valid_atom((await client.get(f"/climate-2027/news.atom?lang={language}")).content, entries=2)
        assert [entry.title for entry in feed.entries] == list(reversed(titles))  # newest first
        article = await client.get(f"{NEWS}programme-and-local-hubs/?lang={language}")
        assert "<ol>" in article.text
        assert len(_hreflangs(article.text)) == 5


async def test_a_cached_news_page_costs_two_small_queries_whatever_the_number_of_announcements(
    client: Client, organiser: Organiser
) -> None:
    from tests.queries import counted_queries

    await _conference(client, organiser)
    for number in range(30):
        await post_ok(client, organiser, API, payload(slug=f"news-{number}", texts={"en": (f"News {number}", "Text")}))
    first = await client.get(NEWS + "?lang=en")
    assert first.text.count('class="news-item') == 30
    # Cached: the conference's version and the announcements' (id, revision, time): no texts, no programme.
    with counted_queries() as statements:
        again = await client.get(NEWS + "?lang=en")
        feed = await client.get("/climate-2027/news.atom?lang=en")
    assert again.status_code == feed.status_code == 200
    assert again.content == first.content
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    # The tests' app remembers nothing (a zero lifetime): the page asks the conference's version
    # twice and the stamps once, the feed the version three times and the stamps once.
    assert len(selects) == 7, selects
    assert not any("announcement.body" in s for s in selects)


async def test_with_a_cache_lifetime_a_publish_time_passing_shows_without_reading_the_list_again(
    organiser: Organiser, settings: Settings
) -> None:
    import asyncio

    from confman.app import create_app
    from tests.queries import counted_queries

    app = create_app(settings.model_copy(update={"programme_cache_seconds": 30}))
    async with AsyncTestClient(app, base_url="http://testserver.local") as client:
        await _conference(client, organiser)
        soon = utcnow() + timedelta(seconds=1.5)
        await post_ok(client, organiser, API, payload(slug="soon", publish_at=soon.isoformat()))
        before = await client.get(NEWS + "?lang=en&t=1")
        assert "Registration is open" not in before.text
        with counted_queries() as cached:
            await client.get(NEWS + "?lang=en&t=2")
        assert [s for s in cached if s.lstrip().upper().startswith("SELECT")] == []
        await asyncio.sleep(max(0.0, (soon - utcnow()).total_seconds()) + 0.1)
        with counted_queries() as statements:
            after = await client.get(NEWS + "?lang=en&t=3")
        assert "Registration is open" in after.text
        # Only the new announcement's texts were read: the list of times was remembered.
        selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
        assert len(selects) == 1, selects
        assert "announcement.body" in selects[0]
