"""Shared fixtures: a scratch-site factory, the repository's paths, and tool gating."""

from __future__ import annotations

import contextlib
import os
import shutil
import textwrap
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest

# When a test fails, Hypothesis's pytest plugin imports its patch writer, which imports
# libcst, which warns about a deprecated mypy_extensions name; under the suite's
# filterwarnings = error that warning turns the report of the failure into an INTERNALERROR
# that hides the falsifying example. Importing it once here, quietly, keeps reports readable.
with warnings.catch_warnings(), contextlib.suppress(ImportError):
    warnings.simplefilter("ignore", DeprecationWarning)
    import hypothesis.extra._patching  # noqa: F401

REPO = Path(__file__).resolve().parent.parent
TODAY = "2026-11-27"
"""The build date every test uses, so results never depend on the clock."""


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="Rewrite expected outputs (tests/invalid/*/expected.txt) from the current code; review the diff.",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


def require_tool(available: bool, what: str) -> None:
    """Skip when a tool is missing, except in CI (TRIANGLE_REQUIRE_ALL=1) where that is a failure."""
    if available:
        return
    if os.environ.get("TRIANGLE_REQUIRE_ALL") == "1":
        pytest.fail(f"{what} is required (TRIANGLE_REQUIRE_ALL=1) but not available")
    pytest.skip(f"{what} is not available")


SiteFactory = Callable[..., Path]


@pytest.fixture
def site_factory(tmp_path: Path) -> SiteFactory:
    """Write a scratch site: start from a base folder (optional), then write dedented files."""

    def make(files: dict[str, str | bytes] | None = None, base: Path | None = None, name: str = "site") -> Path:
        root = tmp_path / name
        if base is not None:
            shutil.copytree(base, root)
        root.mkdir(exist_ok=True)
        for rel, text in (files or {}).items():
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(text, bytes):
                target.write_bytes(text)
            else:
                target.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return root

    return make
