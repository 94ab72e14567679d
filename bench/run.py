#!/usr/bin/env python3
"""The benchmark suite: every command a network runs, at 1k / 10k / 100k members, side by side with Hugo.

Issue 10 sets targets for what members and coordinators wait for (a pull request's
``check`` and ``review``, the build after a merge) and for what the build's extra
work (validation, scoring) costs next to the fastest static-site generator. This
script is the one place those figures come from, so that people making Triangle
faster all measure the same thing the same way:

* networks come from :mod:`make_network`, generated once and cached (keyed by
  ``GENERATOR_VERSION``); every measured command runs on a *copy* in a scratch folder,
  since builds write ``.triangle-cache/`` and some measures edit records;
* each command is the real command line in a child process (``sys.executable -m
  generator`` with ``PYTHONPATH`` set to the repository holding this script, so a
  worktree measures its own code): wall time, CPU time and peak memory of the whole
  process tree (see :class:`Run`);
* Hugo builds the same member directory, in both languages, in the same run, so the
  ratios compare like with like on the same machine under the same load.

Usage: ``python3 bench/run.py [--sizes 1000,10000] [--runs 3] [--skip-hugo] [--only check,cold]
[--compare bench/results/OLD.json]``; see ``bench/README.md``. Linux only (``/proc``, ``os.wait4``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

from check import REPO_ROOT, child_env, count_stats, prepare_network, wait_sampled
from make_network import GENERATOR_VERSION, NetworkStats
from review import GIT_ENV, prepare_repository

TODAY: Final = "2026-11-20"
"""The generator's TODAY: no record is dated after it, and runs never depend on the clock."""

SEED: Final = 1
SAMPLE_SECONDS: Final = 0.05
"""Memory sampling period: short enough to catch a worker that lives half a second."""

HUGO_SITE_VERSION: Final = 1
"""Bump when :func:`write_hugo_site` changes: cached Hugo sources are keyed by it."""

MIB: Final = 1 << 20
GIB: Final = 1 << 30
LOG_TAIL_LINES: Final = 25

MEASURES: Final = ("check", "cold", "warm", "member", "attestation", "review-cached", "review", "hugo")
LABELS: Final = {
    "check": "check",
    "cold": "build cold",
    "warm": "build warm",
    "member": "build 1 member",
    "attestation": "build 1 attest.",
    "review": "review 1 eng.",
    "review-cached": "review, cached",
    "hugo": "hugo (cold)",
}
DESCRIPTIONS: Final = {
    "check": "triangle check, no .triangle-cache/ (a fresh CI clone)",
    "cold": "triangle build, no .triangle-cache/, no output folder",
    "warm": "triangle build again, nothing changed",
    "member": "triangle build after one member's headline changed",
    "attestation": "triangle build after one attestation was added to a one-sided engagement",
    "review": (
        "triangle review --format json of a branch adding one engagement and both attestations, "
        "no .triangle-cache/ (a fresh CI clone)"
    ),
    "review-cached": "the same review with the record cache the builds left (a coordinator's machine)",
    "hugo": "hugo, no resources/, no output folder: the same directory, both languages",
}
RATIOS: Final = {"cold": 2.0, "warm": 0.5, "member": 0.25, "attestation": 0.25}
"""Triangle measure -> the largest acceptable ratio of its wall time to Hugo's cold build."""


# ------------------------------------------------------------------------------ targets


@dataclass(frozen=True, slots=True)
class Target:
    """One line of issue 10's targets: a limit on one figure of one measure at one size."""

    members: int
    measure: str
    figure: str  # "wall_s", "memory_bytes", "hugo_ratio" or "growth"
    limit: float

    def describe(self) -> str:
        """The limit as the table prints it, e.g. ``<= 6 s``."""
        if self.figure == "memory_bytes":
            return f"<= {self.limit / GIB:g} GiB"
        if self.figure == "wall_s":
            return f"<= {self.limit:g} s"
        return f"<= {self.limit:g}x"


TARGETS: Final = (
    Target(10_000, "check", "wall_s", 6.0),
    Target(10_000, "cold", "wall_s", 12.0),
    Target(10_000, "warm", "wall_s", 3.0),
    Target(10_000, "member", "wall_s", 1.5),
    Target(10_000, "attestation", "wall_s", 1.5),
    Target(10_000, "review", "wall_s", 3.0),
    *(Target(10_000, m, "memory_bytes", GIB) for m in MEASURES if m != "hugo"),
    Target(100_000, "cold", "wall_s", 150.0),
    Target(100_000, "cold", "memory_bytes", 8 * GIB),
    *(Target(10_000, m, "hugo_ratio", limit) for m, limit in RATIOS.items()),
    Target(100_000, "cold", "growth", 11.0),
)


def find_target(members: int, measure: str, figure: str) -> Target | None:
    """The target for this figure at this size, if issue 10 sets one."""
    return next((t for t in TARGETS if (t.members, t.measure, t.figure) == (members, measure, figure)), None)


def mark(target: Target | None, value: float | None) -> str:
    """``<= 6 s ok`` or ``<= 6 s MISS``; empty where no target applies or nothing was measured."""
    if target is None or value is None:
        return ""
    return f"{target.describe()} {'ok' if value <= target.limit else 'MISS'}"


# -------------------------------------------------------------------------- measuring


@dataclass(frozen=True, slots=True)
class Run:
    """One measured command.

    ``cpu_s`` is user + system time of the child and of every descendant it waited for
    (workers, Pagefind, git), from ``os.wait4``. ``max_rss_bytes`` is ``wait4``'s
    ``ru_maxrss``: the largest resident set of any *single* process of the tree.
    ``tree_pss_bytes`` is the peak of the *summed* proportional set size of the whole
    tree, sampled from ``/proc`` every :data:`SAMPLE_SECONDS` (PSS, so that pages a
    forked worker shares with its parent count once); None outside Linux. The memory
    targets apply to ``memory_bytes``, the larger of the two.
    """

    wall_s: float
    cpu_s: float
    max_rss_bytes: int
    tree_pss_bytes: int | None
    exit_code: int

    @property
    def memory_bytes(self) -> int:
        """Peak memory of all processes: the sampled sum, or the largest process if sampling missed it."""
        return max(self.max_rss_bytes, self.tree_pss_bytes or 0)


class BenchError(Exception):
    """A setup step or a measured command failed: the figures would be meaningless."""


def measure(command: Sequence[str], env: dict[str, str], log: Path, cwd: Path | None = None) -> Run:
    """Run ``command`` once in a child process, output to ``log`` (a pipe could fill and block it)."""
    with log.open("wb") as output:
        start = time.perf_counter()
        process = subprocess.Popen(command, env=env, cwd=cwd, stdout=output, stderr=subprocess.STDOUT)
        waited = wait_sampled(process, start, SAMPLE_SECONDS)
    return Run(
        wall_s=waited.seconds,
        cpu_s=waited.usage.ru_utime + waited.usage.ru_stime,
        max_rss_bytes=waited.max_rss_bytes,
        tree_pss_bytes=waited.tree_peak,
        exit_code=waited.exit_code,
    )


def tail(log: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The end of a failed command's output: usually the error that explains it."""
    return "\n".join(log.read_text(encoding="utf-8", errors="replace").rstrip("\n").split("\n")[-lines:])


def median_run(runs: Sequence[Run]) -> dict[str, Any]:
    """Medians of each figure over the runs, plus every run, for the JSON and the table."""
    trees = [r.tree_pss_bytes for r in runs if r.tree_pss_bytes is not None]
    return {
        "wall_s": statistics.median(r.wall_s for r in runs),
        "cpu_s": statistics.median(r.cpu_s for r in runs),
        "max_rss_bytes": int(statistics.median(r.max_rss_bytes for r in runs)),
        "tree_pss_bytes": int(statistics.median(trees)) if trees else None,
        "memory_bytes": int(statistics.median(r.memory_bytes for r in runs)),
        "runs": [asdict(r) for r in runs],
    }


# ---------------------------------------------------------------------------- networks


@dataclass(frozen=True, slots=True)
class Network:
    """A cached synthetic network; never written to (measures work on copies)."""

    path: Path
    stats: NetworkStats
    generated_s: float | None  # None when reused


def canonical_name(members: int, seed: int) -> str:
    """The cache name ``check.prepare_network`` gives a network."""
    return f"network-v{GENERATOR_VERSION}-m{members}-s{seed}"


def find_network(cache: Path, members: int, seed: int) -> Network:
    """Reuse a cached network, or generate it into ``cache``.

    Besides ``check.prepare_network``'s names, a folder ``m<members>`` whose ``site.yml``
    has the title ``make_network`` writes for this size and seed is reused as is (a
    network made by hand with ``make_network.py --members N --seed S DIR/mN``, as on
    ``/dev/shm/nets``). Its generator version cannot be checked: regenerate it after
    bumping ``GENERATOR_VERSION``.
    """
    by_hand = cache / f"m{members}"
    title = f"title: Synthetic network ({members} members, seed {seed})\n"
    if not (cache / canonical_name(members, seed)).is_dir() and (by_hand / "site.yml").is_file():
        with (by_hand / "site.yml").open(encoding="utf-8") as handle:
            if handle.readline() == title:
                return Network(by_hand, count_stats(by_hand), None)
    cache.mkdir(parents=True, exist_ok=True)
    network = prepare_network(cache, members, seed)
    return Network(network.path, network.stats, network.generation_seconds)


def copy_tree(source: Path, target: Path) -> None:
    """Copy a network with ``cp -a``: several times faster than ``shutil.copytree`` on 150,000 files."""
    subprocess.run(["cp", "-a", str(source), str(target)], check=True)


def one_sided_engagements(site: Path, count: int) -> list[tuple[Path, str, str]]:
    """``count`` engagements attested by one party only, well in the past: (folder, missing party, its role).

    Taken in id order, so every run of a size edits the same records.
    """
    found: list[tuple[Path, str, str]] = []
    for year in sorted((site / "content" / "engagements").iterdir()):
        if int(year.name) >= int(TODAY[:4]):
            continue  # every date of an older engagement is long past TODAY: nothing the new file says can be early
        for folder in sorted(year.iterdir()):
            files = os.listdir(folder)
            if len(files) != 2:
                continue
            text = (folder / "engagement.yml").read_text(encoding="utf-8")
            client, supplier = (re.search(rf"(?m)^{role}: (\S+)$", text) for role in ("client", "supplier"))
            if client is None or supplier is None:
                raise BenchError(f"{folder / 'engagement.yml'}: no client or supplier line")
            client, supplier = client[1], supplier[1]
            missing = supplier if f"{client}.yml" in files else client
            found.append((folder, missing, "supplier" if missing == supplier else "client"))
            if len(found) == count:
                return found
    raise BenchError(f"{site} has fewer than {count} one-sided engagements before {TODAY[:4]}")


def attestation(role: str) -> str:
    """A valid attestation dated TODAY (after every date of a past engagement), all good."""
    if role == "client":
        return f"date: {TODAY}\ndelivery: on_time\nquality: 5\nrelationship: 5\nrecommend: true\n"
    return f"date: {TODAY}\npayment: on_time\nrelationship: 5\nrecommend: true\n"


def edit_member(site: Path, run: int) -> None:
    """Change one member's headline (a different text each run, so each build sees a change)."""
    members = sorted((site / "content" / "members").iterdir())
    path = members[7 % len(members)]  # not a founder: an ordinary member's page
    text = path.read_text(encoding="utf-8")
    edited, count = re.subn(r"(?m)^headline: .*$", f'headline: "Benchmark edit {run + 1}"', text, count=1)
    if count != 1:
        raise BenchError(f"{path}: no headline line to edit")
    path.write_text(edited, encoding="utf-8")


# -------------------------------------------------------------------------------- Hugo

HUGO_CONFIG: Final = """\
baseURL = "https://synthetic.triangle.example/"
title = "{title}"
defaultContentLanguage = "fr"
disableKinds = ["taxonomy", "term"]
enableRobotsTXT = false

[languages.fr]
languageName = "Français"
contentDir = "content/fr"
weight = 1

[languages.en]
languageName = "English"
contentDir = "content/en"
weight = 2
"""

HUGO_SINGLE: Final = """\
<!DOCTYPE html>
<html lang="{{ .Site.Language.Lang }}">
<head><meta charset="utf-8"><title>{{ .Params.name }} · {{ .Site.Title }}</title></head>
<body>
<header><a href="{{ "/" | relLangURL }}">{{ .Site.Title }}</a></header>
<main>
<h1>{{ .Params.name }}</h1>
<p class="headline">{{ .Params.headline }}</p>
<p class="region">{{ .Params.region }}</p>
<ul class="skills">{{ range .Params.skills }}<li>{{ . }}</li>{{ end }}</ul>
<div class="bio">{{ .Content }}</div>
<h2>Engagements</h2>
<ul class="engagements">
{{- range .Params.engagements }}
<li id="{{ .id }}">{{ .date }} · {{ .title }} · <a href="../{{ .counterpart_id }}/">{{ .counterpart }}</a></li>
{{- end }}
</ul>
</main>
</body>
</html>
"""

HUGO_LIST: Final = """\
<!DOCTYPE html>
<html lang="{{ .Site.Language.Lang }}">
<head><meta charset="utf-8"><title>{{ .Site.Title }}</title></head>
<body>
<main>
<h1>{{ .Site.Title }}</h1>
<ul class="directory">
{{- range (where .Site.RegularPages "Section" "members").ByTitle }}
<li><a href="{{ .RelPermalink }}">{{ .Params.name }}</a> · {{ .Params.headline }} · {{ .Params.region }}
<span class="skills">{{ delimit .Params.skills ", " }}</span></li>
{{- end }}
</ul>
</main>
</body>
</html>
"""


def write_hugo_site(network: Path, target: Path) -> None:
    """Write the member directory of ``network`` as a Hugo site: one page per member, both languages.

    Members and engagements are read with PyYAML's safe loader (libyaml's when present);
    the front matter is YAML too. The content is written once per language, as Triangle
    renders every page in both.
    """
    import yaml  # only the Hugo side needs it; the rest of the suite runs on the standard library

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    content = network / "content"
    members: dict[str, dict[str, Any]] = {}
    for path in sorted((content / "members").iterdir()):
        members[path.stem] = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    engagements: dict[str, list[dict[str, str]]] = {member: [] for member in members}
    for year in sorted((content / "engagements").iterdir()):
        for folder in sorted(year.iterdir()):
            record = yaml.load((folder / "engagement.yml").read_text(encoding="utf-8"), Loader=loader)
            for party, other in ((record["client"], record["supplier"]), (record["supplier"], record["client"])):
                engagements[party].append(
                    {
                        "id": folder.name,
                        "title": record["title"],
                        "counterpart": members[other]["name"],
                        "counterpart_id": other,
                        "date": record["started"].isoformat(),
                    }
                )
    title = (network / "site.yml").read_text(encoding="utf-8").splitlines()[0].partition(": ")[2]
    (target / "layouts" / "_default").mkdir(parents=True)
    (target / "config.toml").write_text(HUGO_CONFIG.format(title=title.replace('"', "")), encoding="utf-8")
    (target / "layouts" / "_default" / "single.html").write_text(HUGO_SINGLE, encoding="utf-8")
    (target / "layouts" / "_default" / "list.html").write_text(HUGO_LIST, encoding="utf-8")
    folders = [target / "content" / language / "members" for language in ("fr", "en")]
    for folder in folders:
        folder.mkdir(parents=True)
    for member, record in members.items():
        front = {
            "title": record["name"],
            "name": record["name"],
            "headline": record["headline"],
            "region": record["region"],
            "skills": record["skills"],
            "engagements": sorted(engagements[member], key=lambda e: (e["date"], e["id"]), reverse=True),
        }
        text = "---\n" + yaml.dump(front, Dumper=dumper, allow_unicode=True, sort_keys=False) + "---\n"
        text += record.get("bio") or ""
        for folder in folders:
            (folder / f"{member}.md").write_text(text, encoding="utf-8")


def hugo_source(cache: Path, network: Network, members: int, seed: int) -> Path:
    """The Hugo site of a network, written once into ``cache`` (renamed into place when complete)."""
    path = cache / f"hugo-v{HUGO_SITE_VERSION}-{canonical_name(members, seed)}"
    if path.is_dir():
        return path
    cache.mkdir(parents=True, exist_ok=True)
    scratch = cache / f".partial-{path.name}-{os.getpid()}"
    write_hugo_site(network.path, scratch)
    scratch.rename(path)
    return path


# ------------------------------------------------------------------------------ one size


@dataclass(slots=True)
class SizeBench:
    """Runs the selected measures on one network, in the order their preconditions need."""

    network: Network
    members: int
    seed: int
    work: Path
    runs: int
    hugo_cache: Path
    progress: Callable[[str], None]
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    built: bool = False

    @property
    def site(self) -> Path:
        return self.work / "site"

    @property
    def output(self) -> Path:
        return self.work / "out"

    def env(self) -> dict[str, str]:
        """The working tree's ``generator``, a scratch HMAC key folder, and a git that ignores user config."""
        return {**child_env(), **GIT_ENV, "XDG_CACHE_HOME": str(self.work / "xdg")}

    def triangle(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "generator", "-C", str(self.site), *args, "--today", TODAY]

    def build_command(self) -> list[str]:
        return self.triangle("build", "-o", str(self.output))

    def run(self, name: str, command: list[str], before: Callable[[int], None] | None = None) -> Run:
        """Measure ``command`` once per run (after ``before(run)``); raise if any run fails."""
        runs: list[Run] = []
        for k in range(self.runs):
            if before is not None:
                before(k)
            log = self.work / f"{name}-{k + 1}.log"
            self.progress(f"  {LABELS[name]} run {k + 1}/{self.runs} ...")
            result = measure(command, self.env(), log)
            if result.exit_code != 0:
                raise BenchError(f"{' '.join(command)} exited with {result.exit_code}:\n{tail(log)}")
            runs.append(result)
        self.results[name] = {"command": command, **median_run(runs)}
        return runs[-1]

    def clear_cache(self, _: int = 0) -> None:
        shutil.rmtree(self.site / ".triangle-cache", ignore_errors=True)

    def clear_all(self, _: int = 0) -> None:
        self.clear_cache()
        shutil.rmtree(self.output, ignore_errors=True)

    def ensure_built(self) -> None:
        """A build with its cache, unmeasured, for measures that start from a built site."""
        if self.built:
            return
        self.progress("  build (setup, not measured) ...")
        result = measure(self.build_command(), self.env(), self.work / "setup-build.log")
        if result.exit_code != 0:
            raise BenchError(f"setup build exited with {result.exit_code}:\n{tail(self.work / 'setup-build.log')}")
        self.built = True

    def measure_all(self, selected: Sequence[str]) -> None:
        self.work.mkdir(parents=True)
        start = time.perf_counter()
        copy_tree(self.network.path, self.site)
        self.progress(f"  copied the network in {time.perf_counter() - start:.1f} s")
        if "review" in selected or "review-cached" in selected:  # first: nothing a build writes is committed
            start = time.perf_counter()
            (self.site / ".gitignore").write_text(".triangle-cache/\n", encoding="utf-8")
            prepare_repository(self.site)
            self.progress(f"  committed the network and a one-engagement branch in {time.perf_counter() - start:.1f} s")
        if "check" in selected:
            self.run("check", self.triangle("check"), before=self.clear_cache)
        if "cold" in selected:
            self.run("cold", self.build_command(), before=self.clear_all)
            self.built = True
        if "warm" in selected:
            self.ensure_built()
            self.run("warm", self.build_command())
        if "member" in selected:
            self.ensure_built()
            self.run("member", self.build_command(), before=lambda k: edit_member(self.site, k))
        if "attestation" in selected:
            self.ensure_built()
            targets = one_sided_engagements(self.site, self.runs)

            def add(k: int) -> None:
                folder, party, role = targets[k]
                (folder / f"{party}.yml").write_text(attestation(role), encoding="utf-8")

            self.run("attestation", self.build_command(), before=add)
        review = self.triangle("review", "--base", "main", "--head", "pr", "--format", "json")
        if "review-cached" in selected:  # before "review", which deletes the cache
            self.ensure_built()
            self.run("review-cached", review)
        if "review" in selected:
            self.run("review", review, before=self.clear_cache)
        if "hugo" in selected:
            self.measure_hugo()

    def measure_hugo(self) -> None:
        """Hugo's cold build of the same directory (its source prepared, and cached, untimed)."""
        start = time.perf_counter()
        source = hugo_source(self.hugo_cache, self.network, self.members, self.seed)
        site = self.work / "hugo"
        copy_tree(source, site)
        self.progress(f"  prepared the Hugo site in {time.perf_counter() - start:.1f} s")
        output = self.work / "hugo-out"
        cache = self.work / "hugo-cache"
        env = {**os.environ, "HUGO_CACHEDIR": str(cache)}
        command = ["hugo", "--source", str(site), "--destination", str(output), "--quiet", "--minify=false"]

        def clear(_: int) -> None:
            for folder in (output, cache, site / "resources"):
                shutil.rmtree(folder, ignore_errors=True)

        runs: list[Run] = []
        for k in range(self.runs):
            clear(k)
            self.progress(f"  hugo run {k + 1}/{self.runs} ...")
            log = self.work / f"hugo-{k + 1}.log"
            result = measure(command, env, log)
            if result.exit_code != 0:
                raise BenchError(f"hugo exited with {result.exit_code}:\n{tail(log)}")
            runs.append(result)
        self.results["hugo"] = {"command": command, **median_run(runs)}


# ------------------------------------------------------------------------------ report


def ratios(measures: dict[str, dict[str, Any]]) -> dict[str, float]:
    """Triangle's wall time over Hugo's cold build, for each build measure present."""
    if "hugo" not in measures:
        return {}
    hugo = measures["hugo"]["wall_s"]
    return {m: measures[m]["wall_s"] / hugo for m in RATIOS if m in measures}


def growth(sizes: dict[str, dict[str, Any]]) -> dict[str, float]:
    """Wall time at 100,000 members over 10,000, for each measure present at both."""
    small, big = sizes.get("10000"), sizes.get("100000")
    if small is None or big is None:
        return {}
    return {
        m: big["measures"][m]["wall_s"] / small["measures"][m]["wall_s"]
        for m in big["measures"]
        if m in small["measures"]
    }


def table(report: dict[str, Any]) -> str:
    """The results, one block per size, a pass/miss mark next to each figure issue 10 sets a target for."""
    lines: list[str] = []
    header = (
        f"{'measure':<16} {'wall s':>7} {'target':<13} {'cpu s':>7} {'max proc MiB':>12} "
        f"{'all procs MiB':>13} {'target':<15} {'/ hugo':>6} target"
    )
    for key, size in report["sizes"].items():
        members = int(key)
        stats = size["network"]
        lines.append(
            f"{members:,} members, {stats['engagements']:,} engagements, {stats['files']:,} files "
            f"(median of {report['runs'][key]} run{'s' if report['runs'][key] > 1 else ''})"
        )
        lines.append(header)
        for name, m in size["measures"].items():
            ratio = size["hugo_ratios"].get(name)
            tree = "-" if m["tree_pss_bytes"] is None else f"{m['tree_pss_bytes'] / MIB:.0f}"
            lines.append(
                f"{LABELS[name]:<16} {m['wall_s']:>7.2f} {mark(find_target(members, name, 'wall_s'), m['wall_s']):<13} "
                f"{m['cpu_s']:>7.2f} {m['max_rss_bytes'] / MIB:>12.0f} {tree:>13} "
                f"{mark(find_target(members, name, 'memory_bytes'), m['memory_bytes']):<15} "
                f"{'' if ratio is None else f'{ratio:.2f}':>6} "
                f"{mark(find_target(members, name, 'hugo_ratio'), ratio):<10}".rstrip()
            )
        lines.append("")
    for name, value in report["growth"].items():
        target = mark(find_target(100_000, name, "growth"), value)
        lines.append(f"growth 10k -> 100k, {LABELS[name]}: {value:.1f}x {target}".rstrip())
    return "\n".join(lines).rstrip() + "\n"


def comparison(old: dict[str, Any], new: dict[str, Any]) -> str:
    """Wall and CPU time of each measure against an earlier result file, in seconds and per cent."""
    lines = [f"compared with {old.get('git', {}).get('sha', '?')} of {old.get('date', '?')}:"]
    lines.append(f"{'members':>8} {'measure':<16} {'wall before':>11} {'after':>7} {'change':>7} {'cpu change':>10}")
    for key, size in new["sizes"].items():
        before = old.get("sizes", {}).get(key, {}).get("measures", {})
        for name, m in size["measures"].items():
            if name not in before:
                continue
            b = before[name]
            wall = (m["wall_s"] - b["wall_s"]) / b["wall_s"] * 100
            cpu = (m["cpu_s"] - b["cpu_s"]) / b["cpu_s"] * 100 if b["cpu_s"] else 0.0
            lines.append(
                f"{int(key):>8,} {LABELS[name]:<16} {b['wall_s']:>11.2f} {m['wall_s']:>7.2f} "
                f"{wall:>+6.0f}% {cpu:>+9.0f}%"
            )
    return "\n".join(lines) + "\n"


def git_state() -> dict[str, Any]:
    """The commit measured, and whether uncommitted edits were measured too."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=False).stdout

    status = git("status", "--porcelain", "--untracked-files=no")
    return {
        "sha": git("rev-parse", "--short=10", "HEAD").strip() or "unknown",
        "branch": git("rev-parse", "--abbrev-ref", "HEAD").strip(),
        "dirty": bool(status.strip()),
    }


def default_cache_dir() -> Path:
    xdg = os.environ.get("XDG_CACHE_HOME")
    return Path(xdg) / "triangle-bench" if xdg else Path(tempfile.gettempdir()) / "triangle-bench"


def default_work_dir() -> Path:
    """A RAM disk when there is one: a 10,000-member site is 1 GB in 120,000 files, and a slow disk would dominate."""
    shm = Path("/dev/shm")
    return shm if shm.is_dir() and os.access(shm, os.W_OK) else Path(tempfile.gettempdir())


# -------------------------------------------------------------------------------- main


def parse_list(text: str, kind: Callable[[str], Any]) -> list[Any]:
    return [kind(item.strip()) for item in text.split(",") if item.strip()]


def free_name(folder: Path, stem: str) -> Path:
    """``folder/stem.json``, or ``stem-2.json``, ``stem-3.json``… when a run of the same commit on the same day is kept.

    A result is the only record of a run that took minutes: a second run never replaces it.
    """
    path, number = folder / f"{stem}.json", 1
    while path.exists():
        number += 1
        path = folder / f"{stem}-{number}.json"
    return path


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: measure, print the table, write the JSON; exit 1 if a command failed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--sizes", default="1000,10000", help="member counts, comma-separated (default: 1000,10000)")
    parser.add_argument("--runs", type=int, help="runs per measure, median reported (default: 3; 1 from 100,000)")
    parser.add_argument("--only", help=f"measures to run, comma-separated, from: {','.join(MEASURES)}")
    parser.add_argument("--skip-hugo", action="store_true", help="do not build with Hugo (no ratios)")
    parser.add_argument("--seed", type=int, default=SEED, help="network seed (default: 1)")
    parser.add_argument(
        "--cache-dir", type=Path, default=default_cache_dir(), help="generated networks, kept between runs"
    )
    parser.add_argument("--work-dir", type=Path, default=default_work_dir(), help="scratch copies and outputs")
    parser.add_argument("--keep-work", action="store_true", help="keep the scratch folder (logs, sites, outputs)")
    parser.add_argument("--out", type=Path, help="result JSON (default: bench/results/<date>-<git sha>.json)")
    parser.add_argument("--compare", type=Path, metavar="OLD.json", help="print the changes since this result file")
    args = parser.parse_args(argv)

    try:
        sizes = parse_list(args.sizes, int)
    except ValueError:
        parser.error(f"--sizes: expected member counts like 1000,10000 (got {args.sizes!r})")
    if not sizes or any(n < 2 for n in sizes):
        parser.error(f"--sizes: each size must be 2 or more (got {args.sizes!r})")
    selected = parse_list(args.only, str) if args.only else list(MEASURES)
    unknown = [m for m in selected if m not in MEASURES]
    if unknown:
        parser.error(f"--only: unknown measure {unknown[0]!r}; expected some of {', '.join(MEASURES)}")
    if args.skip_hugo and "hugo" in selected:
        selected.remove("hugo")
    if "hugo" in selected and shutil.which("hugo") is None:
        parser.error("hugo is not installed (Debian: apt-get install hugo); or pass --skip-hugo")
    if args.runs is not None and args.runs < 1:
        parser.error(f"--runs must be 1 or more (got {args.runs})")
    old = json.loads(args.compare.read_text(encoding="utf-8")) if args.compare else None

    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    now = dt.datetime.now(dt.UTC)
    state = git_state()
    report: dict[str, Any] = {
        "schema": 1,
        "date": now.isoformat(timespec="seconds"),
        "git": state,
        "today": TODAY,
        "seed": args.seed,
        "python": platform.python_version(),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "hugo": subprocess.run(["hugo", "version"], capture_output=True, text=True).stdout.strip()
        if "hugo" in selected
        else None,
        "measures": {name: DESCRIPTIONS[name] for name in selected},
        "runs": {},
        "sizes": {},
    }
    args.work_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="triangle-bench-work-", dir=args.work_dir))
    try:
        for members in sizes:
            runs = args.runs or (1 if members >= 100_000 else 3)
            progress(f"{members:,} members: network in {args.cache_dir} ...")
            network = find_network(args.cache_dir, members, args.seed)
            progress(
                f"  {'reused' if network.generated_s is None else f'generated in {network.generated_s:.1f} s:'} "
                f"{network.path}"
            )
            # Derived Hugo sources go beside networks this script cached, never beside someone else's.
            own = network.path.name == canonical_name(members, args.seed)
            hugo_cache = args.cache_dir if own else default_cache_dir()
            bench = SizeBench(network, members, args.seed, work / f"m{members}", runs, hugo_cache, progress)
            bench.measure_all(selected)
            if not args.keep_work:
                shutil.rmtree(bench.work)  # a 10,000-member site and its output take gigabytes of RAM disk
            report["runs"][str(members)] = runs
            report["sizes"][str(members)] = {
                "network": {"path": str(network.path), **asdict(network.stats)},
                "measures": bench.results,
                "hugo_ratios": ratios(bench.results),
            }
    except BenchError as error:
        progress(f"error: {error}\n(scratch folder kept: {work})")
        return 1
    if args.keep_work:
        progress(f"scratch folder kept: {work}")
    else:
        shutil.rmtree(work)
    report["growth"] = growth(report["sizes"])

    out = args.out or free_name(
        REPO_ROOT / "bench" / "results", f"{now:%Y-%m-%d}-{state['sha']}{'-dirty' if state['dirty'] else ''}"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nPYTHONPATH={REPO_ROOT} {sys.executable} -m generator ... --today {TODAY}; work dir {args.work_dir}")
    print(table(report), end="")
    if old is not None:
        print()
        print(comparison(old, report), end="")
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
