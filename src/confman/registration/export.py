"""Registrations as CSV, for the API's export and the organisers' page alike.

Cells that a spreadsheet would run as a formula are quoted (OWASP: CSV injection), so a name
such as ``=HYPERLINK(…)`` stays text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from confman.db.models import Conference, Registration

# A spreadsheet runs a cell that starts with one of these as a formula (OWASP: CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def csv_cell(value: object) -> str:
    text = "" if value is None else ("yes" if value is True else "no" if value is False else str(value))
    if isinstance(value, list):
        text = "; ".join(str(item) for item in value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def registrations_csv(
    conference: Conference, rows: Iterable[Registration], positions: dict[int, int], keys: list[str]
) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        ["id", "name", "email", "country", "timezone", "language", "status", "waitlist_position",
         "registered_at", "confirmed_at", "cancelled_at", *(f"answer:{key}" for key in keys)]
    )  # fmt: skip
    for row in rows:
        writer.writerow(
            [csv_cell(value) for value in (
                row.id, row.name, row.email, row.country, row.timezone, row.language, row.status.value,
                positions.get(row.id), row.created_at.isoformat(),
                row.confirmed_at.isoformat() if row.confirmed_at else None,
                row.cancelled_at.isoformat() if row.cancelled_at else None,
                *(row.answers.get(key) for key in keys),
            )]
        )  # fmt: skip
    return out.getvalue()


def csv_filename(conference: Conference) -> str:
    return f"{conference.slug}-registrations.csv"
