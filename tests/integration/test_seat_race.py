"""Workshop seats under real concurrency: a real server process, real concurrent HTTP clients
through the attendees' own pages (CSRF and all), on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import random
import re
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select

from confman.db.models import SeatStatus, SessionSeat
from confman.settings import Settings
from tests.factories import (
    Organiser,
    conference_payload,
    database,
    outbox,
    registration_payload,
    registration_settings_payload,
    token_from,
)
from tests.server import serve

CONF = "/api/v1/conferences/climate-2027"
SEATS = 5
ATTENDEES = 40


@pytest.fixture(scope="module")
def server(database_url: str) -> Iterator[str]:
    workers = 1 if database_url.startswith("sqlite") else 2
    with serve(database_url, workers=workers, CONFMAN_PROGRAMME_CACHE_SECONDS="0") as base_url:
        yield base_url


class Attendee:
    """One browser: its own cookies (the CSRF cookie) and the page token from its e-mail."""

    def __init__(self, base_url: str, token: str) -> None:
        self.http = httpx.AsyncClient(base_url=base_url, timeout=120)
        self.token = token

    async def seat(self, action: str) -> httpx.Response:
        page = await self.http.get(f"/me/{self.token}/")
        assert page.status_code == 200, page.text
        match = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
        assert match is not None
        return await self.http.post(
            f"/me/{self.token}/seats/workshop", data={"_csrf_token": match.group(1), "action": action}
        )


async def attendees(base_url: str, organiser: Organiser, settings: Settings) -> list[Attendee]:
    async with httpx.AsyncClient(base_url=base_url, timeout=120) as http:
        created = await http.post("/api/v1/conferences", json=conference_payload(), headers=organiser.headers)
        assert created.status_code == 201, created.text
        workshop = {
            "slug": "workshop", "title": {"en": "Workshop"}, "kind": "workshop", "capacity": SEATS,
            "starts_at": "2027-11-14T14:00:00+00:00", "ends_at": "2027-11-14T16:00:00+00:00", "status": "confirmed",
        }  # fmt: skip
        made = await http.post(f"{CONF}/sessions", json=workshop, headers=organiser.headers)
        assert made.status_code == 201, made.text
        rules = registration_settings_payload(double_opt_in=False)
        assert (await http.put(f"{CONF}/registration-settings", json=rules, headers=organiser.headers)).is_success
        for index in range(ATTENDEES):
            answer = await http.post(
                f"{CONF}/registrations", json=registration_payload(email=f"p{index}@example.org", language="en")
            )
            assert answer.status_code == 201, answer.text
    pages = {mail.recipient: mail.context["manage_url"] for mail in await outbox(settings) if mail.kind == "confirmed"}
    return [Attendee(base_url, token_from(pages[f"p{index}@example.org"])) for index in range(ATTENDEES)]


async def seats(settings: Settings) -> list[SessionSeat]:
    async with database(settings) as db:
        return list(await db.scalars(select(SessionSeat)))


def check_invariants(rows: list[SessionSeat]) -> Counter[SeatStatus]:
    counts = Counter(row.status for row in rows)
    assert counts[SeatStatus.CONFIRMED] <= SEATS
    if counts[SeatStatus.WAITLISTED]:
        # No one waits while a seat is free.
        assert counts[SeatStatus.CONFIRMED] == SEATS
    waiting = [row.waitlist_seq for row in rows if row.status is SeatStatus.WAITLISTED]
    assert len(set(waiting)) == len(waiting)
    assert len({row.registration_id for row in rows}) == len(rows)
    return counts


async def test_concurrent_seat_requests_never_oversell_and_fill_the_waiting_list_in_order(
    server: str, organiser: Organiser, settings: Settings
) -> None:
    people = await attendees(server, organiser, settings)
    try:
        answers = await asyncio.gather(*(person.seat("take") for person in people))
        assert Counter(answer.status_code for answer in answers) == Counter({303: ATTENDEES})
        rows = await seats(settings)
        counts = check_invariants(rows)
        assert counts == Counter({SeatStatus.CONFIRMED: SEATS, SeatStatus.WAITLISTED: ATTENDEES - SEATS})

        # The page shows each one's place: positions 1..35 on the waiting list, each once.
        pages = await asyncio.gather(*(person.http.get(f"/me/{person.token}/") for person in people))
        positions = sorted(
            int(found.group(1))
            for page in pages
            if (found := re.search(r"number (\d+) on this session(?:'|&#39;)s waiting list", page.text))
        )
        assert positions == list(range(1, ATTENDEES - SEATS + 1))

        # Seat holders give up while others ask again: the head of the list moves up each time.
        holders = {row.registration_id for row in rows if row.status is SeatStatus.CONFIRMED}
        waiting_first = sorted(
            (row for row in rows if row.status is SeatStatus.WAITLISTED), key=lambda row: row.waitlist_seq or 0
        )
        by_id = dict(zip(sorted(row.registration_id for row in rows), people, strict=False))
        leaving = [by_id[registration_id] for registration_id in sorted(holders)[:3]]
        # Asking again changes nothing for those who hold a seat or a place already.
        others = [person for person in people if person not in leaving][:10]
        mixed = [person.seat("release") for person in leaving] + [person.seat("take") for person in others]
        random.shuffle(mixed)
        await asyncio.gather(*mixed)
        after = await seats(settings)
        counts = check_invariants(after)
        assert counts[SeatStatus.CONFIRMED] == SEATS
        assert counts[SeatStatus.CANCELLED] == 3
        promoted = {row.registration_id for row in after if row.status is SeatStatus.CONFIRMED} - holders
        assert promoted == {row.registration_id for row in waiting_first[:3]}
    finally:
        for person in people:
            await person.http.aclose()
