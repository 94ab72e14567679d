"""Read commits, trees and files straight from git, without checking anything out.

``triangle review`` compares the site at two revisions. Checking each one out would
touch the member's working tree (or CI's), and running ``git show`` once per file
would start 150,000 processes on a large network; instead this module asks git for
whole trees (``git ls-tree -r -z``) and for every file's content in one streaming
``git cat-file --batch``. It works in a shallow clone as long as both commits were
fetched. Every git failure a user can cause (not a repository, an unknown ref, git
missing) becomes a :class:`UsageError` that says what to do.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Final, NamedTuple

from .diagnostics import UsageError
from .discover import EntryKind

MAX_COMMITS: Final = 1000
"""How many commits between the two revisions are read for authorship; a pull request has far fewer."""

_KIND_OF_MODE: Final[dict[str, EntryKind]] = {"100644": "file", "100755": "file", "120000": "link"}
"""Git file modes; anything else in a tree listing (a submodule, ``160000``) is neither file nor link."""

_READ_SIZE: Final = 1 << 16


class TreeEntry(NamedTuple):
    """One file of a commit's tree: its mode and the id (SHA) of its content.

    A named tuple: a large network's two trees have 300,000 of them.
    """

    mode: str
    sha: str

    @property
    def kind(self) -> EntryKind:
        """Regular file, symbolic link, or something else (a submodule)."""
        return _KIND_OF_MODE.get(self.mode, "other")


@dataclass(frozen=True, slots=True)
class Commit:
    """One commit between two revisions: who wrote it and which files it touched."""

    sha: str
    author_name: str
    author_email: str
    paths: tuple[str, ...]
    """Repository-relative paths of the files it added, changed or removed."""


class Repository:
    """The git repository holding a site folder, read through git's plumbing commands."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        if shutil.which("git") is None:
            raise UsageError("git is not installed (or not on PATH); triangle review needs it to read both revisions")
        if not folder.is_dir():
            raise UsageError(f"{str(folder)!r} is not a folder; pass the site's folder with -C DIR")
        found = self._git("rev-parse", "--show-toplevel", "--show-prefix", check=False)
        if found.returncode != 0:
            raise UsageError(
                f"{str(folder)!r} is not inside a git repository; triangle review compares two commits, "
                "so run it in a clone of the network's repository (or pass -C DIR)"
            )
        lines = found.stdout.decode("utf-8", "surrogateescape").split("\n")
        self.top = Path(lines[0])
        self.prefix = lines[1] if len(lines) > 1 else ""
        """The site folder's path inside the repository, ``""`` or ending with ``/``."""

    def _git(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
        env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
        try:
            result = subprocess.run(
                ["git", "-C", str(self.folder), *args],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                env=env,
                check=False,
            )
        except OSError as exc:
            raise UsageError(f"cannot run git: {exc.strerror}") from None
        if check and result.returncode != 0:
            message = result.stderr.decode("utf-8", "replace").strip().splitlines()
            raise UsageError(f"git {args[0]} failed: {message[-1] if message else 'no message'}")
        return result

    def commit(self, ref: str) -> str:
        """The full id of the commit ``ref`` names; a :class:`UsageError` that says how to fetch it if none."""
        found = self._git("rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}", check=False)
        if found.returncode != 0 or not ref:
            raise UsageError(
                f"{ref!r} is not a commit of this repository: check the branch or commit name, or fetch it first "
                f"(in a shallow CI clone: git fetch --depth=1 origin {ref.removeprefix('origin/') or 'main'})"
            )
        return found.stdout.decode("ascii").strip()

    def merge_base(self, base: str, head: str) -> str | None:
        """The commit ``head`` forked from ``base``, or ``None`` when history is too shallow to tell."""
        found = self._git("merge-base", base, head, check=False)
        if found.returncode != 0:
            return None
        return found.stdout.decode("ascii").strip() or None

    def tree(self, commit: str) -> dict[str, TreeEntry]:
        """Every file of a commit, by repository-relative path (folders are implied)."""
        output = self._git("ls-tree", "-r", "-z", "--full-tree", commit).stdout
        entries: dict[str, TreeEntry] = {}
        new = tuple.__new__
        for line in output.decode("utf-8", "surrogateescape").split("\0"):
            if line:
                meta, _, path = line.partition("\t")  # "<mode> <type> <sha>\t<path>"
                entries[path] = new(TreeEntry, (meta.partition(" ")[0], meta.rpartition(" ")[2]))
        return entries

    def blobs(self, shas: Iterable[str], limit: int) -> dict[str, bytes]:
        """The content of each blob, in one ``git cat-file --batch`` process.

        A blob larger than ``limit`` is cut after ``limit + 1`` bytes: enough for the
        reader to tell it is too large, without holding a huge file in memory.
        """
        wanted = sorted(set(shas))
        found: dict[str, bytes] = {}
        if not wanted:
            return found
        with tempfile.TemporaryFile() as requests:
            # Requests come from a file rather than a pipe: git cannot block writing
            # answers while we are still writing questions.
            requests.write("".join(f"{sha}\n" for sha in wanted).encode("ascii"))
            requests.seek(0)
            env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}
            try:
                process = subprocess.Popen(
                    ["git", "-C", str(self.folder), "cat-file", "--batch", "--buffer"],
                    stdin=requests,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    env=env,
                )
            except OSError as exc:
                raise UsageError(f"cannot run git: {exc.strerror}") from None
            assert process.stdout is not None
            with process:
                _read_batch(process.stdout, wanted, limit, found)
        if process.returncode != 0 or len(found) != len(wanted):
            raise UsageError(
                "git could not read every file of both revisions; the clone may be incomplete "
                "(fetch both commits again, e.g. git fetch --depth=1 origin BRANCH)"
            )
        return found

    def commits(self, base: str, head: str) -> list[Commit]:
        """The commits in ``head`` but not in ``base``, newest first, merges left out.

        In a shallow clone this stops at the shallow boundary; it may then be empty.
        """
        output = self._git(
            "log",
            "--no-merges",
            f"--max-count={MAX_COMMITS}",
            "--no-renames",
            "--name-only",
            "-z",
            "--format=%x01%H%x00%an%x00%ae%x00",
            f"{base}..{head}",
            "--",
            check=False,
        ).stdout
        return _parse_log(output)

    def shallow_commits(self) -> frozenset[str]:
        """The commits at the edge of a shallow clone, whose parents were not fetched.

        Git shows such a commit as if it created every file of its tree, so which
        files it really touched cannot be told.
        """
        found = self._git("rev-parse", "--git-path", "shallow", check=False)
        if found.returncode != 0:
            return frozenset()
        path = self.folder / found.stdout.decode("utf-8", "surrogateescape").strip()
        try:
            return frozenset(path.read_text(encoding="ascii").split())
        except (OSError, UnicodeDecodeError):
            return frozenset()  # no such file: not a shallow clone


def _read_batch(stream: IO[bytes], wanted: Sequence[str], limit: int, found: dict[str, bytes]) -> None:
    """Read ``git cat-file --batch`` answers: ``<sha> <type> <size>\\n<content>\\n`` each."""
    for sha in wanted:
        header = stream.readline()
        parts = header.split()
        if len(parts) != 3 or parts[1] != b"blob":
            return  # "<sha> missing", or not a blob: reported by the caller as incomplete
        size = int(parts[2])
        kept = stream.read(min(size, limit + 1))
        left = size - len(kept)
        while left > 0:
            left -= len(stream.read(min(left, _READ_SIZE)) or b"\0" * left)
        stream.read(1)  # the newline after the content
        found[sha] = kept


def _parse_log(output: bytes) -> list[Commit]:
    commits: list[Commit] = []
    for record in output.split(b"\x01")[1:]:
        fields = record.split(b"\0")
        sha, name, email = (f.decode("utf-8", "replace") for f in fields[:3])
        paths = tuple(p.decode("utf-8", "surrogateescape").strip("\n") for p in fields[3:])
        commits.append(Commit(sha, name, email, tuple(p for p in paths if p)))
    return commits


def changed_paths(base: Mapping[str, TreeEntry], head: Mapping[str, TreeEntry]) -> dict[str, str]:
    """Paths that differ between two trees: ``added``, ``modified`` or ``removed``, sorted."""
    changes: dict[str, str] = {}
    for path, entry in head.items():
        before = base.get(path)
        if before is None:
            changes[path] = "added"
        elif before != entry:
            changes[path] = "modified"
    for path in base.keys() - head.keys():
        changes[path] = "removed"
    return dict(sorted(changes.items()))
