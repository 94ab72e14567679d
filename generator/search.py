"""Full-text search: index the freshly rendered site with Pagefind, before it is published.

Search is progressive enhancement: the directory works without it (server-rendered
filter pages), and with JavaScript Pagefind's static index answers queries in the
browser, so the site stays a plain folder of files that any host can serve.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Final

from .diagnostics import TriangleError

SEARCH_SOURCE: Final = ".search"
"""The folder of the staged site where rendering leaves one small document per member page
and language, at the member page's own path, for the indexer; it is removed before publishing."""


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


def index_site(folder: Path) -> None:
    """Index the search documents of :data:`SEARCH_SOURCE` into ``pagefind/``, then remove them.

    The documents sit at their pages' paths, so Pagefind gives each result its page's
    address. A site without members still gets an (empty) index, so that the search
    box answers "nothing found" instead of failing to load.
    """
    source = folder / SEARCH_SOURCE
    source.mkdir(exist_ok=True)
    command = [pagefind_executable(), "--site", str(source), "--output-path", str(folder / "pagefind"), "--quiet"]
    try:
        proc = subprocess.run(command, capture_output=True, text=True, check=False, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise TriangleError(f"the search indexer could not run: {exc}") from None
    if proc.returncode != 0:
        raise TriangleError(f"the search indexer failed: {(proc.stderr or proc.stdout).strip()[-2000:]}")
    shutil.rmtree(source)
    _stabilise_entry(folder / "pagefind" / "pagefind-entry.json")


def _stabilise_entry(entry: Path) -> None:
    """Rewrite Pagefind's entry file with its languages in a fixed order.

    Pagefind lists the languages in whatever order its hash map yields them, so two
    identical builds would differ by this one file; sorting keeps builds byte-identical.
    """
    if not entry.is_file():
        return
    document = json.loads(entry.read_text(encoding="utf-8"))
    if isinstance(document.get("languages"), dict):
        document["languages"] = dict(sorted(document["languages"].items()))
    entry.write_text(json.dumps(document, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
