"""/orga/{conf}/registrations/ and /orga/{conf}/attendance/: the list (counts, filters, paging,
CSV), one registration (answers, history, actions through the API's service calls) and
attendance per session."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from confman.attendees.services import record_join
from confman.db.models import Conference, ConferenceSession, Registration, RegistrationStatus
from confman.lib.timezones import utcnow
from confman.registration.roster import facets
from confman.registration.services import RegistrationService
from confman.settings import Settings
from tests.factories import (
    Organiser,
    conference_payload,
    database,
    outbox,
    post_ok,
    put_registration_settings,
    registration_payload,
    registrations,
    session_payload,
)
from tests.orga import csrf_token, sign_in
from tests.queries import counted_queries

Client = AsyncTestClient[Litestar]
API = "/api/v1/conferences"
LIST = "/orga/climate-2027/registrations/"
QUESTIONS = [
    {"key": "diet", "kind": "single_choice", "label": {"en": "Diet", "ru": "Питание"},
     "choices": [{"key": "vegan", "label": {"en": "Vegan", "ru": "Веган"}},
                 {"key": "any", "label": {"en": "Anything"}}]},
    {"key": "first-time", "kind": "yes_no", "label": {"en": "First time?"}},
    {"key": "home", "kind": "country", "label": {"en": "Home"}},
    {"key": "union", "kind": "short_text", "label": {"en": "Union"}},
]  # fmt: skip
PEOPLE = [
    ("Ана <b>Иванова</b>", "ana@example.org", "RU", "Europe/Moscow", "ru",
     {"diet": "vegan", "first-time": True, "home": "RU", "union": "=SUM(A1)"}),
    ("Zoë Ünal", "zoe@example.org", "TR", "Europe/Istanbul", "en", {"diet": "any", "first-time": False, "home": "DE"}),
    ("Rosa Silva", "rosa@example.org", "BR", "America/Sao_Paulo", "es", {"diet": "any", "first-time": False}),
]  # fmt: skip


async def _conference(client: Client, organiser: Organiser, *, capacity: int, slug: str = "climate-2027") -> None:
    await post_ok(client, organiser, API, conference_payload(slug=slug))
    await put_registration_settings(
        client, organiser, slug, questions=QUESTIONS, double_opt_in=False, capacity=capacity, waitlist=True
    )
    for name, email, country, zone, language, answers in PEOPLE:
        payload = registration_payload(
            name=name, email=email, country=country, timezone=zone, language=language, answers=answers
        )
        answer = await client.post(f"{API}/{slug}/registrations", json=payload)
        assert answer.status_code == 201, answer.text


async def _add_people(settings: Settings, slug: str, count: int) -> None:
    """``count`` more confirmed registrations, written at once (the tally's triggers count them)."""
    async with database(settings) as db:
        conference_id = await db.scalar(select(Conference.id).where(Conference.slug == slug))
        now = utcnow()
        db.add_all(
            Registration(
                conference_id=conference_id, email=f"p{index}@example.org", name=f"Person {index:03}", country="GB",
                timezone="Europe/London", language="en", answers={}, consented_at=now,
                status=RegistrationStatus.CONFIRMED, confirmed_at=now,
            )
            for index in range(count)
        )  # fmt: skip


def _names(html: str) -> set[str]:
    return {name for name in ("Иванова", "Zoë Ünal", "Rosa Silva") if name in html}


async def test_list_counts_filters_export_and_escapes(client: Client, organiser: Organiser) -> None:
    await _conference(client, organiser, capacity=2)
    await sign_in(client, organiser.email)

    page = await client.get(LIST)
    assert page.status_code == 200
    html = page.text
    assert "Ана &lt;b&gt;Иванова&lt;/b&gt;" in html
    assert "<b>Иванова" not in html
    assert _names(html) == {"Иванова", "Zoë Ünal", "Rosa Silva"}
    assert "of 2 seats" in html
    assert "1–3 of 3" in html
    assert 'href="/orga/climate-2027/registrations/export.csv"' in html
    assert 'href="/orga/climate-2027/messages/new"' in html
    cases: list[tuple[dict[str, str], set[str]]] = [
        ({"q": "ИВАН"}, {"Иванова"}),
        ({"status": "waitlisted"}, {"Rosa Silva"}),
        ({"country": "tr"}, {"Zoë Ünal"}),
        ({"zone": "America/Sao_Paulo"}, {"Rosa Silva"}),
        ({"a.diet": "any"}, {"Zoë Ünal", "Rosa Silva"}),
        ({"a.first-time": "yes"}, {"Иванова"}),
        ({"a.home": "DE"}, {"Zoë Ünal"}),
        ({"a.diet": "any", "status": "confirmed"}, {"Zoë Ünal"}),
        ({"status": "", "a.diet": ""}, {"Иванова", "Zoë Ünal", "Rosa Silva"}),
    ]
    for params, expected in cases:
        found = await client.get(LIST, params=params)
        assert found.status_code == 200, params
        table = found.text.split("registration-table", 1)[-1]
        assert _names(table) == expected, params
    waiting = (await client.get(LIST, params={"status": "waitlisted"})).text
    assert "<td>1</td>" in waiting  # Rosa's position on the waiting list
    assert "export.csv?status=waitlisted" in waiting
    assert "messages/new?status=waitlisted" in waiting

    refused = [
        ({"status": "gone"}, "Status"),
        ({"country": "XX"}, "Country"),
        ({"zone": "Mars/Olympus"}, "Time zone"),
        ({"a.union": "x"}, "a.union"),
        ({"a.diet": "meat"}, "Diet"),
        ({"q": "x" * 201}, "Name or e-mail contains"),
        ({"page": "0"}, "Page"),
    ]
    for params, field in refused:
        answer = await client.get(LIST, params=params)
        assert answer.status_code == 400, params
        assert f"The filter “{field}” cannot be used" in answer.text, params
        export = await client.get(LIST + "export.csv", params=params)
        assert export.status_code == (200 if "page" in params else 400), params  # the export has no pages

    exported = await client.get(LIST + "export.csv", params={"country": "RU"})
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [row["name"] for row in rows] == ["Ана <b>Иванова</b>"]
    assert rows[0]["answer:union"] == "'=SUM(A1)"
    everyone = list(csv.DictReader(io.StringIO((await client.get(LIST + "export.csv")).text)))
    assert [row["waitlist_position"] for row in everyone] == ["", "", "1"]


async def _list_statements(client: Client, slug: str, params: dict[str, str]) -> tuple[int, str]:
    await client.get(f"/orga/{slug}/registrations/", params=params)  # the first request may warm caches
    with counted_queries() as statements:
        page = await client.get(f"/orga/{slug}/registrations/", params=params)
    assert page.status_code == 200
    return len(statements), page.text


async def test_list_statements_do_not_grow_and_pages_keep_the_filter(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await _conference(client, organiser, capacity=2, slug="small-2027")
    await _conference(client, organiser, capacity=2, slug="large-2027")
    await _add_people(settings, "large-2027", 57)
    async with database(settings) as db:  # the page's one pass gives the service's counts
        conference = await db.scalar(select(Conference).where(Conference.slug == "large-2027"))
        assert conference is not None
        service, figures = RegistrationService(db, settings), await facets(db, conference.id)
        assert figures.by_status == await service.counts(conference)
        assert figures.by_country == await service.counts_by_country(conference)
        assert figures.countries == ["BR", "GB", "RU", "TR"]
    await sign_in(client, organiser.email)
    for params in ({}, {"country": "GB"}):
        small, _ = await _list_statements(client, "small-2027", params)
        large, _ = await _list_statements(client, "large-2027", params)
        assert small == large, params
        assert large <= 14

    first = (await client.get("/orga/large-2027/registrations/", params={"status": "confirmed"})).text
    assert "1–50 of 59" in first
    assert 'href="/orga/large-2027/registrations/?status=confirmed&amp;page=2" rel="next"' in first
    second = (await client.get("/orga/large-2027/registrations/", params={"status": "confirmed", "page": "2"})).text
    assert "51–59 of 59" in second
    assert "Person 056" in second
    assert "Person 000" not in second
    assert 'href="/orga/large-2027/registrations/?status=confirmed&amp;page=1" rel="prev"' in second
    beyond = await client.get("/orga/large-2027/registrations/", params={"page": "99"})
    assert "51–60 of 60" in beyond.text


async def _registration_id(settings: Settings, email: str) -> int:
    return next(row.id for row in await registrations(settings) if row.email == email)


async def _post(client: Client, page: str, action: str, data: dict[str, str]) -> Any:
    token = csrf_token((await client.get(page)).text)
    return await client.post(action, data={**data, "_csrf_token": token}, follow_redirects=False)


async def test_detail_answers_history_and_actions(client: Client, organiser: Organiser, settings: Settings) -> None:
    await _conference(client, organiser, capacity=1)  # Ана has the seat; Zoë and Rosa wait
    await sign_in(client, organiser.email)
    ana, zoe, rosa = [await _registration_id(settings, p[1]) for p in PEOPLE]
    detail = f"{LIST}{ana}/"

    html = (await client.get(detail)).text
    assert "Ана &lt;b&gt;Иванова&lt;/b&gt;" in html
    assert "<b>" not in html.split("<main", 1)[1].split("</h1>")[0]
    for shown in ("Diet", "Vegan", "First time?", "Yes", "Home", "Russia", "=SUM(A1)", "Submitted", "Confirmed"):
        assert shown in html, shown
    assert "Registration confirmed" in html  # the e-mail
    assert "Питание" in (await client.get(detail, params={"lang": "ru"})).text
    await client.get(detail, params={"lang": "en"})
    assert "position 1 on the waiting list" in (await client.get(f"{LIST}{zoe}/")).text

    # Full: confirming Zoë is refused with the reason, and nothing is written.
    refused = await _post(client, f"{LIST}{zoe}/", f"{LIST}{zoe}/status", {"status": "confirmed"})
    assert refused.status_code == 409
    assert "No seat is free" in refused.text
    # Cancelling needs the box ticked.
    unticked = await _post(client, detail, f"{LIST}{ana}/status", {"status": "cancelled"})
    assert unticked.status_code == 400
    assert "Tick the box" in unticked.text
    assert [r.status for r in await registrations(settings)] == ["confirmed", "waitlisted", "waitlisted"]

    mails_before = len(await outbox(settings))
    done = await _post(client, detail, f"{LIST}{ana}/status", {"status": "cancelled", "confirm": "on"})
    assert done.status_code == 303
    assert done.headers["location"] == detail
    assert "The head of the waiting list got the seat" in (await client.get(detail)).text
    assert [r.status for r in await registrations(settings)] == ["cancelled", "confirmed", "waitlisted"]
    new_mails = [(m.kind, m.registration_id) for m in (await outbox(settings))[mails_before:]]
    assert sorted(new_mails) == sorted([("cancelled", ana), ("promoted", zoe)])
    zoe_page = (await client.get(f"{LIST}{zoe}/")).text
    assert "Promoted from the waiting list" in zoe_page
    assert "position 1 on the waiting list" in (await client.get(f"{LIST}{rosa}/")).text

    resent = await _post(client, f"{LIST}{zoe}/", f"{LIST}{zoe}/resend", {})
    assert resent.status_code == 303
    assert [(m.kind, m.registration_id) for m in (await outbox(settings))[-1:]] == [("confirmed", zoe)]
    assert "E-mail sent again by an organiser" in (await client.get(f"{LIST}{zoe}/")).text
    cancelled = await _post(client, f"{LIST}{rosa}/", f"{LIST}{ana}/resend", {})
    assert cancelled.status_code == 400
    assert "nothing to send" in cancelled.text
    assert (await client.get(f"{LIST}999999/")).status_code == 404


async def test_attendance_pages(client: Client, organiser: Organiser, settings: Settings) -> None:
    await _conference(client, organiser, capacity=10)
    await post_ok(client, organiser, f"{API}/climate-2027/sessions", session_payload(title={"en": "<i>COP</i>"}))
    ana = await _registration_id(settings, PEOPLE[0][1])
    async with database(settings) as db:
        session_id = await db.scalar(select(ConferenceSession.id).where(ConferenceSession.slug == "limits-of-cop26"))
        first = datetime(2027, 11, 14, 9, 55, tzinfo=UTC)
        await record_join(db, ana, session_id, first)
        await record_join(db, ana, session_id, first + timedelta(minutes=20))
    await sign_in(client, organiser.email)

    page = await client.get("/orga/climate-2027/attendance/")
    assert page.status_code == 200
    assert "&lt;i&gt;COP&lt;/i&gt;" in page.text
    row = page.text.split("attendance-table", 1)[1]
    assert "<td>3</td>" in row
    assert "<td>1</td>" in row
    assert "<td>2</td>" in row
    one = await client.get("/orga/climate-2027/attendance/limits-of-cop26/")
    assert one.status_code == 200
    assert "Ана &lt;b&gt;Иванова&lt;/b&gt;" in one.text
    assert "09:55" in one.text
    assert "10:15" in one.text
    assert f'href="/orga/climate-2027/registrations/{ana}/"' in one.text
    assert (await client.get("/orga/climate-2027/attendance/nothing-here/")).status_code == 404
    joined = (await client.get(f"{LIST}{ana}/")).text
    assert "&lt;i&gt;COP&lt;/i&gt;" in joined
