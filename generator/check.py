"""The check pipeline: configuration, discovery, loading, validation, in that order.

This is the one place that knows the order of the first stages; ``triangle check``,
``triangle build`` and every later command start here. Reading and converting files
is the only heavy part (a large network has 150,000 small files), so it is spread
over the machine's cores; everything after it is a pure function of its results.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .config import load_config
from .diagnostics import Diagnostic, Severity
from .discover import RecordFile, discover
from .fields import Context, Converted
from .load import load_file
from .model import Site
from .schema import ATTESTATION, ENGAGEMENT, MEMBER, RESOLUTION
from .validate import ParsedRecord, validate

RECORD_TYPES = {
    "member": MEMBER,
    "engagement": ENGAGEMENT,
    "attestation": ATTESTATION,
    "resolution": RESOLUTION,
}
PARALLEL_THRESHOLD = 4000
"""Below this many files, starting worker processes costs more than it saves."""
CHUNK = 2000


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The validated site (records that passed) and every problem, sorted by place."""

    site: Site
    diagnostics: tuple[Diagnostic, ...]
    files: int

    def count(self, severity: Severity) -> int:
        """How many problems of one severity."""
        return sum(1 for d in self.diagnostics if d.severity is severity)

    def failed(self, strict: bool = False) -> bool:
        """Whether the site is invalid (warnings count under ``strict``)."""
        return any(d.severity is Severity.ERROR or strict for d in self.diagnostics)


def parse_record(root: Path, file: RecordFile) -> tuple[ParsedRecord, tuple[Diagnostic, ...]]:
    """Read one file and convert it by its kind's schema."""
    loaded = load_file(file.path, root / file.path)
    if loaded.root is None:
        return ParsedRecord(file, None), loaded.diagnostics
    ctx = Context(file.path)
    converted = RECORD_TYPES[file.kind].convert_record(loaded.root, ctx)
    if converted is not None and loaded.diagnostics:
        converted = Converted(converted.values, converted.positions, complete=False)
    return ParsedRecord(file, converted), loaded.diagnostics + tuple(ctx.problems)


def _parse_chunk(root: Path, files: Sequence[RecordFile]) -> list[tuple[ParsedRecord, tuple[Diagnostic, ...]]]:
    return [parse_record(root, file) for file in files]


def parse_all(
    root: Path, files: Sequence[RecordFile], jobs: int | None = None
) -> Iterable[tuple[ParsedRecord, tuple[Diagnostic, ...]]]:
    """Parse every file, in worker processes when there are enough of them."""
    jobs = jobs if jobs is not None else min(os.cpu_count() or 1, 8)
    if jobs <= 1 or len(files) < PARALLEL_THRESHOLD or "fork" not in multiprocessing.get_all_start_methods():
        return _parse_chunk(root, files)
    chunks = [files[i : i + CHUNK] for i in range(0, len(files), CHUNK)]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        results = pool.map(_parse_chunk, [root] * len(chunks), chunks)
        return [item for chunk in results for item in chunk]


def check_site(root: Path, today: dt.date, jobs: int | None = None) -> CheckResult:
    """Run every check on the site in ``root``; raise :class:`UsageError` on a bad site.yml."""
    config = load_config(root)
    found = discover(root)
    problems: list[Diagnostic] = list(found.diagnostics)
    parsed: list[ParsedRecord] = []
    for record, diagnostics in parse_all(root, found.files, jobs):
        parsed.append(record)
        problems.extend(diagnostics)
    validation = validate(config, parsed, today)
    problems.extend(validation.diagnostics)
    return CheckResult(validation.site, tuple(sorted(problems, key=Diagnostic.sort_key)), len(found.files))
