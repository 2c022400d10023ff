"""The attendee's page, personal feed and join link cost the same number of queries for a
small and a large programme (no query per session)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from litestar import Litestar
from litestar.testing import AsyncTestClient

from confman.settings import Settings
from tests.factories import (
    Organiser,
    conference_payload,
    outbox,
    post_ok,
    put_registration_settings,
    registration_payload,
    token_from,
)
from tests.queries import counted_queries

Client = AsyncTestClient[Litestar]
CONF = "/api/v1/conferences/climate-2027"


async def queries_for(client: Client, organiser: Organiser, settings: Settings, sessions: int) -> tuple[int, ...]:
    now = datetime.now(UTC).replace(microsecond=0)
    today = now.date()
    await post_ok(
        client, organiser, "/api/v1/conferences",
        conference_payload(starts_on=str(today - timedelta(days=1)), ends_on=str(today + timedelta(days=2)),
                           timezone="UTC"),
    )  # fmt: skip
    stream = {"slug": "main", "name": "Main", "meeting_url": "https://meet.example.org/m"}
    await post_ok(client, organiser, f"{CONF}/streams", stream)
    for index in range(sessions):
        await post_ok(
            client, organiser, f"{CONF}/sessions",
            {"slug": f"s-{index}", "title": {"en": f"Session {index}"}, "stream": "main", "status": "confirmed",
             "kind": "workshop" if index % 3 == 0 else "talk", "capacity": 5 if index % 3 == 0 else None,
             "starts_at": (now + timedelta(minutes=10 * index - 5)).isoformat(),
             "ends_at": (now + timedelta(minutes=10 * index + 5)).isoformat()},
        )  # fmt: skip
    await put_registration_settings(client, organiser, "climate-2027", double_opt_in=False)
    answer = await client.post(f"{CONF}/registrations", json=registration_payload(language="en"))
    assert answer.status_code == 201, answer.text
    token = token_from(next(m for m in await outbox(settings) if m.kind == "confirmed").context["manage_url"])
    await client.get(f"/me/{token}/")  # the first view makes the feed and join links
    with counted_queries() as page_queries:
        page = await client.get(f"/me/{token}/")
    assert page.status_code == 200
    assert page.text.count('class="session') == sessions
    feed_url = re.search(r'id="feed-link" class="feed-link" value="http://testserver.local([^"]+)"', page.text)
    join = re.search(r'href="http://testserver.local(/join/[^"]+/s-1)"', page.text)
    assert feed_url is not None
    assert join is not None
    with counted_queries() as feed_queries:
        feed = await client.get(feed_url.group(1))
    assert feed.text.count("BEGIN:VEVENT") == sessions
    with counted_queries() as join_queries:
        joined = await client.get(join.group(1), follow_redirects=False)
    assert joined.status_code == 302
    return len(page_queries), len(feed_queries), len(join_queries)


async def test_attendee_page_feed_and_join_queries_do_not_grow_with_the_programme(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    small = await queries_for(client, organiser, settings, 6)
    await client.delete(CONF, headers=organiser.headers)
    large = await queries_for(client, organiser, settings, 60)

    assert small == large
    page, feed, join = large
    assert page <= 20
    assert feed <= 14
    assert join <= 12
