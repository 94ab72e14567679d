"""Print diagnostics for people (text), for GitHub's annotations, or for other tools (JSON).

Formatting lives apart from checking so that every command that finds problems prints
them the same way, and so the exact text members see can be tested on its own.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .diagnostics import Diagnostic, Severity

GITHUB_LIMIT = 10
"""GitHub shows at most this many annotations of each severity per step."""


def strict(diagnostics: Sequence[Diagnostic]) -> list[Diagnostic]:
    """Warnings promoted to errors, for ``--strict``."""
    return [
        Diagnostic(d.path, d.position, Severity.ERROR, d.code, d.message) if d.severity is Severity.WARNING else d
        for d in diagnostics
    ]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary(diagnostics: Sequence[Diagnostic], files: int) -> str:
    """One line: ``3 errors and 1 warning in 2 files``, or that all is well."""
    errors = sum(1 for d in diagnostics if d.severity is Severity.ERROR)
    warnings = len(diagnostics) - errors
    if not diagnostics:
        return f"No problems found in {_plural(files, 'file')}."
    parts = [_plural(errors, "error")] if errors else []
    if warnings:
        parts.append(_plural(warnings, "warning"))
    touched = len({d.path for d in diagnostics})
    return f"{' and '.join(parts)} in {_plural(touched, 'file')}."


def as_text(diagnostics: Sequence[Diagnostic]) -> list[str]:
    """``path:line:col: error[code]: message`` lines, in the order given."""
    return [d.render() for d in diagnostics]


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_line(d: Diagnostic) -> str:
    """One workflow command that GitHub turns into an annotation on the file's line."""
    level = "error" if d.severity is Severity.ERROR else "warning"
    props = ",".join(
        (
            f"file={_escape_property(d.path)}",
            f"line={d.position.line}",
            f"col={d.position.column}",
            f"title={_escape_property(d.code)}",
        )
    )
    return f"::{level} {props}::{_escape_data(d.message)}"


def annotation(level: str, message: str, path: str | None = None, title: str | None = None) -> str:
    """A GitHub workflow command (``notice``, ``warning``, ``error``) about a whole file, or none."""
    props = []
    if path is not None:
        props.append(f"file={_escape_property(path)}")
    if title is not None:
        props.append(f"title={_escape_property(title)}")
    joined = " " + ",".join(props) if props else ""
    return f"::{level}{joined}::{_escape_data(message)}"


def as_github(diagnostics: Sequence[Diagnostic]) -> list[str]:
    """Annotations for what GitHub will show, then the rest as plain log lines."""
    lines: list[str] = []
    shown = {Severity.ERROR: 0, Severity.WARNING: 0}
    rest: list[Diagnostic] = []
    for d in diagnostics:
        if shown[d.severity] < GITHUB_LIMIT:
            shown[d.severity] += 1
            lines.append(github_line(d))
        else:
            rest.append(d)
    if rest:
        lines.append(
            f"::notice title=More problems::{len(rest)} more problems are listed in the log below "
            "(GitHub shows only the first 10 of each kind as annotations)"
        )
        lines.extend(d.render() for d in rest)
    return lines


def diagnostic_json(d: Diagnostic) -> dict[str, Any]:
    """One problem as a JSON object: path, line, column, severity, code and message."""
    return {
        "path": d.path,
        "line": d.position.line,
        "column": d.position.column,
        "severity": d.severity.value,
        "code": d.code,
        "message": d.message,
    }


def as_json(diagnostics: Sequence[Diagnostic]) -> str:
    """A JSON list of objects with path, line, column, severity, code and message."""
    return json.dumps(
        [diagnostic_json(d) for d in diagnostics],
        indent=2,
        ensure_ascii=False,
    )
