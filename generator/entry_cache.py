"""Entries of the long exports kept between builds, each under a digest of what it is made of.

``api/engagements.json`` holds one line per engagement: 50 MB at 10,000 members, and
about three seconds to draw again after any change, although one change alters a
handful of lines. Each line is kept in ``.triangle-cache/`` under a digest of its
inputs (the engagement's records by file version, the names it prints, and a key
covering the code, ``site.yml`` and the date), so that the next build encodes only the
lines whose inputs changed and copies the others.

The rendered Markdown of members' texts is kept the same way, under a digest of the
text (see :class:`~generator.views.MarkdownCache`).

The file is signed like every cache file (see :mod:`generator.cache`): one that fails
its check, or holds anything but digests and bytes, is ignored and written again. It
keeps the entries the last build used; a build that used only some of them (an
incremental one) keeps the others too, so the file never grows beyond what one
complete build uses plus what the builds since added.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from .cache import load_signed, save_signed


class EntryCache:
    """The kept entries of one export; with no ``root``, every entry is made afresh and nothing is kept."""

    def __init__(self, root: Path | None, name: str, key: bytes) -> None:
        self.root = root
        self.name = name
        self.key = key
        saved = load_signed(root, name) if root is not None else None
        valid = isinstance(saved, dict) and all(isinstance(k, bytes) and isinstance(v, bytes) for k, v in saved.items())
        self.saved: dict[bytes, bytes] = saved if valid and isinstance(saved, dict) else {}
        self.used: dict[bytes, bytes] = {}
        self.made = 0
        """Entries made in this build: the others were copied from the last one."""

    def entry(self, inputs: object, make: Callable[[], bytes]) -> bytes:
        """The entry drawn from ``inputs``: the kept one when they are unchanged, else ``make()``'s.

        ``inputs`` must hold everything the entry depends on besides what the key covers;
        its ``repr`` is hashed, so it must be made of plain values (strings, numbers, tuples).
        """
        if self.root is None:
            return make()
        digest = hashlib.blake2b(repr(inputs).encode(), key=self.key, digest_size=16).digest()
        found = self.saved.get(digest)
        if found is None:
            found = make()
            self.made += 1
        self.used[digest] = found
        return found

    def take(self) -> tuple[dict[bytes, bytes], int]:
        """The entries used and the count made here since the last call: what a worker process sends back."""
        taken = self.used, self.made
        self.used, self.made = {}, 0
        return taken

    def absorb(self, taken: tuple[dict[bytes, bytes], int]) -> None:
        """Count as this build's the entries a worker process used (what its :meth:`take` returned)."""
        used, made = taken
        self.used.update(used)
        self.made += made

    def save(self, complete: bool = True) -> None:
        """Keep this build's entries for the next, unless they are exactly the ones already kept.

        ``complete`` says this build used every entry the site needs: the others are dropped.
        Otherwise (some pages were not drawn again) the kept entries are merged with the new.
        """
        if self.root is None or (self.made == 0 and (not complete or len(self.used) == len(self.saved))):
            return
        save_signed(self.root, self.name, self.used if complete else {**self.saved, **self.used})
