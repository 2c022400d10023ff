"""/api/v1/conferences/{conf}/webhooks: organisers register endpoints, read the delivery log and
replay a delivery. The signing secret is answered only by the create and rotate calls."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, patch, post
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_202_ACCEPTED

from confman.accounts.auth import BEARER
from confman.conferences.access import ORGANISER, ConferenceAccessDependency
from confman.db.models import WebhookDelivery, WebhookEndpoint
from confman.db.transactions import DbSession
from confman.lib.openapi import WRITE_ERRORS
from confman.settings import AppSettings
from confman.webhooks.schemas import (
    DeliveryRead,
    WebhookCreate,
    WebhookCreated,
    WebhookRead,
    WebhookSecret,
    WebhookUpdate,
)
from confman.webhooks.services import WebhookService


def webhook_read(endpoint: WebhookEndpoint) -> WebhookRead:
    return WebhookRead(
        id=endpoint.id,
        url=endpoint.url,
        description=endpoint.description,
        event_types=list(endpoint.event_types),
        enabled=endpoint.enabled,
        disabled_reason=endpoint.disabled_reason,
        disabled_at=endpoint.disabled_at,
        consecutive_failures=endpoint.consecutive_failures,
        failing_since=endpoint.failing_since,
        last_success_at=endpoint.last_success_at,
        created_at=endpoint.created_at,
        updated_at=endpoint.updated_at,
    )


def delivery_read(delivery: WebhookDelivery) -> DeliveryRead:
    return DeliveryRead(
        id=delivery.id,
        webhook_id=delivery.webhook_id,
        event_id=delivery.event_id,
        event_type=delivery.event_type,
        status=delivery.status,
        attempts=delivery.attempts,
        last_status_code=delivery.last_status_code,
        last_error=delivery.last_error,
        response_excerpt=delivery.response_excerpt,
        created_at=delivery.created_at,
        last_attempt_at=delivery.last_attempt_at,
        next_attempt_at=delivery.next_attempt_at,
        delivered_at=delivery.delivered_at,
    )


class WebhookController(Controller):
    path = "/api/v1/conferences/{conf:str}/webhooks"
    tags = ["Webhooks"]
    opt = ORGANISER
    security = BEARER

    @get("/", summary="The conference's webhook endpoints", raises=WRITE_ERRORS)
    async def list_webhooks(
        self, conference_access: ConferenceAccessDependency, db_session: DbSession, settings: AppSettings
    ) -> list[WebhookRead]:
        endpoints = await WebhookService(db_session, settings).all(conference_access.conference)
        return [webhook_read(endpoint) for endpoint in endpoints]

    @post("/", summary="Register an endpoint (the answer holds its secret, shown once)", raises=WRITE_ERRORS)
    async def create_webhook(
        self,
        conference_access: ConferenceAccessDependency,
        data: JSONBody[WebhookCreate],
        db_session: DbSession,
        settings: AppSettings,
    ) -> WebhookCreated:
        endpoint, secret = await WebhookService(db_session, settings).create(conference_access.conference, data)
        return WebhookCreated(**webhook_read(endpoint).model_dump(), secret=secret)

    @get("/{webhook_id:int}", summary="One endpoint", raises=WRITE_ERRORS)
    async def get_webhook(
        self,
        conference_access: ConferenceAccessDependency,
        webhook_id: FromPath[int],
        db_session: DbSession,
        settings: AppSettings,
    ) -> WebhookRead:
        return webhook_read(await WebhookService(db_session, settings).get(conference_access.conference, webhook_id))

    @patch("/{webhook_id:int}", summary="Change an endpoint; enabled: true re-enables it", raises=WRITE_ERRORS)
    async def update_webhook(
        self,
        conference_access: ConferenceAccessDependency,
        webhook_id: FromPath[int],
        data: JSONBody[WebhookUpdate],
        db_session: DbSession,
        settings: AppSettings,
    ) -> WebhookRead:
        service = WebhookService(db_session, settings)
        endpoint = await service.get(conference_access.conference, webhook_id)
        return webhook_read(await service.update(endpoint, data))

    @delete("/{webhook_id:int}", summary="Remove an endpoint and its delivery log", raises=WRITE_ERRORS)
    async def delete_webhook(
        self,
        conference_access: ConferenceAccessDependency,
        webhook_id: FromPath[int],
        db_session: DbSession,
        settings: AppSettings,
    ) -> None:
        service = WebhookService(db_session, settings)
        await service.delete(await service.get(conference_access.conference, webhook_id))

    @post("/{webhook_id:int}/secret", summary="A new signing secret (shown once)", raises=WRITE_ERRORS)
    async def rotate_secret(
        self,
        conference_access: ConferenceAccessDependency,
        webhook_id: FromPath[int],
        db_session: DbSession,
        settings: AppSettings,
    ) -> WebhookSecret:
        service = WebhookService(db_session, settings)
        endpoint = await service.get(conference_access.conference, webhook_id)
        return WebhookSecret(secret=await service.rotate(endpoint))

    @get("/{webhook_id:int}/deliveries", summary="The endpoint's delivery log, newest first", raises=WRITE_ERRORS)
    async def list_deliveries(
        self,
        conference_access: ConferenceAccessDependency,
        webhook_id: FromPath[int],
        db_session: DbSession,
        settings: AppSettings,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
        before: Annotated[int | None, QueryParameter(ge=1, le=2**63 - 1)] = None,
    ) -> list[DeliveryRead]:
        service = WebhookService(db_session, settings)
        endpoint = await service.get(conference_access.conference, webhook_id)
        return [delivery_read(row) for row in await service.deliveries(endpoint, limit=limit, before=before)]

    @post(
        "/{webhook_id:int}/deliveries/{delivery_id:int}/replay",
        summary="Deliver again (same webhook-id and body, new timestamp and signature)",
        status_code=HTTP_202_ACCEPTED,
        raises=WRITE_ERRORS,
    )
    async def replay_delivery(
        self,
        conference_access: ConferenceAccessDependency,
        webhook_id: FromPath[int],
        delivery_id: FromPath[int],
        db_session: DbSession,
        settings: AppSettings,
    ) -> DeliveryRead:
        service = WebhookService(db_session, settings)
        endpoint = await service.get(conference_access.conference, webhook_id)
        return delivery_read(await service.replay(endpoint, delivery_id))
