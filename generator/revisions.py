"""Check and score the site at two git revisions, reading each distinct file once.

This is the orchestrator behind ``triangle review``: it knows the order of the stages
(git trees → discovery → file contents → parsing → validation → scoring) and nothing
about what the review concludes (:mod:`review` does, from what this returns). A pull
request changes a handful of files out of 150,000, so the two revisions share almost
every file: each distinct (path, content) pair is parsed once and its result handed to
both revisions. Validation and scoring then run on each revision, because both are
whole-network computations (references, trust propagation).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from .cache import load_records
from .check import no_gc, parse_blobs, unflatten, verify_all
from .config import SITE_FILE, parse_config
from .diagnostics import Diagnostic, TriangleError, UsageError
from .discover import RecordFile, discover_listing
from .gitread import Commit, Repository, TreeEntry, changed_paths
from .load import MAX_FILE_BYTES, load_bytes
from .model import Site
from .score import Scores, score_site
from .validate import ParsedRecord, validate

Timer = Callable[[str, float], None]
"""Told the name and duration in seconds of each stage, for benchmarks."""


@dataclass(frozen=True, slots=True)
class Revision:
    """The site as one commit has it: its files, its checked model and its scores."""

    ref: str
    """The revision as the user named it (``origin/main``)."""
    commit: str
    files: Mapping[str, TreeEntry]
    """Every file of the site folder, by site-relative path."""
    records: Mapping[str, RecordFile]
    """The record files among them, by path."""
    site: Site | None
    """``None`` when ``site.yml`` cannot be read (see :attr:`config_error`)."""
    diagnostics: tuple[Diagnostic, ...]
    scores: Scores | None
    config_error: TriangleError | None = None
    score_error: str | None = None
    """Why there are no scores although the site was checked (no coordinator is a member, …)."""


@dataclass(frozen=True, slots=True)
class Change:
    """What differs between the two revisions, and who made the commits."""

    today: dt.date
    prefix: str
    """The site folder inside the repository: ``""`` or ``"path/to/site/"``."""
    compared: str
    """The commit the head is compared with: the merge base of base and head when history tells it."""
    paths: Mapping[str, str]
    """Repository-relative paths that differ: ``added``, ``modified`` or ``removed``."""
    commits: tuple[Commit, ...]
    """The head's own commits (newest first), except those whose files cannot be told."""
    authors_unknown: bool = False
    """Some commits sit at the edge of a shallow clone: who wrote what there cannot be told."""

    def site_path(self, path: str) -> str | None:
        """The site-relative form of a repository path, ``None`` outside the site folder."""
        return path[len(self.prefix) :] if path.startswith(self.prefix) else None


@dataclass(frozen=True, slots=True)
class Revisions:
    """Both revisions and the change between them."""

    base: Revision
    head: Revision
    change: Change


class _Stages:
    """Times each stage for a :data:`Timer`."""

    def __init__(self, timer: Timer | None) -> None:
        self.timer = timer

    @contextlib.contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            if self.timer is not None:
                self.timer(name, time.perf_counter() - start)


ParsedFiles = dict[tuple[str, str], tuple[ParsedRecord, tuple[Diagnostic, ...]]]


def read_revisions(
    root: Path,
    base_ref: str,
    head_ref: str,
    today: dt.date,
    jobs: int | None = None,
    timer: Timer | None = None,
) -> Revisions:
    """Read, check and score the site folder ``root`` at ``base_ref`` and ``head_ref``.

    Raises :class:`UsageError` when ``root`` is not in a git repository, a ref names no
    commit, or the base's ``site.yml`` cannot be read.
    """
    stage = _Stages(timer)
    with stage("git trees"):
        repo = Repository(root)
        base_commit, head_commit = repo.commit(base_ref), repo.commit(head_ref)
        compared = repo.merge_base(base_commit, head_commit) or base_commit
        trees = {"base": repo.tree(compared), "head": repo.tree(head_commit)}
    prefix = repo.prefix
    listings = {
        name: {path[len(prefix) :]: entry for path, entry in tree.items() if path.startswith(prefix)}
        for name, tree in trees.items()
    }
    with no_gc():
        with stage("discover"):
            found = {
                name: discover_listing([(path, entry.kind) for path, entry in files.items()])
                for name, files in listings.items()
            }
        wanted: dict[tuple[str, str], RecordFile] = {}
        for name, discovery in found.items():
            files = listings[name]
            for record in discovery.files:
                wanted.setdefault((record.path, files[record.path].sha), record)
        configs = {name: files.get(SITE_FILE) for name, files in listings.items()}
        with stage("record cache"):
            parsed: ParsedFiles = _cached_parses(root, wanted)
        with stage("read files"):
            shas = {key[1] for key in wanted if key not in parsed} | {e.sha for e in configs.values() if e is not None}
            contents = repo.blobs(shas, MAX_FILE_BYTES)
        with stage("parse"):
            keys = [key for key in wanted if key not in parsed]
            parsed.update(zip(keys, parse_blobs([(wanted[k], contents[k[1]]) for k in keys], jobs), strict=True))
        revisions: dict[str, Revision] = {}
        for name, ref, commit in (("base", base_ref, compared), ("head", head_ref, head_commit)):
            revisions[name] = _check_revision(
                stage, name, ref, commit, listings[name], found[name].files, found[name].diagnostics, parsed,
                configs[name], contents, today,
            )  # fmt: skip
    with stage("git log"):
        edge = repo.shallow_commits()
        commits = repo.commits(compared, head_commit)
        known = [c for c in commits if c.sha not in edge]
    base = revisions["base"]
    if base.config_error is not None:
        raise UsageError(
            f"the site.yml of {base_ref!r} cannot be read, so there is nothing to compare with: "
            f"{base.config_error.message}",
            base.config_error.diagnostics,
        )
    change = Change(
        today,
        prefix,
        compared,
        changed_paths(trees["base"], trees["head"]),
        tuple(known),
        authors_unknown=len(known) < len(commits),
    )
    return Revisions(base, revisions["head"], change)


def _cached_parses(root: Path, wanted: Mapping[tuple[str, str], RecordFile]) -> ParsedFiles:
    """The parses the site's record cache holds for files of either revision, by (path, git blob id).

    A cache entry is the working tree's version of a path; it serves a revision whose
    file at that path has the same content, as git names it. The cache is only read.
    """
    known = load_records(root)
    found: ParsedFiles = {}
    for key in wanted:
        entry = known.get(key[0])
        if entry is not None and entry[2] == key[1]:
            found[key] = (unflatten(entry[3]), entry[4])
    return found


def _check_revision(
    stage: _Stages,
    name: str,
    ref: str,
    commit: str,
    files: Mapping[str, TreeEntry],
    records: tuple[RecordFile, ...],
    found: tuple[Diagnostic, ...],
    parsed: ParsedFiles,
    config_entry: TreeEntry | None,
    contents: Mapping[str, bytes],
    today: dt.date,
) -> Revision:
    """Validate and score one revision from the shared parse results."""
    by_path = {r.path: r for r in records}
    try:
        if config_entry is None:
            raise UsageError(f"there is no {SITE_FILE} in this revision; every Triangle site has one at its top")
        config = parse_config(load_bytes(SITE_FILE, contents[config_entry.sha]))
    except TriangleError as exc:
        return Revision(ref, commit, files, by_path, None, exc.diagnostics, None, config_error=exc)
    with stage(f"validate {name}"):
        problems = list(found)
        if any(d.code == "missing-content" for d in found):
            # As in the check: nothing else can be checked, every reference would look broken.
            validation = validate(config, [], today)
        else:
            mine = [parsed[(r.path, files[r.path].sha)] for r in records]
            for _, diagnostics in mine:
                problems.extend(diagnostics)
            validation = validate(config, [record for record, _ in mine], today)
            problems.extend(validation.diagnostics)
    with stage(f"verify signatures {name}"):
        site, bad_signatures = verify_all(validation.site)
        problems.extend(bad_signatures)
    scores: Scores | None = None
    score_error: str | None = None
    with stage(f"score {name}"):
        try:
            scores = score_site(site)
        except UsageError as exc:
            score_error = exc.message
    return Revision(
        ref,
        commit,
        files,
        by_path,
        site,
        tuple(sorted(problems, key=Diagnostic.sort_key)),
        scores,
        score_error=score_error,
    )
