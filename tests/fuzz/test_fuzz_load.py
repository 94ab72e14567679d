"""Fuzz the loader and the schema: any input gives a record or positioned diagnostics, never an exception.

Targets: arbitrary bytes, YAML-ish text built from the characters YAML gives a
meaning to, real records with random bytes spliced in, and structured mutations of a
valid member (a random value under a random key). For each, loading and converting
by every record type must return; every diagnostic must name the file, a line and a
column inside the input, a registered code, and a one-line message.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from generator.check import RECORD_TYPES
from generator.diagnostics import CODES, Diagnostic
from generator.fields import Context
from generator.load import load

from .conftest import FUZZ

PATH = "content/members/fuzz.yml"
BASE = Path(__file__).resolve().parent.parent / "invalid" / "_base" / "content"
SAMPLES = [p.read_bytes() for p in sorted(BASE.rglob("*.yml"))]
YAML_ALPHABET = [*"ab:- \n\t[]{}&*!|>'\"#?,%@`~0123456789.eé\\xu\r", "\u202e", "\u00a0", "<<", "---", "..."]
KEYS = ["name", "kind", "headline", "region", "skills", "joined", "bio", "links", "keys", "date", "quality"]
KEYS += ["recommend"]


def check(data: bytes) -> None:
    """Load and convert ``data`` as every record kind; fail on anything but positioned diagnostics."""
    loaded = load(PATH, data)
    lines = data.count(b"\n") + data.count(b"\r") + 1
    assert_positioned(loaded.diagnostics, lines)
    if loaded.root is None:
        assert loaded.diagnostics, "a file with no record must say why"
        return
    for record_type in RECORD_TYPES.values():
        ctx = Context(PATH)
        record_type.convert_record(loaded.root, ctx)
        assert_positioned(tuple(ctx.problems), lines)


def assert_positioned(diagnostics: tuple[Diagnostic, ...], lines: int) -> None:
    for d in diagnostics:
        assert d.path == PATH
        assert 1 <= d.position.line <= lines, d.render()
        assert d.position.column >= 1, d.render()
        assert d.code in CODES, d.render()
        assert d.message and "\n" not in d.message, d.render()
        assert "Traceback" not in d.message and "<unicode string>" not in d.message, d.render()


@FUZZ
@given(st.binary(max_size=2000))
def test_arbitrary_bytes(data: bytes) -> None:
    check(data)


@FUZZ
@given(st.lists(st.sampled_from(YAML_ALPHABET), max_size=300).map("".join))
def test_yaml_like_text(text: str) -> None:
    check(text.encode("utf-8"))


@FUZZ
@given(st.text(max_size=500))
def test_arbitrary_unicode_text(text: str) -> None:
    check(text.encode("utf-8", "surrogatepass"))


@FUZZ
@given(st.sampled_from(SAMPLES), st.data())
def test_records_with_bytes_spliced_in(sample: bytes, data: st.DataObject) -> None:
    offset = data.draw(st.integers(0, len(sample)))
    cut = data.draw(st.integers(0, 8))
    junk = data.draw(st.binary(min_size=1, max_size=16))
    check(sample[:offset] + junk + sample[offset + cut :])


SCALARS = st.one_of(
    st.sampled_from(["no", "on", "1:30", "0755", "+33612345678", "1.10", ".nan", "2024-02-30", "~", "''", '"\\u202e"']),
    st.sampled_from(["9" * 5000, "!!binary aGk=", "&a x", "*a", "[a, [b, [c, [d, [e]]]]]", "{a: 1, a: 2}", "|\n  x"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40).map(lambda t: '"' + t + '"'),
    st.from_regex(r"[a-z0-9 :\-\[\]{},]{0,30}", fullmatch=True),
)


@FUZZ
@given(st.sampled_from(SAMPLES), st.lists(st.tuples(st.sampled_from(KEYS), SCALARS), min_size=1, max_size=5))
def test_records_with_random_values_under_real_keys(sample: bytes, pairs: list[tuple[str, str]]) -> None:
    extra = "".join(f"{key}: {value}\n" for key, value in pairs).encode("utf-8", "surrogatepass")
    check(sample + extra)
