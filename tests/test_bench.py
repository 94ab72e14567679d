"""The benchmark suite (bench/run.py) end to end on a tiny network.

Engineers making the build faster judge their work by this script's JSON, so a measure
that silently stops running, or records zeros, would mislead them: run it for real on
40 members and check every figure of every measure.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from .conftest import REPO, require_tool

TRIANGLE_MEASURES = ("check", "cold", "warm", "member", "attestation", "review-cached", "review")


def run_bench(tmp_path: Path, *options: str) -> tuple[dict[str, Any], str]:
    """Run the suite on 40 members in ``tmp_path``; return its JSON and its printed table."""
    out = tmp_path / "result.json"
    command = [
        sys.executable,
        str(REPO / "bench" / "run.py"),
        "--sizes",
        "40",
        "--runs",
        "1",
        "--cache-dir",
        str(tmp_path / "cache"),
        "--work-dir",
        str(tmp_path / "work"),
        "--out",
        str(out),
        *options,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(out.read_text(encoding="utf-8")), done.stdout


def assert_measured(measure: dict[str, Any]) -> None:
    for figure in ("wall_s", "cpu_s", "max_rss_bytes", "tree_pss_bytes", "memory_bytes"):
        assert measure[figure] > 0, figure
    assert len(measure["runs"]) == 1
    assert measure["runs"][0]["exit_code"] == 0


def test_every_triangle_measure_is_recorded(tmp_path: Path) -> None:
    report, table = run_bench(tmp_path, "--skip-hugo")
    size = report["sizes"]["40"]
    assert list(size["measures"]) == list(TRIANGLE_MEASURES)
    for measure in size["measures"].values():
        assert_measured(measure)
    assert size["network"]["members"] == 40
    assert size["hugo_ratios"] == {}
    assert "build 1 attest." in table
    assert not any((tmp_path / "work").iterdir()), "the scratch folder is removed"


def test_hugo_side_by_side_and_compare(tmp_path: Path) -> None:
    require_tool(shutil.which("hugo") is not None, "hugo")
    old, _ = run_bench(tmp_path, "--only", "cold,hugo")
    (tmp_path / "old.json").write_text(json.dumps(old), encoding="utf-8")
    report, table = run_bench(tmp_path, "--only", "cold,hugo", "--compare", str(tmp_path / "old.json"))
    size = report["sizes"]["40"]
    assert_measured(size["measures"]["hugo"])
    assert size["hugo_ratios"]["cold"] > 0
    assert "hugo (cold)" in table
    assert "compared with" in table
    hugo_site = next((tmp_path / "cache").glob("hugo-v*-network-v*-m40-s1"))
    assert len(list(hugo_site.glob("content/*/members/*.md"))) == 2 * 40


def test_a_second_run_of_the_same_commit_never_replaces_the_first_result(tmp_path: Path) -> None:
    # In a child process: the suite's scripts import each other by their bare names.
    names = """
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from run import free_name
folder = Path(sys.argv[2])
for _ in range(3):
    path = free_name(folder, "2026-12-07-abc")
    path.write_text("{}", encoding="utf-8")
    print(path.name)
"""
    done = subprocess.run(
        [sys.executable, "-c", names, str(REPO / "bench"), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["2026-12-07-abc.json", "2026-12-07-abc-2.json", "2026-12-07-abc-3.json"]
