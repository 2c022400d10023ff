"""/orga/{conf}/registrations/: the conference's registrations, searched, filtered and paged,
with counts by status and by country at the top; the filtered list as CSV.

The filter is the shared audience filter (``registration/filters.py``): the same query string
names the same registrations here, in the CSV export, in the API's list and as the recipients
of a message, so the page links to the export and to the message form with its own filter.
A page costs a fixed number of queries at any size: counts in one GROUP BY, the page's rows by
LIMIT/OFFSET, waiting-list positions for the page's waiting rows only. The detail and its
actions are in ``orga/registration_detail.py``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from litestar import Request, Response, get
from litestar.status_codes import HTTP_400_BAD_REQUEST

from confman.accounts.auth import AuthenticatedUser
from confman.conferences.access import ORGANISER, ConferenceAccessDependency
from confman.db.models import Conference, Registration, RegistrationStatus
from confman.db.transactions import DbSession
from confman.lib.countries import country_name
from confman.lib.errors import FieldError
from confman.lib.i18n import N_, format_clock, format_short_day
from confman.lib.languages import language_name
from confman.lib.timezones import to_zone
from confman.orga.forms import INVALID, MESSAGES
from confman.orga.frame import conference_path, orga_context, orga_page
from confman.orga.speakers import country_choices
from confman.registration.export import csv_filename, registrations_csv
from confman.registration.filters import ANSWER_PREFIX, FILTERABLE, AudienceFilter, parse
from confman.registration.roster import facets, positions_of
from confman.registration.schemas import Question, QuestionKind
from confman.registration.services import RegistrationService, RegistrationSettingsService
from confman.settings import AppSettings
from confman.site.serve import PageRendererDependency

LIST_TEMPLATE = "orga/registrations/list.html"
PAGE_SIZE = 50

STATUS_LABELS: dict[str, str] = {
    RegistrationStatus.PENDING: N_("Not yet confirmed by e-mail"),
    RegistrationStatus.CONFIRMED: N_("Confirmed"),
    RegistrationStatus.WAITLISTED: N_("On the waiting list"),
    RegistrationStatus.CANCELLED: N_("Cancelled"),
}
# The filter's refusals, by code (the shared messages word the others).
FILTER_MESSAGES: dict[str, str] = {
    **MESSAGES,
    "unknown_status": N_("Choose a status from the list."),
    "unknown_question": N_("No question with a fixed set of answers has this key."),
    "unknown_choice": N_("Choose an answer from the list."),
    "control_characters": N_("Remove the control characters."),
    "page": N_("Enter a page number of 1 or more."),
}
FIELD_LABELS: dict[str, str] = {
    "status": N_("Status"),
    "country": N_("Country"),
    "zone": N_("Time zone"),
    "q": N_("Name or e-mail contains"),
    "page": N_("Page"),
}
YES_NO = (("yes", N_("Yes")), ("no", N_("No")))


def registrations_path(slug: str, rest: str = "") -> str:
    return conference_path(slug, "registrations/" + rest)


def with_query(path: str, query: str) -> str:
    return f"{path}?{query}" if query else path


def label_in(texts: Mapping[str, str], language: str, default_language: str, fallback: str) -> str:
    return texts.get(language) or texts.get(default_language) or fallback


@functools.lru_cache(maxsize=512)
def language_label(code: str, language: str) -> str:
    return language_name(code, language)


def moment(value: datetime | None, zone: str, language: str) -> dict[str, str] | None:
    """A stored time in ``zone`` (the conference's), as text and as ``<time datetime>``."""
    if value is None:
        return None
    local = to_zone(value, zone)
    return {
        "iso": local.isoformat(),
        "text": f"{format_short_day(local.date(), language)} {format_clock(value, zone, language)}",
    }


# --- the filter form -----------------------------------------------------------------------


def _one(params: Mapping[str, Any], name: str) -> str:
    value = params.get(name)
    return "" if value is None else str(value).strip()[:200]


@dataclass(frozen=True)
class AnswerSelect:
    name: str
    label: str
    options: list[tuple[str, str]]
    translate: bool  # yes/no options are message ids


def answer_selects(
    questions: Sequence[Question], language: str, default_language: str, formatting: str
) -> list[AnswerSelect]:
    """One select per question with a fixed set of answers (``filters.FILTERABLE``)."""
    selects = []
    for question in questions:
        if question.kind not in FILTERABLE:
            continue
        label = label_in(question.label, language, default_language, question.key)
        if question.kind is QuestionKind.YES_NO:
            options, translate = list(YES_NO), True
        elif question.kind is QuestionKind.COUNTRY:
            options, translate = list(country_choices(formatting)), False
        else:
            options = [
                (choice.key, label_in(choice.label, language, default_language, choice.key))
                for choice in question.choices
            ]
            translate = False
        selects.append(AnswerSelect(f"{ANSWER_PREFIX}{question.key}", label, options, translate))
    return selects


def _page_number(params: Mapping[str, Any]) -> int:
    text = _one(params, "page")
    if not text:
        return 1
    if not text.isdigit() or int(text) < 1 or len(text) > 9:
        raise FieldError("page", "page", "a page number of 1 or more")
    return int(text)


# --- the list ------------------------------------------------------------------------------


def _row(
    registration: Registration, positions: Mapping[int, int], slug: str, zone: str, formatting: str
) -> dict[str, Any]:
    return {
        "id": registration.id,
        "url": registrations_path(slug, f"{registration.id}/"),
        "name": registration.name,
        "email": registration.email,
        "country": country_name(registration.country, formatting) if registration.country else "",
        "zone": registration.timezone,
        "language": language_label(registration.language, formatting),
        "language_code": registration.language,
        "status": registration.status.value,
        "position": positions.get(registration.id),
        "registered": moment(registration.created_at, zone, formatting),
    }


async def _list_context(
    request: Request[Any, Any, Any],
    access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    settings: AppSettings,
    db: DbSession,
) -> tuple[dict[str, Any], int]:
    conference: Conference = access.conference
    context = orga_context(request, base_url=settings.base_url, user=organiser, access=access, section="registrations")
    viewer = context["viewer"]
    language, formatting = viewer.language, viewer.formatting
    params = request.query_params
    service = RegistrationService(db, settings)
    rules = await RegistrationSettingsService(db).get(conference)
    # The service's counts (RegistrationService.counts, .counts_by_country) and the values
    # present, in one pass over the registrations.
    figures = await facets(db, conference.id)
    by_status, by_country, countries, zones = figures.by_status, figures.by_country, figures.countries, figures.zones
    selects = answer_selects(rules.questions, language, conference.default_language, formatting)
    slug = conference.slug
    list_url = registrations_path(slug)
    context.update(
        list_url=list_url,
        values={name: _one(params, name) for name in ("status", "country", "zone", "q")}
        | {select.name: _one(params, select.name) for select in selects},
        statuses=list(STATUS_LABELS.items()),
        countries=sorted(((code, country_name(code, formatting)) for code in countries), key=lambda c: c[1].casefold()),
        zones=zones,
        answer_selects=selects,
        counts=[(status.value, count, f"{list_url}?status={status.value}") for status, count in by_status.items()],
        all_count=sum(by_status.values()),
        capacity=rules.capacity,
        by_country=[
            (country_name(code, formatting) if code else "", count, f"{list_url}?country={code}" if code else "")
            for code, count in by_country.items()
        ],
        zone=conference.timezone,
        status_labels=STATUS_LABELS,
        filter_error=None,
        rows=[],
        total=0,
        filtered=False,
    )
    try:
        audience = parse(params, rules.questions)
        page = _page_number(params)
    except FieldError as error:
        context["filter_error"] = {
            "field": error.field,
            "label": FIELD_LABELS.get(error.field)
            or next((s.label for s in selects if s.name == error.field), error.field),
            "translate_label": error.field in FIELD_LABELS,
            "message": FILTER_MESSAGES.get(error.code, INVALID),
        }
        return context, HTTP_400_BAD_REQUEST
    total = context["all_count"] if audience.is_empty else await service.count(conference, audience)
    last_page = max(1, -(-total // PAGE_SIZE))
    page = min(page, last_page)
    offset = (page - 1) * PAGE_SIZE
    rows = await service.find(conference, audience, limit=PAGE_SIZE, offset=offset)
    waiting = {
        row.id: row.waitlist_seq
        for row in rows
        if row.status is RegistrationStatus.WAITLISTED and row.waitlist_seq is not None
    }
    positions = await positions_of(db, conference.id, waiting)
    query = audience.query_string()
    context.update(
        rows=[_row(row, positions, slug, conference.timezone, formatting) for row in rows],
        total=total,
        first=offset + 1 if rows else 0,
        last=offset + len(rows),
        filtered=not audience.is_empty,
        previous_url=with_query(list_url, audience.query_string(page=page - 1)) if page > 1 else None,
        next_url=with_query(list_url, audience.query_string(page=page + 1)) if page < last_page else None,
        export_url=with_query(registrations_path(slug, "export.csv"), query),
        message_url=with_query(conference_path(slug, "messages/new"), query),
    )
    return context, 200


@get("/{conf:str}/registrations/", name="orga:registrations", opt=ORGANISER)
async def registration_list(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    context, status = await _list_context(request, conference_access, organiser, settings, db_session)
    return orga_page(page_renderer, LIST_TEMPLATE, context, status)


async def filtered(
    request: Request[Any, Any, Any], conference: Conference, db: DbSession
) -> tuple[AudienceFilter, list[str]]:
    """The request's filter (``FieldError`` naming a bad parameter) and the questions' keys."""
    rules = await RegistrationSettingsService(db).get(conference)
    return parse(request.query_params, rules.questions), [question.key for question in rules.questions]


@get(
    "/{conf:str}/registrations/export.csv",
    name="orga:registrations-csv",
    opt=ORGANISER,
    media_type="text/csv",
)
async def registrations_export(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    db_session: DbSession,
    settings: AppSettings,
) -> Response[Any]:
    """The filtered list as the API's CSV (formula-safe); a bad filter is a 400 naming it."""
    conference = conference_access.conference
    try:
        audience, keys = await filtered(request, conference, db_session)
    except FieldError as error:
        return Response(
            f"{error.field}: {error.message}\n",
            status_code=HTTP_400_BAD_REQUEST,
            media_type="text/plain",
            headers={"Cache-Control": "no-store"},
        )
    service = RegistrationService(db_session, settings)
    rows = await service.find(conference, audience)
    body = registrations_csv(conference, rows, await service.positions(conference), keys)
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{csv_filename(conference)}"',
            "Cache-Control": "no-store",
        },
    )


HANDLERS = [registration_list, registrations_export]
