"""The attendee's private page (``/me/{token}/``), its forms and the personal calendar feed.

Everything runs near *now*: the conference spans yesterday to tomorrow (UTC) and its sessions
lie around the present moment, so the join windows are really open, early or over.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx
import icalendar
import lxml.html
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update

from confman.db.models import (
    AttendeeLink,
    MailStatus,
    OutboxMail,
    Registration,
    RegistrationToken,
    SessionAttendance,
    SessionFollow,
    SessionSeat,
)
from confman.lib.templating import gettext_callables
from confman.settings import Settings
from tests.factories import (
    Organiser,
    conference_payload,
    database,
    outbox,
    post_ok,
    put_registration_settings,
    registration_payload,
    token_from,
)
from tests.integration.test_ical import JsParser, icaljs, icaljs_installed

__all__ = ["icaljs", "icaljs_installed"]  # fixtures, imported for pytest to find

spanish = gettext_callables("es")["_"]
Client = AsyncTestClient[Litestar]
BASE = "http://testserver.local"
SLUG = "climate-2027"
CONF = f"/api/v1/conferences/{SLUG}"
MAIN_URL = "https://meet.example.org/secret-main-stream"
WORKSHOP_URL = "https://meet.example.org/secret-workshop-room"
SECRET_URLS = (MAIN_URL, WORKSHOP_URL)
PRIVATE = {"cache-control": "no-store", "referrer-policy": "no-referrer"}
FORGED_CSRF = "0" * 64 + "f" * 64


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[Client]:
    """The browser of the tests: keeps its cookies (CSRF) and shows each redirect (never follows it)."""
    async with AsyncTestClient(app, base_url=BASE) as browser:
        browser.follow_redirects = False
        yield browser


@asynccontextmanager
async def cookieless(client: Client) -> AsyncIterator[Client]:
    """The same client as a calendar app or a mail reader is: without any cookie."""
    saved = httpx.Cookies(client.cookies)
    client.cookies.clear()
    try:
        yield client
    finally:
        client.cookies = saved


# --- building a conference around now -----------------------------------------------------------


@dataclass(frozen=True)
class Times:
    """The sessions' instants, in UTC, whole minutes."""

    now: datetime

    def at(self, minutes: int) -> datetime:
        return self.now + timedelta(minutes=minutes)


def session_body(slug: str, title: str, starts: datetime, ends: datetime, **extra: Any) -> dict[str, Any]:
    return {
        "slug": slug,
        "title": {"en": title},
        "starts_at": starts.isoformat(),
        "ends_at": ends.isoformat(),
        "status": "confirmed",
        **extra,
    }


async def build_conference(
    client: Client, organiser: Organiser, *, workshop: bool = False, bare: bool = False, **rules: Any
) -> Times:
    """A published conference from yesterday to tomorrow (UTC) with, on stream "main":

    - ``now``: started 5 minutes ago, ends in 55 (join window open);
    - ``soon``: starts in 2 hours (window opens 15 minutes before: early);
    - ``over``: ended 2 hours ago;
    - ``called-off``: would be open now, but is cancelled;
    - ``workshop`` (optional): open now, capacity 1, its own meeting URL;
    - ``bare`` (optional): open now, on no stream and with no meeting URL.
    """
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    times = Times(now)
    today = now.date()
    await post_ok(
        client,
        organiser,
        "/api/v1/conferences",
        conference_payload(
            starts_on=str(today - timedelta(days=1)), ends_on=str(today + timedelta(days=1)), timezone="UTC"
        ),
    )
    await post_ok(client, organiser, f"{CONF}/streams", {"slug": "main", "name": "Main", "meeting_url": MAIN_URL})
    sessions = [
        session_body("now", "Happening now", times.at(-5), times.at(55), stream="main"),
        session_body("soon", "Later today", times.at(120), times.at(180), stream="main"),
        session_body("over", "Already over", times.at(-180), times.at(-120), stream="main"),
        session_body("called-off", "Called off", times.at(-5), times.at(55), stream="main", status="cancelled"),
    ]
    if workshop:
        sessions.append(
            session_body(
                "workshop",
                "Workshop",
                times.at(-5),
                times.at(55),
                kind="workshop",
                capacity=1,
                meeting_url=WORKSHOP_URL,
            )
        )
    if bare:
        sessions.append(session_body("bare", "No room yet", times.at(-5), times.at(55)))
    for body in sessions:
        await post_ok(client, organiser, f"{CONF}/sessions", body)
    await put_registration_settings(client, organiser, SLUG, **{"double_opt_in": False, **rules})
    return times


async def register(client: Client, settings: Settings, email: str, **overrides: Any) -> str:
    """Register and return the path of the attendee's page from the newest e-mail with one."""
    response = await client.post(f"{CONF}/registrations", json=registration_payload(email=email, **overrides))
    assert response.status_code in {200, 201, 202}, response.text
    return await page_path(settings, email)


async def page_path(settings: Settings, email: str) -> str:
    mails = [m for m in await outbox(settings) if m.recipient == email and "manage_url" in m.context]
    assert mails, f"no e-mail with a page link for {email}"
    url: str = mails[-1].context["manage_url"]
    assert url.startswith(f"{BASE}/me/m_")
    return url.removeprefix(BASE)


async def registration_of(settings: Settings, email: str) -> Registration:
    async with database(settings) as db:
        found = await db.scalar(select(Registration).where(Registration.email == email))
    assert found is not None
    return found


# --- reading the page ---------------------------------------------------------------------------


class _Urls(HTMLParser):
    """Every URL in the page: href, action, src, formaction and the feed address box."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in {"href", "action", "src", "formaction"} or (
                tag == "input" and name == "value" and "://" in value
            ):
                self.urls.append(value)


@dataclass
class Page:
    response: httpx.Response
    path: str
    urls: list[str] = field(default_factory=list)

    @property
    def html(self) -> str:
        return self.response.text

    @property
    def token(self) -> str:
        return token_from(self.path)

    @property
    def csrf(self) -> str:
        match = re.search(r'name="_csrf_token" value="([^"]+)"', self.html)
        assert match is not None
        return match.group(1)

    @property
    def feed_path(self) -> str:
        [url] = {u for u in self.urls if u.startswith(f"{BASE}/me/") and u.endswith("/calendar.ics")}
        return url.removeprefix(BASE)

    @property
    def feed_token(self) -> str:
        return self.feed_path.split("/")[2]

    @property
    def join_paths(self) -> dict[str, str]:
        paths = {u.removeprefix(BASE) for u in self.urls if u.startswith(f"{BASE}/join/")}
        return {path.rsplit("/", 1)[1]: path for path in paths}

    @property
    def join_token(self) -> str:
        tokens = {path.split("/")[2] for path in self.join_paths.values()}
        assert len(tokens) == 1, tokens
        return tokens.pop()


async def open_page(client: Client, path: str) -> Page:
    response = await client.get(path)
    assert response.status_code == 200, response.text
    parser = _Urls()
    parser.feed(response.text)
    return Page(response, urlsplit(path).path, parser.urls)


def assert_private(response: httpx.Response) -> None:
    assert {key: response.headers.get(key) for key in PRIVATE} == PRIVATE, (response.status_code, response.url)


def field_error(html: str, name: str) -> str:
    marker = f'<p class="field-error" id="{name}-error" role="alert">'
    assert marker in html, f"no error shown next to {name}"
    return html.split(marker, 1)[1].split("</p>", 1)[0]


def clock(moment: datetime, zone: str) -> str:
    """24-hour wall-clock time, as French (the attendees' language below) writes it, via zoneinfo."""
    return moment.astimezone(ZoneInfo(zone)).strftime("%H:%M")


async def snapshot(settings: Settings, email: str) -> dict[str, Any]:
    """What any form of the page could change, read back from the database."""
    async with database(settings) as db:
        registration = await db.scalar(select(Registration).where(Registration.email == email))
        assert registration is not None
        rid = registration.id
        return {
            "registration": (
                registration.name, registration.email, registration.timezone, registration.language,
                registration.status.value, registration.follows_all, registration.erased_at, registration.answers,
            ),
            "links": list((await db.execute(select(AttendeeLink.salt, AttendeeLink.feed_token_hash)
                                            .where(AttendeeLink.registration_id == rid))).tuples()),
            "follows": list(await db.scalars(select(SessionFollow.session_id)
                                             .where(SessionFollow.registration_id == rid))),
            "seats": list((await db.execute(select(SessionSeat.session_id, SessionSeat.status)
                                            .where(SessionSeat.registration_id == rid))).tuples()),
            "tokens": len(list(await db.scalars(select(RegistrationToken.id)
                                                .where(RegistrationToken.registration_id == rid)))),
            "mails": len(list(await db.scalars(select(OutboxMail.id)))),
        }  # fmt: skip


# --- the page: tokens, links and headers --------------------------------------------------------


async def test_page_shows_status_and_links_without_any_token_in_a_query_string(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await build_conference(client, organiser)
    page = await open_page(client, await register(client, settings, "rosa@example.org", language="en"))

    assert_private(page.response)
    assert "You are registered." in page.html
    tree = lxml.html.fromstring(page.html)
    # The header names the attendee's context, not "Register".
    assert [" ".join(li.text_content().split()) for li in tree.cssselect(".sections li")] == [
        "Overview", "Programme", "Speakers", "News", "My registration",
    ]  # fmt: skip
    # Cancelling and deleting are red buttons behind a box that must be ticked.
    for form in ("cancel", "erase"):
        [button] = tree.cssselect(f"#{form} button")
        assert button.get("class") == "button-danger"
        assert tree.cssselect(f'#{form} input[name="confirm"]')[0].get("required") == ""
    tokens = (page.token, page.feed_token, page.join_token)
    assert set(page.join_paths) == {"now", "soon", "over"}  # not the cancelled session
    # The tokens are in the links' paths (the forms, the feed, the join buttons)...
    assert f"/me/{page.token}/profile" in page.urls
    assert any(f"/me/{page.feed_token}/calendar.ics" in url for url in page.urls)
    assert f"{BASE}/join/{page.join_token}/now" in page.urls
    # ...and in no query string or fragment of any of them.
    for url in page.urls:
        parts = urlsplit(url)
        for token in tokens:
            assert token not in parts.query, url
            assert token not in parts.fragment, url
    # No meeting URL on the page: only the gate knows it.
    for secret in SECRET_URLS:
        assert secret not in page.html


async def test_every_form_answer_and_the_feed_are_private(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await build_conference(client, organiser, workshop=True)
    page = await open_page(client, await register(client, settings, "rosa@example.org", language="en"))
    csrf = page.csrf
    feed_path = page.feed_path

    answers = {
        "profile saved": await client.post(f"{page.path}profile", data={"_csrf_token": csrf, "name": "Rosa L",
                                                                         "timezone": "Asia/Tokyo", "language": "fr"}),
        "profile refused": await client.post(f"{page.path}profile", data={"_csrf_token": csrf, "name": "",
                                                                           "timezone": "UTC", "language": "en"}),
        "follow saved": await client.post(f"{page.path}follow", data={"_csrf_token": csrf, "follow": "all"}),
        "follow refused": await client.post(f"{page.path}follow", data={"_csrf_token": csrf, "follow": "some",
                                                                         "session": "no-such-session"}),
        "seat taken": await client.post(f"{page.path}seats/workshop", data={"_csrf_token": csrf, "action": "take"}),
        "seat refused": await client.post(f"{page.path}seats/called-off", data={"_csrf_token": csrf,
                                                                                 "action": "take"}),
        "seat released": await client.post(f"{page.path}seats/workshop", data={"_csrf_token": csrf,
                                                                                "action": "release"}),
        "cancel refused": await client.post(f"{page.path}cancel", data={"_csrf_token": csrf}),
        "erase refused": await client.post(f"{page.path}erase", data={"_csrf_token": csrf}),
        "feed": await client.get(feed_path),
        "links rotated": await client.post(f"{page.path}links", data={"_csrf_token": csrf}),
        "old feed": await client.get(feed_path),
        "unknown page": await client.get("/me/m_" + "A" * 43 + "/"),
        "page": await client.get(page.path),
        "cancelled": await client.post(f"{page.path}cancel", data={"_csrf_token": csrf, "confirm": "yes"}),
        "erased": await client.post(f"{page.path}erase", data={"_csrf_token": csrf, "confirm": "yes"}),
        "erased page": await client.get(page.path),
    }  # fmt: skip

    assert {name: r.status_code for name, r in answers.items()} == {
        "profile saved": 303, "profile refused": 400, "follow saved": 303, "follow refused": 400,
        "seat taken": 303, "seat refused": 409, "seat released": 303, "cancel refused": 400, "erase refused": 400,
        "feed": 200, "links rotated": 303, "old feed": 404, "unknown page": 404, "page": 200, "cancelled": 303,
        "erased": 200, "erased page": 404,
    }  # fmt: skip
    for response in answers.values():
        assert_private(response)
        location = response.headers.get("location")
        if location:
            assert location.startswith(page.path + "?done=")
            assert page.token not in urlsplit(location).query


async def test_page_feed_and_join_tokens_differ_open_only_their_own_door_and_are_stored_hashed(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await build_conference(client, organiser)
    page = await open_page(client, await register(client, settings, "rosa@example.org"))
    page_token, feed_token, join_token = page.token, page.feed_token, page.join_token

    assert (page_token[:2], feed_token[:2], join_token[:2]) == ("m_", "f_", "j_")
    assert len({page_token, feed_token, join_token}) == 3
    assert len({page_token[2:], feed_token[2:], join_token[2:]}) == 3
    assert (await client.get(f"/me/{feed_token}/calendar.ics")).status_code == 200
    assert (await client.get(f"/join/{join_token}/now")).status_code == 302
    wrong_doors = {
        "feed token as page": await client.get(f"/me/{feed_token}/"),
        "join token as page": await client.get(f"/me/{join_token}/"),
        "page token as feed": await client.get(f"/me/{page_token}/calendar.ics"),
        "join token as feed": await client.get(f"/me/{join_token}/calendar.ics"),
        "page token as join": await client.get(f"/join/{page_token}/now"),
        "feed token as join": await client.get(f"/join/{feed_token}/now"),
        "feed token, page form": await client.post(
            f"/me/{feed_token}/profile",
            data={"_csrf_token": page.csrf, "name": "Mallory", "timezone": "UTC", "language": "en"},
        ),
    }
    assert {name: r.status_code for name, r in wrong_doors.items()} == dict.fromkeys(wrong_doors, 404)
    for response in wrong_doors.values():
        assert_private(response)
    assert (await registration_of(settings, "rosa@example.org")).name == "Rosa Attendee"

    # The database holds none of them in clear: not these, not the rotated ones, not a second page link.
    rotated = await client.post(f"{page.path}links", data={"_csrf_token": page.csrf})
    assert rotated.status_code == 303
    again = await open_page(client, page.path)
    await client.post(f"{CONF}/registrations", json=registration_payload(email="rosa@example.org"))  # e-mail again
    page_tokens = {token_from(m.context["manage_url"]) for m in await outbox(settings) if "manage_url" in m.context}
    tokens = page_tokens | {feed_token, join_token, again.feed_token, again.join_token}
    assert len(page_tokens) == 2
    assert len(tokens) == 6
    assert (await client.get(again.feed_path)).status_code == 200  # the rows read below are the live ones
    stored: list[str] = []
    async with database(settings) as db:
        for table in (AttendeeLink.__table__, RegistrationToken.__table__):
            for row in (await db.execute(select(table))).tuples():
                stored.extend(str(value) for value in row if value is not None)
    assert len(stored) > 10
    for token in tokens:
        secret_part = token.split("_", 1)[1]
        assert [value for value in stored if secret_part in value] == [], token


# --- the personal feed --------------------------------------------------------------------------


def icalendar_events(body: bytes) -> dict[str, Any]:
    calendar = icalendar.Calendar.from_ical(body)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


async def test_feed_works_without_cookies_and_carries_join_links_in_both_parsers(
    client: Client, organiser: Organiser, settings: Settings, app: Litestar, icaljs: JsParser
) -> None:
    await build_conference(client, organiser)
    # Turkish: a language of the interface, not of this conference's content.
    page = await open_page(client, await register(client, settings, "rosa@example.org", language="tr"))
    join = {slug: BASE + path for slug, path in page.join_paths.items()}
    public = await client.get(f"/{SLUG}/programme.ics")
    assert public.status_code == 200
    public_uids = set(icalendar_events(public.content))

    async with cookieless(client) as calendar_app:  # no cookies, no session
        response = await calendar_app.get(page.feed_path)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    assert_private(response)
    body = response.content
    events = icalendar_events(body)
    # The same events as the public programme feed (all sessions are followed by default).
    assert set(events) == public_uids
    assert len(events) == 4
    by_title = {str(event["SUMMARY"]): event for event in events.values()}
    slugs = {"Happening now": "now", "Later today": "soon", "Already over": "over"}
    for title, slug in slugs.items():
        event = by_title[title]
        assert join[slug] in str(event["DESCRIPTION"])
        assert str(event["LOCATION"]) == join[slug]
        assert str(event["CONFERENCE"]) == join[slug]
    # The cancelled session is in the feed (so calendars show it cancelled), but with no way in.
    [cancelled] = [event for title, event in by_title.items() if title not in slugs]
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert "CONFERENCE" not in cancelled
    assert "/join/" not in cancelled.to_ical().decode()

    js_events = {event["uid"]: event for event in await icaljs(body)}
    assert set(js_events) == public_uids
    for event in js_events.values():
        slug = slugs.get(event["summary"])
        if slug is None:
            assert event["conference"] is None
            continue
        # The titles are in the conference's language, the labels in the attendee's.
        assert event["conference"] == {"uri": join[slug], "feature": "VIDEO", "label": "Katıl"}
        assert event["location"] == join[slug]
        assert join[slug] in event["description"]

    unfolded = body.decode().replace("\r\n ", "")
    for secret in SECRET_URLS:
        assert secret not in unfolded
    assert "meet.example.org" not in unfolded
    assert page.token not in unfolded


async def test_feed_holds_the_followed_sessions_and_empties_when_cancelled(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await build_conference(client, organiser)
    page = await open_page(client, await register(client, settings, "rosa@example.org"))
    public = icalendar_events((await client.get(f"/{SLUG}/programme.ics")).content)
    uid_of = {str(event["SUMMARY"]): uid for uid, event in public.items()}

    saved = await client.post(
        f"{page.path}follow", data={"_csrf_token": page.csrf, "follow": "some", "session": ["soon", "over"]}
    )

    assert saved.status_code == 303
    assert saved.headers["location"] == f"{page.path}?done=follow"
    events = icalendar_events((await client.get(page.feed_path)).content)
    assert set(events) == {uid_of["Later today"], uid_of["Already over"]}
    again = await open_page(client, page.path)
    checked = set(re.findall(r'name="session" value="([^"]+)" checked', again.html))
    assert checked == {"soon", "over"}

    everything = await client.post(f"{page.path}follow", data={"_csrf_token": page.csrf, "follow": "all"})

    assert everything.status_code == 303
    assert set(icalendar_events((await client.get(page.feed_path)).content)) == set(public)

    # Cancelled: the feed stays (subscribed calendars keep polling it) but empties.
    cancelled = await client.post(f"{page.path}cancel", data={"_csrf_token": page.csrf, "confirm": "yes"})

    assert cancelled.status_code == 303
    feed = await client.get(page.feed_path)
    assert feed.status_code == 200
    assert_private(feed)
    assert icalendar.Calendar.from_ical(feed.content).name == "VCALENDAR"
    assert icalendar_events(feed.content) == {}


async def test_rotating_the_links_retires_the_old_feed_and_join_links(
    client: Client, organiser: Organiser, settings: Settings, app: Litestar
) -> None:
    await build_conference(client, organiser)
    old = await open_page(client, await register(client, settings, "rosa@example.org"))

    rotated = await client.post(f"{old.path}links", data={"_csrf_token": old.csrf})

    assert rotated.status_code == 303
    assert rotated.headers["location"] == f"{old.path}?done=links"
    new = await open_page(client, rotated.headers["location"])
    # The attendee reads Spanish: the page says so in their language.
    assert spanish("You have new calendar and join links. The old ones no longer work.") in new.html
    assert new.feed_token != old.feed_token
    assert new.join_token != old.join_token
    assert new.token == old.token  # the page link from the e-mail keeps working
    async with cookieless(client) as outsider:
        old_feed = await outsider.get(old.feed_path)
        old_join = await outsider.get(old.join_paths["now"])
        new_feed = await outsider.get(new.feed_path)
        new_join = await outsider.get(new.join_paths["now"])
        unknown_join = await outsider.get("/join/j_" + secrets.token_urlsafe(32) + "/now")
    assert (old_feed.status_code, old_join.status_code) == (404, 404)
    # A stale join link answers exactly as one that never existed.
    assert old_join.content == unknown_join.content
    strip = {"date", "set-cookie", "x-request-id"}
    assert [(k, v) for k, v in old_join.headers.multi_items() if k not in strip] == [
        (k, v) for k, v in unknown_join.headers.multi_items() if k not in strip
    ]
    assert (new_feed.status_code, new_join.status_code) == (200, 302)
    assert new_join.headers["location"] == MAIN_URL
    assert new.join_token in new_feed.text.replace("\r\n ", "")
    assert old.join_token not in new_feed.text.replace("\r\n ", "")


# --- my details ---------------------------------------------------------------------------------


async def test_changing_my_details_persists_and_the_page_shows_times_in_the_new_zone(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    times = await build_conference(client, organiser)
    page = await open_page(client, await register(client, settings, "rosa@example.org"))
    assert "(America/Sao_Paulo)" in page.html

    saved = await client.post(
        f"{page.path}profile",
        data={"_csrf_token": page.csrf, "name": "Rosa Luxemburg", "timezone": "Asia/Tokyo", "language": "fr"},
    )

    assert saved.status_code == 303
    assert saved.headers["location"] == f"{page.path}?done=profile"
    registration = await registration_of(settings, "rosa@example.org")
    assert (registration.name, registration.timezone, registration.language) == (
        "Rosa Luxemburg", "Asia/Tokyo", "fr",
    )  # fmt: skip
    after = await open_page(client, page.path)
    assert 'data-zone="Asia/Tokyo"' in after.html
    assert '<html lang="fr"' in after.html
    assert 'value="Rosa Luxemburg"' in after.html
    assert '<option value="Asia/Tokyo" selected>' in after.html
    item = after.html.split('id="session-soon"', 1)[1].split("</li>", 1)[0]
    start, end = clock(times.at(120), "Asia/Tokyo"), clock(times.at(180), "Asia/Tokyo")
    assert re.search(
        rf'<span class="viewer-time"><time datetime="[^"]+">{start}</time>–<time datetime="[^"]+">{end}</time>', item
    ), item


BAD_DETAILS = [
    ("name", {"name": "x" * 10_000}, "Please enter your name"),
    ("name", {"name": "Rosa\x00Attendee"}, "Please enter your name"),
    ("name", {"name": ""}, "Please enter your name"),
    ("name", {"name": "Rosa\nAttendee"}, "Please enter your name"),
    ("timezone", {"timezone": "Mars/Base"}, "Please choose a time zone"),
    ("language", {"language": "xx"}, "Please choose a language"),
    ("language", {"language": "de"}, "Please choose a language"),  # a real language this conference lacks
]


async def test_bad_details_are_refused_next_to_the_field_and_nothing_is_written(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await build_conference(client, organiser)
    page = await open_page(client, await register(client, settings, "rosa@example.org", language="en"))
    before = await snapshot(settings, "rosa@example.org")

    for field_name, overrides, message in BAD_DETAILS:
        form = {"_csrf_token": page.csrf, "name": "Rosa Changed", "timezone": "Asia/Tokyo", "language": "fr"}
        response = await client.post(f"{page.path}profile", data={**form, **overrides})

        case = (field_name, {k: v[:20] for k, v in overrides.items()})
        assert response.status_code == 400, case
        assert_private(response)
        assert message in field_error(response.text, field_name), case
        assert f'aria-describedby="{field_name}-error"' in response.text, case
        others = {"name", "timezone", "language"} - {field_name}
        assert all(f'id="{other}-error"' not in response.text for other in others), case
        assert await snapshot(settings, "rosa@example.org") == before, case


async def test_names_round_trip_and_markup_in_them_is_shown_as_text(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await build_conference(client, organiser)
    page = await open_page(client, await register(client, settings, "rosa@example.org"))
    name = '<script>alert("x")</script><b onmouseover=alert(1)>Rosa</b>'

    saved = await client.post(
        f"{page.path}profile", data={"_csrf_token": page.csrf, "name": name, "timezone": "UTC", "language": "en"}
    )

    assert saved.status_code == 303
    assert (await registration_of(settings, "rosa@example.org")).name == name
    html = (await open_page(client, page.path)).html
    assert "<script>alert" not in html
    assert "<b onmouseover" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;b onmouseover=alert(1)&gt;Rosa&lt;/b&gt;" in html

    for plain in ("Роза Люксембург", "José Müller-Lüdenscheidt", "Zoë Çelik-Ørsted"):
        saved = await client.post(
            f"{page.path}profile", data={"_csrf_token": page.csrf, "name": plain, "timezone": "UTC", "language": "ru"}
        )

        assert saved.status_code == 303, plain
        assert (await registration_of(settings, "rosa@example.org")).name == plain
        assert f'value="{plain}"' in (await open_page(client, page.path)).html


# --- CSRF ---------------------------------------------------------------------------------------


async def test_every_form_refuses_a_missing_or_forged_csrf_token_and_changes_nothing(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await build_conference(client, organiser, workshop=True)
    page = await open_page(client, await register(client, settings, "rosa@example.org"))
    assert page.csrf  # the cookie is set: only the form field is wrong below
    before = await snapshot(settings, "rosa@example.org")
    forms = {
        "profile": {"name": "Mallory", "timezone": "UTC", "language": "en"},
        "follow": {"follow": "some", "session": "soon"},
        "links": {},
        "cancel": {"confirm": "yes"},
        "erase": {"confirm": "yes"},
        "seats/workshop": {"action": "take"},
    }

    answers = {}
    for action, data in forms.items():
        answers[action, "missing"] = await client.post(f"{page.path}{action}", data=data)
        answers[action, "forged"] = await client.post(f"{page.path}{action}", data={**data, "_csrf_token": FORGED_CSRF})

    assert {key: r.status_code for key, r in answers.items()} == dict.fromkeys(answers, 403)
    assert await snapshot(settings, "rosa@example.org") == before
    # The real token still works: the refusals were about the token, not the forms.
    taken = await client.post(f"{page.path}seats/workshop", data={"action": "take", "_csrf_token": page.csrf})
    assert taken.status_code == 303
    assert (await snapshot(settings, "rosa@example.org"))["seats"] != before["seats"]


# --- cancelling and deleting --------------------------------------------------------------------


async def test_cancelling_needs_the_box_ticked_and_then_promotes_the_head_of_the_waiting_list(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await build_conference(client, organiser, capacity=1)
    rosa = await open_page(client, await register(client, settings, "rosa@example.org", language="en"))
    await register(client, settings, "clara@example.org", name="Clara Zetkin")
    await register(client, settings, "alexandra@example.org", name="Alexandra Kollontai")
    for waiting in ("clara@example.org", "alexandra@example.org"):
        assert (await registration_of(settings, waiting)).status.value == "waitlisted"
    before = await snapshot(settings, "rosa@example.org")

    refused = await client.post(f"{rosa.path}cancel", data={"_csrf_token": rosa.csrf})

    assert refused.status_code == 400
    assert field_error(refused.text, "cancel") == "Tick the box to confirm that you want to cancel."
    assert await snapshot(settings, "rosa@example.org") == before
    assert (await registration_of(settings, "clara@example.org")).status.value == "waitlisted"

    cancelled = await client.post(f"{rosa.path}cancel", data={"_csrf_token": rosa.csrf, "confirm": "yes"})

    assert cancelled.status_code == 303
    assert cancelled.headers["location"] == f"{rosa.path}?done=cancelled"
    assert (await registration_of(settings, "rosa@example.org")).status.value == "cancelled"
    assert (await registration_of(settings, "clara@example.org")).status.value == "confirmed"
    assert (await registration_of(settings, "alexandra@example.org")).status.value == "waitlisted"
    mails = await outbox(settings)
    assert [m.recipient for m in mails if m.kind == "promoted"] == ["clara@example.org"]
    assert [m.recipient for m in mails if m.kind == "cancelled"] == ["rosa@example.org"]
    after = await open_page(client, rosa.path)
    assert "Your registration is cancelled." in after.html
    assert f'action="{rosa.path}cancel"' not in after.html
    assert not after.join_paths
    # Clara's promotion e-mail opens her page, with join links now.
    clara = await open_page(client, await page_path(settings, "clara@example.org"))
    assert set(clara.join_paths) == {"now", "soon", "over"}


async def test_deleting_my_data_removes_it_everywhere_but_keeps_the_counts(
    client: Client, organiser: Organiser, settings: Settings, app: Litestar
) -> None:
    await build_conference(
        client, organiser,
        questions=[{"key": "why", "kind": "short_text", "label": {"en": "Why do you come?"}}],
    )  # fmt: skip
    rosa = await open_page(
        client, await register(client, settings, "rosa@example.org", answers={"why": "Ecosocialism now"})
    )
    await register(client, settings, "clara@example.org", name="Clara Zetkin")
    rid = (await registration_of(settings, "rosa@example.org")).id
    async with cookieless(client) as calendar_app:
        assert (await calendar_app.get(rosa.join_paths["now"])).status_code == 302
    async with database(settings) as db:  # one e-mail went out already, the other is still queued
        first = await db.scalar(select(OutboxMail.id).where(OutboxMail.registration_id == rid).order_by(OutboxMail.id))
        await db.execute(update(OutboxMail).where(OutboxMail.id == first).values(status=MailStatus.SENT))
    counts_path = f"{CONF}/registrations/counts"
    counts_before = (await client.get(counts_path, headers=organiser.headers)).json()
    assert sum(counts_before["by_status"].values()) == 2

    refused = await client.post(f"{rosa.path}erase", data={"_csrf_token": rosa.csrf})
    assert refused.status_code == 400
    assert field_error(refused.text, "erase") == spanish("Tick the box to confirm that you want your data deleted.")
    assert (await registration_of(settings, "rosa@example.org")).name == "Rosa Attendee"

    erased = await client.post(f"{rosa.path}erase", data={"_csrf_token": rosa.csrf, "confirm": "yes"})

    assert erased.status_code == 200
    assert spanish("Your data is deleted") in erased.text
    async with database(settings) as db:
        row = await db.get(Registration, rid)
        assert row is not None
        assert (row.name, row.answers, row.status.value) == ("", {}, "cancelled")
        assert "rosa" not in row.email
        assert row.erased_at is not None
        mails = list(await db.scalars(select(OutboxMail)))
        attendance = list(await db.scalars(select(SessionAttendance)))
        leftovers = [
            *await db.scalars(select(RegistrationToken.id).where(RegistrationToken.registration_id == rid)),
            *await db.scalars(select(AttendeeLink.id).where(AttendeeLink.registration_id == rid)),
        ]
    kept = [m for m in mails if m.registration_id == rid]
    assert len(kept) == 1  # the sent one, without address or links; the queued ones are gone
    for mail in mails:
        text = f"{mail.recipient} {mail.context}"
        for personal in ("rosa@example.org", "Rosa Attendee", "Ecosocialism", rosa.token):
            assert personal not in text
    assert leftovers == []
    assert [(a.registration_id, a.joins) for a in attendance] == [(rid, 1)]
    async with cookieless(client) as calendar_app:
        gone = {
            "page": await client.get(rosa.path),
            "feed": await calendar_app.get(rosa.feed_path),
            "join": await calendar_app.get(rosa.join_paths["now"]),
        }
    assert {name: r.status_code for name, r in gone.items()} == dict.fromkeys(gone, 404)
    counts_after = (await client.get(counts_path, headers=organiser.headers)).json()
    assert sum(counts_after["by_status"].values()) == 2
    assert counts_after["by_status"]["cancelled"] == counts_before["by_status"].get("cancelled", 0) + 1
    async with database(settings) as db:
        assert (await db.get(Registration, rid)).country == "BR"  # type: ignore[union-attr]  # identifies no one
