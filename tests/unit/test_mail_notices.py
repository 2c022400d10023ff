"""Each domain registers the wording of the e-mails it queues; mail refuses a second wording."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from confman.attendees.notices import REMINDER
from confman.db.models import OutboxMail
from confman.mail.messages import (
    Link,
    MailContent,
    RenderRequest,
    build_message,
    programme_row,
    register,
    registered_kinds,
)
from confman.outreach.services import ATTENDEE_MESSAGE
from confman.registration.notices import Kind
from confman.worker import NOTICES


def test_the_worker_registers_a_wording_for_every_kind_the_domains_queue() -> None:
    assert [module.__name__ for module in NOTICES] == [
        "confman.registration.notices",
        "confman.attendees.notices",
        "confman.accounts.notices",
        "confman.outreach.notices",
        "confman.webhooks.notices",
        "confman.changes.notices",
    ]
    # "placed" is never sent: the placement at COMMIT renames it to "confirmed" or "waitlisted".
    assert registered_kinds() >= {kind.value for kind in Kind if kind is not Kind.PLACED} | {REMINDER, ATTENDEE_MESSAGE}
    assert Kind.PLACED not in registered_kinds()


def test_a_kind_gets_one_wording_only() -> None:
    async def other(request: RenderRequest) -> MailContent:
        raise AssertionError("never called")

    with pytest.raises(ValueError, match="e-mail kind 'reminder' has a renderer already"):
        register(REMINDER)(other)


def test_the_html_part_fits_a_phone_and_the_text_part_words_a_cancelled_session() -> None:
    starts = datetime(2027, 11, 14, 10, 0, tzinfo=UTC)
    rows = [
        programme_row("es", starts, "Los límites de la COP26", False, "America/Sao_Paulo", "Europe/London"),
        programme_row("es", starts, "Una charla retirada", True, "America/Sao_Paulo", "Europe/London"),
    ]
    content = MailContent(
        language="es", subject="Inscrito", greeting="Hola Rosa,", paragraphs=["Tu plaza está confirmada."],
        action=Link("Tu página de inscripción", "https://example.org/me/m_x/"), programme=rows,
        header="La alternativa revolucionaria", accent="#7a1f5c", accent_ink="#ffffff",
    )  # fmt: skip
    mail = OutboxMail(recipient="rosa@example.org", message_id="<1@example.org>", created_at=starts)

    message = build_message(mail, content, sender="confman <noreply@example.org>")
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]

    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "max-width: 600px" in html
    assert "La alternativa revolucionaria</td>" in html
    assert "background: #7a1f5c" in html  # the header and the button in the conference's accent
    assert 'class="button" href="https://example.org/me/m_x/"' in html
    assert "Una charla retirada (Cancelada)" in text
    assert "[x]" not in text
    # Only a plain colour reaches a style attribute.
    hostile = build_message(mail, replace(content, accent="red;background:url(x)"), sender="x@example.org")
    assert "url(x)" not in hostile.get_body(("html",)).get_content()  # type: ignore[union-attr]
