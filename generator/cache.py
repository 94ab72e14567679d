"""The record cache: parsed records kept between runs in ``.triangle-cache/``, never trusted blindly.

Parsing 150,000 small YAML files is most of what ``triangle check`` does, and almost
none of them change between two runs. The cache keeps each file's parsed record and
problems under the file's identity and change time (size, modification and change
times in nanoseconds, inode): a file written since, even with the same size and a
reset modification time, has a new change time and is read again. A file read again
is parsed again only if its content changed: each entry also keeps a digest of the
content, and the id git gives that content, so that a fresh clone (new inodes, new
times) and ``triangle review`` (which reads files from git) reuse the parses of the
files they share with the cache.

The folder is safe to delete (the next run parses everything) and git-ignored. It is
also untrusted: a pull request could commit a crafted one, and unpickling such a file
would run its code. So every cache file carries an HMAC made with a key that lives
outside the repository (``$XDG_CACHE_HOME/triangle/cache.key``, created on first use);
a file that fails it, is truncated, comes from another version of Triangle or does not
unpickle is ignored and rewritten, never used.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import os
import pickle
import secrets
import stat
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

CACHE_DIR: Final = ".triangle-cache"
"""At the site's root, beside ``site.yml``; safe to delete, ignored by git."""
FORMAT: Final = b"triangle-cache 3\n"
RECORDS_FILE: Final = "records.pickle"

StatKey = tuple[int, int, int, int]
"""Size, modification and change times (ns), inode: what changes when a file is written."""


def stat_key(result: os.stat_result) -> StatKey:
    """The identity of one version of a file, from its ``stat``."""
    return (result.st_size, result.st_mtime_ns, result.st_ctime_ns, result.st_ino)


def content_digest(data: bytes) -> bytes:
    """What a file's content is, for the cache: a strong hash, so that no crafted file passes for another."""
    return hashlib.blake2b(data, digest_size=16).digest()


def blob_id(data: bytes) -> str:
    """The name git gives a file's content in a SHA-1 repository (``git hash-object``).

    Only compared with names git itself gave (a tree's entries), which its hardened
    SHA-1 vouches for; a SHA-256 repository's names never match, and its files are parsed.
    """
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


@functools.cache
def code_digest() -> bytes:
    """A digest of Triangle's own code and theme: a cache made by another version is not reused."""
    package = Path(__file__).parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix in (".py", ".html", ".po", ".md"):
            digest.update(path.relative_to(package).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.digest()


def _key_path() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "triangle" / "cache.key"


def secret_key() -> bytes | None:
    """This machine's key for signing caches (created on first use); ``None`` when it cannot be kept."""
    path = _key_path()
    with contextlib.suppress(OSError):
        data = path.read_bytes()
        if len(data) == 32:
            return data
    key = secrets.token_bytes(32)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key)
    except OSError:
        return None
    return key


CachedRecord = tuple[StatKey, bytes, str, Any, tuple[Any, ...]]
"""One file's version, :func:`content_digest` and :func:`blob_id` (empty when it could not be read), its
parse as plain tuples (see :func:`generator.check._flatten`) and its problems.

Plain tuples, not a dataclass: 150,000 of them unpickle in C, several times faster.
"""


def cache_folder(root: Path) -> Path | None:
    """The site's cache folder, or ``None`` when it is a link (never followed out of the site)."""
    folder = root / CACHE_DIR
    with contextlib.suppress(OSError):
        if stat.S_ISLNK(os.lstat(folder).st_mode):
            return None
    return folder


def has_records(root: Path) -> bool:
    """Whether the site has a record cache at all (a fresh clone has none): a ``stat``, nothing read."""
    folder = cache_folder(root)
    return folder is not None and os.path.isfile(folder / RECORDS_FILE)


def load_signed(root: Path, name: str) -> Any:
    """One of the cache's files, or ``None`` when it is absent or not to be trusted (see the module's notes)."""
    folder, key = cache_folder(root), secret_key()
    if folder is None or key is None:
        return None
    try:
        data = (folder / name).read_bytes()
    except OSError:
        return None
    header = FORMAT + name.encode() + b"\n" + code_digest()
    if not data.startswith(header) or len(data) < len(header) + 32:
        return None
    mac, payload = data[len(header) : len(header) + 32], data[len(header) + 32 :]
    if not hmac.compare_digest(mac, hmac.new(key, header + payload, hashlib.sha256).digest()):
        return None
    try:
        return pickle.loads(payload)
    except Exception:  # a cache we wrote but cannot read (a partial write survived): start again
        return None


def save_signed(root: Path, name: str, value: Any) -> None:
    """Keep ``value`` for the next run; a cache that cannot be written is only a slower next run."""
    folder, key = cache_folder(root), secret_key()
    if folder is None or key is None:
        return
    header = FORMAT + name.encode() + b"\n" + code_digest()
    payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    mac = hmac.new(key, header + payload, hashlib.sha256).digest()
    with contextlib.suppress(OSError):
        ensure_folder(folder)
        replace_file(folder / name, header + mac + payload)


def ensure_folder(folder: Path) -> None:
    """Create the cache folder with the ``.gitignore`` that keeps it out of every commit."""
    folder.mkdir(exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# Triangle's cache (safe to delete): never committed.\n*\n", encoding="utf-8")


CHANGES_FILE: Final = "records-changes.pickle"
"""The records changed since :data:`RECORDS_FILE` was written (see :class:`RecordStore`)."""
CHANGES_SHARE: Final = 0.05
"""Up to this share of the records (and at least :data:`CHANGES_MIN`) only the changes are written."""
CHANGES_MIN: Final = 1000


def pickled(records: Mapping[str, CachedRecord]) -> bytes:
    """Records as the whole cache file keeps them: one or more such pickles (see :class:`RecordStore`)."""
    return pickle.dumps(dict(records), protocol=pickle.HIGHEST_PROTOCOL)


def _unpickled(chunks: object) -> dict[str, CachedRecord] | None:
    """The records of the whole file's pickles, ``None`` when they are not what :func:`pickled` makes."""
    if not isinstance(chunks, tuple) or not all(isinstance(chunk, bytes) for chunk in chunks):
        return None
    records: dict[str, CachedRecord] = {}
    for chunk in chunks:
        try:
            part = pickle.loads(chunk)
        except Exception:  # signed by us but unreadable (a partial write survived): start again
            return None
        if not isinstance(part, dict):
            return None
        records.update(part)
    return records


class RecordStore:
    """The cached parses of a site: a whole file, and a small file of the changes since.

    Writing the parses of 150,000 files takes two seconds, and a run after an edit
    changes a handful: those are kept in :data:`CHANGES_FILE`, which names the whole
    file it applies to (a random tag saved inside it), so that changes are never
    applied to another version of it. When the changes outgrow :data:`CHANGES_SHARE`
    of the records, the whole file is written again and the changes dropped.

    The whole file holds the records as several pickles (see :func:`pickled`): the
    worker processes that parse a site's files pickle their share to send it to the
    check anyway, and a first run keeps those bytes instead of pickling every record
    a second time.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        saved = load_signed(root, RECORDS_FILE)
        whole: dict[str, CachedRecord] | None = None
        self.tag = b""
        if isinstance(saved, tuple) and len(saved) == 2 and isinstance(saved[0], bytes):
            whole = _unpickled(saved[1])
            if whole is not None:
                self.tag = saved[0]
        ok = whole is not None
        self.whole: dict[str, CachedRecord] = whole or {}
        """The records as the whole file has them."""
        changes = load_signed(root, CHANGES_FILE) if ok else None
        valid = isinstance(changes, tuple) and len(changes) == 2 and changes[0] == self.tag
        self.changes: dict[str, CachedRecord | None] = {}
        if valid and isinstance(changes, tuple) and isinstance(changes[1], dict):
            self.changes = changes[1]
        """Changes since the whole file: a record, or ``None`` for a file that is gone."""
        self.records = dict(self.whole)
        for path, entry in self.changes.items():
            if entry is None:
                self.records.pop(path, None)
            else:
                self.records[path] = entry

    def save(self, records: Mapping[str, CachedRecord], chunks: Sequence[bytes] = ()) -> None:
        """Keep ``records`` for the next run: only their changes when they are few.

        ``chunks``, when given, are exactly ``records`` already :func:`pickled`: the
        whole file is then written from them.
        """
        whole = self.whole
        changes: dict[str, CachedRecord | None] = {p: e for p, e in records.items() if whole.get(p) is not e}
        changes.update((path, None) for path in whole.keys() - records.keys())
        if self.tag and len(changes) <= max(CHANGES_MIN, CHANGES_SHARE * len(records)):
            save_signed(self.root, CHANGES_FILE, (self.tag, changes))
            return
        self.tag, self.whole, self.changes = secrets.token_bytes(16), dict(records), {}
        save_signed(self.root, RECORDS_FILE, (self.tag, tuple(chunks) if chunks else (pickled(records),)))
        folder = cache_folder(self.root)
        if folder is not None:
            with contextlib.suppress(OSError):
                (folder / CHANGES_FILE).unlink()  # void anyway: it names the former tag


def load_records(root: Path) -> dict[str, CachedRecord]:
    """The cached parses of the site in ``root``, or nothing when the cache is absent or not to be trusted."""
    return RecordStore(root).records


def replace_file(path: Path, data: bytes) -> None:
    """Write beside, then rename: a run killed meanwhile leaves the old file or the new one, whole."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
