"""OpenAPI pieces shared by the API handlers: the error answers each operation may give."""

from __future__ import annotations

from litestar.exceptions import (
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)

from confman.lib.errors import ConflictError

READ_ERRORS = [NotFoundException, NotAuthorizedException]
WRITE_ERRORS = [ValidationException, NotAuthorizedException, NotFoundException, ConflictError]
OWNER_ERRORS = [*WRITE_ERRORS, PermissionDeniedException]
