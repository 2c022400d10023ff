"""Driving the organisers' pages from tests: sign in, read a form's token, post a form."""

from __future__ import annotations

import re
from typing import Any

from httpx import Response
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.factories import PASSWORD

_TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = _TOKEN.search(html)
    assert match, "the page has no form token"
    return match.group(1)


async def sign_in(client: AsyncTestClient[Litestar], email: str, password: str = PASSWORD) -> Response:
    """Sign in through the form, as a browser does; the client then keeps the session cookie."""
    page = await client.get("/orga/login")
    return await client.post(
        "/orga/login",
        data={"email": email, "password": password, "_csrf_token": csrf_token(page.text)},
        follow_redirects=False,
    )


async def post_form(client: AsyncTestClient[Litestar], page_path: str, action: str, data: dict[str, Any]) -> Response:
    """Open ``page_path`` (for its form token) and post ``data`` to ``action``."""
    page = await client.get(page_path)
    assert page.status_code == 200, page.text
    return await client.post(action, data={**data, "_csrf_token": csrf_token(page.text)}, follow_redirects=False)
