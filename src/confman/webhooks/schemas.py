"""The webhooks API's bodies and answers."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(max_length=4000, description="https:// (http:// only where the installation allows it)")
    event_types: list[str] = Field(max_length=32, description="Public event names, at least one")
    description: str = Field(default="", max_length=200)
    enabled: bool = True


class WebhookUpdate(BaseModel):
    """Only the fields given change; ``enabled: true`` re-enables a disabled endpoint."""

    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(default=None, max_length=4000)
    event_types: list[str] | None = Field(default=None, max_length=32)
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
