"""Markdown from untrusted organisers and speakers, rendered to HTML that is safe to embed.

markdown-it renders with raw HTML switched off (so ``<script>`` stays text) and refuses
``javascript:``-style links; nh3 (ammonia) then keeps only an allow-list of tags,
attributes and URL schemes, in case a future option lets something through.
"""

from __future__ import annotations

import functools

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_renderer = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).disable("image")

_ALLOWED_TAGS = {
    "p", "br", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "a", "h3", "h4", "h5", "h6", "hr",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}


@functools.lru_cache(maxsize=4096)
def render_markdown(text: str) -> Markup:
    html = _renderer.render(text)
    # Headings inside a bio or abstract are demoted below the page's own h1/h2.
    for level in (1, 2):
        html = html.replace(f"<h{level}>", "<h3>").replace(f"</h{level}>", "</h3>")
    cleaned = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer ugc",
    )
    return Markup(cleaned)  # noqa: S704 - sanitised by nh3 just above


_html_finder = MarkdownIt("commonmark", {"html": True})


def contains_raw_html(text: str) -> bool:
    """Whether ``text`` holds raw HTML (a tag, a comment) that :func:`render_markdown` would show
    as plain text: for input that is meant to be Markdown. Code spans and autolinks
    (``<https://…>``) are Markdown, not HTML."""
    for token in _html_finder.parse(text):
        if token.type == "html_block":
            return True
        if token.children and any(child.type == "html_inline" for child in token.children):
            return True
    return False
