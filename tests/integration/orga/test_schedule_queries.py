"""The schedule page sends as many SQL statements for 40 sessions as for 5 (never one per session)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.factories import Organiser, conference_payload, post_ok, session_payload, speaker_payload
from tests.orga import csrf_token, sign_in
from tests.queries import counted_queries


async def _conference(client: AsyncTestClient[Litestar], organiser: Organiser, slug: str, sessions: int) -> None:
    api = f"/api/v1/conferences/{slug}"
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload(slug=slug, ends_on="2027-11-15"))
    for index in range(3):
        await post_ok(client, organiser, f"{api}/streams", {"slug": f"stream-{index}", "name": f"Stream {index}"})
    for index in range(4):
        await post_ok(client, organiser, f"{api}/speakers", speaker_payload(slug=f"speaker-{index}"))
    first = datetime(2027, 11, 14, 8, tzinfo=UTC)
    for index in range(sessions):
        start = first + timedelta(minutes=30 * (index // 3))
        await post_ok(
            client,
            organiser,
            f"{api}/sessions",
            session_payload(
                slug=f"session-{index}",
                starts_at=start.isoformat(),
                ends_at=(start + timedelta(minutes=45)).isoformat(),
                stream=f"stream-{index % 3}",
                speakers=[{"speaker": f"speaker-{index % 4}"}, {"speaker": f"speaker-{(index + 1) % 4}"}],
            ),
        )


async def _page_statements(client: AsyncTestClient[Litestar], slug: str) -> int:
    await client.get(f"/orga/{slug}/schedule/")  # the first request may warm caches
    with counted_queries() as statements:
        page = await client.get(f"/orga/{slug}/schedule/")
    assert page.status_code == 200
    return len(statements)


async def _move_statements(client: AsyncTestClient[Litestar], slug: str, htmx: bool) -> int:
    token = csrf_token((await client.get(f"/orga/{slug}/schedule/")).text)
    data = {
        "session": "session-1",
        "day": "2027-11-14",
        "start": "13:00" if htmx else "12:00",
        "duration": "45",
        "stream": "stream-1",
        "zone": "Europe/London",
        "_csrf_token": token,
    }
    headers = {"HX-Request": "true", "X-CSRFToken": token} if htmx else {}
    with counted_queries() as statements:
        answer = await client.post(f"/orga/{slug}/schedule/move", data=data, headers=headers, follow_redirects=False)
    assert answer.status_code == (200 if htmx else 303), answer.text
    return len(statements)


async def test_schedule_page_statements_do_not_grow_with_the_sessions(
    client: AsyncTestClient[Litestar], organiser: Organiser
) -> None:
    await _conference(client, organiser, "small-2027", 5)
    await _conference(client, organiser, "large-2027", 40)
    await sign_in(client, organiser.email)
    small, large = await _page_statements(client, "small-2027"), await _page_statements(client, "large-2027")
    assert small == large
    assert large <= 12


async def test_move_statements_do_not_grow_with_the_sessions(
    client: AsyncTestClient[Litestar], organiser: Organiser
) -> None:
    await _conference(client, organiser, "small-2027", 5)
    await _conference(client, organiser, "large-2027", 40)
    await sign_in(client, organiser.email)
    for htmx in (False, True):
        assert await _move_statements(client, "small-2027", htmx) == await _move_statements(client, "large-2027", htmx)
