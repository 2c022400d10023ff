"""The webhooks API's bodies and answers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from confman.db.models import PUBLIC_EVENTS

# Documented as strictly as the service checks them; which addresses are allowed (https only,
# no private ones) depends on the installation's settings, so the document cannot say it all.
_URL_SCHEMA: dict[str, Any] = {
    "type": "string",
    "format": "uri",
    "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://[^/?#@\\s]+",
    "maxLength": 2000,
    "description": "https:// (http:// and private addresses only where the installation allows them)",
}
WebhookUrl = Annotated[str, WithJsonSchema(_URL_SCHEMA)]
_EVENT_TYPES_SCHEMA: dict[str, Any] = {
    "type": "array",
    "items": {"type": "string", "enum": sorted(event.value for event in PUBLIC_EVENTS)},
    "minItems": 1,
    "maxItems": 32,
    "description": "Public event names, at least one",
}
EventTypes = Annotated[list[str], WithJsonSchema(_EVENT_TYPES_SCHEMA)]


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: WebhookUrl = Field(max_length=4000)
    event_types: EventTypes = Field(max_length=32)
    description: str = Field(default="", max_length=200)
    enabled: bool = True


class WebhookUpdate(BaseModel):
    """Only the fields given change; ``enabled: true`` re-enables a disabled endpoint."""

    model_config = ConfigDict(extra="forbid")

    url: WebhookUrl | None = Field(default=None, max_length=4000)
    event_types: EventTypes | None = Field(default=None, max_length=32)
    description: str | None = Field(default=None, max_length=200)
    enabled: bool | None = None


class WebhookRead(BaseModel):
    id: int
    url: str
    description: str
    event_types: list[str]
    enabled: bool
    disabled_reason: str | None
    disabled_at: datetime | None
    consecutive_failures: int
    failing_since: datetime | None
    last_success_at: datetime | None
    created_at: datetime
    updated_at: datetime


class WebhookCreated(WebhookRead):
    secret: str = Field(description="The signing secret (Standard Webhooks): shown now, never again")


class WebhookSecret(BaseModel):
    secret: str = Field(description="The new signing secret: shown now, never again")


class DeliveryRead(BaseModel):
    id: int
    webhook_id: str = Field(description="The webhook-id header: the same on every retry and replay")
    event_id: int
    event_type: str
    status: str
    attempts: int
    last_status_code: int | None
    last_error: str | None
    response_excerpt: str | None
    created_at: datetime
    last_attempt_at: datetime | None
    next_attempt_at: datetime
    delivered_at: datetime | None
