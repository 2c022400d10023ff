"""Client errors that name the field at fault, in the shape Litestar uses for validation.

Every 4xx JSON answer looks like ``{"status_code": 400, "detail": "…",
"extra": [{"key": "field", "message": "…"}]}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg
from litestar import Request, Response
from litestar.exceptions import ClientException, NotFoundException
from litestar.status_codes import HTTP_409_CONFLICT, HTTP_503_SERVICE_UNAVAILABLE
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError


class FieldError(ClientException):
    """400: one field of the input is wrong.

    ``code`` is stable (``required``, ``too_long``, ``unknown_country`` …): pages choose their
    translated words by it, API clients may branch on it; ``message`` is the English detail.
    """

    def __init__(self, field: str, code: str, message: str, status_code: int | None = None) -> None:
        super().__init__(
            detail=f"{field}: {message}",
            extra=[{"key": field, "code": code, "message": message, "source": "body"}],
            status_code=status_code,
        )
        self.field = field
        self.code = code
        self.message = message


class ConflictError(FieldError):
    """409: the input clashes with what exists (a duplicate slug)."""

    status_code = HTTP_409_CONFLICT

    def __init__(self, field: str, code: str, message: str) -> None:
        super().__init__(field, code, message, status_code=HTTP_409_CONFLICT)


class FormRejected(Exception):
    """A form refused: the page shows it again, with its messages, and nothing of the request stays.

    Raised (never returned) so that the request's transaction rolls back
    (``db/transactions.provide_db_session``); the web layer's exception handler
    (``site/serve.form_rejected_handler``) renders ``template`` with ``context`` (a page
    context: its viewer gives the language) and answers ``status_code`` with ``headers``.
    The context must be plain data (dicts, dataclasses, read models) prepared before the raise:
    the rollback expires every ORM object of the request.
    """

    def __init__(
        self, template: str, context: Mapping[str, Any], status_code: int, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(f"{template}: form rejected ({status_code})")
        self.template = template
        self.context = dict(context)
        self.status_code = status_code
        self.headers = dict(headers or {})


def not_found(what: str = "Not found") -> NotFoundException:
    # One body for "does not exist" and "not yours", so nothing can be probed.
    return NotFoundException(detail=what)


def integrity_error_handler(request: Request[Any, Any, Any], exc: IntegrityError) -> Response[dict[str, Any]]:
    """A constraint the services did not catch first (a race between two writers)."""
    return Response(
        {"status_code": HTTP_409_CONFLICT, "detail": "The change conflicts with existing data; reload and retry."},
        status_code=HTTP_409_CONFLICT,
    )


# How long a client should wait when the database is out of reach (a restart, a failover).
RETRY_AFTER_SECONDS = 5

# PostgreSQL's "come back shortly": every connection taken (53300), the server starting or
# shutting down (57P01-57P03). SQLAlchemy wraps them as a plain DBAPIError.
UNAVAILABLE_SQLSTATES = frozenset({"53300", "57P01", "57P02", "57P03"})


def _sqlstate(exc: BaseException) -> str | None:
    state = getattr(getattr(exc, "orig", None), "sqlstate", None) or getattr(exc, "sqlstate", None)
    return state if isinstance(state, str) else None


def database_unavailable_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    """The database cannot be reached (refused, reset, shut down, restarting, every connection
    taken, no pooled connection free in time): 503 with Retry-After, not a 500. The request's
    transaction never committed, so nothing of it is written; a connection found dead makes
    SQLAlchemy discard the pool's older ones, so new ones are opened once the database answers."""
    if (
        isinstance(exc, DBAPIError)
        and not isinstance(exc, (OperationalError, InterfaceError))
        and not exc.connection_invalidated
        and _sqlstate(exc) not in UNAVAILABLE_SQLSTATES
    ):
        raise exc
    return Response(
        {"status_code": HTTP_503_SERVICE_UNAVAILABLE, "detail": "The database is unavailable; try again shortly."},
        status_code=HTTP_503_SERVICE_UNAVAILABLE,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"},
    )


# What "the database is out of reach" looks like: asyncpg's refused connection is a plain
# ConnectionRefusedError; a connection lost or a server shutting down comes wrapped by SQLAlchemy.
# While PostgreSQL starts or stops, asyncpg's own errors come unwrapped when a connection opens.
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (
    ConnectionError,
    OperationalError,
    InterfaceError,
    DBAPIError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.TooManyConnectionsError,
    PoolTimeoutError,
)
