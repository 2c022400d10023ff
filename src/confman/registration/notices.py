"""What registration tells the attendee: the outbox e-mails it queues, each a row written in
the transaction of the change it reports (``mail/outbox.py`` sends them).

Each e-mail that leads somewhere carries a fresh private token: the secret itself is never
kept, only its hash in ``registration_token``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from confman.db.models import OutboxMail, Registration, RegistrationStatus, RegistrationToken, TokenPurpose
from confman.lib.tokens import hash_token, new_token
from confman.lib.urls import attendee_url, registration_cancel_url, registration_confirm_url
from confman.mail.outbox import enqueue
from confman.registration.queries import waitlist_position
from confman.registration.rules import ConferenceLike
from confman.settings import Settings

Links = Callable[[str], dict[str, Any]]


class Kind:
    """The outbox e-mail kinds that registration writes."""

    CONFIRM_REQUEST = "confirm_request"
    ALREADY_REGISTERED = "already_registered"
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    PROMOTED = "promoted"
    # Queued before the placement is known (PostgreSQL): the placement call renames it.
    PLACED = "placed"
    CANCELLED = "cancelled"


def token_prefix(purpose: TokenPurpose) -> str:
    """A token says what it is for at a glance: ``c…`` confirms, ``m…`` manages."""
    return "c" if purpose is TokenPurpose.CONFIRM else "m"


class RegistrationNotices:
    """The e-mails about one registration, queued in ``db``'s transaction."""

    def __init__(self, db: AsyncSession, settings: Settings) -> None:
        self.db = db
        self.base_url = settings.base_url

    # --- the private links -------------------------------------------------------------

    def confirm_links(self, conference: ConferenceLike) -> Links:
        """The context of a confirmation request for a fresh confirm token."""

        def links(token: str) -> dict[str, Any]:
            return {"confirm_url": registration_confirm_url(self.base_url, conference.slug, token)}

        return links

    def manage_links(self, conference: ConferenceLike, position: int | None) -> Links:
        """The context of a placement e-mail (as :meth:`status` writes it) for a fresh manage token."""

        def links(token: str) -> dict[str, Any]:
            return {
                "position": position,
                "manage_url": attendee_url(self.base_url, token),
                "cancel_url": registration_cancel_url(self.base_url, conference.slug, token),
            }

        return links

    def token(self, registration: Registration, purpose: TokenPurpose) -> str:
        """A fresh private token for ``registration`` (only its hash is stored)."""
        token = new_token(token_prefix(purpose))
        self.db.add(RegistrationToken(registration_id=registration.id, purpose=purpose, token_hash=hash_token(token)))
        return token

    # --- the e-mails --------------------------------------------------------------------

    def enqueue(
        self, conference: ConferenceLike, registration: Registration, kind: str, context: dict[str, Any]
    ) -> OutboxMail:
        return enqueue(
            self.db,
            kind=kind,
            recipient=registration.email,
            language=registration.language,
            conference_id=conference.id,
            registration_id=registration.id,
            context={**self._base_context(registration), **context},
            base_url=self.base_url,
        )

    async def confirm_request(self, conference: ConferenceLike, registration: Registration) -> None:
        """Double opt-in: the link that proves the address."""
        token = self.token(registration, TokenPurpose.CONFIRM)
        self.enqueue(conference, registration, Kind.CONFIRM_REQUEST, self.confirm_links(conference)(token))
        await self.db.flush()

    async def already_registered(self, conference: ConferenceLike, registration: Registration) -> None:
        """A known address registered again: its own links, never a second registration."""
        context: dict[str, Any] = {}
        if registration.status is RegistrationStatus.PENDING:
            token = self.token(registration, TokenPurpose.CONFIRM)
            context["confirm_url"] = registration_confirm_url(self.base_url, conference.slug, token)
        else:
            token = self.token(registration, TokenPurpose.MANAGE)
            context["manage_url"] = attendee_url(self.base_url, token)
            context["cancel_url"] = registration_cancel_url(self.base_url, conference.slug, token)
            context["position"] = await waitlist_position(self.db, registration)
        self.enqueue(conference, registration, Kind.ALREADY_REGISTERED, context)
        await self.db.flush()

    async def status(
        self, conference: ConferenceLike, registration: Registration, kind: str, *, position: int | None = None
    ) -> None:
        """A placement or a cancellation (``kind``); all but a cancellation carry the manage links."""
        context: dict[str, Any] = {"position": position}
        if kind != Kind.CANCELLED:
            context.update(self.manage_links(conference, position)(self.token(registration, TokenPurpose.MANAGE)))
        self.enqueue(conference, registration, kind, context)
        await self.db.flush()

    @staticmethod
    def _base_context(registration: Registration) -> dict[str, Any]:
        return {"name": registration.name, "timezone": registration.timezone, "status": registration.status.value}
