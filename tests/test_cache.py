"""The record cache: a warm check gives exactly what a cold one gives, and a bad cache is never used."""

from __future__ import annotations

import datetime as dt
import os
import pickle
import shutil
from pathlib import Path
from typing import Any

import jinja2
import pytest
from click.testing import CliRunner

from generator import build as build_module
from generator import cache as cache_module
from generator import check as check_module
from generator import discover as discover_module
from generator import markup as markup_module
from generator import render as render_module
from generator.build import build
from generator.cache import (
    CACHE_DIR,
    CHANGES_FILE,
    FORMAT,
    RECORDS_FILE,
    code_digest,
    load_records,
    load_signed,
    save_signed,
    stat_key,
)
from generator.check import CheckResult, check_site
from generator.cli import cli
from generator.discover import discover
from generator.render import MARKDOWN_FILE
from generator.template_cache import TEMPLATES_FILE

from .test_incremental import tree
from .test_synthetic import make_network_module

TODAY = dt.date(2026, 11, 27)


@pytest.fixture(autouse=True)
def own_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test signs its caches with a key of its own, never the user's."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))


@pytest.fixture
def network(tmp_path: Path) -> Path:
    root = tmp_path / "net"
    make_network_module().make_network(root, 60, 3)
    return root


def outcome(result: CheckResult) -> tuple[object, ...]:
    """What a check decides: every problem and the model (repr covers every field of every record)."""
    site = result.site
    return (
        result.diagnostics,
        result.files,
        repr(sorted(site.members.items())),
        repr(sorted(site.engagements.items())),
    )


def first_attestation(root: Path) -> Path:
    return next(p for p in sorted((root / "content" / "engagements").rglob("*.yml")) if p.name != "engagement.yml")


def test_warm_check_equals_cold_and_reuses_every_record(network: Path) -> None:
    cold = check_site(network, TODAY, cache=False)
    first = check_site(network, TODAY, cache=True)
    cached = load_records(network)
    assert len(cached) == cold.files
    warm = check_site(network, TODAY, cache=True)
    assert outcome(cold) == outcome(first) == outcome(warm)
    assert load_records(network).keys() == cached.keys()


def test_changed_file_is_parsed_again(network: Path) -> None:
    check_site(network, TODAY, cache=True)
    member = sorted((network / "content" / "members").glob("*.yml"))[0]
    text = member.read_text(encoding="utf-8")
    member.write_text(text.replace("headline:", "headline: Changed,", 1), encoding="utf-8")
    warm = check_site(network, TODAY, cache=True)
    assert outcome(warm) == outcome(check_site(network, TODAY, cache=False))
    assert warm.site.members[member.stem].headline.startswith("Changed,")


def test_new_error_and_fix_both_seen_through_the_cache(network: Path) -> None:
    check_site(network, TODAY, cache=True)
    target = first_attestation(network)
    good = target.read_bytes()
    target.write_bytes(good.replace(b"relationship:", b"relationship: [", 1))
    broken = check_site(network, TODAY, cache=True)
    assert any(d.path.endswith(target.name) and d.code == "yaml-syntax" for d in broken.diagnostics)
    assert outcome(broken) == outcome(check_site(network, TODAY, cache=False))
    target.write_bytes(good)
    assert outcome(check_site(network, TODAY, cache=True)) == outcome(check_site(network, TODAY, cache=False))


def test_deleted_and_added_files(network: Path) -> None:
    check_site(network, TODAY, cache=True)
    target = first_attestation(network)
    moved = target.with_name("renamed.yml")
    os.rename(target, moved)
    warm = check_site(network, TODAY, cache=True)
    assert outcome(warm) == outcome(check_site(network, TODAY, cache=False))
    assert any(d.path.endswith("renamed.yml") for d in warm.diagnostics)
    assert target.relative_to(network).as_posix() not in load_records(network)


def test_a_few_changes_are_kept_beside_the_whole_cache(network: Path) -> None:
    check_site(network, TODAY, cache=True)
    whole = network / CACHE_DIR / RECORDS_FILE
    before = whole.stat().st_mtime_ns, whole.read_bytes()
    member = sorted((network / "content" / "members").glob("*.yml"))[0]
    member.write_text(member.read_text(encoding="utf-8").replace("headline:", "headline: Changed,", 1), "utf-8")
    gone = first_attestation(network)
    gone.unlink()
    warm = check_site(network, TODAY, cache=True)
    assert (whole.stat().st_mtime_ns, whole.read_bytes()) == before  # only the changes were written
    assert (network / CACHE_DIR / CHANGES_FILE).is_file()
    records = load_records(network)
    assert records[member.relative_to(network).as_posix()][0] == stat_key(os.lstat(member))  # the new version
    assert gone.relative_to(network).as_posix() not in records
    assert outcome(warm) == outcome(check_site(network, TODAY, cache=True)) == outcome(check_site(network, TODAY))


def test_many_changes_rewrite_the_whole_cache(network: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache_module, "CHANGES_MIN", 0)
    monkeypatch.setattr(cache_module, "CHANGES_SHARE", 0.0)
    check_site(network, TODAY, cache=True)
    member = sorted((network / "content" / "members").glob("*.yml"))[0]
    member.write_text(member.read_text(encoding="utf-8").replace("headline:", "headline: Changed,", 1), "utf-8")
    warm = check_site(network, TODAY, cache=True)
    assert not (network / CACHE_DIR / CHANGES_FILE).exists()
    assert outcome(warm) == outcome(check_site(network, TODAY))
    assert len(load_records(network)) == warm.files


def test_changes_made_for_another_whole_cache_are_ignored(network: Path) -> None:
    """Changes name the whole file they apply to: a forged or stale one is never applied."""
    cold = check_site(network, TODAY, cache=True)
    path = sorted((network / "content" / "members").glob("*.yml"))[0].relative_to(network).as_posix()
    entry = load_records(network)[path]
    for tag in (b"", bytes(16)):  # no tag, another whole file's tag
        save_signed(network, CHANGES_FILE, (tag, {path: None}))
        assert path in load_records(network)
        assert outcome(check_site(network, TODAY, cache=True)) == outcome(cold)
    assert load_records(network)[path][0] == entry[0]


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage", "other-key", "forged"])
def test_damaged_or_foreign_cache_is_never_trusted(network: Path, damage: str, monkeypatch: pytest.MonkeyPatch) -> None:
    cold = check_site(network, TODAY, cache=False)
    check_site(network, TODAY, cache=True)
    path = network / CACHE_DIR / RECORDS_FILE
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "flip":
        path.write_bytes(data[:-10] + bytes([data[-10] ^ 1]) + data[-9:])
    elif damage == "garbage":
        path.write_bytes(b"not a cache at all")
    elif damage == "other-key":
        # A cache committed by someone else (another machine's key): its records say every
        # member is called "Forged", and none of it may be believed.
        monkeypatch.setenv("XDG_CACHE_HOME", str(network.parent / "other-machine"))
        records = load_records(network)
        assert records == {}
        check_site(network, TODAY, cache=True)
        monkeypatch.setenv("XDG_CACHE_HOME", str(network.parent / "xdg"))
    else:
        # The right header and a well-formed pickle that drops every problem, without the key's HMAC.
        entries = load_records(network)
        forged = {p: (key, digest, blob, flat, ()) for p, (key, digest, blob, flat, _) in entries.items()}
        header = FORMAT + RECORDS_FILE.encode() + b"\n" + code_digest()
        path.write_bytes(header + bytes(32) + pickle.dumps(forged))
    assert load_records(network) == {} or damage == "other-key"
    assert outcome(check_site(network, TODAY, cache=True)) == outcome(cold)
    assert len(load_records(network)) == cold.files  # rebuilt


def test_cli_no_cache_leaves_no_cache(network: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["-C", str(network), "check", "--no-cache", "--today", TODAY.isoformat()])
    assert result.exit_code == 0, result.output
    assert not (network / CACHE_DIR).exists()
    result = runner.invoke(cli, ["-C", str(network), "check", "--today", TODAY.isoformat()])
    assert result.exit_code == 0, result.output
    assert (network / CACHE_DIR / RECORDS_FILE).is_file()
    assert (network / CACHE_DIR / ".gitignore").read_text(encoding="utf-8").splitlines()[-1] == "*"


def test_cache_through_a_symlink_is_refused(network: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (network / CACHE_DIR).symlink_to(elsewhere)
    check_site(network, TODAY, cache=True)
    assert list(elsewhere.iterdir()) == []


def test_workers_pickles_are_the_whole_cache(network: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Records parsed by worker processes are kept as the workers pickled them, and read back whole."""
    with monkeypatch.context() as patch:
        patch.setattr(check_module, "PARALLEL_THRESHOLD", 0)
        patch.setattr(check_module, "CHUNK", 40)
        patch.setattr(cache_module, "pickled", lambda records: pytest.fail("the check pickled the records again"))
        parallel = check_site(network, TODAY, jobs=2, cache=True)
    _tag, chunks = load_signed(network, RECORDS_FILE)
    listing = discover(network, defer_folders=True)
    tasks = len(listing.files) + len(listing.folders)  # the records outside engagements, the engagement folders
    assert len(chunks) == -(-tasks // 40)  # one pickle per worker task
    assert len(load_records(network)) == parallel.files
    assert outcome(parallel) == outcome(check_site(network, TODAY, cache=False))
    assert outcome(check_site(network, TODAY, jobs=2, cache=True)) == outcome(parallel)


def test_a_fresh_clone_reuses_the_parses_of_the_same_content(
    network: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """New inodes and times (a clone, a restored CI cache): files are read again, but parsed only if changed."""
    check_site(network, TODAY, cache=True)
    clone = tmp_path / "clone"
    shutil.copytree(network, clone)  # every file and the cache, with new inodes and change times
    changed = sorted((clone / "content" / "members").glob("*.yml"))[0]
    changed.write_text(changed.read_text(encoding="utf-8").replace("headline:", "headline: Changed,", 1), "utf-8")
    parsed: list[str] = []
    real = check_module.load_read
    monkeypatch.setattr(check_module, "load_read", lambda path, data: parsed.append(path) or real(path, data))
    warm = check_site(clone, TODAY, cache=True)
    assert parsed == [changed.relative_to(clone).as_posix()]
    monkeypatch.setattr(check_module, "load_read", real)
    assert outcome(warm) == outcome(check_site(clone, TODAY, cache=False))
    records = load_records(clone)
    entry = records[changed.relative_to(clone).as_posix()]
    assert entry[0] == stat_key(os.lstat(changed))  # the clone's versions are kept
    assert all(records[p][0] == stat_key(os.lstat(clone / p)) for p in records)


def listed_folders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The engagement folders the walker lists from now on (each call of ``walk_engagement``)."""
    listed: list[str] = []
    real = discover_module._Walker.walk_engagement

    def spy(self: discover_module._Walker, year: str, eid: str) -> None:
        listed.append(eid)
        real(self, year, eid)

    monkeypatch.setattr(discover_module._Walker, "walk_engagement", spy)
    return listed


def test_unchanged_engagement_folders_are_not_listed_again(network: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(discover_module, "SETTLED_NS", 0)  # the folders were made a moment ago
    check_site(network, TODAY, cache=True)  # the first run makes the record cache
    first = check_site(network, TODAY, cache=True)  # the second lists the folders
    listed = listed_folders(monkeypatch)
    warm = check_site(network, TODAY, cache=True)
    assert listed == []
    assert outcome(warm) == outcome(first) == outcome(check_site(network, TODAY, cache=False))


@pytest.mark.parametrize("change", ["added", "removed", "renamed", "stray"])
def test_a_changed_engagement_folder_is_listed_again(
    network: Path, change: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(discover_module, "SETTLED_NS", 0)
    check_site(network, TODAY, cache=True)  # the first run makes the record cache
    check_site(network, TODAY, cache=True)  # the second lists the folders
    target = first_attestation(network)
    if change == "added":  # the other party's attestation, where there was none or one
        (target.parent / "someone-new.yml").write_bytes(target.read_bytes())
    elif change == "removed":
        target.unlink()
    elif change == "renamed":
        target.rename(target.with_name("renamed.yml"))
    else:
        (target.parent / "notes.txt").write_text("stray", encoding="utf-8")
    listed = listed_folders(monkeypatch)
    warm = check_site(network, TODAY, cache=True)
    assert listed == [target.parent.name]
    assert outcome(warm) == outcome(check_site(network, TODAY, cache=False))
    if change == "stray":  # a folder with a problem is never kept: the problem is reported on every run
        listed.clear()
        again = check_site(network, TODAY, cache=True)
        assert listed == [target.parent.name]
        assert any(d.code == "unexpected-file" and d.path.endswith("notes.txt") for d in again.diagnostics)


def test_a_folder_that_changed_just_before_the_listing_is_not_kept(network: Path) -> None:
    """The kernel's coarse clock could give a change made just after the listing the same stamp."""
    check_site(network, TODAY, cache=True)  # the first run makes the record cache
    check_site(network, TODAY, cache=True)  # the second lists the folders
    assert not load_signed(network, check_module.FOLDERS_FILE)  # every folder was made a moment ago


@pytest.mark.parametrize("shape", ["names", "stamps", "type", "path"])
def test_a_folders_cache_of_the_wrong_shape_is_ignored(
    network: Path, shape: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(discover_module, "SETTLED_NS", 0)
    check_site(network, TODAY, cache=True)  # the first run makes the record cache
    check_site(network, TODAY, cache=True)  # the second lists the folders
    saved = load_signed(network, check_module.FOLDERS_FILE)
    folder, (ctime, mtime, inode, names) = next(iter(saved.items()))
    bad: object = {
        "names": {**saved, folder: (ctime, mtime, inode, ("../../../etc/passwd",))},
        "stamps": {**saved, folder: ("now", mtime, inode, names)},
        "type": [saved],
        "path": {**saved, folder: (ctime, mtime, inode, ("x/y.yml",))},
    }[shape]
    save_signed(network, check_module.FOLDERS_FILE, bad)
    listed = listed_folders(monkeypatch)
    warm = check_site(network, TODAY, cache=True)
    assert len(listed) == len(saved)  # every folder listed again
    assert outcome(warm) == outcome(check_site(network, TODAY, cache=False))


def compiled_templates(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """The names of the templates Jinja compiles from now on."""
    compiled: list[str | None] = []
    real = jinja2.Environment.compile

    def spy(self: jinja2.Environment, source: str, name: str | None = None, *args: Any, **kwargs: Any) -> Any:
        compiled.append(name)
        return real(self, source, name, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", spy)
    return compiled


def test_compiled_templates_are_kept_for_the_next_build(network: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = network.parent / "out"
    build(network, TODAY, output=out, cache=True)
    assert load_signed(network, TEMPLATES_FILE)
    compiled = compiled_templates(monkeypatch)
    member = sorted((network / "content" / "members").glob("*.yml"))[0]
    member.write_text(member.read_text(encoding="utf-8").replace("headline:", "headline: Changed,", 1), "utf-8")
    build(network, TODAY, output=out, cache=True)
    assert [name for name in compiled if name is not None] == []
    templates = network / "themes" / "default" / "templates"
    templates.mkdir(parents=True)
    (templates / "_footer.html").write_text("<footer>Edited</footer>\n", encoding="utf-8")
    build(network, TODAY, output=out, cache=True)
    assert compiled == ["_footer.html"]  # the edited one, once for every language


@pytest.mark.parametrize("damage", ["garbage", "other-key"])
def test_a_damaged_or_foreign_templates_cache_is_ignored(
    network: Path, tmp_path: Path, damage: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    build(network, TODAY, output=out, cache=True)
    kept = network / CACHE_DIR / TEMPLATES_FILE
    if damage == "garbage":
        kept.write_bytes(kept.read_bytes()[:100] + b"\0" * 64)
    else:  # made with another machine's key: what a pull request could bring
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "elsewhere"))
        save_signed(network, TEMPLATES_FILE, {"member.html": b"forged"})
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    compiled = compiled_templates(monkeypatch)
    clean = tmp_path / "clean"
    build(network, TODAY, output=clean, cache=False)
    fresh = len(compiled)
    compiled.clear()
    shutil.rmtree(out)
    build(network, TODAY, output=out, cache=True)
    assert len(compiled) == fresh > 0  # every template compiled again
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == {
        p.relative_to(clean): p.read_bytes() for p in clean.rglob("*") if p.is_file()
    }


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_first_cached_check_takes_the_versions_as_it_reads(
    network: Path, jobs: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a record cache nothing is listed or stat'ed ahead of the parsing; the cache made is the usual one."""
    with monkeypatch.context() as patch:
        patch.setattr(check_module, "PARALLEL_THRESHOLD", 0)
        patch.setattr(check_module, "snapshot", lambda root: pytest.fail("a fresh site needs no snapshot"))
        first = check_site(network, TODAY, jobs=jobs, cache=True)
    assert outcome(first) == outcome(check_site(network, TODAY, cache=False))
    records = load_records(network)
    assert len(records) == first.files
    assert all(entry[0] == stat_key(os.lstat(network / path)) for path, entry in records.items())
    parsed: list[str] = []
    real = check_module.load_read
    monkeypatch.setattr(check_module, "load_read", lambda path, data: parsed.append(path) or real(path, data))
    assert outcome(check_site(network, TODAY, cache=True)) == outcome(first)
    assert parsed == []  # the next run reuses every record


def test_a_first_cached_build_is_stamped_for_the_next(network: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = network.parent / "out"
    with monkeypatch.context() as patch:
        patch.setattr(build_module, "snapshot", lambda root: pytest.fail("a fresh site needs no snapshot"))
        first = build(network, TODAY, output=out, cache=True)
    assert first.published is not None and not first.published.incremental
    again = build(network, TODAY, output=out, cache=True)  # nothing changed: nothing to do
    assert again.published is not None and again.published.incremental and again.published.written == 0
    assert again.published.rendered == 0
    assert set(again.timings) == {"check"}


LINKED_BIO = "bio: |\n  Trained at [the school](https://school.example.org/); see my **portfolio**.\n\n  > Quoted.\n"


class MarkdownRuns:
    """The bios of :func:`with_bios` Python-Markdown renders from now on, in any process (the feed's aside)."""

    def __init__(self, log: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.log = log
        real = markup_module._convert

        def spy(text: str) -> str | None:
            if "school" in text:
                with log.open("a", encoding="utf-8") as file:  # from a worker process too
                    file.write(text.replace("\n", " ") + "\n")
            return real(text)

        monkeypatch.setattr(markup_module, "_convert", spy)

    def texts(self) -> list[str]:
        return self.log.read_text("utf-8").splitlines() if self.log.exists() else []

    def clear(self) -> None:
        self.log.unlink(missing_ok=True)


def with_bios(root: Path, count: int) -> list[Path]:
    """Give ``count`` members a bio that only Python-Markdown can render (a link, a quote)."""
    members = [p for p in sorted((root / "content" / "members").glob("*.yml")) if "bio:" not in p.read_text("utf-8")]
    for number, member in enumerate(members[:count]):
        member.write_text(member.read_text("utf-8") + LINKED_BIO.replace("school", f"school{number}"), "utf-8")
    return members[:count]


@pytest.mark.parametrize("jobs", [1, 2])
def test_rendered_markdown_is_kept_for_the_next_build(
    network: Path, tmp_path: Path, jobs: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build that draws every page again runs Python-Markdown only on texts it never saw; same bytes."""
    monkeypatch.setattr(render_module, "PARALLEL_THRESHOLD", 1)
    real_render_units = render_module.render_units
    monkeypatch.setattr(build_module, "render_units", lambda *a, **k: real_render_units(*a, **{**k, "jobs": jobs}))
    bios = with_bios(network, 3)
    out = tmp_path / "out"
    runs = MarkdownRuns(tmp_path / "runs.txt", monkeypatch)
    build(network, TODAY, output=out, cache=True)
    assert sum("school0" in text for text in runs.texts()) == 1
    assert len(load_signed(network, MARKDOWN_FILE)) >= 3
    runs.clear()
    templates = network / "themes" / "default" / "templates"
    templates.mkdir(parents=True)
    (templates / "_footer.html").write_text("<footer>Edited</footer>\n", encoding="utf-8")
    build(network, TODAY, output=out, cache=True)  # every page drawn again
    assert runs.texts() == []
    bios[0].write_text(bios[0].read_text("utf-8").replace("Quoted.", "Quoted again."), "utf-8")
    build(network, TODAY, output=out, cache=True)  # one page drawn: the others' Markdown stays kept
    assert runs.texts() != [] and all("school0" in text for text in runs.texts())
    runs.clear()
    shutil.rmtree(out)
    build(network, TODAY, output=out, cache=True)
    assert runs.texts() == []
    clean = tmp_path / "clean"
    build(network, TODAY, output=clean, cache=False)
    assert tree(out) == tree(clean)
    assert len(runs.texts()) == 3  # --no-cache neither reads nor keeps it: each bio rendered


def test_markdown_no_longer_used_is_dropped_by_a_complete_build(network: Path, tmp_path: Path) -> None:
    bios = with_bios(network, 2)
    out = tmp_path / "out"
    build(network, TODAY, output=out, cache=True)
    kept = len(load_signed(network, MARKDOWN_FILE))
    bios[1].write_text(bios[1].read_text("utf-8").replace("Quoted.", "Quoted again."), "utf-8")
    build(network, TODAY, output=out, cache=True)
    assert len(load_signed(network, MARKDOWN_FILE)) == kept + 1  # an incremental build merges
    shutil.rmtree(out)
    build(network, TODAY, output=out, cache=True)
    assert len(load_signed(network, MARKDOWN_FILE)) == kept  # a complete one keeps what it used


@pytest.mark.parametrize("damage", ["garbage", "other-key", "wrong-shape"])
def test_a_damaged_or_foreign_markdown_cache_is_ignored(
    network: Path, tmp_path: Path, damage: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_bios(network, 2)
    out = tmp_path / "out"
    build(network, TODAY, output=out, cache=True)
    kept = network / CACHE_DIR / MARKDOWN_FILE
    forged = dict.fromkeys(load_signed(network, MARKDOWN_FILE), b"<script>alert(1)</script>")
    if damage == "garbage":
        kept.write_bytes(kept.read_bytes()[:100] + b"\0" * 64)
    elif damage == "other-key":  # made with another machine's key: what a pull request could bring
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "elsewhere"))
        save_signed(network, MARKDOWN_FILE, forged)
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    else:
        save_signed(network, MARKDOWN_FILE, {digest.hex(): "text" for digest in forged})
    runs = MarkdownRuns(tmp_path / "runs.txt", monkeypatch)
    shutil.rmtree(out)
    build(network, TODAY, output=out, cache=True)
    assert len(runs.texts()) == 2  # rendered again
    clean = tmp_path / "clean"
    build(network, TODAY, output=clean, cache=False)
    assert tree(out) == tree(clean)
    assert not any(b"alert(1)" in content for content in tree(out).values())
