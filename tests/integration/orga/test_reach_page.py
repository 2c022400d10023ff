"""The audience reach page and the reach in the schedule builder: attendees registered from
three zones, figures compared with a computation from zoneinfo's wall clocks written here."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import insert, select

from confman.db.models import Conference, Registration, RegistrationStatus
from confman.settings import Settings
from tests.factories import Organiser, conference_payload, database, post_ok, session_payload
from tests.orga import sign_in
from tests.queries import counted_queries

Client = AsyncTestClient[Litestar]
SLUG = "reach-2027"
PAGE = f"/orga/{SLUG}/reach/"
C, W, P, X = (
    RegistrationStatus.CONFIRMED,
    RegistrationStatus.WAITLISTED,
    RegistrationStatus.PENDING,
    RegistrationStatus.CANCELLED,
)
# (zone, country, status, erased): Europe leaves summer time on 31 October, the USA on 7 November.
PEOPLE = [
    *[("America/Los_Angeles", "US", status, False) for status in (C, C, W)],
    *[("Europe/Berlin", "DE", status, False) for status in (C, C, C, P, X, X)],
    *[("Asia/Tokyo", "JP", status, False) for status in (C, P)],
    ("Asia/Tokyo", None, X, True),
]
SESSIONS = {  # slug: (start UTC, minutes)
    "early": (datetime(2027, 10, 30, 6, tzinfo=UTC), 60),
    "noon": (datetime(2027, 10, 30, 12, tzinfo=UTC), 60),
    "evening": (datetime(2027, 10, 31, 16, tzinfo=UTC), 90),
    "late": (datetime(2027, 10, 31, 21, 30, tzinfo=UTC), 60),
}


def in_day(start: datetime, end: datetime, zone: str) -> bool:
    local_start, local_end = start.astimezone(ZoneInfo(zone)), end.astimezone(ZoneInfo(zone))
    return local_start.time() >= time(7) and local_end.date() == local_start.date() and local_end.time() <= time(23)


def expected(counts: dict[str, int], start: datetime, minutes: int) -> int:
    return sum(n for zone, n in counts.items() if in_day(start, start + timedelta(minutes=minutes), zone))


def audience(confirmed_only: bool) -> dict[str, int]:
    counts: dict[str, int] = {}
    for zone, _, status, erased in PEOPLE:
        if (status is C if confirmed_only else status in (C, W, P)) and not erased:
            counts[zone] = counts.get(zone, 0) + 1
    return counts


def figures(html: str, key: str, value: str) -> dict[str, int]:
    """``{row key: number}`` from the rows ``<tr data-{key}="…">`` and their ``data-{value}``."""
    rows = re.findall(rf'<tr data-{key}="([^"]*)"[^>]*>(.*?)</tr>', html, re.S)
    return {name: int(re.search(rf'data-{value}="(\d+)"', row).group(1)) for name, row in rows}  # type: ignore[union-attr]


async def _conference(
    client: Client, organiser: Organiser, settings: Settings, slug: str, people: int, sessions: int
) -> None:
    await post_ok(
        client,
        organiser,
        "/api/v1/conferences",
        conference_payload(slug=slug, starts_on="2027-10-30", ends_on="2027-10-31"),
    )
    api = f"/api/v1/conferences/{slug}"
    timed = list(SESSIONS.items()) if slug == SLUG else []
    timed += [
        (f"extra-{n}", (datetime(2027, 10, 30, 8, tzinfo=UTC) + timedelta(minutes=30 * n), 45)) for n in range(sessions)
    ]
    for name, (start, minutes) in timed:
        end = start + timedelta(minutes=minutes)
        payload = session_payload(slug=name, starts_at=start.isoformat(), ends_at=end.isoformat())
        await post_ok(client, organiser, f"{api}/sessions", payload)
    cancelled = session_payload(
        slug="dropped", status="cancelled", starts_at="2027-10-31T10:00:00+00:00", ends_at="2027-10-31T11:00:00+00:00"
    )
    await post_ok(client, organiser, f"{api}/sessions", cancelled)
    async with database(settings) as db:
        conference_id = await db.scalar(select(Conference.id).where(Conference.slug == slug))
        rows = [
            {
                "conference_id": conference_id,
                "email": f"person-{n}@example.org",
                "name": f"Person {n}",
                "country": country,
                "timezone": zone,
                "language": "en",
                "answers": {},
                "consented_at": datetime(2027, 1, 1, tzinfo=UTC),
                "status": status,
                "waitlist_seq": n + 1 if status is W else None,
                "erased_at": datetime(2027, 2, 1, tzinfo=UTC) if erased else None,
            }
            for n, (zone, country, status, erased) in enumerate((PEOPLE * (people // len(PEOPLE) + 1))[:people])
        ]
        if rows:
            await db.execute(insert(Registration), rows)


async def test_reach_page_figures_equal_the_zoneinfo_computation(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await _conference(client, organiser, settings, SLUG, len(PEOPLE), 0)
    await sign_in(client, organiser.email)
    for who, confirmed_only in (("all", False), ("confirmed", True)):
        counts = audience(confirmed_only)
        page = await client.get(PAGE, params={"who": who, "day": "2027-10-31", "length": "90"})
        assert page.status_code == 200, page.text
        html = page.text
        assert re.search(r'data-total="(\d+)"', html).group(1) == str(sum(counts.values()))  # type: ignore[union-attr]
        assert figures(html, "zone", "count") == counts
        assert figures(html, "session", "in-day") == {
            slug: expected(counts, start, minutes) for slug, (start, minutes) in SESSIONS.items()
        }
        london = ZoneInfo("Europe/London")
        starts = {
            f"{minute // 60:02d}:{minute % 60:02d}": datetime.combine(
                date(2027, 10, 31), time(minute // 60, minute % 60), london
            )
            for minute in range(0, 24 * 60, 30)
        }
        assert figures(html, "start", "in-day") == {
            label: expected(counts, moment.astimezone(UTC), 90) for label, moment in starts.items()
        }
        assert "style=" not in html
        assert html.count('role="img"') == 2
    page = (await client.get(PAGE)).text  # defaults: everyone registered, the first day, 60 minutes
    assert 'id="who-all" name="who" value="all" checked' in page
    assert figures(page, "country", "count") == {"US": 3, "DE": 4, "JP": 2}
    assert "Germany" in page
    assert "Los Angeles" in page
    assert "UTC−07:00" in page

    for params, field in (
        ({"who": "everyone"}, "who"),
        ({"day": "2027-11-01"}, "day"),
        ({"day": "31/10/2027"}, "day"),
        ({"length": "10"}, "length"),
        ({"length": "481"}, "length"),
        ({"length": "long"}, "length"),
    ):
        refused = await client.get(PAGE, params=params)
        assert refused.status_code == 400, params
        assert f'id="{field}-error"' in refused.text, params
        assert refused.text.count('class="field-error"') == 1, params

    # The schedule builder: each card's share, and each hour's for a session of the usual length.
    board = (await client.get(f"/orga/{SLUG}/schedule/", params={"day": "2027-10-30"})).text
    everyone = audience(False)
    total = sum(everyone.values())
    noon = round(100 * expected(everyone, *SESSIONS["noon"]) / total)
    card = re.search(r'id="card-noon".*?</article>', board, re.S).group(0)  # type: ignore[union-attr]
    assert f'<p class="card-reach">{noon}% in their day</p>' in card
    nine = datetime(2027, 10, 30, 9, tzinfo=ZoneInfo("Europe/London")).astimezone(UTC)
    share = round(100 * expected(everyone, nine, 60) / total)
    assert re.search(
        rf'>09:00 <span class="hour-reach"[^>]*><span class="visually-hidden">[^<]*</span>{share}%</span>', board
    )


async def test_reach_page_without_registrations_says_so(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await _conference(client, organiser, settings, SLUG, 0, 0)
    await sign_in(client, organiser.email)
    page = await client.get(PAGE)
    assert page.status_code == 200
    assert 'id="reach-empty"' in page.text
    assert "<svg" not in page.text
    assert figures(page.text, "session", "in-day") == dict.fromkeys(SESSIONS, 0)
    board = (await client.get(f"/orga/{SLUG}/schedule/")).text
    assert "card-reach" not in board
    assert "hour-reach" not in board


async def test_reach_page_statements_do_not_grow_with_registrations_or_sessions(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await _conference(client, organiser, settings, "small-2027", 3, 1)
    await _conference(client, organiser, settings, "large-2027", 300, 40)
    await sign_in(client, organiser.email)
    counted = []
    for slug in ("small-2027", "large-2027"):
        for path in (f"/orga/{slug}/reach/?who=confirmed", f"/orga/{slug}/schedule/"):
            await client.get(path)  # the first request may warm caches
            with counted_queries() as statements:
                assert (await client.get(path)).status_code == 200
            counted.append(len(statements))
    assert counted[:2] == counted[2:]
