"""The registration form words a refusal by its code (and field), never by the English text."""

from __future__ import annotations

import pytest

from confman.lib.templating import gettext_callables
from confman.registration.pages import field_message

ANSWER_INVALID = "This answer is not valid (at most 300 characters for a short answer, 5000 for a long one)."


@pytest.mark.parametrize(
    ("field", "code", "message"),
    [
        # The services' codes for an answer (registration/services.check_answers).
        ("answers.topic", "unknown_question", "This question is not part of this conference's form."),
        ("answers.topic", "required", "Please answer this question."),
        ("answers.topic", "choose_one", "Please choose one of the options."),
        ("answers.topic", "not_a_choice", "Please choose one of the options."),
        ("answers.topic", "too_long", ANSWER_INVALID),
        ("answers.topic", "control_characters", ANSWER_INVALID),
        # The schema's (pydantic's error type) for an answer it refused first.
        ("answers.Not A Key", "string_pattern_mismatch", ANSWER_INVALID),
        # Codes with words of their own, whatever the field.
        ("conference", "rules_changed", "The registration rules changed just now; please submit again."),
        ("email", "registering_now", "This address is being registered at this moment; please submit again."),
        # Otherwise the field says which input to put right.
        ("email", "value_error", "Please enter a valid e-mail address."),
        ("language", "language_not_offered", "Please choose a language from the list."),
        ("consent", "consent_required", "Please agree to the privacy notice to register."),
        ("name", "string_too_long", "Please enter your name (one line, at most 300 characters)."),
        ("something_else", "whatever", "This value is not valid."),
    ],
)
def test_field_message_is_chosen_by_code_and_field(field: str, code: str, message: str) -> None:
    assert field_message(field, code) == message


def test_field_message_for_a_code_is_translated() -> None:
    spanish = gettext_callables("es")["_"]

    assert spanish(field_message("email", "registering_now")) == (
        "Esta dirección se está inscribiendo en este momento; envíe el formulario de nuevo."
    )
