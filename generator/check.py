"""The check pipeline: configuration, discovery, loading, validation, in that order.

This is the one place that knows the order of the first stages; ``triangle check``,
``triangle build`` and every later command start here. Reading and converting files
is the only heavy part (a large network has 150,000 small files), so it is spread
over the machine's cores; everything after it is a pure function of its results.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import hashlib
import multiprocessing
import os
import pickle
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .cache import (
    CachedRecord,
    RecordStore,
    StatKey,
    blob_id,
    content_digest,
    has_records,
    load_signed,
    pickled,
    save_signed,
    stat_key,
)
from .config import load_config
from .diagnostics import Diagnostic, Severity, error
from .discover import Discovery, EngagementFolder, RecordFile, discover, discover_folder, discover_known
from .fields import Context, Converted
from .load import Loaded, load_bytes, load_file, load_read, read_file, read_stat
from .model import Positions, Site, frozen_map
from .schema import ATTESTATION, ENGAGEMENT, MEMBER, RESOLUTION, WITHDRAWAL
from .signing import Keyring, Subject, Verdict, explain_tampered, subjects, verify_subjects
from .validate import ParsedRecord, validate

RECORD_TYPES = {
    "member": MEMBER,
    "engagement": ENGAGEMENT,
    "attestation": ATTESTATION,
    "resolution": RESOLUTION,
    "withdrawal": WITHDRAWAL,
}
SIGNATURE_CHUNK = 5000
"""Signatures verified per task; each costs about 0.1 ms, so a task is worth a process round trip."""
PARALLEL_THRESHOLD = 2000
"""Below this many tasks (files or engagement folders), worker processes cost more than they save."""
CHUNK = 1000


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The validated site (records that passed) and every problem, sorted by place."""

    site: Site
    diagnostics: tuple[Diagnostic, ...]
    files: int
    versions: Mapping[str, StatKey] | None = None
    """With the cache: the version of each record file read, by path (an incremental build hashes them)."""

    def count(self, severity: Severity) -> int:
        """How many problems of one severity."""
        return sum(1 for d in self.diagnostics if d.severity is severity)

    def failed(self, strict: bool = False) -> bool:
        """Whether the site is invalid (warnings count under ``strict``)."""
        return any(d.severity is Severity.ERROR or strict for d in self.diagnostics)


def parse_record(root: Path, file: RecordFile) -> tuple[ParsedRecord, tuple[Diagnostic, ...]]:
    """Read one file and convert it by its kind's schema."""
    return convert_loaded(file, load_file(file.path, os.path.join(root, file.path)))


def convert_loaded(file: RecordFile, loaded: Loaded) -> tuple[ParsedRecord, tuple[Diagnostic, ...]]:
    """Convert one loaded file by its kind's schema."""
    if loaded.root is None:
        return ParsedRecord(file, None), loaded.diagnostics
    ctx = Context(file.path)
    converted = RECORD_TYPES[file.kind].convert_record(loaded.root, ctx)
    if converted is not None and loaded.diagnostics:
        converted = Converted(converted.values, converted.positions, complete=False)
    return ParsedRecord(file, converted), loaded.diagnostics + tuple(ctx.problems)


Task = RecordFile | EngagementFolder
Parsed = tuple[list[ParsedRecord], list[Diagnostic]]


def _task_files(root: Path, tasks: Sequence[Task], problems: list[Diagnostic]) -> Iterator[RecordFile]:
    """The record files of a share of the work: its files, and those of its folders, listed here.

    What listing a folder finds wrong is added to ``problems``.
    """
    for task in tasks:
        if type(task) is EngagementFolder:
            found = discover_folder(root, task)
            problems.extend(found.diagnostics)
            yield from found.files
        else:
            yield task  # type: ignore[misc]


def _parse_chunk(root: Path, tasks: Sequence[Task]) -> Parsed:
    """List the folders and parse the files of one share of the work."""
    records: list[ParsedRecord] = []
    problems: list[Diagnostic] = []
    for file in _task_files(root, tasks, problems):
        record, diagnostics = parse_record(root, file)
        records.append(record)
        problems.extend(diagnostics)
    return records, problems


Flat = tuple[
    str, str, str, "str | None", "str | None", "dict[str, Any] | None", tuple[tuple[str, ...], tuple[int, ...]], bool
]


def _flatten(record: ParsedRecord) -> Flat:
    file, converted = record.file, record.record
    if converted is None:
        return (file.path, file.kind, file.name, file.engagement, file.year, None, ((), ()), False)
    return (
        file.path,
        file.kind,
        file.name,
        file.engagement,
        file.year,
        converted.values,
        Positions(converted.positions).packing(),
        converted.complete,
    )


def unflatten(flat: Flat) -> ParsedRecord:
    """A record back from the plain tuples of :func:`_flatten` (a process boundary, the record cache)."""
    path, kind, name, engagement, year, values, (keys, numbers), complete = flat
    file = RecordFile(path, kind, name, engagement, year)  # type: ignore[arg-type]
    if values is None:
        return ParsedRecord(file, None)
    return ParsedRecord(file, Converted(values, Positions.packed(keys, numbers), complete))


def _parse_chunk_flat(root: Path, tasks: Sequence[Task]) -> tuple[list[Flat], list[Diagnostic]]:
    """Like :func:`_parse_chunk`, but shaped to cross a process boundary cheaply.

    Pickling dataclasses and named tuples goes through Python code for each object;
    plain tuples, dicts and dates are pickled in C, several times faster.
    """
    records, problems = _parse_chunk(root, tasks)
    return [_flatten(record) for record in records], problems


def parse_all(root: Path, tasks: Sequence[Task], jobs: int | None = None) -> Parsed:
    """Parse every file (listing engagement folders on the way), in worker processes when it pays."""
    jobs = jobs if jobs is not None else min(os.cpu_count() or 1, 8)
    if jobs <= 1 or len(tasks) < PARALLEL_THRESHOLD or "fork" not in multiprocessing.get_all_start_methods():
        return _parse_chunk(root, tasks)
    chunks = [tasks[i : i + CHUNK] for i in range(0, len(tasks), CHUNK)]
    context = multiprocessing.get_context("fork")
    records: list[ParsedRecord] = []
    problems: list[Diagnostic] = []
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        for chunk_records, chunk_problems in pool.map(_parse_chunk_flat, [root] * len(chunks), chunks):
            records.extend(map(unflatten, chunk_records))
            problems.extend(chunk_problems)
    return records, problems


Kept = tuple[bytes, list[tuple[Flat, tuple[Diagnostic, ...]]]]
"""A share of files parsed for the record cache: those with a version as the cache pickles them, the others."""

_KNOWN: Mapping[str, CachedRecord] = {}
"""The record cache of the run in progress, inherited by forked workers (never pickled)."""


def _parse_chunk_kept(root: Path, files: Sequence[tuple[RecordFile, StatKey | None]]) -> Kept:
    """Read files for the record cache, parsing those whose content is not the cached one.

    The share the cache keeps comes back already :func:`~.cache.pickled`: those bytes
    cross the process boundary as they are and become part of the cache file, so that
    no record is pickled twice. A file without a version (it vanished after the
    listing) is not kept, and comes back apart.
    """
    kept: dict[str, CachedRecord] = {}
    loose: list[tuple[Flat, tuple[Diagnostic, ...]]] = []
    prefix = os.path.join(root, "")
    for file, key in files:
        data = read_file(file.path, prefix + file.path)
        digest, blob = (b"", "") if isinstance(data, Diagnostic) else (content_digest(data), blob_id(data))
        known = _KNOWN.get(file.path)
        if digest and known is not None and known[1] == digest:
            flat, diagnostics = known[3], known[4]  # written again, or a fresh clone: the same content
        else:
            record, diagnostics = convert_loaded(file, load_read(file.path, data))
            flat = _flatten(record)
        if key is None:
            loose.append((flat, diagnostics))
        else:
            kept[file.path] = (key, digest, blob, flat, diagnostics)
    return pickled(kept), loose


def parse_kept(
    root: Path,
    files: Sequence[tuple[RecordFile, StatKey | None]],
    known: Mapping[str, CachedRecord],
    jobs: int | None = None,
) -> list[Kept]:
    """Read files for the record cache, in worker processes when it pays; shares in the order given.

    ``known`` is the cache as it was: a file whose content is the one it knows is not parsed again.
    """
    global _KNOWN
    jobs = jobs if jobs is not None else min(os.cpu_count() or 1, 8)
    _KNOWN = known
    try:
        if jobs <= 1 or len(files) < PARALLEL_THRESHOLD or "fork" not in multiprocessing.get_all_start_methods():
            return [_parse_chunk_kept(root, files)]
        chunks = [files[i : i + CHUNK] for i in range(0, len(files), CHUNK)]
        with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            return list(pool.map(_parse_chunk_kept, [root] * len(chunks), chunks))
    finally:
        _KNOWN = {}


Fresh = tuple[bytes, list[tuple[Flat, tuple[Diagnostic, ...]]], list[Diagnostic]]
"""A share of a first cached run: the records kept (pickled), those without a version, the folders' problems."""


def _parse_chunk_fresh(root: Path, tasks: Sequence[Task]) -> Fresh:
    """List the folders and parse the files of one share for a record cache that does not exist yet.

    Each file's version is the ``fstat`` of the file as it is read, so a first run
    neither lists nor ``stat``s the site ahead of the workers.
    """
    kept: dict[str, CachedRecord] = {}
    loose: list[tuple[Flat, tuple[Diagnostic, ...]]] = []
    problems: list[Diagnostic] = []
    prefix = os.path.join(root, "")
    for file in _task_files(root, tasks, problems):
        data, version = read_stat(file.path, prefix + file.path)
        record, diagnostics = convert_loaded(file, load_read(file.path, data))
        flat = _flatten(record)
        if version is None:
            loose.append((flat, diagnostics))
        else:
            digest, blob = (b"", "") if isinstance(data, Diagnostic) else (content_digest(data), blob_id(data))
            kept[file.path] = (stat_key(version), digest, blob, flat, diagnostics)
    return pickled(kept), loose, problems


def parse_fresh(root: Path, tasks: Sequence[Task], jobs: int | None = None) -> list[Fresh]:
    """:func:`_parse_chunk_fresh` over every task, in worker processes when it pays; shares in the order given."""
    jobs = jobs if jobs is not None else min(os.cpu_count() or 1, 8)
    if jobs <= 1 or len(tasks) < PARALLEL_THRESHOLD or "fork" not in multiprocessing.get_all_start_methods():
        return [_parse_chunk_fresh(root, tasks)]
    chunks = [tasks[i : i + CHUNK] for i in range(0, len(tasks), CHUNK)]
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork")) as pool:
        return list(pool.map(_parse_chunk_fresh, [root] * len(chunks), chunks))


def _parse_first(root: Path, found: Discovery, jobs: int | None) -> tuple[Parsed, dict[str, StatKey]]:
    """Parse every file for a site without a record cache, and write the cache from the workers' pickles."""
    records: list[ParsedRecord] = []
    problems: list[Diagnostic] = []
    kept: dict[str, CachedRecord] = {}
    chunks: list[bytes] = []
    for data, loose, listed in parse_fresh(root, [*found.files, *found.folders], jobs):
        share: dict[str, CachedRecord] = pickle.loads(data)
        for entry in share.values():
            records.append(unflatten(entry[3]))
            problems.extend(entry[4])
        for flat, diagnostics in loose:
            records.append(unflatten(flat))
            problems.extend(diagnostics)
        problems.extend(listed)
        kept.update(share)
        chunks.append(data)
    RecordStore(root).save(kept, chunks)
    return (records, problems), {path: entry[0] for path, entry in kept.items()}


Blob = tuple[RecordFile, bytes]
"""A record file and its content, read from elsewhere than the disk (a git revision)."""
ParsedBlob = tuple[ParsedRecord, tuple[Diagnostic, ...]]
_FlatBlob = tuple[str, str, str, "str | None", "str | None", bytes]


def _parse_blobs_chunk(blobs: Sequence[_FlatBlob]) -> list[tuple[Flat, tuple[Diagnostic, ...]]]:
    parsed = []
    for path, kind, name, engagement, year, data in blobs:
        file = RecordFile(path, kind, name, engagement, year)  # type: ignore[arg-type]
        record, diagnostics = convert_loaded(file, load_bytes(path, data))
        parsed.append((_flatten(record), diagnostics))
    return parsed


def parse_blobs(blobs: Sequence[Blob], jobs: int | None = None) -> list[ParsedBlob]:
    """Parse records given as bytes, in worker processes when it pays; results in the order given.

    Each result keeps its own diagnostics, so that a caller checking several revisions
    can parse a file shared by all of them once and hand each revision its problems.
    """
    flat: list[_FlatBlob] = [(f.path, f.kind, f.name, f.engagement, f.year, data) for f, data in blobs]
    jobs = jobs if jobs is not None else min(os.cpu_count() or 1, 8)
    if jobs <= 1 or len(flat) < PARALLEL_THRESHOLD or "fork" not in multiprocessing.get_all_start_methods():
        chunks_parsed = [_parse_blobs_chunk(flat)]
    else:
        chunks = [flat[i : i + CHUNK] for i in range(0, len(flat), CHUNK)]
        with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            chunks_parsed = list(pool.map(_parse_blobs_chunk, chunks))
    return [(unflatten(record), diagnostics) for chunk in chunks_parsed for record, diagnostics in chunk]


_SIGNED: tuple[list[Subject], Keyring | None] = ([], None)
"""The signed records and keys of the run in progress, inherited by forked workers (never pickled)."""


def _verify_range(start: int, end: int) -> list[tuple[str, str, str | None]]:
    """In a worker: verify a share of the signed records; verdicts as plain tuples (pickled in C)."""
    items, keyring = _SIGNED
    assert keyring is not None
    return [(v.code, v.message, v.fingerprint) for v in verify_subjects(items[start:end], keyring)]


def verify_all(site: Site, jobs: int | None = None) -> tuple[Site, list[Diagnostic]]:
    """Verify every signature of the validated site; the site gains the fingerprints of good ones.

    A cross-record stage, never cached per file: an attestation's signature depends on
    its engagement's facts and on its author's keys, which live in other files. Large
    sites verify in worker processes that inherit the records by ``fork``, so only
    index ranges and verdicts cross the process boundary.
    """
    global _SIGNED
    signed = subjects(site, signed_only=True)
    keyring = Keyring.of(site.members.values())
    jobs = jobs if jobs is not None else min(os.cpu_count() or 1, 8)
    if jobs <= 1 or len(signed) < PARALLEL_THRESHOLD or "fork" not in multiprocessing.get_all_start_methods():
        verdicts = verify_subjects(signed, keyring)
    else:
        _SIGNED = (signed, keyring)
        try:
            starts = range(0, len(signed), SIGNATURE_CHUNK)
            ends = [min(start + SIGNATURE_CHUNK, len(signed)) for start in starts]
            with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork")) as pool:
                chunks = pool.map(_verify_range, starts, ends)
                verdicts = [Verdict(*flat) for chunk in chunks for flat in chunk]
        finally:
            _SIGNED = ([], None)
    if any(v.code == "signature-tampered" for v in verdicts):
        verdicts = explain_tampered(site, signed, verdicts, keyring)
    problems: list[Diagnostic] = []
    verified: dict[str, str] = {}
    for subject, verdict in zip(signed, verdicts, strict=True):
        if verdict.ok and verdict.fingerprint is not None:
            verified[subject.path] = verdict.fingerprint
        else:
            problems.append(error(subject.path, subject.source.at("signature"), verdict.code, verdict.message))
    return replace(site, verified=frozen_map(verified)), problems


@contextlib.contextmanager
def no_gc() -> Iterator[None]:
    """Pause the cycle collector while building acyclic records.

    Checking, scoring and rendering a large network create millions of small objects
    and next to no reference cycles (a few hundred for 500 member pages); the
    collector's repeated scans of them cost seconds and find nothing. Memory is freed
    by reference counting as usual.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


FOLDERS_FILE = "folders.pickle"
"""The engagement folders' listings of the last cached run (see :func:`snapshot`)."""


def _is_listing(folder: object, listing: object) -> bool:
    """Whether an entry of :data:`FOLDERS_FILE` has the shape :func:`~.discover.discover_known` reads."""
    return (
        isinstance(folder, str)
        and type(listing) is tuple
        and len(listing) == 4
        and all(type(n) is int for n in listing[:3])
        and type(listing[3]) is tuple
        and all(type(name) is str and name.endswith(".yml") and "/" not in name for name in listing[3])
    )


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Every record file of a site with its version, taken once: what a cached run compares with the last."""

    found: Discovery
    versions: Mapping[str, StatKey | None]
    """``None`` for a file that vanished between the listing and its ``stat``."""

    def digest(self) -> bytes:
        """Changes whenever a record file is added, removed, renamed or written."""
        return versions_digest(self.versions)


def versions_digest(versions: Mapping[str, StatKey | None]) -> bytes:
    """A digest of the record files' versions: :meth:`Snapshot.digest`, from versions however they were taken."""
    return hashlib.blake2b(repr(sorted(versions.items())).encode(), digest_size=16).digest()


def snapshot(root: Path) -> Snapshot:
    """List the site's record files and take the version of each.

    The engagement folders' listings are kept in the cache: a folder whose stamps did
    not change since is not listed again (see :func:`~.discover.discover_known`).
    """
    saved = load_signed(root, FOLDERS_FILE)
    known = saved if isinstance(saved, dict) and all(_is_listing(k, v) for k, v in saved.items()) else {}
    found, listings = discover_known(root, known)
    if listings != known:
        save_signed(root, FOLDERS_FILE, listings)
    versions: dict[str, StatKey | None] = {}
    prefix = os.path.join(root, "")
    for file in found.files:
        try:
            versions[file.path] = stat_key(os.lstat(prefix + file.path))
        except OSError:
            versions[file.path] = None  # vanished meanwhile: parsing it reports how
    return Snapshot(found, versions)


def _parse_cached(root: Path, shot: Snapshot, jobs: int | None) -> tuple[Parsed, dict[str, StatKey]]:
    """Parse only the files that changed since the cached run, and refresh the cache.

    A file whose version changed is read again, and parsed only if its content did too.

    Records come back in the order of the listing, as without the cache, with the
    version of every file that was read.
    """
    files = shot.found.files
    store = RecordStore(root)
    cached = store.records
    fresh: dict[str, CachedRecord] = {}
    slots: list[ParsedRecord | None] = [None] * len(files)
    problems: list[Diagnostic] = []
    stale: list[tuple[int, StatKey | None]] = []
    for place, file in enumerate(files):
        key = shot.versions.get(file.path)
        hit = cached.get(file.path)
        if key is not None and hit is not None and hit[0] == key:
            fresh[file.path] = hit
            slots[place] = unflatten(hit[3])
            problems.extend(hit[4])
        else:
            stale.append((place, key))
    chunks: list[bytes] = []
    if stale:
        place_of = {files[place].path: place for place, _ in stale}
        for data, loose in parse_kept(root, [(files[place], key) for place, key in stale], cached, jobs):
            kept: dict[str, CachedRecord] = pickle.loads(data)
            for path, entry in kept.items():
                slots[place_of[path]] = unflatten(entry[3])
                problems.extend(entry[4])
            fresh.update(kept)
            chunks.append(data)
            for flat, diagnostics in loose:
                slots[place_of[flat[0]]] = unflatten(flat)
                problems.extend(diagnostics)
    if stale or len(fresh) != len(cached):
        # Every record parsed now: the workers' pickles are the whole cache file.
        store.save(fresh, chunks if len(stale) == len(files) else ())
    versions = {path: entry[0] for path, entry in fresh.items()}
    return ([record for record in slots if record is not None], problems), versions


def check_site(
    root: Path, today: dt.date, jobs: int | None = None, *, cache: bool = False, shot: Snapshot | None = None
) -> CheckResult:
    """Run every check on the site in ``root``; raise :class:`UsageError` on a bad site.yml.

    With ``cache``, records parsed by an earlier run (see :mod:`generator.cache`) are
    reused for the files that did not change since; ``shot`` is the listing of the
    site when the caller has already taken it.
    """
    config = load_config(root)
    with no_gc():
        first = cache and shot is None and not has_records(root)  # a fresh clone: nothing to compare with
        if cache and shot is None and not first:
            shot = snapshot(root)
        found = shot.found if cache and shot is not None else discover(root, defer_folders=True)
        if any(d.code == "missing-content" for d in found.diagnostics):
            # Nothing else can be checked, and every reference would look broken.
            return CheckResult(validate(config, [], today).site, found.diagnostics, 0)
        versions: dict[str, StatKey] | None = None
        if first:
            (records, problems), versions = _parse_first(root, found, jobs)
        elif cache and shot is not None:
            (records, problems), versions = _parse_cached(root, shot, jobs)
        else:
            tasks: list[Task] = [*found.files, *found.folders]
            records, problems = parse_all(root, tasks, jobs)
        problems.extend(found.diagnostics)
        validation = validate(config, records, today)
        problems.extend(validation.diagnostics)
        site, bad_signatures = verify_all(validation.site, jobs)
        problems.extend(bad_signatures)
    return CheckResult(site, tuple(sorted(problems, key=Diagnostic.sort_key)), len(records), versions)
