"""What organisers read of attendance (the API's answers; the pages show the same figures)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class SessionAttendanceRead(BaseModel):
    session: str
    title: dict[str, str]
    starts_at: datetime
    capacity: int | None
    registered: int = Field(description="Confirmed registrants the join gate lets in (seats, for a capacity).")
    joined: int = Field(description="Registrants who joined at least once.")
    joins: int = Field(description="Every pass through the join gate.")


class AttendeeJoinRead(BaseModel):
    registration_id: int
    name: str
    email: str
    first_joined_at: datetime
    last_joined_at: datetime
    joins: int


class SessionAttendeesRead(SessionAttendanceRead):
    attendees: list[AttendeeJoinRead]
