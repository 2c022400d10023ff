"""Each domain registers the wording of the e-mails it queues; mail refuses a second wording."""

from __future__ import annotations

import pytest

from confman.attendees.notices import REMINDER
from confman.mail.messages import MailContent, RenderRequest, register, registered_kinds
from confman.outreach.services import ATTENDEE_MESSAGE
from confman.registration.notices import Kind
from confman.worker import NOTICES


def test_the_worker_registers_a_wording_for_every_kind_the_domains_queue() -> None:
    assert [module.__name__ for module in NOTICES] == [
        "confman.registration.notices",
        "confman.attendees.notices",
        "confman.accounts.notices",
        "confman.outreach.notices",
    ]
    # "placed" is never sent: the placement at COMMIT renames it to "confirmed" or "waitlisted".
    assert registered_kinds() >= {kind.value for kind in Kind if kind is not Kind.PLACED} | {REMINDER, ATTENDEE_MESSAGE}
    assert Kind.PLACED not in registered_kinds()


def test_a_kind_gets_one_wording_only() -> None:
    async def other(request: RenderRequest) -> MailContent:
        raise AssertionError("never called")

    with pytest.raises(ValueError, match="e-mail kind 'reminder' has a renderer already"):
        register(REMINDER)(other)
