"""The synthetic network generator writes valid networks, and check agrees at any size."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from click.testing import CliRunner

from generator.cli import cli

from .conftest import REPO, TODAY


def make_network_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_network", REPO / "bench" / "make_network.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_network"] = module
    spec.loader.exec_module(module)
    return module


def test_generated_network_is_valid_and_deterministic(tmp_path: Path) -> None:
    make_network = make_network_module().make_network
    stats = make_network(tmp_path / "a", 120, 7)
    make_network(tmp_path / "b", 120, 7)
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    assert files_a == files_b
    assert all((tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in files_a)
    assert stats.members == 120
    result = CliRunner().invoke(cli, ["-C", str(tmp_path / "a"), "check", "--strict", "--today", TODAY])
    assert result.exit_code == 0, result.output
    assert result.output == f"No problems found in {len(files_a) - 1} files.\n"


def test_check_as_a_subprocess_uses_worker_processes_on_a_larger_network(tmp_path: Path) -> None:
    """Above the parallel threshold the check runs in worker processes; it must agree."""
    make_network_module().make_network(tmp_path / "net", 500, 3)
    proc = subprocess.run(
        [sys.executable, "-m", "generator", "-C", str(tmp_path / "net"), "check", "--strict", "--today", TODAY],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("No problems found in ")


def test_errors_found_in_worker_processes_keep_their_positions(tmp_path: Path) -> None:
    root = tmp_path / "net"
    make_network_module().make_network(root, 500, 3)
    attestation = sorted((root / "content" / "engagements").glob("*/*/*.yml"))[-1]
    if attestation.name == "engagement.yml":
        attestation = sorted(attestation.parent.glob("*.yml"))[0]
    text = attestation.read_text(encoding="utf-8")
    attestation.write_text(text.replace("relationship: ", "relationship: 9\nrecommended: "), encoding="utf-8")
    result = CliRunner().invoke(cli, ["-C", str(root), "check", "--today", TODAY])
    rel = attestation.relative_to(root).as_posix()
    line = text.splitlines().index(next(x for x in text.splitlines() if x.startswith("relationship: "))) + 1
    assert result.exit_code == 1
    assert result.output.splitlines()[:2] == [
        f"{rel}:{line}:15: error[invalid-number]: expected a whole number from 1 to 5 (got '9')",
        f"{rel}:{line + 1}:1: error[unknown-key]: unknown key 'recommended' in an attestation; "
        "did you mean 'recommend'?",
    ]
