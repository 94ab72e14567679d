#!/usr/bin/env python3
"""Time ``triangle build`` on synthetic networks: seconds per stage, pages/s, peak memory.

CI builds and deploys the directory on every merge, so build time on a large network
is a product requirement: 10,000 members / 50,000 engagements, both languages, in
under 30 s and under 1 GiB. Networks come from :mod:`make_network` (cached like
``bench/check.py`` does); each build runs in a child process so that its peak memory
(``os.wait4`` plus the sampled proportional set size of its worker processes) is its
own, and the child reports the time of each stage.

Usage: ``python bench/build.py [--members 1000 10000] [--seed 1] [--keep DIR] [--no-search]``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Final

from check import MIB, child_env, measure, prepare_network

TODAY: Final = "2026-11-27"
TARGET_MEMBERS: Final = 10_000
TARGET_SECONDS: Final = 30.0
TARGET_BYTES: Final = 1 << 30

CHILD: Final = """
import datetime as dt, json, sys
from pathlib import Path
from generator.build import build
result = build(Path(sys.argv[1]), dt.date.fromisoformat(sys.argv[2]), output=Path(sys.argv[3]),
               search=sys.argv[4] == "search")
print(json.dumps({"timings": result.timings, "pages": result.pages, "files": result.files,
                  "members": result.members, "engagements": result.engagements}))
"""


def run_build(network: Path, output: Path, search: bool) -> tuple[dict[str, object], float, int]:
    """Build once in a child process; return its report, wall seconds and peak memory."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as stdout:
        process = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(network), TODAY, str(output), "search" if search else "none"],
            env=child_env(),
            stdout=stdout,
            stderr=subprocess.PIPE,
        )
        measured = measure(process, start)
        stderr = process.stderr.read().decode() if process.stderr else ""
        if measured.exit_code != 0:
            sys.exit(f"build failed on {network}:\n{stderr[-3000:]}")
        stdout.seek(0)
        report = json.loads(stdout.read().decode().strip().splitlines()[-1])
    return report, measured.seconds, measured.memory_bytes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, default=None, help="cache folder for generated networks")
    parser.add_argument("--no-search", action="store_true", help="skip the Pagefind index")
    args = parser.parse_args()
    cache = args.keep or Path(tempfile.mkdtemp(prefix="triangle-bench-"))
    cache.mkdir(parents=True, exist_ok=True)
    header = ("members", "engagements", "pages", "files", "seconds", "pages/s", "peak MiB")
    widths = (8, 11, 7, 7, 8, 8, 9)
    print(" ".join(f"{h:>{w}}" for h, w in zip(header, widths, strict=True)) + "  stages")
    for members in args.members:
        network = prepare_network(cache, members, args.seed)
        with tempfile.TemporaryDirectory(prefix="triangle-build-") as scratch:
            report, seconds, peak = run_build(network.path, Path(scratch) / "site", not args.no_search)
        timings = report["timings"]
        assert isinstance(timings, dict)
        stages = " ".join(f"{name} {value:.1f}s" for name, value in timings.items())
        pages = int(str(report["pages"]))
        print(
            f"{members:>8,} {int(str(report['engagements'])):>11,} {pages:>7,} {int(str(report['files'])):>7,} "
            f"{seconds:>8.1f} {pages / seconds:>8.0f} {peak / MIB:>9.0f}  {stages}"
        )
        if members == TARGET_MEMBERS:
            verdict = "meets" if seconds < TARGET_SECONDS and peak < TARGET_BYTES else "MISSES"
            print(f"  target: {TARGET_MEMBERS:,} members in < {TARGET_SECONDS:.0f} s and < 1 GiB: {verdict}")


if __name__ == "__main__":
    main()
