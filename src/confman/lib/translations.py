"""Translatable texts: one value per language, with a fallback to the conference's default."""

from __future__ import annotations

from collections.abc import Mapping


def pick(field: Mapping[str, str], language: str | None, default_language: str) -> tuple[str, str]:
    """A translatable text in ``language`` if it has one, else the default; with the language used."""
    if language and field.get(language):
        return field[language], language
    if field.get(default_language):
        return field[default_language], default_language
    for other, value in field.items():
        if value:
            return value, other
    return "", default_language
