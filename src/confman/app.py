"""The application factory: ``create_app(settings)`` builds everything; nothing is global."""

from __future__ import annotations

import gc
import os
from typing import Protocol

from advanced_alchemy.extensions.litestar import AsyncSessionConfig, SQLAlchemyAsyncConfig, SQLAlchemyPlugin
from litestar import Litestar
from litestar.datastructures import CacheControlHeader, State
from litestar.di import Provide
from litestar.exceptions import NotFoundException
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.stores.base import Store
from litestar.stores.redis import RedisStore
from litestar.stores.registry import StoreRegistry
from litestar.template.config import TemplateConfig
from litestar.types import ASGIApp, ControllerRouterHandler
from redis.asyncio import Redis
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from confman.accounts import routes as accounts
from confman.accounts.auth import provide_current_user, provide_organiser
from confman.attendees import routes as attendees
from confman.audit import recorder as audit
from confman.calendar import routes as calendar
from confman.changes import routes as changes
from confman.conferences import routes as conferences
from confman.conferences.access import check_conference_routes, provide_conference_access
from confman.db.engine import create_engine
from confman.db.session_store import DatabaseStore
from confman.db.transactions import mark_write_intent, provide_db_session
from confman.lib.allow_header import whole_allow_header
from confman.lib.api_docs import SelfHostedSwagger
from confman.lib.errors import (
    DATABASE_UNAVAILABLE,
    FormRejected,
    database_unavailable_handler,
    integrity_error_handler,
)
from confman.lib.head import head_as_get
from confman.lib.log_redaction import install_token_redaction
from confman.lib.metrics import RequestMetricsMiddleware
from confman.lib.openapi import ApiDocumentConfig, StrictInputSchemas
from confman.lib.paths import STATIC_DIR
from confman.lib.request_log import with_request_ids
from confman.lib.requests import JsonCheckedRequest
from confman.lib.response_cache import ResponseCache, response_cache_middleware
from confman.lib.security_headers import security_headers_middleware
from confman.lib.templating import PageRenderer
from confman.lib.urls import refuse_unreadable_paths
from confman.mail import routes as mail
from confman.news import routes as news
from confman.ops import routes as ops
from confman.orga import routes as orga
from confman.orga.session import SESSION_STORE
from confman.programme import routes as programme
from confman.published.cache import ProgrammeCache
from confman.registration import routes as registration
from confman.registration.placement import LOCKED, Placement
from confman.registration.submit import SubmitTargets
from confman.schedule import routes as schedule
from confman.settings import Settings
from confman.site.serve import form_rejected_handler, not_found_handler
from confman.speakers import routes as speakers
from confman.webhooks import routes as webhooks
from confman.worker import EmbeddedWorker


class Domain(Protocol):
    """A package that exports its routes (its ``routes.py``): pages, files, API, each behind
    the middleware it needs (CSRF for forms, rate limits for what they guard)."""

    def routes(self, settings: Settings) -> list[ControllerRouterHandler]: ...


DOMAINS: tuple[Domain, ...] = (
    accounts,
    conferences,
    speakers,
    programme,
    calendar,
    schedule,
    changes,
    registration,
    attendees,
    webhooks,
    news,
    # The organisers' pages (/orga/).
    orga,
    # The local mailbox in the browser: development and the demo only.
    mail,
    # /healthz and /readyz.
    ops,
)
# Self-hosted CSS and JS, addressed by content hash (lib/templating.static_url): cache for a year.
STATIC_FILES = create_static_files_router(
    path="/static", directories=[STATIC_DIR], cache_control=CacheControlHeader(max_age=31536000, public=True)
)


def create_app(settings: Settings | None = None, *, placement: Placement = LOCKED) -> Litestar:
    """The app for ``settings``. ``placement``: how seats are given (the race test's control
    run gives one without the lock; everything else keeps the default)."""
    settings = settings or Settings()
    # Request paths carry private tokens; the access log must not.
    install_token_redaction()
    # Every organiser change is recorded (audit/recorder.py).
    audit.install()
    engine = create_engine(settings)
    programme_cache = ProgrammeCache(version_ttl=settings.programme_cache_seconds)
    page_renderer = PageRenderer()
    # Whole public answers for as long as a worker trusts a programme version anyway.
    response_cache = ResponseCache(ttl=settings.programme_cache_seconds)
    # The conferences and rules that this app's submits last read (registration/submit.py).
    submit_targets = SubmitTargets()
    db_config = SQLAlchemyAsyncConfig(
        engine_instance=engine,
        session_config=AsyncSessionConfig(expire_on_commit=False),
        session_dependency_key="plugin_db_session",
        # Commit happens in provide_db_session; the plugin only closes the session.
        before_send_handler=None,
    )
    # The embedded default sends mail from inside the app; `confman worker` processes replace it.
    mail_worker = EmbeddedWorker(settings, engine) if settings.mail_worker_embedded else None
    redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
    app = Litestar(
        route_handlers=[*(handler for domain in DOMAINS for handler in domain.routes(settings)), STATIC_FILES],
        plugins=[SQLAlchemyPlugin(config=db_config), StrictInputSchemas()],
        stores=_stores(settings, redis, engine),
        dependencies={
            "db_session": Provide(provide_db_session),
            "current_user": Provide(provide_current_user),
            # A valid token (else 401); and a conference as the route's opt["access"] allows it.
            "organiser": Provide(provide_organiser),
            "conference_access": Provide(provide_conference_access),
            "settings": Provide(lambda: settings, use_cache=True, sync_to_thread=False),
            "programme_cache": Provide(lambda: programme_cache, use_cache=True, sync_to_thread=False),
            "page_renderer": Provide(lambda: page_renderer, use_cache=True, sync_to_thread=False),
            "placement": Provide(lambda: placement, use_cache=True, sync_to_thread=False),
            "submit_targets": Provide(lambda: submit_targets, use_cache=True, sync_to_thread=False),
        },
        middleware=[
            # Requests and latency by route template, cached answers included (lib/metrics.py).
            RequestMetricsMiddleware,
            refuse_unreadable_paths,
            whole_allow_header,
            response_cache_middleware(response_cache),
            security_headers_middleware,
        ],
        before_request=mark_write_intent,
        request_class=JsonCheckedRequest,
        # The embedded mail worker (or None) and the app's in-memory caches, for operators' and
        # tests' eyes (the test suite reuses one app per database and clears them between tests).
        state=State(
            {
                "mail_worker": mail_worker,
                # Links on error pages come from here, never from the request's Host header.
                "base_url": settings.base_url,
                "engine": engine,
                # For /readyz (ops/health.py); None without CONFMAN_REDIS_URL.
                "redis": redis,
                "programme_cache": programme_cache,
                "response_cache": response_cache,
                "submit_targets": submit_targets,
            }
        ),
        on_startup=[mail_worker.start] if mail_worker else [],
        # advanced-alchemy disposes only the first engine of a process; tests build many apps.
        on_shutdown=[
            *([mail_worker.shutdown] if mail_worker else []),
            *([redis.aclose] if redis else []),
            engine.dispose,
        ],
        exception_handlers={
            IntegrityError: integrity_error_handler,
            # The database out of reach: 503 with Retry-After, never a 500.
            **dict.fromkeys(DATABASE_UNAVAILABLE, database_unavailable_handler),
            NotFoundException: not_found_handler(page_renderer),
            # A refused form: its page again, after the request's transaction rolled back.
            FormRejected: form_rejected_handler(page_renderer),
        },
        template_config=TemplateConfig(instance=JinjaTemplateEngine.from_environment(page_renderer.environment)),
        openapi_config=ApiDocumentConfig(
            # The JSON document at /schema/openapi.json, and the docs page from our own origin.
            render_plugins=[JsonRenderPlugin(), SelfHostedSwagger()],
            title="confman",
            version="1",
            description="Online-conference manager. Organiser operations need `Authorization: Bearer <token>`.",
            components=Components(
                security_schemes={
                    "BearerToken": SecurityScheme(type="http", scheme="bearer", description="From POST /api/v1/tokens")
                }
            ),
        ),
        debug=settings.debug,
    )
    check_conference_routes(app.routes)
    # HEAD on every GET: its status and headers, no body (in front of the router, which would say 405).
    app.asgi_handler = head_as_get(app.asgi_handler)
    # Outermost, around 404s and errors too: an X-Request-ID for every answer and its log lines.
    app.asgi_handler = with_request_ids(app.asgi_handler)
    return app


def _stores(settings: Settings, redis: Redis | None, engine: AsyncEngine) -> StoreRegistry:
    """Every store the app asks for by name (the rate limits', the organisers' sessions) is in
    Redis when it is configured, shared by every process and server. Without Redis the
    sessions are in the database (shared all the same) and the rate limits count in each
    process's memory."""
    if redis is None:
        return StoreRegistry({SESSION_STORE: DatabaseStore(engine)})

    def redis_store(name: str) -> Store:
        return RedisStore(redis, namespace=f"{settings.redis_namespace}_{name}")

    return StoreRegistry(default_factory=redis_store)


def create_app_from_environment() -> Litestar:
    """Entry point for ASGI servers (``confman.app:create_app_from_environment``)."""
    app = create_app(Settings())
    app.on_startup.append(freeze_startup_objects)
    return app


def freeze_startup_objects() -> None:
    """Leave what start-up built (modules, routes, templates: ~240,000 objects) out of every later
    garbage collection. A full collection walked them all, 140 ms during which the worker
    answered nobody: that pause was the p99 of every path under load (issue 17). Server
    processes only; a test process builds many apps, whose frozen garbage would never go."""
    gc.collect()
    gc.freeze()


def create_proxied_app_from_environment() -> ASGIApp:
    """Entry point for granian (``confman run --server granian``), which reads no proxy headers
    itself: the client's address and scheme from ``X-Forwarded-For``/``-Proto`` when the peer is
    trusted, as uvicorn's ``proxy_headers`` does (``FORWARDED_ALLOW_IPS``, default 127.0.0.1)."""
    from granian.utils.proxies import wrap_asgi_with_proxy_headers

    trusted = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
    app: ASGIApp = wrap_asgi_with_proxy_headers(create_app_from_environment(), trusted_hosts=trusted)
    return app
