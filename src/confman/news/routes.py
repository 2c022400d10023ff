"""The announcements' routes: the public pages and feed (with the worker's memory of what is
visible, ``news/public.py``), and the organisers' API."""

from __future__ import annotations

from litestar import Router
from litestar.di import Provide
from litestar.types import ControllerRouterHandler

from confman.news.api import AnnouncementController
from confman.news.feeds import news_atom
from confman.news.pages import news_article_page, news_page
from confman.news.public import NewsCache
from confman.settings import Settings


def routes(settings: Settings) -> list[ControllerRouterHandler]:
    cache = NewsCache(ttl=settings.programme_cache_seconds)
    public = Router(
        path="/",
        route_handlers=[news_page, news_article_page, news_atom],
        dependencies={"news_cache": Provide(lambda: cache, use_cache=True, sync_to_thread=False)},
        include_in_schema=False,
    )
    return [public, AnnouncementController]
