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
from typing import NamedTuple


class Severity(enum.Enum):
    """How much a problem matters; warnings become errors under ``--strict``."""

    ERROR = "error"
    WARNING = "warning"


class Position(NamedTuple):
    """A 1-based line and column in a source file (column counts characters).

    A named tuple rather than a dataclass: every value of 150,000 files carries one,
    and a tuple is the cheapest immutable object to create, compare and pickle.
    """

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
    assert code in CODES, f"unregistered diagnostic code {code!r}"
    return Diagnostic(path, position, Severity.ERROR, code, message)


def warning(path: str, position: Position, code: str, message: str) -> Diagnostic:
    """Shorthand for a warning diagnostic."""
    assert code in CODES, f"unregistered diagnostic code {code!r}"
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


CODES: dict[str, str] = {
    # Files and folders
    "missing-content": "the site has no content/ folder",
    "unexpected-file": "a file or folder in content/ that matches no record kind",
    "file-not-regular": "a symbolic link or special file where a record should be",
    "file-unreadable": "the file cannot be read",
    "file-too-large": "the file exceeds the size limit of a record",
    "file-encoding": "the file is not UTF-8 (or has a byte order mark)",
    "forbidden-character": "a control, bidi-override or zero-width character",
    # YAML
    "yaml-syntax": "the file is not valid YAML",
    "yaml-empty": "the file holds no record",
    "yaml-multiple-documents": "the file holds more than one YAML document",
    "yaml-not-mapping": "the top level is a list or a single value instead of key: value lines",
    "yaml-anchor": "a YAML anchor, alias or merge key",
    "yaml-tag": "an explicit YAML tag",
    "yaml-duplicate-key": "a key written twice in one mapping",
    "yaml-complex-key": "a list or mapping used as a key",
    "yaml-too-deep": "values nested deeper than any record allows",
    # Fields
    "unknown-key": "a key the record kind does not have",
    "missing-key": "a required key is absent",
    "wrong-type": "a list, mapping or single value where another shape is expected",
    "wrong-length": "a list with too few or too many items",
    "empty-value": "a key with no value",
    "invalid-text": "text on several lines where one is expected",
    "too-long": "text longer than its limit",
    "invalid-slug": "a value that is not a lowercase slug",
    "invalid-choice": "a value outside the allowed words",
    "invalid-number": "not a number in the allowed range, or a number in quotes",
    "invalid-boolean": "not true or false (without quotes)",
    "invalid-date": "not a real date written YYYY-MM-DD",
    "invalid-language": "not an ISO 639-1 language code",
    "invalid-url": "an address that is not an acceptable https:// URL",
    "invalid-ssh-key": "an SSH public key line that does not parse",
    "invalid-signature": "not an armored SSH signature",
    "invalid-path": "a path that leaves the site folder",
    "duplicate-item": "the same item twice in a list",
    # Cross-record rules
    "invalid-id": "a file or folder name that is not a valid id",
    "duplicate-id": "an engagement id used by two folders",
    "year-mismatch": "an engagement filed under another year than it started",
    "unknown-member": "a reference to a member who has no record",
    "self-reference": "a member sponsoring themselves, or client and supplier the same",
    "missing-engagement": "an attestation in a folder without engagement.yml",
    "not-a-party": "an attestation by someone who is neither client nor supplier",
    "wrong-role-key": "a key that belongs to the other party's attestation",
    "invalid-dispute": "a dispute of a side the other attestation does not have",
    "date-order": "a date before the engagement started",
    "future-date": "a recorded fact dated after the build date",
    "unknown-engagement": "a resolution of an engagement that does not exist",
    "not-coordinator": "a resolution or withdrawal by someone who is not a coordinator, or a ruling by a party",
    "withdrawn-coordinator": "a coordinator in site.yml who has withdrawn from the network",
    "uncontested-side": "a resolution ruling on a side nobody contests",
    "invalid-resolution": "a side both upheld and withdrawn",
    "missing-signature": "an unsigned record where signatures are required",
    "signature-malformed": "a signature that cannot be read (cut short, damaged or of an unsupported kind)",
    "signature-namespace": "a signature made for another use than Triangle (not the 'triangle' namespace)",
    "signature-unknown-key": "a signature by a key the author's member record does not list",
    "signature-wrong-member": "a signature by a key of another member than the record's author",
    "signature-tampered": "a signature that does not match the record (edited, moved, or its engagement changed)",
    "signature-moved": "a signed attestation moved or copied to another engagement than the one it was signed for",
    "signature-retired-key": "a signature by a key retired on or before the record's date",
    "missing-label": "a declared skill or region without a label in one of the site's languages",
    "label-language": "a label of a skill or region in a language the site does not publish",
    # Rewriting files (triangle fmt, triangle new, triangle attest)
    "format-unsafe": "a file fmt cannot put in canonical form without changing its values or comments",
    "file-changed": "a file changed on disk after it was read, so it was not rewritten",
    "write-failed": "a file could not be written (the original is left as it was)",
    # Warnings
    "inconsistent-date": "warning: a delivery or payment date contradicts on_time/late",
    "unmeasurable-delay": "warning: late with no deadline or due date to measure it by",
    "reply-without-attestation": "warning: a reply to an attestation that does not exist",
    "incomplete-resolution": "warning: a contested side the resolution leaves undecided",
    "unknown-skill": "warning: a skill the network's site.yml does not declare (when it declares skills)",
    "unknown-region": "warning: a region the network's site.yml does not declare (when it declares regions)",
}
"""Every stable diagnostic code and what it means; codes never change meaning once released."""
