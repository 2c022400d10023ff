from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from confman.db.models import MemberRole
from confman.lib.validation import Email, Line


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    password: Annotated[str, StringConstraints(min_length=1, max_length=1000)]
    name: Line = Field(default="API token", description="A label to tell tokens apart.")


class TokenRead(BaseModel):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenRead):
    token: str = Field(description="The secret. Shown once; only its hash is stored.")


class MemberCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    role: MemberRole = MemberRole.ORGANISER


class MemberRead(BaseModel):
    id: int
    email: str
    name: str
    role: MemberRole
