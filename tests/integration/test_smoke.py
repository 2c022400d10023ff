from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.factories import Organiser, conference_payload


async def test_conference_created_by_organiser_is_readable_publicly(
    client: AsyncTestClient[Litestar], organiser: Organiser
) -> None:
    created = await client.post("/api/v1/conferences", json=conference_payload(), headers=organiser.headers)
    assert created.status_code == 201, created.text
    public = await client.get("/api/v1/conferences/climate-2027")
    assert public.status_code == 200
    assert public.json()["title"]["ru"] == "Революционная альтернатива"
