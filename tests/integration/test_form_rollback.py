"""A refused form rolls back: what the request wrote before the refusal is not in the database,
and the form still comes back, with its message, from data made before the rollback.

No page of confman writes before it refuses (each checks first), so the write comes from a
route these tests add to the app: it writes through a real service, then hands the request
to the real page handler, which refuses the form. The same route with a valid form shows
that the write would otherwise stay. Last, refused seats: worded by take_seat's code.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar import Litestar, Request, Response, post
from litestar.params import FromPath
from litestar.status_codes import HTTP_303_SEE_OTHER
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from confman.app import create_app
from confman.attendees.links import registration_by_page_token
from confman.attendees.pages import attendee_profile
from confman.conferences.services import ConferenceService
from confman.db.models import ConferenceSession, OutboxMail, Registration, SeatStatus, SessionSeat
from confman.db.transactions import DbSession
from confman.lib.templating import gettext_callables
from confman.registration.pages import registration_submit
from confman.registration.placement import LOCKED, AppPlacement
from confman.registration.schemas import RegistrationCreate
from confman.registration.seats import take_seat
from confman.registration.submit import Submission
from confman.settings import AppSettings, Settings
from confman.site.serve import PageRendererDependency, ProgrammeCacheDependency
from tests.factories import Organiser, conference_payload, database, post_ok, put_registration_settings
from tests.integration.test_attendee_pages import BASE, build_conference, open_page, register

Client = AsyncTestClient[Litestar]
AnyRequest = Request[Any, Any, Any]
WRITTEN = "written-first@example.org"
spanish = gettext_callables("es")["_"]


@post("/_test/{conf:str}/register/", include_in_schema=False, status_code=200)
async def register_after_a_write(
    request: AnyRequest, conf: FromPath[str], db_session: DbSession, settings: AppSettings,
    programme_cache: ProgrammeCacheDependency, page_renderer: PageRendererDependency, placement: AppPlacement,
) -> Response[bytes]:  # fmt: skip
    """Registers someone else through the service (a registration, its token and its e-mail,
    flushed), then submits the request's form through the real form handler."""
    conference = (await ConferenceService(db_session).access(conf, None)).conference
    written = RegistrationCreate(
        name="Written First", email=WRITTEN, timezone="UTC", language="en", answers={}, consent=True
    )
    await Submission(db_session, settings, LOCKED).submit(conference, written)
    assert await db_session.scalar(select(Registration.id).where(Registration.email == WRITTEN)) is not None
    return await registration_submit.fn(request, conf, db_session, settings, programme_cache, page_renderer, placement)


@post("/_test/me/{token:str}/profile", include_in_schema=False, status_code=HTTP_303_SEE_OTHER)
async def profile_after_a_write(
    request: AnyRequest, token: FromPath[str], db_session: DbSession, settings: AppSettings,
    programme_cache: ProgrammeCacheDependency, page_renderer: PageRendererDependency,
) -> Response[Any]:  # fmt: skip
    """Takes the workshop's seat for the attendee (a seat row, flushed), then saves the
    request's profile form through the real handler."""
    registration = await registration_by_page_token(db_session, token)
    assert registration is not None
    workshop = await db_session.scalar(select(ConferenceSession.id).where(ConferenceSession.slug == "workshop"))
    assert workshop is not None
    await take_seat(db_session, registration, workshop)
    assert await db_session.scalar(select(SessionSeat.id)) is not None
    return await attendee_profile.fn(request, token, db_session, settings, programme_cache, page_renderer)


@pytest.fixture
def app(settings: Settings) -> Litestar:
    app = create_app(settings)
    app.register(register_after_a_write)
    app.register(profile_after_a_write)
    return app


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[Client]:
    async with AsyncTestClient(app, base_url=BASE) as browser:
        browser.follow_redirects = False
        yield browser


def field_error(html: str, name: str) -> str:
    marker = f'<p class="field-error" id="{name}-error" role="alert">'
    assert marker in html, f"no error shown next to {name}"
    return html.split(marker, 1)[1].split("</p>", 1)[0]


async def emails_in_database(settings: Settings) -> tuple[list[str], list[str]]:
    async with database(settings) as db:
        registered = list(await db.scalars(select(Registration.email).order_by(Registration.id)))
        mailed = list(await db.scalars(select(OutboxMail.recipient).order_by(OutboxMail.id)))
    return registered, mailed


async def seats_in_database(settings: Settings) -> list[tuple[str, SeatStatus]]:
    """Every session seat: the session's slug and the seat's status."""
    async with database(settings) as db:
        query = select(ConferenceSession.slug, SessionSeat.status).join(
            ConferenceSession, ConferenceSession.id == SessionSeat.session_id
        )
        return list((await db.execute(query)).tuples())


def registration_form(**overrides: str) -> dict[str, str]:
    return {
        "name": "Rosa Attendee",
        "email": "rosa@example.org",
        "country": "BR",
        "timezone": "America/Sao_Paulo",
        "language": "es",
        "consent": "yes",
        **overrides,
    }


@pytest.fixture
async def conference(client: Client, organiser: Organiser) -> str:
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload())
    await put_registration_settings(client, organiser, "climate-2027")
    return "climate-2027"


async def test_refused_registration_form_takes_back_what_the_request_wrote(
    client: Client, settings: Settings, conference: str
) -> None:
    response = await client.post(
        f"/_test/{conference}/register/", data=registration_form(name=""), headers={"Accept-Language": "es"}
    )

    assert response.status_code == 400
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert field_error(response.text, "name") == spanish("Please enter your name (one line, at most 300 characters).")
    assert '<input id="email" name="email" type="email" value="rosa@example.org"' in response.text
    assert await emails_in_database(settings) == ([], [])


async def test_accepted_registration_form_keeps_what_the_request_wrote(
    client: Client, settings: Settings, conference: str
) -> None:
    """The control: the same route with a valid form commits the write and the registration."""
    response = await client.post(f"/_test/{conference}/register/", data=registration_form())

    assert response.status_code == 200, response.text
    registered, mailed = await emails_in_database(settings)
    assert registered == [WRITTEN, "rosa@example.org"]
    assert mailed == [WRITTEN, "rosa@example.org"]


async def test_refused_attendee_form_takes_back_what_the_request_wrote(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await build_conference(client, organiser, workshop=True)
    path = await register(client, settings, "rosa@example.org")  # language "es"
    profile = {"name": "", "timezone": "Asia/Tokyo", "language": "fr"}

    response = await client.post(f"/_test{path}profile", data=profile)

    assert response.status_code == 400
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert field_error(response.text, "name") == spanish("Please enter your name (one line, at most 300 characters).")
    # The input is kept: the zone chosen, though nothing was saved.
    assert '<option value="Asia/Tokyo" selected>' in response.text
    assert await seats_in_database(settings) == []


async def test_accepted_attendee_form_keeps_what_the_request_wrote(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await build_conference(client, organiser, workshop=True)
    path = await register(client, settings, "rosa@example.org")
    profile = {"name": "Rosa L", "timezone": "Asia/Tokyo", "language": "fr"}

    response = await client.post(f"/_test{path}profile", data=profile)

    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"{path}?done=profile"
    assert await seats_in_database(settings) == [("workshop", SeatStatus.CONFIRMED)]


# --- a refused seat is worded by take_seat's code ------------------------------------------------


async def take(client: Client, path: str, session: str) -> Any:
    page = await open_page(client, path)
    return await client.post(f"{path}seats/{session}", data={"_csrf_token": page.csrf, "action": "take"})


async def test_refused_seat_for_a_waiting_attendee_says_only_confirmed_attendees_take_seats(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await build_conference(client, organiser, workshop=True, capacity=1)
    await register(client, settings, "first@example.org")
    waiting = await register(client, settings, "rosa@example.org")  # capacity 1: on the waiting list

    response = await take(client, waiting, "workshop")

    assert response.status_code == 409
    assert response.headers["referrer-policy"] == "no-referrer"
    assert field_error(response.text, "seat") == spanish("Only confirmed attendees can take a seat.")
    assert await seats_in_database(settings) == []


async def test_refused_seat_in_a_session_without_seats_says_it_takes_none(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await build_conference(client, organiser, workshop=True)
    path = await register(client, settings, "rosa@example.org")

    response = await take(client, path, "now")  # no capacity: followed, never seated

    assert response.status_code == 409
    assert field_error(response.text, "seat") == spanish(
        "This session takes no seats now (it is cancelled, over, or has no capacity)."
    )
    assert await seats_in_database(settings) == []
