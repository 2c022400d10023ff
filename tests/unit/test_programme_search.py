"""Programme search: folded matching (case, accents, Cyrillic), ranking, escaped highlights."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from confman.db.models import SessionKind, SpeakerRole
from confman.published.model import PublicConference, PublicSession, PublicSpeaker, PublishedProgramme, SpeakerSlot
from confman.published.search import QueryError, build_index, normalise_query, search

START = datetime(2027, 11, 14, 10, tzinfo=UTC)


def programme(*sessions: tuple[str, dict[str, str], dict[str, str], list[str]]) -> PublishedProgramme:
    conference = PublicConference(
        id=1, slug="c", title={"en": "C"}, description={}, timezone="Europe/London", default_language="en",
        languages=("en", "ru"), starts_on=date(2027, 11, 14), ends_on=date(2027, 11, 14), version=1,
        changed_at=START, guid=uuid.uuid4(),
    )  # fmt: skip
    speakers: dict[str, PublicSpeaker] = {}
    built = []
    for index, (slug, title, abstract, names) in enumerate(sessions):
        session = PublicSession(
            guid=uuid.uuid4(), slug=slug, title=title, abstract=abstract, kind=SessionKind.TALK, language="en",
            track=None, stream=None, starts_at=START + timedelta(hours=index),
            ends_at=START + timedelta(hours=index + 1),
            cancelled=False, capacity=None, revision=1, changed_at=START, created_at=START, id=index,
        )  # fmt: skip
        for name in names:
            speaker = speakers.setdefault(name, PublicSpeaker(name.lower(), name, None, None, {}, [], uuid.uuid4()))
            session.speakers.append(SpeakerSlot(speaker, SpeakerRole.SPEAKER))
            speaker.sessions.append(session)
        built.append(session)
    return PublishedProgramme(conference, [], [], built, list(speakers.values()))


def slugs(index: object, query: str, language: str = "en") -> list[str]:
    return [hit.session.slug for hit in search(index, query, language)]  # type: ignore[arg-type]


def test_search_folds_case_accents_and_cyrillic_and_ranks() -> None:
    index = build_index(
        programme(
            ("cafe-abstract", {"en": "Morning talk"}, {"en": "Notes from the *Café* on the corner."}, []),
            ("ozbay", {"en": "Climate Justice"}, {}, ["Özdeş Özbay"]),
            ("cafe-title", {"en": "Café Politics", "ru": "Кафе и политика"}, {}, ["Ирина Иванова"]),
            ("inside", {"en": "Decafe and the rest"}, {}, []),
            ("russian", {"en": "Workers", "ru": "Рабочие и Климат"}, {"ru": "Доклад о климате"}, []),
        )
    )
    # Case and accents: title > abstract; whole word > inside a word.
    assert slugs(index, "CAFE") == ["cafe-title", "cafe-abstract", "inside"]
    assert slugs(index, "ozdes") == ["ozbay"]
    assert slugs(index, "özdeş ÖZBAY") == ["ozbay"]
    # Cyrillic, in a speaker's name and in another language's title and abstract.
    assert slugs(index, "иван") == ["cafe-title"]
    assert slugs(index, "климат") == ["russian"]
    # Every word must match; no words, no hits.
    assert slugs(index, "cafe politics") == ["cafe-title"]
    assert slugs(index, "cafe nowhere") == []
    assert slugs(index, " ,. ") == []

    [hit] = search(index, "ozdes", "en")
    assert hit.speakers == {"özdeş özbay": "<mark>Özdeş</mark> Özbay"}
    # A match in another language's title is shown as a snippet in that language.
    [hit] = search(index, "климат", "en")
    assert str(hit.title) == "Workers"
    assert [(str(s.html), s.language) for s in hit.snippets] == [("Рабочие и <mark>Климат</mark>", "ru")]
    [hit] = search(index, "климат", "ru")
    assert str(hit.title) == "Рабочие и <mark>Климат</mark>"
    # The abstract is searched as text (no Markdown marks) and highlighted there.
    hit = search(index, "cafe", "en")[1]
    assert [str(s.html) for s in hit.snippets] == ["Notes from the <mark>Café</mark> on the corner."]


def test_search_highlights_escape_the_text_and_the_query() -> None:
    index = build_index(programme(("x", {"en": "<script>alert(1)</script> & Co"}, {}, ["A <b>"])))
    [hit] = search(index, "<script> alert", "en")
    assert str(hit.title) == "&lt;<mark>script</mark>&gt;<mark>alert</mark>(1)&lt;/<mark>script</mark>&gt; &amp; Co"
    [hit] = search(index, "b", "en")
    assert hit.speakers == {"a <b>": "A &lt;<mark>b</mark>&gt;"}
    # Decomposed accents stay with their letter.
    index = build_index(programme(("y", {"en": "Cafe\u0301 society"}, {}, [])))
    assert str(search(index, "cafe", "en")[0].title) == "<mark>Cafe\u0301</mark> society"


def test_search_query_rules_and_speed() -> None:
    assert normalise_query("  climate   justice \n") == "climate justice"
    assert normalise_query(None) == ""
    for bad in ("a\x00b", "x" * 201):
        with pytest.raises(QueryError):
            normalise_query(bad)
    sessions = [
        (f"s{i}", {"en": f"Session {i} on climate and labour", "ru": f"Сессия {i}", "fr": f"Séance {i}"},
         {"en": "A long abstract about the movement. " * 20, "fr": "Un résumé sur le mouvement. " * 20},
         [f"Speaker {i}", f"Özdeş {i}"])
        for i in range(200)
    ]  # fmt: skip
    index = build_index(programme(*sessions))
    started = time.perf_counter()
    for query in ("climate", "mouvement", "ozdes 17", "séance", "nothing"):
        search(index, query, "en")
    assert (time.perf_counter() - started) / 5 < 0.05
