"""docs/security.md names the test that proves each protection: every name it cites must exist."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from .conftest import REPO

DOC = REPO / "docs" / "security.md"
TESTS = REPO / "tests"


def functions_of(path: Path) -> set[str]:
    """The test functions a test file defines."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}


def test_every_cited_test_and_case_exists() -> None:
    text = DOC.read_text(encoding="utf-8")
    cited = re.findall(r"`([\w/]+\.py)::(test_\w+)(?:\[[^\]]*\])?`", text)
    cases = re.findall(r"`invalid/([a-z0-9-]+)`", text)
    files = re.findall(r"`(fuzz/test_\w+\.py)`", text)

    assert len(cited) > 40 and len(cases) > 20
    missing = [f"{f}::{name}" for f, name in cited if name not in functions_of(TESTS / f)]
    missing += [f"invalid/{case}" for case in cases if not (TESTS / "invalid" / case / "expected.txt").is_file()]
    missing += [f for f in files if not (TESTS / f).is_file()]
    assert missing == []


def test_the_placeholders_for_colleagues_sections_are_there() -> None:
    titles = re.findall(r"^## (.+)$", DOC.read_text(encoding="utf-8"), re.MULTILINE)

    assert {"Crash safety", "Privacy"} <= set(titles)
