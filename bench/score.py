#!/usr/bin/env python3
"""Benchmark the score: seconds and peak memory for 10,000 and 100,000 members.

Targets (2-core machine): 10,000 members / 50,000 engagements scored in under 2 s;
100,000 members / 500,000 engagements in under 30 s, within 4 GiB.

Two ways to get a network, printed separately:

* **in memory** (both sizes): the model objects are built directly, with the shape
  ``bench/make_network.py`` gives (a few hubs, mostly good outcomes, some late
  invoices, one-sided and disputed engagements). Writing and reading 1.5 million
  files for the large size would take many minutes and measure the file system, not
  the score; the model the score receives is the same either way.
* **from files** (10,000 members, unless ``--no-files``): ``bench/make_network.py``
  writes the network, then ``check_site`` (timed on its own) loads and validates it
  and ``score_site`` scores it: the numbers a real ``triangle build`` would see.

Each size runs in a fresh child process, so that its peak memory (``ru_maxrss``) is
its own; on Linux the peak while scoring alone is measured too (the kernel's mark is
reset just before). ``score_site`` is what the target is about: wall time, and CPU
time, which other work on a shared machine does not inflate. The time to build the
``api/members.json`` document from the scores is printed beside it.

Usage: ``python bench/score.py [--sizes 10000,100000] [--no-files] [--seed 1]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.model import (  # noqa: E402  (the path above makes the package importable from a checkout)
    Attestation,
    Engagement,
    Member,
    Resolution,
    Site,
    SiteConfig,
    Source,
)

TODAY = dt.date(2026, 11, 20)
START = dt.date(2023, 11, 20)
ENGAGEMENTS_PER_MEMBER = 5
SKILLS = tuple(f"skill-{i}" for i in range(40))


def _client_says(
    rng: random.Random, eid: str, client: str, deadline: dt.date, good: bool, disputes: tuple[str, ...] = ()
) -> Attestation:
    """The client's attestation: nine in ten go well; a bad one is often late, sometimes not delivered."""
    late = not good and rng.random() < 0.6
    return Attestation(
        engagement=eid,
        attester=client,
        role="client",
        source=Source(f"{eid}/{client}.yml"),
        date=min(deadline + dt.timedelta(days=rng.randint(0, 40)), TODAY),
        relationship=rng.choice((4, 5, 5)) if good else rng.randint(1, 4),
        recommend=good,
        delivery=("not_delivered" if rng.random() < 0.1 else "late") if late else "on_time",
        quality=rng.choice((4, 5)) if good else rng.randint(1, 4),
        disputes=disputes,
    )


def _supplier_says(
    rng: random.Random, eid: str, supplier: str, due: dt.date, good: bool, disputes: tuple[str, ...] = ()
) -> Attestation:
    """The supplier's attestation: nine in ten go well; a bad one is often paid late, sometimes unpaid."""
    late = not good and rng.random() < 0.7
    payment = ("unpaid" if rng.random() < 0.1 else "late") if late else "on_time"
    paid = min(due + dt.timedelta(days=rng.randint(1, 60)), TODAY) if payment == "late" else None
    return Attestation(
        engagement=eid,
        attester=supplier,
        role="supplier",
        source=Source(f"{eid}/{supplier}.yml"),
        date=min(due + dt.timedelta(days=rng.randint(0, 30)), TODAY),
        relationship=rng.choice((4, 5, 5)) if good else rng.randint(1, 4),
        recommend=good,
        payment=payment,
        paid=paid,
        disputes=disputes,
    )


def build_network(members: int, seed: int) -> Site:
    """A random network as model objects, shaped like ``bench/make_network.py``'s."""
    from generator.schema import default_scoring
    from generator.validate import build_site

    rng = random.Random(seed)
    span = (TODAY - START).days - 30
    joined = sorted(START + dt.timedelta(days=int(span * rng.random() ** 0.6)) for _ in range(members))
    width = len(str(members - 1))
    ids = [f"m{i:0{width}d}" for i in range(members)]
    people = {
        mid: Member(
            id=mid,
            source=Source(f"content/members/{mid}.yml"),
            name=f"Member {i}",
            kind="person",
            headline="Freelancer",
            region="ile-de-france",
            skills=tuple(rng.sample(SKILLS, 3)),
            joined=joined[i],
        )
        for i, mid in enumerate(ids)
    }
    coordinators = tuple(ids[:3])
    activity = [rng.paretovariate(2.0) for _ in ids]
    engagements: dict[str, Engagement] = {}
    resolutions: dict[str, Resolution] = {}
    count = ENGAGEMENTS_PER_MEMBER * members
    clients = rng.choices(range(members), activity, k=count)
    suppliers = rng.choices(range(members), activity, k=count)
    for n, (c, s) in enumerate(zip(clients, suppliers, strict=True)):
        if c == s:
            s = (s + 1) % members
        client, supplier = ids[c], ids[s]
        first = max(joined[c], joined[s])
        room = (TODAY - first).days - 60
        started = first + dt.timedelta(days=rng.randint(0, max(room, 0)))
        deadline = min(started + dt.timedelta(days=rng.randint(5, 60)), TODAY)
        due = min(deadline + dt.timedelta(days=rng.choice((0, 15, 30, 45))), TODAY)
        eid = f"e{n:07d}"
        source = Source(f"content/engagements/{started.year}/{eid}/engagement.yml")
        roll = rng.random()
        good_client, good_supplier = rng.random() < 0.9, rng.random() < 0.9

        by_client: Attestation | None = None
        by_supplier: Attestation | None = None
        if roll < 0.03:
            pass  # nobody attested yet
        elif roll < 0.18:
            if rng.random() < 0.6:
                by_client = _client_says(rng, eid, client, deadline, good_client)
            else:
                by_supplier = _supplier_says(rng, eid, supplier, due, good_supplier)
        elif roll < 0.24:
            by_client = _client_says(rng, eid, client, deadline, good_client)
            by_supplier = _supplier_says(rng, eid, supplier, due, good_supplier, ("delivery",))
            if roll >= 0.22 and coordinators[0] not in (client, supplier):
                upheld = rng.random() < 0.5
                resolutions[eid] = Resolution(
                    engagement=eid,
                    source=Source(f"content/resolutions/{eid}.yml"),
                    by=coordinators[0],
                    date=TODAY,
                    upheld=("delivery",) if upheld else (),
                    withdrawn=() if upheld else ("delivery",),
                    note="Settled.",
                )
        else:
            by_client = _client_says(rng, eid, client, deadline, good_client)
            by_supplier = _supplier_says(rng, eid, supplier, due, good_supplier)
        engagements[eid] = Engagement(
            id=eid,
            source=source,
            title="Work",
            client=client,
            supplier=supplier,
            skills=(rng.choice(people[supplier].skills),),
            started=started,
            deadline=deadline,
            invoice_due=due,
            by_client=by_client,
            by_supplier=by_supplier,
        )
    config = SiteConfig(
        source=Source("site.yml"),
        title="Benchmark",
        base_url="https://bench.example/",
        languages=("en",),
        theme="default",
        output="_site",
        coordinators=coordinators,
        signatures="optional",
        scoring=default_scoring(),
    )
    return build_site(config, TODAY, people, engagements, resolutions)


def _rss_mib() -> float:
    """Current resident memory of this process."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def _reset_peak() -> bool:
    """Reset the kernel's peak-memory mark (Linux), so the next peak is the score's own."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
    except OSError:
        return False
    return True


def _peak_since_reset_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _score(site: Site) -> dict[str, Any]:
    from generator.explain import members_api
    from generator.score import score_site

    before = _rss_mib()
    reset = _reset_peak()
    start, cpu = time.perf_counter(), time.process_time()
    scores = score_site(site)
    scored, scored_cpu = time.perf_counter() - start, time.process_time() - cpu
    peak = _peak_since_reset_mib() if reset else float("nan")
    start = time.perf_counter()
    members_api(site, scores)
    exported = time.perf_counter() - start
    levels: dict[str, dict[str, int]] = {}
    for side in ("relationship", "deadlines", "payment"):
        counts: dict[str, int] = {}
        for member in scores.members.values():
            level = member.sides[side].level or "none"
            counts[level] = counts.get(level, 0) + 1
        levels[side] = dict(sorted(counts.items()))
    return {
        "score_s": scored,
        "score_cpu_s": scored_cpu,
        "members_json_s": exported,
        "rss_before_score_mib": before,
        "peak_during_score_mib": peak,
        "levels": levels,
    }


def child(kind: str, members: int, seed: int, folder: str | None) -> dict[str, Any]:
    """Run one measurement in this (fresh) process and return its numbers."""
    result: dict[str, Any] = {"kind": kind, "members": members}
    start = time.perf_counter()
    if kind == "memory":
        site = build_network(members, seed)
        result["build_s"] = time.perf_counter() - start
    else:
        from generator.check import check_site

        assert folder is not None
        checked = check_site(Path(folder), TODAY + dt.timedelta(days=7))
        result["check_s"] = time.perf_counter() - start
        result["problems"] = len(checked.diagnostics)
        site = checked.site
    result["engagements"] = len(site.engagements)
    result.update(_score(site))
    result["peak_rss_mib"] = _peak_mib()
    return result


def run_child(kind: str, members: int, seed: int, folder: str | None = None) -> dict[str, Any]:
    """Run :func:`child` in a new interpreter, so that peak memory is measured per size."""
    command = [sys.executable, __file__, "--child", kind, "--members", str(members), "--seed", str(seed)]
    if folder:
        command += ["--folder", folder]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    parsed: dict[str, Any] = json.loads(done.stdout)
    return parsed


def report(result: dict[str, Any]) -> None:
    """Print one measurement for people."""
    where = "in memory" if result["kind"] == "memory" else "from files"
    print(f"{result['members']:>7,} members, {result['engagements']:>7,} engagements ({where})")
    if "build_s" in result:
        print(f"  build model (not scored)  {result['build_s']:7.2f} s")
    if "check_s" in result:
        print(f"  check_site                {result['check_s']:7.2f} s   ({result['problems']} problems)")
    print(
        f"  score_site                {result['score_s']:7.2f} s   <- the target "
        f"({result['score_cpu_s']:.2f} s of CPU time)"
    )
    print(f"  members.json (all)        {result['members_json_s']:7.2f} s")
    print(f"  RSS before scoring        {result['rss_before_score_mib']:7.0f} MiB")
    print(f"  peak RSS while scoring    {result['peak_during_score_mib']:7.0f} MiB")
    print(f"  peak RSS (whole process)  {result['peak_rss_mib']:7.0f} MiB")
    for side, counts in result["levels"].items():
        print(f"  {side:<13} " + ", ".join(f"{k} {v}" for k, v in counts.items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated member counts (in memory)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-files", action="store_true", help="skip the 10,000-member network written to files")
    parser.add_argument("--child", choices=("memory", "files"), help=argparse.SUPPRESS)
    parser.add_argument("--members", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.members, args.seed, args.folder)))
        return 0
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    for size in (int(s) for s in args.sizes.split(",")):
        report(run_child("memory", size, args.seed))
    if not args.no_files:
        sys.path.insert(0, str(ROOT / "bench"))
        try:
            from make_network import make_network  # type: ignore[import-not-found]
        except ImportError:
            print("bench/make_network.py not found: skipping the network written to files")
            return 0
        with tempfile.TemporaryDirectory(prefix="triangle-bench-") as tmp:
            folder = Path(tmp) / "net"
            start = time.perf_counter()
            make_network(folder, 10_000, args.seed)
            print(f"(make_network wrote 10,000 members in {time.perf_counter() - start:.0f} s)")
            report(run_child("files", 10_000, args.seed, str(folder)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
