"""/orga/{conf}/webhooks/: the webhooks from the browser (the API's service): add with the
secret shown once, refusals beside their field with nothing written, the delivery log, replay,
off and on, remove."""

from __future__ import annotations

import re

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select, update

from confman.db.models import Event, WebhookDelivery, WebhookEndpoint
from confman.mail.outbox import emit
from confman.settings import Settings
from tests.factories import Organiser, conference_payload, database, post_ok
from tests.orga import csrf_token, post_form, sign_in

PAGE = "/orga/climate-2027/webhooks/"


async def count(settings: Settings) -> int:
    async with database(settings) as db:
        return await db.scalar(select(func.count()).select_from(WebhookEndpoint)) or 0


async def test_webhooks_page_adds_shows_the_secret_once_replays_and_removes(
    client: AsyncTestClient[Litestar], organiser: Organiser, other_organiser: Organiser, settings: Settings
) -> None:
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload())
    await sign_in(client, organiser.email)
    for url, events in (("https://10.0.0.1/x", ["session.changed"]), ("https://hooks.example.org/x", [])):
        refused = await post_form(client, PAGE, PAGE, {"url": url, "events": events})
        assert refused.status_code == 400
        assert 'class="field-error"' in refused.text
    assert await count(settings) == 0
    made = await post_form(
        client, PAGE, PAGE, {"url": "https://hooks.example.org/in", "events": ["session.changed", "programme.released"]}
    )
    assert made.status_code == 200, made.text
    secret = re.search(r'id="new-secret" class="secret-value" value="(whsec_[^"]+)"', made.text).group(1)  # type: ignore[union-attr]
    listing = await client.get(PAGE)
    assert secret not in listing.text
    endpoint_id = int(re.search(r'/webhooks/(\d+)/"', listing.text).group(1))  # type: ignore[union-attr]
    async with database(settings) as db:
        conference_id = (await db.get(WebhookEndpoint, endpoint_id)).conference_id  # type: ignore[union-attr]
        emit(db, Event.SESSION_CHANGED, conference_id=conference_id, payload={"session_id": 1})
    async with database(settings) as db:
        await db.execute(update(WebhookDelivery).values(status="delivered", last_status_code=200))
    detail_path = f"{PAGE}{endpoint_id}/"
    detail = await client.get(detail_path)
    assert "session.changed" in detail.text
    assert secret not in detail.text
    delivery_id = re.search(r"/deliveries/(\d+)/replay", detail.text).group(1)  # type: ignore[union-attr]
    replayed = await post_form(client, detail_path, f"{detail_path}deliveries/{delivery_id}/replay", {})
    assert replayed.status_code == 303
    async with database(settings) as db:
        assert [row.status for row in await db.scalars(select(WebhookDelivery))] == ["pending"]
    off = await post_form(client, detail_path, f"{detail_path}enabled", {})
    assert off.status_code == 303
    on = await post_form(client, detail_path, f"{detail_path}enabled", {"enabled": "on"})
    assert on.status_code == 303
    async with database(settings) as db:
        assert (await db.get(WebhookEndpoint, endpoint_id)).enabled is True  # type: ignore[union-attr]
    rotated = await post_form(client, detail_path, f"{detail_path}secret", {})
    assert rotated.status_code == 200
    assert "whsec_" in rotated.text
    await sign_in(client, other_organiser.email)
    page = await client.get("/orga/")
    stranger = await client.post(f"{detail_path}delete", data={"_csrf_token": csrf_token(page.text)})
    assert stranger.status_code == 404
    await sign_in(client, organiser.email)
    removed = await post_form(client, detail_path, f"{detail_path}delete", {})
    assert removed.status_code == 303
    assert await count(settings) == 0
