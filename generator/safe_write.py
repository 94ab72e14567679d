"""Rewrite or create one of a member's files without ever losing a byte of it.

``triangle fmt`` and the scaffolding commands write files people edit by hand. A crash,
a full disk or an editor saving at the same moment must never leave a half-written or
overwritten record behind, so every write follows the same steps:

1. :func:`read` (or :func:`expect_absent`) captures what is on disk: the bytes, and the
   file's identity (device, inode, size, modification time).
2. :func:`write` puts the new bytes in a temporary file in the same folder, flushes
   them to the disk, then checks that the target is still exactly what was captured,
   and only then renames the temporary file over it (or, for a new file, links it into
   place, which fails rather than replace a file someone created meanwhile).

Symbolic links are never followed: a link where a record should be is refused, both
when reading and just before the rename.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .diagnostics import TriangleError

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
MAX_BYTES = 4 * 1024 * 1024
"""Larger than any record (the loader refuses files over 256 KiB), small enough to read whole."""

Identity = tuple[int, int, int, int]
"""(device, inode, size, modification time in ns): what changes when someone saves the file."""


class WriteError(TriangleError):
    """A file could not be read or written safely; whatever was on disk is left as it was.

    ``code`` is the diagnostic code a command uses when it reports the problem against
    the file (``path:1:1: error[code]: message``).
    """

    code = "write-failed"


class FileChanged(WriteError):
    """The target changed on disk after it was read: writing now would lose someone's edit."""

    code = "file-changed"


class AlreadyExists(WriteError):
    """A new file's name is taken: Triangle never overwrites a record it did not read."""

    code = "file-changed"


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A file as it was read (``data`` and ``identity`` are ``None`` when it did not exist)."""

    path: Path
    display: str
    """How messages name the file (relative to the site)."""
    data: bytes | None
    identity: Identity | None
    mode: int | None


def _identity(st: os.stat_result) -> Identity:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _read_fd(fd: int, display: str) -> tuple[bytes, os.stat_result]:
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        raise WriteError(f"{display} is not a regular file; Triangle only reads and writes plain files")
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            break
        size += len(chunk)
        if size > MAX_BYTES:
            raise WriteError(f"{display} is larger than {MAX_BYTES // (1024 * 1024)} MiB; it cannot be a record")
        chunks.append(chunk)
    return b"".join(chunks), st


def _open(path: Path, display: str) -> int:
    try:
        return os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        if exc.errno == errno.ELOOP or path.is_symlink():
            raise WriteError(
                f"{display} is a symbolic link; Triangle never follows links (replace it with the file itself)"
            ) from None
        raise WriteError(f"cannot read {display}: {exc.strerror}") from None


def read(path: Path, display: str | None = None) -> Snapshot:
    """Read a regular file (never through a symbolic link) and remember its identity."""
    shown = display if display is not None else str(path)
    fd = _open(path, shown)
    try:
        data, st = _read_fd(fd, shown)
    except OSError as exc:
        raise WriteError(f"cannot read {shown}: {exc.strerror}") from None
    finally:
        os.close(fd)
    return Snapshot(path, shown, data, _identity(st), stat.S_IMODE(st.st_mode))


def expect_absent(path: Path, display: str | None = None) -> Snapshot:
    """Capture that a file does not exist yet; refuse when it does (or when a link stands there)."""
    shown = display if display is not None else str(path)
    if os.path.lexists(path):
        raise AlreadyExists(f"{shown} already exists; Triangle never overwrites a file (edit it, or remove it first)")
    return Snapshot(path, shown, None, None, None)


def _still_as_read(snapshot: Snapshot) -> None:
    """Raise unless the target is exactly what :func:`read` or :func:`expect_absent` saw."""
    shown = snapshot.display
    if snapshot.data is None:
        if os.path.lexists(snapshot.path):
            raise AlreadyExists(f"{shown} was created by someone else meanwhile; nothing was written")
        return
    changed = FileChanged(
        f"{shown} changed on disk since Triangle read it; nothing was written (run the command again)"
    )
    try:
        st = os.lstat(snapshot.path)
    except FileNotFoundError:
        raise changed from None
    if not stat.S_ISREG(st.st_mode) or _identity(st) != snapshot.identity:
        raise changed
    # Same size and time stamp can hide an edit on a coarse clock: compare the bytes too.
    fd = _open(snapshot.path, shown)
    try:
        data, st = _read_fd(fd, shown)
    finally:
        os.close(fd)
    if data != snapshot.data or _identity(st) != snapshot.identity:
        raise changed


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (not every system can open a folder: then skip)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on folders; the data itself is already synced
    finally:
        os.close(fd)


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write(snapshot: Snapshot, data: bytes) -> None:
    """Replace (or create) ``snapshot.path`` with ``data``, atomically, unless it changed meanwhile.

    On any failure the target is exactly as it was and the temporary file is gone.
    """
    path, shown = snapshot.path, snapshot.display
    folder = path.parent
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, snapshot.mode if snapshot.mode is not None else _default_mode())
        _still_as_read(snapshot)
        if snapshot.data is None:
            _link_new(tmp, path, shown)
        else:
            os.replace(tmp, path)
            tmp = None
        _fsync_folder(folder)
    except OSError as exc:
        raise WriteError(f"cannot write {shown}: {exc.strerror}; the file was left as it was") from None
    finally:
        if tmp is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)


def _link_new(tmp: str, path: Path, shown: str) -> None:
    """Put a new file in place without ever replacing one that appeared meanwhile."""
    try:
        os.link(tmp, path, follow_symlinks=False)
    except FileExistsError:
        raise AlreadyExists(f"{shown} was created by someone else meanwhile; nothing was written") from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
            raise
        # A file system without hard links: a rename, just after checking again (a tiny window).
        if os.path.lexists(path):
            raise AlreadyExists(f"{shown} was created by someone else meanwhile; nothing was written") from None
        os.rename(tmp, path)


def make_folders(root: Path, parts: tuple[str, ...]) -> Path:
    """Create ``root/part/part/...`` one level at a time, refusing any symbolic link on the way."""
    folder = root
    shown = ""
    for part in parts:
        folder = folder / part
        shown = f"{shown}/{part}" if shown else part
        if folder.is_symlink():
            raise WriteError(f"{shown} is a symbolic link; Triangle never follows links")
        try:
            folder.mkdir(exist_ok=True)
        except FileExistsError:
            raise WriteError(f"{shown} exists and is not a folder") from None
        except OSError as exc:
            raise WriteError(f"cannot create the folder {shown}: {exc.strerror}") from None
        if not folder.is_dir() or folder.is_symlink():
            raise WriteError(f"{shown} exists and is not a folder")
    return folder
