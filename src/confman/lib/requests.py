"""The app's request class: a body that is not JSON is the client's mistake, whatever its shape."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import ClientException, HTTPException
from litestar.status_codes import HTTP_415_UNSUPPORTED_MEDIA_TYPE


class JsonCheckedRequest(Request[Any, Any, Any]):
    """Litestar answers 400 for malformed JSON, but msgspec raises ``RecursionError`` for JSON
    nested deeper than it follows (200,000 brackets) and ``UnicodeDecodeError`` for bytes that
    are not UTF-8, and those became 500s. Both are bad requests."""

    async def json(self) -> Any:
        # A JSON body must say so: "text/plain" is what any web page may send from a visitor's
        # browser without a CORS preflight, so it would let other sites submit our forms.
        media_type = self.headers.get("content-type", "").partition(";")[0].strip().lower()
        if await self.body() and media_type != "application/json" and not media_type.endswith("+json"):
            raise HTTPException(
                status_code=HTTP_415_UNSUPPORTED_MEDIA_TYPE,
                detail="Content-Type must be application/json",
                extra=[{"key": "Content-Type", "message": "must be application/json"}],
            )
        try:
            return await super().json()
        except RecursionError:
            raise ClientException("The request body is nested too deeply to be read as JSON.") from None
        except UnicodeDecodeError:
            raise ClientException("The request body is not UTF-8 encoded JSON.") from None
