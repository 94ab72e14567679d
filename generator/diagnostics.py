"""Problems found in a member's records, and the one exception users ever see.

Every stage reports what is wrong as a :class:`Diagnostic` instead of raising, so that
a member fixing a pull request sees every problem in every file at once rather than
one per round trip. :class:`TriangleError` is reserved for conditions that stop a
command outright (a usage mistake, an unreadable configuration); anything else that
escapes is a bug and keeps its traceback.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Severity(enum.Enum):
    """How much a problem matters; warnings become errors under ``--strict``."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True, order=True)
class Position:
    """A 1-based line and column in a source file (column counts characters)."""

    line: int = 1
    column: int = 1


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem at one place, worded for a member who has never seen Python."""

    path: str
    position: Position
    severity: Severity
    code: str
    message: str

    def sort_key(self) -> tuple[str, int, int, str, str]:
        """Order by file then position, so output reads top to bottom like an editor."""
        return (self.path, self.position.line, self.position.column, self.code, self.message)

    def render(self) -> str:
        """Format as ``path:line:col: error[code]: message``, the shape editors link."""
        pos = self.position
        return f"{self.path}:{pos.line}:{pos.column}: {self.severity.value}[{self.code}]: {self.message}"


def error(path: str, position: Position, code: str, message: str) -> Diagnostic:
    """Shorthand for an error diagnostic."""
    return Diagnostic(path, position, Severity.ERROR, code, message)


def warning(path: str, position: Position, code: str, message: str) -> Diagnostic:
    """Shorthand for a warning diagnostic."""
    return Diagnostic(path, position, Severity.WARNING, code, message)


class TriangleError(Exception):
    """A condition the user caused and can fix; printed without a traceback.

    ``exit_code`` follows the CLI contract: 1 for invalid content, 2 for a usage or
    configuration mistake.
    """

    exit_code = 1

    def __init__(self, message: str, diagnostics: tuple[Diagnostic, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.diagnostics = diagnostics


class UsageError(TriangleError):
    """Bad command-line input or site configuration (exit code 2)."""

    exit_code = 2
