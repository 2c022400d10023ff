"""The accounts' routes: tokens, behind the password rate limit."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.types import ControllerRouterHandler

from confman.accounts.api import TokenController
from confman.settings import Settings

# The store the sign-in limit counts in (Litestar's default name; in Redis when configured).
SIGN_IN_LIMIT_STORE = "rate_limit"


async def _is_post(request: Request[Any, Any, Any]) -> bool:
    # Async on purpose: Litestar runs a sync check in a worker thread.
    return request.method == "POST"


def sign_in_rate_limit(settings: Settings) -> RateLimitConfig:
    """Password guessing: ``CONFMAN_TOKEN_ATTEMPTS_PER_MINUTE`` sign-ins per client address.

    On the tokens' router, it counts their one POST (e-mail and password for a token); listing
    and revoking, and Litestar's OPTIONS answer on the same paths, are not counted.
    """
    return RateLimitConfig(
        rate_limit=("minute", settings.token_attempts_per_minute),
        check_throttle_handler=_is_post,
        store=SIGN_IN_LIMIT_STORE,
    )


def routes(settings: Settings) -> list[ControllerRouterHandler]:
    return [Router(path="/", route_handlers=[TokenController], middleware=[sign_in_rate_limit(settings).middleware])]
