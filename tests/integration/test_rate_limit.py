from litestar import Litestar
from litestar.testing import AsyncTestClient

from confman.app import create_app
from confman.settings import Settings
from tests.factories import Organiser


async def test_token_endpoint_throttles_password_guessing(settings: Settings, organiser: Organiser) -> None:
    app: Litestar = create_app(settings.model_copy(update={"token_attempts_per_minute": 3}))
    guess = {"email": organiser.email, "password": "wrong password"}
    async with AsyncTestClient(app, base_url="http://testserver.local") as client:
        statuses = [(await client.post("/api/v1/tokens", json=guess)).status_code for _ in range(4)]
        # Other endpoints are not limited by it.
        reads = [(await client.get("/api/v1/conferences")).status_code for _ in range(5)]

    assert statuses == [401, 401, 401, 429]
    assert reads == [200] * 5
