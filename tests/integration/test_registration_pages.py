"""The registration pages: the form, CSRF, re-rendering with the input kept, confirm by POST only."""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from confman.app import create_app
from confman.settings import Settings
from confman.worker import MailWorker
from tests.factories import (
    Organiser,
    conference_payload,
    outbox,
    post_ok,
    put_registration_settings,
    registrations,
    token_from,
)

Client = AsyncTestClient[Litestar]
FORM = "/climate-2027/register/"


@pytest.fixture
async def conference(client: Client, organiser: Organiser) -> str:
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload())
    await put_registration_settings(
        client, organiser, "climate-2027",
        questions=[
            {"key": "topic", "kind": "single_choice", "label": {"en": "Topic", "es": "Tema"}, "required": True,
             "choices": [{"key": "ecology", "label": {"en": "Ecology", "es": "Ecología"}},
                         {"key": "labour", "label": {"en": "Labour"}}]},
        ],
    )  # fmt: skip
    return "climate-2027"


def csrf_token(html: str) -> str:
    match = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert match is not None
    return match.group(1)


def form(token: str, **overrides: Any) -> dict[str, str]:
    fields = {
        "_csrf_token": token,
        "name": "Rosa Attendee",
        "email": "rosa@example.org",
        "country": "BR",
        "timezone": "America/Sao_Paulo",
        "language": "es",
        "answer.topic": "ecology",
        "consent": "yes",
    }
    fields.update(overrides)
    return {key: value for key, value in fields.items() if value is not None}


async def open_form(client: Client, **params: str) -> str:
    response = await client.get(FORM, params=params)
    assert response.status_code == 200, response.text
    return response.text


async def test_form_shows_localised_countries_translated_questions_and_the_browser_zone(
    client: Client, conference: str
) -> None:
    client.cookies.set("tz", "Asia/Kolkata")
    html = await open_form(client, lang="es")

    assert '<option value="BR">Brasil</option>' in html
    assert "Tema" in html
    assert "Ecología" in html
    assert '<option value="Asia/Kolkata" selected>' in html
    assert "We keep your name" in html  # the privacy text (English only: the default language)


async def test_submitting_the_form_says_check_your_email(client: Client, conference: str, settings: Settings) -> None:
    token = csrf_token(await open_form(client))

    response = await client.post(FORM, data=form(token))

    assert response.status_code == 200
    assert "Check your e-mail" in response.text
    assert [(r.email, r.status.value, r.answers) for r in await registrations(settings)] == [
        ("rosa@example.org", "pending", {"topic": "ecology"})
    ]


async def test_a_forged_csrf_token_is_refused_and_writes_nothing(
    client: Client, conference: str, settings: Settings
) -> None:
    await open_form(client)

    forged = await client.post(FORM, data=form("0" * 64 + "f" * 64))
    missing = await client.post(FORM, data=form(None))  # type: ignore[arg-type]

    assert (forged.status_code, missing.status_code) == (403, 403)
    assert await registrations(settings) == []


async def test_a_forged_token_shows_the_form_again_with_the_input_and_a_fresh_token(
    client: Client, conference: str, settings: Settings
) -> None:
    await open_form(client)
    entered = form("0" * 64 + "f" * 64, name="Rosa Forged", email="rosa.forged@example.org", country="PT")

    forged = await client.post(FORM, data=entered)

    assert forged.status_code == 403
    assert forged.headers["cache-control"] == "no-store"
    assert "This form has expired or could not be verified" in forged.text
    assert 'value="Rosa Forged"' in forged.text
    assert 'value="rosa.forged@example.org"' in forged.text
    assert '<option value="PT" selected>' in forged.text
    assert '<option value="America/Sao_Paulo" selected>' in forged.text
    assert 'value="ecology" checked' in forged.text
    assert 'name="consent" value="yes" checked' in forged.text
    assert await registrations(settings) == []
    assert await outbox(settings) == []
    # The fresh token (and its cookie) are good: submitting again registers.
    fresh = csrf_token(forged.text)
    assert fresh != entered["_csrf_token"]
    again = await client.post(FORM, data={**entered, "_csrf_token": fresh})
    assert again.status_code == 200, again.text
    assert [r.email for r in await registrations(settings)] == ["rosa.forged@example.org"]


async def test_a_form_without_its_cookie_comes_back_with_a_new_one(
    client: Client, conference: str, settings: Settings
) -> None:
    token = csrf_token(await open_form(client))
    client.cookies.clear()  # the browser was closed: the session cookie is gone, the tab is back

    expired = await client.post(FORM, data=form(token))

    assert expired.status_code == 403
    assert "This form has expired or could not be verified" in expired.text
    assert "csrftoken=" in expired.headers["set-cookie"]
    assert await registrations(settings) == []
    again = await client.post(FORM, data=form(csrf_token(expired.text)))
    assert again.status_code == 200, again.text


async def test_the_private_link_pages_keep_the_plain_403(client: Client, conference: str) -> None:
    await open_form(client)

    response = await client.post(FORM + "confirm/" + "c" * 43, data={"_csrf_token": "0" * 64 + "f" * 64})

    assert response.status_code == 403
    assert "This form has expired" not in response.text


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": "x" * 10_000}, "name", "Please enter your name"),
        ({"name": "Rosa\x00"}, "name", "Please enter your name"),
        ({"name": ""}, "name", "Please enter your name"),
        ({"email": "not-an-address"}, "email", "valid e-mail address"),
        ({"email": None}, "email", "valid e-mail address"),
        ({"country": "XX"}, "country", "choose a country"),
        ({"timezone": "Mars/Base"}, "timezone", "choose a time zone"),
        ({"language": "xx"}, "language", "choose a language"),
        ({"answer.topic": None}, "answers.topic", "Please answer this question."),
        ({"answer.topic": "astrology"}, "answers.topic", "choose one of the options"),
        ({"answer.other-conference-question": "hi"}, "answers.other-conference-question", "not part of this"),
        ({"consent": None}, "consent", "agree to the privacy notice"),
    ],
)
async def test_bad_input_re_renders_the_form_with_a_message_next_to_the_field(
    client: Client, conference: str, settings: Settings, overrides: dict[str, Any], field: str, message: str
) -> None:
    token = csrf_token(await open_form(client))

    response = await client.post(FORM, data=form(token, **overrides))

    assert response.status_code == 400
    assert f'<p class="field-error" id="{field}-error" role="alert">' in response.text
    error = response.text.split(f'id="{field}-error" role="alert">', 1)[1].split("</p>", 1)[0]
    assert message in error
    # The rest of the input is kept.
    if field != "email":
        assert 'value="rosa@example.org"' in response.text
    assert await registrations(settings) == []
    assert await outbox(settings) == []


async def test_registering_again_answers_byte_for_byte_the_same(client: Client, conference: str) -> None:
    token = csrf_token(await open_form(client))

    new = await client.post(FORM, data=form(token))
    known = await client.post(FORM, data=form(token, name="Somebody Else"))

    assert (new.status_code, new.content) == (known.status_code, known.content)
    strip = {"set-cookie", "date", "x-request-id"}
    assert [(k, v) for k, v in new.headers.multi_items() if k not in strip] == [
        (k, v) for k, v in known.headers.multi_items() if k not in strip
    ]


async def test_confirm_link_needs_a_post_so_following_it_confirms_nothing(
    client: Client, conference: str, settings: Settings
) -> None:
    token = csrf_token(await open_form(client))
    await client.post(FORM, data=form(token))
    confirm_url = (await outbox(settings))[0].context["confirm_url"]
    path = confirm_url.removeprefix("http://testserver.local")

    shown = await client.get(path)

    assert shown.status_code == 200
    assert shown.headers["referrer-policy"] == "no-referrer"
    assert f'action="{path}"' in shown.text
    assert [r.status.value for r in await registrations(settings)] == ["pending"]

    confirmed = await client.post(path, data={"_csrf_token": csrf_token(shown.text)})

    assert confirmed.status_code == 200
    assert "You are registered" in confirmed.text
    assert [r.status.value for r in await registrations(settings)] == ["confirmed"]
    # The page links to the attendee's own page, with a page token of its own.
    link = re.search(r'id="registration-page-link" href="(/me/m_[^"/]+/)"', confirmed.text)
    assert link is not None
    assert confirmed.headers["cache-control"] == "no-store"
    own_page = await client.get(link.group(1))
    assert own_page.status_code == 200
    assert "status-panel status-confirmed" in own_page.text


async def test_cancel_page_cancels_by_post(
    client: Client, organiser: Organiser, conference: str, settings: Settings
) -> None:
    await put_registration_settings(client, organiser, conference, double_opt_in=False)
    token = csrf_token(await open_form(client))
    await client.post(FORM, data=form(token, **{"answer.topic": None}))
    cancel_url = next(m for m in await outbox(settings) if m.kind == "confirmed").context["cancel_url"]
    path = cancel_url.removeprefix("http://testserver.local")

    shown = await client.get(path)
    cancelled = await client.post(path, data={"_csrf_token": csrf_token(shown.text)})
    wrong = await client.post(path[:-4] + "AAAA", data={"_csrf_token": csrf_token(shown.text)})

    assert (shown.status_code, cancelled.status_code, wrong.status_code) == (200, 200, 404)
    assert [r.status.value for r in await registrations(settings)] == ["cancelled"]
    assert token_from(path)  # the token is in the path, never in a query string


async def test_closed_registration_shows_why(client: Client, organiser: Organiser, settings: Settings) -> None:
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload())
    await put_registration_settings(client, organiser, "climate-2027", closes_at="2020-01-01T00:00:00Z")

    response = await client.get(FORM)

    assert response.status_code == 200
    assert "Registration is closed." in response.text
    assert '<form method="post"' not in response.text


async def test_dev_mailbox_is_off_unless_asked_for(client: Client, conference: str) -> None:
    assert (await client.get("/_dev/mailbox/")).status_code == 404


async def test_dev_mailbox_shows_the_confirmation_with_a_working_link(settings: Settings, organiser: Organiser) -> None:
    dev = settings.model_copy(update={"dev_pages": True})
    async with AsyncTestClient(create_app(dev), base_url="http://testserver.local") as client:
        await post_ok(client, organiser, "/api/v1/conferences", conference_payload())
        token = csrf_token(await open_form(client))
        await client.post(FORM, data=form(token, **{"answer.topic": None}))
        worker = MailWorker(dev)
        try:
            assert await worker.run_once() == 1
        finally:
            await worker.close()

        listing = await client.get("/_dev/mailbox/")
        name = re.search(r'href="/_dev/mailbox/([0-9a-f]{32}\.eml)"', listing.text)
        assert name is not None
        shown = await client.get(f"/_dev/mailbox/{name.group(1)}")

    # The attendee chose Spanish: the e-mail is in Spanish.
    assert "Confirma tu inscripción" in listing.text
    link = re.search(r'<a href="(http://testserver.local/climate-2027/register/confirm/[^"]+)">', shown.text)
    assert link is not None


async def test_a_refused_form_names_every_problem_at_once_in_the_language_it_was_shown_in(
    client: Client, conference: str, settings: Settings
) -> None:
    page = await open_form(client, lang="es")
    action = re.search(r'<form method="post" action="([^"]+)" class="registration-form"', page)
    assert action is not None
    # Bad e-mail (a field), no answer to the required question (a rule), no consent: one round,
    # and the answer in Spanish because the form's own address says so (no cookie does).
    response = await client.post(
        action.group(1).replace("&amp;", "&"),
        data=form(csrf_token(page), email="rosa,eve@example.org", **{"answer.topic": None}, consent=None),
    )

    assert response.status_code == 400
    errors = re.findall(r'<p class="field-error" id="([^"]+)-error" role="alert">', response.text)
    assert sorted(errors) == ["answers.topic", "consent", "email"]
    assert '<html lang="es"' in response.text
    assert await registrations(settings) == []
