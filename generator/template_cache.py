"""Compiled templates, shared by the languages of one build and kept for the next.

Jinja compiles each template to Python code before rendering it: about 0.15 s for the
default theme, once per language and again in every worker process that meets a
template first. Each language's environment has the same options, so one compiled
template serves them all; kept in ``.triangle-cache/`` (signed like every cache file,
see :mod:`generator.cache`), it spares the next build the compiling too.

Jinja itself keys each entry by the template's name and checks it against a digest of
the template's source, so an edited template is compiled again; the cache file's
header names the version of Triangle, so an upgrade starts afresh.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import jinja2
import jinja2.bccache

from .cache import load_signed, save_signed

TEMPLATES_FILE: Final = "templates.pickle"


class TemplateCache(jinja2.BytecodeCache):
    """Compiled templates in memory, loaded from and saved to the cache of the site in ``root`` (if any)."""

    def __init__(self, root: Path | None) -> None:
        self.root = root
        saved = load_signed(root, TEMPLATES_FILE) if root is not None else None
        valid = isinstance(saved, dict) and all(isinstance(k, str) and isinstance(v, bytes) for k, v in saved.items())
        self.saved: dict[str, bytes] = saved if valid and isinstance(saved, dict) else {}
        self.used: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        found = self.used.get(bucket.key) or self.saved.get(bucket.key)
        if found is not None:
            bucket.bytecode_from_string(found)  # Jinja drops it when the source or Python changed
            if bucket.code is not None:
                self.used[bucket.key] = found  # still in use: kept by the next save

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.used[bucket.key] = bucket.bytecode_to_string()

    def save(self) -> None:
        """Keep the templates this build compiled for the next, unless they are the ones already kept."""
        if self.root is None:
            return
        if self.used.keys() == self.saved.keys() and all(self.saved[k] == v for k, v in self.used.items()):
            return
        save_signed(self.root, TEMPLATES_FILE, self.used)
