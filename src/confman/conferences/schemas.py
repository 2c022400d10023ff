from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from confman.db.models import ConferenceStatus, MemberRole
from confman.lib.branding import MAX_EMBED_ORIGINS, normalise_origin, normalise_origins
from confman.lib.validation import (
    LanguageCode,
    Line,
    Slug,
    TranslatedLine,
    TranslatedText,
    WebUrl,
    ZoneName,
    omittable,
)

Colour = Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")]

# First path segments the site itself uses: a conference with such a slug would be unreachable.
RESERVED_SLUGS = frozenset(
    {
        "api",
        "schema",
        "me",
        "join",
        "static",
        "admin",
        "dev",
        "login",
        "logout",
        "account",
        "password",
        "invitation",
        "health",
        "favicon-ico",
        "robots-txt",
    }
)


def _not_reserved(value: str) -> str:
    if value in RESERVED_SLUGS:
        raise ValueError(f"{value!r} is reserved for the site's own pages")
    return value


ConferenceSlug = Annotated[Slug, AfterValidator(_not_reserved)]
EmbedOrigin = Annotated[str, StringConstraints(max_length=300), AfterValidator(normalise_origin)]
EmbedOrigins = Annotated[
    list[EmbedOrigin],
    Field(
        max_length=MAX_EMBED_ORIGINS,
        description="Origins (https://example.org) whose pages may show /{conf}/embed/programme/ in a frame.",
    ),
    AfterValidator(normalise_origins),
]
AccentColour = Annotated[
    Colour, Field(description="#rrggbb: buttons and links of the public pages; null: the site's colour.")
]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ConferenceCreate(_Input):
    slug: ConferenceSlug
    title: TranslatedLine = Field(description="One title per language; must include the default language.")
    description: TranslatedText = Field(default_factory=dict)
    timezone: ZoneName
    default_language: LanguageCode
    languages: Annotated[list[LanguageCode], Field(max_length=50)] | None = Field(
        default=None, description="Languages the conference offers; defaults to [default_language]."
    )
    status: ConferenceStatus = ConferenceStatus.DRAFT
    starts_on: date
    ends_on: date
    accent_color: AccentColour | None = None
    embed_origins: EmbedOrigins = Field(default_factory=list)


class ConferenceUpdate(_Input):
    title: TranslatedLine | None = omittable()
    description: TranslatedText | None = omittable()
    timezone: ZoneName | None = omittable()
    default_language: LanguageCode | None = omittable()
    languages: Annotated[list[LanguageCode], Field(max_length=50)] | None = None
    status: ConferenceStatus | None = omittable()
    starts_on: date | None = omittable()
    ends_on: date | None = omittable()
    accent_color: AccentColour | None = None
    embed_origins: EmbedOrigins | None = omittable()


class ConferenceRead(BaseModel):
    slug: str
    guid: uuid.UUID
    title: dict[str, str]
    description: dict[str, str]
    timezone: str
    default_language: str
    languages: list[str]
    status: ConferenceStatus
    starts_on: date
    ends_on: date
    programme_version: int
    programme_changed_at: datetime
    accent_color: str | None = None
    embed_origins: list[str] = Field(default_factory=list)
    logo_url: str | None = Field(default=None, description="The logo at its content-hashed /media/ address.")
    url: str = Field(description="The public conference page.")
    role: MemberRole | None = Field(default=None, description="Your role, when you are a member.")


class TrackCreate(_Input):
    slug: Slug
    name: TranslatedLine
    color: Colour | None = None
    position: int | None = Field(default=None, ge=0, le=10_000, description="Omitted: after the last track.")


class TrackUpdate(_Input):
    name: TranslatedLine | None = omittable()
    color: Colour | None = None
    position: int | None = omittable(ge=0, le=10_000)


class TrackOrder(_Input):
    tracks: Annotated[list[Slug], Field(max_length=1000)] = Field(
        description="Track slugs in their new order; tracks not named keep their order after these."
    )


class TrackRead(BaseModel):
    slug: str
    name: dict[str, str]
    color: str | None
    position: int


class StreamCreate(_Input):
    slug: Slug
    name: Line
    public_url: WebUrl | None = Field(default=None, description="A public livestream, if any.")
    meeting_url: WebUrl | None = Field(
        default=None, description="Secret: the meeting room. Only organisers see it; attendees reach it via /join/."
    )
    position: int | None = Field(default=None, ge=0, le=10_000, description="Omitted: after the last stream.")


class StreamUpdate(_Input):
    name: Line | None = omittable()
    public_url: WebUrl | None = None
    meeting_url: WebUrl | None = None
    position: int | None = omittable(ge=0, le=10_000)


class StreamOrder(_Input):
    streams: Annotated[list[Slug], Field(max_length=1000)] = Field(
        description="Stream slugs in their new order; streams not named keep their order after these."
    )


class StreamRead(BaseModel):
    slug: str
    guid: uuid.UUID
    name: str
    public_url: str | None
    position: int


class StreamOrganiserRead(StreamRead):
    meeting_url: str | None
