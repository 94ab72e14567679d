"""Publish a build: the whole site swapped in at once, or only what changed, in place.

A first build (no cache, or no manifest that describes the output) writes the whole
site beside the output and swaps it in atomically (see :mod:`generator.write`).

Every build with the cache leaves a manifest in ``.triangle-cache/``: for each unit of
files (a member's pages in every language, their badges) the digest of its inputs,
and for each file the hash of its bytes and its size and modification time as
written. The next build reads it back: a unit whose inputs have the same digest and
whose files are still as written is not rendered again, and any other file is
rendered but written only when its bytes differ. The new and changed files go first
into a folder beside the output; only when everything, the search index included,
has succeeded are they moved in, each with an atomic rename, and the files no build
produces any more removed (only files a build wrote: never anything else). So a
build that fails changes nothing, and a web server never sees half a file. The
manifest is dropped before the first file is moved in and saved after the last: a
build killed in between leaves each file whole, old or new, and the next build,
finding no manifest, builds the whole site again and swaps it in.

The search documents (what Pagefind indexes, never published) are kept in the cache
too, so that the index is rebuilt only when one of them changed.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import multiprocessing
import os
import shutil
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from .cache import cache_folder, ensure_folder, load_signed, replace_file, save_signed, stat_key
from .diagnostics import Diagnostic
from .search import SEARCH_SOURCE, bundle_folder, bundle_of
from .write import (
    MARKER,
    Output,
    OutputError,
    Staging,
    Unit,
    build_lock,
    check_output,
    clean_leftovers,
    is_ours,
    plain_relative,
    write_site,
)

DOCUMENT_PREFIX: Final = SEARCH_SOURCE + "/"
"""How the paths of search documents start (they live in the cache, not in the output)."""

MANIFEST_PREFIX: Final = "site-"
SEARCH_PREFIX: Final = "search-"
"""Each output folder has its manifest (``site-<key>.pickle``) and its search documents
(``search-<key>/``) in ``.triangle-cache/``: ``build`` into ``_site/`` and ``serve`` into
a temporary folder do not undo each other's work."""


def output_key(output: Path) -> str:
    """A short name for an output folder, from its absolute path."""
    return hashlib.blake2b(os.fsencode(output.absolute()), digest_size=8).hexdigest()


def mirror_folder(cache: Path, output: Path) -> Path:
    """Where the cache keeps the search documents of ``output``."""
    return cache / f"{SEARCH_PREFIX}{output_key(output)}"


def manifest_name(output: Path) -> str:
    """The name of the manifest of ``output`` in the cache folder."""
    return f"{MANIFEST_PREFIX}{output_key(output)}.pickle"


FileState = tuple[str, int, int]
"""A published file as the build wrote it: hash of its bytes, size, modification time (ns)."""

Summary = tuple[int, int, tuple[Diagnostic, ...]]
"""Members, engagements and the warnings of the check: what a build reports besides its files."""

Indexer = Callable[[Path, Path], None]
"""Index the search documents of a folder into another: :func:`generator.search.index_documents`."""


@dataclass(frozen=True, slots=True)
class Manifest:
    """What the last build published into an output folder, and from which inputs."""

    output: str
    """The absolute path of the output folder it describes."""
    units: Mapping[str, tuple[str, tuple[str, ...]]]
    """Unit key → (digest of its inputs, its files)."""
    files: Mapping[str, FileState]
    """Every file the build wrote, search documents (``.search/…``, kept in the cache) included."""
    stamp: str = ""
    """The digest of all the build's inputs (see :func:`generator.build.build`): the same stamp
    and an intact output mean that there is nothing to do."""
    summary: Summary = (0, 0, ())
    """What the build reported besides its files, for a build with nothing to do."""
    identity: tuple[int, ...] = ()
    """The version of the output's marker file: a whole build (by this site or another, with
    or without the cache) writes a new one, and then this manifest describes another site."""


@dataclass(frozen=True, slots=True)
class Published:
    """What publishing did, for the build's summary and the benchmark."""

    files: int
    """Files of the published site."""
    pages: int
    """HTML pages among them."""
    written: int
    """Files written by this build (all of them for a full build)."""
    removed: int
    rendered: int
    """Units rendered (the others were kept as the previous build wrote them)."""
    kept: int
    incremental: bool


def digest_bytes(content: bytes) -> str:
    """The hash by which a file's bytes are compared with the previous build's (128 bits of SHA-256).

    SHA-256, not BLAKE2: OpenSSL's runs on the processor's SHA instructions, almost
    twice as fast here, and a build of 10,000 members hashes 1.6 GB.
    """
    return hashlib.sha256(content).hexdigest()[:32]


def load_manifest(root: Path, output: Path) -> Manifest | None:
    """The manifest of the last build into ``output``, if it can be trusted to describe it."""
    raw = load_signed(root, manifest_name(output))
    if not (isinstance(raw, tuple) and len(raw) == 6):
        return None
    where, units, files, stamp, summary, identity = raw
    if where != str(output.absolute()) or not isinstance(units, dict) or not isinstance(files, dict):
        return None
    if not is_ours(output) or identity != marker_identity(output):
        return None  # deleted, replaced, or rebuilt by another build since: build it whole
    return Manifest(where, units, files, stamp, summary, identity)


def marker_identity(output: Path) -> tuple[int, ...]:
    """The version of the output's marker file (see :attr:`Manifest.identity`)."""
    try:
        return stat_key(os.lstat(output / MARKER))
    except OSError:
        return ()


def save_manifest(root: Path, manifest: Manifest) -> None:
    """Keep what was published for the next build (a manifest that cannot be saved means a full build)."""
    output = Path(manifest.output)
    save_signed(
        root,
        manifest_name(output),
        (
            manifest.output,
            dict(manifest.units),
            dict(manifest.files),
            manifest.stamp,
            manifest.summary,
            marker_identity(output),
        ),
    )


def forget_manifest(root: Path, output: Path) -> None:
    """Drop the manifest before touching the output in place, so that an interrupted update is not trusted."""
    folder = cache_folder(root)
    if folder is not None:
        with contextlib.suppress(OSError):
            (folder / manifest_name(output)).unlink()


def forget_output(root: Path, output: Path) -> None:
    """Drop what the cache keeps about an output folder that is going away (``serve``'s, at exit)."""
    forget_manifest(root, output)
    folder = cache_folder(root)
    if folder is not None:
        shutil.rmtree(mirror_folder(folder, output), ignore_errors=True)


class Layout:
    """Where each of a build's files lives on disk: published files in the output, search documents in the cache."""

    def __init__(self, output: Path, mirror: Path) -> None:
        self.output = output
        self.mirror = mirror
        self._output, self._mirror = str(output), str(mirror)

    def location(self, path: str) -> str:
        """The file on disk for one of the build's paths (checked to stay inside its folder), as a string.

        Strings, not :class:`Path` objects: an incremental build looks up every file of
        the last build, 160,000 of them in a network of 10,000 members.
        """
        if plain_relative(path).startswith(DOCUMENT_PREFIX):
            return os.path.join(self._mirror, path[len(DOCUMENT_PREFIX) :])
        return os.path.join(self._output, path)

    def disk(self, path: str) -> Path:
        """:meth:`location`, as a path."""
        return Path(self.location(path))

    def intact(self, path: str, recorded: FileState | None) -> bool:
        """Whether a file is still exactly as the previous build wrote it (same size and modification time)."""
        if recorded is None:
            return False
        try:
            found = os.lstat(self.location(path))
        except OSError:
            return False
        return stat.S_ISREG(found.st_mode) and (found.st_size, found.st_mtime_ns) == recorded[1:]


@dataclass(frozen=True, slots=True)
class LastBuild:
    """The last build's manifest, and what of its output is still as it wrote it."""

    manifest: Manifest
    every: bool
    """Whether every file the manifest lists is (then, with the same stamp, there is nothing to do)."""
    units: Mapping[str, str]
    """The digests of the units whose every file is: the units the renderer need not draw again."""


def last_build(root: Path, output: Path) -> LastBuild | None:
    """Read the last build's manifest and look at each file it lists (one ``lstat`` a file)."""
    folder = cache_folder(root)
    manifest = load_manifest(root, output) if folder is not None else None
    if folder is None or manifest is None:
        return None
    layout = Layout(output, mirror_folder(folder, output))
    kept = {path for path, recorded in manifest.files.items() if layout.intact(path, recorded)}
    units = {key: digest for key, (digest, paths) in manifest.units.items() if kept.issuperset(paths)}
    return LastBuild(manifest, len(kept) == len(manifest.files), units)


LOOK_AHEAD_BYTES: Final = 1 << 20
"""From this size of manifest on (about 10,000 files), :func:`look_at_last_build` forks."""


def look_at_last_build(root: Path, output: Path) -> Callable[[], LastBuild | None]:
    """Start :func:`last_build` beside the build's first stages; call the result for its answer.

    A 10,000-member site's output has 120,000 files, and looking at each takes most of
    a second: in a forked process, on the other core, it is done by the time the build
    has listed the site's records, which it must do first anyway. A small output is
    looked at when asked, in this process, where forking would cost more than it saves.
    If the forked process fails, the look is taken again here: it only reads.
    """
    folder = cache_folder(root)
    try:
        size = os.stat(folder / manifest_name(output)).st_size if folder is not None else 0
    except OSError:
        size = 0
    if size < LOOK_AHEAD_BYTES or "fork" not in multiprocessing.get_all_start_methods():
        return functools.partial(last_build, root, output)
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"))
    future = pool.submit(last_build, root, output)
    pool.shutdown(wait=False)

    def answer() -> LastBuild | None:
        try:
            return future.result()
        except (BrokenProcessPool, OSError):
            return last_build(root, output)

    return answer


class Publisher:
    """Publishes one build's files into the output, whole or in place (see the module's notes)."""

    def __init__(
        self,
        root: Path,
        output: Path,
        *,
        cache: bool,
        search: Indexer | None,
        stamp: str = "",
        summary: Summary = (0, 0, ()),
        shards: int = 1,
        last: LastBuild | None = None,
    ) -> None:
        """``last`` is what :func:`last_build` found (``None``: no last build to update, the site is built whole)."""
        self.root, self.output, self.search, self.shards = root, output, search, shards
        self.stamp, self.summary = stamp, summary
        folder = cache_folder(root) if cache else None
        self.cache = folder
        if folder is None:
            last = None
        self.manifest = last.manifest if last is not None else None
        mirror = mirror_folder(folder, output) if folder is not None else output / SEARCH_SOURCE
        self.layout = Layout(output, mirror)
        self.previous: Mapping[str, str] = last.units if last is not None else {}
        """Digests of the units the renderer need not draw again."""

    def publish(self, items: Iterable[Output | Unit]) -> Published:
        """Write the build's files (see the module's notes); the output is locked meanwhile."""
        if self.manifest is None:
            return self._whole(items)
        with build_lock(self.output):
            check_output(self.output)
            clean_leftovers(self.output)
            return self._update(items, self.manifest)

    # -- a whole site, swapped in at once

    def _whole(self, items: Iterable[Output | Unit]) -> Published:
        written: dict[str, str] = {}
        units: dict[str, tuple[str, tuple[str, ...]]] = {}
        cache, mirror = self.cache, self.layout.mirror
        if cache is not None:
            shutil.rmtree(mirror, ignore_errors=True)  # the cache's own folder: made again from scratch
            ensure_folder(cache)

        def files() -> Iterator[Output]:
            for item in items:
                outputs = _outputs(item)
                if isinstance(item, Unit):
                    units[item.key] = (item.digest, tuple(o.path for o in outputs))
                for output in outputs:
                    written[output.path] = digest_bytes(output.content)
                    if cache is not None and output.path.startswith(DOCUMENT_PREFIX):
                        # Into a folder made afresh, and only trusted once the manifest is saved:
                        # no need to write beside and rename.
                        _write_new_file(self.layout.location(output.path), output.content)
                    else:
                        yield output

        def finish(staging: Path) -> None:
            documents = mirror if cache is not None else staging / SEARCH_SOURCE
            if self.search is not None:
                for path in _index(self.search, documents, staging, range(self.shards)):
                    written[path] = digest_bytes((staging / path).read_bytes())
            if cache is None:
                shutil.rmtree(documents, ignore_errors=True)  # never published

        write_site(self.output, files(), finish)
        if cache is not None:
            recorded = {path: (h, *_stat_at(self.layout.location(path))) for path, h in written.items()}
            manifest = Manifest(str(self.output.absolute()), units, recorded, self.stamp, self.summary)
            save_manifest(self.root, manifest)
        published = [p for p in written if not p.startswith(DOCUMENT_PREFIX)]
        return Published(
            files=len(published),
            pages=sum(1 for p in published if p.endswith(".html")),
            written=len(published),
            removed=0,
            rendered=len(units),
            kept=0,
            incremental=False,
        )

    # -- only what changed, in place

    def _update(self, items: Iterable[Output | Unit], manifest: Manifest) -> Published:
        layout, old = self.layout, manifest.files
        staging = Staging(self.output)
        try:
            files: dict[str, FileState] = {}
            pending: dict[str, str] = {}
            """Changed files waiting in the staging folder: path → hash."""
            units: dict[str, tuple[str, tuple[str, ...]]] = {}
            rendered = kept = 0
            searched: set[int] = set()
            """The shards of the search index whose documents changed."""

            def put(output: Output) -> None:
                h = digest_bytes(output.content)
                recorded = old.get(output.path)
                if recorded is not None and recorded[0] == h and layout.intact(output.path, recorded):
                    files[output.path] = recorded
                elif output.path.startswith(DOCUMENT_PREFIX):
                    # The cache's copy is rewritten at once: the manifest still holds the old
                    # state, so a build that fails after this redoes the document.
                    target = layout.disk(output.path)
                    _write_file(target, output.content)
                    files[output.path] = (h, *_stat_at(target))
                    searched.add(_document_shard(output.path))
                else:
                    staging.write_all((output,))  # a full disk becomes a clear error
                    pending[output.path] = h

            for item in items:
                if isinstance(item, Unit) and item.outputs is None:
                    paths = manifest.units[item.key][1]
                    units[item.key] = (item.digest, paths)
                    files.update((path, old[path]) for path in paths)
                    kept += 1
                    continue
                outputs = _outputs(item)
                if isinstance(item, Unit):
                    units[item.key] = (item.digest, tuple(o.path for o in outputs))
                    rendered += 1
                for output in outputs:
                    put(output)
            produced = files.keys() | pending.keys()
            gone_documents = [p for p in old if p.startswith(DOCUMENT_PREFIX) and p not in produced]
            for path in gone_documents:  # in the cache: a member who left the search with their page
                with contextlib.suppress(FileNotFoundError):
                    layout.disk(path).unlink()
                searched.add(_document_shard(path))
            bundles: dict[int, list[str]] = {}
            for path in old:
                shard = bundle_of(path)
                if shard is not None:
                    bundles.setdefault(shard, []).append(path)
            for shard in range(self.shards):  # a shard's index damaged or missing: made again
                indexed = bundles.get(shard)
                if not indexed or not all(layout.intact(p, old[p]) for p in indexed):
                    searched.add(shard)
            if self.search is not None:
                again = sorted(shard for shard in searched if 0 <= shard < self.shards)
                for path in _index(self.search, layout.mirror, staging.path, again):
                    content = (staging.path / path).read_bytes()
                    h = digest_bytes(content)
                    recorded = old.get(path)
                    if recorded is not None and recorded[0] == h and layout.intact(path, recorded):
                        files[path] = recorded
                    else:
                        pending[path] = h
                for shard in range(self.shards):  # the other shards' indexes stay as they are
                    if shard not in searched:
                        files.update((path, old[path]) for path in bundles[shard])
            removed = [p for p in old if p not in files and p not in pending and not p.startswith(DOCUMENT_PREFIX)]
            forget_manifest(self.root, self.output)  # from here on the output is being changed
            for path, h in pending.items():
                target = layout.disk(path)
                try:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(staging.path / path, target)
                except OSError as exc:
                    raise OutputError(f"cannot write {str(target)!r}: {exc.strerror}") from None
                files[path] = (h, *_stat_at(target))
            for path in removed:
                _remove_file(self.output, layout.disk(path))
        finally:
            staging.discard()
        save_manifest(self.root, Manifest(manifest.output, units, files, self.stamp, self.summary))
        published = [p for p in files if not p.startswith(DOCUMENT_PREFIX)]
        return Published(
            files=len(published),
            pages=sum(1 for p in published if p.endswith(".html")),
            written=len(pending),
            removed=len(removed),
            rendered=rendered,
            kept=kept,
            incremental=True,
        )


def _stat_at(target: str | Path) -> tuple[int, int]:
    found = os.lstat(target)
    return found.st_size, found.st_mtime_ns


def _outputs(item: Output | Unit) -> tuple[Output, ...]:
    if isinstance(item, Output):
        return (item,)
    assert item.outputs is not None, f"unit {item.key} was kept, but the output has no files for it"
    return item.outputs


def _write_file(target: Path, content: bytes) -> None:
    """Write a file beside its final name, then rename it: readers see the old bytes or the new, whole."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        replace_file(target, content)
    except OSError as exc:
        raise OutputError(f"cannot write {str(target)!r}: {exc.strerror}") from None


def _write_new_file(target: str, content: bytes) -> None:
    try:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as handle:
            handle.write(content)
    except OSError as exc:
        raise OutputError(f"cannot write {target!r}: {exc.strerror}") from None


def _remove_file(output: Path, target: Path) -> None:
    """Delete a file a previous build wrote, then the folders it leaves empty (never the output itself)."""
    with contextlib.suppress(OSError):
        if stat.S_ISREG(os.lstat(target).st_mode):
            target.unlink()
    parent = target.parent
    while parent != output and output in parent.parents:
        try:
            parent.rmdir()  # only when empty
        except OSError:
            break
        parent = parent.parent


def _document_shard(path: str) -> int:
    """The shard of the search index a search document belongs to (``.search/<shard>/...``), or -1."""
    shard = path.split("/", 2)[1]
    return int(shard) if shard.isdigit() else -1


def _index(indexer: Indexer, documents: Path, staging: Path, shards: Iterable[int]) -> list[str]:
    """Index the documents of each of ``shards`` into the staging folder; the paths of the files written.

    The shards are indexed side by side, one Pagefind process per core: each spends
    a good part of its time reading and writing small files.
    """

    def one(shard: int) -> list[str]:
        source, folder = documents / str(shard), staging / bundle_folder(shard)
        source.mkdir(parents=True, exist_ok=True)
        try:
            indexer(source, folder)
        except OSError as exc:  # the index hitting a full disk, say
            raise OutputError(f"cannot write the site into {str(staging)!r}: {exc.strerror}") from None
        return sorted(p.relative_to(staging).as_posix() for p in folder.rglob("*") if p.is_file())

    with ThreadPoolExecutor(max_workers=min(os.cpu_count() or 1, 8)) as pool:
        return [path for paths in pool.map(one, shards) for path in paths]
