"""Fuzz the Markdown renderer: any text becomes sanitised HTML with nothing a browser could run.

Targets: arbitrary Unicode, text built from Markdown's own syntax and HTML attack
fragments, and those fragments wrapped in every Markdown construct. For each, the
render must return (no exception, no recursion error) within a generous ceiling and
its HTML must hold no script, no event handler and no script URL, and only tags of the
allowlist.
"""

from __future__ import annotations

import re
import time
from html.parser import HTMLParser

from hypothesis import given
from hypothesis import strategies as st

from generator.markup import ALLOWED_TAGS, render_markdown

from .conftest import FUZZ

CEILING_SECONDS = 2.0
ATTACKS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<a href='javascript:alert(1)'>x</a>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](java\tscript:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x]( javascript:alert(1) )",
    "[x](data:text/html,<script>alert(1)</script>)",
    "[x](vbscript:msgbox(1))",
    "![x](javascript:alert(1))",
    "<javascript:alert(1)>",
    '<a href="x" onclick="alert(1)">x</a>',
    "<iframe src=//evil>",
    "<style>*{}</style>",
    "<!-- <script>alert(1)</script> -->",
    "<<script>script>alert(1)<</script>/script>",
    "<scr<script>ipt>alert(1)</script>",
    '<a title="x" href="http://a" style="x">y</a>',
    "[x]: javascript:alert(1)\n\n[y][x]",
    "`<script>`",
    "    <script>alert(1)</script>",
    "<div markdown=1>*<script>*</div>",
    "<form><button formaction=javascript:alert(1)>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
]
SYNTAX = ["*", "_", "**", "`", "[", "]", "(", ")", "<", ">", "!", "#", "-", "+", "1.", "\n", "\n\n", "    ", "\t", "\\"]
SYNTAX += ["&", "&#", ";", '"', "'", "=", "|", "~", ":", "/", "a", "b c", "http://x.example", "mailto:a@b", "\u202e"]
WRAPPERS = ["{}", "*{}*", "**{}**", "`{}`", "[{}](http://a)", "[a]({})", "> {}", "- {}", "1. {}", "    {}", "<b>{}</b>"]
WRAPPERS += ["[a](<{}>)", '[a](http://a "{}")', "<{}>", "{}\n===", "***{}***", "- > 1. {}"]

EXECUTABLE_URL = re.compile(r"^(?:javascript|vbscript|data|file):", re.IGNORECASE)


def browser_url(value: str) -> str:
    """An href as a browser's URL parser reads it: C0 controls and spaces trimmed, tabs and newlines removed."""
    return re.sub(r"[\t\n\r]", "", value.strip("".join(map(chr, range(0x21)))))


class Audit(HTMLParser):
    """Every tag, attribute and URL of the rendered HTML that could run code or escape the allowlist."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"tag <{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name in ("style", "src", "srcdoc", "formaction"):
                self.problems.append(f"<{tag} {name}>")
            if name == "href" and EXECUTABLE_URL.match(browser_url(value or "")):
                self.problems.append(f"<{tag} href={value!r}>")


def check(text: str) -> None:
    started = time.monotonic()
    page = str(render_markdown(text))
    elapsed = time.monotonic() - started
    assert elapsed < CEILING_SECONDS, f"{elapsed:.2f} s for {text[:80]!r}"
    # Attack text may show as text ("javascript:" in a paragraph is harmless): what matters is
    # what a browser parses, so the HTML parser below is the judge, not substring searches.
    assert "<script" not in page.lower()
    audit = Audit()
    audit.feed(page)
    audit.close()
    assert audit.problems == [], (text, page, audit.problems)


@FUZZ
@given(st.text(max_size=1000))
def test_arbitrary_text(text: str) -> None:
    check(text)


@FUZZ
@given(st.lists(st.sampled_from(SYNTAX + ATTACKS), max_size=200).map("".join))
def test_markdown_syntax_and_attacks(text: str) -> None:
    check(text)


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(WRAPPERS), st.sampled_from(ATTACKS + SYNTAX)), min_size=1, max_size=30))
def test_attacks_inside_every_construct(pieces: list[tuple[str, str]]) -> None:
    check("\n".join(wrapper.format(piece) for wrapper, piece in pieces))


@FUZZ
@given(st.sampled_from(SYNTAX), st.integers(1, 4000), st.sampled_from(["", "a", "\n", " a\n"]))
def test_one_construct_repeated_up_to_the_field_limit(unit: str, count: int, tail: str) -> None:
    check((unit + tail) * (count // max(1, len(unit + tail))))
