"""The writer never loses a good site: atomic swap, markers, locks, paths kept inside."""

from __future__ import annotations

import errno
import fcntl
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator import write as write_module
from generator.write import MARKER, Output, OutputError, write_site


def pages(*names: str, text: str = "new") -> list[Output]:
    return [Output(name, f"{text}:{name}".encode()) for name in names]


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_first_build_creates_the_output_with_its_marker(tmp_path: Path) -> None:
    out = tmp_path / "_site"
    assert write_site(out, pages("index.html", "members/a/index.html")) == 2
    assert set(tree(out)) == {MARKER, "index.html", "members/a/index.html"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["._site.lock", "_site"]


def test_rebuild_replaces_the_whole_site(tmp_path: Path) -> None:
    out = tmp_path / "_site"
    write_site(out, pages("index.html", "old.html", text="v1"))
    write_site(out, pages("index.html", text="v2"))
    assert tree(out) == {MARKER: tree(out)[MARKER], "index.html": b"v2:index.html"}


def failing(after: int) -> Iterator[Output]:
    yield from pages(*(f"p{i}.html" for i in range(after)))
    raise RuntimeError("a template blew up")


def test_a_failed_render_leaves_the_previous_site_untouched(tmp_path: Path) -> None:
    out = tmp_path / "_site"
    write_site(out, pages("index.html", text="good"))
    before = tree(out)
    with pytest.raises(RuntimeError, match="a template blew up"):
        write_site(out, failing(after=3))
    assert tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["._site.lock", "_site"]


def test_a_full_disk_is_a_clear_error_and_the_old_site_stays(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "_site"
    write_site(out, pages("index.html", text="good"))
    before = tree(out)
    real_write = write_module.Staging.write
    calls = {"n": 0}

    def full_disk(self: write_module.Staging, item: Output) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(self, item)

    monkeypatch.setattr(write_module.Staging, "write", full_disk)
    with pytest.raises(OutputError, match=r"cannot write the site into .*: No space left on device"):
        write_site(out, pages("a.html", "b.html", "c.html"))
    assert tree(out) == before


def test_a_folder_triangle_did_not_create_is_never_replaced(tmp_path: Path) -> None:
    out = tmp_path / "_site"
    out.mkdir()
    (out / "precious.txt").write_text("my notes", encoding="utf-8")
    with pytest.raises(OutputError, match=r"was not built by Triangle .* never deletes a folder it did not create"):
        write_site(out, pages("index.html"))
    assert (out / "precious.txt").read_text(encoding="utf-8") == "my notes"


def test_a_file_in_place_of_the_output_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "_site"
    out.write_text("not a folder", encoding="utf-8")
    with pytest.raises(OutputError, match="exists and is not a folder Triangle built"):
        write_site(out, pages("index.html"))
    assert out.read_text(encoding="utf-8") == "not a folder"


def test_an_empty_folder_may_be_used(tmp_path: Path) -> None:
    out = tmp_path / "_site"
    out.mkdir()
    write_site(out, pages("index.html"))
    assert "index.html" in tree(out)


def test_a_second_build_at_once_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "_site"
    write_site(out, pages("index.html", text="good"))
    with (tmp_path / "._site.lock").open("a") as holder:
        fcntl.flock(holder.fileno(), fcntl.LOCK_EX)
        with pytest.raises(OutputError, match=r"another build is writing .* right now"):
            write_site(out, pages("index.html", text="other"))
    assert tree(out)["index.html"] == b"good:index.html"


@pytest.mark.parametrize("bad", ["../escape.html", "/etc/passwd", "a/../../b", "", "a//b", "a\\b", "./x"])
def test_output_paths_cannot_leave_the_site(tmp_path: Path, bad: str) -> None:
    with pytest.raises(AssertionError, match="refusing to write outside the site"):
        write_site(tmp_path / "_site", [Output(bad, b"x")])
    assert not (tmp_path / "escape.html").exists()


def test_leftovers_of_killed_builds_are_cleaned_but_nothing_else(tmp_path: Path) -> None:
    out = tmp_path / "_site"
    killed = tmp_path / "._site.new-abc123"
    killed.mkdir()
    (killed / MARKER).write_text("x", encoding="utf-8")
    foreign = tmp_path / "._site.new-notours"
    foreign.mkdir()
    (foreign / "mine.txt").write_text("keep", encoding="utf-8")  # an empty one would be removed (rmdir)
    write_site(out, pages("index.html"))
    assert not killed.exists()
    assert (foreign / "mine.txt").read_text(encoding="utf-8") == "keep"


def test_swap_without_atomic_exchange_still_keeps_a_complete_site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "_site"
    write_site(out, pages("index.html", text="v1"))
    monkeypatch.setattr(write_module, "_exchange", lambda a, b: False)
    write_site(out, pages("index.html", text="v2"))
    assert tree(out)["index.html"] == b"v2:index.html"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["._site.lock", "_site"]


def test_the_finish_step_runs_on_the_complete_staging_folder(tmp_path: Path) -> None:
    seen: list[set[str]] = []
    write_site(tmp_path / "_site", pages("a.html", "b/c.html"), finish=lambda folder: seen.append(set(tree(folder))))
    assert seen == [{MARKER, "a.html", "b/c.html"}]
