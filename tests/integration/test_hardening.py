"""What an outside probe found getting through or breaking things (issue 18): each case is
refused with a 4xx that names what is wrong, writes nothing, and stored data cannot stop an
e-mail or make an export invalid."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from lxml import etree
from sqlalchemy import event, update
from sqlalchemy.engine import make_url

from confman.db.models import Conference, ConferenceSession, MailStatus
from confman.settings import Settings
from confman.worker import MailWorker
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
    speaker_payload,
)
from tests.mailserver import MailServer, Recorder, free_port, smtp_settings, wait_until
from tests.queries import connections_in_use

Client = AsyncTestClient[Litestar]
CONF = "/api/v1/conferences/climate-2027"
REGISTER = f"{CONF}/registrations"
# Concurrent repeat submits of one address (each may find no recent reminder before the others commit).
REPEATS = 12


def named(body: dict[str, Any], field: str) -> bool:
    keys = [str(item.get("key", "")) for item in body.get("extra") or [] if isinstance(item, dict)]
    return any(field in key for key in keys)


async def test_line_breaks_of_every_kind_and_xml_invalid_characters_are_refused(
    client: Client, organiser: Organiser
) -> None:
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload())
    await put_registration_settings(client, organiser, "climate-2027")
    cases: list[tuple[str, str, dict[str, Any], str]] = [
        ("POST", "/api/v1/conferences", conference_payload(slug="c2", title={"en": "A\u2028B"}), "title"),
        ("POST", "/api/v1/conferences", conference_payload(slug="c2", title={"en": "A\u2029B"}), "title"),
        ("POST", "/api/v1/conferences", conference_payload(slug="c2", title={"en": "A\x85B"}), "title"),
        ("PATCH", CONF, {"title": {"en": "Climate\u2028Bcc: x@example.org"}}, "title"),
        ("POST", f"{CONF}/sessions", session_payload(slug="s2", title={"en": "Bad \uffff"}), "title"),
        ("POST", f"{CONF}/sessions", session_payload(slug="s2", title={"en": "Bad \ufffe"}), "title"),
        ("POST", f"{CONF}/sessions", session_payload(slug="s2", abstract={"en": "Bad \uffff"}), "abstract"),
        ("POST", f"{CONF}/speakers", speaker_payload(slug="s2", name="Ana\u2029Bell"), "name"),
        ("POST", REGISTER, registration_payload(name="Rosa\u2028Luxemburg"), "name"),
    ]
    for method, path, body, field in cases:
        response = await client.request(method, path, json=body, headers=organiser.headers)
        assert response.status_code == 400, (path, body, response.text)
        assert named(response.json(), field), (path, response.json())
    # Text that only looks unusual stays welcome: Cyrillic, accents, emoji, a tab in an abstract.
    good = session_payload(slug="ok", title={"en": "Özdeş Özbay — «Климат» 🌍"}, abstract={"en": "a\tb\n\nc"})
    assert (await client.post(f"{CONF}/sessions", json=good, headers=organiser.headers)).status_code == 201


async def test_stored_separators_neither_stop_an_email_nor_break_schedule_xml(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload())
    await post_ok(client, organiser, f"{CONF}/sessions", session_payload())
    await put_registration_settings(client, organiser, "climate-2027")
    # Written before the input rule existed (or by hand): the database holds what input refuses.
    async with database(settings) as session:
        await session.execute(update(Conference).values(title={"en": "Climate\u2028Bcc: x@example.org\x85!"}))
        await session.execute(update(ConferenceSession).values(title={"en": "Limits \uffff of\x0b COP26"}))
    assert (await client.post(REGISTER, json=registration_payload())).status_code == 202

    recorder = Recorder()
    server = MailServer(free_port(), recorder)
    server.start()
    worker = MailWorker(smtp_settings(settings, server.url))
    try:
        assert await worker.run_once() == 1
        await wait_until(lambda: len(recorder.messages) == 1, 10, "the confirmation e-mail")
    finally:
        await worker.close()
        server.stop()
    [mail] = await outbox(settings)
    assert mail.status == MailStatus.SENT
    subject = str(recorder.messages[0]["Subject"])
    assert "Climate Bcc: x@example.org !" in subject
    assert "\n" not in subject
    assert recorder.messages[0]["Bcc"] is None

    xml = await client.get("/climate-2027/schedule.xml")
    document = etree.fromstring(xml.content)  # raises on a character XML does not allow
    assert document.findtext(".//event/title") == "Limits \ufffd of\ufffd COP26"


async def test_an_email_address_is_exactly_one_address_and_a_date_time_is_text(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload())
    await post_ok(client, organiser, f"{CONF}/sessions", session_payload())
    await put_registration_settings(client, organiser, "climate-2027")
    # A number is not a date-time (pydantic would read 0 as 1970-01-01).
    for path, body, field in [
        (f"{CONF}/registration-settings", {"opens_at": 0}, "opens_at"),
        (f"{CONF}/registration-settings", {"closes_at": 1.5e9}, "closes_at"),
        (f"{CONF}/sessions/limits-of-cop26", {"starts_at": 1_800_000_000}, "starts_at"),
    ]:
        refused = await client.patch(path, json=body, headers=organiser.headers)
        assert refused.status_code == 400, (body, refused.text)
        assert named(refused.json(), field), refused.json()
    for address in [
        "victim@example.org,attacker@example.org",
        "victim,attacker@example.org",
        "victim@example.org>evil",
        "Victim <victim@example.org>",
        "vic\u2028tim@example.org",
        "victim@@example.org",
        "victim@localhost",
        "x" * 300 + "@example.org",
        "",
    ]:
        response = await client.post(REGISTER, json=registration_payload(email=address))
        assert response.status_code == 400, (address, response.text)
        assert named(response.json(), "email"), (address, response.json())
    assert await registrations(settings) == []

    accepted = await client.post(REGISTER, json=registration_payload(email="  Rosa.L@Example.ORG "))
    assert accepted.status_code == 202, accepted.text
    assert [r.email for r in await registrations(settings)] == ["rosa.l@example.org"]


async def test_unreadable_bodies_and_impossible_paths_are_4xx(client: Client, organiser: Organiser) -> None:
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload())
    await put_registration_settings(client, organiser, "climate-2027")
    json_type = {"content-type": "application/json"}
    for body, headers, status in [
        (b"[" * 200_000 + b"]" * 200_000, json_type, 400),
        (b'{"name": "\xff\xfe"}', json_type, 400),
        # Any web page may send text/plain from a visitor's browser without a preflight.
        (b'{"name": "Rosa"}', {"content-type": "text/plain"}, 415),
        (b'{"name": "Rosa"}', {"content-type": "application/x-www-form-urlencoded"}, 415),
    ]:
        for path in (REGISTER, "/api/v1/tokens", CONF):
            method = "PATCH" if path == CONF else "POST"
            response = await client.request(method, path, content=body, headers={**headers, **organiser.headers})
            assert response.status_code == status, (path, body[:20], response.text)
    for method, path in [
        ("GET", "/static/site%00.css"),
        ("GET", f"{REGISTER}/99999999999999999999999"),
        ("POST", f"{REGISTER}/18446744073709551616/resend"),
        ("DELETE", "/api/v1/tokens/99999999999999999999"),
        ("GET", f"{REGISTER}/-1"),
    ]:
        response = await client.request(method, path, headers=organiser.headers)
        assert response.status_code == 404, (path, response.text)


async def test_the_not_found_page_links_only_to_this_site(client: Client) -> None:
    for path in ["//evil.example/x", "/\\evil.example", "/%5Cevil.example/", "/%09/evil.example"]:
        response = await client.get(f"http://testserver.local{path}", headers={"accept": "text/html"})
        assert response.status_code == 404, path
        links = re.findall(r'href="([^"]*)"', response.text)
        assert links, path
        for link in links:
            here = link.startswith(("http://testserver.local/", "#")) or re.match(r"^/(?![/\\])\S*$", link)
            assert here, (path, link)
    spoofed = await client.get("/no-such-page/", headers={"accept": "text/html", "host": "evil.example"})
    assert spoofed.status_code == 404
    assert "evil.example" not in spoofed.text
    assert '<link rel="canonical" href="http://testserver.local/no-such-page">' in spoofed.text


async def test_repeated_submits_of_one_address_send_one_reminder_an_hour(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload())
    await put_registration_settings(client, organiser, "climate-2027")
    answers = [await client.post(REGISTER, json=registration_payload()) for _ in range(6)]
    other = await client.post(REGISTER, json=registration_payload(email="ana@example.org"))

    # Every submit answers alike (nothing tells whether the address was known)…
    assert {(r.status_code, r.content) for r in answers} == {(202, answers[0].content)}
    assert other.status_code == 202
    # …but the mailbox gets the confirmation link and one "already registered", not six e-mails.
    assert sorted((m.recipient, m.kind) for m in await outbox(settings)) == [
        ("ana@example.org", "confirm_request"),
        ("rosa@example.org", "already_registered"),
        ("rosa@example.org", "confirm_request"),
    ]


@asynccontextmanager
async def concurrent_client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose gathered requests really overlap: httpx's ASGI transport runs each in the
    caller's event loop (Litestar's AsyncTestClient hands them to a portal one at a time)."""
    async with (
        app.lifespan(),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver.local") as client,
    ):
        yield client


@pytest.mark.parametrize("double_opt_in", [True, False], ids=["double-opt-in", "direct"])
async def test_concurrent_repeat_submits_of_a_known_address_send_one_reminder(
    app: Litestar, organiser: Organiser, settings: Settings, double_opt_in: bool
) -> None:
    """Each repeat reads the outbox for a recent reminder and then writes one: on PostgreSQL every
    repeat read before any committed and each sent its own (the registration's row is locked now);
    on SQLite each writing request holds the write lock from BEGIN IMMEDIATE, so they take turns."""
    status = 202 if double_opt_in else 201
    async with concurrent_client(app) as client:
        await post_ok(client, organiser, "/api/v1/conferences", conference_payload())
        await put_registration_settings(client, organiser, "climate-2027", double_opt_in=double_opt_in)
        first = await client.post(REGISTER, json=registration_payload())
        assert first.status_code == status, first.text
        # A connection for each submit before they start: one opening its own connection (tens of
        # milliseconds on PostgreSQL) would check the outbox after the first one had committed.
        lists = await asyncio.gather(*(client.get(REGISTER, headers=organiser.headers) for _ in range(REPEATS)))
        assert {r.status_code for r in lists} == {200}

        # How many database connections are in use at once: proof that the submits overlapped.
        with connections_in_use(app.state.engine.sync_engine) as connections:
            answers = await asyncio.gather(
                *(client.post(REGISTER, json=registration_payload()) for _ in range(REPEATS))
            )

    assert connections.peak > 1, "the submits did not overlap, so the test would prove nothing"
    # Every repeat answers alike, and no error (nothing tells how many came at once)…
    assert {(r.status_code, r.content) for r in answers} == {(status, answers[0].content)}
    if double_opt_in:
        assert answers[0].content == first.content  # …nor whether the address was known
    # …and the mailbox gets one "already registered" for all of them, not one each.
    kinds = [m.kind for m in await outbox(settings) if m.recipient == "rosa@example.org"]
    assert sorted(kinds) == sorted(["confirm_request" if double_opt_in else "confirmed", "already_registered"])


async def test_the_organisers_list_reads_one_moment_around_a_placement(
    client: Client, organiser: Organiser, settings: Settings, app: Any
) -> None:
    if settings.is_sqlite:
        pytest.skip("SQLite reads in one deferred transaction: a writer cannot commit in between")
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload())
    await put_registration_settings(client, organiser, "climate-2027", capacity=1, double_opt_in=False)
    for name in ("first", "second", "third"):
        assert (await client.post(REGISTER, json=registration_payload(email=f"{name}@example.org"))).status_code == 201
    second = next(r for r in await registrations(settings) if r.email == "second@example.org")

    def promote_meanwhile() -> None:
        # Another server promotes "second" and commits, between the list's statements.
        async def promote() -> None:
            url = make_url(settings.database_url)
            connection = await asyncpg.connect(host=url.host, port=url.port, user=url.username, database=url.database)
            try:
                await connection.execute(
                    "UPDATE registration SET status = 'confirmed', waitlist_seq = NULL WHERE id = $1", second.id
                )
            finally:
                await connection.close()

        worker = threading.Thread(target=lambda: asyncio.run(promote()))
        worker.start()
        worker.join()

    fired: list[str] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "row_number() OVER" in statement and not fired:
            fired.append(statement)
            promote_meanwhile()

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        listed = await client.get(REGISTER, headers=organiser.headers)
    finally:
        event.remove(engine, "before_cursor_execute", before)

    assert fired, "the list no longer reads positions in a statement of its own: rethink this test"
    rows = {row["email"]: (row["status"], row["waitlist_position"]) for row in listed.json()}
    # The moment before the promotion, whole: both waiting, in order.
    assert rows == {
        "first@example.org": ("confirmed", None),
        "second@example.org": ("waitlisted", 1),
        "third@example.org": ("waitlisted", 2),
    }
