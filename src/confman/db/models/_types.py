"""Column helpers shared by the models."""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import Enum

# A translatable text: one value per language code, e.g. {"en": "…", "ru": "…"}.
Translations = dict[str, str]


def enum_column(enum_class: type[enum.StrEnum], name: str) -> Enum:
    """A portable enum stored as its string value, with a named CHECK constraint."""
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=_values,
        validate_strings=True,
    )


def _values(enum_class: Any) -> list[str]:
    return [member.value for member in enum_class]
