"""``HEAD`` answers as ``GET`` does, without the body (RFC 9110 §9.3.2).

Litestar routes a method only to a handler registered for it, and a ``HEAD`` handler may not
return a body, so every page, feed and API read answered ``HEAD`` with 405. This wrapper sits
in front of the router (around the app's ASGI handler, so routing, 404, 405 and every
middleware see a ``GET``): it asks the app for the ``GET``, passes its status and headers on
unchanged (``Content-Length``, ``ETag``, ``Content-Type``…) and drops the body. The server
keeps its own scope, whose method is still ``HEAD``. A handler that must tell the two apart
(a join link counts a ``GET`` only) asks :func:`client_method`.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.types import ASGIApp, Message, Receive, Scope, Send

# The scope key that marks a HEAD turned into a GET.
_HEAD = "confman.head"


def client_method(request: Request[Any, Any, Any]) -> str:
    """The method the client sent: ``HEAD`` for a HEAD that the app answers as its GET."""
    scope: Any = request.scope
    return "HEAD" if scope.get(_HEAD) else request.method


def head_as_get(app: ASGIApp) -> ASGIApp:
    async def handler(scope: Scope, receive: Receive, send: Send) -> None:
        http: Any = scope
        if http["type"] != "http" or http["method"] != "HEAD":
            await app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        # A copy: the server's scope still says HEAD, so it expects no body after the headers.
        as_get: Any = {**http, "method": "GET", _HEAD: True}
        await app(as_get, receive, without_body)

    return handler
