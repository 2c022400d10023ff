"""/orga/{conf}/messages/: write to the attendees (all, or the registrations page's filtered
set), preview in every language, send through the outbox, and see what became of each message.

The compose page takes the registrations page's filter in its query string and carries it in
hidden fields; it shows the filter in words and the number of recipients, which the form sends
back (``expected_recipients``): if the filter names another number by the time "Send" is
pressed, the page comes back with the new number instead of sending (409). A refused form
raises ``FormRejected`` (400): nothing is written. Sending is one transaction: the message, its
event, a fresh private link per attendee, their e-mails and the audit record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.status_codes import HTTP_409_CONFLICT

from confman.accounts.auth import AuthenticatedUser
from confman.conferences.access import ORGANISER, ConferenceAccessDependency
from confman.conferences.services import ConferenceAccess
from confman.db.models import AttendeeMessage, Conference, RegistrationStatus
from confman.db.transactions import DbSession
from confman.lib.countries import country_name
from confman.lib.errors import FieldError, FormRejected, not_found
from confman.lib.i18n import N_, format_clock, format_short_day, zone_city
from confman.lib.languages import language_name
from confman.lib.markdown import render_markdown
from confman.lib.templating import gettext_callables
from confman.lib.timezones import to_zone
from confman.orga.forms import MESSAGES, text
from confman.orga.frame import NO_STORE, conference_path, orga_context, orga_page, see_other
from confman.orga.session import flash
from confman.outreach.notices import message_content
from confman.outreach.services import MAX_BODY, MAX_SUBJECT, MessageService, RecipientsChanged, check_texts
from confman.registration.filters import AudienceFilter, parse
from confman.registration.schemas import Question, QuestionKind
from confman.registration.services import RegistrationSettingsService
from confman.settings import AppSettings
from confman.site.serve import PageRendererDependency

LIST_TEMPLATE = "orga/messages/list.html"
FORM_TEMPLATE = "orga/messages/form.html"
MESSAGE_TEMPLATE = "orga/messages/message.html"

STATUS_LABELS: dict[str, str] = {
    RegistrationStatus.PENDING: N_("Pending (address not confirmed)"),
    RegistrationStatus.CONFIRMED: N_("Confirmed"),
    RegistrationStatus.WAITLISTED: N_("On the waiting list"),
    RegistrationStatus.CANCELLED: N_("Cancelled"),
}
PAGE_MESSAGES: dict[str, str] = {
    **MESSAGES,
    "control_characters": N_("Remove the control characters (such as line breaks in a subject)."),
    "no_recipients": N_("No attendee matches this filter: there is no one to send it to."),
    "unknown_status": N_("Choose a status from the list."),
    "unknown_question": N_("There is no such question to filter by."),
    "unknown_choice": N_("This is not one of the question's choices."),
}
FILTER_REFUSED = N_("The filter is not valid (%(parameter)s): go back to the registrations and choose again.")


def _message(error: FieldError) -> str:
    return PAGE_MESSAGES.get(error.code, MESSAGES.get(error.code, N_("Please check this value.")))


# --- the filter in words -----------------------------------------------------------------


def _label(texts: Mapping[str, str], language: str, default: str, fallback: str) -> str:
    return texts.get(language) or texts.get(default) or fallback


def filter_words(
    audience: AudienceFilter, questions: Sequence[Question], conference: Conference, language: str
) -> list[dict[str, str]]:
    """The filter as (criterion, value) lines in the organiser's language; empty: everyone."""
    _ = gettext_callables(language)["_"]
    default = conference.default_language
    lines: list[dict[str, str]] = []
    if audience.status is not None:
        lines.append({"label": _("Status"), "value": _(STATUS_LABELS[audience.status])})
    if audience.country:
        lines.append({"label": _("Country"), "value": country_name(audience.country, language)})
    if audience.zone:
        lines.append({"label": _("Time zone"), "value": f"{zone_city(audience.zone, language)} ({audience.zone})"})
    if audience.search:
        lines.append({"label": _("Name or e-mail contains"), "value": audience.search})
    by_key = {question.key: question for question in questions}
    for key, kind, value in audience.answers:
        question = by_key.get(key)
        label = _label(question.label, language, default, key) if question else key
        shown = value
        if kind is QuestionKind.YES_NO:
            shown = _("Yes") if value == "yes" else _("No")
        elif kind is QuestionKind.COUNTRY:
            shown = country_name(value, language)
        elif question is not None:
            choice = next((c for c in question.choices if c.key == value), None)
            shown = _label(choice.label, language, default, value) if choice else value
        lines.append({"label": label, "value": shown})
    return lines


# --- the compose form --------------------------------------------------------------------


def _read_texts(form: Mapping[str, Any], conference: Conference) -> tuple[dict[str, dict[str, str]], set[str]]:
    """The subject and body per offered language, and the fields (``subject``/``body``) that
    came in a language the conference does not offer."""
    languages = list(conference.languages)
    values: dict[str, dict[str, str]] = {"subject": {}, "body": {}}
    foreign: set[str] = set()
    for name, limit in (("subject", MAX_SUBJECT), ("body", MAX_BODY)):
        for language in languages:
            if value := text(form, f"{name}.{language}", limit=limit):
                values[name][language] = value
        for key in form:
            prefix, _, language = str(key).partition(".")
            if prefix == name and language not in languages and text(form, str(key)):
                foreign.add(name)
    return values, foreign


def _previews(conference: Conference, values: dict[str, dict[str, str]], viewer_language: str) -> list[dict[str, Any]]:
    """The e-mail as an attendee of each language gets it (greeting without a name)."""
    _ = gettext_callables(viewer_language)["_"]
    previews = []
    for language in conference.languages:
        content = message_content(
            language=language,
            subject=values["subject"],
            body=values["body"],
            conference=conference,
            name="",
            manage_url="",
        )
        previews.append(
            {
                "language": language,
                "language_name": language_name(language, viewer_language),
                "used": content.language,
                "used_name": language_name(content.language, viewer_language),
                "mail": content,
            }
        )
    return previews


async def _form_context(
    request: Request[Any, Any, Any],
    settings: AppSettings,
    organiser: AuthenticatedUser,
    access: ConferenceAccess,
    db: DbSession,
    params: Mapping[str, Any],
    values: dict[str, dict[str, str]],
) -> tuple[dict[str, Any], AudienceFilter | None]:
    """The compose page's context and the filter (None, with the error shown, if it is bad)."""
    conference = access.conference
    context = orga_context(request, base_url=settings.base_url, user=organiser, access=access, section="messages")
    language = context["viewer"].language
    questions = (await RegistrationSettingsService(db).get(conference)).questions
    errors: dict[str, str] = {}
    audience: AudienceFilter | None = None
    recipients = 0
    try:
        audience = parse(params, questions)
    except FieldError as error:
        errors["audience"] = gettext_callables(language)["_"](FILTER_REFUSED, parameter=error.field)
    if audience is not None:
        recipients = await MessageService(db, settings.base_url).count_recipients(conference, audience)
    slug = conference.slug
    context.update(
        action=conference_path(slug, "messages/new"),
        back=conference_path(slug, "registrations/") + (f"?{audience.query_string()}" if audience else ""),
        everyone=audience is None or audience.is_empty,
        filter_words=filter_words(audience, questions, conference, language) if audience else [],
        filter_params=audience.params() if audience else [],
        recipients=recipients,
        recipients_changed=False,
        values=values,
        errors=errors,
        previews=None,
        shown_languages=list(conference.languages),
        language_names={code: language_name(code, language) for code in conference.languages},
        max_subject=MAX_SUBJECT,
        max_body=MAX_BODY,
    )
    return context, audience


@get("/{conf:str}/messages/new", name="orga:message-new", opt=ORGANISER)
async def message_new(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    empty: dict[str, dict[str, str]] = {"subject": {}, "body": {}}
    context, audience = await _form_context(
        request, settings, organiser, conference_access, db_session, request.query_params, empty
    )
    return orga_page(page_renderer, FORM_TEMPLATE, context, 200 if audience is not None else 400)


@post("/{conf:str}/messages/new", name="orga:message-send", opt=ORGANISER, status_code=303)
async def message_send(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    conference = conference_access.conference
    form = await request.form()
    values, foreign = _read_texts(form, conference)
    context, audience = await _form_context(request, settings, organiser, conference_access, db_session, form, values)
    errors: dict[str, str] = context["errors"]
    for field in sorted(foreign):
        errors[field] = MESSAGES["language_not_offered"]
    for problem in check_texts(conference, values["subject"], values["body"]):
        errors.setdefault(problem.field, _message(problem))
    sending = form.get("action") == "send"
    if sending and audience is not None and context["recipients"] == 0:
        errors["recipients"] = PAGE_MESSAGES["no_recipients"]
    if errors or audience is None:
        raise FormRejected(FORM_TEMPLATE, context, 400, NO_STORE)
    language = context["viewer"].language
    if not sending:
        context["previews"] = _previews(conference, values, language)
        return orga_page(page_renderer, FORM_TEMPLATE, context)
    try:
        expected = int(text(form, "expected_recipients"))
    except ValueError:
        expected = -1
    service = MessageService(db_session, settings.base_url)
    try:
        message = await service.send(
            conference,
            audience,
            subject=values["subject"],
            body=values["body"],
            sender=organiser,
            expected_recipients=expected,
        )
    except RecipientsChanged as changed:
        context["recipients"] = changed.count
        context["recipients_changed"] = True
        context["previews"] = _previews(conference, values, language)
        raise FormRejected(FORM_TEMPLATE, context, HTTP_409_CONFLICT, NO_STORE) from None
    except FieldError as error:
        errors[error.field] = _message(error)
        raise FormRejected(FORM_TEMPLATE, context, 400, NO_STORE) from None
    ngettext = gettext_callables(language)["ngettext"]
    flash(request, ngettext("Sent to %(num)s attendee.", "Sent to %(num)s attendees.", message.recipients))
    return see_other(conference_path(conference.slug, f"messages/{message.id}/"))


# --- the sent messages ---------------------------------------------------------------------


def _row(message: AttendeeMessage, conference: Conference, delivery: Any, zone: str, language: str) -> dict[str, Any]:
    return {
        "id": message.id,
        "path": conference_path(conference.slug, f"messages/{message.id}/"),
        "day": format_short_day(to_zone(message.sent_at, zone).date(), language),
        "time": format_clock(message.sent_at, zone, language),
        "iso": message.sent_at.isoformat(),
        "sent_by": message.sent_by_name,
        "subject": message.subject.get(conference.default_language, ""),
        "recipients": message.recipients,
        "delivery": delivery,
    }


@get("/{conf:str}/messages/", name="orga:messages", opt=ORGANISER)
async def messages_page(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    conference = conference_access.conference
    service = MessageService(db_session, settings.base_url)
    messages = await service.messages(conference)
    deliveries = await service.deliveries(messages)
    context = orga_context(
        request, base_url=settings.base_url, user=organiser, access=conference_access, section="messages"
    )
    viewer = context["viewer"]
    context.update(
        compose=conference_path(conference.slug, "messages/new"),
        zone_city=zone_city(viewer.zone, viewer.formatting),
        zone_name=viewer.zone,
        messages=[_row(m, conference, deliveries[m.id], viewer.zone, viewer.formatting) for m in messages],
    )
    return orga_page(page_renderer, LIST_TEMPLATE, context)


@get("/{conf:str}/messages/{message_id:int}/", name="orga:message", opt=ORGANISER)
async def message_page(
    request: Request[Any, Any, Any],
    conference_access: ConferenceAccessDependency,
    message_id: FromPath[int],
    organiser: AuthenticatedUser,
    db_session: DbSession,
    settings: AppSettings,
    page_renderer: PageRendererDependency,
) -> Response[Any]:
    conference = conference_access.conference
    service = MessageService(db_session, settings.base_url)
    message = await service.get(conference, message_id)
    if message is None:
        raise not_found("Message not found")
    deliveries = await service.deliveries([message])
    context = orga_context(
        request, base_url=settings.base_url, user=organiser, access=conference_access, section="messages"
    )
    viewer = context["viewer"]
    questions = (await RegistrationSettingsService(db_session).get(conference)).questions
    try:
        audience: AudienceFilter | None = _stored_audience(message, questions)
    except FieldError:
        audience = None  # a question since removed: the stored parameters are shown as they are
    context.update(
        message=_row(message, conference, deliveries[message.id], viewer.zone, viewer.formatting),
        texts=[
            {
                "language": language,
                "language_name": language_name(language, viewer.language),
                "subject": message.subject[language],
                "body": render_markdown(message.body.get(language, "")),
            }
            # As sent: a language the conference has dropped since is shown too.
            for language in dict.fromkeys([*conference.languages, *message.subject])
            if message.subject.get(language)
        ],
        filter_words=(
            filter_words(audience, questions, conference, viewer.language)
            if audience is not None
            else [{"label": str(key), "value": str(value)} for key, value in message.audience]
        ),
        back=conference_path(conference.slug, "messages/"),
    )
    return orga_page(page_renderer, MESSAGE_TEMPLATE, context)


def _stored_audience(message: AttendeeMessage, questions: Sequence[Question]) -> AudienceFilter:
    params: dict[str, str] = {}
    for key, value in message.audience:
        params[str(key)] = str(value)
    return parse(params, questions)


HANDLERS = [messages_page, message_new, message_send, message_page]
