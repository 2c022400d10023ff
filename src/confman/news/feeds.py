"""``/{conf}/news.atom?lang=xx``: the visible announcements as an Atom feed in one language.

Each entry is in ``lang`` where the announcement is written in it, else in the conference's
default language (marked with its own ``xml:lang``), with its pages in every language as
``alternate`` links side by side. An unknown or unoffered ``lang`` falls back to the default
language, as the calendar feeds do (the feed's ``self`` link then names the language served).
Entry ids are ``urn:uuid:`` names derived from the announcement's guid and the language, so
they survive a change of slug. Served like every public file (``serve_programme_file``), with
the visible announcements in the cache key.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, get
from litestar.params import FromPath, FromQuery

from confman.db.transactions import DbSession
from confman.lib.atom import MEDIA_TYPE, AtomEntry, AtomFeed, AtomLink, render_atom
from confman.lib.i18n import ui_language
from confman.lib.markdown import render_markdown
from confman.lib.templating import gettext_callables
from confman.lib.translations import pick
from confman.lib.urls import news_article_url, news_feed_url, news_url
from confman.news.pages import NewsCacheDependency, visible_news
from confman.news.public import PublicAnnouncement, VisibleNews
from confman.published.model import PublicConference
from confman.settings import AppSettings
from confman.site.serve import ProgrammeCacheDependency, published_programme, serve_programme_file

MAX_ENTRIES = 50
HTML = "text/html"
ATOM = "application/atom+xml"


def feed_language(conference: PublicConference, asked: str | None) -> str:
    """The language a feed is served in: ``asked`` if the conference offers it, else its default."""
    if asked and len(asked) <= 16:
        for code in conference.languages:
            if code.lower() == asked.lower():
                return code
    return conference.default_language


def _entry(conference: PublicConference, announcement: PublicAnnouncement, language: str, base: str) -> AtomEntry:
    title, used = pick(announcement.title, language, conference.default_language)
    body = announcement.body.get(used) or pick(announcement.body, used, conference.default_language)[0]
    written = [code for code in conference.languages if code in announcement.languages]
    written += [code for code in announcement.languages if code not in written]
    return AtomEntry(
        id=f"urn:uuid:{uuid.uuid5(announcement.guid, used)}",
        title=title,
        updated=announcement.modified_at,
        published=announcement.publish_at,
        content_html=str(render_markdown(body)),
        links=[
            AtomLink(news_article_url(base, conference.slug, announcement.slug, code), type=HTML, hreflang=code)
            for code in written
        ],
        language=used if used != language else None,
    )


def render_news_feed(conference: PublicConference, news: VisibleNews, language: str, base: str) -> bytes:
    _ = gettext_callables(ui_language(language))["_"]
    title = pick(conference.title, language, conference.default_language)[0]
    entries = [_entry(conference, a, language, base) for a in news.newest_first()[:MAX_ENTRIES]]
    return render_atom(
        AtomFeed(
            id=f"urn:uuid:{uuid.uuid5(conference.guid, f'news:{language}')}",
            title=_("News · %(title)s", title=title),
            updated=news.changed_at(conference.changed_at) if entries else conference.changed_at,
            author=title,
            self_url=news_feed_url(base, conference.slug, language),
            language=language,
            entries=entries,
            links=[
                AtomLink(news_url(base, conference.slug) + f"?lang={language}", type=HTML, hreflang=language),
                *(
                    AtomLink(news_feed_url(base, conference.slug, code), type=ATOM, hreflang=code)
                    for code in conference.languages
                    if code != language
                ),
            ],
        )
    )


@get("/{conf:str}/news.atom", name="news_atom", include_in_schema=False)
async def news_atom(
    request: Request[Any, Any, Any],
    conf: FromPath[str],
    db_session: DbSession,
    settings: AppSettings,
    programme_cache: ProgrammeCacheDependency,
    news_cache: NewsCacheDependency,
    lang: FromQuery[str | None] = None,
) -> Response[bytes]:
    version, news = await visible_news(db_session, programme_cache, news_cache, conf)
    programme = await published_programme(db_session, programme_cache, conf)
    language = feed_language(programme.conference, lang)

    async def render() -> bytes:
        return render_news_feed(programme.conference, news, language, settings.base_url)

    return await serve_programme_file(
        request, db=db_session, cache=programme_cache, slug=conf, variant=("news.atom", language, news.key),
        render=render, media_type=MEDIA_TYPE, filename="news.atom", changed_at=news.changed_at(version.changed_at),
    )  # fmt: skip
