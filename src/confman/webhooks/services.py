"""Organisers' webhook endpoints: register, change, re-enable, rotate the secret, delete; the
delivery log and its replay. Services flush, never commit (the request commits)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from confman.db.models import PUBLIC_EVENTS, Conference, DeliveryStatus, WebhookDelivery, WebhookEndpoint
from confman.lib.errors import ConflictError, FieldError, not_found
from confman.lib.timezones import utcnow
from confman.settings import Settings
from confman.webhooks.addresses import check_url
from confman.webhooks.schemas import WebhookCreate, WebhookUpdate
from confman.webhooks.secrets import new_secret, seal

MAX_ENDPOINTS = 20
NOT_FOUND = "Webhook not found"
DELIVERY_NOT_FOUND = "Delivery not found"
PUBLIC_NAMES = sorted(event.value for event in PUBLIC_EVENTS)


def check_event_types(names: list[str]) -> list[str]:
    if not names:
        raise FieldError("event_types", "required", "choose at least one event type")
    for name in names:
        if name not in PUBLIC_NAMES:
            raise FieldError(
                "event_types",
                "unknown_event_type",
                f"{name[:64]!r} is not an event type; choose from " + ", ".join(PUBLIC_NAMES),
            )
    return sorted(set(names))


def _description(text: str) -> str:
    if any(ord(character) < 32 for character in text):
        raise FieldError("description", "invalid", "the description must be one line of text")
    return text.strip()


class WebhookService:
    def __init__(self, db: AsyncSession, settings: Settings) -> None:
        self.db = db
        self.settings = settings

    def _url(self, url: str) -> str:
        return check_url(
            url, allow_http=self.settings.webhooks_allow_http, allow_private=self.settings.webhooks_allow_private
        )

    async def all(self, conference: Conference) -> Sequence[WebhookEndpoint]:
        rows = await self.db.scalars(
            select(WebhookEndpoint).where(WebhookEndpoint.conference_id == conference.id).order_by(WebhookEndpoint.id)
        )
        return rows.all()

    async def get(self, conference: Conference, endpoint_id: int) -> WebhookEndpoint:
        endpoint = await self.db.scalar(
            select(WebhookEndpoint).where(
                WebhookEndpoint.id == endpoint_id, WebhookEndpoint.conference_id == conference.id
            )
        )
        if endpoint is None:
            raise not_found(NOT_FOUND)
        return endpoint

    async def create(self, conference: Conference, data: WebhookCreate) -> tuple[WebhookEndpoint, str]:
        """The new endpoint and its secret (answered this once)."""
        url = self._url(data.url)
        event_types = check_event_types(data.event_types)
        description = _description(data.description)
        count = await self.db.scalar(
            select(func.count()).select_from(WebhookEndpoint).where(WebhookEndpoint.conference_id == conference.id)
        )
        if (count or 0) >= MAX_ENDPOINTS:
            raise ConflictError("url", "too_many", f"a conference has at most {MAX_ENDPOINTS} webhooks")
        secret = new_secret()
        endpoint = WebhookEndpoint(
            conference_id=conference.id,
            url=url,
            description=description,
            event_types=event_types,
            enabled=data.enabled,
            secret_sealed=seal(secret, self.settings.secret_key),
            consecutive_failures=0,
        )
        self.db.add(endpoint)
        await self.db.flush()
        return endpoint, secret

    async def update(self, endpoint: WebhookEndpoint, data: WebhookUpdate) -> WebhookEndpoint:
        # Every field is checked before any is set: a refusal leaves the row as it was.
        url = self._url(data.url) if data.url is not None else None
        event_types = check_event_types(data.event_types) if data.event_types is not None else None
        description = _description(data.description) if data.description is not None else None
        if url is not None:
            endpoint.url = url
        if event_types is not None:
            endpoint.event_types = event_types
        if description is not None:
            endpoint.description = description
        if data.enabled is True and not endpoint.enabled:
            await self._enable(endpoint)
        elif data.enabled is False and endpoint.enabled:
            endpoint.enabled = False
            endpoint.disabled_reason = "organiser"
            endpoint.disabled_at = utcnow()
        await self.db.flush()
        return endpoint

    async def _enable(self, endpoint: WebhookEndpoint) -> None:
        """On again: the failures are forgotten, and what waited is due now, with a new give-up time."""
        now = utcnow()
        endpoint.enabled = True
        endpoint.disabled_reason = None
        endpoint.disabled_at = None
        endpoint.consecutive_failures = 0
        endpoint.failing_since = None
        await self.db.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.status == DeliveryStatus.PENDING)
            .values(next_attempt_at=now, due_since=now)
            .execution_options(synchronize_session=False)
        )

    async def rotate(self, endpoint: WebhookEndpoint) -> str:
        """A new secret, which signs every delivery from now on (retries included)."""
        secret = new_secret()
        endpoint.secret_sealed = seal(secret, self.settings.secret_key)
        await self.db.flush()
        return secret

    async def delete(self, endpoint: WebhookEndpoint) -> None:
        await self.db.delete(endpoint)
        await self.db.flush()

    async def deliveries(self, endpoint: WebhookEndpoint, *, limit: int, before: int | None) -> list[WebhookDelivery]:
        """The endpoint's deliveries, newest first (``before``: those older than that id)."""
        statement = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
        if before is not None:
            statement = statement.where(WebhookDelivery.id < before)
        rows = await self.db.scalars(statement.order_by(WebhookDelivery.id.desc()).limit(limit))
        return list(rows)

    async def replay(self, endpoint: WebhookEndpoint, delivery_id: int) -> WebhookDelivery:
        """Deliver again, with the same ``webhook-id`` and body (a new signature and timestamp)."""
        delivery = await self.db.scalar(
            select(WebhookDelivery).where(WebhookDelivery.id == delivery_id, WebhookDelivery.endpoint_id == endpoint.id)
        )
        if delivery is None:
            raise not_found(DELIVERY_NOT_FOUND)
        now = utcnow()
        delivery.status = DeliveryStatus.PENDING.value
        delivery.next_attempt_at = now
        delivery.due_since = now
        delivery.lease_until = None
        delivery.claimed_by = None
        delivery.delivered_at = None
        await self.db.flush()
        return delivery
