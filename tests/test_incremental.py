"""Incremental builds: after any single change, the output is byte for byte what a clean build makes.

Each test builds a synthetic network with the cache, changes one thing, builds again
incrementally, and compares every file (search index included) with a clean build of
the changed site made without the cache. The incremental build must also have been
incremental: it rendered only some units and wrote only some files.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from generator import api as api_module
from generator import publish as publish_module
from generator import render as render_module
from generator import search as search_module
from generator.build import BuildFailed, BuildResult, build
from generator.cache import CACHE_DIR, load_signed, save_signed
from generator.check import check_site
from generator.cli import cli
from generator.publish import manifest_name

from .test_synthetic import make_network_module

TODAY = dt.date(2026, 11, 27)


@pytest.fixture(autouse=True)
def own_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test signs its caches with a key of its own, never the user's."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pristine") / "net"
    make_network_module().make_network(root, 60, 3)
    return root


@pytest.fixture
def network(pristine: Path, tmp_path: Path) -> Path:
    root = tmp_path / "net"
    shutil.copytree(pristine, root)
    return root


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def incremental(root: Path) -> BuildResult:
    return build(root, TODAY, output=root / "_site", cache=True)


def assert_same_as_clean(root: Path, tmp_path: Path) -> None:
    clean = tmp_path / "clean"
    build(root, TODAY, output=clean, cache=False)
    built, expected = tree(root / "_site"), tree(clean)
    assert sorted(built) == sorted(expected)
    different = [path for path in expected if built[path] != expected[path]]
    assert different == []


def engagements(root: Path) -> list[Path]:
    return sorted((root / "content" / "engagements").glob("*/*"))


def one_sided(root: Path) -> Path:
    """An engagement folder with exactly one attestation."""
    return next(folder for folder in engagements(root) if len(list(folder.glob("*.yml"))) == 2)


def both_attested(root: Path) -> Path:
    attested = (folder for folder in engagements(root) if len(list(folder.glob("*.yml"))) == 3)
    return next(folder for folder in attested if not _resolved(folder))


def _resolved(folder: Path) -> bool:
    return any("resolution" in p.name for p in folder.iterdir())


def edit_member(root: Path) -> None:
    path = sorted((root / "content" / "members").glob("*.yml"))[10]
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"(?m)^headline: .*$", 'headline: "Edited headline for the test"', text), encoding="utf-8")


def rename_member(root: Path) -> None:
    """Rename a member who is a party to engagements: their name is on other members' pages and API lines."""
    site = check_site(root, TODAY).site
    member_id = next(m for m in sorted(site.members) if len(site.engagements_by_member.get(m, ())) >= 2)
    path = root / "content" / "members" / f"{member_id}.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"(?m)^name: .*$", 'name: "Renamed For The Test"', text), encoding="utf-8")


def add_engagement(root: Path) -> None:
    source = one_sided(root)
    record = yaml.safe_load((source / "engagement.yml").read_text(encoding="utf-8"))
    folder = source.parent / "e9999999"
    folder.mkdir()
    (folder / "engagement.yml").write_text((source / "engagement.yml").read_text(encoding="utf-8"), encoding="utf-8")
    attestation = next(p for p in source.glob("*.yml") if p.name != "engagement.yml")
    shutil.copy(attestation, folder / attestation.name)
    assert record["client"] != record["supplier"]


def add_attestation(root: Path) -> None:
    """The missing attestation of a one-sided engagement of an earlier year (all its dates are past)."""
    for folder in engagements(root):
        files = sorted(p.name for p in folder.glob("*.yml"))
        if int(folder.parent.name) >= TODAY.year or len(files) != 2:
            continue
        record = yaml.safe_load((folder / "engagement.yml").read_text(encoding="utf-8"))
        missing = "supplier" if f"{record['client']}.yml" in files else "client"
        said = "delivery: on_time\nquality: 5\n" if missing == "client" else "payment: on_time\n"
        text = f"date: {TODAY.year}-01-02\n{said}relationship: 5\nrecommend: true\n"
        (folder / f"{record[missing]}.yml").write_text(text, encoding="utf-8")
        return
    raise AssertionError("the synthetic network has no one-sided engagement of an earlier year")


def remove_attestation(root: Path) -> None:
    folder = both_attested(root)
    next(p for p in sorted(folder.glob("*.yml")) if p.name != "engagement.yml").unlink()


def edit_template(root: Path) -> None:
    templates = root / "themes" / "default" / "templates"
    templates.mkdir(parents=True)
    shipped = Path(render_module.DEFAULT_THEME, "templates", "_footer.html").read_text(encoding="utf-8")
    (templates / "_footer.html").write_text(shipped.replace("</footer>", "<p>Edited footer</p></footer>"), "utf-8")


def edit_site_yml(root: Path) -> None:
    path = root / "site.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"(?m)^title: .*$", "title: Renamed network", text), encoding="utf-8")


def delete_member(root: Path) -> None:
    """Delete a member nobody refers to (no engagement, sponsors nobody, not a coordinator)."""
    site = check_site(root, TODAY).site
    referred = {s for m in site.members.values() for s in m.sponsors} | set(site.config.coordinators)
    free = [m for m in sorted(site.members) if m not in referred and not site.engagements_by_member.get(m)]
    assert free, "the synthetic network has no member without references"
    (root / "content" / "members" / f"{free[0]}.yml").unlink()


def rename_engagement(root: Path) -> None:
    folder = one_sided(root)
    folder.rename(folder.parent / "e8888888")


CHANGES: dict[str, Callable[[Path], None]] = {
    "member-edited": edit_member,
    "member-renamed": rename_member,
    "engagement-added": add_engagement,
    "attestation-added": add_attestation,
    "attestation-removed": remove_attestation,
    "template-edited": edit_template,
    "site-yml-edited": edit_site_yml,
    "file-deleted": delete_member,
    "file-renamed": rename_engagement,
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_incremental_build_equals_clean_build(change: str, network: Path, tmp_path: Path) -> None:
    first = incremental(network)
    assert first.published is not None and not first.published.incremental
    CHANGES[change](network)
    second = incremental(network)
    assert second.published is not None and second.published.incremental
    assert second.published.written > 0
    if change not in ("template-edited", "site-yml-edited"):
        # Only the pages that show what changed are drawn again, and fewer still written.
        assert second.published.kept > 0
        assert second.published.written < second.published.files / 4
    assert_same_as_clean(network, tmp_path)


MEMBER_PAGE = re.compile(r"(?:[a-z]{2}/)?members/([^/]+)/index\.html")


@pytest.mark.parametrize("change", ["attestation-added", "attestation-removed"])
def test_trust_moving_redraws_evidence_pages_and_only_the_member_pages_that_show_a_change(
    change: str, network: Path
) -> None:
    """A statement moves every member's trust a little; only the evidence pages print it.

    Every member page drawn again must differ from what the output held (its level,
    facts or engagements changed): none is drawn for a trust figure it does not show.
    """
    incremental(network)
    before = tree(network / "_site")
    CHANGES[change](network)
    drawn: list[str] = []
    member_unit = render_module._member_unit

    def spy(renderer: Any, member_id: str, previous: Any) -> Any:
        unit = member_unit(renderer, member_id, previous)
        if unit.outputs is not None:
            drawn.append(member_id)
        return unit

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(render_module, "_member_unit", spy)
        patch.setattr(render_module, "PARALLEL_THRESHOLD", 10**9)  # in this process, where the spy is
        incremental(network)
    after = tree(network / "_site")
    changed = {p for p in after if before.get(p) != after[p]}
    shown = {m[1] for p in changed if (m := MEMBER_PAGE.fullmatch(p))}
    evidence = {p.split("/")[-3] for p in changed if p.endswith("/evidence/index.html")}
    assert drawn and set(drawn) == shown
    assert len(evidence) > len(shown)  # the trust moved for more members than their pages show


@pytest.mark.parametrize("change", ["member-edited", "file-deleted"])
def test_only_the_shard_of_the_search_index_that_changed_is_indexed_again(
    change: str, network: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_module, "SHARD_MEMBERS", 15)  # 60 members: four shards
    incremental(network)
    site = network / "_site"
    bundles = sorted(p.name for p in site.iterdir() if p.name.startswith("pagefind"))
    assert bundles == ["pagefind", "pagefind-1", "pagefind-2", "pagefind-3"]
    assert '<form class="search-form" id="search-form" role="search" data-shards="4" hidden>' in (
        site / "index.html"
    ).read_text(encoding="utf-8")
    before = {p: p.stat().st_mtime_ns for name in bundles for p in (site / name).rglob("*") if p.is_file()}
    CHANGES[change](network)
    incremental(network)
    touched = {p.relative_to(site).parts[0] for p, t in before.items() if not p.exists() or p.stat().st_mtime_ns != t}
    assert len(touched) == 1, f"one member's change re-indexed {sorted(touched)}"
    assert_same_as_clean(network, tmp_path)


def test_a_new_number_of_shards_rebuilds_the_search_index(
    network: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_module, "SHARD_MEMBERS", 15)
    incremental(network)
    monkeypatch.setattr(search_module, "SHARD_MEMBERS", 40)  # as if the network had shrunk below three shards
    edit_member(network)  # (a build without any change would do nothing at all)
    incremental(network)
    assert sorted(p.name for p in (network / "_site").iterdir() if p.name.startswith("pagefind")) == [
        "pagefind",
        "pagefind-1",
    ]
    assert_same_as_clean(network, tmp_path)


def _count_api_lines(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the engagements whose ``api/engagements.json`` line is drawn (not copied from the last build)."""
    drawn: list[str] = []
    original = api_module._engagement_line

    def counted(site: Any, scores: Any, engagement: Any) -> bytes:
        drawn.append(engagement.id)
        return original(site, scores, engagement)

    monkeypatch.setattr(api_module, "_engagement_line", counted)
    return drawn


def test_only_the_api_lines_whose_inputs_changed_are_drawn_again(
    network: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    incremental(network)
    drawn = _count_api_lines(monkeypatch)
    edit_member(network)  # a headline: on no API line
    incremental(network)
    assert drawn == []
    rename_member(network)  # a party's name: on each of their engagements' lines
    incremental(network)
    site = check_site(network, TODAY).site
    renamed = next(m for m in site.members.values() if m.name == "Renamed For The Test")
    named = {*site.engagements_by_member[renamed.id], *(e for e, r in site.resolutions.items() if r.by == renamed.id)}
    assert sorted(drawn) == sorted(named)
    assert_same_as_clean(network, tmp_path)


@pytest.mark.parametrize("damage", ["garbage", "forged", "deleted"])
def test_a_bad_cache_of_api_lines_is_never_trusted(
    damage: str, network: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    incremental(network)
    kept = network / CACHE_DIR / render_module.API_LINES
    if damage == "garbage":
        kept.write_bytes(b"not a cache")
    elif damage == "forged":  # every line replaced, signed with another key: what a pull request could commit
        lines = load_signed(network, render_module.API_LINES)
        assert isinstance(lines, dict) and lines
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "attacker"))
        save_signed(network, render_module.API_LINES, dict.fromkeys(lines, b'{"forged":true}'))
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    else:
        kept.unlink()
    drawn = _count_api_lines(monkeypatch)
    rename_member(network)
    incremental(network)
    published = json.loads((network / "_site" / "api" / "engagements.json").read_text(encoding="utf-8"))
    assert len(drawn) == len(published["engagements"])  # every line drawn again, none copied
    assert_same_as_clean(network, tmp_path)


def test_nothing_changed_writes_nothing(network: Path) -> None:
    incremental(network)
    before = {p: p.stat().st_mtime_ns for p in (network / "_site").rglob("*") if p.is_file()}
    again = incremental(network)
    assert again.published is not None
    assert (again.published.written, again.published.removed, again.published.rendered) == (0, 0, 0)
    assert {p: p.stat().st_mtime_ns for p in (network / "_site").rglob("*") if p.is_file()} == before


def test_successive_changes_stay_identical(network: Path, tmp_path: Path) -> None:
    incremental(network)
    for change in ("member-edited", "attestation-removed", "engagement-added", "file-renamed"):
        CHANGES[change](network)
        incremental(network)
    assert_same_as_clean(network, tmp_path)


def test_a_page_edited_by_hand_is_written_again(network: Path, tmp_path: Path) -> None:
    incremental(network)
    page = next((network / "_site" / "members").glob("*/index.html"))
    page.write_text("defaced", encoding="utf-8")
    stray = network / "_site" / "pagefind" / "pagefind-entry.json"
    stray.unlink()
    result = incremental(network)
    assert result.published is not None and result.published.incremental and result.published.written >= 2
    assert_same_as_clean(network, tmp_path)


@pytest.mark.parametrize("damage", ["garbage", "truncated", "deleted-output"])
def test_bad_manifest_means_a_whole_build(damage: str, network: Path, tmp_path: Path) -> None:
    incremental(network)
    manifest = network / CACHE_DIR / manifest_name(network / "_site")
    if damage == "garbage":
        manifest.write_bytes(b"not a manifest")
    elif damage == "truncated":
        manifest.write_bytes(manifest.read_bytes()[:-100])
    else:
        shutil.rmtree(network / "_site")
    edit_member(network)
    result = incremental(network)
    assert result.published is not None and not result.published.incremental
    assert_same_as_clean(network, tmp_path)


def test_each_output_folder_has_its_own_manifest(network: Path, tmp_path: Path) -> None:
    incremental(network)
    elsewhere = build(network, TODAY, output=tmp_path / "elsewhere", cache=True)
    assert elsewhere.published is not None and not elsewhere.published.incremental
    edit_member(network)
    again = incremental(network)
    assert again.published is not None and again.published.incremental
    assert_same_as_clean(network, tmp_path)


def test_deleting_the_search_documents_rebuilds_them(network: Path, tmp_path: Path) -> None:
    incremental(network)
    for mirror in (network / CACHE_DIR).glob("search-*"):
        shutil.rmtree(mirror)
    result = incremental(network)
    assert result.published is not None and result.published.incremental and result.published.rendered > 0
    assert_same_as_clean(network, tmp_path)


def test_only_files_the_build_wrote_are_removed(network: Path) -> None:
    incremental(network)
    own = network / "_site" / "members" / "notes.txt"
    own.write_text("someone's file", encoding="utf-8")
    rename_engagement(network)
    incremental(network)
    assert own.read_text(encoding="utf-8") == "someone's file"


def test_parallel_and_serial_incremental_builds_are_identical(
    network: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    incremental(network)
    edit_member(network)
    monkeypatch.setattr(render_module, "PARALLEL_THRESHOLD", 1)
    monkeypatch.setattr(render_module, "CHUNK", 7)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    result = incremental(network)
    assert result.published is not None and result.published.incremental
    assert_same_as_clean(network, tmp_path)


def test_the_last_build_looked_at_in_a_forked_process_is_trusted_as_in_this_one(
    network: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pools: list[object] = []

    class CountedPool(ProcessPoolExecutor):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            pools.append(self)
            super().__init__(*args, **kwargs)

    incremental(network)
    monkeypatch.setattr(publish_module, "LOOK_AHEAD_BYTES", 0)
    monkeypatch.setattr(publish_module, "ProcessPoolExecutor", CountedPool)
    nothing = incremental(network)
    assert nothing.published is not None and nothing.published.written == 0 and nothing.published.rendered == 0
    page = next((network / "_site" / "members").glob("*/index.html"))
    page.write_text("defaced", encoding="utf-8")
    edit_member(network)
    result = incremental(network)
    assert len(pools) == 2, "each build looked at the last one in a forked process"
    assert result.published is not None and result.published.incremental
    assert 0 < result.published.rendered < result.published.kept
    assert_same_as_clean(network, tmp_path)


def test_a_forked_look_at_the_last_build_that_fails_is_taken_again(
    network: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class BrokenPool:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            pass

        def submit(self, *args: Any) -> Future[None]:
            failed: Future[None] = Future()
            failed.set_exception(BrokenProcessPool("the worker died"))
            return failed

        def shutdown(self, wait: bool) -> None:
            pass

    incremental(network)
    monkeypatch.setattr(publish_module, "LOOK_AHEAD_BYTES", 0)
    monkeypatch.setattr(publish_module, "ProcessPoolExecutor", BrokenPool)
    page = next((network / "_site" / "members").glob("*/index.html"))
    page.write_text("defaced", encoding="utf-8")
    result = incremental(network)
    assert result.published is not None and result.published.incremental and result.published.written >= 1
    assert_same_as_clean(network, tmp_path)


def test_a_build_with_nothing_to_do_reports_the_same_warnings(network: Path) -> None:
    for folder in engagements(network):
        record = yaml.safe_load((folder / "engagement.yml").read_text(encoding="utf-8"))
        client = folder / f"{record['client']}.yml"
        deadline = record.get("deadline")
        if deadline and client.is_file() and deadline + dt.timedelta(days=3) <= TODAY:
            text = client.read_text(encoding="utf-8")
            if "delivery: on_time" in text and "delivered:" not in text:
                late = deadline + dt.timedelta(days=3)
                client.write_text(text.replace("delivery: on_time", f"delivery: on_time\ndelivered: {late}"), "utf-8")
                break
    first = incremental(network)
    assert any(d.code == "inconsistent-date" for d in first.diagnostics)
    again = incremental(network)
    assert again.published is not None and again.published.rendered == 0
    assert again.diagnostics == first.diagnostics
    with pytest.raises(BuildFailed):  # --strict is another build: warnings fail it
        build(network, TODAY, output=network / "_site", cache=True, strict=True)


def test_another_build_into_the_same_output_is_never_mistaken_for_ours(
    network: Path, pristine: Path, tmp_path: Path
) -> None:
    """Two sites (or a build without the cache) into one folder: each build sees the other's work."""
    other = tmp_path / "other"
    shutil.copytree(pristine, other)
    rename_engagement(other)
    delete_member(other)
    output = network / "_site"
    incremental(network)
    build(other, TODAY, output=output, cache=True)
    result = incremental(network)
    assert result.published is not None and not result.published.incremental
    assert_same_as_clean(network, tmp_path)
    build(other, TODAY, output=output, cache=False)
    edit_member(network)
    again = incremental(network)
    assert again.published is not None and not again.published.incremental
    assert_same_as_clean(network, tmp_path)


def test_an_update_killed_at_any_moment_is_completed_by_the_next_build(network: Path, tmp_path: Path) -> None:
    """Killed while drawing, indexing or moving files in, the next build leaves exactly a clean build."""
    output = network / "_site"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    command = [sys.executable, "-m", "generator", "-C", str(network), "build", "--today", str(TODAY), "-o", str(output)]
    subprocess.run(command, check=True, capture_output=True, env=env)
    began = time.monotonic()
    edit_template(network)  # every page changes: the longest update there is
    subprocess.run(command, check=True, capture_output=True, env=env)
    whole = time.monotonic() - began
    rng = random.Random()
    for attempt in range(4):
        path = network / "themes" / "default" / "templates" / "_footer.html"
        path.write_text(path.read_text(encoding="utf-8").replace("Edited footer", f"Edited footer {attempt}"), "utf-8")
        proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.2, whole))
        proc.kill()
        proc.wait()
        assert not list(output.rglob(".*.tmp"))  # no half-written file is ever published
    finished = subprocess.run(command, check=False, capture_output=True, text=True, env=env)
    assert finished.returncode == 0, finished.stderr
    assert not [p.name for p in output.parent.iterdir() if p.name.startswith("._site.new-")]
    assert_same_as_clean(network, tmp_path)


def test_the_command_says_what_an_incremental_build_did(network: Path) -> None:
    runner = CliRunner()
    arguments = ["-C", str(network), "build", "--today", str(TODAY)]
    first = runner.invoke(cli, arguments)
    assert first.exit_code == 0 and "Incremental" not in first.output
    again = runner.invoke(cli, arguments)
    assert again.exit_code == 0 and "Nothing changed since the last build: no file was written." in again.output
    edit_member(network)
    edited = runner.invoke(cli, arguments)
    assert edited.exit_code == 0
    assert re.search(r"Incremental: \d+ of \d+ page groups drawn again, [1-9]\d* files written", edited.output)
