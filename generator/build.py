"""``triangle build``: check, score, render, write — the one place that knows the order.

Each step is a stage of its own module; this orchestrator only sequences them, times
them for the progress display and the benchmark, and makes sure nothing is written
unless every earlier stage succeeded.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .cache import code_digest, has_records
from .check import CheckResult, Snapshot, check_site, no_gc, snapshot, versions_digest
from .config import load_config
from .diagnostics import Diagnostic, Severity, TriangleError
from .publish import LastBuild, Manifest, Published, Publisher, look_at_last_build
from .render import DEFAULT_THEME, load_theme, render_units
from .score import Scores, score_site
from .search import SEARCH_SOURCE, index_documents, shard_count
from .views import public_members
from .write import Output, Unit

Progress = Callable[[str, int], None]
"""Called with a stage name and a count of files done, for a progress display."""


class BuildFailed(TriangleError):
    """The site is invalid: nothing was written and the previous site is untouched."""


@dataclass(frozen=True, slots=True)
class BuildResult:
    """What a build produced, with the time each stage took (for people and benchmarks)."""

    output: Path
    members: int
    engagements: int
    pages: int
    files: int
    timings: dict[str, float] = field(default_factory=dict)
    diagnostics: tuple[Diagnostic, ...] = ()
    published: Published | None = None
    """What reached the disk: files written, kept, removed (``None`` in results made by hand)."""

    @property
    def seconds(self) -> float:
        """Total time of the build."""
        return sum(self.timings.values())


def _counted(items: Iterator[Output | Unit], progress: Progress | None) -> Iterator[Output | Unit]:
    """Report progress as units and files go to the disk."""
    for done, item in enumerate(items, 1):
        if progress is not None and done % 200 == 0:
            progress("render", done)
        yield item


def _stamp(root: Path, records: bytes, today: dt.date, *, strict: bool, search: bool) -> str:
    """A digest of every input of a build: records (``records``: their versions' digest), site.yml, themes,
    Triangle itself, the date, the options."""
    digest = hashlib.blake2b(records, digest_size=16)
    digest.update(code_digest())
    digest.update(repr((today, strict, search)).encode())
    with contextlib.suppress(OSError):
        digest.update((root / "site.yml").read_bytes())
    for folder in (root / "themes", DEFAULT_THEME):
        for path in sorted(folder.rglob("*")) if folder.is_dir() else ():
            with contextlib.suppress(OSError):
                found = path.lstat()
                digest.update(f"{path}\0{found.st_size}\0{found.st_mtime_ns}\0{found.st_mode}\n".encode())
    return digest.hexdigest()


def _nothing_to_do(target: Path, last: Manifest, timings: dict[str, float]) -> BuildResult:
    """The result of a build whose inputs and output are exactly those of the last one."""
    members, engagements, diagnostics = last.summary
    published = [p for p in last.files if not p.startswith(SEARCH_SOURCE + "/")]
    pages = sum(1 for p in published if p.endswith(".html"))
    done = Published(len(published), pages, 0, 0, 0, len(last.units), incremental=True)
    return BuildResult(
        output=target,
        members=members,
        engagements=engagements,
        pages=pages,
        files=len(published),
        timings=timings,
        diagnostics=diagnostics,
        published=done,
    )


def build(
    root: Path,
    today: dt.date,
    *,
    strict: bool = False,
    output: Path | None = None,
    search: bool = True,
    cache: bool = False,
    progress: Progress | None = None,
) -> BuildResult:
    """Build the site in ``root`` into its output folder.

    Raises :class:`BuildFailed` (with the diagnostics) when the site is invalid, and
    leaves the previous output untouched on any failure. With ``cache``, records that
    did not change since the last run are not parsed again (see :mod:`generator.cache`),
    only the pages whose inputs changed are drawn and only the files whose bytes
    changed are written (see :mod:`generator.publish`); when no input changed at all
    and the output is as the last build left it, nothing is done.
    """
    with no_gc():  # the whole build makes millions of objects and next to no reference cycles
        return _build(root, today, strict=strict, output=output, search=search, cache=cache, progress=progress)


def _build(
    root: Path,
    today: dt.date,
    *,
    strict: bool,
    output: Path | None,
    search: bool,
    cache: bool,
    progress: Progress | None,
) -> BuildResult:
    timings: dict[str, float] = {}
    start = time.perf_counter()
    shot: Snapshot | None = None
    stamp = ""
    last: LastBuild | None = None
    if cache:
        target = output if output is not None else root / load_config(root).output
        look = look_at_last_build(root, target)  # beside the listing of the records
        if has_records(root):
            shot = snapshot(root)
            stamp = _stamp(root, shot.digest(), today, strict=strict, search=search)
            last = look()
            if last is not None and last.manifest.stamp == stamp and last.every:
                timings["check"] = time.perf_counter() - start
                return _nothing_to_do(target, last.manifest, timings)
        # Else a fresh clone: the check takes each file's version as its workers read it.
    checked: CheckResult = check_site(root, today, cache=cache, shot=shot)
    if cache and shot is None and checked.versions is not None:
        stamp = _stamp(root, versions_digest(checked.versions), today, strict=strict, search=search)
        last = look()
    timings["check"] = time.perf_counter() - start
    if checked.failed(strict):
        problems = (
            tuple(
                d if d.severity is Severity.ERROR else Diagnostic(d.path, d.position, Severity.ERROR, d.code, d.message)
                for d in checked.diagnostics
            )
            if strict
            else checked.diagnostics
        )
        errors = sum(1 for d in problems if d.severity is Severity.ERROR)
        raise BuildFailed(
            f"the site is invalid ({errors} error{'s' if errors != 1 else ''}); nothing was written", problems
        )
    site = checked.site
    start = time.perf_counter()
    scores: Scores = score_site(site)
    timings["score"] = time.perf_counter() - start
    theme = load_theme(root, site.config.theme)
    target = output if output is not None else root / site.config.output
    start = time.perf_counter()

    def indexer(documents: Path, folder: Path) -> None:
        """Index one shard of the search index: its time counts from the first shard's start to the last's end."""
        begin = time.perf_counter()
        timings.setdefault("render", begin - start)
        index_documents(documents, folder)
        timings["search"] = time.perf_counter() - start - timings["render"]

    members = sum(1 for m in site.members.values() if m.status != "withdrawn")
    summary = (members, len(site.engagements), checked.diagnostics)
    shards = shard_count(len(public_members(site, scores)))  # as the renderer counts them
    publisher = Publisher(
        root,
        target,
        cache=cache,
        search=indexer if search else None,
        stamp=stamp,
        summary=summary,
        shards=shards,
        last=last,
    )
    items = render_units(
        site,
        scores,
        theme,
        search=search,
        previous=publisher.previous,
        versions=checked.versions,
        cache_root=root if cache else None,
    )
    published = publisher.publish(_counted(items, progress))
    timings.setdefault("render", time.perf_counter() - start)
    timings["write"] = time.perf_counter() - start - timings["render"] - timings.get("search", 0.0)
    return BuildResult(
        output=target,
        members=members,
        engagements=len(site.engagements),
        pages=published.pages,
        files=published.files,
        timings=timings,
        diagnostics=checked.diagnostics,
        published=published,
    )
