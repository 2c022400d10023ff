"""Messages to attendees: who receives one, checking its texts, sending it, and its deliveries.

The recipients are the registrations an :class:`~confman.registration.filters.AudienceFilter`
names (the registrations page's own filter) that hold a place: confirmed or on the waiting
list, and not erased. Pending registrations are left out (their address is not proven yet),
and so are cancelled ones (they left).

Sending writes, in the caller's transaction: the message row, its ``message.sent`` event, and
per recipient a fresh private page token (only its hash) and an outbox e-mail that delivers the
event in the attendee's language (the worker words it, ``outreach/notices.py``). Tokens and
e-mails go in with one Core ``executemany`` each, not as ORM objects: 10,000 recipients are
two statements. Nothing limits how many e-mails one attendee gets: the outbox sends an
organiser's message like any other e-mail.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from confman.audit.recorder import record_action
from confman.db.models import (
    AttendeeMessage,
    Conference,
    Event,
    MailStatus,
    OutboxMail,
    Registration,
    RegistrationStatus,
    RegistrationToken,
    TokenPurpose,
    User,
)
from confman.lib.errors import FieldError
from confman.lib.timezones import utcnow
from confman.lib.tokens import hash_token, new_token
from confman.lib.urls import attendee_url
from confman.mail.outbox import emit, outbox_values
from confman.registration.filters import AudienceFilter

# The e-mail kind of a message (``outreach/notices.py`` words it).
ATTENDEE_MESSAGE = "attendee_message"
RECIPIENT_STATUSES = (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)
MAX_SUBJECT = 200
MAX_BODY = 20_000
# Control characters other than tab and line breaks (a line break is refused in a subject).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SUBJECT_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

REGISTRATION_TOKEN = cast(Table, RegistrationToken.__table__)
MAIL_OUTBOX = cast(Table, OutboxMail.__table__)


class RecipientsChanged(Exception):
    """The filter names another number of attendees than the organiser saw: nothing was sent."""

    def __init__(self, count: int) -> None:
        super().__init__(f"the message would now go to {count} attendees")
        self.count = count


@dataclass(frozen=True)
class Delivery:
    sent: int = 0
    pending: int = 0
    failed: int = 0


def recipient_clauses(conference_id: int, audience: AudienceFilter, dialect: str) -> list[ColumnElement[bool]]:
    return [
        *audience.clauses(conference_id, dialect),
        Registration.status.in_(RECIPIENT_STATUSES),
        Registration.erased_at.is_(None),
    ]


def check_texts(conference: Conference, subject: Mapping[str, str], body: Mapping[str, str]) -> list[FieldError]:
    """Every problem of a message's texts (``subject.<language>``, ``body.<language>``, or
    ``subject``/``body`` for a language the conference does not offer); empty when it can go."""
    problems: list[FieldError] = []
    languages = set(conference.languages)
    for name, texts, limit, control in (
        ("subject", subject, MAX_SUBJECT, _SUBJECT_CONTROL),
        ("body", body, MAX_BODY, _CONTROL),
    ):
        if any(language not in languages for language in texts):
            problems.append(FieldError(name, "language_not_offered", "the conference does not offer this language"))
        if not texts.get(conference.default_language):
            problems.append(
                FieldError(f"{name}.{conference.default_language}", "required", "required in the default language")
            )
        for language, value in texts.items():
            if language not in languages:
                continue
            if len(value) > limit:
                problems.append(FieldError(f"{name}.{language}", "too_long", f"at most {limit} characters"))
            elif control.search(value):
                problems.append(
                    FieldError(f"{name}.{language}", "control_characters", "must not contain control characters")
                )
    for language in conference.languages:
        if language == conference.default_language:
            continue
        # A language is written whole or not at all (else the attendee would get half of each).
        if bool(subject.get(language)) != bool(body.get(language)):
            missing = "body" if subject.get(language) else "subject"
            problems.append(FieldError(f"{missing}.{language}", "required", "give both subject and body, or neither"))
    return problems


class MessageService:
    def __init__(self, db: AsyncSession, base_url: str) -> None:
        self.db = db
        self.base_url = base_url

    def _clauses(self, conference: Conference, audience: AudienceFilter) -> list[ColumnElement[bool]]:
        return recipient_clauses(conference.id, audience, self.db.get_bind().dialect.name)

    async def count_recipients(self, conference: Conference, audience: AudienceFilter) -> int:
        query = select(func.count()).select_from(Registration).where(*self._clauses(conference, audience))
        return int(await self.db.scalar(query) or 0)

    async def send(
        self,
        conference: Conference,
        audience: AudienceFilter,
        *,
        subject: Mapping[str, str],
        body: Mapping[str, str],
        sender: User,
        expected_recipients: int,
    ) -> AttendeeMessage:
        """Send the message to the attendees ``audience`` names, if they are still the
        ``expected_recipients`` the organiser saw (else :class:`RecipientsChanged`); refuses bad
        texts and an empty audience with :class:`FieldError`. Writes in the caller's transaction."""
        problems = check_texts(conference, subject, body)
        if problems:
            raise problems[0]
        rows = (
            await self.db.execute(
                select(Registration.id, Registration.name, Registration.email, Registration.language,
                       Registration.timezone)
                .where(*self._clauses(conference, audience))
                .order_by(Registration.id)
            )
        ).all()  # fmt: skip
        if not rows:
            raise FieldError("recipients", "no_recipients", "no attendee matches the filter")
        if len(rows) != expected_recipients:
            raise RecipientsChanged(len(rows))
        now = utcnow()
        message = AttendeeMessage(
            conference_id=conference.id,
            subject=dict(subject),
            body=dict(body),
            audience=[list(pair) for pair in audience.params()],
            recipients=len(rows),
            sent_by_id=sender.id,
            sent_by_name=sender.name or sender.email,
            sent_at=now,
        )
        self.db.add(message)
        await self.db.flush()
        event = emit(
            self.db, Event.MESSAGE_SENT, conference_id=conference.id,
            payload={"message_id": message.id, "recipients": len(rows)},
        )  # fmt: skip
        await self.db.flush()
        message.event_id = event.id
        written = {language for language, text in subject.items() if text}
        tokens: list[dict[str, Any]] = []
        mails: list[dict[str, Any]] = []
        for registration_id, name, email, language, timezone in rows:
            token = new_token("m")
            tokens.append(
                {
                    "registration_id": registration_id,
                    "purpose": TokenPurpose.MANAGE,
                    "token_hash": hash_token(token),
                    "created_at": now,
                    "updated_at": now,
                }
            )
            context = {
                "message_id": message.id,
                "manage_url": attendee_url(self.base_url, token),
                "name": name,
                "timezone": timezone,
            }
            mails.append(
                outbox_values(
                    kind=ATTENDEE_MESSAGE,
                    recipient=email,
                    language=language if language in written else conference.default_language,
                    conference_id=conference.id,
                    registration_id=registration_id,
                    context=context,
                    base_url=self.base_url,
                    event_id=event.id,
                    now=now,
                )
            )
        await self.db.execute(insert(REGISTRATION_TOKEN), tokens)
        await self.db.execute(insert(MAIL_OUTBOX), mails)
        record_action(
            self.db,
            conference_id=conference.id,
            action="message.sent",
            entity="attendee_message",
            entity_key=str(message.id),
            detail={
                "subject": subject.get(conference.default_language, ""),
                "audience": audience.query_string(),
                "recipients": len(rows),
            },
        )
        await self.db.flush()
        return message

    # --- reading ---------------------------------------------------------------------

    async def messages(self, conference: Conference, *, limit: int = 200) -> list[AttendeeMessage]:
        """The conference's messages, newest first."""
        query = (
            select(AttendeeMessage)
            .where(AttendeeMessage.conference_id == conference.id)
            .order_by(AttendeeMessage.id.desc())
            .limit(limit)
        )
        return list(await self.db.scalars(query))

    async def get(self, conference: Conference, message_id: int) -> AttendeeMessage | None:
        found: AttendeeMessage | None = await self.db.scalar(
            select(AttendeeMessage).where(
                AttendeeMessage.conference_id == conference.id, AttendeeMessage.id == message_id
            )
        )
        return found

    async def deliveries(self, messages: Sequence[AttendeeMessage]) -> dict[int, Delivery]:
        """Each message's e-mails by status (one GROUP BY over their events, by index)."""
        by_event = {message.event_id: message.id for message in messages if message.event_id is not None}
        counts: dict[int, dict[str, int]] = {message.id: {} for message in messages}
        if by_event:
            rows = await self.db.execute(
                select(OutboxMail.event_id, OutboxMail.status, func.count())
                .where(OutboxMail.event_id.in_(list(by_event)))
                .group_by(OutboxMail.event_id, OutboxMail.status)
            )
            for event_id, status, count in rows.tuples():
                if event_id is None:
                    continue
                counts[by_event[event_id]][MailStatus(status).value] = int(count)
        return {message_id: Delivery(**found) for message_id, found in counts.items()}
