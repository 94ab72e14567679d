"""``triangle sign``: put a member's SSH signature into their record files.

The payload comes from the validated site (:func:`generator.signing.payload`), exactly
as ``triangle check`` computes it, so a record is only ever signed as Triangle reads
it; a file with problems of its own is refused. Signing itself is ``ssh-keygen -Y
sign`` (the member's own key, or their ssh-agent through it), run with an argument
list, never through a shell. The file is then changed in one way only: its
``signature`` field is set (replaced, or added at the end), the result is proven to
hold the same values and comments, and it is written atomically with its mode kept.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from . import safe_write
from .check import RECORD_TYPES, check_site
from .diagnostics import Diagnostic, Position, Severity, TriangleError, UsageError
from .discover import discover
from .fields import Context
from .fmt import comments
from .load import load
from .signing import NAMESPACE, SIGNED_KINDS, Keyring, Subject, subjects, verify

DEFAULT_KEYS: Final = ("id_ed25519", "id_ecdsa", "id_rsa")
"""Where ``ssh-keygen`` users keep their key, tried in this order when ``--key`` is not given."""
SIGN_TIMEOUT: Final = 300
"""Seconds ssh-keygen may take: long enough to type a passphrase or touch a security key."""


@dataclass(frozen=True, slots=True)
class Prepared:
    """One file to sign: where it is, and the bytes its signature must cover."""

    path: str
    subject: Subject
    message: bytes


def prepare(root: Path, paths: Sequence[str], today: dt.date) -> tuple[list[Prepared], Keyring]:
    """The payload of each file, from a check of the whole site; refuse files that are not valid records."""
    known = {f.path: f for f in discover(root).files}
    for path in paths:
        file = known.get(path)
        if file is None:
            raise UsageError(f"{path!r} is not a record file of this site (content/members, engagements, …)")
        if file.kind not in SIGNED_KINDS:
            raise UsageError(
                f"{path!r} is {file.kind} facts, which carry no signature: the attestations of the engagement "
                "are signed, and each covers these facts"
            )
    result = check_site(root, today, cache=True)
    own = [d for d in result.diagnostics if d.path in paths and d.severity is Severity.ERROR]
    fixable = [d for d in own if not d.code.startswith("signature-") and d.code != "missing-signature"]
    by_path = {s.path: s for s in subjects(result.site)}
    missing = [p for p in paths if p not in by_path]
    if fixable:
        raise TriangleError(
            "fix the problems above first (triangle check shows them): only a valid record can be signed",
            tuple(fixable),
        )
    if missing:
        raise TriangleError(
            f"{missing[0]} cannot be signed until the records it depends on are valid (its engagement.yml, "
            "its author's member record): run triangle check and fix what it reports"
        )
    prepared = [Prepared(p, by_path[p], by_path[p].payload()) for p in paths]
    return prepared, Keyring.of(result.site.members.values())


def default_key() -> Path:
    """The member's usual private key, as ssh-keygen would name it."""
    folder = Path(os.path.expanduser("~")) / ".ssh"
    for name in DEFAULT_KEYS:
        if (folder / name).is_file():
            return folder / name
    raise UsageError(
        f"no SSH key found in {folder} ({', '.join(DEFAULT_KEYS)}); pass --key PATH (a private key, or the .pub "
        "of a key held by ssh-agent), or create one with: ssh-keygen -t ed25519"
    )


def ssh_sign(message: bytes, key: Path) -> str:
    """Sign ``message`` with ``ssh-keygen -Y sign`` and return the armored signature."""
    program = shutil.which("ssh-keygen")
    if program is None:
        raise UsageError("ssh-keygen is not installed; install OpenSSH (package openssh-client) to sign records")
    if not key.exists():
        raise UsageError(f"the key {str(key)!r} does not exist; pass --key PATH to one of your SSH keys")
    # "-f key" with no file to sign: ssh-keygen reads the message on standard input and
    # writes the signature on standard output (never next to a file, never over one).
    command = [program, "-Y", "sign", "-n", NAMESPACE, "-f", str(key)]
    try:
        done = subprocess.run(command, input=message, capture_output=True, timeout=SIGN_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise TriangleError(f"ssh-keygen did not finish signing within {SIGN_TIMEOUT} s") from None
    except OSError as exc:
        raise TriangleError(f"cannot run ssh-keygen: {exc.strerror}") from None
    text = done.stdout.decode("ascii", "replace")
    if done.returncode != 0 or "-----BEGIN SSH SIGNATURE-----" not in text:
        reason = done.stderr.decode("utf-8", "replace").strip() or f"exit status {done.returncode}"
        raise TriangleError(f"ssh-keygen could not sign with {str(key)!r}: {reason}")
    return text.strip() + "\n"


def with_signature(path: str, data: bytes, armored: str) -> bytes:
    """The file's bytes with its top-level ``signature`` set to ``armored`` and nothing else changed.

    An existing signature (its key line and its indented lines) is replaced in place;
    otherwise a ``signature: |`` block is added at the end, where the schema puts it.
    Raises :class:`TriangleError` when the file is not valid YAML or the change would
    alter anything else, which is checked by reading the result back.
    """
    loaded = load(path, data)
    if loaded.root is None or loaded.diagnostics:
        raise TriangleError(
            f"{path} has YAML problems; fix them before signing (triangle check {path})", loaded.diagnostics
        )
    text = data.decode("utf-8")
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.splitlines(keepends=True)
    block = [f"signature: |{newline}"] + [f"  {line}{newline}" for line in armored.strip().split("\n")]
    found = [key for key, _ in loaded.root.items if key.value == "signature"]
    if found:
        start = found[0].position.line - 1
        if found[0].position.column != 1:
            raise _unsafe(path)
        end = start + 1
        while end < len(lines) and (lines[end][:1] in (" ", "\t") or not lines[end].strip()):
            end += 1
        while end > start + 1 and not lines[end - 1].strip():
            end -= 1  # blank lines after the signature belong to what follows
        lines[start:end] = block
    else:
        if lines and not lines[-1].endswith(("\n", "\r")):
            lines[-1] += newline
        lines.extend(block)
    new = "".join(lines).encode("utf-8")
    _same_but_signature(path, data, new, armored)
    return new


def _unsafe(path: str) -> TriangleError:
    return TriangleError(
        f"{path}: cannot set the signature without changing the rest of the file (is it written in flow style, "
        "{...}?); write one 'key: value' per line (triangle fmt does it) and sign again"
    )


def _values(path: str, kind: str, data: bytes) -> dict[str, object] | None:
    loaded = load(path, data)
    if loaded.root is None or loaded.diagnostics:
        return None
    converted = RECORD_TYPES[kind].convert_record(loaded.root, Context(path))
    return None if converted is None else dict(converted.values)


def _same_but_signature(path: str, old: bytes, new: bytes, armored: str) -> None:
    """Prove that ``new`` says what ``old`` says, with ``armored`` as its signature."""
    kind = _kind_of(path)
    before, after = _values(path, kind, old), _values(path, kind, new)
    if before is None or after is None:
        raise _unsafe(path)
    signature = after.pop("signature", None)
    before.pop("signature", None)
    if before != after or signature != armored.strip() + "\n":
        raise _unsafe(path)
    if comments(old.decode("utf-8")) != comments(new.decode("utf-8")):
        raise _unsafe(path)


def _kind_of(path: str) -> str:
    parts = path.split("/")
    if parts[:2] == ["content", "members"]:
        return "member"
    if parts[:2] == ["content", "resolutions"]:
        return "resolution"
    if parts[:2] == ["content", "withdrawals"]:
        return "withdrawal"
    return "attestation"


def sign_file(root: Path, item: Prepared, armored: str) -> None:
    """Write ``armored`` into the file's ``signature`` field, atomically, keeping its mode."""
    snapshot = safe_write.read(root / item.path, item.path)
    assert snapshot.data is not None
    safe_write.write(snapshot, with_signature(item.path, snapshot.data, armored))


def check_new(item: Prepared, armored: str, keyring: Keyring) -> Diagnostic | None:
    """A warning when the new signature would not pass ``triangle check`` (a key not listed yet, …)."""
    subject = item.subject
    what = "member record" if subject.kind == "member" else subject.kind
    verdict = verify(item.message, armored, subject.signer, keyring, subject.date, what)
    if verdict.ok:
        return None
    shown = verdict.fingerprint or "a key whose signature cannot be read"
    return Diagnostic(
        item.path, Position(1, 1), Severity.WARNING, verdict.code, f"signed with {shown}, but {verdict.message}"
    )
