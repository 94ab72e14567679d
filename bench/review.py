#!/usr/bin/env python3
"""Time ``triangle review`` on a 10,000-member network for a pull request adding one engagement.

The setup (not timed) generates a network with :mod:`make_network`, commits it on
``main`` in a fresh git repository, packs it as a clone would be, and commits on a
``pr`` branch one new engagement with both attestations, each party committing their
own. Then:

1. the real command line runs in a child process (wall time with interpreter start-up
   and imports, as CI pays them; peak memory from ``wait4`` and the summed PSS of the
   process tree, as in ``bench/check.py``);
2. the same review runs once more in this process with a timer on each stage, to show
   where the time goes.

Target: under 5 s. Usage: ``python bench/review.py [--members 10000] [--seed 1] [--keep DIR]``.
Unix only (``os.wait4``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from check import CHECK_TODAY, MIB, REPO_ROOT, child_env, measure, prepare_network

TARGET_SECONDS: Final = 5.0
ENGAGEMENT_ID: Final = "e9999999"
GIT_ENV: Final = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def git(repo: Path, *args: str, author: tuple[str, str] = ("Bench", "bench@example.org")) -> str:
    env = {
        **os.environ,
        **GIT_ENV,
        "GIT_AUTHOR_NAME": author[0],
        "GIT_AUTHOR_EMAIL": author[1],
        "GIT_COMMITTER_NAME": "Bench",
        "GIT_COMMITTER_EMAIL": "bench@example.org",
    }
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout


def member_name(repo: Path, member: str) -> str:
    for line in (repo / "content" / "members" / f"{member}.yml").read_text(encoding="utf-8").splitlines():
        if line.startswith("name:"):
            return line.partition(":")[2].strip().strip('"')
    raise SystemExit(f"no name in {member}.yml")


def prepare_repository(network: Path) -> tuple[str, str]:
    """Commit the network on ``main`` (once) and a ``pr`` branch adding one engagement; return the two parties."""
    members = sorted(p.stem for p in (network / "content" / "members").iterdir())
    client, supplier = members[0], members[1]
    if not (network / ".git").exists():
        print("  committing the network (once) ...", file=sys.stderr, flush=True)
        git(network, "init", "-q", "-b", "main")
        git(network, "add", "-A")
        git(network, "commit", "-q", "-m", "network")
        git(network, "repack", "-a", "-d", "-q")  # a clone receives a pack, not 150,000 loose objects
    git(network, "checkout", "-q", "-B", "pr", "main")
    folder = network / "content" / "engagements" / "2026" / ENGAGEMENT_ID
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "engagement.yml").write_text(
        f"title: Brand refresh\nclient: {client}\nsupplier: {supplier}\nskills: [typescript]\n"
        "started: 2026-09-01\ndeadline: 2026-10-01\ninvoice_due: 2026-10-15\n",
        encoding="utf-8",
    )
    (folder / f"{client}.yml").write_text(
        "date: 2026-10-20\ndelivery: on_time\nquality: 5\nrelationship: 5\nrecommend: true\n", encoding="utf-8"
    )
    (folder / f"{supplier}.yml").write_text(
        "date: 2026-10-22\npayment: on_time\nrelationship: 5\nrecommend: true\n", encoding="utf-8"
    )
    rel = f"content/engagements/2026/{ENGAGEMENT_ID}"
    git(network, "add", f"{rel}/engagement.yml", f"{rel}/{client}.yml")
    git(network, "commit", "-q", "-m", "engagement", author=(member_name(network, client), "client@example.org"))
    git(network, "add", f"{rel}/{supplier}.yml")
    git(network, "commit", "-q", "-m", "attestation", author=(member_name(network, supplier), "supplier@example.org"))
    git(network, "checkout", "-q", "main")
    return client, supplier


def run_cli(network: Path, log: Path) -> tuple[float, int, int | None, int]:
    """The real command, in a child process: seconds, peak RSS, peak tree PSS, exit code."""
    env = {**child_env(), **GIT_ENV}
    command = [sys.executable, "-m", "generator", "-C", str(network), "review", "--base", "main", "--head", "pr"]
    with log.open("wb") as output:
        start = time.perf_counter()
        process = subprocess.Popen([*command, "--today", CHECK_TODAY], env=env, stdout=output, stderr=output)
        m = measure(process, start)
    return m.seconds, m.peak_rss_bytes, m.tree_pss_bytes, m.exit_code


def run_stages(network: Path) -> list[tuple[str, float]]:
    """The same review in this process, timing each stage."""
    sys.path.insert(0, str(REPO_ROOT))
    from generator.review import review
    from generator.review_report import as_markdown
    from generator.revisions import read_revisions

    stages: list[tuple[str, float]] = []
    start = time.perf_counter()
    revisions = read_revisions(
        network, "main", "pr", dt.date.fromisoformat(CHECK_TODAY), timer=lambda n, s: stages.append((n, s))
    )
    middle = time.perf_counter()
    result = review(revisions)
    stages.append(("review", time.perf_counter() - middle))
    middle = time.perf_counter()
    as_markdown(result)
    stages.append(("render", time.perf_counter() - middle))
    stages.append(("total (in process)", time.perf_counter() - start))
    print(f"verdict: {result.verdict_line}")
    return stages


def main(argv: Sequence[str] | None = None) -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description="Time `triangle review` on a synthetic network.")
    parser.add_argument("--members", type=int, default=10_000, help="network size (default: 10000)")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default: 1)")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="cache folder for the network and its repository")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="triangle-review-bench-") as scratch:
        cache = args.keep or Path(scratch)
        cache.mkdir(parents=True, exist_ok=True)
        print(f"preparing {args.members:,} members in {cache} ...", file=sys.stderr, flush=True)
        network = prepare_network(cache, args.members, args.seed).path
        prepare_repository(network)
        log = cache / "review.log"
        seconds, peak, tree, code = run_cli(network, log)
        print(f"triangle review --base main --head pr --today {CHECK_TODAY} ({args.members:,} members, one engagement)")
        print(f"command line: {seconds:.2f} s, peak RSS {peak / MIB:.0f} MiB", end="")
        print(f", process tree PSS {tree / MIB:.0f} MiB" if tree is not None else "", end="")
        print(f", exit {code}")
        first = log.read_text(encoding="utf-8", errors="replace").splitlines()[2:3]
        print(f"  {first[0] if first else '(no output)'}")
        stages = run_stages(network)
        for name, value in stages:
            print(f"  {name:<20} {value:6.2f} s")
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(f"  peak RSS in process {own * (1 if sys.platform == 'darwin' else 1024) / MIB:.0f} MiB")
        verdict = "ok" if seconds < TARGET_SECONDS else "MISSED"
        print(f"target < {TARGET_SECONDS:g} s: {verdict}")
    return 0 if code in (0, 1) else 1


if __name__ == "__main__":
    sys.exit(main())
