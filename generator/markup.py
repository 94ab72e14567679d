"""Member-written Markdown to safe HTML: render with Python-Markdown, then sanitise with nh3.

Bios, comments, replies and notes come from strangers' pull requests. Whatever they
contain (raw HTML, scripts, event handlers, ``javascript:`` links, SVG tricks) the only
HTML that reaches a page is what survives nh3's allowlist: a handful of text tags,
links limited to http, https and mailto, and ``rel="nofollow ugc noopener"`` on every
link so the directory lends no ranking to what members link to.

Python-Markdown is neither linear nor flat: some inputs take time quadratic in their
length and deep nesting recurses once per level. Three layers keep one text from
stalling or crashing a build (``docs/security.md`` lists the inputs and their tests):

1. the schema caps every Markdown field (4,000 characters at most), and a text longer
   than :data:`MAX_MARKDOWN_CHARS` is never given to Python-Markdown at all;
2. constructs that are quadratic in their count are neutralised before rendering when
   a text has more of them than any real bio: ``[`` beyond :data:`MAX_BRACKETS` and
   ``<`` beyond :data:`MAX_ANGLES` render as written, and a text whose lists and quotes
   nest deeper than :data:`MAX_NESTING` renders as plain paragraphs (400 nested list
   levels would otherwise exhaust Python's recursion limit);
3. a render that still takes longer than :data:`RENDER_BUDGET_SECONDS`, or recurses too
   deep, falls back to plain paragraphs. The budget is a ``SIGALRM`` interval timer, so
   it applies in the main thread of any process: the ``triangle`` command and the build's
   worker processes. In another thread (``triangle serve`` rebuilds in one) layers 1 and
   2 are the bound. With them, the slowest known input renders in about 0.2 s, so the
   budget is a safety net that real texts never reach: output stays reproducible.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import html
import re
import signal
import threading
from collections.abc import Iterator
from importlib import metadata
from types import FrameType

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
MAX_ANGLES = 64
"""Likewise for '<': its raw-HTML scanner is quadratic in unclosed tags ('<a ' * 1,300 takes
0.2 s, twice that four times as long). Beyond this count '<' is written as ``&lt;``: the
text shows as written, without inline HTML or ``<https://…>`` autolinks."""
MAX_NESTING = 16
"""Lists and block quotes nested deeper than this (estimated generously, see
:func:`nesting_depth`) render as plain paragraphs: Python-Markdown recurses per level."""
MAX_MARKDOWN_CHARS = 8000
"""Twice the longest Markdown field the schema allows; a longer text is never parsed as
Markdown, so a field whose limit is forgotten cannot reopen the quadratic cases."""
RENDER_BUDGET_SECONDS = 2.0
"""Wall-clock budget of one render (see the module docstring, layer 3)."""

_CONTAINER_PREFIX = re.compile(r"[ \t>*+\-0-9.)]*")
_CONTAINER_MARKER = re.compile(r"(?:>|[*+\-]|[0-9]{1,9}[.)])(?=[ \t]|$)")


@functools.cache
def renderer_key() -> bytes:
    """What :func:`render_markdown` makes of a text depends on, besides Triangle's code: the two libraries.

    HTML kept between builds (see :class:`~generator.views.MarkdownCache`) is looked up
    under this key, so that upgrading Python-Markdown or nh3 draws every text again.
    """
    versions = tuple(metadata.version(name) for name in ("markdown", "nh3"))
    return hashlib.blake2b(repr(versions).encode(), digest_size=32).digest()


@functools.lru_cache(maxsize=1)
def _renderer() -> markdown.Markdown:
    return markdown.Markdown(extensions=["sane_lists"], output_format="html")


class _OverBudget(BaseException):
    """Raised by the timer inside Python-Markdown; a BaseException so no ``except Exception`` swallows it."""


def _expire(signum: int, frame: FrameType | None) -> None:
    raise _OverBudget


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`_OverBudget` in the body if it runs longer than ``seconds``.

    Only the main thread receives signals, and an interval timer someone else set
    (a test runner's timeout) is left alone: in both cases the body runs unbounded.
    """
    usable = (
        hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
        and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
        and signal.getsignal(signal.SIGALRM) is not None
    )
    if not usable:
        yield
        return
    previous = signal.signal(signal.SIGALRM, _expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def nesting_depth(text: str) -> int:
    """A generous estimate of how deep lists and block quotes nest in ``text``.

    Per line: the list and quote markers that open it (``> - 1. a`` counts 3) plus one
    level per two columns of indentation. It overestimates (an indented code block
    counts too), which only sends a strange text to plain paragraphs; it never
    underestimates, which is what keeps Python-Markdown's recursion bounded.
    """
    deepest = 0
    for line in text.splitlines():
        prefix = _CONTAINER_PREFIX.match(line)
        assert prefix is not None, "the pattern matches the empty string"
        lead = prefix.group()
        indent = len(lead.expandtabs(4)) - len(lead.expandtabs(4).lstrip(" "))
        depth = indent // 2 + len(_CONTAINER_MARKER.findall(lead))
        deepest = max(deepest, depth)
    return deepest


def as_plain_paragraphs(text: str) -> Markup:
    """The text shown exactly as written: escaped, blank lines separate paragraphs, lines kept."""
    paragraphs = [p.strip("\n") for p in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n"))]
    body = "\n".join(
        "<p>" + "<br>\n".join(html.escape(line, quote=False) for line in p.split("\n")) + "</p>"
        for p in paragraphs
        if p.strip()
    )
    return Markup(body)  # every character of the member's text is escaped above


def neutralise(text: str) -> str | None:
    """The text with its quadratic constructs disarmed, or ``None`` when it must not be parsed at all."""
    if len(text) > MAX_MARKDOWN_CHARS or nesting_depth(text) > MAX_NESTING:
        return None
    if text.count("[") > MAX_BRACKETS:
        text = text.replace("[", "\\[")
    if text.count("<") > MAX_ANGLES:
        text = text.replace("<", "&lt;")
    return text


def _convert(text: str) -> str | None:
    """Python-Markdown's HTML, or ``None`` when the render overran its budget or recursed too deep."""
    renderer = _renderer()
    try:
        with time_limit(RENDER_BUDGET_SECONDS):
            return renderer.convert(text)
    except (_OverBudget, RecursionError):
        # Interrupted half way: build a fresh renderer rather than trust this one's state.
        _renderer.cache_clear()
        return None
    finally:
        renderer.reset()


def render_markdown(text: str) -> Markup:
    """Render member Markdown to sanitised HTML, safe to insert into any page."""
    safe_text = neutralise(text)
    converted = None if safe_text is None else _convert(safe_text)
    if converted is None:
        return as_plain_paragraphs(text)
    clean = nh3.clean(
        converted,
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
