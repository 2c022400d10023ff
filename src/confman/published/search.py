"""Searching the published programme: titles, abstracts and speakers, in every language.

The programme is small (a few hundred sessions) and already in memory per version, so the
search runs in Python over an index built once per programme version (``ProgrammeCache``
keeps it next to the read model). Text is *folded* for matching: decomposed (NFKD), marks
dropped and case-folded, so "ozdes" finds "Özdeş", "cafe" finds "Café" and "иван" finds
"Иванова". Each folded character remembers the character of the original text it came
from, so highlights are cut from the original text and escaped piece by piece: nothing of
the query or the programme reaches the page unescaped.

Ranking: every word of the query must match somewhere in the session; each word scores by
where it matched (title > speaker > abstract) and how (a whole word > the start of a word
> inside a word). Ties keep the programme's time order.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from markupsafe import Markup, escape

from confman.lib.markdown import render_markdown
from confman.lib.translations import pick
from confman.published.model import PublicSession, PublicSpeaker, PublishedProgramme

MAX_QUERY = 200
# Words of a query beyond these are ignored (each costs a pass over the index).
MAX_TERMS = 8
SNIPPET = 160

TITLE, SPEAKER, ABSTRACT = 3, 2, 1
_WHOLE, _PREFIX, _INSIDE = 3, 2, 1
# Score of a word by where and how it matched: inside a word is weak anywhere ("decafe").
_SCORES = {
    TITLE: {_WHOLE: 30, _PREFIX: 25, _INSIDE: 8},
    SPEAKER: {_WHOLE: 24, _PREFIX: 20, _INSIDE: 6},
    ABSTRACT: {_WHOLE: 12, _PREFIX: 10, _INSIDE: 3},
}
# Letters that do not decompose but are read as a plain Latin letter by someone typing without them.
_EXTRA = str.maketrans({"ı": "i", "ø": "o", "đ": "d", "ł": "l", "æ": "ae", "œ": "oe", "ð": "d", "þ": "th"})
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_TAGS = re.compile(r"<[^>]*>")


class QueryError(ValueError):
    """The query cannot be searched for (too long, control characters)."""


def normalise_query(raw: str | None) -> str:
    """The query as searched and as part of the page's address: trimmed, spaces collapsed.

    Raises :class:`QueryError` for control characters or more than ``MAX_QUERY`` characters.
    """
    if raw is None:
        return ""
    if _CONTROL.search(raw):
        raise QueryError("control characters are not allowed")
    query = " ".join(raw.split())
    if len(query) > MAX_QUERY:
        raise QueryError(f"at most {MAX_QUERY} characters")
    return query


def _fold_char(char: str) -> str:
    decomposed = unicodedata.normalize("NFKD", char)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().translate(_EXTRA)


@dataclass(frozen=True, slots=True)
class Folded:
    """A text and its folded form; ``origin[i]`` is the index in ``text`` of folded character i."""

    text: str
    folded: str
    origin: tuple[int, ...]


def fold(text: str) -> Folded:
    folded: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        part = char.lower() if char.isascii() else _fold_char(char)
        folded.append(part)
        origin.extend([index] * len(part))
    return Folded(text, "".join(folded), tuple(origin))


def query_terms(query: str) -> tuple[str, ...]:
    """The folded words of a query (punctuation splits words, as it does in the texts)."""
    words = re.findall(r"\w+", fold(query).folded)
    return tuple(dict.fromkeys(words))[:MAX_TERMS]


def _quality(folded: str, start: int, end: int) -> int:
    starts_word = start == 0 or not folded[start - 1].isalnum()
    if not starts_word:
        return _INSIDE
    return _WHOLE if end == len(folded) or not folded[end].isalnum() else _PREFIX


def _best(field: Folded, term: str) -> int:
    """The best match quality of ``term`` in ``field``; 0 if it does not occur."""
    best = 0
    start = field.folded.find(term)
    while start >= 0 and best < _WHOLE:
        best = max(best, _quality(field.folded, start, start + len(term)))
        start = field.folded.find(term, start + 1)
    return best


def _ranges(field: Folded, terms: tuple[str, ...]) -> list[tuple[int, int]]:
    """Where ``terms`` occur, as merged [start, end) ranges of the original text."""
    found: list[tuple[int, int]] = []
    text, origin = field.text, field.origin
    for term in terms:
        start = field.folded.find(term)
        while start >= 0:
            first, last = origin[start], origin[start + len(term) - 1] + 1
            # A decomposed accent after the last letter belongs to it.
            while last < len(text) and unicodedata.combining(text[last]):
                last += 1
            found.append((first, last))
            start = field.folded.find(term, start + len(term))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(found):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def highlight(text: str, ranges: list[tuple[int, int]], window: tuple[int, int] | None = None) -> Markup:
    """``text`` escaped, with ``ranges`` in ``<mark>``; only ``window`` of it if given."""
    lo, hi = window or (0, len(text))
    out: list[str] = []
    position = lo
    for start, end in ranges:
        start, end = max(start, lo), min(end, hi)
        if start >= end:
            continue
        out.append(str(escape(text[position:start])))
        out.append(f"<mark>{escape(text[start:end])}</mark>")
        position = end
    out.append(str(escape(text[position:hi])))
    return Markup("".join(out))  # noqa: S704 - every piece of text escaped above


def _plain(markdown: str) -> str:
    """An abstract as plain text (its rendered HTML without tags), for matching and snippets."""
    html = str(render_markdown(markdown))
    text = _TAGS.sub(" ", html)
    for entity, char in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&#x27;", "'"), ("&#39;", "'")):
        text = text.replace(entity, char)
    return " ".join(text.replace("&amp;", "&").split())


@dataclass(frozen=True, slots=True)
class IndexedSession:
    session: PublicSession
    # Per language: the title and the abstract as plain text.
    titles: dict[str, Folded]
    abstracts: dict[str, Folded]
    speakers: tuple[tuple[PublicSpeaker, Folded], ...]
    # Everything folded in one string: a session without a term is skipped at once.
    blob: str


@dataclass(frozen=True, slots=True)
class SearchIndex:
    sessions: tuple[IndexedSession, ...]
    default_language: str


def build_index(programme: PublishedProgramme) -> SearchIndex:
    entries = []
    for session in programme.sessions:
        titles = {lang: fold(value) for lang, value in session.title.items() if value}
        abstracts = {lang: fold(_plain(value)) for lang, value in session.abstract.items() if value.strip()}
        speakers = tuple((slot.speaker, fold(slot.speaker.name)) for slot in session.speakers)
        parts = [f.folded for f in (*titles.values(), *abstracts.values())] + [f.folded for _, f in speakers]
        entries.append(IndexedSession(session, titles, abstracts, speakers, "\n".join(parts)))
    return SearchIndex(tuple(entries), programme.conference.default_language)


@dataclass(frozen=True, slots=True)
class Snippet:
    """Where a session matched besides what the card shows: another language's title, an abstract."""

    html: Markup
    language: str
    # TITLE or ABSTRACT.
    field: int


@dataclass(frozen=True, slots=True)
class SearchHit:
    session: PublicSession
    score: int
    # The title in the viewer's language (as the card shows it), highlighted, and its language.
    title: Markup
    title_language: str
    # Speaker slug → the highlighted name (only speakers whose name matched).
    speakers: dict[str, Markup]
    snippets: tuple[Snippet, ...]


def _snippet(field: Folded, ranges: list[tuple[int, int]]) -> Markup:
    """About ``SNIPPET`` characters of a long text around its first match, cut at spaces."""
    text = field.text
    if len(text) <= SNIPPET:
        return highlight(text, ranges)
    first = ranges[0][0]
    lo = max(0, first - SNIPPET // 3)
    if lo > 0:
        space = text.rfind(" ", 0, lo)
        lo = space + 1 if space >= 0 and lo - space < 20 else lo
    hi = min(len(text), lo + SNIPPET)
    if hi < len(text):
        space = text.find(" ", hi)
        hi = space if 0 <= space - hi < 20 else hi
    body = highlight(text, ranges, (lo, hi))
    return Markup("{}{}{}").format("… " if lo > 0 else "", body, " …" if hi < len(text) else "")


def search(index: SearchIndex, query: str, language: str) -> list[SearchHit]:
    """Sessions matching every word of ``query``, best first, highlighted for a viewer reading
    ``language``."""
    terms = query_terms(query)
    if not terms:
        return []
    hits: list[tuple[int, int, SearchHit]] = []
    for order, entry in enumerate(index.sessions):
        if not all(term in entry.blob for term in terms):
            continue
        score = 0
        for term in terms:
            fields = (
                *((TITLE, f) for f in entry.titles.values()),
                *((SPEAKER, f) for _, f in entry.speakers),
                *((ABSTRACT, f) for f in entry.abstracts.values()),
            )
            best = max((_SCORES[kind][_best(f, term)] for kind, f in fields if term in f.folded), default=0)
            if best == 0:  # the term spans two fields in the blob
                break
            score += best
        else:
            hits.append((-score, order, _hit(entry, terms, language, index.default_language, score)))
    hits.sort(key=lambda hit: hit[:2])
    return [hit for _, _, hit in hits]


def _hit(entry: IndexedSession, terms: tuple[str, ...], language: str, default: str, score: int) -> SearchHit:
    session = entry.session
    title_text, title_language = pick(session.title, language, default)
    shown = entry.titles.get(title_language) or fold(title_text)
    speakers = {}
    for speaker, name in entry.speakers:
        ranges = _ranges(name, terms)
        if ranges:
            speakers[speaker.slug] = highlight(name.text, ranges)
    snippets: list[Snippet] = []
    shown_terms = set()
    for term in terms:
        if term in shown.folded or any(term in name.folded for _, name in entry.speakers):
            shown_terms.add(term)
    # A word found only in another language's title, or only in an abstract, is shown where it is:
    # the viewer's language first, then the others.
    for field_kind, fields in ((TITLE, entry.titles), (ABSTRACT, entry.abstracts)):
        ordered = sorted(fields.items(), key=lambda item: (item[0] != language, item[0] != default, item[0]))
        for lang, field in ordered:
            if field_kind == TITLE and lang == title_language:
                continue
            missing = [term for term in terms if term not in shown_terms and term in field.folded]
            if not missing:
                continue
            ranges = _ranges(field, tuple(missing))
            snippets.append(Snippet(_snippet(field, ranges), lang, field_kind))
            shown_terms.update(missing)
    return SearchHit(
        session=session,
        score=score,
        title=highlight(shown.text, _ranges(shown, terms)),
        title_language=title_language,
        speakers=speakers,
        snippets=tuple(snippets),
    )
