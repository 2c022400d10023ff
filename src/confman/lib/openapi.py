"""OpenAPI pieces shared by the API handlers: the error answers each operation may give."""

from __future__ import annotations

from dataclasses import dataclass

from litestar.exceptions import (
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.openapi import ResponseSpec

from confman.lib.errors import ConflictError

READ_ERRORS = [NotFoundException, NotAuthorizedException]
WRITE_ERRORS = [ValidationException, NotAuthorizedException, NotFoundException, ConflictError]
OWNER_ERRORS = [*WRITE_ERRORS, PermissionDeniedException]


@dataclass
class ErrorAnswer:
    status_code: int
    detail: str


# Operations behind a rate limit (registration/routes.py) say so.
RATE_LIMITED = {
    429: ResponseSpec(
        data_container=ErrorAnswer,
        description="Too many requests from this client in the last minute: wait as long as Retry-After says.",
        generate_examples=False,
    )
}
