"""The whole-conference file format, ``confman.conference/1``.

Every field the export writes is required on import, so a truncated or hand-edited
file fails loudly instead of silently getting defaults. Unknown keys are refused for
the same reason: a file that round-trips must not carry data that import drops.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from confman.conferences.schemas import Colour, EmbedOrigins
from confman.db.models import ConferenceStatus, SessionKind, SessionStatus, SpeakerRole
from confman.lib.images import check_prepared
from confman.lib.validation import (
    CountryCode,
    Email,
    LanguageCode,
    Line,
    Slug,
    TranslatedLine,
    TranslatedText,
    WebUrl,
    ZoneName,
)
from confman.registration.schemas import RegistrationSettingsWrite

FORMAT = "confman.conference/1"

_WEB_URL = TypeAdapter(WebUrl)


def _web_url_kept_verbatim(value: str) -> str:
    # Validated as a WebUrl, but stored as written: pydantic normalises URLs (adds a
    # trailing slash, re-encodes), which would make a re-export differ from the file.
    try:
        _WEB_URL.validate_python(value)
    except ValidationError as error:
        raise ValueError(error.errors()[0]["msg"]) from None
    return value


Url = Annotated[str, AfterValidator(_web_url_kept_verbatim)]
Position = Annotated[int, Field(ge=0, le=10_000)]
Capacity = Annotated[int, Field(ge=1, le=1_000_000)]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LogoRecord(_Record):
    """The logo as stored (already checked and re-encoded on upload), in base64."""

    content_type: Literal["image/jpeg", "image/png", "image/webp"]
    data: str

    def image(self) -> tuple[bytes, int, int]:
        """The bytes and size, or ValueError."""
        try:
            raw = base64.b64decode(self.data, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("conference.logo.data: not base64") from None
        width, height = check_prepared(raw, self.content_type, "conference.logo.data")
        return raw, width, height


class ConferenceRecord(_Record):
    guid: uuid.UUID
    slug: Slug
    title: TranslatedLine
    description: TranslatedText
    timezone: ZoneName
    default_language: LanguageCode
    languages: Annotated[list[LanguageCode], Field(min_length=1, max_length=50)]
    status: ConferenceStatus
    starts_on: date
    ends_on: date
    programme_version: Annotated[int, Field(ge=1)]
    programme_changed_at: AwareDatetime
    # Added after the format's first files: absent means none (those files still import).
    accent_color: Colour | None = None
    embed_origins: EmbedOrigins = Field(default_factory=list)
    logo: LogoRecord | None = None


class TrackRecord(_Record):
    slug: Slug
    name: TranslatedLine
    color: Colour | None
    position: Position


class StreamRecord(_Record):
    guid: uuid.UUID
    slug: Slug
    name: Line
    public_url: Url | None
    meeting_url: Url | None
    position: Position


class SpeakerLinkRecord(_Record):
    title: Line
    url: Url


class SpeakerRecord(_Record):
    guid: uuid.UUID
    slug: Slug
    name: Line
    country: CountryCode | None
    timezone: ZoneName | None
    bio: TranslatedText
    links: Annotated[list[SpeakerLinkRecord], Field(max_length=20)]
    # Organisers' private address (release e-mails). Optional: files exported before it existed import.
    email: Email | None = None


class SessionSpeakerRecord(_Record):
    speaker: Slug = Field(description="A speaker's slug in this file.")
    role: SpeakerRole


class SessionRecord(_Record):
    guid: uuid.UUID
    slug: Slug
    title: TranslatedLine
    abstract: TranslatedText
    kind: SessionKind
    language: LanguageCode
    track: Slug | None = Field(description="A track's slug in this file.")
    stream: Slug | None = Field(description="A stream's slug in this file.")
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    status: SessionStatus
    capacity: Capacity | None
    meeting_url: Url | None
    recording_url: Url | None = None
    revision: Annotated[int, Field(ge=0)]
    changed_at: AwareDatetime
    speakers: Annotated[list[SessionSpeakerRecord], Field(max_length=100)] = Field(description="In display order.")


class ConferenceFile(_Record):
    """A whole conference, as written by ``export_conference``."""

    format: Literal["confman.conference/1"]
    conference: ConferenceRecord
    tracks: list[TrackRecord]
    streams: list[StreamRecord]
    speakers: list[SpeakerRecord]
    sessions: list[SessionRecord]
    # Absent (null) in files written before the rules were exported, and for conferences whose
    # organisers never set them: the defaults apply.
    registration_settings: RegistrationSettingsWrite | None = None
