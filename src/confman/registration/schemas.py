"""Registration input and output. Answers to custom questions are checked against the
conference's questions in the service (they differ per conference)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from confman.db.models import RegistrationStatus
from confman.lib.validation import (
    CountryCode,
    DateTimeText,
    Email,
    LanguageCode,
    Line,
    Slug,
    TranslatedLine,
    TranslatedText,
    ZoneName,
    omittable,
)


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class QuestionKind(enum.StrEnum):
    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    YES_NO = "yes_no"
    COUNTRY = "country"


CHOICE_KINDS = frozenset({QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE})


class Choice(_Input):
    key: Slug
    label: TranslatedLine


class Question(_Input):
    key: Slug = Field(description="Stable identifier; answers are keyed by it.")
    kind: QuestionKind
    label: TranslatedLine
    required: bool = False
    choices: Annotated[list[Choice], Field(max_length=100)] = Field(default_factory=list)

    @model_validator(mode="after")
    def _choices_match_kind(self) -> Question:
        if self.kind in CHOICE_KINDS:
            if not self.choices:
                raise ValueError("a choice question needs choices")
            keys = [choice.key for choice in self.choices]
            if len(set(keys)) != len(keys):
                raise ValueError("choice keys must be unique")
        elif self.choices:
            raise ValueError(f"a {self.kind.value} question has no choices")
        return self


def unique_question_keys(questions: list[Question]) -> list[Question]:
    keys = [question.key for question in questions]
    if len(set(keys)) != len(keys):
        raise ValueError("question keys must be unique")
    return questions


class RegistrationSettingsWrite(_Input):
    """The whole set of a conference's registration rules (PUT replaces them: a field left
    out takes its default). :class:`RegistrationSettingsUpdate` changes only what it names."""

    opens_at: DateTimeText | None = Field(
        default=None, description="Empty: open now. Naive times are in the conference's zone."
    )
    closes_at: DateTimeText | None = Field(default=None, description="Empty: open until the conference ends.")
    capacity: int | None = Field(default=None, ge=0, le=10_000_000, description="Empty: unlimited.")
    waitlist: bool = True
    double_opt_in: bool = True
    privacy_text: TranslatedText = Field(default_factory=dict)
    questions: Annotated[list[Question], Field(max_length=50)] = Field(default_factory=list)
    join_opens_minutes: int = Field(
        default=15, ge=0, le=24 * 60, description="Join links open this many minutes before a session starts."
    )
    join_closes_minutes: int = Field(
        default=0, ge=0, le=24 * 60, description="…and close this many minutes after it ends."
    )
    reminder_minutes: int | None = Field(
        default=60, ge=1, le=7 * 24 * 60, description="Reminder e-mails this long before each session; null: none."
    )

    @field_validator("questions")
    @classmethod
    def _unique_question_keys(cls, questions: list[Question]) -> list[Question]:
        return unique_question_keys(questions)


class RegistrationSettingsUpdate(_Input):
    """A part of the registration rules (PATCH): only the fields sent change.

    ``null`` clears a field that may be empty (``opens_at``, ``closes_at``, ``capacity``,
    ``reminder_minutes``); for the others it is refused. ``questions`` and ``privacy_text``,
    when sent, are replaced as a whole."""

    opens_at: DateTimeText | None = Field(
        default=None, description="null: open now. Naive times are in the conference's zone."
    )
    closes_at: DateTimeText | None = Field(default=None, description="null: open until the conference ends.")
    capacity: int | None = Field(default=None, ge=0, le=10_000_000, description="null: unlimited.")
    waitlist: bool | None = omittable()
    double_opt_in: bool | None = omittable()
    privacy_text: TranslatedText | None = omittable()
    questions: Annotated[list[Question], Field(max_length=50)] | None = omittable()
    join_opens_minutes: int | None = omittable(ge=0, le=24 * 60)
    join_closes_minutes: int | None = omittable(ge=0, le=24 * 60)
    reminder_minutes: int | None = Field(default=None, ge=1, le=7 * 24 * 60, description="null: no reminders.")

    @field_validator("questions")
    @classmethod
    def _unique_question_keys(cls, questions: list[Question] | None) -> list[Question] | None:
        return unique_question_keys(questions) if questions is not None else None


class RegistrationSettingsRead(BaseModel):
    opens_at: datetime | None
    closes_at: datetime | None
    capacity: int | None
    waitlist: bool
    double_opt_in: bool
    privacy_text: dict[str, str]
    questions: list[Question]
    join_opens_minutes: int
    join_closes_minutes: int
    reminder_minutes: int | None


ShortAnswer = Annotated[str, Field(max_length=300)]


MAX_ANSWERS = 50


def _few_answers(value: dict[str, object]) -> dict[str, object]:
    if len(value) > MAX_ANSWERS:
        raise ValueError(f"at most {MAX_ANSWERS} answers")
    return value


class RegistrationCreate(_Input):
    name: Line
    email: Email
    country: CountryCode | None = None
    timezone: ZoneName
    language: LanguageCode
    # Keyed by question key: a string, a list of choice keys (multiple choice) or a boolean (yes/no).
    # The size limit is a validator, not Field(max_length=…): Litestar documents a constrained
    # dict as an array, and clients built from the document then sent arrays (issue 18).
    answers: Annotated[
        dict[Slug, str | bool | Annotated[list[str], Field(max_length=100)]], AfterValidator(_few_answers)
    ] = Field(default_factory=dict, description="Keyed by question key.")
    consent: bool = Field(description="Consent to the conference's privacy text; must be true.")


class SubmitResult(BaseModel):
    """What a submit answers. Under double opt-in it is always the same "check your e-mail",
    whether the address is new or known."""

    result: str = Field(description="check_email, confirmed, waitlisted or full")
    message: str
    position: int | None = None


class RegistrationRead(BaseModel):
    id: int
    name: str
    email: str
    country: str | None
    timezone: str
    language: str
    answers: dict[str, Any]
    status: RegistrationStatus
    waitlist_position: int | None
    created_at: datetime
    confirmed_at: datetime | None
    cancelled_at: datetime | None


class RegistrationStatusUpdate(_Input):
    status: RegistrationStatus


class RegistrationCounts(BaseModel):
    by_status: dict[str, int]
    by_country: dict[str, int]
    capacity: int | None


class TokenInput(_Input):
    token: Annotated[str, Field(min_length=1, max_length=100)]
