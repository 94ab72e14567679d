"""``triangle build``: check, score, render, write — the one place that knows the order.

Each step is a stage of its own module; this orchestrator only sequences them, times
them for the progress display and the benchmark, and makes sure nothing is written
unless every earlier stage succeeded.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .check import CheckResult, check_site
from .diagnostics import Diagnostic, Severity, TriangleError
from .publish import Published, Publisher
from .render import load_theme, render_units
from .score import Scores, score_site
from .search import index_documents
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
    """Build the site in ``root`` into its output folder, atomically.

    Raises :class:`BuildFailed` (with the diagnostics) when the site is invalid, and
    leaves the previous output untouched on any failure. With ``cache``, records that
    did not change since the last run are not parsed again (see :mod:`generator.cache`).
    """
    timings: dict[str, float] = {}
    start = time.perf_counter()
    checked: CheckResult = check_site(root, today, cache=cache)
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
        timings["render"] = time.perf_counter() - start
        begin = time.perf_counter()
        index_documents(documents, folder)
        timings["search"] = time.perf_counter() - begin

    publisher = Publisher(root, target, cache=cache, search=indexer if search else None)
    items = render_units(site, scores, theme, search=search, previous=publisher.previous, versions=checked.versions)
    published = publisher.publish(_counted(items, progress))
    timings.setdefault("render", time.perf_counter() - start)
    timings["write"] = time.perf_counter() - start - timings["render"] - timings.get("search", 0.0)
    return BuildResult(
        output=target,
        members=sum(1 for m in site.members.values() if m.status != "withdrawn"),
        engagements=len(site.engagements),
        pages=published.pages,
        files=published.files,
        timings=timings,
        diagnostics=checked.diagnostics,
        published=published,
    )
