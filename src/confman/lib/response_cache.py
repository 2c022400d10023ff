"""A micro-cache in front of the app for public pages and feeds (seconds, per worker).

Public pages and files are asked for far more often than they change, and most of the
cost of a cached answer is the framework around it (routing, dependencies, the database
session). Handlers that answer something public opt in by setting ``CACHEABLE_HEADER``
on a 200; this middleware then keeps the whole answer for ``ttl`` seconds under
everything the answer may depend on — method, path, query, ``Accept-Encoding``,
``Accept-Language`` and the viewer's ``tz``/``lang`` cookies — and replays it (or a 304
for a matching ``If-None-Match``) without entering the app. ``ttl`` is the programme
cache's version TTL, so an answer is never older than the version check would allow.
Private answers (anything not opted in) pass through untouched, and so does every request
with an ``Authorization`` header: a token may see more than the public (an organiser's API
reads include drafts), so it is never answered from, nor recorded into, the public's cache.

When an entry expires under load, the first request for it goes through the app and the
others asking for the same key meanwhile wait for that answer instead of all making it again
(at 64 connections each expiry sent up to 32 requests a worker through the whole app at
once). Only keys that were cached before are waited for, so private pages never queue
behind each other; a waiter whose leader left no cacheable answer (a 304, a change to
private) goes through the app itself, so no answer is older than without the wait.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from dataclasses import dataclass

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from litestar.types.asgi_types import HTTPResponseBodyEvent, HTTPResponseStartEvent

from confman.lib.metrics import count_lookup

CACHEABLE_HEADER = "x-confman-cacheable"
_CACHEABLE = CACHEABLE_HEADER.encode()
_VARY_COOKIES = (b"tz", b"lang")
_NOT_IN_304 = {b"content-length", b"content-encoding", b"content-type", b"content-disposition", b"set-cookie"}


@dataclass(frozen=True, slots=True)
class CachedResponse:
    expires: float
    headers: list[tuple[bytes, bytes]]
    body: bytes
    etag: bytes | None


class ResponseCache:
    def __init__(self, ttl: float, max_entries: int = 4096, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple[bytes, ...], CachedResponse] = OrderedDict()
        self._bytes = 0
        # Keys being answered by the app right now: later requests for them wait for the answer.
        self.in_flight: dict[tuple[bytes, ...], asyncio.Event] = {}

    def clear(self) -> None:
        self._entries.clear()
        self._bytes = 0

    def get(self, key: tuple[bytes, ...]) -> CachedResponse | None:
        entry = self._entries.get(key)
        if entry is None or entry.expires <= time.monotonic():
            count_lookup("response", False)
            return None
        count_lookup("response", True)
        return entry

    def expired(self, key: tuple[bytes, ...]) -> bool:
        """True when ``key`` was cached and its entry has expired (it is cacheable, most likely again)."""
        entry = self._entries.get(key)
        return entry is not None and entry.expires <= time.monotonic()

    def put(self, key: tuple[bytes, ...], headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        if key in self._entries:
            self._drop(key)
        etag = next((value for name, value in headers if name == b"etag"), None)
        self._entries[key] = CachedResponse(time.monotonic() + self.ttl, headers, body, etag)
        self._bytes += len(body)
        while len(self._entries) > self.max_entries or (self._bytes > self.max_bytes and len(self._entries) > 1):
            self._drop(next(iter(self._entries)))

    def _drop(self, key: tuple[bytes, ...]) -> None:
        self._bytes -= len(self._entries.pop(key).body)


def _request_key(scope: Scope) -> tuple[bytes, ...]:
    headers = dict(scope["headers"])
    cookies = b""
    for part in headers.get(b"cookie", b"").split(b";"):
        name, _, value = part.strip().partition(b"=")
        if name in _VARY_COOKIES:
            cookies += name + b"=" + value + b";"
    return (
        scope["path"].encode(),
        scope["query_string"],
        headers.get(b"accept-encoding", b""),
        headers.get(b"accept-language", b""),
        cookies,
    )


def _matches(if_none_match: bytes, etag: bytes) -> bool:
    candidates = {tag.strip().removeprefix(b"W/") for tag in if_none_match.split(b",")}
    return b"*" in candidates or etag.removeprefix(b"W/") in candidates


def response_cache_middleware(cache: ResponseCache) -> type:
    """The middleware for ``cache``, in the shape Litestar's ``middleware=[…]`` takes (a factory)."""

    class ResponseCacheMiddleware:
        def __init__(self, app: ASGIApp) -> None:
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            if (
                scope["type"] != ScopeType.HTTP
                or scope["method"] != "GET"
                or cache.ttl <= 0
                or any(name == b"authorization" for name, _ in scope["headers"])
            ):
                await self.app(scope, receive, send)
                return
            key = _request_key(scope)
            entry = cache.get(key)
            if entry is None and (leader := cache.in_flight.get(key)) is not None:
                await leader.wait()
                entry = cache.get(key)
            if entry is not None:
                await _replay(scope, entry, send)
                return
            if not cache.expired(key) or key in cache.in_flight:
                await self.app(scope, receive, _recording(key, send))
                return
            done = cache.in_flight[key] = asyncio.Event()
            try:
                await self.app(scope, receive, _recording(key, send))
            finally:
                del cache.in_flight[key]
                done.set()

    def _recording(key: tuple[bytes, ...], send: Send) -> Send:
        kept: list[list[tuple[bytes, bytes]]] = []
        chunks: list[bytes] = []

        async def record(message: Message) -> None:
            if message["type"] == "http.response.start":
                start = message
                headers = [(bytes(name), bytes(value)) for name, value in start.get("headers", ())]
                cacheable = start["status"] == 200 and any(name == _CACHEABLE for name, _ in headers)
                start["headers"] = [(name, value) for name, value in headers if name != _CACHEABLE]
                if cacheable:
                    kept.append(list(start["headers"]))
            elif message["type"] == "http.response.body" and kept:
                body = message
                chunks.append(body.get("body", b""))
                if not body.get("more_body", False):
                    cache.put(key, kept[0], b"".join(chunks))
            await send(message)

        return record

    return ResponseCacheMiddleware


async def _replay(scope: Scope, entry: CachedResponse, send: Send) -> None:
    if_none_match = dict(scope["headers"]).get(b"if-none-match")
    if if_none_match is not None and entry.etag is not None and _matches(if_none_match, entry.etag):
        headers = [(name, value) for name, value in entry.headers if name not in _NOT_IN_304]
        await send(HTTPResponseStartEvent(type="http.response.start", status=304, headers=headers))
        await send(HTTPResponseBodyEvent(type="http.response.body", body=b"", more_body=False))
        return
    await send(HTTPResponseStartEvent(type="http.response.start", status=200, headers=entry.headers))
    await send(HTTPResponseBodyEvent(type="http.response.body", body=entry.body, more_body=False))
