"""Crash safety: a killed, concurrent, starved or broken build never leaves a damaged site.

Real ``triangle build`` processes are killed at chosen moments of their life (while
checking, rendering, indexing, just before and just after the swap) and the output
folder must then be, file for file and byte for byte, either the previous site or the
new one. Disks that are full or read-only are real size-limited tmpfs mounts where the
machine allows it (root in a container), and injected ``OSError`` otherwise.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator import build as build_module
from generator import write as write_module
from generator.cli import cli
from generator.write import MARKER, clean_leftovers

from .conftest import REPO, TODAY, SiteFactory
from .test_synthetic import make_network_module

BASE = Path(__file__).parent / "invalid" / "_base"
MEMBERS = 200
"""Large enough for a build of a few seconds (about 2,500 files), small enough for the test budget."""

Tree = dict[str, str]


def tree(folder: Path) -> Tree:
    """Every file and folder under ``folder``: files by the hash of their bytes."""
    found: Tree = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_symlink():
            found[rel] = "link"
        elif path.is_dir():
            found[rel] = "folder"
        else:
            found[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def retitled(source: Path, target: Path) -> Path:
    """A copy of a site whose title (on every page) differs: every page of its build differs too."""
    shutil.copytree(source, target)
    config = target / "site.yml"
    lines = config.read_text(encoding="utf-8").splitlines(keepends=True)
    lines = [line.rstrip("\n") + " (new)\n" if line.startswith("title: ") else line for line in lines]
    config.write_text("".join(lines), encoding="utf-8")
    return target


def command(root: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "generator", "-C", str(root), "build", "--today", TODAY, "-o", str(out), *extra]


def start(root: Path, out: Path) -> subprocess.Popen[str]:
    """A real build in its own process group, so that killing it also kills the indexer it runs."""
    return subprocess.Popen(
        command(root, out),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        cwd=REPO,
    )


def build_now(root: Path, out: Path) -> None:
    proc = subprocess.run(command(root, out), capture_output=True, text=True, check=False, cwd=REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def others(parent: Path, out: Path) -> list[str]:
    """What sits beside the output besides the output itself and its lock file."""
    return sorted(p.name for p in parent.iterdir() if p.name not in (out.name, f".{out.name}.lock"))


@dataclass(frozen=True, slots=True)
class Networks:
    """Two versions of one synthetic network, and their complete builds."""

    old: Path
    new: Path
    old_site: Tree
    new_site: Tree
    seconds: float
    """How long one complete build takes here."""


@pytest.fixture(scope="module")
def networks(tmp_path_factory: pytest.TempPathFactory) -> Networks:
    base = tmp_path_factory.mktemp("networks")
    make_network_module().make_network(base / "old", MEMBERS, 11)
    retitled(base / "old", base / "new")
    began = time.perf_counter()
    build_now(base / "old", base / "old-site")
    seconds = time.perf_counter() - began
    build_now(base / "new", base / "new-site")
    old_site, new_site = tree(base / "old-site"), tree(base / "new-site")
    assert old_site.keys() & new_site.keys() and old_site != new_site
    return Networks(base / "old", base / "new", old_site, new_site, seconds)


Trigger = Callable[[], bool]


def staging_folders(parent: Path, out: Path) -> set[Path]:
    return set(parent.glob(f".{out.name}.new-*"))


def kill_when(proc: subprocess.Popen[str], trigger: Trigger, timeout: float) -> bool:
    """Kill the build (and its indexer) the moment ``trigger`` holds; False if it finished first."""
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        if trigger():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            return True
        time.sleep(0.0005)
    stdout, stderr = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, stdout + stderr
    return False


def test_a_build_killed_at_any_moment_leaves_the_old_or_the_new_site_never_a_mixture(
    networks: Networks, tmp_path: Path
) -> None:
    parent = tmp_path / "published"
    out = parent / "_site"
    build_now(networks.old, out)
    seed = random.randrange(1_000_000)
    rng = random.Random(seed)
    moments = ["check", "render", "search", "before swap", "after swap", "any", "any"]
    killed: list[str] = []
    for moment in moments:
        current = tree(out)
        root = networks.new if current == networks.old_site else networks.old
        inode = os.lstat(out).st_ino
        before = staging_folders(parent, out)
        began = time.monotonic()
        delay = rng.uniform(0.0, 0.3)
        anytime = rng.uniform(0.0, networks.seconds * 1.1)

        def reached(
            moment: str = moment,
            delay: float = delay,
            anytime: float = anytime,
            began: float = began,
            before: set[Path] = before,
            inode: int = inode,
        ) -> bool:
            elapsed = time.monotonic() - began
            fresh = staging_folders(parent, out) - before
            folder = next(iter(fresh)) if fresh else None
            if moment == "check":  # the site is being read and validated; nothing is written yet
                return elapsed > 0.3 + delay
            if moment == "render":
                return folder is not None and (folder / "members").is_dir() and elapsed > delay
            if moment == "search":  # Pagefind is writing its index into the staging folder
                return folder is not None and (folder / "pagefind").is_dir()
            if moment == "before swap":  # index finished: only the exchange remains
                return (
                    folder is not None
                    and (folder / "pagefind" / "pagefind-entry.json").is_file()
                    and not (folder / ".search").exists()
                )
            if moment == "after swap":  # the old site is being deleted
                return os.lstat(out).st_ino != inode
            return elapsed > anytime

        proc = start(root, out)
        if kill_when(proc, reached, timeout=60):
            killed.append(moment)
        after = tree(out)
        context = f"killed at {moment!r} (seed {seed})"
        assert after in (networks.old_site, networks.new_site), f"a mixture of two sites after being {context}"
        for name in others(parent, out):
            leftover = parent / name
            assert name.startswith("._site.new-"), context
            assert (leftover / MARKER).is_file() or not any(leftover.iterdir()), f"{name} unrecognisable, {context}"
    assert len(killed) >= len(moments) - 2, (
        f"only {killed} were killed; the build is too fast for this test (seed {seed})"
    )
    proc = subprocess.run(command(networks.new, out), capture_output=True, text=True, check=False, cwd=REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert tree(out) == networks.new_site
    assert others(parent, out) == []


def test_a_second_build_on_the_same_output_is_refused_while_the_first_finishes(
    networks: Networks, site_factory: SiteFactory, tmp_path: Path
) -> None:
    small = site_factory(base=BASE)
    parent = tmp_path / "published"
    out = parent / "_site"
    assert CliRunner().invoke(cli, ["-C", str(small), "build", "--today", TODAY, "-o", str(out)]).exit_code == 0
    first = start(networks.new, out)
    deadline = time.monotonic() + 60
    while not staging_folders(parent, out) and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert first.poll() is None, "the first build ended before it started writing"
    second = subprocess.run(
        [*command(small, out), "--no-search"], capture_output=True, text=True, check=False, cwd=REPO
    )
    assert first.poll() is None, "the first build ended while the second ran: the test proves nothing"
    assert second.returncode == 1
    assert second.stderr == (
        f"error: another build is writing {str(out)!r} right now; wait for it to finish and try again\n"
    )
    stdout, stderr = first.communicate(timeout=60)
    assert first.returncode == 0, stdout + stderr
    assert tree(out) == networks.new_site
    assert others(parent, out) == []


# --- Disks that are full or read-only ---------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Callable[[str], Path]]:
    """Mount size-limited tmpfs file systems (root only; skipped where mounting is refused)."""
    mounted: list[Path] = []

    def mount(size: str, point: Path | None = None) -> Path:
        point = point or tmp_path / f"disk{len(mounted)}"
        point.mkdir(parents=True)
        if os.geteuid() != 0:
            pytest.skip("mounting a small tmpfs needs root; the injected-error tests cover this case")
        proc = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(point)],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here ({proc.stderr.strip()}); the injected-error tests cover this")
        mounted.append(point)
        return point

    yield mount
    for point in reversed(mounted):
        subprocess.run(["umount", "-l", str(point)], check=False)


def run(root: Path, out: Path, *extra: str) -> tuple[int, str]:
    """A build through the CLI, in process; any exception but a clean exit fails the test."""
    result = CliRunner().invoke(
        cli, ["-C", str(root), "build", "--today", TODAY, "-o", str(out), *extra], catch_exceptions=False
    )
    return result.exit_code, result.output


def fill(disk: Path, room: int) -> Path:
    """Leave about ``room`` bytes free on ``disk``."""
    stats = os.statvfs(disk)
    free = stats.f_bavail * stats.f_frsize
    filler = disk / "filler"
    with filler.open("wb") as handle, contextlib.suppress(OSError):
        handle.write(b"\0" * max(0, free - room))
    return filler


@dataclass(frozen=True, slots=True)
class SmallSites:
    """Two versions of the small base site; every page differs between them."""

    old: Path
    new: Path


@pytest.fixture
def small_sites(site_factory: SiteFactory, tmp_path: Path) -> SmallSites:
    old = site_factory(base=BASE, name="old")
    return SmallSites(old, retitled(old, tmp_path / "new"))


def assert_refused_cleanly(code: int, output: str, out: Path, before: Tree, *words: str) -> None:
    """One line of error, no traceback, a non-zero exit, the old site byte for byte, nothing left beside it."""
    assert code != 0
    assert output.count("\n") == 1 and output.startswith("error: "), output
    for word in words:
        assert word in output
    assert tree(out) == before
    assert others(out.parent, out) == []


def test_a_full_disk_at_any_point_leaves_the_old_site(
    small_disk: Callable[[str], Path], small_sites: SmallSites
) -> None:
    disk = small_disk("6m")
    out = disk / "_site"
    assert run(small_sites.old, out)[0] == 0
    # The reference on the same kind of file system: Pagefind indexes in directory listing order.
    reference = small_disk("6m") / "_site"
    assert run(small_sites.new, reference)[0] == 0
    new_site = tree(reference)
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    failures: list[str] = []
    # From no room at all to enough for a second copy: the disk fills up while writing the
    # marker, the pages, the search documents, the index, or not at all.
    for room in [0, 2_000, 20_000, *(size * k // 8 for k in range(1, 12)), size * 3]:
        before = tree(out)
        filler = fill(disk, room)
        code, output = run(small_sites.new, out)
        filler.unlink()
        if code == 0:
            assert tree(out) == new_site
            assert others(disk, out) == []
            continue
        failures.append(output)
        assert_refused_cleanly(code, output, out, before)
        assert any(
            words in output
            for words in ("No space left on device", "most likely because the disk is full", "the disk is full")
        ), output
    assert failures, "the disk never filled up: the test proves nothing"
    assert code == 0, "a build with room for two sites failed"


def test_a_read_only_file_system_is_a_clear_error(small_disk: Callable[[str], Path], small_sites: SmallSites) -> None:
    disk = small_disk("8m")
    out = disk / "_site"
    assert run(small_sites.old, out)[0] == 0
    before = tree(out)
    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
    code, output = run(small_sites.new, out)
    assert_refused_cleanly(code, output, out, before, "Read-only file system", "._site.lock")


def test_an_output_that_is_a_mount_point_is_refused_before_rendering(
    small_disk: Callable[[str], Path], small_sites: SmallSites
) -> None:
    out = small_disk("1m", small_sites.new.parent / "published" / "_site")  # a volume mounted as the output
    code, output = run(small_sites.new, out)
    assert_refused_cleanly(code, output, out, {}, "is a mount point")


def oserror(code: int) -> Callable[..., None]:
    def fail(*args: object, **kwargs: object) -> None:
        raise OSError(code, os.strerror(code))

    return fail


@pytest.mark.parametrize(
    ("where", "code", "words"),
    [
        ("lock", errno.EROFS, ("cannot open the lock file", "Read-only file system")),
        ("staging", errno.EACCES, ("cannot create a folder beside", "Permission denied")),
        ("marker", errno.ENOSPC, ("cannot write the site into", "No space left on device")),
        ("page", errno.ENOSPC, ("cannot write the site into", "No space left on device")),
        ("index", errno.ENOSPC, ("cannot write the site into", "No space left on device")),
        ("swap", errno.EACCES, ("cannot put the new site in place of", "Permission denied")),
    ],
)
def test_an_injected_disk_error_at_each_step_leaves_the_old_site(
    small_sites: SmallSites, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str, code: int, words: tuple[str]
) -> None:
    """Where no small file system can be mounted, the same failures injected at each write."""
    out = tmp_path / "published" / "_site"
    assert run(small_sites.old, out)[0] == 0
    before = tree(out)
    if where == "lock":
        (out.parent / "._site.lock").unlink()
        real_open = Path.open

        def open_(self: Path, *args: object, **kwargs: object) -> object:
            if self.name == "._site.lock":
                raise OSError(code, os.strerror(code))
            return real_open(self, *args, **kwargs)  # type: ignore[call-overload]

        monkeypatch.setattr(Path, "open", open_)
    elif where == "staging":
        monkeypatch.setattr(write_module, "_new_folder", oserror(code))
    elif where == "marker":
        real_write_text = Path.write_text

        def write_text(self: Path, *args: object, **kwargs: object) -> int:
            if self.name == MARKER:
                raise OSError(code, os.strerror(code))
            return real_write_text(self, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(Path, "write_text", write_text)
    elif where == "page":
        real_write = write_module.Staging.write

        def write(self: write_module.Staging, item: write_module.Output) -> None:
            if item.path.endswith("members/ines-moreau/index.html"):
                raise OSError(code, os.strerror(code))
            real_write(self, item)

        monkeypatch.setattr(write_module.Staging, "write", write)
    elif where == "index":
        monkeypatch.setattr(build_module, "index_documents", oserror(code))
    else:
        monkeypatch.setattr(write_module, "_exchange", lambda a, b: False)
        real_rename = Path.rename

        def rename(self: Path, target: Path) -> Path:
            if self.name.startswith("._site.new-"):
                raise OSError(code, os.strerror(code))
            return real_rename(self, target)

        monkeypatch.setattr(Path, "rename", rename)
    code_, output = run(small_sites.new, out)
    monkeypatch.undo()
    assert_refused_cleanly(code_, output, out, before, *words)


# --- Leftovers and the theme ------------------------------------------------------------


class Killed(BaseException):
    """Stands for SIGKILL arriving in the middle of a deletion."""


def test_a_deletion_killed_part_way_leaves_a_folder_the_next_build_removes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Old sites and staging folders are deleted file by file: a kill must not strand one without its marker.

    Without a marker, no later build would dare delete the rest (it might be someone's).
    """
    out = tmp_path / "_site"
    leftover = tmp_path / "._site.new-killed"
    real_unlink = os.unlink
    for survive in range(0, 70, 3):
        leftover.mkdir()
        (leftover / MARKER).write_text("x", encoding="utf-8")
        for i in range(30):
            (leftover / f"page{i}.html").write_text("old", encoding="utf-8")
            (leftover / "members" / str(i)).mkdir(parents=True)
            (leftover / "members" / str(i) / "index.html").write_text("old", encoding="utf-8")
        calls = [0]

        def unlink(
            path: object, *args: object, survive: int = survive, calls: list[int] = calls, **kwargs: object
        ) -> None:
            calls[0] += 1
            if calls[0] > survive:
                raise Killed
            real_unlink(path, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(os, "unlink", unlink)
        with contextlib.suppress(Killed):
            clean_leftovers(out)
        monkeypatch.undo()
        if leftover.exists():
            assert (leftover / MARKER).is_file() or not any(leftover.iterdir()), f"stranded after {survive} deletions"
        clean_leftovers(out)  # the next build
        assert not leftover.exists()


def test_an_output_in_a_folder_that_does_not_exist_yet_is_built(small_sites: SmallSites, tmp_path: Path) -> None:
    out = tmp_path / "public" / "site"
    assert run(small_sites.new, out, "--no-search")[0] == 0
    assert (out / "index.html").is_file()


def test_an_empty_staging_folder_of_a_build_killed_at_birth_is_removed(tmp_path: Path) -> None:
    """Killed between creating its folder and writing the marker, a build leaves an empty folder."""
    empty = tmp_path / "._site.new-a1b2c3"
    empty.mkdir()
    foreign = tmp_path / "._site.new-mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep", encoding="utf-8")
    clean_leftovers(tmp_path / "_site")
    assert not empty.exists()
    assert (foreign / "notes.txt").read_text(encoding="utf-8") == "keep"


def test_the_published_folder_is_readable_by_the_web_server(small_sites: SmallSites, tmp_path: Path) -> None:
    """The staging folder becomes the site: it must not keep the private mode of a temporary folder."""
    out = tmp_path / "_site"
    assert run(small_sites.old, out, "--no-search")[0] == 0
    probe = tmp_path / "probe"
    probe.mkdir()
    assert out.stat().st_mode & 0o777 == probe.stat().st_mode & 0o777


@pytest.mark.parametrize(
    ("template", "text", "message"),
    [
        (
            "_footer.html",
            "{% include '_missing_part.html' %}",
            "error: the theme's template 'index.html' failed on index.html: it uses the template "
            "'_missing_part.html', which was not found in the theme's templates/ folders\n",
        ),
        (
            "_footer.html",
            "<link href=\"{{ asset('missing.css') }}\">",
            "error: the theme has no static file 'missing.css' (looked in its static/ folders)\n",
        ),
        (
            "_words.html",
            "{% include '_missing_words.html' %}",
            "error: the theme's template _words.html and _icons.html failed on fr: it uses the template "
            "'_missing_words.html', which was not found in the theme's templates/ folders\n",
        ),
    ],
)
def test_a_theme_with_a_missing_file_is_a_clear_error_and_the_old_site_stays(
    small_sites: SmallSites, tmp_path: Path, template: str, text: str, message: str
) -> None:
    out = tmp_path / "published" / "_site"
    assert run(small_sites.old, out)[0] == 0
    before = tree(out)
    broken = small_sites.new / "themes" / "default" / "templates" / template
    broken.parent.mkdir(parents=True)
    broken.write_text(text, encoding="utf-8")
    code, output = run(small_sites.new, out)
    assert_refused_cleanly(code, output, out, before, message.strip())
