"""Member-written Markdown to safe HTML: render with Python-Markdown, then sanitise with nh3.

Bios, comments, replies and notes come from strangers' pull requests. Whatever they
contain (raw HTML, scripts, event handlers, ``javascript:`` links, SVG tricks) the only
HTML that reaches a page is what survives nh3's allowlist: a handful of text tags,
links limited to http, https and mailto, and ``rel="nofollow ugc noopener"`` on every
link so the directory lends no ranking to what members link to.
"""

from __future__ import annotations

import functools
import html

import markdown
import nh3
from markupsafe import Markup

ALLOWED_TAGS = frozenset(
    {"p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "blockquote", "code", "pre", "a", "hr", "del"}
)
"""No headings (a bio must not break the page's outline), no images, no tables, no forms."""
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
MAX_BRACKETS = 64
"""Python-Markdown's link parser is quadratic in unmatched '[' (4,000 take seconds). A
text with more brackets than any real bio has links gets them escaped: it renders as
written, without links, in linear time."""


@functools.lru_cache(maxsize=1)
def _renderer() -> markdown.Markdown:
    return markdown.Markdown(extensions=["sane_lists"], output_format="html")


def render_markdown(text: str) -> Markup:
    """Render member Markdown to sanitised HTML, safe to insert into any page."""
    if text.count("[") > MAX_BRACKETS:
        text = text.replace("[", "\\[")
    renderer = _renderer()
    try:
        html = renderer.convert(text)
    finally:
        renderer.reset()
    clean = nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="nofollow ugc noopener",
        strip_comments=True,
    )
    return Markup(clean)  # nh3's output is the only HTML we mark safe


def plain_text(text: str, limit: int = 200) -> str:
    """The first words of member Markdown as plain text (for descriptions and feeds)."""
    stripped = html.unescape(nh3.clean(str(render_markdown(text)), tags=set()))
    words = " ".join(stripped.split())
    return words if len(words) <= limit else words[: limit - 1].rsplit(" ", 1)[0] + "…"
