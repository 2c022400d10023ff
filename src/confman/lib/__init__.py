"""Helpers that belong to no domain: zones, languages, countries, validation, errors."""
