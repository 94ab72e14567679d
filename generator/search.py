"""Full-text search: index the freshly rendered site with Pagefind, before it is published.

Search is progressive enhancement: the directory works without it (server-rendered
filter pages), and with JavaScript Pagefind's static index answers queries in the
browser, so the site stays a plain folder of files that any host can serve.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import subprocess
import zlib
from pathlib import Path
from typing import Final

from .diagnostics import TriangleError

SEARCH_SOURCE: Final = ".search"
"""The prefix of the paths of the search documents rendering makes (one small document per
member page and language, at the member page's own path): never published, kept in the
cache between builds (see :mod:`generator.publish`)."""

INDEX_FOLDER: Final = "pagefind"
"""Where the index is published, at the site's root."""

SHARD_MEMBERS: Final = 1000
"""Members per shard of the search index, up to :data:`MAX_SHARDS` shards.

Pagefind cannot update an index: it reads every document again. A network of 10,000
members in one index takes five seconds to index after any edit; split in ten, an
edit re-indexes the one shard its member is in. The browser merges the shards
(Pagefind's ``mergeIndex``), one more small download per shard on the first search.
"""
MAX_SHARDS: Final = 16
"""Beyond this, more shards would cost a search more downloads than they save a build."""

SPARE_BYTES: Final = 1 << 20
"""Room that must be left after indexing: five times the largest file Pagefind 1.5 writes."""


def shard_count(members: int) -> int:
    """How many shards the search index of a network of ``members`` published members has."""
    return max(1, min(MAX_SHARDS, -(-members // SHARD_MEMBERS)))


def shard_of(member_id: str, shards: int) -> int:
    """The shard a member's documents are indexed in: a hash of the id, so members stay where they are."""
    if shards == 1:
        return 0
    return int.from_bytes(hashlib.blake2b(member_id.encode(), digest_size=4).digest(), "big") % shards


def bundle_folder(shard: int) -> str:
    """Where a shard's index is published: the first at :data:`INDEX_FOLDER`, the others beside it."""
    return INDEX_FOLDER if shard == 0 else f"{INDEX_FOLDER}-{shard}"


def bundle_of(path: str) -> int | None:
    """The shard whose index holds a published file, ``None`` for a file of no index."""
    head = path.split("/", 1)[0]
    if head == INDEX_FOLDER:
        return 0
    number = head[len(INDEX_FOLDER) + 1 :]
    if head.startswith(INDEX_FOLDER + "-") and number.isdigit() and number == str(int(number)) != "0":
        return int(number)
    return None


def pagefind_executable() -> str:
    """The Pagefind binary shipped by the ``pagefind[bin]`` package."""
    try:
        from pagefind.service import _must_get_executable  # the package's own lookup
    except ImportError:
        raise TriangleError(
            "the search index needs Pagefind: install it with 'pip install \"pagefind[bin]\"' "
            "(or build with --no-search)"
        ) from None
    return str(_must_get_executable().resolve())


def index_documents(source: Path, target: Path) -> None:
    """Index the search documents in ``source`` into the folder ``target`` (a site's ``pagefind/``).

    The documents sit at their pages' paths, so Pagefind gives each result its page's
    address. A site without members still gets an (empty) index, so that the search
    box answers "nothing found" instead of failing to load.
    """
    source.mkdir(parents=True, exist_ok=True)
    command = [pagefind_executable(), "--site", str(source), "--output-path", str(target), "--quiet"]
    try:
        proc = subprocess.run(command, capture_output=True, text=True, check=False, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise TriangleError(f"the search indexer could not run: {exc}") from None
    if proc.returncode != 0:
        raise TriangleError(f"the search indexer failed: {(proc.stderr or proc.stdout).strip()[-2000:]}")
    _check_complete(target)
    _stabilise_entry(target / "pagefind-entry.json")


def _check_complete(index: Path) -> None:
    """Refuse an index that Pagefind may not have written completely.

    Pagefind (1.5) ignores its own write errors: on a full disk it exits 0 and leaves
    empty or truncated files, and publishing them would break search without a word.
    A write fails only when less room is left than the bytes it writes, and the room
    only shrinks while Pagefind runs, so ample room left afterwards (more than twice
    the largest file, and 1 MiB) proves that no write ran out of space. Empty files
    and index files whose gzip checksum fails catch other silent failures (a quota).
    """
    largest = 0
    for path in sorted(index.rglob("*")):
        if not path.is_file():
            continue
        size = path.stat().st_size
        largest = max(largest, size)
        whole = size > 0
        if whole and path.suffix in (".pf_index", ".pf_meta"):
            try:
                gzip.decompress(path.read_bytes())
            except (OSError, EOFError, zlib.error):
                whole = False
        if not whole:
            raise TriangleError(
                f"the search indexer left an incomplete file {str(path)!r}, most likely because the disk is full; "
                "nothing was published"
            )
    stats = os.statvfs(index)
    room = (stats.f_bfree if os.geteuid() == 0 else stats.f_bavail) * stats.f_frsize  # root may use reserved blocks
    if room < max(SPARE_BYTES, 2 * largest):
        raise TriangleError(
            f"the disk is full or nearly ({room // 1024:,} KiB left after writing the search index, which Pagefind "
            "does not check): the index may be incomplete, so nothing was published; free some space"
        )


def _stabilise_entry(entry: Path) -> None:
    """Rewrite Pagefind's entry file with its languages in a fixed order.

    Pagefind lists the languages in whatever order its hash map yields them, so two
    identical builds would differ by this one file; sorting keeps builds byte-identical.
    """
    if not entry.is_file():
        return
    try:
        document = json.loads(entry.read_text(encoding="utf-8"))
    except ValueError:  # cut short by a full disk, which Pagefind does not report
        raise TriangleError(
            f"the search indexer left an incomplete file {str(entry)!r}, most likely because the disk is full; "
            "nothing was published"
        ) from None
    if isinstance(document.get("languages"), dict):
        document["languages"] = dict(sorted(document["languages"].items()))
    entry.write_text(json.dumps(document, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
