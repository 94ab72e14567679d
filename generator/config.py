"""Read ``site.yml`` into a :class:`SiteConfig`, the same careful way records are read.

A mistake in the configuration is a usage error (exit code 2), not invalid content:
the site cannot even be checked until it is fixed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .diagnostics import Diagnostic, UsageError
from .fields import Context
from .load import Loaded, MappingNode, load_file
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
    if converted is not None and converted.complete:
        _check_labels(loaded.root, converted.values["languages"], ctx)
    if converted is None or not converted.complete or loaded.diagnostics or ctx.problems:
        problems = sorted((*loaded.diagnostics, *ctx.problems), key=Diagnostic.sort_key)
        raise UsageError(f"{SITE_FILE} is not valid", tuple(problems))
    values: dict[str, Any] = dict(converted.values)
    values.setdefault("scoring", default_scoring())
    return SiteConfig(source=Source(SITE_FILE, converted.positions), **values)


VOCABULARIES = (("skills", "skill"), ("regions", "region"))
"""The vocabularies site.yml may declare, with what one of their ids is called."""


def _check_labels(root: MappingNode, languages: tuple[str, ...], ctx: Context) -> None:
    """Every label of a declared skill or region speaks exactly the site's languages.

    A missing label is an error rather than a fallback to another language: the
    promise is that a French page names no skill in English (and the other way round).
    """
    declared = {key.value: node for key, node in root.items}
    shown = ", ".join(languages)
    for key, what in VOCABULARIES:
        node = declared.get(key)
        if type(node) is not MappingNode:
            continue
        for term, label in node.items:
            if type(label) is not MappingNode:
                continue  # one text for every language
            written = {code.value for code, _ in label.items}
            for code, _ in label.items:
                if code.value not in languages:
                    ctx.fail(
                        code.position,
                        "label-language",
                        f"{code.value!r} is not one of the site's languages ({shown}); "
                        f"remove this label or add {code.value!r} to 'languages'",
                    )
            for language in languages:
                if language not in written:
                    ctx.fail(
                        label.position,
                        "missing-label",
                        f"{what} {term.value!r} has no label in {language!r}; add '{language}: …' to its labels, "
                        "or write a single text for every language",
                    )
