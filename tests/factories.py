"""Factories: real rows through the real services, never mocks."""

from __future__ import annotations

import functools
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from confman.accounts.services import TokenService
from confman.cli import unit_of_work
from confman.db.base import Base
from confman.db.engine import create_engine
from confman.db.models import User
from confman.settings import Settings

PASSWORD = "correct horse battery staple"


def database(settings: Settings) -> AbstractAsyncContextManager[AsyncSession]:
    """A committed unit of work against the test database (the CLI's own)."""
    return unit_of_work(settings)


async def truncate_all(settings: Settings) -> None:
    tables = [table.name for table in reversed(Base.metadata.sorted_tables)]
    engine = create_engine(settings)
    try:
        async with engine.begin() as connection:
            if settings.is_sqlite:
                for table in tables:
                    await connection.execute(text(f'DELETE FROM "{table}"'))
            else:
                # DELETE and a restart of each identity, in one round trip: ten times quicker than
                # TRUNCATE (which makes new files for every table) on tables this small.
                statements = [f'DELETE FROM "{table}"' for table in tables] + [
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), 1, false)" for table in tables
                ]
                raw = await connection.get_raw_connection()
                await raw.driver_connection.execute("; ".join(statements))
    finally:
        await engine.dispose()


@functools.cache
def password_hash() -> str:
    return PasswordHasher().hash(PASSWORD)


@dataclass
class Organiser:
    email: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @classmethod
    async def create(cls, settings: Settings, email: str) -> Organiser:
        async with database(settings) as session:
            # The account as UserService.create makes it, with PASSWORD's argon2 hash made once per
            # process (hashing costs about a tenth of a second; signing in still verifies it).
            user = User(email=email.strip().lower(), name=email.split("@")[0].title(), password_hash=password_hash())
            session.add(user)
            await session.flush()
            _, secret = await TokenService(session).issue(user, "tests")
        return cls(email=email, token=secret)


def conference_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "slug": "climate-2027",
        "title": {"en": "The Revolutionary Alternative", "ru": "Революционная альтернатива"},
        "description": {"en": "An online conference."},
        "timezone": "Europe/London",
        "default_language": "en",
        "languages": ["en", "es", "fr", "ru"],
        "status": "published",
        "starts_on": "2027-11-14",
        "ends_on": "2027-11-14",
    }
    payload.update(overrides)
    return payload


def speaker_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {"slug": "alex-callinicos", "name": "Alex Callinicos", "country": "GB"}
    payload.update(overrides)
    return payload


def session_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "slug": "limits-of-cop26",
        "title": {"en": "The Limits of COP26 and Capitalist Solutions"},
        "starts_at": "2027-11-14T10:00:00+00:00",
        "ends_at": "2027-11-14T11:30:00+00:00",
        "status": "confirmed",
    }
    payload.update(overrides)
    return payload


async def post_ok(client: Any, organiser: Organiser, path: str, payload: Any) -> dict[str, Any]:
    """POST as an organiser and insist on 201 Created."""
    response = await client.post(path, json=payload, headers=organiser.headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def registration_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "name": "Rosa Attendee",
        "email": "rosa@example.org",
        "country": "BR",
        "timezone": "America/Sao_Paulo",
        "language": "es",
        "answers": {},
        "consent": True,
    }
    payload.update(overrides)
    return payload


def registration_settings_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "capacity": None,
        "waitlist": True,
        "double_opt_in": True,
        "privacy_text": {"en": "We keep your name and e-mail until the conference is over."},
        "questions": [],
    }
    payload.update(overrides)
    return payload


async def put_registration_settings(client: Any, organiser: Organiser, slug: str, **overrides: Any) -> None:
    response = await client.put(
        f"/api/v1/conferences/{slug}/registration-settings",
        json=registration_settings_payload(**overrides),
        headers=organiser.headers,
    )
    assert response.status_code == 200, response.text


async def outbox(settings: Settings) -> list[Any]:
    """Every queued e-mail, oldest first."""
    from sqlalchemy import select

    from confman.db.models import OutboxMail

    async with database(settings) as session:
        return list(await session.scalars(select(OutboxMail).order_by(OutboxMail.id)))


async def registrations(settings: Settings) -> list[Any]:
    from sqlalchemy import select

    from confman.db.models import Registration

    async with database(settings) as session:
        return list(await session.scalars(select(Registration).order_by(Registration.id)))


def token_from(url: str) -> str:
    """The private token at the end of a confirmation, cancel or attendee link."""
    return url.rstrip("/").rsplit("/", 1)[-1]
