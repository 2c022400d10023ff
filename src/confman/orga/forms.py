"""Reading organiser forms and naming what is wrong in them, in the organiser's language.

A form's values go through the same schemas and services as the JSON API, so a page can
never accept what the API refuses. Their refusals (pydantic's ``ValidationError``, our
``FieldError``) become ``{field: message id}``: the template shows each translated next to
its field, keyed like the API's ``extra[].key`` (``title.en``, ``speakers[0].speaker``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError

from confman.lib.errors import FieldError
from confman.lib.i18n import N_

# By the refusal's stable code (ours) or pydantic's error type.
MESSAGES: dict[str, str] = {
    "missing": N_("This field is required."),
    "required": N_("This field is required."),
    "string_too_short": N_("This field is required."),
    "string_too_long": N_("This is too long."),
    "too_long": N_("This is too long."),
    "string_pattern_mismatch": N_("Use lower-case letters, digits and hyphens."),
    "duplicate": N_("This is already taken."),
    "date_from_datetime_parsing": N_("Enter a date."),
    "date_parsing": N_("Enter a date."),
    "date_type": N_("Enter a date."),
    "datetime_parsing": N_("Enter a date and time."),
    "datetime_from_date_parsing": N_("Enter a date and time."),
    "int_parsing": N_("Enter a whole number."),
    "greater_than_equal": N_("This number is too small."),
    "less_than_equal": N_("This number is too large."),
    "url_parsing": N_("Enter a web address starting with https://."),
    "url_scheme": N_("Enter a web address starting with https://."),
    "before_start": N_("This must come after the start."),
    "unknown_zone": N_("Choose a time zone from the list."),
    "unknown_language": N_("Choose a language from the list."),
    "unknown_country": N_("Choose a country from the list."),
    "default_language_missing": N_("Fill this in in the conference's default language."),
    "language_not_offered": N_("The conference does not offer this language."),
    "outside_conference": N_("This falls outside the conference's days."),
    "reserved": N_("This address is reserved for the site's own pages."),
}
INVALID = N_("Please check this value.")


def _field(location: Iterable[Any]) -> str:
    field = ""
    for part in location:
        if isinstance(part, int):
            field += f"[{part}]"
        else:
            field += f".{part}" if field else str(part)
    return field


def field_errors(error: ValidationError | FieldError, *, prefix: str = "") -> dict[str, str]:
    """``{field: message id}`` for a refusal; the first message per field wins."""
    errors: dict[str, str] = {}
    if isinstance(error, FieldError):
        errors[prefix + error.field] = MESSAGES.get(error.code, INVALID)
        return errors
    for detail in error.errors():
        field = prefix + _field(detail["loc"])
        message = MESSAGES.get(detail["type"], INVALID)
        if detail["type"] == "value_error" and "reserved" in str(detail.get("msg", "")):
            message = MESSAGES["reserved"]
        errors.setdefault(field, message)
    return errors


def text(form: Mapping[str, Any], name: str, *, limit: int = 100_000) -> str:
    """A form field as stripped text; over-long input is cut (the schema then refuses it)."""
    value = form.get(name, "")
    return str(value).strip()[: limit + 1] if value is not None else ""


def optional(form: Mapping[str, Any], name: str) -> str | None:
    """A field that may be left empty: empty means None."""
    value = text(form, name)
    return value or None


def translations(form: Mapping[str, Any], name: str, languages: Iterable[str]) -> dict[str, str]:
    """``{language: text}`` from fields ``{name}.{language}``; empty ones left out."""
    values = {language: text(form, f"{name}.{language}") for language in languages}
    return {language: value for language, value in values.items() if value}


def checkbox(form: Mapping[str, Any], name: str) -> bool:
    return form.get(name) in {"on", "true", "1", "yes"}
