import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.factories import Organiser, conference_payload


@pytest.mark.parametrize("slug", ["api", "schema", "me", "join"])
async def test_conference_slug_reserved_for_site_paths_is_refused(
    client: AsyncTestClient[Litestar], organiser: Organiser, slug: str
) -> None:
    answer = await client.post("/api/v1/conferences", json=conference_payload(slug=slug), headers=organiser.headers)
    listing = await client.get("/api/v1/conferences", headers=organiser.headers)

    assert answer.status_code == 400
    assert [error["key"] for error in answer.json()["extra"]] == ["slug"]
    assert "reserved" in answer.json()["extra"][0]["message"]
    assert listing.json() == []
