"""Request ids and the log format.

Every request gets an id: the client's (or the proxy's) ``X-Request-ID`` when it is a sane
one (1-64 letters, digits, ``.``, ``_``, ``:`` or ``-``), else a new one. The answer echoes
it, and every log line written while the request runs carries it (a context variable that
``RequestIdFilter`` copies onto each record; the server's access-log line is written from the
request's own task, so it has it too). ``CONFMAN_LOG_FORMAT=json`` writes one JSON object a
line; private tokens are redacted from both formats (``log_redaction``).
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from confman.lib.log_redaction import RedactPrivateTokens, redact

HEADER = b"x-request-id"
_SANE = re.compile(rb"[A-Za-z0-9._:\-]{1,64}")
REQUEST_ID: ContextVar[str | None] = ContextVar("confman_request_id", default=None)


def request_id_for(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == HEADER and _SANE.fullmatch(value):
            return value.decode("ascii")
    return uuid.uuid4().hex


def with_request_ids(app: ASGIApp) -> ASGIApp:
    """Wraps the whole ASGI app (404s and errors included): an id per HTTP request, set for
    its logs and echoed in the answer's ``X-Request-ID``."""

    async def handle(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        request_id = request_id_for(scope)
        encoded = request_id.encode("ascii")
        token = REQUEST_ID.set(request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(name, value) for name, value in message.get("headers", ()) if name.lower() != HEADER]
                message["headers"] = [*headers, (HEADER, encoded)]
            await send(message)

        try:
            await app(scope, receive, send_with_id)
        finally:
            REQUEST_ID.reset(token)

    return handle


class RequestIdFilter(logging.Filter):
    """Puts the current request's id (or ``-``) on every record as ``request_id``."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get() or "-"
        return True


# Attributes every LogRecord has; anything else on a record was passed as ``extra``.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "request_id"}
# uvicorn's copy of its message with terminal colours.
_LEFT_OUT = {"color_message"}


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, request_id, and
    any ``extra`` fields; the exception as text. Private tokens are redacted once more here."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
            "request_id": getattr(record, "request_id", None) or REQUEST_ID.get(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in _LEFT_OUT and not key.startswith("_"):
                entry[key] = redact(value) if isinstance(value, str) else value
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = REQUEST_ID.get() or "-"
        return redact(super().format(record))


def logging_config(log_format: str, level: str = "INFO") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for the servers and workers: every line to standard
    error, in ``text`` or ``json``, with its request id, tokens redacted."""
    formatter: type[logging.Formatter] = JsonFormatter if log_format == "json" else TextFormatter
    handler = {
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
        "formatter": "default",
        "filters": ["request_id", "redact"],
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": f"{RequestIdFilter.__module__}.{RequestIdFilter.__name__}"},
            "redact": {"()": RedactPrivateTokens.__module__ + "." + RedactPrivateTokens.__name__},
        },
        "formatters": {"default": {"()": f"{formatter.__module__}.{formatter.__name__}"}},
        "handlers": {"default": handler},
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": ["default"], "level": level, "propagate": False},
            "granian": {"handlers": ["default"], "level": level, "propagate": False},
            "granian.access": {"handlers": ["default"], "level": level, "propagate": False},
            # Alembic names its plugins at INFO whenever it is imported.
            "alembic": {"level": "WARNING"},
        },
        "root": {"handlers": ["default"], "level": level},
    }
