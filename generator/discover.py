"""Find the record files under ``content/`` and say what kind each one is.

The folder layout is part of the record format: a file's place names its kind and its
id. Anything that fits no place is reported, because a stray ``memebers/`` folder is a
typo whose records would otherwise silently vanish from the site. Symbolic links are
never followed, so a link to ``/etc/hostname`` can be neither read nor published.
"""

from __future__ import annotations

import operator
import os
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, NamedTuple, Protocol

from .diagnostics import Diagnostic, Position, error
from .fields import suggest

RecordKind = Literal["member", "engagement", "attestation", "resolution", "withdrawal"]
CONTENT = "content"
TOP_FOLDERS = ("members", "engagements", "resolutions", "withdrawals")
YEAR_RE = re.compile(r"^[0-9]{4}$")
ALLOWED_EXTRA = frozenset({"README.md", ".gitkeep", ".DS_Store"})
"""Files any folder may hold besides records: explanations for members, git's placeholder
for an empty folder, and the file macOS's Finder drops everywhere (it never gets committed
with a sensible .gitignore, and a member should not see errors for what they cannot see)."""


@dataclass(frozen=True, slots=True, order=True)
class RecordFile:
    """One record file, classified by where it sits.

    ``name`` is the id the file name gives: the member id of a member file, of an
    attestation's attester or of a withdrawal, or the engagement id of an engagement or
    resolution.
    """

    path: str
    kind: RecordKind
    name: str
    engagement: str | None = None
    year: str | None = None


@dataclass(frozen=True, slots=True, order=True)
class EngagementFolder:
    """An engagement's folder, whose files are listed later (possibly in a worker process)."""

    year: str
    id: str


EntryKind = Literal["file", "folder", "link", "other"]
"""What a listed path is: a regular file, a folder, a symbolic link, or anything else."""


class _Entry(Protocol):
    """What the walker reads of a folder entry: :class:`os.DirEntry` or :class:`ListedEntry`."""

    @property
    def name(self) -> str: ...

    def is_symlink(self) -> bool: ...

    def is_dir(self, *, follow_symlinks: bool = True) -> bool: ...

    def is_file(self, *, follow_symlinks: bool = True) -> bool: ...


class ListedEntry(NamedTuple):
    """A folder entry known from a listing (a git tree) instead of the disk; links are never followed."""

    name: str
    kind: EntryKind

    def is_symlink(self) -> bool:
        """Whether it is a symbolic link."""
        return self.kind == "link"

    def is_dir(self, *, follow_symlinks: bool = True) -> bool:
        """Whether it is a folder."""
        return self.kind == "folder"

    def is_file(self, *, follow_symlinks: bool = True) -> bool:
        """Whether it is a regular file."""
        return self.kind == "file"


@dataclass(frozen=True, slots=True)
class Discovery:
    """The record files found, in path order, and whatever did not fit.

    ``folders`` lists the engagement folders whose files are not in ``files`` yet: a
    large network has tens of thousands of them, and listing each one is a system call
    worth spreading over the machine's cores together with the parsing.
    """

    files: tuple[RecordFile, ...]
    diagnostics: tuple[Diagnostic, ...]
    folders: tuple[EngagementFolder, ...] = ()


FolderListing = tuple[int, int, int, tuple[str, ...]]
"""An engagement folder as last listed: its change time, modification time and inode, and its files' names."""

SETTLED_NS = 2_000_000_000
"""How long before it is listed a folder must have last changed for its listing to be kept.

The kernel stamps a folder's change time with a clock that ticks every few
milliseconds: a file added in the same tick as the listing, just after it, would
leave the stamp as it was. A folder that changed within the last two seconds is
listed again next time, whatever its stamp says."""

_NAME = operator.attrgetter("name")
_PATH = operator.attrgetter("path")
"""Record files in path order: the order of :class:`RecordFile`, whose paths are unique, without its ``__lt__``."""


class _Walker:
    def __init__(self, root: Path, defer_folders: bool, listings: Mapping[str, FolderListing] | None = None) -> None:
        self.root = root
        self.defer_folders = defer_folders
        self.files: list[RecordFile] = []
        self.folders: list[EngagementFolder] = []
        self.problems: list[Diagnostic] = []
        self.known = listings
        """The engagement folders' listings of the last run (``None``: every folder is listed)."""
        self.listings: dict[str, FolderListing] = {}
        """The listings worth keeping for the next run: folders of records only, settled (see :data:`SETTLED_NS`)."""
        self.settled = time.time_ns() - SETTLED_NS

    def rel(self, *parts: str) -> str:
        return "/".join((CONTENT, *parts))

    def walk_content(self, present: bool) -> None:
        """Walk ``content/``, or report that there is none (nothing else can be checked then)."""
        if not present:
            self.problem(
                CONTENT,
                "missing-content",
                "there is no content/ folder here; run Triangle from the site's folder (or pass -C DIR)",
            )
        else:
            self.walk()

    def problem(self, rel: str, code: str, message: str) -> None:
        self.problems.append(error(rel, Position(1, 1), code, message))

    def listing(self, *parts: str) -> Sequence[_Entry]:
        """A folder's entries sorted by name ([] after reporting a folder that cannot be read)."""
        folder = os.path.join(self.root, CONTENT, *parts)
        try:
            with os.scandir(folder) as it:
                return sorted(it, key=_NAME)
        except OSError as exc:
            self.problem(self.rel(*parts), "file-unreadable", f"cannot read this folder: {exc.strerror}")
            return []

    def entries(self, *parts: str) -> list[_Entry]:
        """List a folder, reporting (and skipping) links and special files."""
        entries = self.listing(*parts)
        kept = []
        for entry in entries:
            if entry.is_symlink():
                self.problem(
                    self.rel(*parts, entry.name),
                    "file-not-regular",
                    "this is a symbolic link; Triangle never follows links in content/ "
                    "(replace it with the real file or folder)",
                )
            elif not entry.is_dir(follow_symlinks=False) and not entry.is_file(follow_symlinks=False):
                self.problem(
                    self.rel(*parts, entry.name), "file-not-regular", "this is not a regular file or folder; remove it"
                )
            else:
                kept.append(entry)
        return kept

    def unexpected(self, rel: str, entry: _Entry, expected: str, choices: tuple[str, ...] = ()) -> None:
        if entry.name in ALLOWED_EXTRA and entry.is_file(follow_symlinks=False):
            return
        what = "folder" if entry.is_dir(follow_symlinks=False) else "file"
        hint = ""
        if entry.name.endswith(".yaml"):
            hint = f"; rename it to {entry.name[:-5] + '.yml'!r}"
        elif choices:
            hint = suggest(entry.name, choices)
        self.problem(rel, "unexpected-file", f"unexpected {what} {entry.name!r}: {expected}{hint}")

    def walk(self) -> None:
        for entry in self.entries():
            rel = self.rel(entry.name)
            if entry.name in TOP_FOLDERS and entry.is_dir(follow_symlinks=False):
                getattr(self, "walk_" + entry.name)()
            else:
                self.unexpected(
                    rel,
                    entry,
                    "content/ holds only the folders members/, engagements/, resolutions/ and withdrawals/",
                    TOP_FOLDERS,
                )

    def yml_files(self, folder: str, expected: str, kind: RecordKind) -> None:
        for entry in self.entries(folder):
            rel = self.rel(folder, entry.name)
            if entry.is_file(follow_symlinks=False) and entry.name.endswith(".yml"):
                self.files.append(RecordFile(rel, kind, entry.name[:-4]))
            else:
                self.unexpected(rel, entry, expected)

    def walk_members(self) -> None:
        self.yml_files("members", "members/ holds one <member-id>.yml file per member", "member")

    def walk_resolutions(self) -> None:
        self.yml_files("resolutions", "resolutions/ holds one <engagement-id>.yml file per resolution", "resolution")

    def walk_withdrawals(self) -> None:
        self.yml_files("withdrawals", "withdrawals/ holds one <member-id>.yml file per withdrawn member", "withdrawal")

    def walk_engagements(self) -> None:
        for year in self.entries("engagements"):
            rel = self.rel("engagements", year.name)
            if not (year.is_dir(follow_symlinks=False) and YEAR_RE.match(year.name)):
                self.unexpected(rel, year, "engagements/ holds one folder per year, such as 2026/")
                continue
            for folder in self.entries("engagements", year.name):
                frel = self.rel("engagements", year.name, folder.name)
                if not folder.is_dir(follow_symlinks=False):
                    self.unexpected(
                        frel,
                        folder,
                        f"engagements/{year.name}/ holds one folder per engagement, named after its id",
                    )
                    continue
                if self.defer_folders:
                    self.folders.append(EngagementFolder(year.name, folder.name))
                elif self.known is not None:
                    self.walk_known(year.name, folder.name)
                else:
                    self.walk_engagement(year.name, folder.name)

    def walk_known(self, year: str, eid: str) -> None:
        """An engagement folder, listed again only if it changed since the last run listed it.

        Its stamps are taken before it is listed, so that a change made meanwhile is
        seen the next time. Only a folder of record files alone is kept: anything else
        in it is reported again on every run.
        """
        folder = f"{CONTENT}/engagements/{year}/{eid}/"
        try:
            found = os.lstat(os.path.join(self.root, folder[:-1]))  # no slash: a link is not followed
        except OSError:
            self.walk_engagement(year, eid)  # vanished meanwhile: listing it reports how
            return
        stamps = (found.st_ctime_ns, found.st_mtime_ns, found.st_ino)
        assert self.known is not None
        known = self.known.get(folder)
        if known is not None and known[:3] == stamps:
            self.listings[folder] = known
            for name in known[3]:
                self.add_engagement_file(folder + name, name, eid, year)
            return
        before = len(self.problems), len(self.files)
        self.walk_engagement(year, eid)
        if len(self.problems) == before[0] and found.st_ctime_ns < self.settled:
            names = tuple(file.path[len(folder) :] for file in self.files[before[1] :])
            self.listings[folder] = (*stamps, names)

    def walk_engagement(self, year: str, eid: str) -> None:
        folder = f"{CONTENT}/engagements/{year}/{eid}/"  # 150,000 files at 10,000 members: no join per file
        for entry in self.entries("engagements", year, eid):
            rel = folder + entry.name
            if not (entry.is_file(follow_symlinks=False) and entry.name.endswith(".yml")):
                self.unexpected(
                    rel,
                    entry,
                    "an engagement folder holds engagement.yml and one <member-id>.yml per attestation",
                )
            else:
                self.add_engagement_file(rel, entry.name, eid, year)

    def add_engagement_file(self, rel: str, name: str, eid: str, year: str) -> None:
        if name == "engagement.yml":
            self.files.append(RecordFile(rel, "engagement", eid, eid, year))
        else:
            self.files.append(RecordFile(rel, "attestation", name[:-4], eid, year))


def discover(root: Path, defer_folders: bool = False) -> Discovery:
    """Classify every file under ``root/content``; a missing folder is one error.

    With ``defer_folders``, engagement folders are returned unlisted, for
    :func:`discover_folder` to list.
    """
    return _discover(_Walker(root, defer_folders))


def discover_known(root: Path, listings: Mapping[str, FolderListing]) -> tuple[Discovery, dict[str, FolderListing]]:
    """:func:`discover`, reusing the listings of engagement folders that did not change since ``listings``.

    A large network has tens of thousands of engagement folders, and a run after one
    change finds all but one as they were: a ``stat`` of each tells which. Returns the
    listings to keep for the next run.
    """
    walker = _Walker(root, defer_folders=False, listings=listings)
    return _discover(walker), walker.listings


def _discover(walker: _Walker) -> Discovery:
    content = walker.root / CONTENT
    walker.walk_content(not content.is_symlink() and content.is_dir())
    return Discovery(tuple(sorted(walker.files, key=_PATH)), tuple(walker.problems), tuple(walker.folders))


class _ListingWalker(_Walker):
    """The same rules over a listing of paths, such as a git tree, instead of the disk."""

    def __init__(self, folders: dict[tuple[str, ...], dict[str, EntryKind]]) -> None:
        super().__init__(Path(), defer_folders=False)
        self.folders_listed = folders

    def listing(self, *parts: str) -> Sequence[_Entry]:
        found = self.folders_listed.get(parts, {})
        return [ListedEntry(name, found[name]) for name in sorted(found)]


_RECORD_PATH = re.compile(
    r"content/(?:members/(?P<member>[^/]*)\.yml|resolutions/(?P<resolution>[^/]*)\.yml"
    r"|withdrawals/(?P<withdrawal>[^/]*)\.yml"
    r"|engagements/(?P<year>[0-9]{4})/(?P<engagement>[^/]+)/(?P<file>[^/]*)\.yml)"
)


def _classify_regular(paths: Sequence[tuple[str, EntryKind]]) -> list[RecordFile] | None:
    """The record files of a listing where every path is where a record belongs, else ``None``.

    The common case of a large listing, decided without building folders; anything
    unusual is left to the walker, whose rules and messages stay the only ones.
    """
    files: list[RecordFile] = []
    match = _RECORD_PATH.fullmatch
    for path, kind in paths:
        if not path.startswith("content/"):
            continue
        if kind != "file":
            return None
        found = match(path)
        if found is None:
            if path.rpartition("/")[2] in ALLOWED_EXTRA:
                continue
            return None
        member, resolution, withdrawal, year, engagement, name = found.groups()
        if member is not None:
            files.append(RecordFile(path, "member", member))
        elif resolution is not None:
            files.append(RecordFile(path, "resolution", resolution))
        elif withdrawal is not None:
            files.append(RecordFile(path, "withdrawal", withdrawal))
        elif name == "engagement":
            files.append(RecordFile(path, "engagement", engagement, engagement, year))
        else:
            files.append(RecordFile(path, "attestation", name, engagement, year))
    return files or None


def discover_listing(paths: Sequence[tuple[str, EntryKind]]) -> Discovery:
    """Classify the files of a listing (site-relative path and kind) by the rules of :func:`discover`.

    Folders are implied by the paths under them, as in git, which stores no empty folder.
    """
    regular = _classify_regular(paths)
    if regular is not None:
        return Discovery(tuple(sorted(regular, key=lambda f: f.path)), ())
    folders: dict[tuple[str, ...], dict[str, EntryKind]] = {}
    content: EntryKind | None = None
    for path, kind in paths:
        parts = path.split("/")
        if parts[0] != CONTENT:
            continue
        if len(parts) == 1:
            content = kind
            continue
        content = "folder"
        for depth in range(1, len(parts) - 1):
            folders.setdefault(tuple(parts[1:depth]), {})[parts[depth]] = "folder"
        folders.setdefault(tuple(parts[1:-1]), {})[parts[-1]] = kind
    walker = _ListingWalker(folders)
    walker.walk_content(content == "folder")
    return Discovery(tuple(sorted(walker.files)), tuple(walker.problems))


def discover_folder(root: Path, folder: EngagementFolder) -> Discovery:
    """Classify the files of one engagement folder."""
    walker = _Walker(root, defer_folders=False)
    walker.walk_engagement(folder.year, folder.id)
    return Discovery(tuple(sorted(walker.files)), tuple(walker.problems))
