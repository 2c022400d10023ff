"""/orga/{conf}/messages/: write to the filtered attendees, preview in each language, send
through the outbox (each attendee in their language, with their own link), and refuse bad
input with nothing written; the e-mails arrive through a real SMTP server."""

from __future__ import annotations

import asyncio
import re
from email.message import EmailMessage
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from confman.db.models import AttendeeMessage, AuditRecord, Event, OutboxEvent, OutboxMail, RegistrationToken
from confman.mail.messages import RenderRequest, build_message, render
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
    token_from,
)
from tests.mailserver import MailServer, Recorder, free_port, smtp_settings, wait_until
from tests.orga import csrf_token, post_form, sign_in
from tests.queries import counted_queries

Client = AsyncTestClient[Litestar]
API = "/api/v1/conferences/climate-2027"
PAGE = "/orga/climate-2027/messages/"
NEW = PAGE + "new"
# name, e-mail user, language, country; capacity 4: the fifth waits, the sixth is cancelled,
# the seventh stays pending (double opt-in switched on before it registers).
PEOPLE = [
    ("Ана Иванова", "ana", "ru", "RU"),
    ("Zoë Ünal", "zoe", "fr", "TR"),
    ("Rosa Silva", "rosa", "es", "BR"),
    ("Tom Jones", "tom", "en", "GB"),
    ("Kim Lee", "kim", "en", "KR"),
    ("Fay Gone", "fay", "en", "GB"),
    ("Gil Pending", "gil", "en", "GB"),
]
SCRIPT = "<script>alert(1)</script>"


async def _setup(
    client: Client, organiser: Organiser, settings: Settings, people: list[tuple[str, str, str, str]] = PEOPLE
) -> None:
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload())
    await put_registration_settings(client, organiser, "climate-2027", capacity=4, double_opt_in=False)
    for name, user, language, country in people:
        if user == "gil":
            await put_registration_settings(client, organiser, "climate-2027", capacity=4, double_opt_in=True)
        payload = registration_payload(name=name, email=f"{user}@example.org", language=language, country=country)
        answer = await client.post(f"{API}/registrations", json=payload)
        assert answer.status_code in {201, 202}, answer.text
    for row in await registrations(settings):
        if row.email == "fay@example.org":
            patched = await client.patch(
                f"{API}/registrations/{row.id}", json={"status": "cancelled"}, headers=organiser.headers
            )
            assert patched.status_code == 200, patched.text
    await sign_in(client, organiser.email)


async def _count(settings: Settings, model: Any, *where: Any) -> int:
    async with database(settings) as db:
        return int(await db.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _texts(**overrides: str) -> dict[str, str]:
    texts = {
        "subject.en": f"Programme news {SCRIPT}",
        "body.en": f"Dear friends,\n\nThe **programme** is out. {SCRIPT}\n\n- one\n- two",
        "subject.ru": "Новости программы",
        "body.ru": "Дорогие друзья,\n\nПрограмма **готова**.",
    }
    texts.update(overrides)
    return texts


async def test_compose_preview_and_send_to_the_filtered_attendees_each_in_their_language(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await _setup(client, organiser, settings)
    # The filter of the registrations page: GB has a confirmed, a cancelled and a pending registration.
    page = await client.get(NEW + "?country=GB")
    assert page.status_code == 200, page.text
    assert "This message goes to 1 attendee." in page.text
    assert "United Kingdom" in page.text
    assert '<input type="hidden" name="country" value="GB">' in page.text
    page = await client.get(NEW)
    assert "This message goes to 5 attendees." in page.text
    assert "Every attendee (no filter)." in page.text

    preview = await post_form(client, NEW, NEW, {**_texts(), "action": "preview", "expected_recipients": "5"})
    assert preview.status_code == 200, preview.text
    for language in ("en", "es", "fr", "ru"):
        assert f'id="preview-{language}"' in preview.text
    assert "Новости программы" in preview.text
    assert "Программа <strong>готова</strong>." in preview.text
    assert "The <strong>programme</strong> is out." in preview.text
    assert "<script>alert" not in preview.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in preview.text
    assert "these attendees get the English text" in preview.text  # es and fr fall back to en
    assert await _count(settings, AttendeeMessage) == 0

    # The filter changed meanwhile (the page said 4): the form comes back with the real count.
    stale = await client.post(
        NEW, data={**_texts(), "action": "send", "expected_recipients": "4", "_csrf_token": csrf_token(page.text)}
    )
    assert stale.status_code == 409, stale.text
    assert "This message goes to 5 attendees." in stale.text
    assert 'name="expected_recipients" value="5"' in stale.text
    assert await _count(settings, AttendeeMessage) == 0

    sent = await client.post(
        NEW,
        data={**_texts(), "action": "send", "expected_recipients": "5", "_csrf_token": csrf_token(stale.text)},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    assert sent.headers["location"] == PAGE + "1/"
    shown = await client.get(PAGE + "1/")
    assert "Sent to 5 attendees." in shown.text
    assert "Новости программы" in shown.text
    assert "&lt;script&gt;" in shown.text

    mails = [mail for mail in await outbox(settings) if mail.kind == "attendee_message"]
    by_recipient = {mail.recipient.split("@")[0]: mail for mail in mails}
    assert {user: mail.language for user, mail in by_recipient.items()} == {
        "ana": "ru", "zoe": "en", "rosa": "en", "tom": "en", "kim": "en",
    }  # fmt: skip
    async with database(settings) as db:
        message = await db.scalar(select(AttendeeMessage))
        assert message is not None
        assert (message.recipients, message.audience, message.sent_by_name) == (5, [], "Ada")
        event = await db.get(OutboxEvent, message.event_id)
        assert event is not None
        assert (event.name, event.payload) == (Event.MESSAGE_SENT, {"message_id": 1, "recipients": 5})
        assert {mail.event_id for mail in mails} == {event.id}
        audit = list(await db.scalars(select(AuditRecord).where(AuditRecord.action == "message.sent")))
        assert [(record.entity, record.entity_key, record.after["recipients"]) for record in audit] == [
            ("attendee_message", "1", 5)
        ]
        # Each e-mail as the worker builds it: the attendee's language, the body escaped, their link.
        ana = by_recipient["ana"]
        content = await render(RenderRequest(db, ana, settings.base_url))
        built = build_message(ana, content, sender="confman@example.org")
        await db.rollback()
    assert (built["Subject"], built["Content-Language"]) == ("Новости программы", "ru")
    html = _part(built, "text/html")
    plain = _part(built, "text/plain")
    assert "Ана Иванова" in plain
    assert "Программа **готова**." in plain
    assert "Программа <strong>готова</strong>." in html
    assert ana.context["manage_url"] in plain
    assert ana.context["manage_url"] in html
    tom = by_recipient["tom"]
    async with database(settings) as db:
        tom_html = _part(
            build_message(tom, await render(RenderRequest(db, tom, settings.base_url)), sender="c@example.org"),
            "text/html",
        )
    assert "<script>alert" not in tom_html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in tom_html
    assert "<li>one</li>" in tom_html
    # Every link is the attendee's own, fresh, stored only as a hash, and opens their page.
    tokens = [token_from(mail.context["manage_url"]) for mail in mails]
    assert len(set(tokens)) == 5
    for mail in (ana, tom):
        personal = await client.get(f"/me/{token_from(mail.context['manage_url'])}/")
        assert personal.status_code == 200, personal.text
    people = {row.email.split("@")[0]: row for row in await registrations(settings)}
    assert {mail.registration_id for mail in mails} == {people[u].id for u in ("ana", "zoe", "rosa", "tom", "kim")}

    with counted_queries() as one:
        listing = await client.get(PAGE)
    assert listing.status_code == 200
    row = re.search(r'<tr id="message-1">(.*?)</tr>', listing.text, re.S)
    assert row is not None
    cells = re.findall(r'<td class="number[^"]*">(\d+)</td>', row.group(1))
    assert cells == ["5", "0", "5", "0"]  # recipients, delivered, waiting, failed
    # A second message (to the GB filter: one attendee) costs the list no further query.
    second = await post_form(
        client, NEW + "?country=GB", NEW, {**_texts(), "country": "GB", "action": "send", "expected_recipients": "1"}
    )
    assert second.status_code == 303, second.text
    await client.get(second.headers["location"])  # shows (and so clears) the flash, as after the first
    with counted_queries() as two:
        listing = await client.get(PAGE)
    assert 'id="message-2"' in listing.text
    assert len(two) == len(one)


def _part(message: EmailMessage, content_type: str) -> str:
    part = message.get_body(preferencelist=(content_type.split("/")[1],))
    assert part is not None
    assert part.get_content_type() == content_type
    return str(part.get_content())


async def test_bad_input_is_refused_by_field_and_nothing_is_written(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await _setup(client, organiser, settings)
    tokens_before = await _count(settings, RegistrationToken)
    cases: list[tuple[str, dict[str, str], str]] = [
        ("", _texts(**{"subject.en": ""}), "subject.en"),
        ("", _texts(**{"body.en": "  "}), "body.en"),
        ("", _texts(**{"subject.en": "x" * 201}), "subject.en"),
        ("", _texts(**{"body.en": "x" * 20_001}), "body.en"),
        ("", _texts(**{"subject.en": "one\ntwo"}), "subject.en"),
        ("", _texts(**{"subject.es": "Noticias"}), "body.es"),
        ("", _texts(**{"subject.de": "Neuigkeiten", "body.de": "Hallo"}), "subject"),
        ("?country=XX", _texts(), "audience"),
        ("?status=pending", _texts(), "recipients"),
    ]
    page = await client.get(NEW)
    for query, data, field in cases:
        filters = dict(pair.split("=") for pair in query[1:].split("&")) if query else {}
        answer = await client.post(
            NEW,
            data={
                **filters,
                **data,
                "action": "send",
                "expected_recipients": "5",
                "_csrf_token": csrf_token(page.text),
            },
        )
        assert answer.status_code == 400, (field, answer.text)
        assert f'id="{field}-error"' in answer.text, (field, answer.text)
    assert (await client.get(NEW + "?country=XX")).status_code == 400
    assert await _count(settings, AttendeeMessage) == 0
    assert await _count(settings, OutboxMail, OutboxMail.kind == "attendee_message") == 0
    assert await _count(settings, RegistrationToken) == tokens_before
    assert await _count(settings, AuditRecord, AuditRecord.action == "message.sent") == 0


async def test_the_emails_arrive_through_smtp_each_in_its_attendees_language(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await _setup(client, organiser, settings, [PEOPLE[0], PEOPLE[2], PEOPLE[3]])
    texts = {
        "subject.en": "Programme news",
        "body.en": "The programme is out.",
        "subject.es": "Novedades del programa",
        "body.es": "El programa está listo.",
        "subject.ru": "Новости программы",
        "body.ru": "Программа готова.",
    }
    sent = await post_form(client, NEW, NEW, {**texts, "action": "send", "expected_recipients": "3"})
    assert sent.status_code == 303, sent.text
    recorder = Recorder()
    server = MailServer(free_port(), recorder)
    server.start()
    worker = MailWorker(smtp_settings(settings, server.url))
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        await wait_until(lambda: len(recorder.messages) >= 3, 20, "three messages")
    finally:
        stop.set()
        await task
        await worker.close()
        server.stop()
    received = {str(message["To"]).split("@")[0]: message for message in recorder.messages}
    assert {user: str(message["Subject"]) for user, message in received.items()} == {
        "ana": "Новости программы",
        "rosa": "Novedades del programa",
        "tom": "Programme news",
    }
    for user, body in (
        ("ana", "Программа готова."),
        ("rosa", "El programa está listo."),
        ("tom", "The programme is out."),
    ):
        plain = _part(received[user], "text/plain")
        assert body in plain
        link = re.search(r"http://testserver\.local/me/(m[^/\s]+)/", plain)
        assert link is not None, plain
        assert (await client.get(f"/me/{link.group(1)}/")).status_code == 200
    shown = await client.get(PAGE)
    cells = re.findall(r'<td class="number[^"]*">(\d+)</td>', shown.text)
    assert cells == ["3", "3", "0", "0"]
