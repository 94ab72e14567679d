"""Member Markdown cannot stall or crash a build: pathological inputs, deep nesting, the time budget.

The inputs follow cmark's ``test/pathological_tests.py``, sized to the longest Markdown
field (4,000 characters). Each test asserts what the page shows (structure) and that
the render finishes; the 2-second bounds are generous ceilings for a loaded CI machine,
not benchmarks (each input takes at most about 0.2 s here).
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from concurrent.futures import ProcessPoolExecutor

import pytest

from generator import markup
from generator.markup import (
    MAX_ANGLES,
    MAX_BRACKETS,
    MAX_MARKDOWN_CHARS,
    MAX_NESTING,
    as_plain_paragraphs,
    nesting_depth,
    render_markdown,
)
from generator.schema import MAX_BIO

CEILING_SECONDS = 2.0
N = MAX_BIO


def fill(unit: str, before: str = "", after: str = "") -> str:
    """``unit`` repeated to make a text of about the longest Markdown field."""
    return before + unit * ((N - len(before) - len(after)) // len(unit)) + after


PATHOLOGICAL = {
    # cmark's test/pathological_tests.py, at 4,000 characters
    "nested strong emph": "*a **a " * 285 + "b" + " a** a*" * 285,
    "many emph closers with no openers": fill("a_ "),
    "many emph openers with no closers": fill("_a "),
    "many link closers with no openers": fill("a]"),
    "many link openers with no closers": fill("[a"),
    "mismatched openers and closers": fill("*a_ "),
    "openers and closers multiple of 3": fill("c* ", "a**b"),
    "link openers and emph closers": fill("[ a_"),
    "pattern [ (]( repeated": fill("[ (]("),
    "nested brackets": "[" * (N // 2) + "a" + "]" * (N // 2 - 1),
    "nested block quotes": fill("> ", after="a"),
    "deeply nested lists": "".join("  " * i + "* a\n" for i in range(60)),
    "U+0000 in input": "abc\u0000de\u0000",
    "backticks": "".join("e" + "`" * i for i in range(1, 88)),
    "unclosed links A": fill("[a](<b"),
    "unclosed links B": fill("[a](b"),
    "unclosed <!--": fill("<!--", "</"),
    "many references": "".join(f"[{i}]: u\n" for i in range(500)) + fill("[0] ", ""),
    "emph in link label": fill("[*a"),
    # Python-Markdown's own slow spots
    "[ * 4,000 (the issue's example, at the field limit)": "[" * N,
    "[ * 8,000 (the issue's example)": "[" * 8000,
    "< * 4,000": "<" * N,
    "unclosed tags": fill("<a "),
    "unclosed tags on lines": fill("<x\n"),
    "setext headings": fill("a\n=\n"),
    "setext underlines": fill("-\n"),
    "rules": fill("***\n"),
    "spaced rules": fill("- - -\n"),
    "list markers on one line": fill("+ ", after="a"),
    "ordered markers on one line": fill("1. ", after="a"),
    "mixed markers on one line": fill("- 1. > "),
    "autolinks": fill("<http://a"),
    "entities": fill("&#"),
    "backslashes": "\\" * N,
    "html comment openers": fill("<!-- "),
    "html attributes": fill('b="c" ', "<a "),
}


@pytest.mark.parametrize("text", PATHOLOGICAL.values(), ids=list(PATHOLOGICAL))
def test_pathological_inputs_render_quickly_and_safely(text: str) -> None:
    started = time.monotonic()
    page = str(render_markdown(text))
    elapsed = time.monotonic() - started

    assert elapsed < CEILING_SECONDS, f"{elapsed:.2f} s"
    assert "<script" not in page
    assert page.strip(), "the text is shown, not dropped"


@pytest.mark.parametrize("indent", [2, 4])
def test_a_list_nested_400_deep_renders_as_text(indent: int) -> None:
    text = "".join(" " * indent * i + f"* level {i}\n" for i in range(400))

    page = str(render_markdown(text))

    assert "<li>" not in page
    assert page.startswith("<p>* level 0<br>\n")
    assert "* level 399</p>" in page


@pytest.mark.parametrize(
    "text",
    ["+ " * 600 + "a", "1. " * 600 + "a", "> " * 3000 + "a", "".join(">" * i + " a\n" for i in range(500))],
    ids=["bullets", "numbers", "quotes", "quote-lines"],
)
def test_deep_nesting_on_one_line_never_recurses_too_far(text: str) -> None:
    page = str(render_markdown(text))

    assert "<li>" not in page and "<blockquote>" not in page
    assert page.startswith("<p>")


def test_ordinary_nesting_still_renders_as_markdown() -> None:
    text = "Intro.\n\n- one\n- two\n    - nested\n        - deeper\n\n> quote\n> > inner\n\n1. a\n2. b\n"

    page = str(render_markdown(text))

    assert page.count("<ul>") == 3
    assert page.count("<blockquote>") == 2
    assert "<ol>" in page


def test_nesting_depth_is_generous() -> None:
    assert nesting_depth("plain text\n") == 0
    assert nesting_depth("- a\n    - b\n") == 3
    assert nesting_depth("> - 1. a") == 3
    assert nesting_depth("\t\t- a") == 5
    assert nesting_depth("10.5 hours, 3) done") == 0
    assert nesting_depth("".join("  " * i + "* a\n" for i in range(MAX_NESTING + 1))) > MAX_NESTING


def test_brackets_and_angles_beyond_their_limits_show_as_written() -> None:
    links = " ".join(["[site](https://a.example/)"] * MAX_BRACKETS)
    over = links + " ["

    assert str(render_markdown(links)).count("<a ") == MAX_BRACKETS
    assert "<a " not in str(render_markdown(over))
    assert "[site](https://a.example/)" in str(render_markdown(over))

    tags = "<em>x</em> " * (MAX_ANGLES // 2)
    assert str(render_markdown(tags)).count("<em>") == MAX_ANGLES // 2
    assert str(render_markdown(tags + "<")).count("&lt;em&gt;") == MAX_ANGLES // 2


def test_a_text_beyond_any_field_limit_is_never_parsed() -> None:
    text = "**bold** " * (MAX_MARKDOWN_CHARS // 9 + 1)

    page = str(render_markdown(text))

    assert "<strong>" not in page
    assert page.startswith("<p>**bold**")


def test_plain_paragraphs_escape_everything() -> None:
    page = str(as_plain_paragraphs("<script>alert(1)</script>\n\n& one\r\ntwo\n \n\n"))

    assert page == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n<p>&amp; one<br>\ntwo</p>"


# -- the time budget ----------------------------------------------------------------------

SLOW = fill("a\n=\n")
"""About 0.1 s here: long enough for a budget of a millisecond to expire."""


def test_a_render_over_budget_falls_back_to_plain_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(markup, "RENDER_BUDGET_SECONDS", 0.001)

    page = str(render_markdown(SLOW))

    assert "<h1>" not in page
    assert page.startswith("<p>a<br>\n=<br>\n")
    monkeypatch.setattr(markup, "RENDER_BUDGET_SECONDS", 2.0)
    assert str(render_markdown("**ok**")) == "<p><strong>ok</strong></p>", "the renderer works after a timeout"


def _render_in_worker(text: str) -> str:
    return str(render_markdown(text))


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="the build forks its workers")
def test_the_budget_applies_in_worker_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(markup, "RENDER_BUDGET_SECONDS", 0.001)  # inherited by the forked worker

    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork")) as pool:
        page = pool.submit(_render_in_worker, SLOW).result(timeout=60)

    assert "<h1>" not in page
    assert page.startswith("<p>a<br>\n")


def test_outside_the_main_thread_the_structural_limits_are_the_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(markup, "RENDER_BUDGET_SECONDS", 0.001)
    pages: list[str] = []
    thread = threading.Thread(target=lambda: pages.append(str(render_markdown(SLOW + "\n\n" + "[" * 100))))
    thread.start()
    thread.join(30)

    assert pages, "the render finished"
    assert "<p>a<br>" not in pages[0], "no timer in a thread: rendered as Markdown, not as plain text"
    assert "[" * 100 in pages[0]


def test_the_budget_leaves_another_timer_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    import signal

    if not hasattr(signal, "setitimer"):
        pytest.skip("no interval timers on this system")
    monkeypatch.setattr(markup, "RENDER_BUDGET_SECONDS", 0.001)
    fired: list[int] = []
    previous = signal.signal(signal.SIGALRM, lambda signum, frame: fired.append(signum))
    signal.setitimer(signal.ITIMER_REAL, 30)
    try:
        page = str(render_markdown(SLOW))
        remaining = signal.getitimer(signal.ITIMER_REAL)[0]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)

    assert 0 < remaining <= 30, "the outer timer still runs"
    assert fired == []
    assert "<p>a<br>" not in page, "with the timer taken, the render ran to completion"
