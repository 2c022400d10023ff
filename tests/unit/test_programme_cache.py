"""The per-worker body cache keeps recent bodies and bounds its memory."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from confman.published.cache import ProgrammeCache


async def test_body_cache_answers_repeats_without_rendering_and_bounds_bytes() -> None:
    cache = ProgrammeCache(version_ttl=0, max_bodies=10, max_bytes=250)
    renders: list[str] = []

    def renderer(key: str) -> Callable[[], Awaitable[bytes]]:
        async def render() -> bytes:
            renders.append(key)
            return key.encode() * 100

        return render

    for key in ["a", "b", "a", "c", "a"]:
        await cache.body(key, renderer(key))

    # 100 bytes each, 250 allowed: "b" (least recently used) went when "c" came.
    assert renders == ["a", "b", "c"]
    await cache.body("b", renderer("b"))
    assert renders == ["a", "b", "c", "b"]
