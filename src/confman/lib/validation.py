"""Pydantic field types shared by every domain's schemas.

Each rejects bad input with a message that says what is wrong, so that API answers
name the field and the problem.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, HttpUrl, StringConstraints, WithJsonSchema

from confman.lib.countries import is_known_country, known_countries
from confman.lib.errors import FieldError
from confman.lib.languages import is_known_language, known_languages
from confman.lib.timezones import is_known_zone, known_zones

# C0 controls other than tab and newline break XML/iCalendar output and PostgreSQL (NUL); C1
# controls (U+0085 is a line break to Python's e-mail headers), lone surrogates (PostgreSQL
# refuses them) and U+FFFE/U+FFFF are not allowed in XML, so schedule.xml would be invalid.
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# Everything str.splitlines() breaks at: a title with one of these would break an e-mail subject.
_LINE_BREAK_RE = re.compile("[\n\r\t\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")

# The same rules as the OpenAPI document's patterns (JSON Schema regular expressions, which Python
# reads alike): what a field refuses, and, since its text is stripped before its length is
# checked, the length of what is left between the surrounding whitespace. Lone surrogates are left
# out: JSON text carries none (RFC 8259 text is Unicode), and generators drop a pattern naming them.
_CONTROL_CLASS = "\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f\\ufffe\\uffff"
_LINE_CLASS = "\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029\\ufffe\\uffff"


def _spaces() -> str:
    """What ``str.strip()`` removes, as a character class's ranges (``\\s`` differs between flavours)."""
    ranges: list[list[int]] = []
    for code in (code for code in range(0x3001) if chr(code).isspace()):
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return "".join(f"\\u{low:04x}" + (f"-\\u{high:04x}" if high > low else "") for low, high in ranges)


_SPACES = _spaces()


def _stripped_pattern(refused: str, max_length: int, *, required: bool) -> str:
    """Text of 1 (or 0) to ``max_length`` characters once stripped, none of them ``refused``."""
    edge = f"[^{_SPACES}{refused}]"
    body = f"{edge}(?:[^{refused}]{{0,{max_length - 2}}}{edge})?"
    return f"^[{_SPACES}]*{body}[{_SPACES}]*$" if required else f"^[{_SPACES}]*(?:{body})?[{_SPACES}]*$"


def _no_control_characters(value: str) -> str:
    if _CONTROL_RE.search(value):
        raise ValueError("must not contain control characters (such as NUL)")
    return value


def _single_line(value: str) -> str:
    if _LINE_BREAK_RE.search(value):
        raise ValueError("must be a single line (no tabs, line or paragraph separators)")
    return value


def _known_language(value: str) -> str:
    if not is_known_language(value):
        raise ValueError(f"unknown language code {value!r} (expected e.g. 'en', 'es', 'pt-BR')")
    return value


def _known_zone(value: str) -> str:
    if not is_known_zone(value):
        raise ValueError(f"unknown time zone {value!r} (expected an IANA name such as 'Europe/London')")
    return value


def _known_country(value: str) -> str:
    code = value.upper()
    if len(code) != 2 or not is_known_country(code):
        raise ValueError(f"unknown country code {value!r} (expected ISO 3166-1 alpha-2, such as 'GB')")
    return code


def _datetime_text(value: object) -> object:
    # Pydantic would take 0 (or any number) as seconds since 1970: a date-time here is text.
    if isinstance(value, (int, float)):
        raise ValueError("must be an ISO 8601 date-time string, such as '2027-11-14T09:00' (not a number)")
    return value


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
_SLUG_RE = re.compile(SLUG_PATTERN)


def is_slug(value: str) -> bool:
    """Whether ``value`` could be a slug: lookups answer "not found" for anything else without
    asking the database (PostgreSQL rejects a NUL byte in a query parameter with an error)."""
    return len(value) <= 64 and _SLUG_RE.fullmatch(value) is not None


Slug = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64, pattern=SLUG_PATTERN),
    Field(description="Lowercase letters, digits and single hyphens; used in public URLs."),
]

# Schemas the OpenAPI document names once, in its components, and refers to (lib/openapi.py):
# the lists of zones, languages and countries and the long patterns appear once, not in every field.
COMPONENT = "x-component"
COMPONENTS: dict[str, dict[str, Any]] = {}


def component(name: str, schema: dict[str, Any]) -> WithJsonSchema:
    COMPONENTS[name] = schema
    return WithJsonSchema({**schema, COMPONENT: name})


LINE_LENGTH = 300
LONG_TEXT_LENGTH = 20_000

# One line of text: a name or a title.
Line = Annotated[
    str,
    BeforeValidator(_strip),
    StringConstraints(min_length=1, max_length=LINE_LENGTH),
    AfterValidator(_no_control_characters),
    AfterValidator(_single_line),
    component(
        "Line",
        {
            "type": "string",
            "pattern": _stripped_pattern(_LINE_CLASS, LINE_LENGTH, required=True),
            "description": f"One line: 1 to {LINE_LENGTH} characters once stripped, no control characters.",
        },
    ),
]

# Free text: an abstract, a bio, a description (Markdown).
LongText = Annotated[
    str,
    BeforeValidator(_strip),
    StringConstraints(max_length=LONG_TEXT_LENGTH),
    AfterValidator(_no_control_characters),
    component(
        "LongText",
        {
            "type": "string",
            "pattern": _stripped_pattern(_CONTROL_CLASS, LONG_TEXT_LENGTH, required=False),
            "description": f"At most {LONG_TEXT_LENGTH} characters once stripped; no control characters but newlines.",
        },
    ),
]


def _one_address(value: str) -> str:
    # Exactly one address, by the RFCs' rules as email-validator reads them: "a,b@x" (a list to
    # SMTP) and "a@x>junk" (delivered to a@x, stored as another address) are refused. No DNS
    # lookup (deliverability is the confirmation e-mail's job). Lowercased whole, as stored.
    try:
        checked = validate_email(value, check_deliverability=False, allow_display_name=False)
    except EmailNotValidError as error:
        raise ValueError(f"is not one valid e-mail address: {error}") from None
    return checked.normalized.lower()


# An e-mail address: exactly one, normalised and lowercased.
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=3, max_length=320),
    AfterValidator(_no_control_characters),
    AfterValidator(_one_address),
    Field(json_schema_extra={"format": "email"}),
]

# A date-time as ISO 8601 text (with an offset, or wall-clock time where the field says whose).
DateTimeText = Annotated[datetime, BeforeValidator(_datetime_text), Field(json_schema_extra={"format": "date-time"})]

# The document lists the values the validators know (CLDR's languages and countries, the IANA
# zones of the installed tzdata): a client's generated request is then valid exactly when it is.
LanguageCode = Annotated[
    str,
    StringConstraints(max_length=16),
    AfterValidator(_known_language),
    component(
        "LanguageCode",
        {
            "type": "string",
            "enum": sorted(known_languages()),
            "description": "A CLDR language code.",
        },
    ),
]
ZoneName = Annotated[
    str,
    StringConstraints(max_length=64),
    AfterValidator(_known_zone),
    component(
        "ZoneName",
        {
            "type": "string",
            "enum": sorted(known_zones()),
            "description": "An IANA time zone.",
        },
    ),
]
CountryCode = Annotated[
    str,
    StringConstraints(max_length=8),
    AfterValidator(_known_country),
    component(
        "CountryCode",
        {
            "type": "string",
            "enum": sorted(known_countries()),
            "description": "ISO 3166-1 alpha-2 (lowercase is read as uppercase).",
        },
    ),
]
WebUrl = Annotated[
    HttpUrl,
    WithJsonSchema(
        {
            "type": "string",
            "format": "uri",
            "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://",
            "maxLength": 2083,
            "description": "An absolute http(s) URL.",
        }
    ),
]

MAX_TRANSLATIONS = 50


def _few_translations(value: dict[str, str]) -> dict[str, str]:
    if len(value) > MAX_TRANSLATIONS:
        raise ValueError(f"at most {MAX_TRANSLATIONS} translations")
    return value


# Translatable texts: one value per language code. The size limit is a validator, not
# Field(max_length=…): Litestar's OpenAPI generator documents a constrained dict as an array.
TranslatedLine = Annotated[dict[LanguageCode, Line], AfterValidator(_few_translations)]
TranslatedText = Annotated[dict[LanguageCode, LongText], AfterValidator(_few_translations)]


def _never_null(schema: dict[str, Any]) -> None:
    options = [option for option in schema.pop("anyOf", []) if option != {"type": "null"}]
    if len(options) == 1:
        schema.update(options[0])
    elif options:
        schema["anyOf"] = options
    schema.pop("default", None)


def omittable(**constraints: Any) -> Any:
    """A PATCH field that may be left out but never set to null: ``name: Line | None = omittable()``.
    The document shows it without null; ``refuse_nulls`` answers 400 for a null sent."""
    return Field(default=None, json_schema_extra=_never_null, **constraints)


def refuse_nulls(data: BaseModel) -> None:
    """A 400 naming the first ``omittable`` field that was sent as null."""
    for name, field in type(data).model_fields.items():
        if field.json_schema_extra is _never_null and name in data.model_fields_set and getattr(data, name) is None:
            raise FieldError(name, "null", "must not be null")
