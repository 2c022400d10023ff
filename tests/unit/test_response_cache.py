"""The micro-cache replays opted-in answers, keyed by everything a public answer varies by."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar.types import Message, Receive, Scope, Send

from confman.lib.response_cache import CACHEABLE_HEADER, ResponseCache, response_cache_middleware


class CountingApp:
    """An ASGI app that answers its call number, opted in to caching unless the path says not."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.calls += 1
        headers = [(b"etag", f'"v{self.calls}"'.encode()), (b"content-type", b"text/plain")]
        if scope["path"] != "/private":
            headers.append((CACHEABLE_HEADER.encode(), b"1"))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": f"call {self.calls}".encode(), "more_body": False})


async def get(app: Any, path: str = "/page", **headers: str) -> tuple[int, dict[bytes, bytes], bytes]:
    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "query_string": b"",
        "headers": [(name.replace("_", "-").encode(), value.encode()) for name, value in headers.items()],
    }
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent[0]["status"], dict(sent[0]["headers"]), b"".join(m.get("body", b"") for m in sent[1:])


async def test_opted_in_answers_are_replayed_until_they_expire() -> None:
    inner = CountingApp()
    app = response_cache_middleware(ResponseCache(ttl=0.2))(inner)

    first, second = await get(app), await get(app)
    await asyncio.sleep(0.25)
    third = await get(app)

    assert (first[2], second[2], third[2]) == (b"call 1", b"call 1", b"call 2")
    assert CACHEABLE_HEADER.encode() not in first[1]
    assert CACHEABLE_HEADER.encode() not in second[1]


async def test_answers_vary_by_encoding_language_and_viewer_cookies_only() -> None:
    inner = CountingApp()
    app = response_cache_middleware(ResponseCache(ttl=60))(inner)

    bodies = [
        (await get(app, accept_encoding="gzip"))[2],
        (await get(app, accept_encoding="identity"))[2],
        (await get(app, accept_language="ru"))[2],
        (await get(app, cookie="tz=Australia/Sydney"))[2],
        (await get(app, cookie="tz=Asia/Tokyo"))[2],
        (await get(app, cookie="lang=fr; tz=Asia/Tokyo"))[2],
        (await get(app, cookie="tz=Asia/Tokyo; csrftoken=abc"))[2],  # an unrelated cookie: same page
    ]

    assert bodies == [b"call 1", b"call 2", b"call 3", b"call 4", b"call 5", b"call 6", b"call 5"]


async def test_a_matching_if_none_match_gets_304_from_the_cache() -> None:
    inner = CountingApp()
    app = response_cache_middleware(ResponseCache(ttl=60))(inner)

    await get(app)
    status, headers, body = await get(app, if_none_match='"v1"')

    assert (status, body, inner.calls) == (304, b"", 1)
    assert headers[b"etag"] == b'"v1"'
    assert b"content-type" not in headers


async def test_answers_not_opted_in_always_reach_the_app() -> None:
    inner = CountingApp()
    app = response_cache_middleware(ResponseCache(ttl=60))(inner)

    await get(app, "/private")
    await get(app, "/private")

    assert inner.calls == 2


async def test_a_zero_ttl_switches_the_cache_off() -> None:
    inner = CountingApp()
    app = response_cache_middleware(ResponseCache(ttl=0))(inner)

    await get(app)
    await get(app)

    assert inner.calls == 2


class SlowApp(CountingApp):
    """Takes a moment to answer, as a page render does; cacheable unless ``cacheable`` is off."""

    def __init__(self) -> None:
        super().__init__()
        self.cacheable = True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await asyncio.sleep(0.05)
        path = scope["path"] if self.cacheable else "/private"
        await super().__call__({**scope, "path": path}, receive, send)


async def test_after_an_expiry_concurrent_requests_wait_for_one_answer_instead_of_all_reaching_the_app() -> None:
    inner = SlowApp()
    app = response_cache_middleware(ResponseCache(ttl=0.2))(inner)
    await get(app)
    await asyncio.sleep(0.25)

    answers = await asyncio.gather(*(get(app) for _ in range(20)))

    assert inner.calls == 2
    assert {body for _, _, body in answers} == {b"call 2"}


async def test_waiters_whose_leader_left_no_cacheable_answer_each_reach_the_app() -> None:
    inner = SlowApp()
    app = response_cache_middleware(ResponseCache(ttl=0.2))(inner)
    await get(app)
    await asyncio.sleep(0.25)
    inner.cacheable = False  # e.g. the conference was unpublished meanwhile

    answers = await asyncio.gather(*(get(app) for _ in range(5)))

    assert inner.calls == 6
    assert len({body for _, _, body in answers}) == 5


async def test_a_first_request_for_a_key_never_waits_for_another() -> None:
    inner = SlowApp()
    app = response_cache_middleware(ResponseCache(ttl=60))(inner)
    inner.cacheable = False

    await asyncio.gather(*(get(app, "/private") for _ in range(3)))

    assert inner.calls == 3
