"""Every interface message is translated into every interface language, with its placeholders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from confman.lib.i18n import UI_LANGUAGES, catalogue_path
from confman.lib.paths import PROJECT_ROOT

PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def source_messages() -> set[str | tuple[str, str]]:
    """What the code and templates ask for, extracted as ``pybabel extract -F babel.cfg`` does."""
    with (PROJECT_ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found: set[str | tuple[str, str]] = set()
    for _, _, message, _, _ in extract_from_dir(PROJECT_ROOT, method_map, options_map):
        found.add(message if isinstance(message, str) else (message[0], message[1]))
    return found


@pytest.fixture(scope="module")
def extracted() -> set[str | tuple[str, str]]:
    messages = source_messages()
    assert len(messages) > 50  # the extraction itself works
    return messages


@pytest.mark.parametrize("language", UI_LANGUAGES)
def test_catalogue_is_complete_and_current(language: str, extracted: set[str | tuple[str, str]]) -> None:
    path: Path = catalogue_path(language)
    with path.open("rb") as handle:
        catalogue = read_po(handle, locale=language)
    messages = [message for message in catalogue if message.id]
    ids = {message.id if isinstance(message.id, str) else tuple(message.id) for message in messages}

    assert sorted(map(str, extracted - ids)) == [], "messages missing from the catalogue: run pybabel update"
    assert sorted(map(str, ids - extracted)) == [], "messages no longer used: run pybabel update"
    assert [m.id for m in messages if m.fuzzy] == []
    untranslated = [m.id for m in messages if not (all(m.string) if isinstance(m.string, tuple) else m.string)]
    assert untranslated == []
    for message in messages:
        source = " ".join(message.id) if isinstance(message.id, tuple) else message.id
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for translated in strings:
            # Plural forms may leave out %(num)s ("one session"); every other placeholder stays.
            assert set(PLACEHOLDER.findall(translated)) - {"num"} <= set(PLACEHOLDER.findall(source)), message.id
            assert set(PLACEHOLDER.findall(source)) - {"num"} <= set(PLACEHOLDER.findall(translated)), message.id


def test_a_russian_date_range_and_a_portuguese_chair_read_as_people_write_them() -> None:
    """Wordings a newcomer reported: "Когда: с среда…" (a preposition before a nominative day,
    which would need the genitive) and "Presidência" (the office, not the person) for a chair."""
    from datetime import date

    from confman.lib.templating import gettext_callables
    from confman.mail.messages import date_line

    russian = date_line("ru", date(2027, 11, 17), date(2027, 11, 18))
    assert russian.startswith("Когда: среда, 17 ноября 2027")
    assert " — четверг, 18 ноября 2027" in russian
    assert " с " not in russian
    portuguese = gettext_callables("pt")["ngettext"]
    assert portuguese("Chair", "Chairs", 1) == portuguese("Chair", "Chairs", 2) == "Mediação"


@pytest.mark.parametrize(
    "message",
    [
        "Please confirm your registration for %(title)s.",
        "Your seat at %(title)s is confirmed.",
        "Your registration for %(title)s is cancelled.",
    ],
)
def test_russian_e_mails_name_the_conference_before_its_title(message: str) -> None:
    """A title is a nominative phrase ("Революционная альтернатива…"): after "на" it needs a
    noun to decline ("на конференцию «…»"), or the sentence reads "регистрацию на Революционная"."""
    from confman.lib.templating import gettext_callables

    russian = gettext_callables("ru")["_"](message, title="Революционная альтернатива")
    assert "конференци" in russian
    assert "«Революционная альтернатива»" in russian
