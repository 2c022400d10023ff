"""Which registrations an organiser means: one filter for the registrations page, its CSV
export, the API's list and the recipients of a message, so all four always agree.

A filter is plain values (:class:`AudienceFilter`), read from a query string by :func:`parse`
(each refusal names its parameter) and turned into SQL by :meth:`AudienceFilter.clauses` on
SQLite and PostgreSQL alike. Answers filter by the questions that have a fixed set of values
(a choice, yes/no, a country); text answers are found by the search instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, String, cast, exists, func, or_, select
from sqlalchemy.dialects.postgresql import JSONB

from confman.db.models import Registration, RegistrationStatus
from confman.lib.countries import is_known_country
from confman.lib.errors import FieldError
from confman.lib.timezones import is_known_zone
from confman.registration.schemas import Question, QuestionKind

# The query parameter of an answer filter: ``a.<question key>``.
ANSWER_PREFIX = "a."
MAX_SEARCH = 200
FILTERABLE = frozenset(
    {QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE, QuestionKind.YES_NO, QuestionKind.COUNTRY}
)


@dataclass(frozen=True)
class AudienceFilter:
    """Registrations of one conference that match every given criterion (None: any)."""

    status: RegistrationStatus | None = None
    country: str | None = None
    zone: str | None = None
    search: str | None = None
    # (question key, kind, wanted value): the value is a choice key, a country code, "yes" or "no".
    answers: tuple[tuple[str, QuestionKind, str], ...] = field(default=())

    @property
    def is_empty(self) -> bool:
        return not (self.status or self.country or self.zone or self.search or self.answers)

    def clauses(self, conference_id: int, dialect: str) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = [Registration.conference_id == conference_id]
        if self.status is not None:
            found.append(Registration.status == self.status)
        if self.country is not None:
            found.append(Registration.country == self.country)
        if self.zone is not None:
            found.append(Registration.timezone == self.zone)
        if self.search:
            pattern = "%" + self.search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            found.append(
                or_(
                    func.lower(Registration.name).like(pattern, escape="\\"),
                    Registration.email.like(pattern, escape="\\"),
                )
            )
        for key, kind, value in self.answers:
            found.append(_answer_clause(key, kind, value, dialect))
        return found

    def params(self) -> list[tuple[str, str]]:
        """The filter as query parameters (for paging links, the export and the message form)."""
        pairs: list[tuple[str, str]] = []
        if self.status is not None:
            pairs.append(("status", self.status.value))
        if self.country:
            pairs.append(("country", self.country))
        if self.zone:
            pairs.append(("zone", self.zone))
        if self.search:
            pairs.append(("q", self.search))
        pairs.extend((f"{ANSWER_PREFIX}{key}", value) for key, _, value in self.answers)
        return pairs

    def query_string(self, **extra: str | int) -> str:
        pairs: list[tuple[str, str | int]] = [*self.params(), *extra.items()]
        return urlencode(pairs)


def _answer_clause(key: str, kind: QuestionKind, value: str, dialect: str) -> ColumnElement[bool]:
    # Question keys are slugs (a-z, 0-9, -), so they are safe inside a JSON path.
    if kind is QuestionKind.MULTIPLE_CHOICE:
        if dialect == "postgresql":
            return cast(Registration.answers, JSONB).op("->")(key).op("@>")(func.to_jsonb(cast(value, String)))
        element = func.json_each(Registration.answers, f'$."{key}"').table_valued("value")
        return exists(select(1).select_from(element).where(element.c.value == value))
    answer = Registration.answers[key]
    matches: ColumnElement[bool] = (
        answer.as_boolean() == (value == "yes") if kind is QuestionKind.YES_NO else answer.as_string() == value
    )
    return matches


def _one(params: Mapping[str, Any], name: str) -> str | None:
    value = params.get(name)
    if isinstance(value, list | tuple):
        value = value[-1] if value else None
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def parse(params: Mapping[str, Any], questions: Sequence[Question]) -> AudienceFilter:
    """The filter a query string names; :class:`FieldError` naming the first bad parameter.
    Empty parameters mean "any", as a form submitted with nothing chosen sends them."""
    status_text = _one(params, "status")
    status = None
    if status_text is not None:
        try:
            status = RegistrationStatus(status_text)
        except ValueError:
            raise FieldError("status", "unknown_status", "unknown status") from None
    country = _one(params, "country")
    if country is not None:
        country = country.upper()
        if not is_known_country(country):
            raise FieldError("country", "unknown_country", "unknown country code (ISO 3166-1 alpha-2)")
    zone = _one(params, "zone")
    if zone is not None and not is_known_zone(zone):
        raise FieldError("zone", "unknown_zone", "unknown time zone (IANA name)")
    search = _one(params, "q")
    if search is not None:
        if len(search) > MAX_SEARCH:
            raise FieldError("q", "too_long", f"at most {MAX_SEARCH} characters")
        if any(ord(c) < 32 for c in search):
            raise FieldError("q", "control_characters", "must not contain control characters (such as NUL)")
    return AudienceFilter(
        status=status, country=country, zone=zone, search=search, answers=tuple(_answers(params, questions))
    )


def _answers(params: Mapping[str, Any], questions: Sequence[Question]) -> Iterable[tuple[str, QuestionKind, str]]:
    by_key = {question.key: question for question in questions}
    for name in sorted(params):
        if not name.startswith(ANSWER_PREFIX):
            continue
        value = _one(params, name)
        if value is None:
            continue
        key = name[len(ANSWER_PREFIX) :]
        question = by_key.get(key)
        if question is None or question.kind not in FILTERABLE:
            raise FieldError(name, "unknown_question", "no question with a fixed set of answers has this key")
        if question.kind in (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE):
            if value not in {choice.key for choice in question.choices}:
                raise FieldError(name, "unknown_choice", "not one of the question's choices")
        elif question.kind is QuestionKind.YES_NO:
            if value not in ("yes", "no"):
                raise FieldError(name, "invalid", "yes or no")
        else:
            value = value.upper()
            if not is_known_country(value):
                raise FieldError(name, "unknown_country", "unknown country code (ISO 3166-1 alpha-2)")
        yield key, question.kind, value


EVERYONE = AudienceFilter()
