from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from confman.db.models import SessionKind, SessionStatus, SpeakerRole
from confman.lib.validation import (
    DateTimeText,
    LanguageCode,
    Slug,
    TranslatedLine,
    TranslatedText,
    WebUrl,
    omittable,
)

Capacity = Annotated[int, Field(ge=1, le=1_000_000)]
# Paths below .../sessions/ that name no session (POST .../sessions/status, /orga/…/sessions/new).
RESERVED_SESSION_SLUGS = frozenset({"status", "new"})


def _not_reserved(value: str) -> str:
    if value in RESERVED_SESSION_SLUGS:
        raise ValueError(f"{value!r} is reserved for the site's own pages")
    return value


SessionSlug = Annotated[Slug, AfterValidator(_not_reserved)]


class SessionSpeakerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    speaker: Slug = Field(description="The speaker's slug.")
    role: SpeakerRole = SpeakerRole.SPEAKER


SpeakerList = Annotated[list[SessionSpeakerIn], Field(max_length=100, description="In display order.")]


class SessionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: SessionSlug
    title: TranslatedLine
    abstract: TranslatedText = Field(default_factory=dict)
    kind: SessionKind = SessionKind.TALK
    language: LanguageCode | None = Field(default=None, description="Spoken language; the conference's by default.")
    track: Slug | None = Field(default=None, description="A track's slug.")
    stream: Slug | None = Field(default=None, description="A stream's slug.")
    starts_at: DateTimeText = Field(description="With an offset, or wall-clock time in the conference's zone.")
    ends_at: DateTimeText
    status: SessionStatus = SessionStatus.DRAFT
    capacity: Capacity | None = None
    meeting_url: WebUrl | None = Field(default=None, description="Secret; overrides the stream's meeting URL.")
    recording_url: WebUrl | None = Field(
        default=None, description="Where the join link leads registrants once the session has ended."
    )
    speakers: SpeakerList = Field(default_factory=list)


class SessionUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: TranslatedLine | None = omittable()
    abstract: TranslatedText | None = omittable()
    kind: SessionKind | None = omittable()
    language: LanguageCode | None = omittable()
    track: Slug | None = None
    stream: Slug | None = None
    starts_at: DateTimeText | None = omittable()
    ends_at: DateTimeText | None = omittable()
    status: SessionStatus | None = omittable()
    capacity: Capacity | None = None
    meeting_url: WebUrl | None = None
    recording_url: WebUrl | None = None
    speakers: SpeakerList | None = omittable()


class SessionStatusChange(BaseModel):
    """Several sessions to one status at once (confirming a batch of drafts): one programme change."""

    model_config = ConfigDict(extra="forbid")

    # Plain strings, so that a malformed slug is refused like an unknown one: ``sessions[i]``.
    sessions: Annotated[
        list[Annotated[str, StringConstraints(max_length=200)]],
        Field(min_length=1, max_length=1000, description="The sessions' slugs."),
    ]
    status: SessionStatus


class SessionSpeakerRead(BaseModel):
    slug: str
    name: str
    country: str | None = Field(description="ISO 3166-1 alpha-2; null when unknown.")
    country_name: str | None
    role: SpeakerRole


class SessionRead(BaseModel):
    slug: str
    guid: uuid.UUID
    title: dict[str, str]
    abstract: dict[str, str]
    kind: SessionKind
    language: str
    track: str | None
    stream: str | None
    starts_at: datetime = Field(description="In the conference's zone, with its offset.")
    ends_at: datetime
    timezone: str
    duration_minutes: int
    status: SessionStatus
    capacity: int | None
    revision: int = Field(description="Raised on every public change (iCalendar SEQUENCE).")
    changed_at: datetime
    speakers: list[SessionSpeakerRead]
    url: str


class SessionWarning(BaseModel):
    code: str = Field(
        description="Stable: speaker_night, speaker_double_booked, stream_overlap, outside_conference, "
        "speaker_without_zone."
    )
    message: str = Field(description="In the caller's language (Accept-Language; English otherwise).")
    speaker: str | None = Field(default=None, description="The speaker's slug, when the flag is about one.")
    other_session: str | None = Field(default=None, description="The other session's slug (double booking, overlap).")


class SessionOrganiserRead(SessionRead):
    meeting_url: str | None = Field(description="This session's own meeting URL (secret), if any.")
    recording_url: str | None = Field(description="The recording, shown to registrants after the session.")
    warnings: list[SessionWarning] = Field(
        description="The schedule's flags for this session, checked against the whole conference: a speaker's "
        "slot at night in their zone, a speaker booked twice at once, two sessions overlapping on a stream, a "
        "session outside the conference's days, a speaker without a zone."
    )
