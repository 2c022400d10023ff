"""/api/v1/conferences/{conf}/registrations: the public submit and the organisers' management.

The public submit is a JSON-only POST that no cookie authorises, so it is exempt from CSRF
(a forged cross-site request could do nothing the forger could not do directly). Its path
has a controller of its own, which ``registration/routes.py`` puts behind the submit rate
limit together with the form's path. Confirm and cancel act for no one (the private token
in the body is the authority): they do not read the caller's token at all.
"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get, patch, post, put
from litestar.exceptions import NotFoundException, ValidationException
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_202_ACCEPTED

from confman.accounts.auth import BEARER, NOBODY
from confman.conferences.access import ORGANISER, PUBLIC, READ, ConferenceAccessDependency
from confman.db.models import Registration, RegistrationStatus
from confman.db.transactions import DbSession
from confman.lib.countries import known_countries
from confman.lib.openapi import RATE_LIMITED, READ_ERRORS, WRITE_ERRORS, query_values
from confman.lib.timezones import known_zones
from confman.registration.export import csv_filename, registrations_csv
from confman.registration.filters import parse
from confman.registration.placement import AppPlacement, Outcome, commit_placement
from confman.registration.roster import positions_of
from confman.registration.rules import EffectiveSettings, RegistrationClosed
from confman.registration.schemas import (
    RegistrationCounts,
    RegistrationCreate,
    RegistrationRead,
    RegistrationSettingsRead,
    RegistrationSettingsUpdate,
    RegistrationSettingsWrite,
    RegistrationStatusUpdate,
    SubmitResult,
    TokenInput,
)
from confman.registration.services import RegistrationService, RegistrationSettingsService
from confman.registration.submit import AppSubmitTargets, Submission
from confman.settings import AppSettings

# Public: no 401; its one 409 is "registration is closed" (ConflictError's shape is the same, and
# listing both made the document's 409 a oneOf of two identical schemas).
SUBMIT_ERRORS = [ValidationException, NotFoundException, RegistrationClosed]

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


async def _position_of(service: RegistrationService, registration: Registration) -> dict[int, int]:
    """The one registration's waiting-list position, as ``registration_read`` takes positions."""
    position = await service.position(registration)
    return {registration.id: position} if position is not None else {}


class RegistrationSubmitController(Controller):
    """The submit's path: POST registers (rate-limited, with the form's submit), GET lists."""

    path = "/api/v1/conferences/{conf:str}"
    tags = ["Registrations"]

    @post(
        "/registrations",
        summary="Register (public). Under double opt-in the answer never says whether the address was known.",
        # The service reads the conference with its rules in one query: published ones only.
        opt=PUBLIC,
        raises=SUBMIT_ERRORS,
        responses=RATE_LIMITED,
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

    @get(
        "/registrations",
        summary="Registrations: filter by status and country, search name and e-mail",
        opt=ORGANISER,
        security=BEARER,
        raises=WRITE_ERRORS,
    )
    async def list_registrations(
        self,
        conference_access: ConferenceAccessDependency,
        db_session: DbSession,
        settings: AppSettings,
        status: FromQuery[RegistrationStatus | None] = None,
        country: Annotated[
            str | None,
            QueryParameter(
                max_length=2, description="ISO 3166-1 alpha-2", schema_extra=query_values(known_countries())
            ),
        ] = None,
        zone: Annotated[
            str | None,
            QueryParameter(max_length=64, description="IANA time zone", schema_extra=query_values(known_zones())),
        ] = None,
        q: Annotated[str | None, QueryParameter(max_length=200)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> list[RegistrationRead]:
        conference, service = conference_access.conference, RegistrationService(db_session, settings)
        rules = await RegistrationSettingsService(db_session).get(conference)
        audience = parse(
            {"status": status.value if status else None, "country": country, "zone": zone, "q": q},
            rules.questions,
        )
        rows = await service.find(conference, audience, limit=limit, offset=offset)
        # Only the page's waiting rows are ranked (not the whole waiting list on every page).
        waiting = {row.id: row.waitlist_seq for row in rows if row.waitlist_seq is not None}
        positions = await positions_of(db_session, conference.id, waiting)
        return [registration_read(row, positions) for row in rows]


class RegistrationLinkController(Controller):
    path = "/api/v1/conferences/{conf:str}"
    tags = ["Registrations"]
    opt = PUBLIC
    dependencies = NOBODY

    @post("/registrations/confirm", summary="Confirm an e-mail address (double opt-in)", raises=SUBMIT_ERRORS)
    async def confirm_registration(
        self,
        conference_access: ConferenceAccessDependency,
        data: JSONBody[TokenInput],
        db_session: DbSession,
        settings: AppSettings,
        placement: AppPlacement,
    ) -> SubmitResult:
        submission = Submission(db_session, settings, placement)
        placed = await submission.confirm(conference_access.conference, data.token)
        return submit_result(await commit_placement(db_session, placed))

    @post("/registrations/cancel", summary="Cancel with the attendee's private token", raises=READ_ERRORS)
    async def cancel_registration(
        self,
        conference_access: ConferenceAccessDependency,
        data: JSONBody[TokenInput],
        db_session: DbSession,
        settings: AppSettings,
        placement: AppPlacement,
    ) -> SubmitResult:
        service = RegistrationService(db_session, settings, placement)
        await service.cancel_by_token(conference_access.conference, data.token)
        return submit_result(Outcome("cancelled"))


class RegistrationController(Controller):
    path = "/api/v1/conferences/{conf:str}"
    tags = ["Registrations"]

    @get("/registration-settings", summary="Registration rules and questions", opt=READ, raises=READ_ERRORS)
    async def get_registration_settings(
        self, conference_access: ConferenceAccessDependency, db_session: DbSession
    ) -> RegistrationSettingsRead:
        return settings_read(await RegistrationSettingsService(db_session).get(conference_access.conference))

    @put(
        "/registration-settings",
        summary=(
            "Replace all the registration rules: a field left out takes its default, so a PUT without "
            "questions removes them (PATCH changes only what it names; more seats promote from the waiting list)"
        ),
        opt=ORGANISER,
        security=BEARER,
        raises=WRITE_ERRORS,
    )
    async def put_registration_settings(
        self,
        conference_access: ConferenceAccessDependency,
        data: JSONBody[RegistrationSettingsWrite],
        db_session: DbSession,
        settings: AppSettings,
        placement: AppPlacement,
    ) -> RegistrationSettingsRead:
        service = RegistrationSettingsService(db_session)
        return settings_read(await service.replace(conference_access.conference, data, settings, placement))

    @patch(
        "/registration-settings",
        summary=(
            "Change some registration rules: only the fields sent change; null clears opens_at, closes_at, "
            "capacity or reminder_minutes (more seats promote from the waiting list)"
        ),
        opt=ORGANISER,
        security=BEARER,
        raises=WRITE_ERRORS,
    )
    async def patch_registration_settings(
        self,
        conference_access: ConferenceAccessDependency,
        data: JSONBody[RegistrationSettingsUpdate],
        db_session: DbSession,
        settings: AppSettings,
        placement: AppPlacement,
    ) -> RegistrationSettingsRead:
        service = RegistrationSettingsService(db_session)
        return settings_read(await service.update(conference_access.conference, data, settings, placement))

    @get(
        "/registrations/counts",
        summary="How many registrations, by status and by country",
        opt=ORGANISER,
        security=BEARER,
        raises=WRITE_ERRORS,
    )
    async def registration_counts(
        self, conference_access: ConferenceAccessDependency, db_session: DbSession, settings: AppSettings
    ) -> RegistrationCounts:
        conference, service = conference_access.conference, RegistrationService(db_session, settings)
        by_status = await service.counts(conference)
        rules = await RegistrationSettingsService(db_session).get(conference)
        return RegistrationCounts(
            by_status={status.value: count for status, count in by_status.items()},
            by_country=await service.counts_by_country(conference),
            capacity=rules.capacity,
        )

    @get(
        "/registrations/export.csv",
        summary="Every registration as CSV (cells that a spreadsheet would run as formulas are quoted)",
        opt=ORGANISER,
        security=BEARER,
        raises=WRITE_ERRORS,
        # The CSV's media type is its answer's (below), not the route's: Litestar gives a route's
        # media type to its errors too, and a 401 came as JSON labelled text/csv.
        responses={
            200: ResponseSpec(
                data_container=str, media_type="text/csv", description="The registrations", generate_examples=False
            )
        },
    )
    async def export_registrations(
        self, conference_access: ConferenceAccessDependency, db_session: DbSession, settings: AppSettings
    ) -> Response[str]:
        conference, service = conference_access.conference, RegistrationService(db_session, settings)
        rules = await RegistrationSettingsService(db_session).get(conference)
        rows = await service.find(conference)
        body = registrations_csv(
            conference, rows, await service.positions(conference), [q.key for q in rules.questions]
        )
        return Response(
            body,
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{csv_filename(conference)}"'},
        )

    @get(
        "/registrations/{registration_id:int}",
        summary="One registration",
        opt=ORGANISER,
        security=BEARER,
        raises=READ_ERRORS,
    )
    async def get_registration(
        self,
        conference_access: ConferenceAccessDependency,
        registration_id: FromPath[int],
        db_session: DbSession,
        settings: AppSettings,
    ) -> RegistrationRead:
        conference, service = conference_access.conference, RegistrationService(db_session, settings)
        registration = await service.get(conference, registration_id)
        return registration_read(registration, await _position_of(service, registration))

    @patch(
        "/registrations/{registration_id:int}",
        summary="Change a status (cancelling promotes from the waiting list; never beyond capacity)",
        opt=ORGANISER,
        security=BEARER,
        raises=WRITE_ERRORS,
    )
    async def update_registration(
        self,
        conference_access: ConferenceAccessDependency,
        registration_id: FromPath[int],
        data: JSONBody[RegistrationStatusUpdate],
        db_session: DbSession,
        settings: AppSettings,
        placement: AppPlacement,
    ) -> RegistrationRead:
        conference, service = conference_access.conference, RegistrationService(db_session, settings, placement)
        registration = await service.get(conference, registration_id)
        await service.set_status(conference, registration, data.status)
        return registration_read(registration, await _position_of(service, registration))

    @post(
        "/registrations/{registration_id:int}/resend",
        summary="Send the confirmation e-mail again (with a fresh link)",
        opt=ORGANISER,
        security=BEARER,
        raises=WRITE_ERRORS,
        status_code=HTTP_202_ACCEPTED,
    )
    async def resend_confirmation(
        self,
        conference_access: ConferenceAccessDependency,
        registration_id: FromPath[int],
        db_session: DbSession,
        settings: AppSettings,
    ) -> None:
        conference, service = conference_access.conference, RegistrationService(db_session, settings)
        await service.resend(conference, await service.get(conference, registration_id))
