"""The releases API's shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from confman.lib.validation import TranslatedText

ReleaseName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$"),
    Field(description='A name unique in the conference, e.g. "1.2" (letters, digits, ".", "_", "-").'),
]


class ReleaseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: ReleaseName
    note: TranslatedText = Field(default_factory=dict, description="An optional note per conference language.")


class ChangeRead(BaseModel):
    session: str
    kind: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    changed_at: datetime


class ReleaseRead(BaseModel):
    id: int
    name: str
    note: dict[str, str]
    programme_version: int
    change_count: int
    released_at: datetime
    released_by: str
    changes: list[ChangeRead]


class ReleasesRead(BaseModel):
    """The releases, newest first, and the changes no release has taken yet."""

    releases: list[ReleaseRead]
    unreleased: list[ChangeRead]
    frab_version: str
