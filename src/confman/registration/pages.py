"""The registration pages: the form (GET shows, POST submits), and the confirm and cancel
pages that private links open (GET shows a button, POST acts, so mail scanners that follow
links change nothing).

A refused form raises :class:`~confman.lib.errors.FormRejected`, so nothing of the request
stays (the transaction rolls back), and comes back with the input kept and a message next to
each wrong field, chosen by the refusal's code (``FieldError.code``, ``RegistrationClosed.reason``)
in the visitor's language. Every form carries Litestar's CSRF token; a form that fails the
check (forged, stale or missing token) comes back with the input kept, a fresh token and a
message to submit again (403, nothing written). Pages with a token in their URL are never
cached and send no referrer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.exceptions import HTTPException, NotFoundException
from litestar.params import FromPath
from litestar.status_codes import (
    HTTP_200_OK,
    HTTP_400_BAD_REQUEST,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
)
from pydantic import ValidationError

from confman.conferences.services import ConferenceService
from confman.db.models import Conference, TokenPurpose
from confman.db.transactions import DbSession
from confman.lib.countries import country_name, known_countries
from confman.lib.csrf import RERENDER_ON_CSRF_FAILURE, csrf_failed
from confman.lib.errors import FieldError, FormRejected
from confman.lib.i18n import N_, UI_LANGUAGES, language_autonym
from confman.lib.templating import gettext_callables
from confman.lib.translations import pick
from confman.lib.urls import attendee_url, registration_cancel_url, registration_confirm_url
from confman.published.model import PublishedProgramme
from confman.registration.notices import RegistrationNotices
from confman.registration.placement import AppPlacement, Outcome, commit_placement
from confman.registration.rules import EffectiveSettings, RegistrationClosed, check_open, form_problems
from confman.registration.schemas import Question, QuestionKind, RegistrationCreate
from confman.registration.services import RegistrationService, RegistrationSettingsService
from confman.registration.submit import Submission
from confman.settings import AppSettings
from confman.site.display import ProgrammeDisplay
from confman.site.serve import (
    PageRendererDependency,
    ProgrammeCacheDependency,
    html_response,
    page_context,
    viewer_for,
)

AnyRequest = Request[Any, Any, Any]
NO_STORE = {"Cache-Control": "no-store"}
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


@dataclass(frozen=True)
class Page:
    programme: PublishedProgramme
    conference: Conference
    context: dict[str, Any]
    language: str


async def _page(
    request: AnyRequest, conf: str, db_session: DbSession, settings: AppSettings, cache: ProgrammeCacheDependency
) -> Page:
    programme = await cache.programme(db_session, conf)
    if programme is None:
        raise NotFoundException("Conference not found")
    access = await ConferenceService(db_session).access(conf, None)
    display = ProgrammeDisplay(programme, viewer_for(request, programme.conference), settings.base_url)
    context = page_context(request, base_url=settings.base_url, display=display)
    return Page(programme, access.conference, context, display.language)


def _respond(
    page: Page, renderer: PageRendererDependency, template: str, status: int, headers: dict[str, str], **extra: Any
) -> Response[bytes]:
    return html_response(renderer, template, {**page.context, **extra}, status, headers)


def _reject(page: Page, template: str, status: int, headers: dict[str, str], **extra: Any) -> FormRejected:
    """A refused form's page (plain data only: it is rendered after the rollback)."""
    return FormRejected(template, {**page.context, **extra}, status, headers)


# --- the form -------------------------------------------------------------------------------


def _closed_message(reason: str, language: str) -> str:
    _ = gettext_callables(language)["_"]
    return {
        "unpublished": _("This conference is not published."),
        "not_open": _("Registration has not opened yet."),
        "closed": _("Registration is closed."),
        "past": _("This conference is over."),
        "full": _("Sorry, the conference is full and has no waiting list."),
    }.get(reason, _("Registration is closed."))


# The words for a refusal, by its code (the raise sites in registration/services.py; the
# schema's checks give pydantic's error type). An answer's refusal is worded by its code, any
# other field's by the field, unless its code has words of its own.
ANSWER_MESSAGES = {
    "unknown_question": N_("This question is not part of this conference's form."),
    "required": N_("Please answer this question."),
    "choose_one": N_("Please choose one of the options."),
    "not_a_choice": N_("Please choose one of the options."),
}
ANSWER_INVALID = N_("This answer is not valid (at most 300 characters for a short answer, 5000 for a long one).")
CODE_MESSAGES = {
    # The organiser changed the rules between this form's check and its insert.
    "rules_changed": N_("The registration rules changed just now; please submit again."),
    # Another request is registering the same address at this very moment.
    "registering_now": N_("This address is being registered at this moment; please submit again."),
}
FIELD_MESSAGES = {
    "name": N_("Please enter your name (one line, at most 300 characters)."),
    "email": N_("Please enter a valid e-mail address."),
    "country": N_("Please choose a country from the list."),
    "timezone": N_("Please choose a time zone from the list."),
    "language": N_("Please choose a language from the list."),
    "consent": N_("Please agree to the privacy notice to register."),
}
INVALID = N_("This value is not valid.")


def field_message(field: str, code: str) -> str:
    """The message id for a field the input got wrong, by the refusal's code."""
    if field.startswith("answers."):
        return ANSWER_MESSAGES.get(code, ANSWER_INVALID)
    return CODE_MESSAGES.get(code) or FIELD_MESSAGES.get(field, INVALID)


def _form_context(page: Page, rules: EffectiveSettings, values: dict[str, Any]) -> dict[str, Any]:
    language = page.language
    conference = page.programme.conference
    languages = list(dict.fromkeys([*conference.languages, *UI_LANGUAGES]))
    questions = []
    for question in rules.questions:
        label, label_language = pick(question.label, language, conference.default_language)
        questions.append(
            {
                "key": question.key,
                "field": f"answer.{question.key}",
                "kind": question.kind.value,
                "label": label,
                "label_language": label_language,
                "required": question.required,
                "choices": [
                    (choice.key, pick(choice.label, language, conference.default_language)[0])
                    for choice in question.choices
                ],
            }
        )
    privacy, privacy_language = pick(rules.privacy_text, language, conference.default_language)
    return {
        "values": values,
        "questions": questions,
        "question_fields": ["answers." + question.key for question in rules.questions],
        "privacy_text": privacy,
        "privacy_language": privacy_language,
        "countries": _countries(language),
        "form_languages": [(code, language_autonym(code)) for code in languages],
    }


def _countries(language: str) -> list[tuple[str, str]]:
    return sorted(((code, country_name(code, language)) for code in known_countries()), key=lambda item: item[1])


def _defaults(page: Page) -> dict[str, Any]:
    viewer = page.context["viewer"]
    return {
        "name": "",
        "email": "",
        "country": "",
        "timezone": viewer.zone,
        "language": page.language,
        "answers": {},
        "consent": False,
    }


def _read_form(form: FormMultiDict, questions: list[Question]) -> dict[str, Any]:
    """The submitted form as the JSON API's input (the same schema checks both)."""
    answers: dict[str, Any] = {}
    for question in questions:
        field = f"answer.{question.key}"
        if question.kind is QuestionKind.MULTIPLE_CHOICE:
            chosen = [value for value in form.getall(field, []) if isinstance(value, str)]
            if chosen:
                answers[question.key] = chosen
        elif question.kind is QuestionKind.YES_NO:
            value = form.get(field)
            if value in {"yes", "no"}:
                answers[question.key] = value == "yes"
        else:
            text = form.get(field)
            if isinstance(text, str) and text.strip():
                answers[question.key] = text
    # Answers to questions this conference does not have (another conference's, say) are refused.
    known = {f"answer.{question.key}" for question in questions}
    for name in form:
        if name.startswith("answer.") and name not in known:
            answers[name.removeprefix("answer.")[:64]] = str(form.get(name))[:300]

    def form_text(name: str) -> str:
        value = form.get(name)
        return value if isinstance(value, str) else ""

    return {
        "name": form_text("name"),
        "email": form_text("email"),
        "country": form_text("country") or None,
        "timezone": form_text("timezone"),
        "language": form_text("language"),
        "answers": answers,
        "consent": form.get("consent") == "yes",
    }


def _pydantic_errors(error: ValidationError) -> dict[str, str]:
    """Field → code (pydantic's error type) of the schema's refusals, the first for each field."""
    found: dict[str, str] = {}
    for item in error.errors():
        location = [str(part) for part in item["loc"]]
        field = "answers." + location[1] if location[:1] == ["answers"] and len(location) > 1 else location[0]
        found.setdefault(field, item["type"])
    return found


@get("/{conf:str}/register/", name="registration_page", include_in_schema=False)
async def registration_page(
    request: AnyRequest,
    conf: FromPath[str],
    db_session: DbSession,
    settings: AppSettings,
    programme_cache: ProgrammeCacheDependency,
    page_renderer: PageRendererDependency,
) -> Response[bytes]:
    page = await _page(request, conf, db_session, settings, programme_cache)
    rules = await RegistrationSettingsService(db_session).get(page.conference)
    try:
        check_open(page.conference, rules)
    except RegistrationClosed as closed:
        return _respond(
            page, page_renderer, "public/register_closed.html", HTTP_200_OK, NO_STORE,
            message=_closed_message(closed.reason, page.language),
        )  # fmt: skip
    return _respond(
        page, page_renderer, "public/register.html", HTTP_200_OK, NO_STORE,
        errors={}, form_expired=False, **_form_context(page, rules, _defaults(page)),
    )  # fmt: skip


@post(
    "/{conf:str}/register/",
    name="registration_submit",
    include_in_schema=False,
    status_code=HTTP_200_OK,
    opt={RERENDER_ON_CSRF_FAILURE: True},
)
async def registration_submit(
    request: AnyRequest,
    conf: FromPath[str],
    db_session: DbSession,
    settings: AppSettings,
    programme_cache: ProgrammeCacheDependency,
    page_renderer: PageRendererDependency,
    placement: AppPlacement,
) -> Response[bytes]:
    page = await _page(request, conf, db_session, settings, programme_cache)
    rules = await RegistrationSettingsService(db_session).get(page.conference)
    raw = _read_form(await request.form(), rules.questions)
    values = {**raw, "answers": {f"answer.{key}": value for key, value in raw["answers"].items()}}
    if csrf_failed(request):
        # A forged, stale or missing token (an old tab, cookies cleared): nothing is done with
        # the input; the form comes back with it and a fresh token, to submit again.
        raise _reject(
            page, "public/register.html", HTTP_403_FORBIDDEN, NO_STORE,
            errors={}, form_expired=True, **_form_context(page, rules, values),
        )  # fmt: skip
    errors: dict[str, str] = {}
    try:
        data = RegistrationCreate.model_validate(raw)
    except ValidationError as error:
        errors = _pydantic_errors(error)
    # Every problem at once: the fields' (above) and the rules' (answers, language, consent).
    problems = form_problems(page.conference, rules, raw["answers"], raw["consent"], raw["language"])
    for field, code in problems.items():
        errors.setdefault(field, code)
    if not errors:
        try:
            submission = Submission(db_session, settings, placement)
            outcome = await commit_placement(db_session, await submission.submit(page.conference, data, rules))
        except RegistrationClosed as closed:
            raise _closed(page, closed.reason) from None
        except FieldError as error:
            errors = {error.field: error.code}
    if errors:
        translate = gettext_callables(page.language)["_"]
        messages = {field: translate(field_message(field, code)) for field, code in errors.items()}
        raise _reject(
            page, "public/register.html", HTTP_400_BAD_REQUEST, NO_STORE,
            errors=messages, form_expired=False, **_form_context(page, rules, values),
        )  # fmt: skip
    if outcome.result == "full":
        raise _closed(page, "full")
    return _respond(page, page_renderer, "public/register_done.html", HTTP_200_OK, NO_STORE, outcome=_outcome(outcome))


def _closed(page: Page, reason: str) -> FormRejected:
    return _reject(
        page, "public/register_closed.html", HTTP_409_CONFLICT, NO_STORE, message=_closed_message(reason, page.language)
    )


def _outcome(outcome: Outcome) -> dict[str, Any]:
    return {"result": outcome.result, "position": outcome.position}


# --- private links: confirm and cancel ------------------------------------------------------


@get("/{conf:str}/register/confirm/{token:str}", name="registration_confirm_page", include_in_schema=False)
async def registration_confirm_page(
    request: AnyRequest,
    conf: FromPath[str],
    token: FromPath[str],
    db_session: DbSession,
    settings: AppSettings,
    programme_cache: ProgrammeCacheDependency,
    page_renderer: PageRendererDependency,
) -> Response[bytes]:
    page = await _page(request, conf, db_session, settings, programme_cache)
    action = registration_confirm_url("", conf, token)
    return _respond(page, page_renderer, "public/register_confirm.html", HTTP_200_OK, PRIVATE, action=action)


@post("/{conf:str}/register/confirm/{token:str}", name="registration_confirm", include_in_schema=False)
async def registration_confirm(
    request: AnyRequest,
    conf: FromPath[str],
    token: FromPath[str],
    db_session: DbSession,
    settings: AppSettings,
    programme_cache: ProgrammeCacheDependency,
    page_renderer: PageRendererDependency,
    placement: AppPlacement,
) -> Response[bytes]:
    page = await _page(request, conf, db_session, settings, programme_cache)
    try:
        submission = Submission(db_session, settings, placement)
        outcome = await commit_placement(db_session, await submission.confirm(page.conference, token))
    except HTTPException as error:
        if error.status_code != HTTP_404_NOT_FOUND:
            raise
        raise _reject(page, "public/register_invalid_link.html", HTTP_404_NOT_FOUND, PRIVATE) from None
    done = _outcome(outcome)
    registration_id = outcome.registration.id if outcome.registration is not None else outcome.registration_id
    if outcome.result in {"confirmed", "waitlisted"} and registration_id is not None:
        # Whoever holds the e-mail's confirm link may open the registration page: a fresh page
        # token, as each e-mail carries (only its hash is stored; this page is never cached).
        token = RegistrationNotices(db_session, settings).token_for(registration_id, TokenPurpose.MANAGE)
        done["page_url"] = attendee_url("", token)
    return _respond(page, page_renderer, "public/register_done.html", HTTP_200_OK, PRIVATE, outcome=done)


@get("/{conf:str}/register/cancel/{token:str}", name="registration_cancel_page", include_in_schema=False)
async def registration_cancel_page(
    request: AnyRequest,
    conf: FromPath[str],
    token: FromPath[str],
    db_session: DbSession,
    settings: AppSettings,
    programme_cache: ProgrammeCacheDependency,
    page_renderer: PageRendererDependency,
) -> Response[bytes]:
    page = await _page(request, conf, db_session, settings, programme_cache)
    action = registration_cancel_url("", conf, token)
    return _respond(page, page_renderer, "public/register_cancel.html", HTTP_200_OK, PRIVATE, action=action)


@post("/{conf:str}/register/cancel/{token:str}", name="registration_cancel", include_in_schema=False)
async def registration_cancel(
    request: AnyRequest,
    conf: FromPath[str],
    token: FromPath[str],
    db_session: DbSession,
    settings: AppSettings,
    programme_cache: ProgrammeCacheDependency,
    page_renderer: PageRendererDependency,
    placement: AppPlacement,
) -> Response[bytes]:
    page = await _page(request, conf, db_session, settings, programme_cache)
    try:
        await RegistrationService(db_session, settings, placement).cancel_by_token(page.conference, token)
    except HTTPException as error:
        if error.status_code != HTTP_404_NOT_FOUND:
            raise
        raise _reject(page, "public/register_invalid_link.html", HTTP_404_NOT_FOUND, PRIVATE) from None
    return _respond(
        page, page_renderer, "public/register_done.html", HTTP_200_OK, PRIVATE, outcome={"result": "cancelled"}
    )
