"""Properties of loading and validation that must hold for every input, not just examples."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator import check
from generator.check import RECORD_TYPES, check_site, parse_all
from generator.config import load_config
from generator.diagnostics import Diagnostic
from generator.discover import RecordFile, discover
from generator.fields import Context
from generator.load import load
from generator.validate import validate

from .conftest import REPO

TODAY = dt.date(2026, 11, 27)
MEMBER_TEXT = (REPO / "tests/invalid/_base/content/members/ines-moreau.yml").read_bytes()


def assert_positioned(diagnostics: tuple[Diagnostic, ...], path: str) -> None:
    for d in diagnostics:
        assert d.path == path
        assert d.position.line >= 1
        assert d.position.column >= 1
        assert d.message and d.code


def convert(data: bytes) -> None:
    loaded = load("m.yml", data)
    assert_positioned(loaded.diagnostics, "m.yml")
    if loaded.root is None:
        assert loaded.diagnostics, "a file with no record must say why"
        return
    ctx = Context("m.yml")
    RECORD_TYPES["member"].convert_record(loaded.root, ctx)
    assert_positioned(tuple(ctx.problems), "m.yml")


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_any_bytes_give_a_record_or_positioned_errors(data: bytes) -> None:
    convert(data)


@settings(max_examples=300)
@given(st.text(alphabet=st.sampled_from(list("ab:- \n\t[]{}&*!|>'\"#?,%@`~0123456789.é\u202e")), max_size=200))
def test_any_yaml_like_text_gives_a_record_or_positioned_errors(text: str) -> None:
    convert(text.encode("utf-8"))


@settings(max_examples=200)
@given(st.integers(0, len(MEMBER_TEXT)), st.binary(min_size=1, max_size=8))
def test_mutated_member_records_never_crash(offset: int, junk: bytes) -> None:
    convert(MEMBER_TEXT[:offset] + junk + MEMBER_TEXT[offset:])


def test_file_order_never_changes_the_result() -> None:
    config = load_config(REPO)
    found = discover(REPO)
    parsed, _ = parse_all(REPO, found.files, jobs=1)
    reference = validate(config, parsed, TODAY)
    rng = random.Random(7)
    for _ in range(5):
        shuffled = parsed[:]
        rng.shuffle(shuffled)
        again = validate(config, shuffled, TODAY)
        assert again.diagnostics == reference.diagnostics
        assert again.site == reference.site
        assert list(again.site.engagements) == list(reference.site.engagements)


def test_parallel_and_serial_parsing_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    files: tuple[RecordFile, ...] = discover(REPO).files
    serial = list(parse_all(REPO, files, jobs=1))
    monkeypatch.setattr(check, "PARALLEL_THRESHOLD", 1)
    monkeypatch.setattr(check, "CHUNK", 50)
    assert list(parse_all(REPO, files, jobs=2)) == serial


def test_same_input_same_output() -> None:
    first = check_site(REPO, TODAY)
    second = check_site(REPO, TODAY)
    assert first == second
