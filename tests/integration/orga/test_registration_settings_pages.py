"""/orga/{conf}/registration/: the registration rules and the questions editor."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from confman.settings import Settings
from tests.factories import (
    Organiser,
    conference_payload,
    post_ok,
    put_registration_settings,
    registration_payload,
    registrations,
)
from tests.orga import csrf_token, post_form, sign_in

Client = AsyncTestClient[Litestar]
PAGE = "/orga/climate-2027/registration/"
API = "/api/v1/conferences/climate-2027/registration-settings"
NEW = PAGE + "new-question"
QUESTIONS = [
    {"key": "union", "kind": "short_text", "label": {"en": "Your union"}, "required": False, "choices": []},
    {
        "key": "diet",
        "kind": "single_choice",
        "label": {"en": "Diet", "ru": "Питание"},
        "required": True,
        "choices": [{"key": "vegan", "label": {"en": "Vegan"}}, {"key": "any", "label": {"en": "Anything"}}],
    },
    {"key": "first-time", "kind": "yes_no", "label": {"en": "First time?"}, "required": False, "choices": []},
]


async def _rules(client: Client, organiser: Organiser) -> dict[str, Any]:
    rules: dict[str, Any] = (await client.get(API, headers=organiser.headers)).json()
    return rules


async def _setup(client: Client, organiser: Organiser) -> dict[str, Any]:
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload())
    await put_registration_settings(
        client,
        organiser,
        "climate-2027",
        capacity=100,
        questions=QUESTIONS,
        privacy_text={"en": "We keep your data.", "ru": "Мы храним ваши данные."},
        opens_at="2027-07-01T09:00",
    )
    await sign_in(client, organiser.email)
    return await _rules(client, organiser)


def _rules_form(**overrides: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "opens_at": "2027-07-01T09:00",
        "closes_at": "",
        "capacity": "100",
        "waitlist": ["", "on"],
        "double_opt_in": ["", "on"],
        "privacy_text.en": "We keep your data.",
        "privacy_text.es": "",
        "privacy_text.fr": "",
        "privacy_text.ru": "Мы храним ваши данные.",
        "join_opens_minutes": "15",
        "join_closes_minutes": "0",
        "reminder_minutes": "60",
    }
    form.update(overrides)
    return form


async def test_page_shows_the_rules_in_the_conference_zone(client: Client, organiser: Organiser) -> None:
    await _setup(client, organiser)
    page = await client.get(PAGE)
    assert page.status_code == 200
    # Stored as 08:00 UTC; London is on summer time in July.
    assert 'value="2027-07-01T09:00"' in page.text
    assert "Opens (Europe/London)" in page.text
    assert "Мы храним ваши данные." in page.text
    assert page.text.index('id="question-union"') < page.text.index('id="question-diet"')
    assert "Vegan · Anything" in page.text


async def test_saving_the_rules_keeps_the_questions(client: Client, organiser: Organiser) -> None:
    before = await _setup(client, organiser)
    form = _rules_form(
        capacity="",
        waitlist=[""],
        closes_at="2027-11-13T18:00",
        reminder_minutes="",
        **{"privacy_text.fr": "Nous gardons vos données — élève"},
    )
    answer = await post_form(client, PAGE, PAGE, form)
    assert answer.status_code == 303, answer.text
    after = await _rules(client, organiser)
    assert after == {
        **before,
        "capacity": None,
        "waitlist": False,
        "closes_at": "2027-11-13T18:00:00Z",
        "reminder_minutes": None,
        "privacy_text": {**before["privacy_text"], "fr": "Nous gardons vos données — élève"},
    }
    assert after["questions"] == QUESTIONS
    assert "The registration settings were saved." in (await client.get(PAGE)).text


async def test_a_form_that_does_not_show_a_field_does_not_wipe_it(client: Client, organiser: Organiser) -> None:
    before = await _setup(client, organiser)
    answer = await post_form(client, PAGE, PAGE, {"capacity": "7"})
    assert answer.status_code == 303
    assert await _rules(client, organiser) == {**before, "capacity": 7}


async def test_bad_rules_get_messages_next_to_the_fields_and_nothing_is_written(
    client: Client, organiser: Organiser
) -> None:
    before = await _setup(client, organiser)
    cases = [
        ({"capacity": "lots"}, "capacity", "Enter a whole number."),
        ({"capacity": "-3"}, "capacity", "This number is too small."),
        ({"opens_at": "tomorrow"}, "opens_at", "Enter a date and time."),
        ({"closes_at": "2027-06-01T00:00"}, "closes_at", "This must come after the start."),
        ({"join_opens_minutes": ""}, "join_opens_minutes", "Enter a whole number."),
        ({"reminder_minutes": "0"}, "reminder_minutes", "This number is too small."),
    ]
    for change, field, message in cases:
        answer = await post_form(client, PAGE, PAGE, _rules_form(**{"capacity": "999", **change}))
        assert answer.status_code == 400, (change, answer.text)
        assert f'<p class="field-error" id="{field}-error">{message}</p>' in answer.text, change
        assert f'aria-invalid="true" aria-describedby="{field}-error' in answer.text
        assert await _rules(client, organiser) == before


async def test_privacy_text_html_is_escaped(client: Client, organiser: Organiser) -> None:
    await _setup(client, organiser)
    form = _rules_form(**{"privacy_text.en": "<script>alert(1)</script>"})
    assert (await post_form(client, PAGE, PAGE, form)).status_code == 303
    page = await client.get(PAGE)
    assert "<script>alert(1)" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


async def test_add_a_choice_question_with_translated_labels(client: Client, organiser: Organiser) -> None:
    before = await _setup(client, organiser)
    page = await client.get(NEW)
    assert page.status_code == 200
    form = {
        "key": "language-pref",
        "kind": "multiple_choice",
        "required": ["", "on"],
        "label.en": "Languages you follow",
        "label.ru": "Языки, на которых вы слушаете",
        "choice_rows": "3",
        "choices[0].key": "es",
        "choices[0].label.en": "Spanish",
        "choices[0].label.es": "Español",
        "choices[1].key": "",
        "choices[2].key": "tr",
        "choices[2].label.en": "Türkçe",
    }
    answer = await client.post(NEW, data={**form, "_csrf_token": csrf_token(page.text)}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    after = await _rules(client, organiser)
    assert after["questions"] == [
        *QUESTIONS,
        {
            "key": "language-pref",
            "kind": "multiple_choice",
            "label": {"en": "Languages you follow", "ru": "Языки, на которых вы слушаете"},
            "required": True,
            "choices": [
                {"key": "es", "label": {"en": "Spanish", "es": "Español"}},
                {"key": "tr", "label": {"en": "Türkçe"}},
            ],
        },
    ]
    assert {k: v for k, v in after.items() if k != "questions"} == {k: v for k, v in before.items() if k != "questions"}


async def test_first_question_on_a_conference_without_rules_keeps_the_defaults(
    client: Client, organiser: Organiser
) -> None:
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload())
    await sign_in(client, organiser.email)
    defaults = await _rules(client, organiser)
    answer = await post_form(client, NEW, NEW, {"key": "union", "kind": "short_text", "label.en": "Your union"})
    assert answer.status_code == 303, answer.text
    assert await _rules(client, organiser) == {**defaults, "questions": [QUESTIONS[0]]}


async def test_bad_questions_are_refused_next_to_the_field(client: Client, organiser: Organiser) -> None:
    before = await _setup(client, organiser)
    cases = [
        ({"key": "diet"}, "key", "This is already taken."),
        ({"key": "Not A Slug"}, "key", "Use lower-case letters, digits and hyphens."),
        ({"label.en": ""}, "label", "Fill this in in the conference&#39;s default language."),
        ({"kind": "single_choice"}, "choices", "A choice question needs at least one choice, each with its own key."),
    ]
    for change, field, message in cases:
        form = {"key": "new-one", "kind": "short_text", "label.en": "New", "choice_rows": "3", **change}
        answer = await post_form(client, NEW, NEW, form)
        assert answer.status_code == 400, (change, answer.text)
        assert f'id="{field}-error">{message}</p>' in answer.text, (change, answer.text)
        assert await _rules(client, organiser) == before


async def test_edit_a_question_keeps_the_others_and_its_place(client: Client, organiser: Organiser) -> None:
    await _setup(client, organiser)
    edit = PAGE + "questions/diet/"
    page = await client.get(edit)
    assert page.status_code == 200
    assert 'value="Питание"' in page.text
    form = {
        "key": "diet",
        "kind": "single_choice",
        "required": [""],
        "label.en": "Food",
        "label.ru": "Питание",
        "choice_rows": "5",
        "choices[0].key": "vegan",
        "choices[0].label.en": "Vegan",
        "choices[1].key": "",
        "choices[1].label.en": "",
        "choices[2].key": "halal",
        "choices[2].label.en": "Halal",
    }
    answer = await client.post(edit, data={**form, "_csrf_token": csrf_token(page.text)}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    questions = (await _rules(client, organiser))["questions"]
    assert [q["key"] for q in questions] == ["union", "diet", "first-time"]
    assert questions[1] == {
        "key": "diet",
        "kind": "single_choice",
        "label": {"en": "Food", "ru": "Питание"},
        "required": False,
        "choices": [{"key": "vegan", "label": {"en": "Vegan"}}, {"key": "halal", "label": {"en": "Halal"}}],
    }
    assert (await client.get(PAGE + "questions/nope/")).status_code == 404


async def test_move_up_and_down_and_remove(client: Client, organiser: Organiser) -> None:
    before = await _setup(client, organiser)
    moved = await post_form(client, PAGE, PAGE + "questions/first-time/move", {"direction": "up"})
    assert moved.status_code == 303
    assert [q["key"] for q in (await _rules(client, organiser))["questions"]] == ["union", "first-time", "diet"]
    await post_form(client, PAGE, PAGE + "questions/union/move", {"direction": "down"})
    assert [q["key"] for q in (await _rules(client, organiser))["questions"]] == ["first-time", "union", "diet"]
    # At the top already: nothing moves.
    await post_form(client, PAGE, PAGE + "questions/first-time/move", {"direction": "up"})
    assert [q["key"] for q in (await _rules(client, organiser))["questions"]] == ["first-time", "union", "diet"]
    removed = await post_form(client, PAGE, PAGE + "questions/union/remove", {})
    assert removed.status_code == 303
    after = await _rules(client, organiser)
    assert [q["key"] for q in after["questions"]] == ["first-time", "diet"]
    assert after["privacy_text"] == before["privacy_text"]
    assert after["capacity"] == 100
    page = await client.get(PAGE)
    assert "The question was removed." in page.text
    assert 'id="question-union"' not in page.text


async def test_removing_an_answered_question_keeps_the_answers(
    client: Client, organiser: Organiser, settings: Settings
) -> None:
    await _setup(client, organiser)
    assert (await client.patch(API, json={"opens_at": None}, headers=organiser.headers)).status_code == 200
    answer = await client.post(
        "/api/v1/conferences/climate-2027/registrations",
        json=registration_payload(answers={"union": "UCU", "diet": "vegan"}),
    )
    assert answer.status_code in {201, 202}, answer.text
    removed = await post_form(client, PAGE, PAGE + "questions/union/remove", {})
    assert removed.status_code == 303
    assert [q["key"] for q in (await _rules(client, organiser))["questions"]] == ["diet", "first-time"]
    # As the service has always done: answers given stay with their registrations.
    assert [row.answers for row in await registrations(settings)] == [{"union": "UCU", "diet": "vegan"}]


async def test_non_member_gets_404(
    client: Client, organiser: Organiser, other_organiser: Organiser, settings: Settings
) -> None:
    await post_ok(client, organiser, "/api/v1/conferences", conference_payload())
    await put_registration_settings(client, organiser, "climate-2027", questions=QUESTIONS)
    before = await _rules(client, organiser)
    await sign_in(client, other_organiser.email)
    token = csrf_token((await client.get("/orga/")).text)
    for path in (PAGE, NEW, PAGE + "questions/diet/"):
        assert (await client.get(path)).status_code == 404, path
    for path in (PAGE, NEW, PAGE + "questions/diet/", PAGE + "questions/diet/move", PAGE + "questions/diet/remove"):
        answer = await client.post(path, data={"capacity": "1", "direction": "up", "_csrf_token": token})
        assert answer.status_code == 404, path
    assert await _rules(client, organiser) == before
