"""The public announcements: ``/{conf}/news/`` (pinned first, then the newest) and
``/{conf}/news/{slug}/``, in the viewer's language with the announcement's other languages
linked side by side (``hreflang``, and as the page's ``<link rel="alternate">``s), and a
schema.org ``NewsArticle``. Served by ``serve_page`` like every public page, with the visible
announcements in the cache key (``news/public.py``), so a change or a publish time passing
shows at once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from confman.db.transactions import DbSession
from confman.lib.errors import not_found
from confman.lib.i18n import format_clock, format_day, language_autonym
from confman.lib.markdown import render_markdown
from confman.lib.timezones import to_zone, utcnow
from confman.lib.translations import pick
from confman.lib.urls import conference_url, news_article_url, news_feed_url, news_url
from confman.news.public import NewsCache, PublicAnnouncement, VisibleNews
from confman.published.cache import ProgrammeVersion
from confman.settings import AppSettings
from confman.site.display import ProgrammeDisplay, RichText, Text
from confman.site.serve import PageRendererDependency, ProgrammeCacheDependency, serve_page
from confman.site.structured_data import news_article_json_ld

NewsCacheDependency = NamedDependency[NewsCache]
ANNOUNCEMENT_NOT_FOUND = "Announcement not found"


@dataclass(frozen=True)
class LanguageLink:
    code: str
    name: str
    url: str
    current: bool


@dataclass(frozen=True)
class ArticleView:
    slug: str
    url: str
    title: Text
    body: RichText | None
    pinned: bool
    day: str
    time: str
    city: str
    iso: str
    languages: list[LanguageLink]


def article_languages(display: ProgrammeDisplay, announcement: PublicAnnouncement) -> list[str]:
    """The languages it is written in, in the conference's order."""
    written = announcement.languages
    return [code for code in display.conference.languages if code in written] + [
        code for code in written if code not in display.conference.languages
    ]


def article_view(display: ProgrammeDisplay, announcement: PublicAnnouncement) -> ArticleView:
    base, slug = display.base_url, display.conference.slug
    title = display.text(announcement.title)
    zone = display.viewer.zone
    return ArticleView(
        slug=announcement.slug,
        url=news_article_url(base, slug, announcement.slug),
        title=title,
        body=display.rich(announcement.body),
        pinned=announcement.pinned,
        day=format_day(to_zone(announcement.publish_at, zone).date(), display.locale),
        time=format_clock(announcement.publish_at, zone, display.locale),
        city=display.city(zone),
        iso=announcement.publish_at.isoformat(),
        languages=[
            LanguageLink(
                code,
                language_autonym(code),
                news_article_url(base, slug, announcement.slug, code),
                code == title.language,
            )
            for code in article_languages(display, announcement)
        ],
    )


async def visible_news(
    db: DbSession, cache: ProgrammeCacheDependency, news: NewsCache, conf: str
) -> tuple[ProgrammeVersion, VisibleNews]:
    version = await cache.published_version(db, conf)
    if version is None:
        raise not_found("Conference not found")
    return version, await news.visible(db, version.conference_id, utcnow())


@get("/{conf:str}/news/", name="news_page", include_in_schema=False)
async def news_page(
    request: Request[Any, Any, Any],
    conf: FromPath[str],
    db_session: DbSession,
    settings: AppSettings,
    programme_cache: ProgrammeCacheDependency,
    page_renderer: PageRendererDependency,
    news_cache: NewsCacheDependency,
) -> Response[bytes]:
    version, news = await visible_news(db_session, programme_cache, news_cache, conf)

    def build(display: ProgrammeDisplay) -> tuple[str, dict[str, Any]]:
        language = display.language if display.language in display.conference.languages else None
        feed_language = language or display.conference.default_language
        return "public/news.html", {
            "announcements": [article_view(display, a) for a in news.announcements],
            "feed_url": news_feed_url(display.base_url, conf, feed_language),
            "feeds": [
                LanguageLink(
                    code, language_autonym(code), news_feed_url(display.base_url, conf, code), code == feed_language
                )
                for code in display.conference.languages
            ],
        }

    return await serve_page(
        request, db=db_session, cache=programme_cache, renderer=page_renderer, settings=settings,
        slug=conf, page="news", build=build, variant=news.key, changed_at=news.changed_at(version.changed_at),
    )  # fmt: skip


@get("/{conf:str}/news/{slug:str}/", name="news_article_page", include_in_schema=False)
async def news_article_page(
    request: Request[Any, Any, Any],
    conf: FromPath[str],
    slug: FromPath[str],
    db_session: DbSession,
    settings: AppSettings,
    programme_cache: ProgrammeCacheDependency,
    page_renderer: PageRendererDependency,
    news_cache: NewsCacheDependency,
) -> Response[bytes]:
    version, news = await visible_news(db_session, programme_cache, news_cache, conf)
    announcement = news.by_slug(slug)
    if announcement is None:
        # A draft, a scheduled one before its time, or none at all: the same 404.
        raise not_found(ANNOUNCEMENT_NOT_FOUND)

    def build(display: ProgrammeDisplay) -> tuple[str, dict[str, Any]]:
        article = article_view(display, announcement)
        conference = display.conference
        title = pick(conference.title, display.language, conference.default_language)[0]
        alternates = [(link.code, link.url) for link in article.languages]
        body = pick(announcement.body, article.title.language, conference.default_language)[0]
        return "public/news_article.html", {
            "article": article,
            "news_url": news_url(display.base_url, conf),
            "page_alternates": alternates,
            "json_ld": news_article_json_ld(
                headline=article.title.value,
                url=news_article_url(display.base_url, conf, announcement.slug, article.title.language),
                language=article.title.language,
                published=to_zone(announcement.publish_at, conference.timezone),
                modified=to_zone(announcement.modified_at, conference.timezone),
                publisher=title,
                publisher_url=conference_url(display.base_url, conf),
                description=render_markdown(body).striptags()[:300],
                translations=[pair for pair in alternates if pair[0] != article.title.language],
            ),
        }

    return await serve_page(
        request, db=db_session, cache=programme_cache, renderer=page_renderer, settings=settings,
        slug=conf, page=f"news:{announcement.slug}", build=build, variant=news.key,
        changed_at=news.changed_at(version.changed_at),
    )  # fmt: skip
