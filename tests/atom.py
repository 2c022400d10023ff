"""Checking an Atom feed as its readers will: RFC 4287's RELAX NG schema (``tests/schemas/atom.rng``,
with lxml), the schema's Schematron rules and RFC 3339 times (which RELAX NG does not check),
and a real feed parser (feedparser), which must read it without complaint.

    parsed = assert_valid_atom(response.content, entries=2)
    assert parsed.entries[0].title == "…"
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import feedparser
from lxml import etree

SCHEMA = Path(__file__).parent / "schemas" / "atom.rng"
ATOM = "http://www.w3.org/2005/Atom"
_NS = {"atom": ATOM}
# RFC 3339 §5.6 date-time: an offset is required (xsd:dateTime lets it out).
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


@functools.cache
def atom_schema() -> etree.RelaxNG:
    return etree.RelaxNG(etree.parse(str(SCHEMA)))


def assert_valid_atom(body: bytes, *, entries: int | None = None) -> Any:
    """Fail unless ``body`` is a valid Atom feed (or entry document); ``entries``: how many
    entries the feed must have. Returns feedparser's reading, for further assertions."""
    document = etree.fromstring(body)
    schema = atom_schema()
    assert schema.validate(document), f"not valid against RFC 4287's schema: {schema.error_log}"
    # The schema's Schematron rules.
    if document.tag == f"{{{ATOM}}}feed":
        for entry in document.findall("atom:entry", _NS):
            assert document.find("atom:author", _NS) is not None or entry.find("atom:author", _NS) is not None, (
                "an atom:entry must have an atom:author if its feed does not"
            )
    for entry in document.iter(f"{{{ATOM}}}entry"):
        alternate = entry.xpath("atom:link[@rel='alternate'] or atom:link[not(@rel)] or atom:content", namespaces=_NS)
        assert alternate, "an atom:entry must have an alternate link or an atom:content"
    for element in document.iter(f"{{{ATOM}}}updated", f"{{{ATOM}}}published"):
        assert element.text, "an empty date-time"
        assert _RFC3339.match(element.text), f"not an RFC 3339 date-time: {element.text!r}"
    parsed = feedparser.parse(body)
    assert not parsed.bozo, f"feedparser could not read it: {parsed.get('bozo_exception')!r}"
    assert parsed.version == "atom10", parsed.version
    if entries is not None:
        assert len(parsed.entries) == entries, [entry.get("title") for entry in parsed.entries]
    return parsed
