"""/orga/{conf}/registration/: the registration rules and the questions of the form.

Every change goes through :meth:`RegistrationSettingsService.update` (the API's PATCH) with
only the fields its form shows, so saving the rules keeps the questions and editing a
question keeps the rules. Times are entered and shown as wall-clock time in the
conference's zone, which the labels name. The questions editor works without JavaScript:
one page per question, and small forms to move a question up or down or remove it.
Removing or renaming a question does what the service does: answers already given stay
with their registrations, under the key they were given for.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from pydantic import ValidationError

from confman.accounts.auth import AuthenticatedUser
from confman.conferences.access import ORGANISER, ConferenceAccessDependency
from confman.conferences.services import ConferenceAccess
from confman.db.models import Conference
from confman.db.transactions import DbSession
from confman.lib.errors import FieldError, FormRejected, not_found
from confman.lib.i18n import N_
from confman.lib.timezones import to_zone
from confman.orga.forms import MESSAGES, field_errors, text, translations
from confman.orga.frame import NO_STORE, conference_path, orga_context, orga_page, see_other
from confman.orga.session import flash
from confman.registration.placement import AppPlacement
from confman.registration.rules import EffectiveSettings
from confman.registration.schemas import CHOICE_KINDS, Question, QuestionKind, RegistrationSettingsUpdate
from confman.registration.services import RegistrationSettingsService
from confman.settings import AppSettings
from confman.site.serve import PageRendererDependency

TEMPLATE = "orga/registration/registration.html"
QUESTION_TEMPLATE = "orga/registration/question.html"

KIND_LABELS: dict[str, str] = {
    QuestionKind.SHORT_TEXT: N_("Short text"),
    QuestionKind.LONG_TEXT: N_("Long text"),
    QuestionKind.SINGLE_CHOICE: N_("One of several choices"),
    QuestionKind.MULTIPLE_CHOICE: N_("Any of several choices"),
    QuestionKind.YES_NO: N_("Yes or no"),
    QuestionKind.COUNTRY: N_("Country"),
}
NEEDS_CHOICES = N_("A choice question needs at least one choice, each with its own key.")
EMPTY_CHOICE_ROWS = 3
MAX_CHOICES = 100

# The simple rules, as the form names them (the privacy text is per language).
_NULLABLE = ("opens_at", "closes_at", "capacity", "reminder_minutes")
_NUMBERS = ("join_opens_minutes", "join_closes_minutes")
_CHECKBOXES = ("waitlist", "double_opt_in")


def _local(moment: datetime | None, zone: str) -> str:
    """A stored UTC time as a datetime-local value, in the conference's zone."""
    return to_zone(moment, zone).strftime("%Y-%m-%dT%H:%M") if moment else ""


def _rules_values(rules: EffectiveSettings, conference: Conference) -> dict[str, Any]:
    return {
        "opens_at": _local(rules.opens_at, conference.timezone),
        "closes_at": _local(rules.closes_at, conference.timezone),
        "capacity": "" if rules.capacity is None else str(rules.capacity),
        "waitlist": rules.waitlist,
        "double_opt_in": rules.double_opt_in,
        "privacy_text": dict(rules.privacy_text),
        "join_opens_minutes": str(rules.join_opens_minutes),
        "join_closes_minutes": str(rules.join_closes_minutes),
        "reminder_minutes": "" if rules.reminder_minutes is None else str(rules.reminder_minutes),
    }


def read_rules_form(form: Any, conference: Conference, values: dict[str, Any]) -> dict[str, Any]:
    """The PATCH input of the fields the form has (and ``values`` updated to show them again).
    A checkbox comes with a hidden empty field of its name: present and unticked is "off"."""
    update: dict[str, Any] = {}
    for name in _NULLABLE:
        if name in form:
            values[name] = text(form, name)
            update[name] = values[name] or None
    for name in _NUMBERS:
        if name in form:
            values[name] = update[name] = text(form, name)
    for name in _CHECKBOXES:
        if name in form:
            values[name] = update[name] = "on" in form.getall(name)
    languages = list(conference.languages)
    if any(f"privacy_text.{language}" in form for language in languages):
        merged = dict(values["privacy_text"])
        for language in languages:
            field = f"privacy_text.{language}"
            if field in form:
                if value := text(form, field):
                    merged[language] = value
                else:
                    merged.pop(language, None)
        values["privacy_text"] = update["privacy_text"] = merged
    return update


def _question_rows(conference: Conference, rules: EffectiveSettings, language: str) -> list[dict[str, Any]]:
    slug = conference.slug
    rows = []
    for index, question in enumerate(rules.questions):
        label = question.label.get(language) or question.label.get(conference.default_language) or ""
        path = conference_path(slug, f"registration/questions/{question.key}/")
        rows.append(
            {
                "key": question.key,
                "kind": KIND_LABELS[question.kind],
                "required": question.required,
                "label": label,
                "choices": [
                    choice.label.get(language) or choice.label.get(conference.default_language) or choice.key
                    for choice in question.choices
                ],
                "edit": path,
                "move": path + "move",
                "remove": path + "remove",
                "first": index == 0,
                "last": index == len(rules.questions) - 1,
            }
        )
    return rows


def _rules_context(
    request: Request[Any, Any, Any],
    settings: AppSettings,
    organiser: AuthenticatedUser,
    access: ConferenceAccess,
    rules: EffectiveSettings,
    values: dict[str, Any],
) -> dict[str, Any]:
    conference = access.conference
    context = orga_context(request, base_url=settings.base_url, user=organiser, access=access, section="registration")
    context.update(
        values=values,
        errors={},
        zone=conference.timezone,
        shown_languages=list(conference.languages),
        action=conference_path(conference.slug, "registration/"),
        new_question=conference_path(conference.slug, "registration/new-question"),
        questions=_question_rows(conference, rules, context["viewer"].language),
    )
    return context


@get("/{conf:str}/registration/", name="orga:registration", opt=ORGANISER)
async def registration_page(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    conference = conference_access.conference
    rules = await RegistrationSettingsService(db_session).get(conference)
    context = _rules_context(request, settings, organiser, conference_access, rules, _rules_values(rules, conference))
    return orga_page(page_renderer, TEMPLATE, context)


@post("/{conf:str}/registration/", name="orga:registration-save", opt=ORGANISER, status_code=303)
async def registration_save(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
    placement: AppPlacement,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    conference = conference_access.conference
    service = RegistrationSettingsService(db_session)
    rules = await service.get(conference)
    values = _rules_values(rules, conference)
    update = read_rules_form(await request.form(), conference, values)
    context = _rules_context(request, settings, organiser, conference_access, rules, values)
    try:
        data = RegistrationSettingsUpdate.model_validate(update)
        await service.update(conference, data, settings, placement)
    except (ValidationError, FieldError) as error:
        context["errors"] = field_errors(error)
        raise FormRejected(TEMPLATE, context, 400, NO_STORE) from None
    flash(request, N_("The registration settings were saved."))
    return see_other(conference_path(conference.slug, "registration/"))


# --- the questions ---------------------------------------------------------------------


def _question_values(question: Question | None) -> dict[str, Any]:
    if question is None:
        return {"key": "", "kind": QuestionKind.SHORT_TEXT.value, "required": False, "label": {}, "choices": []}
    return {
        "key": question.key,
        "kind": question.kind.value,
        "required": question.required,
        "label": dict(question.label),
        "choices": [{"key": choice.key, "label": dict(choice.label)} for choice in question.choices],
    }


def read_question_form(form: Any, languages: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(what the page shows again, the ``Question`` input). Choice rows left wholly empty are
    dropped; a non-choice question keeps no choices."""
    rows: list[dict[str, Any]] = []
    try:
        count = min(int(text(form, "choice_rows") or 0), MAX_CHOICES + EMPTY_CHOICE_ROWS)
    except ValueError:
        count = 0
    for index in range(count):
        key = text(form, f"choices[{index}].key")
        label = translations(form, f"choices[{index}].label", languages)
        if key or label:
            rows.append({"key": key, "label": label})
    values = {
        "key": text(form, "key"),
        "kind": text(form, "kind"),
        "required": "on" in form.getall("required") if "required" in form else False,
        "label": translations(form, "label", languages),
        "choices": rows,
    }
    data = {**values, "choices": rows if values["kind"] in CHOICE_KINDS else []}
    return values, data


def _check_question(data: Mapping[str, Any], default_language: str) -> tuple[Question | None, dict[str, str]]:
    """The question, or the page's messages: the schema's refusals, and a label (of the
    question and of each choice) in the default language, which the public form falls back to."""
    errors: dict[str, str] = {}
    question = None
    try:
        question = Question.model_validate(data)
    except ValidationError as error:
        for key, message in field_errors(error).items():
            errors.setdefault(key or "choices", NEEDS_CHOICES if not key else message)
    if not data["label"].get(default_language):
        errors.setdefault("label", MESSAGES["default_language_missing"])
    for index, choice in enumerate(data["choices"]):
        if not choice["label"].get(default_language):
            errors.setdefault(f"choices[{index}].label", MESSAGES["default_language_missing"])
    return (None if errors else question), errors


def _question_context(
    request: Request[Any, Any, Any],
    settings: AppSettings,
    organiser: AuthenticatedUser,
    access: ConferenceAccess,
    values: dict[str, Any],
    action: str,
    *,
    creating: bool,
) -> dict[str, Any]:
    conference = access.conference
    return orga_context(
        request,
        base_url=settings.base_url,
        user=organiser,
        access=access,
        section="registration",
        values=values,
        errors={},
        creating=creating,
        action=action,
        back=conference_path(conference.slug, "registration/") + "#questions",
        shown_languages=list(conference.languages),
        kinds=[(str(kind), label) for kind, label in KIND_LABELS.items()],
        choice_kinds=sorted(kind.value for kind in CHOICE_KINDS),
        choice_rows=[*values["choices"], *({"key": "", "label": {}} for _ in range(EMPTY_CHOICE_ROWS))],
    )


async def _save_question(
    request: Request[Any, Any, Any],
    access: ConferenceAccess,
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
    placement: AppPlacement,
    key: str | None,
) -> Response[Any]:
    """Add (``key`` None) or change one question; the others and the rules stay as they are."""
    conference = access.conference
    service = RegistrationSettingsService(db_session)
    # Read inside the lock that the update takes too: two organisers editing two questions at
    # once both keep their change.
    await placement.lock(db_session, conference)
    questions = list((await service.get(conference)).questions)
    index = next((i for i, question in enumerate(questions) if question.key == key), None)
    if key is not None and index is None:
        raise not_found("Question not found")
    languages = list(conference.languages)
    values, data = read_question_form(await request.form(), languages)
    slug = conference.slug
    action = conference_path(slug, f"registration/questions/{key}/" if key else "registration/new-question")
    context = _question_context(request, settings, organiser, access, values, action, creating=key is None)
    question, errors = _check_question(data, conference.default_language)
    if question is not None and any(q.key == question.key for i, q in enumerate(questions) if i != index):
        errors["key"] = MESSAGES["duplicate"]
    if question is not None and not errors:
        position = len(questions) if index is None else index
        if index is None:
            questions.append(question)
        else:
            questions[index] = question
        try:
            await service.update(conference, RegistrationSettingsUpdate(questions=questions), settings, placement)
        except (ValidationError, FieldError) as error:
            prefix = f"questions.{position}."
            errors = {
                (field[len(prefix) :] if field.startswith(prefix) else "key"): message
                for field, message in field_errors(error).items()
            }
    if errors:
        context["errors"] = errors
        raise FormRejected(QUESTION_TEMPLATE, context, 400, NO_STORE)
    flash(request, N_("The question was saved."))
    return see_other(conference_path(slug, "registration/") + "#questions")


@get("/{conf:str}/registration/new-question", name="orga:question-new", opt=ORGANISER)
async def question_new_page(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    action = conference_path(conference_access.conference.slug, "registration/new-question")
    context = _question_context(
        request, settings, organiser, conference_access, _question_values(None), action, creating=True
    )
    return orga_page(page_renderer, QUESTION_TEMPLATE, context)


@post("/{conf:str}/registration/new-question", name="orga:question-create", opt=ORGANISER, status_code=303)
async def question_create(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
    placement: AppPlacement,
) -> Response[Any]:
    return await _save_question(request, conference_access, organiser, db_session, settings, placement, None)


@get("/{conf:str}/registration/questions/{key:str}/", name="orga:question", opt=ORGANISER)
async def question_page(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    key: FromPath[str],
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    conference = conference_access.conference
    rules = await RegistrationSettingsService(db_session).get(conference)
    question = next((q for q in rules.questions if q.key == key), None)
    if question is None:
        raise not_found("Question not found")
    action = conference_path(conference.slug, f"registration/questions/{key}/")
    context = _question_context(
        request, settings, organiser, conference_access, _question_values(question), action, creating=False
    )
    return orga_page(page_renderer, QUESTION_TEMPLATE, context)


@post("/{conf:str}/registration/questions/{key:str}/", name="orga:question-save", opt=ORGANISER, status_code=303)
async def question_save(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    key: FromPath[str],
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
    placement: AppPlacement,
) -> Response[Any]:
    return await _save_question(request, conference_access, organiser, db_session, settings, placement, key)


async def _questions_and_index(
    db_session: DbSession, placement: AppPlacement, conference: Conference, key: str
) -> tuple[list[Question], int]:
    await placement.lock(db_session, conference)
    questions = list((await RegistrationSettingsService(db_session).get(conference)).questions)
    index = next((i for i, question in enumerate(questions) if question.key == key), None)
    if index is None:
        raise not_found("Question not found")
    return questions, index


@post("/{conf:str}/registration/questions/{key:str}/move", name="orga:question-move", opt=ORGANISER, status_code=303)
async def question_move(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    key: FromPath[str],
    db_session: DbSession,
    settings: AppSettings,
    placement: AppPlacement,
) -> Response[Any]:
    """One place up or down (``direction``); at either end, nothing moves."""
    conference = conference_access.conference
    questions, index = await _questions_and_index(db_session, placement, conference, key)
    other = index - 1 if text(await request.form(), "direction") == "up" else index + 1
    if 0 <= other < len(questions):
        questions[index], questions[other] = questions[other], questions[index]
        update = RegistrationSettingsUpdate(questions=questions)
        await RegistrationSettingsService(db_session).update(conference, update, settings, placement)
        flash(request, N_("The question was moved."))
    return see_other(conference_path(conference.slug, "registration/") + f"#question-{key}")


@post(
    "/{conf:str}/registration/questions/{key:str}/remove",
    name="orga:question-remove",
    opt=ORGANISER,
    status_code=303,
)
async def question_remove(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    key: FromPath[str],
    db_session: DbSession,
    settings: AppSettings,
    placement: AppPlacement,
) -> Response[Any]:
    conference = conference_access.conference
    questions, index = await _questions_and_index(db_session, placement, conference, key)
    del questions[index]
    update = RegistrationSettingsUpdate(questions=questions)
    await RegistrationSettingsService(db_session).update(conference, update, settings, placement)
    flash(request, N_("The question was removed. Answers already given stay with their registrations."))
    return see_other(conference_path(conference.slug, "registration/") + "#questions")


HANDLERS = [
    registration_page,
    registration_save,
    question_new_page,
    question_create,
    question_page,
    question_save,
    question_move,
    question_remove,
]
