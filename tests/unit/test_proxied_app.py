"""`confman run --server granian` reads proxy headers as uvicorn's ``proxy_headers`` does."""

from __future__ import annotations

from typing import Any

import pytest

from confman import app as app_module


def scope(client: str, forwarded_for: str) -> dict[str, Any]:
    return {
        "type": "http",
        "client": (client, 5000),
        "scheme": "http",
        "headers": [(b"x-forwarded-for", forwarded_for.encode()), (b"x-forwarded-proto", b"https")],
    }


async def seen_by_the_app(monkeypatch: pytest.MonkeyPatch, client: str, forwarded_for: str) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    async def inner(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.update(scope)

    monkeypatch.setattr(app_module, "create_app_from_environment", lambda: inner)
    await app_module.create_proxied_app_from_environment()(scope(client, forwarded_for), None, None)
    return seen


async def test_a_local_proxy_s_forwarded_client_and_scheme_are_the_request_s(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = await seen_by_the_app(monkeypatch, "127.0.0.1", "203.0.113.7")

    assert (seen["client"][0], seen["scheme"]) == ("203.0.113.7", "https")


async def test_anyone_else_s_forwarded_headers_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = await seen_by_the_app(monkeypatch, "198.51.100.9", "203.0.113.7")

    assert (seen["client"][0], seen["scheme"]) == ("198.51.100.9", "http")


async def test_forwarded_allow_ips_names_the_trusted_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "198.51.100.0/24")

    seen = await seen_by_the_app(monkeypatch, "198.51.100.9", "203.0.113.7")

    assert seen["client"][0] == "203.0.113.7"
