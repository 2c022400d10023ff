from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from confman.lib.validation import CountryCode, Email, Line, Slug, TranslatedText, WebUrl, ZoneName, omittable


class SpeakerLink(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Line
    url: WebUrl


class SpeakerCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: Slug
    name: Line
    country: CountryCode
    timezone: ZoneName | None = Field(
        default=None, description="IANA zone; defaults from the country where the country has one zone."
    )
    bio: TranslatedText = Field(default_factory=dict)
    links: Annotated[list[SpeakerLink], Field(max_length=20)] = Field(default_factory=list)
    email: Email | None = Field(
        default=None, description="Organisers only: release e-mails about the speaker's sessions. Never public."
    )


class SpeakerUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Line | None = omittable()
    country: CountryCode | None = omittable()
    timezone: ZoneName | None = None
    bio: TranslatedText | None = omittable()
    links: Annotated[list[SpeakerLink], Field(max_length=20)] | None = omittable()
    email: Email | None = Field(default=None, description="Organisers only; null removes it.")


class SpeakerLinkRead(BaseModel):
    title: str
    url: str


class SpeakerWarning(BaseModel):
    code: str = Field(description="Stable: `speaker_without_zone`.")
    message: str = Field(description="In the caller's language (Accept-Language).")


class SpeakerRead(BaseModel):
    slug: str
    guid: uuid.UUID
    name: str
    country: str | None = Field(description="ISO 3166-1 alpha-2; null when unknown (imported schedules carry none).")
    country_name: str | None
    timezone: str | None
    bio: dict[str, str]
    links: list[SpeakerLinkRead]
    sessions: list[str] = Field(description="Slugs of the speaker's sessions (public ones without a token).")
    photo_sha256: str | None = Field(default=None, description="The photo's SHA-256 (its ETag); null: no photo.")
    warnings: list[SpeakerWarning] = Field(
        default_factory=list,
        description="For organisers: things to fix, such as a speaker without a time zone (no night warnings).",
    )


class SpeakerOrganiserRead(SpeakerRead):
    """A speaker as organisers see it: with the private address (never in a public answer)."""

    email: str | None = None
