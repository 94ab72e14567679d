"""Properties of loading and validation that must hold for every input, not just examples."""

from __future__ import annotations

import datetime as dt
import pickle
import random
import shutil
from pathlib import Path

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
from generator.model import Positions, Source
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


positions_strategy = st.dictionaries(
    st.text(alphabet="abcdefgh[]0123456789_", min_size=1, max_size=12),
    st.tuples(st.integers(1, 10**7), st.integers(1, 10**4)),
    max_size=20,
)


@given(positions_strategy, st.text(max_size=12))
def test_compact_positions_read_like_the_mapping_they_were_made_from(
    positions: dict[str, tuple[int, int]], other: str
) -> None:
    compact = Positions(positions)
    assert dict(compact) == positions
    assert list(compact) == list(positions)  # the order a message lists keys in
    assert len(compact) == len(positions)
    assert (other in compact) == (other in positions)
    assert compact.get(other) == positions.get(other)
    assert dict(Positions.packed(*compact.packing())) == positions
    assert dict(pickle.loads(pickle.dumps(compact))) == positions
    source = Source("m.yml", positions)
    for key, (line, column) in positions.items():
        assert source.at(key) == (line, column)
    assert source.at(other) == (positions.get(other) or (1, 1))


def test_records_with_the_same_keys_share_one_tuple_of_them() -> None:
    first = Positions({"name": (1, 7), "skills[0]": (3, 5)})
    second = Positions({"name": (2, 7), "skills[0]": (9, 5)})
    assert first.packing()[0] is second.packing()[0]
    assert Positions.packed(("name", "skills[0]"), (4, 4, 5, 5)).packing()[0] is first.packing()[0]


def test_cached_records_keep_every_position(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The record cache stores positions packed: an error found from cached records still points at its line."""
    site = tmp_path / "site"
    shutil.copytree(REPO / "tests/invalid/_base", site)
    member = site / "content/members/ines-moreau.yml"
    text = member.read_text(encoding="utf-8")
    sponsor = "skills: [motion-design, illustration]\nsponsors: [no-such-member]"
    member.write_text(text.replace("skills: [motion-design, illustration]", sponsor), encoding="utf-8")
    fresh = check_site(site, TODAY, cache=True)  # parses and fills the cache
    real = check.unflatten
    unflattened: list[object] = []
    monkeypatch.setattr(check, "unflatten", lambda flat: unflattened.append(flat) or real(flat))
    cached = check_site(site, TODAY, cache=True)  # from the cache
    assert unflattened, "the second check reads its records from the cache"
    assert cached.diagnostics == fresh.diagnostics
    unknown = [d for d in cached.diagnostics if d.code == "unknown-member"]
    assert [tuple(d.position) for d in unknown] == [(7, 12)]  # the list item's own position
