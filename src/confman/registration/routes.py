"""The registration's routes: the form and the private-link pages behind the CSRF middleware,
the public submits (JSON and form) behind one rate limit, and the API.

Why the pages sit behind CSRF and nothing else does: see ``lib/csrf.py`` and
docs/architecture.md ("CSRF"). The JSON API is authorised by bearer tokens, never by cookies,
and the public JSON submit needs no authority a forger lacks.

The rate limit counts registration submits per client address,
``CONFMAN_REGISTRATION_SUBMITS_PER_MINUTE``, the JSON and the form submit together: Litestar's
``RateLimitMiddleware`` keys its store by client only (``RateLimitMiddleware::<address>``, not
by path), so the routes under this one configuration share one count. It sends no rate-limit
headers: a falling "remaining" count would be the only difference between the answers for a
new and a known address. Its router holds the two submits' paths whole (Litestar cannot split
one path across routers: each adds its own OPTIONS answer) and counts their POSTs, which are
the submits; the form's GET and the organisers' list, on the same paths, are not counted.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Router
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.types import ControllerRouterHandler

from confman.lib.csrf import form_csrf
from confman.registration.api import RegistrationController, RegistrationLinkController, RegistrationSubmitController
from confman.registration.pages import (
    registration_cancel,
    registration_cancel_page,
    registration_confirm,
    registration_confirm_page,
    registration_page,
    registration_submit,
)
from confman.settings import Settings

# The store the submit limit counts in (in Redis when configured).
SUBMIT_LIMIT_STORE = "registration_rate_limit"


async def _is_post(request: Request[Any, Any, Any]) -> bool:
    # Async on purpose: Litestar runs a sync check in a worker thread.
    return request.method == "POST"


def submit_rate_limit(settings: Settings) -> RateLimitConfig:
    return RateLimitConfig(
        rate_limit=("minute", settings.registration_submits_per_minute),
        check_throttle_handler=_is_post,
        store=SUBMIT_LIMIT_STORE,
        set_rate_limit_headers=False,
    )


def routes(settings: Settings) -> list[ControllerRouterHandler]:
    csrf = form_csrf(settings.secret_key)
    link_pages = Router(
        path="/",
        route_handlers=[registration_confirm_page, registration_confirm, registration_cancel_page, registration_cancel],
        middleware=[csrf],
    )
    # The limit is checked before the CSRF token, as it always was.
    submits = Router(
        path="/",
        route_handlers=[
            Router(path="/", route_handlers=[registration_page, registration_submit], middleware=[csrf]),
            RegistrationSubmitController,
        ],
        middleware=[submit_rate_limit(settings).middleware],
    )
    return [submits, link_pages, RegistrationLinkController, RegistrationController]
