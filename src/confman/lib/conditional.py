"""Conditional GET and content coding: validators, 304 answers (RFC 9110 §13), gzip choice (§12.5.3)."""

from __future__ import annotations

import hashlib
from collections.abc import Hashable
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from litestar import Request, Response
from litestar.status_codes import HTTP_304_NOT_MODIFIED


def http_date(value: datetime) -> str:
    return format_datetime(value.replace(microsecond=0), usegmt=True)


def is_fresh(request: Request[Any, Any, Any], etag: str, last_modified: datetime | None) -> bool:
    """True when the client's cached copy is current, so a 304 may answer."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        # If-None-Match wins over If-Modified-Since; weak comparison, as GET allows.
        candidates = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in candidates or etag.removeprefix("W/") in candidates
    if_modified_since = request.headers.get("if-modified-since")
    if if_modified_since and last_modified is not None:
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
        return last_modified.replace(microsecond=0) <= since
    return False


def validator_headers(etag: str, last_modified: datetime | None, cache_control: str) -> dict[str, str]:
    headers = {"ETag": etag, "Cache-Control": cache_control}
    if last_modified is not None:
        headers["Last-Modified"] = http_date(last_modified)
    return headers


def not_modified(headers: dict[str, str]) -> Response[bytes]:
    return Response(b"", status_code=HTTP_304_NOT_MODIFIED, headers=headers)


def etag_for(key: Hashable) -> str:
    """A strong validator for everything an answer is made from (``key`` is its cache key)."""
    return '"' + hashlib.sha256(repr(key).encode()).hexdigest()[:32] + '"'


def accepts_gzip(request: Request[Any, Any, Any]) -> bool:
    """True when the client takes gzip (``gzip`` or ``*`` with a quality above 0)."""
    header = request.headers.get("accept-encoding", "")
    qualities: dict[str, float] = {}
    for part in header.split(",")[:16]:
        coding, _, params = part.strip().partition(";")
        quality = 1.0
        name, _, value = params.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                quality = float(value)
            except ValueError:
                quality = 0.0
        qualities[coding.strip().lower()] = quality
    return qualities.get("gzip", qualities.get("*", 0.0)) > 0


def encoded_etag(etag: str, gzipped: bool) -> str:
    """Each representation has its own strong validator (RFC 9110 §8.8.3)."""
    return etag[:-1] + '-gz"' if gzipped else etag
