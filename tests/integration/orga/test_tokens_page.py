"""/orga/tokens/: an organiser's API tokens from the browser."""

from __future__ import annotations

import re

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.factories import Organiser
from tests.orga import csrf_token, post_form, sign_in


async def test_a_token_made_on_the_page_works_once_shown_and_stops_when_revoked(
    client: AsyncTestClient[Litestar], organiser: Organiser, other_organiser: Organiser
) -> None:
    await sign_in(client, organiser.email)
    made = await post_form(client, "/orga/tokens/", "/orga/tokens/", {"name": "Рассылка <b>bot</b>"})
    assert made.status_code == 200
    secret = re.search(r'id="new-token" class="secret-value" value="([^"]+)"', made.text).group(1)  # type: ignore[union-attr]
    assert "Рассылка &lt;b&gt;bot&lt;/b&gt;" in made.text
    api = await client.get("/api/v1/conferences", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 200
    listing = await client.get("/orga/tokens/")
    assert secret not in listing.text  # shown once
    assert secret[:10] in listing.text
    # Another organiser cannot revoke it.
    row = next(row for row in listing.text.split("<tr>") if secret[:10] in row)
    token_id = re.search(r'action="/orga/tokens/(\d+)/revoke"', row).group(1)  # type: ignore[union-attr]
    await sign_in(client, other_organiser.email)
    page = await client.get("/orga/tokens/")
    assert secret[:10] not in page.text
    refused = await client.post(f"/orga/tokens/{token_id}/revoke", data={"_csrf_token": csrf_token(page.text)})
    assert refused.status_code == 404
    await sign_in(client, organiser.email)
    page = await client.get("/orga/tokens/")
    revoked = await client.post(
        f"/orga/tokens/{token_id}/revoke", data={"_csrf_token": csrf_token(page.text)}, follow_redirects=False
    )
    assert revoked.status_code == 303
    api = await client.get("/api/v1/conferences", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 401


async def test_a_name_too_long_is_refused_next_to_its_field(
    client: AsyncTestClient[Litestar], organiser: Organiser
) -> None:
    await sign_in(client, organiser.email)
    answer = await post_form(client, "/orga/tokens/", "/orga/tokens/", {"name": "x" * 301})
    assert answer.status_code == 400
    assert 'id="name-error"' in answer.text
    # Nothing made: the organiser still has only the token the tests gave them.
    assert answer.text.count("/revoke") == 1
