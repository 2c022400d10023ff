"""Atom feeds (RFC 4287): the one writer for every feed we publish (news, programme changes).

Callers give plain values; this module knows the format: the required elements (``id``,
``title``, ``updated`` on the feed and every entry; an author on the feed, so entries need
none), RFC 3339 times in UTC, HTML content as escaped text (``type="html"``), ``xml:lang``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from confman.lib.xml_documents import xml_bytes

ATOM_NS = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
MEDIA_TYPE = "application/atom+xml; charset=utf-8"
ET.register_namespace("", ATOM_NS)


@dataclass(frozen=True, slots=True)
class AtomLink:
    href: str
    rel: str = "alternate"
    type: str | None = None
    hreflang: str | None = None
    title: str | None = None


@dataclass(frozen=True, slots=True)
class AtomEntry:
    id: str  # a permanent IRI, e.g. a tag: URI or the entry's page URL
    title: str
    updated: datetime
    content_html: str  # HTML, already safe to show (sanitised by the caller)
    links: Sequence[AtomLink] = ()
    published: datetime | None = None
    summary: str | None = None  # plain text
    language: str | None = None  # when it differs from the feed's
    categories: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class AtomFeed:
    id: str
    title: str
    updated: datetime  # the newest entry's update, or when the feed's source last changed
    author: str
    self_url: str
    language: str
    entries: Sequence[AtomEntry]
    links: Sequence[AtomLink] = ()  # alternates: the HTML page, other languages' feeds
    subtitle: str | None = None
    icon: str | None = None
    generator: str = "confman"


def _tag(name: str) -> str:
    return f"{{{ATOM_NS}}}{name}"


def atom_time(moment: datetime) -> str:
    """RFC 3339 in UTC with a ``Z``, whole seconds (what every feed reader parses)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(parent: ET.Element, name: str, value: str, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, _tag(name), attributes)
    element.text = value
    return element


def _link(parent: ET.Element, link: AtomLink) -> None:
    attributes = {"href": link.href, "rel": link.rel}
    if link.type:
        attributes["type"] = link.type
    if link.hreflang:
        attributes["hreflang"] = link.hreflang
    if link.title:
        attributes["title"] = link.title
    ET.SubElement(parent, _tag("link"), attributes)


def render_atom(feed: AtomFeed) -> bytes:
    """The feed document, UTF-8 with an XML declaration."""
    root = ET.Element(_tag("feed"), {XML_LANG: feed.language})
    _text(root, "id", feed.id)
    _text(root, "title", feed.title)
    if feed.subtitle:
        _text(root, "subtitle", feed.subtitle)
    _text(root, "updated", atom_time(feed.updated))
    author = ET.SubElement(root, _tag("author"))
    _text(author, "name", feed.author)
    _link(root, AtomLink(feed.self_url, rel="self", type="application/atom+xml"))
    for link in feed.links:
        _link(root, link)
    _text(root, "generator", feed.generator)
    if feed.icon:
        _text(root, "icon", feed.icon)
    for entry in feed.entries:
        element = ET.SubElement(root, _tag("entry"), {XML_LANG: entry.language} if entry.language else {})
        _text(element, "id", entry.id)
        _text(element, "title", entry.title)
        _text(element, "updated", atom_time(entry.updated))
        if entry.published is not None:
            _text(element, "published", atom_time(entry.published))
        for link in entry.links:
            _link(element, link)
        for term in entry.categories:
            ET.SubElement(element, _tag("category"), {"term": term})
        if entry.summary:
            _text(element, "summary", entry.summary)
        _text(element, "content", entry.content_html, type="html")
    return xml_bytes(root, indent=None)
