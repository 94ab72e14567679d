"""Read ``site.yml`` into a :class:`SiteConfig`, the same careful way records are read.

A mistake in the configuration is a usage error (exit code 2), not invalid content:
the site cannot even be checked until it is fixed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .diagnostics import Diagnostic, UsageError
from .fields import Context
from .load import Loaded, load_file
from .model import SiteConfig, Source
from .schema import SITE, default_scoring

SITE_FILE = "site.yml"


def load_config(root: Path) -> SiteConfig:
    """Load and check ``root/site.yml``; raise :class:`UsageError` listing every problem."""
    if not (root / SITE_FILE).exists() and not (root / SITE_FILE).is_symlink():
        raise UsageError(f"there is no {SITE_FILE} in {str(root)!r}: run Triangle from a site's folder, or pass -C DIR")
    return parse_config(load_file(SITE_FILE, root / SITE_FILE))


def parse_config(loaded: Loaded) -> SiteConfig:
    """Check a loaded ``site.yml``; raise :class:`UsageError` listing every problem."""
    if loaded.root is None:
        raise UsageError(f"{SITE_FILE} is not valid", loaded.diagnostics)
    ctx = Context(SITE_FILE)
    converted = SITE.convert_record(loaded.root, ctx)
    if converted is None or not converted.complete or loaded.diagnostics:
        problems = sorted((*loaded.diagnostics, *ctx.problems), key=Diagnostic.sort_key)
        raise UsageError(f"{SITE_FILE} is not valid", tuple(problems))
    values: dict[str, Any] = dict(converted.values)
    values.setdefault("scoring", default_scoring())
    return SiteConfig(source=Source(SITE_FILE, converted.positions), **values)
