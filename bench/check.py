#!/usr/bin/env python3
"""Time ``triangle check`` on synthetic networks and compare it with the targets.

CI checks every pull request with ``triangle check``, so its speed on a large network
is a product requirement: 10,000 members in under 10 seconds and under 1 GiB of memory.
This benchmark generates networks with :mod:`make_network` (not timed: generation is
setup), runs the real command line in a child process, and reports wall time,
throughput and the child's peak memory.

The check runs as a separate process on purpose: wall time then includes interpreter
start-up and imports, which a CI job pays too, and ``os.wait4`` gives the peak resident
memory of that one child. (``getrusage(RUSAGE_CHILDREN)`` would report the maximum over
every child this process ever waited for, so the second measurement could inherit the
first one's peak.)

Usage: ``python bench/check.py [--members 1000 10000] [--seed 1] [--keep DIR]``.
Unix only (``os.wait4``).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from make_network import GENERATOR_VERSION, NetworkStats, make_network

REPO_ROOT: Final = Path(__file__).resolve().parent.parent
CHECK_TODAY: Final = "2026-11-27"
"""A fixed "today" a week after the generator's, so results never depend on the clock."""

TARGET_MEMBERS: Final = 10_000
TARGET_SECONDS: Final = 10.0
TARGET_RSS_BYTES: Final = 1 << 30
MIB: Final = 1 << 20
LOG_TAIL_LINES: Final = 20
SAMPLE_SECONDS: Final = 0.1
"""How often the memory of the check's process tree is sampled: often enough to see a
phase of a second, rarely enough not to steal the check's CPU."""


@dataclass(frozen=True, slots=True)
class Network:
    """A generated network ready to check; ``generation_seconds`` is None when reused."""

    path: Path
    stats: NetworkStats
    content_files: int
    generation_seconds: float | None


@dataclass(frozen=True, slots=True)
class Measurement:
    """One run of the check command.

    ``peak_rss_bytes`` is what ``wait4`` reports: the largest resident set of the check
    process or of any one of its worker processes. The check forks workers on large
    networks, so it is not the whole footprint; ``tree_pss_bytes`` is: the peak of the
    summed proportional set sizes of the check and all its descendants, sampled while
    it runs (None where ``/proc`` cannot tell, i.e. outside Linux).
    """

    seconds: float
    peak_rss_bytes: int
    tree_pss_bytes: int | None
    exit_code: int

    @property
    def memory_bytes(self) -> int:
        """The figure the memory target is judged on: the larger of the two peaks."""
        return max(self.peak_rss_bytes, self.tree_pss_bytes or 0)


class TreeMemorySampler(threading.Thread):
    """Samples the summed PSS of a process and its descendants until stopped (Linux).

    PSS, not RSS: forked workers share their parent's pages, and summing their RSS
    would count those pages once per worker.
    """

    def __init__(self, pid: int, interval: float = SAMPLE_SECONDS) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.peak = 0
        self.done = threading.Event()

    def run(self) -> None:
        while True:
            self.peak = max(self.peak, sum(_pss_bytes(p) for p in _process_tree(self.pid)))
            if self.done.wait(self.interval):
                return


def _process_tree(pid: int) -> list[int]:
    """``pid`` and its live descendants, from ``/proc/PID/task/TID/children``."""
    found = [pid]
    for parent in found:  # grows while we walk it: a breadth-first search
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except OSError:
            continue  # it exited since we listed it
        for task in tasks:
            try:
                with open(f"/proc/{parent}/task/{task}/children", encoding="ascii") as handle:
                    found.extend(int(child) for child in handle.read().split())
            except OSError:
                continue
    return found


def _pss_bytes(pid: int) -> int:
    """A process's proportional set size, or 0 if it exited meanwhile."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return 0
    return 0


def can_sample_tree() -> bool:
    """Whether this system exposes what :class:`TreeMemorySampler` reads."""
    return os.path.exists("/proc/self/smaps_rollup") and os.path.exists(f"/proc/self/task/{os.getpid()}/children")


def count_files(folder: Path) -> int:
    """Count the record files the check has to read (everything under ``content/``)."""
    return sum(len(files) for _, _, files in os.walk(folder))


def count_stats(path: Path) -> NetworkStats:
    """Recount a reused network from its files, since its generation stats are gone."""
    content = path / "content"
    members = len(os.listdir(content / "members"))
    engagements = attestations = 0
    for year in os.scandir(content / "engagements"):
        for folder in os.scandir(year.path):
            engagements += 1
            attestations += len(os.listdir(folder.path)) - 1  # all but engagement.yml
    resolutions = len(os.listdir(content / "resolutions"))
    return NetworkStats(
        members=members,
        engagements=engagements,
        attestations=attestations,
        resolutions=resolutions,
        files=1 + members + engagements + attestations + resolutions,
    )


def prepare_network(cache: Path, members: int, seed: int) -> Network:
    """Generate a network into ``cache``, or reuse the one a previous run left there.

    The folder name carries the size, the seed and the generator version, so a cached
    network is never reused after the generator's output changed. Generation writes
    into a scratch folder renamed at the end: an interrupted run leaves no half network
    that a later run would take for a complete one.
    """
    path = cache / f"network-v{GENERATOR_VERSION}-m{members}-s{seed}"
    if path.is_dir():
        return Network(path, count_stats(path), count_files(path / "content"), None)
    scratch = cache / f".partial-{path.name}"
    if scratch.exists():
        shutil.rmtree(scratch)
    start = time.perf_counter()
    stats = make_network(scratch, members, seed)
    seconds = time.perf_counter() - start
    scratch.rename(path)
    return Network(path, stats, count_files(path / "content"), seconds)


def check_command(network: Path) -> list[str]:
    """The command CI runs, with the interpreter running this benchmark."""
    return [sys.executable, "-m", "generator", "-C", str(network), "check", "--today", CHECK_TODAY]


def child_env() -> dict[str, str]:
    """The environment of a measured child: it imports the working tree's `generator`, whatever is installed."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    return env


@dataclass(frozen=True, slots=True)
class Waited:
    """What one reaped child cost: its wall time, its resource usage (its waited-for descendants'
    included), the sampled peak of its whole process tree, and its exit code."""

    seconds: float
    usage: resource.struct_rusage
    tree_peak: int | None
    exit_code: int

    @property
    def max_rss_bytes(self) -> int:
        """``ru_maxrss`` in bytes (it is in KiB on Linux and in bytes on macOS)."""
        return self.usage.ru_maxrss if sys.platform == "darwin" else self.usage.ru_maxrss * 1024


def wait_sampled(process: subprocess.Popen[bytes], start: float, interval: float = SAMPLE_SECONDS) -> Waited:
    """Wait for a child started at ``start``, sampling its process tree's memory meanwhile."""
    sampler = TreeMemorySampler(process.pid, interval) if can_sample_tree() else None
    if sampler is not None:
        sampler.start()
    # wait4 reaps this one child: its usage includes the descendants it waited for, and
    # none of an earlier measurement's (unlike getrusage(RUSAGE_CHILDREN)).
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    if sampler is not None:
        sampler.done.set()
        sampler.join()
    exit_code = os.waitstatus_to_exitcode(status)
    process.returncode = exit_code  # already reaped: tell Popen, so it does not wait again
    return Waited(seconds, usage, sampler.peak if sampler is not None else None, exit_code)


def measure(process: subprocess.Popen[bytes], start: float) -> Measurement:
    """Wait for a child started at ``start``, sampling its process tree's memory meanwhile."""
    waited = wait_sampled(process, start)
    return Measurement(waited.seconds, waited.max_rss_bytes, waited.tree_peak, waited.exit_code)


def run_check(network: Path, log: Path) -> Measurement:
    """Run the check once; its output goes to ``log`` (a pipe could fill up and block it)."""
    with log.open("wb") as output:
        start = time.perf_counter()
        process = subprocess.Popen(
            check_command(network), cwd=REPO_ROOT, env=child_env(), stdout=output, stderr=subprocess.STDOUT
        )
        return measure(process, start)


def tail(log: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The end of a failed check's output: usually the error that explains it."""
    text = log.read_text(encoding="utf-8", errors="replace").rstrip("\n").split("\n")
    return "\n".join(text[-lines:])


def verdict(members: int, m: Measurement) -> str:
    """The targets apply to 10,000 members (or more: a bigger network that meets them does too)."""
    if members < TARGET_MEMBERS:
        return ""
    missed = []
    if m.seconds >= TARGET_SECONDS:
        missed.append("time")
    if m.memory_bytes >= TARGET_RSS_BYTES:
        missed.append("memory")
    goal = f"< {TARGET_SECONDS:g} s, < {TARGET_RSS_BYTES // (1 << 30)} GiB"
    return f"{goal}: " + ("ok" if not missed else "MISSED " + " and ".join(missed))


def benchmark(members_list: Sequence[int], seed: int, cache: Path, repeat: int, strict: bool) -> int:
    """Generate, check and report each size; return the exit status."""
    header = (
        f"{'members':>8} {'engagements':>11} {'files':>8} {'gen s':>7} {'seconds':>8} "
        f"{'files/s':>8} {'peak MiB':>9} {'tree MiB':>9} {'exit':>5}  target"
    )
    rows: list[str] = []
    failed = missed = False
    for members in members_list:
        print(f"preparing {members:,} members (seed {seed}) in {cache} ...", file=sys.stderr, flush=True)
        network = prepare_network(cache, members, seed)
        if network.generation_seconds is None:
            print(f"  reused {network.path}", file=sys.stderr)
        else:
            print(f"  generated {network.stats.files:,} files in {network.generation_seconds:.1f} s", file=sys.stderr)
        log = cache / f"check-m{members}.log"
        # Several runs: the fastest time (least disturbed by the machine) and the largest peak.
        runs = []
        for i in range(repeat):
            print(f"  check run {i + 1}/{repeat} ...", file=sys.stderr, flush=True)
            runs.append(run_check(network.path, log))
            if runs[-1].exit_code != 0:
                break
        trees = [r.tree_pss_bytes for r in runs if r.tree_pss_bytes is not None]
        best = Measurement(
            seconds=min(r.seconds for r in runs),
            peak_rss_bytes=max(r.peak_rss_bytes for r in runs),
            tree_pss_bytes=max(trees) if trees else None,
            exit_code=next((r.exit_code for r in runs if r.exit_code != 0), 0),
        )
        if best.exit_code != 0:
            failed = True
            print(f"  check exited with {best.exit_code}; end of its output:", file=sys.stderr)
            print(tail(log), file=sys.stderr)
        target = verdict(members, best)
        missed = missed or "MISSED" in target
        tree = "-" if best.tree_pss_bytes is None else f"{best.tree_pss_bytes / MIB:.1f}"
        gen = "cached" if network.generation_seconds is None else f"{network.generation_seconds:.1f}"
        rows.append(
            f"{members:>8,} {network.stats.engagements:>11,} {network.content_files:>8,} {gen:>7} "
            f"{best.seconds:>8.2f} {network.content_files / best.seconds:>8,.0f} "
            f"{best.peak_rss_bytes / MIB:>9.1f} {tree:>9} {best.exit_code:>5}  {target}".rstrip()
        )
    print()
    print(f"triangle check --today {CHECK_TODAY}")
    print(
        "files: under content/; gen s: generation time, not part of the check; peak MiB: largest single "
        "process (wait4);\ntree MiB: peak summed PSS of the check and its workers, sampled every "
        f"{SAMPLE_SECONDS:g} s; the memory target applies to the larger of the two"
    )
    print(header)
    print("\n".join(rows))
    if failed:
        print("\nat least one check failed: its timing is not meaningful", file=sys.stderr)
        return 1
    if missed and strict:
        print("\nat least one target was missed (--strict)", file=sys.stderr)
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description="Time `triangle check` on synthetic networks.")
    parser.add_argument(
        "--members",
        type=int,
        nargs="+",
        default=[1_000, 10_000],
        metavar="N",
        help="network sizes (default: 1000 10000)",
    )
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default: 1)")
    parser.add_argument(
        "--keep",
        type=Path,
        metavar="DIR",
        help="cache folder: generated networks are kept there and reused by later runs "
        "(default: a temporary folder, deleted at the end)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs per size; the fastest is reported (default: 1)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed, too")
    args = parser.parse_args(argv)
    if any(n < 1 for n in args.members):
        parser.error("--members: each size must be 1 or more (a network needs a coordinator)")
    if args.repeat < 1:
        parser.error("--repeat must be 1 or more")
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
        return benchmark(args.members, args.seed, args.keep, args.repeat, args.strict)
    with tempfile.TemporaryDirectory(prefix="triangle-bench-") as scratch:
        return benchmark(args.members, args.seed, Path(scratch), args.repeat, args.strict)


if __name__ == "__main__":
    sys.exit(main())
