"""``OPTIONS`` answers name every method of a path.

Litestar makes one OPTIONS handler per path from the first handler registered there, so a path
served by several handlers (``GET`` in one controller, ``POST`` in another) answered
``Allow: OPTIONS, POST`` although it also has ``GET``. This middleware puts the route's whole
set of methods into the header (with ``HEAD`` where there is a ``GET``: lib/head.py answers it).
"""

from __future__ import annotations

from typing import Any

from litestar.routes import HTTPRoute
from litestar.types import ASGIApp, Message, Receive, Scope, Send


def whole_allow_header(app: ASGIApp) -> ASGIApp:
    allowed: dict[str, bytes] = {}

    def methods_of(scope: Scope) -> bytes | None:
        if not allowed:
            for route in scope["litestar_app"].routes:  # the app this middleware serves
                if isinstance(route, HTTPRoute):
                    # A GET answers HEAD too (lib/head.py).
                    methods = set(route.methods) | ({"HEAD"} if "GET" in route.methods else set())
                    allowed[route.path] = ", ".join(sorted(methods)).encode()
        paths: Any = getattr(scope.get("route_handler"), "paths", ())
        return next((allowed[path] for path in paths if path in allowed), None)

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        http: Any = scope
        if http["type"] != "http" or http["method"] != "OPTIONS":
            await app(scope, receive, send)
            return
        methods = methods_of(scope)

        async def send_with_allow(message: Message) -> None:
            if message["type"] == "http.response.start" and methods is not None:
                headers = [(name, value) for name, value in message.get("headers", []) if name.lower() != b"allow"]
                message = {**message, "headers": [*headers, (b"allow", methods)]}
            await send(message)

        await app(scope, receive, send_with_allow)

    return middleware
