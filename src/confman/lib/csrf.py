"""Litestar's CSRF middleware, with one change for forms: a failed check on a route that opts
in goes on to that route with a fresh token, so it can show its form again with the input
kept and a message, instead of Litestar's plain 403.

The check itself is Litestar's (``CSRFMiddleware``): token in the form or header, cookie,
HMAC. Only the answer to a failure changes. The route sees ``csrf_failed(request)`` and must
answer 403 without acting on the request (the registration form re-renders, nothing written).
Routes that do not opt in keep the plain 403.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.config.csrf import CSRFConfig
from litestar.exceptions import PermissionDeniedException
from litestar.middleware import DefineMiddleware
from litestar.middleware.csrf import CSRFMiddleware, generate_csrf_token
from litestar.types import Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

# Put ``opt={RERENDER_ON_CSRF_FAILURE: True}`` on a route handler to receive failed requests.
RERENDER_ON_CSRF_FAILURE = "rerender_on_csrf_failure"
_FAILED = "confman_csrf_failed"
# What Litestar's middleware raises when the check fails (and nothing else in it raises).
_FAILURE_DETAIL = "CSRF token verification failed"


class FormCSRFMiddleware(CSRFMiddleware):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except PermissionDeniedException as error:
            handler = scope.get("route_handler")
            state = ScopeState.from_scope(scope)
            if (
                error.detail != _FAILURE_DETAIL
                or handler is None
                or not handler.opt.get(RERENDER_ON_CSRF_FAILURE)
                or state.response_started
            ):
                raise
            # A fresh token for the form, and its cookie (the old one may be missing or stale).
            token = generate_csrf_token(secret=self.config.secret)
            state.csrf_token = token
            scope.setdefault("state", {})[_FAILED] = True
            await self.app(scope, receive, self.create_send_wrapper(send=send, token=token, csrf_cookie=None))


def csrf_failed(request: Request[Any, Any, Any]) -> bool:
    """True when the CSRF check failed and the route must only show its form again (403)."""
    return bool(request.scope.get("state", {}).get(_FAILED))


def form_csrf(secret: str) -> DefineMiddleware:
    """The middleware for routers of form pages (registration, the attendee's page): one
    configuration, so every such router reads and sets the same cookie."""
    return DefineMiddleware(FormCSRFMiddleware, config=CSRFConfig(secret=secret, cookie_samesite="lax"))
