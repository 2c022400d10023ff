"""What the announcements' API takes and answers."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from confman.db.models import AnnouncementStatus
from confman.lib.markdown import contains_raw_html
from confman.lib.validation import DateTimeText, LanguageCode, Line, Slug

# A body is a statement, not a book: longer input is refused (413-sized bodies never get here).
MAX_BODY = 16_000
# C0 controls but tab and line breaks, DEL, C1 controls, lone surrogates, U+FFFE/U+FFFF: none
# belongs in text, and XML (the Atom feed) cannot carry most of them.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_MAX_LANGUAGES = 50


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


def _no_control_characters(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters (such as NUL)")
    return value


def _markdown_only(value: str) -> str:
    if contains_raw_html(value):
        raise ValueError("raw HTML is not allowed: write Markdown (it is shown as text, never run)")
    return value


def _few(value: dict[str, str]) -> dict[str, str]:
    if len(value) > _MAX_LANGUAGES:
        raise ValueError(f"at most {_MAX_LANGUAGES} translations")
    return value


def _not_reserved(value: str) -> str:
    if value == "new":
        raise ValueError("'new' is reserved (the organisers' page that writes an announcement)")
    return value


AnnouncementSlug = Annotated[Slug, AfterValidator(_not_reserved)]
Title = Annotated[Line, AfterValidator(_markdown_only)]
Body = Annotated[
    str,
    BeforeValidator(_strip),
    StringConstraints(min_length=1, max_length=MAX_BODY),
    AfterValidator(_no_control_characters),
    AfterValidator(_markdown_only),
]
Titles = Annotated[
    dict[LanguageCode, Title],
    AfterValidator(_few),
    Field(description="One title per language; the conference's default language is required."),
]
Bodies = Annotated[
    dict[LanguageCode, Body],
    AfterValidator(_few),
    Field(description="Markdown (no raw HTML) per language, in the same languages as the title."),
]
PublishAt = Annotated[
    DateTimeText,
    Field(
        description="When it shows (ISO 8601; without an offset, read in the conference's zone). Later than now: "
        "scheduled. Omitted when publishing: now."
    ),
]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AnnouncementCreate(_Input):
    slug: AnnouncementSlug
    title: Titles
    body: Bodies
    status: AnnouncementStatus = AnnouncementStatus.DRAFT
    publish_at: PublishAt | None = None
    pinned: bool = False


class AnnouncementUpdate(_Input):
    slug: AnnouncementSlug | None = None
    title: Titles | None = None
    body: Bodies | None = None
    status: AnnouncementStatus | None = None
    publish_at: PublishAt | None = None
    pinned: bool | None = None


class Audience(StrEnum):
    """Who an announcement is sent to: attendees holding a place (all), or of one status."""

    ALL = "all"
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"


class AnnouncementSend(_Input):
    audience: Audience = Field(default=Audience.ALL, description="all, confirmed or waitlisted attendees")
    expected_recipients: int | None = Field(
        default=None,
        ge=0,
        le=10_000_000,
        description="The count you were shown; if the audience now has another size nothing is sent (409).",
    )


class AnnouncementRead(BaseModel):
    slug: str
    guid: uuid.UUID
    title: dict[str, str]
    body: dict[str, str]
    status: AnnouncementStatus
    publish_at: datetime | None
    pinned: bool
    revision: int
    visible: bool = Field(description="Published and its publish time has come: on the public pages now.")
    scheduled: bool = Field(description="Published with a publish time still to come.")
    url: str = Field(description="The public page (404 until visible).")
    sent_to: list[str] = Field(description="The registration statuses it was sent to.")
    created_at: datetime
    updated_at: datetime


class SendingRead(BaseModel):
    audience: Audience
    recipients: int
    sent_to: list[str]
