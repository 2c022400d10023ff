"""The application factory: ``create_app(settings)`` builds everything; nothing is global."""

from __future__ import annotations

from typing import Any

from advanced_alchemy.extensions.litestar import AsyncSessionConfig, SQLAlchemyAsyncConfig, SQLAlchemyPlugin
from litestar import Litestar, Request, Router
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import CacheControlHeader, State
from litestar.di import Provide
from litestar.exceptions import NotFoundException
from litestar.middleware import DefineMiddleware
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.stores.base import Store
from litestar.stores.redis import RedisStore
from litestar.template.config import TemplateConfig
from redis.asyncio import Redis
from sqlalchemy.exc import IntegrityError

from confman.accounts.api import TokenController
from confman.accounts.auth import provide_current_user
from confman.attendees.api import AttendanceController
from confman.attendees.pages import PRIVATE_LINK_HANDLERS, PRIVATE_PAGE_HANDLERS
from confman.calendar.feeds import programme_ics
from confman.conferences.api import ConferenceController, MemberController, StreamController, TrackController
from confman.conferences.pages import conference_page, index_page
from confman.db.engine import create_engine
from confman.db.transactions import mark_write_intent, provide_db_session
from confman.lib.csrf import FormCSRFMiddleware
from confman.lib.errors import integrity_error_handler
from confman.lib.log_redaction import install_token_redaction
from confman.lib.paths import STATIC_DIR
from confman.lib.response_cache import ResponseCache, response_cache_middleware
from confman.lib.security_headers import security_headers_middleware
from confman.lib.templating import PageRenderer
from confman.mail.dev_pages import DEV_HANDLERS
from confman.programme.api import SessionController
from confman.programme.pages import programme_page, session_page
from confman.published.cache import ProgrammeCache
from confman.registration.api import RegistrationController
from confman.registration.pages import PAGE_HANDLERS as REGISTRATION_PAGES
from confman.registration.placement import LOCKED, Placement
from confman.registration.submit import SubmitTargets
from confman.schedule.feeds import schedule_json, schedule_xml
from confman.settings import Settings
from confman.site.serve import not_found_handler
from confman.speakers.api import SpeakerController
from confman.speakers.pages import speaker_page, speakers_page
from confman.worker import EmbeddedWorker

API_HANDLERS = [
    TokenController,
    ConferenceController,
    MemberController,
    TrackController,
    StreamController,
    SpeakerController,
    SessionController,
    RegistrationController,
    AttendanceController,
]
# Public pages; the session and speaker pages also answer their .ics files.
PAGE_HANDLERS = [
    index_page,
    conference_page,
    programme_page,
    session_page,
    speakers_page,
    speaker_page,
]
# Public files: calendar feeds and conference-app schedules.
FEED_HANDLERS = [programme_ics, schedule_json, schedule_xml]
# Self-hosted CSS and JS, addressed by content hash (lib/templating.static_url): cache for a year.
STATIC_FILES = create_static_files_router(
    path="/static", directories=[STATIC_DIR], cache_control=CacheControlHeader(max_age=31536000, public=True)
)


SIGN_IN_LIMIT_STORE = "rate_limit"
REGISTRATION_LIMIT_STORE = "registration_rate_limit"


def create_app(settings: Settings | None = None, *, placement: Placement = LOCKED) -> Litestar:
    """The app for ``settings``. ``placement``: how seats are given (the race test's control
    run gives one without the lock; everything else keeps the default)."""
    settings = settings or Settings()
    # Request paths carry private tokens; the access log must not.
    install_token_redaction()
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
    return Litestar(
        route_handlers=[
            *PAGE_HANDLERS,
            _registration_pages(settings),
            # The attendee's feed and join links: opened by calendar apps, without cookies.
            *PRIVATE_LINK_HANDLERS,
            *FEED_HANDLERS,
            *API_HANDLERS,
            STATIC_FILES,
            # The local mailbox in the browser: development and the demo only.
            *(DEV_HANDLERS if settings.dev_pages or settings.debug else []),
        ],
        plugins=[SQLAlchemyPlugin(config=db_config)],
        stores=_rate_limit_stores(settings, redis),
        dependencies={
            "db_session": Provide(provide_db_session),
            "current_user": Provide(provide_current_user),
            "settings": Provide(lambda: settings, use_cache=True, sync_to_thread=False),
            "programme_cache": Provide(lambda: programme_cache, use_cache=True, sync_to_thread=False),
            "page_renderer": Provide(lambda: page_renderer, use_cache=True, sync_to_thread=False),
            "placement": Provide(lambda: placement, use_cache=True, sync_to_thread=False),
            "submit_targets": Provide(lambda: submit_targets, use_cache=True, sync_to_thread=False),
        },
        middleware=[
            response_cache_middleware(response_cache),
            security_headers_middleware,
            _password_rate_limit(settings).middleware,
            _registration_rate_limit(settings).middleware,
        ],
        before_request=mark_write_intent,
        # The embedded mail worker (or None), for operators' and tests' eyes.
        state=State({"mail_worker": mail_worker}),
        on_startup=[mail_worker.start] if mail_worker else [],
        # advanced-alchemy disposes only the first engine of a process; tests build many apps.
        on_shutdown=[
            *([mail_worker.shutdown] if mail_worker else []),
            *([redis.aclose] if redis else []),
            engine.dispose,
        ],
        exception_handlers={
            IntegrityError: integrity_error_handler,
            NotFoundException: not_found_handler(page_renderer),
        },
        template_config=TemplateConfig(instance=JinjaTemplateEngine.from_environment(page_renderer.environment)),
        openapi_config=OpenAPIConfig(
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


def _registration_pages(settings: Settings) -> Router:
    """The registration form, the confirm/cancel pages and the attendee's page with its forms,
    behind Litestar's CSRF middleware.

    Only these pages have forms. The JSON API is authorised by bearer tokens, never by
    cookies, so a forged cross-site request gains nothing there (the public registration
    submit is JSON-only and needs no authority a forger lacks); and public pages and feeds
    must not set a cookie (shared caches, 304s). A failed check on the form itself shows the
    form again with the input kept and a message (``lib/csrf.py``); elsewhere it is a plain 403.
    """
    csrf = DefineMiddleware(FormCSRFMiddleware, config=CSRFConfig(secret=settings.secret_key, cookie_samesite="lax"))
    return Router(path="/", route_handlers=[*REGISTRATION_PAGES, *PRIVATE_PAGE_HANDLERS], middleware=[csrf])


def _rate_limit_stores(settings: Settings, redis: Redis | None) -> dict[str, Store]:
    """Both rate limits count in Redis when it is configured (shared by every process and
    server), else in each process's memory (Litestar's default store)."""
    if redis is None:
        return {}
    return {
        name: RedisStore(redis, namespace=f"{settings.redis_namespace}_{name}")
        for name in (SIGN_IN_LIMIT_STORE, REGISTRATION_LIMIT_STORE)
    }


def _password_rate_limit(settings: Settings) -> RateLimitConfig:
    """Throttle password guessing on the token endpoint; nothing else is limited here."""

    # Async on purpose: Litestar runs a sync check in a worker thread, on every request of the app.
    async def is_password_attempt(request: Request[Any, Any, Any]) -> bool:
        return request.method == "POST" and request.url.path.rstrip("/") == "/api/v1/tokens"

    return RateLimitConfig(
        rate_limit=("minute", settings.token_attempts_per_minute),
        check_throttle_handler=is_password_attempt,
        store=SIGN_IN_LIMIT_STORE,
    )


def _registration_rate_limit(settings: Settings) -> RateLimitConfig:
    """Registration submits (JSON and HTML form) per client address."""

    # Async on purpose, like the password check: a sync one would cost a thread hop per request.
    async def is_submit(request: Request[Any, Any, Any]) -> bool:
        if request.method != "POST":
            return False
        path = request.url.path.rstrip("/")
        return (path.startswith("/api/v1/conferences/") and path.endswith("/registrations")) or path.endswith(
            "/register"
        )

    return RateLimitConfig(
        rate_limit=("minute", settings.registration_submits_per_minute),
        check_throttle_handler=is_submit,
        store=REGISTRATION_LIMIT_STORE,
        # A new and a known address must get byte-identical answers; a falling "remaining"
        # count would be the only difference between them.
        set_rate_limit_headers=False,
    )


def create_app_from_environment() -> Litestar:
    """Entry point for ASGI servers (``confman.app:create_app_from_environment``)."""
    return create_app(Settings())
