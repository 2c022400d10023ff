"""/orga/{conf}/registrations/{id}/: one registration: personal data, answers in the
organiser's language, status and waiting-list position, history (its outbox events and
e-mails), followed sessions, workshop seats and joins; and the organiser's actions.

Each action is a POST form calling the API's own service methods
(``RegistrationService.set_status``, ``.resend``) with the app's placement, in the request's
one transaction, so it writes the same rows and queues the same e-mails as the API: cancelling
gives the seat to the head of the waiting list, who is e-mailed. A refusal (no free seat, a
confirmed registration confirmed again, an unticked confirmation) raises ``FormRejected``:
the detail again with the message, 4xx, and the transaction rolls back.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from sqlalchemy import select

from confman.accounts.auth import AuthenticatedUser
from confman.conferences.access import ORGANISER, ConferenceAccessDependency
from confman.db.models import Conference, Event, MailStatus, Registration, RegistrationStatus, SeatStatus
from confman.db.transactions import DbSession
from confman.lib.countries import country_name
from confman.lib.errors import FieldError, FormRejected
from confman.lib.i18n import N_
from confman.orga.forms import INVALID, checkbox, text
from confman.orga.frame import NO_STORE, orga_context, orga_page, see_other
from confman.orga.registrations import STATUS_LABELS, label_in, language_label, moment, registrations_path
from confman.orga.session import flash
from confman.registration.placement import AppPlacement
from confman.registration.roster import history, mails, sessions_of
from confman.registration.schemas import Question, QuestionKind
from confman.registration.services import RegistrationService, RegistrationSettingsService
from confman.settings import AppSettings
from confman.site.serve import PageRendererDependency

DETAIL_TEMPLATE = "orga/registrations/detail.html"

EVENT_LABELS: dict[str, str] = {
    Event.REGISTRATION_CREATED: N_("Submitted"),
    Event.REGISTRATION_CONFIRMED: N_("Confirmed"),
    Event.REGISTRATION_WAITLISTED: N_("Put on the waiting list"),
    Event.REGISTRATION_PROMOTED: N_("Promoted from the waiting list"),
    Event.REGISTRATION_CANCELLED: N_("Cancelled"),
    Event.REGISTRATION_REPEATED: N_("Submitted again (already registered)"),
    Event.REGISTRATION_RESENT: N_("E-mail sent again by an organiser"),
    Event.SEAT_GRANTED: N_("Got a seat in a session"),
    Event.REMINDER_DUE: N_("Reminded of a session"),
    Event.ATTENDANCE_JOINED: N_("Joined a session"),
}
MAIL_LABELS: dict[str, str] = {
    "confirm_request": N_("Link to confirm the e-mail address"),
    "already_registered": N_("Already registered"),
    "confirmed": N_("Registration confirmed"),
    "waitlisted": N_("On the waiting list"),
    "promoted": N_("Promoted from the waiting list"),
    "placed": N_("Registration received"),
    "cancelled": N_("Registration cancelled"),
    "seat_promoted": N_("Seat in a session, from its waiting list"),
    "reminder": N_("Reminder of a session"),
}
MAIL_STATUS_LABELS: dict[str, str] = {
    MailStatus.PENDING: N_("Queued"),
    MailStatus.SENT: N_("Sent"),
    MailStatus.FAILED: N_("Failed"),
}
SEAT_LABELS: dict[str, str] = {
    SeatStatus.CONFIRMED: N_("Seat"),
    SeatStatus.WAITLISTED: N_("On the session's waiting list"),
    SeatStatus.CANCELLED: N_("Seat given up"),
}
# The actions' refusals, by the service's code.
ACTION_MESSAGES: dict[str, str] = {
    "no_free_seat": N_("No seat is free: raise the capacity first, or cancel another registration."),
    "invalid_transition": N_("A confirmed registration can only be cancelled."),
    "cancelled": N_("This registration is cancelled: there is nothing to send."),
    "confirm_cancel": N_("Tick the box to confirm that this registration is to be cancelled."),
}
DONE: dict[str, str] = {
    "confirmed": N_("The registration is confirmed; the attendee is e-mailed."),
    "promoted": N_("The registration is confirmed from the waiting list; the attendee is e-mailed."),
    "cancelled": N_("The registration is cancelled; the attendee is e-mailed."),
    "cancelled_promoted": N_(
        "The registration is cancelled; the attendee is e-mailed. The head of the waiting list got the seat "
        "and is e-mailed too."
    ),
    "resent": N_("The e-mail will be sent again, with a fresh link."),
}
YES, NO = N_("Yes"), N_("No")


def _answer(question: Question | None, value: Any, language: str, default: str, formatting: str) -> tuple[str, bool]:
    """An answer as shown: (text, whether the text is a message id to translate)."""
    if question is None or value is None:
        if isinstance(value, list):
            return ", ".join(str(item) for item in value), False
        return ("" if value is None else str(value)), False
    if question.kind is QuestionKind.YES_NO:
        return (YES if value else NO), True
    if question.kind is QuestionKind.COUNTRY:
        return country_name(str(value), formatting), False
    if question.kind in (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE):
        labels = {choice.key: label_in(choice.label, language, default, choice.key) for choice in question.choices}
        chosen = value if isinstance(value, list) else [value]
        return ", ".join(labels.get(str(key), str(key)) for key in chosen), False
    return str(value), False


def _answers(
    questions: list[Question], answers: dict[str, Any], language: str, default: str, formatting: str
) -> list[dict[str, Any]]:
    """The questions' answers in the questions' order, then answers to questions since removed."""
    shown = []
    keys = {question.key for question in questions}
    for question in questions:
        value, translate = _answer(question, answers.get(question.key), language, default, formatting)
        label = label_in(question.label, language, default, question.key)
        shown.append({"label": label, "value": value, "translate": translate, "key": question.key})
    for key in sorted(set(answers) - keys):
        value, translate = _answer(None, answers[key], language, default, formatting)
        shown.append({"label": key, "value": value, "translate": translate, "key": key})
    return shown


async def _detail_context(
    request: Request[Any, Any, Any],
    access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    settings: AppSettings,
    db: DbSession,
    registration: Registration,
) -> dict[str, Any]:
    """The page as plain data (it survives the rollback of a refused action)."""
    conference: Conference = access.conference
    context = orga_context(request, base_url=settings.base_url, user=organiser, access=access, section="registrations")
    viewer = context["viewer"]
    language, formatting, zone = viewer.language, viewer.formatting, conference.timezone
    default = conference.default_language
    service = RegistrationService(db, settings)
    rules = await RegistrationSettingsService(db).get(conference)
    events = await history(db, conference.id, registration.id)
    sent = await mails(db, registration.id)
    sessions = await sessions_of(db, registration.id, registration.follows_all)
    slug = conference.slug
    base = registrations_path(slug, f"{registration.id}/")

    def session_row(line: Any) -> dict[str, Any]:
        return {
            "title": conference.text(line.title, language) or line.slug,
            "starts": moment(line.starts_at, zone, formatting),
            "seat": line.seat,
            "first": moment(line.first_joined_at, zone, formatting),
            "last": moment(line.last_joined_at, zone, formatting),
            "joins": line.joins,
            "attendance_url": f"/orga/{slug}/attendance/{line.slug}/",
        }

    status = registration.status
    context.update(
        registration={
            "id": registration.id,
            "name": registration.name,
            "email": registration.email,
            "country": country_name(registration.country, formatting) if registration.country else "",
            "country_code": registration.country or "",
            "zone": registration.timezone,
            "language": language_label(registration.language, formatting),
            "status": status.value,
            "position": await service.position(registration),
            "registered": moment(registration.created_at, zone, formatting),
            "consented": moment(registration.consented_at, zone, formatting),
            "confirmed": moment(registration.confirmed_at, zone, formatting),
            "cancelled": moment(registration.cancelled_at, zone, formatting),
            "erased": registration.erased_at is not None,
        },
        answers=_answers(list(rules.questions), dict(registration.answers or {}), language, default, formatting),
        events=[
            {
                "label": EVENT_LABELS.get(event.name),
                "name": event.name,
                "at": moment(event.at, zone, formatting),
                "position": event.payload.get("position"),
                "session": event.payload.get("session"),
            }
            for event in events
        ],
        mails=[
            {
                "label": MAIL_LABELS.get(mail.kind),
                "kind": mail.kind,
                "status": mail.status,
                "queued": moment(mail.queued_at, zone, formatting),
                "sent": moment(mail.sent_at, zone, formatting),
                "attempts": mail.attempts,
            }
            for mail in sent
        ],
        follows_all=sessions.follows_all,
        followed=[session_row(line) for line in sessions.followed],
        seats=[session_row(line) for line in sessions.seats],
        joined=[session_row(line) for line in sessions.joined],
        zone=zone,
        status_labels=STATUS_LABELS,
        mail_status_labels=MAIL_STATUS_LABELS,
        seat_labels=SEAT_LABELS,
        can_confirm=status in (RegistrationStatus.PENDING, RegistrationStatus.WAITLISTED),
        can_cancel=status is not RegistrationStatus.CANCELLED,
        can_resend=status is not RegistrationStatus.CANCELLED and registration.erased_at is None,
        capacity=rules.capacity,
        status_url=base + "status",
        resend_url=base + "resend",
        list_url=registrations_path(slug),
        action_error=None,
    )
    return context


@get("/{conf:str}/registrations/{registration_id:int}/", name="orga:registration-detail", opt=ORGANISER)
async def registration_detail(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    registration_id: FromPath[int],
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    conference = conference_access.conference
    registration = await RegistrationService(db_session, settings).get(conference, registration_id)
    context = await _detail_context(request, conference_access, organiser, settings, db_session, registration)
    return orga_page(page_renderer, DETAIL_TEMPLATE, context)


async def _refuse(
    request: Request[Any, Any, Any],
    access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    settings: AppSettings,
    db: DbSession,
    registration: Registration,
    error: FieldError,
) -> FormRejected:
    """The detail again with the refusal's words; raising it rolls the request back. Nothing
    was flushed before a refusal, so the page shows what stays."""
    context = await _detail_context(request, access, organiser, settings, db, registration)
    context["action_error"] = ACTION_MESSAGES.get(error.code, INVALID)
    return FormRejected(DETAIL_TEMPLATE, context, error.status_code, NO_STORE)


@post(
    "/{conf:str}/registrations/{registration_id:int}/status",
    name="orga:registration-status",
    opt=ORGANISER,
    status_code=303,
)
async def registration_status(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    registration_id: FromPath[int],
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
    placement: AppPlacement,
) -> Response[Any]:
    """Confirm (pending or waiting → confirmed) or cancel (``status``), as the API's PATCH does."""
    conference = conference_access.conference
    service = RegistrationService(db_session, settings, placement)
    registration = await service.get(conference, registration_id)
    form = await request.form()
    wanted, before = text(form, "status"), registration.status
    head = None
    try:
        if wanted == RegistrationStatus.CANCELLED and not checkbox(form, "confirm"):
            raise FieldError("confirm", "confirm_cancel", "tick the box to confirm")
        if wanted not in (RegistrationStatus.CONFIRMED, RegistrationStatus.CANCELLED):
            raise FieldError("status", "invalid", "confirmed or cancelled")
        if wanted == RegistrationStatus.CANCELLED and before is RegistrationStatus.CONFIRMED:
            # Who would get the seat (for the message only; the service decides under its lock).
            head = await db_session.scalar(
                select(Registration)
                .where(
                    Registration.conference_id == conference.id, Registration.status == RegistrationStatus.WAITLISTED
                )
                .order_by(Registration.waitlist_seq)
                .limit(1)
            )
        await service.set_status(conference, registration, RegistrationStatus(wanted))
    except FieldError as error:
        raise await _refuse(request, conference_access, organiser, settings, db_session, registration, error) from None
    if wanted == RegistrationStatus.CONFIRMED:
        done = "promoted" if before is RegistrationStatus.WAITLISTED else "confirmed"
    else:
        done = "cancelled_promoted" if head is not None and head.status is RegistrationStatus.CONFIRMED else "cancelled"
    flash(request, DONE[done])
    return see_other(registrations_path(conference.slug, f"{registration_id}/"))


@post(
    "/{conf:str}/registrations/{registration_id:int}/resend",
    name="orga:registration-resend",
    opt=ORGANISER,
    status_code=303,
)
async def registration_resend(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    registration_id: FromPath[int],
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
) -> Response[Any]:
    """The status e-mail (or the link to confirm) again, with a fresh link: the API's resend."""
    conference = conference_access.conference
    service = RegistrationService(db_session, settings)
    registration = await service.get(conference, registration_id)
    try:
        await service.resend(conference, registration)
    except FieldError as error:
        raise await _refuse(request, conference_access, organiser, settings, db_session, registration, error) from None
    flash(request, DONE["resent"])
    return see_other(registrations_path(conference.slug, f"{registration_id}/"))


HANDLERS = [registration_detail, registration_status, registration_resend]
