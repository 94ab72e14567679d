"""One folder per invalid case: each adds or replaces files of a small valid network.

``tests/invalid/<case>/`` holds the files that differ from ``tests/invalid/_base/`` and
``expected.txt``: a first line ``# exit: N`` then the exact output of
``triangle check --today 2026-11-27`` (``--strict`` when the case has a ``strict``
file). Regenerate with ``pytest tests/test_invalid.py --update-golden`` and review the diff.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import cli
from generator.diagnostics import CODES

from .conftest import TODAY

CASES_DIR = Path(__file__).parent / "invalid"
BASE = CASES_DIR / "_base"
CASES = sorted(p.name for p in CASES_DIR.iterdir() if p.is_dir() and not p.name.startswith("_"))
META = {"expected.txt", "strict", "README.md"}


def build_case(case: str, root: Path) -> None:
    shutil.copytree(BASE, root)
    source = CASES_DIR / case
    for path in sorted(source.rglob("*")):
        rel = path.relative_to(source)
        if path.is_dir() or rel.as_posix() in META:
            continue
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)


def run_check(root: Path, strict: bool) -> tuple[int, str]:
    args = ["-C", str(root), "check", "--today", TODAY] + (["--strict"] if strict else [])
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    return result.exit_code, result.output


def test_base_is_valid(tmp_path: Path) -> None:
    code, output = run_check(BASE, strict=True)
    assert (code, output) == (0, "No problems found in 9 files.\n")


@pytest.mark.parametrize("case", CASES)
def test_invalid_case(case: str, tmp_path: Path, update_golden: bool) -> None:
    root = tmp_path / "site"
    build_case(case, root)
    code, output = run_check(root, strict=(CASES_DIR / case / "strict").exists())
    actual = f"# exit: {code}\n{output}"
    expected_file = CASES_DIR / case / "expected.txt"
    if update_golden:
        expected_file.write_text(actual, encoding="utf-8")
    assert actual == expected_file.read_text(encoding="utf-8")
    assert code in (1, 2)


def test_every_code_has_a_case() -> None:
    """Each stable error code is shown by at least one invalid case (or a dedicated test)."""
    seen: set[str] = set()
    for case in CASES:
        text = (CASES_DIR / case / "expected.txt").read_text(encoding="utf-8")
        seen.update(re.findall(r"(?:error|warning)\[([a-z0-9-]+)\]", text))
    tested_elsewhere = {"file-not-regular", "file-too-large", "file-unreadable", "missing-content"}
    tested_elsewhere |= {"file-changed", "write-failed", "format-unsafe"}  # tests/test_fmt.py
    # Made with keys created by ssh-keygen at test time: tests/test_signatures.py asserts each message.
    tested_elsewhere |= {c for c in CODES if c.startswith("signature-")}
    assert sorted(set(CODES) - seen - tested_elsewhere) == []
    assert sorted(seen - set(CODES)) == []
