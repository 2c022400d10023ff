"""The registration rules: a conference's settings as plain values, and the checks a submit
must pass before anything is written (open now, a language offered, answers to the questions,
consent). Pure: no query, no write.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from litestar.exceptions import ClientException
from litestar.status_codes import HTTP_409_CONFLICT
from sqlalchemy import Row

from confman.db.models import Conference, ConferenceStatus, RegistrationSettings
from confman.lib.countries import is_known_country
from confman.lib.errors import ConflictError, FieldError
from confman.lib.i18n import UI_LANGUAGES
from confman.lib.timezones import to_zone, utcnow
from confman.registration.schemas import CHOICE_KINDS, Question, QuestionKind

MAX_TEXT_ANSWER = {QuestionKind.SHORT_TEXT: 300, QuestionKind.LONG_TEXT: 5000, QuestionKind.COUNTRY: 2}


class RegistrationClosed(ClientException):
    """409: the conference does not take registrations now; ``reason`` says why."""

    status_code = HTTP_409_CONFLICT

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(
            detail=message, extra=[{"key": "conference", "code": reason, "message": message, "reason": reason}]
        )
        self.reason = reason


@dataclass(frozen=True)
class EffectiveSettings:
    opens_at: datetime | None
    closes_at: datetime | None
    capacity: int | None
    waitlist: bool
    double_opt_in: bool
    privacy_text: dict[str, str]
    questions: list[Question]
    # The join window and reminders (attendees/): minutes before a session's start and after its end.
    join_opens_minutes: int = 15
    join_closes_minutes: int = 0
    reminder_minutes: int | None = 60
    # The settings row's updated_at (None: no row, the defaults): what a cached copy is checked by.
    version: datetime | None = None


DEFAULTS = EffectiveSettings(None, None, None, True, True, {}, [])


@dataclass(frozen=True)
class SubmitTarget:
    """What a submit needs of its conference (read with its rules in one Core query)."""

    id: int
    slug: str
    status: ConferenceStatus
    timezone: str
    ends_on: date
    languages: list[str]
    updated_at: datetime

    @property
    def is_published(self) -> bool:
        return self.status is ConferenceStatus.PUBLISHED


# The submit path takes either; the rest of registration works with the ORM conference.
ConferenceLike = Conference | SubmitTarget


class StaleTarget(Exception):  # a signal, not an error: the caller reads again
    """The conference or its rules changed since the submit read them; nothing was written."""


def rules_changed() -> ConflictError:
    """What a submit answers when an organiser changed the rules between its check and its insert."""
    return ConflictError("conference", "rules_changed", "the registration rules changed just now; please submit again")


def effective(row: RegistrationSettings | Row[Any] | None) -> EffectiveSettings:
    """The rules from a settings row (a model or a Core row with the same columns)."""
    if row is None:
        return DEFAULTS
    return EffectiveSettings(
        opens_at=row.opens_at,
        closes_at=row.closes_at,
        capacity=row.capacity,
        waitlist=row.waitlist,
        double_opt_in=row.double_opt_in,
        privacy_text=row.privacy_text,
        questions=[Question.model_validate(question) for question in row.questions],
        join_opens_minutes=row.join_opens_minutes,
        join_closes_minutes=row.join_closes_minutes,
        reminder_minutes=row.reminder_minutes,
        version=row.updated_at,
    )


def check_answers(questions: Sequence[Question], answers: dict[str, Any]) -> dict[str, Any]:
    """The answers normalised, or a FieldError naming ``answers.<key>``."""
    by_key = {question.key: question for question in questions}
    for key in answers:
        if key not in by_key:
            raise FieldError(f"answers.{key}", "unknown_question", "not a question of this conference")
    cleaned: dict[str, Any] = {}
    for question in questions:
        field = f"answers.{question.key}"
        value = answers.get(question.key)
        if value is None or value == "" or value == []:
            if question.required:
                raise FieldError(field, "required", "an answer is required")
            continue
        if question.kind is QuestionKind.YES_NO:
            if not isinstance(value, bool):
                raise FieldError(field, "not_boolean", "must be true or false")
            cleaned[question.key] = value
        elif question.kind in CHOICE_KINDS:
            keys = {choice.key for choice in question.choices}
            chosen = value if isinstance(value, list) else [value]
            if question.kind is QuestionKind.SINGLE_CHOICE and (isinstance(value, list) or len(chosen) != 1):
                raise FieldError(field, "choose_one", "choose exactly one")
            for item in chosen:
                if not isinstance(item, str) or item not in keys:
                    raise FieldError(field, "not_a_choice", f"{str(item)[:50]!r} is not one of the choices")
            cleaned[question.key] = (
                chosen[0] if question.kind is QuestionKind.SINGLE_CHOICE else list(dict.fromkeys(chosen))
            )
        else:
            if not isinstance(value, str):
                raise FieldError(field, "not_text", "must be text")
            if question.kind is QuestionKind.COUNTRY:
                if not is_known_country(value.upper()):
                    raise FieldError(field, "unknown_country", f"unknown country code {value[:8]!r}")
                value = value.upper()
            if len(value) > MAX_TEXT_ANSWER[question.kind]:
                raise FieldError(field, "too_long", f"at most {MAX_TEXT_ANSWER[question.kind]} characters")
            if "\x00" in value or any(ord(ch) < 32 and ch not in "\n\t\r" for ch in value):
                raise FieldError(field, "control_characters", "must not contain control characters (such as NUL)")
            if question.kind is QuestionKind.SHORT_TEXT and ("\n" in value or "\r" in value):
                raise FieldError(field, "multiple_lines", "must be a single line")
            cleaned[question.key] = value.strip()
    return cleaned


def form_problems(
    conference: ConferenceLike, rules: EffectiveSettings, answers: dict[str, Any], consent: bool, language: str
) -> dict[str, str]:
    """Every problem the rules find in a submit at once, field → code: the form shows them all
    together, where the submit itself stops at the first."""
    problems: dict[str, str] = {}
    by_key = {question.key: question for question in rules.questions}
    for key in answers:
        if key not in by_key:
            problems[f"answers.{key}"] = "unknown_question"
    for question in rules.questions:
        try:
            check_answers([question], {question.key: answers[question.key]} if question.key in answers else {})
        except FieldError as error:
            problems[error.field] = error.code
    try:
        check_language(conference, language)
    except FieldError as error:
        problems[error.field] = error.code
    if not consent:
        problems["consent"] = "consent_required"
    return problems


def check_open(conference: ConferenceLike, rules: EffectiveSettings) -> None:
    now = utcnow()
    if not conference.is_published:
        raise RegistrationClosed("unpublished", "This conference is not published.")
    if rules.opens_at is not None and now < rules.opens_at:
        raise RegistrationClosed("not_open", "Registration has not opened yet.")
    if rules.closes_at is not None and now >= rules.closes_at:
        raise RegistrationClosed("closed", "Registration is closed.")
    if to_zone(now, conference.timezone).date() > conference.ends_on:
        raise RegistrationClosed("past", "This conference is over.")


def check_language(conference: ConferenceLike, language: str) -> None:
    """A registration's language: an interface language or one the conference offers."""
    if language not in UI_LANGUAGES and language not in conference.languages:
        offered = sorted({*UI_LANGUAGES, *conference.languages})
        raise FieldError("language", "language_not_offered", f"not offered (offered: {', '.join(offered)})")
