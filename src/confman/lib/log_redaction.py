"""Private tokens never reach the logs: the server's access log writes every request path,
and paths are where the tokens live (``/me/…``, ``/join/…``, the confirm and cancel links, the organisers' reset and
invitation links). Nor do search terms (``?q=``, ``?email=``), which are often e-mail addresses."""

from __future__ import annotations

import logging
import re

_PRIVATE_PATH = re.compile(
    r"(/(?:me|join)/|/register/(?:confirm|cancel)/|/orga/password/reset/|/orga/invitation/)[^/?#\s\"]+"
)
REDACTED = "[token]"
# Search terms are often e-mail addresses (the organisers' registrations list, the API's ?q=),
# and a query string is logged with its path: the words stay out as the tokens do.
_PRIVATE_QUERY = re.compile(r"([?&](?:q|email)=)[^&#\s\"]*")
REDACTED_QUERY = "[redacted]"
# uvicorn writes each request to "uvicorn.access", granian to "granian.access" (its arguments a
# dict: path and query string apart); Litestar's own logger may name the path too.
LOGGERS = ("uvicorn.access", "uvicorn.error", "granian.access", "litestar")


def redact(text: str) -> str:
    text = _PRIVATE_PATH.sub(lambda match: match.group(1) + REDACTED, text)
    return _PRIVATE_QUERY.sub(lambda match: match.group(1) + REDACTED_QUERY, text)


class RedactPrivateTokens(logging.Filter):
    """Replaces the token in private paths, in the message and in its arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(arg) if isinstance(arg, str) else arg for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {name: _redact_field(name, value) for name, value in record.args.items()}
        return True


def _redact_field(name: str, value: object) -> object:
    if not isinstance(value, str):
        return value
    if name == "query_string":  # granian's, without its "?"
        return redact("?" + value)[1:]
    return redact(value)


def install_token_redaction() -> None:
    """Idempotent: every app built in a process shares the loggers."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, RedactPrivateTokens) for existing in logger.filters):
            logger.addFilter(RedactPrivateTokens())
