"""/api/v1/conferences/{conf}/registrations: the public submit and the organisers' management.

The public submit is a JSON-only POST that no cookie authorises, so it is exempt from CSRF
(a forged cross-site request could do nothing the forger could not do directly).
"""

from __future__ import annotations

import csv
import io
from typing import Annotated

from litestar import Controller, Response, get, patch, post, put
from litestar.di import Provide
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_202_ACCEPTED

from confman.accounts.auth import BEARER, AuthenticatedUser, CurrentUser, provide_organiser
from confman.conferences.services import ConferenceService
from confman.db.models import Conference, Registration, RegistrationStatus
from confman.db.transactions import DbSession
from confman.lib.errors import FieldError
from confman.lib.openapi import READ_ERRORS, WRITE_ERRORS
from confman.registration.placement import AppPlacement, Outcome, commit_placement
from confman.registration.rules import EffectiveSettings, RegistrationClosed
from confman.registration.schemas import (
    RegistrationCounts,
    RegistrationCreate,
    RegistrationRead,
    RegistrationSettingsRead,
    RegistrationSettingsWrite,
    RegistrationStatusUpdate,
    SubmitResult,
    TokenInput,
)
from confman.registration.services import RegistrationService, RegistrationSettingsService
from confman.registration.submit import AppSubmitTargets, Submission
from confman.settings import AppSettings

ORGANISER = {"organiser": Provide(provide_organiser)}
SUBMIT_ERRORS = [*WRITE_ERRORS, RegistrationClosed]

MESSAGES = {
    "check_email": "Check your e-mail: we sent a link to confirm your registration.",
    "confirmed": "You are registered.",
    "waitlisted": "The conference is full; you are on the waiting list.",
    "full": "The conference is full.",
    "cancelled": "This registration is cancelled.",
}


def submit_result(outcome: Outcome) -> SubmitResult:
    return SubmitResult(result=outcome.result, message=MESSAGES[outcome.result], position=outcome.position)


def settings_read(rules: EffectiveSettings) -> RegistrationSettingsRead:
    return RegistrationSettingsRead(
        opens_at=rules.opens_at,
        closes_at=rules.closes_at,
        capacity=rules.capacity,
        waitlist=rules.waitlist,
        double_opt_in=rules.double_opt_in,
        privacy_text=rules.privacy_text,
        questions=rules.questions,
        join_opens_minutes=rules.join_opens_minutes,
        join_closes_minutes=rules.join_closes_minutes,
        reminder_minutes=rules.reminder_minutes,
    )


def registration_read(registration: Registration, positions: dict[int, int]) -> RegistrationRead:
    return RegistrationRead(
        id=registration.id,
        name=registration.name,
        email=registration.email,
        country=registration.country,
        timezone=registration.timezone,
        language=registration.language,
        answers=registration.answers,
        status=registration.status,
        waitlist_position=positions.get(registration.id),
        created_at=registration.created_at,
        confirmed_at=registration.confirmed_at,
        cancelled_at=registration.cancelled_at,
    )


# A spreadsheet runs a cell that starts with one of these as a formula (OWASP: CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def csv_cell(value: object) -> str:
    text = "" if value is None else ("yes" if value is True else "no" if value is False else str(value))
    if isinstance(value, list):
        text = "; ".join(str(item) for item in value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def registrations_csv(
    conference: Conference, rows: list[Registration], positions: dict[int, int], keys: list[str]
) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        ["id", "name", "email", "country", "timezone", "language", "status", "waitlist_position",
         "registered_at", "confirmed_at", "cancelled_at", *(f"answer:{key}" for key in keys)]
    )  # fmt: skip
    for row in rows:
        writer.writerow(
            [csv_cell(value) for value in (
                row.id, row.name, row.email, row.country, row.timezone, row.language, row.status.value,
                positions.get(row.id), row.created_at.isoformat(),
                row.confirmed_at.isoformat() if row.confirmed_at else None,
                row.cancelled_at.isoformat() if row.cancelled_at else None,
                *(row.answers.get(key) for key in keys),
            )]
        )  # fmt: skip
    return out.getvalue()


class RegistrationController(Controller):
    path = "/api/v1/conferences/{conf:str}"
    tags = ["Registrations"]

    @post(
        "/registrations",
        summary="Register (public). Under double opt-in the answer never says whether the address was known.",
        raises=SUBMIT_ERRORS,
        status_code=HTTP_202_ACCEPTED,
    )
    async def submit_registration(
        self,
        conf: FromPath[str],
        data: JSONBody[RegistrationCreate],
        db_session: DbSession,
        settings: AppSettings,
        placement: AppPlacement,
        submit_targets: AppSubmitTargets,
    ) -> Response[SubmitResult]:
        submission = Submission(db_session, settings, placement, submit_targets)
        outcome = await commit_placement(db_session, await submission.submit_to(conf, data))
        if outcome.result == "full":
            raise RegistrationClosed("full", MESSAGES["full"])
        status = HTTP_202_ACCEPTED if outcome.result == "check_email" else HTTP_201_CREATED
        return Response(submit_result(outcome), status_code=status)

    @post("/registrations/confirm", summary="Confirm an e-mail address (double opt-in)", raises=SUBMIT_ERRORS)
    async def confirm_registration(
        self,
        conf: FromPath[str],
        data: JSONBody[TokenInput],
        db_session: DbSession,
        settings: AppSettings,
        placement: AppPlacement,
    ) -> SubmitResult:
        access = await ConferenceService(db_session).access(conf, None)
        submission = Submission(db_session, settings, placement)
        return submit_result(
            await commit_placement(db_session, await submission.confirm(access.conference, data.token))
        )

    @post("/registrations/cancel", summary="Cancel with the attendee's private token", raises=READ_ERRORS)
    async def cancel_registration(
        self,
        conf: FromPath[str],
        data: JSONBody[TokenInput],
        db_session: DbSession,
        settings: AppSettings,
        placement: AppPlacement,
    ) -> SubmitResult:
        access = await ConferenceService(db_session).access(conf, None)
        await RegistrationService(db_session, settings, placement).cancel_by_token(access.conference, data.token)
        return submit_result(Outcome("cancelled"))

    @get("/registration-settings", summary="Registration rules and questions", raises=READ_ERRORS)
    async def get_registration_settings(
        self, conf: FromPath[str], db_session: DbSession, current_user: CurrentUser
    ) -> RegistrationSettingsRead:
        access = await ConferenceService(db_session).access(conf, current_user)
        return settings_read(await RegistrationSettingsService(db_session).get(access.conference))

    @put(
        "/registration-settings",
        summary="Replace the registration rules (more seats promote from the waiting list)",
        dependencies=ORGANISER,
        security=BEARER,
        raises=WRITE_ERRORS,
    )
    async def put_registration_settings(
        self,
        conf: FromPath[str],
        data: JSONBody[RegistrationSettingsWrite],
        organiser: AuthenticatedUser,
        db_session: DbSession,
        settings: AppSettings,
        placement: AppPlacement,
    ) -> RegistrationSettingsRead:
        access = await ConferenceService(db_session).access(conf, organiser, write=True)
        rules = await RegistrationSettingsService(db_session).replace(access.conference, data, settings, placement)
        return settings_read(rules)

    @get(
        "/registrations",
        summary="Registrations: filter by status and country, search name and e-mail",
        dependencies=ORGANISER,
        security=BEARER,
        raises=WRITE_ERRORS,
    )
    async def list_registrations(
        self,
        conf: FromPath[str],
        organiser: AuthenticatedUser,
        db_session: DbSession,
        settings: AppSettings,
        status: FromQuery[RegistrationStatus | None] = None,
        country: Annotated[str | None, QueryParameter(max_length=2)] = None,
        q: Annotated[str | None, QueryParameter(max_length=200)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> list[RegistrationRead]:
        access = await ConferenceService(db_session).access(conf, organiser, write=True)
        if q is not None and "\x00" in q:
            raise FieldError("q", "control_characters", "must not contain control characters (such as NUL)")
        service = RegistrationService(db_session, settings)
        rows = await service.find(
            access.conference, status=status, country=country, search=q, limit=limit, offset=offset
        )
        positions = await service.positions(access.conference)
        return [registration_read(row, positions) for row in rows]

    @get(
        "/registrations/counts",
        summary="How many registrations, by status and by country",
        dependencies=ORGANISER,
        security=BEARER,
        raises=WRITE_ERRORS,
    )
    async def registration_counts(
        self, conf: FromPath[str], organiser: AuthenticatedUser, db_session: DbSession, settings: AppSettings
    ) -> RegistrationCounts:
        access = await ConferenceService(db_session).access(conf, organiser, write=True)
        service = RegistrationService(db_session, settings)
        by_status = await service.counts(access.conference)
        rules = await RegistrationSettingsService(db_session).get(access.conference)
        return RegistrationCounts(
            by_status={status.value: count for status, count in by_status.items()},
            by_country=await service.counts_by_country(access.conference),
            capacity=rules.capacity,
        )

    @get(
        "/registrations/export.csv",
        summary="Every registration as CSV (cells that a spreadsheet would run as formulas are quoted)",
        dependencies=ORGANISER,
        security=BEARER,
        raises=WRITE_ERRORS,
        media_type="text/csv",
    )
    async def export_registrations(
        self, conf: FromPath[str], organiser: AuthenticatedUser, db_session: DbSession, settings: AppSettings
    ) -> Response[str]:
        access = await ConferenceService(db_session).access(conf, organiser, write=True)
        service = RegistrationService(db_session, settings)
        rules = await RegistrationSettingsService(db_session).get(access.conference)
        rows = await service.find(access.conference)
        body = registrations_csv(
            access.conference, rows, await service.positions(access.conference), [q.key for q in rules.questions]
        )
        return Response(
            body,
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{access.conference.slug}-registrations.csv"'},
        )

    @get("/registrations/{registration_id:int}", summary="One registration", dependencies=ORGANISER, security=BEARER)
    async def get_registration(
        self,
        conf: FromPath[str],
        registration_id: FromPath[int],
        organiser: AuthenticatedUser,
        db_session: DbSession,
        settings: AppSettings,
    ) -> RegistrationRead:
        access = await ConferenceService(db_session).access(conf, organiser, write=True)
        service = RegistrationService(db_session, settings)
        registration = await service.get(access.conference, registration_id)
        return registration_read(registration, await service.positions(access.conference))

    @patch(
        "/registrations/{registration_id:int}",
        summary="Change a status (cancelling promotes from the waiting list; never beyond capacity)",
        dependencies=ORGANISER,
        security=BEARER,
        raises=WRITE_ERRORS,
    )
    async def update_registration(
        self,
        conf: FromPath[str],
        registration_id: FromPath[int],
        data: JSONBody[RegistrationStatusUpdate],
        organiser: AuthenticatedUser,
        db_session: DbSession,
        settings: AppSettings,
        placement: AppPlacement,
    ) -> RegistrationRead:
        access = await ConferenceService(db_session).access(conf, organiser, write=True)
        service = RegistrationService(db_session, settings, placement)
        registration = await service.get(access.conference, registration_id)
        await service.set_status(access.conference, registration, data.status)
        return registration_read(registration, await service.positions(access.conference))

    @post(
        "/registrations/{registration_id:int}/resend",
        summary="Send the confirmation e-mail again (with a fresh link)",
        dependencies=ORGANISER,
        security=BEARER,
        raises=WRITE_ERRORS,
        status_code=HTTP_202_ACCEPTED,
    )
    async def resend_confirmation(
        self,
        conf: FromPath[str],
        registration_id: FromPath[int],
        organiser: AuthenticatedUser,
        db_session: DbSession,
        settings: AppSettings,
    ) -> None:
        access = await ConferenceService(db_session).access(conf, organiser, write=True)
        service = RegistrationService(db_session, settings)
        await service.resend(access.conference, await service.get(access.conference, registration_id))
