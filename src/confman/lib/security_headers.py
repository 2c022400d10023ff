"""Security headers on every answer: a strict CSP, nosniff, no framing, a referrer policy.

Pages load only their own CSS and JS (no inline script: JSON-LD blocks are data, which
CSP does not execute). A handler that needs stricter headers (``Referrer-Policy:
no-referrer`` on private pages) sets them itself; these are only added where absent.
The API's docs (``/schema/swagger``) are vendored Swagger UI under the same policy (``lib/api_docs``).
Framing is refused everywhere (``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``) except
where a handler sends its own policy that allows it (the embedded programme, for the origins its
conference names): there ``X-Frame-Options`` is left out, since it knows no list of origins.
"""

from __future__ import annotations

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
)
_CSP = (b"content-security-policy", CONTENT_SECURITY_POLICY.encode())
_FRAME_OPTIONS = b"x-frame-options"


def policy_with_frame_ancestors(sources: str) -> str:
    """The site's policy with ``frame-ancestors`` set to ``sources`` (validated origins or ``'none'``)."""
    return CONTENT_SECURITY_POLICY.replace("frame-ancestors 'none'", f"frame-ancestors {sources}")


def _allows_framing(headers: list[tuple[bytes, bytes]]) -> bool:
    for name, value in headers:
        if name.lower() == b"content-security-policy":
            return b"frame-ancestors" in value and b"frame-ancestors 'none'" not in value
    return False


def security_headers_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                if _allows_framing(headers):
                    present.add(_FRAME_OPTIONS)
                for name, value in (*_HEADERS, _CSP):
                    if name not in present:
                        headers.append((name, value))
                message["headers"] = headers
            await send(message)

        await app(scope, receive, send_with_headers)

    return middleware
