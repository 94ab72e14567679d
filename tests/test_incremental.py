"""Incremental builds: after any single change, the output is byte for byte what a clean build makes.

Each test builds a synthetic network with the cache, changes one thing, builds again
incrementally, and compares every file (search index included) with a clean build of
the changed site made without the cache. The incremental build must also have been
incremental: it rendered only some units and wrote only some files.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from generator import render as render_module
from generator.build import BuildResult, build
from generator.cache import CACHE_DIR
from generator.check import check_site
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


def add_engagement(root: Path) -> None:
    source = one_sided(root)
    record = yaml.safe_load((source / "engagement.yml").read_text(encoding="utf-8"))
    folder = source.parent / "e9999999"
    folder.mkdir()
    (folder / "engagement.yml").write_text((source / "engagement.yml").read_text(encoding="utf-8"), encoding="utf-8")
    attestation = next(p for p in source.glob("*.yml") if p.name != "engagement.yml")
    shutil.copy(attestation, folder / attestation.name)
    assert record["client"] != record["supplier"]


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
    "engagement-added": add_engagement,
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
        # Only the pages that show what changed are drawn again.
        assert second.published.kept > second.published.rendered
        assert second.published.written < second.published.files / 4
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


@pytest.mark.parametrize("damage", ["garbage", "truncated", "deleted-output", "other-output"])
def test_bad_manifest_means_a_whole_build(damage: str, network: Path, tmp_path: Path) -> None:
    incremental(network)
    manifest = network / CACHE_DIR / manifest_name(network / "_site")
    if damage == "garbage":
        manifest.write_bytes(b"not a manifest")
    elif damage == "truncated":
        manifest.write_bytes(manifest.read_bytes()[:-100])
    elif damage == "deleted-output":
        shutil.rmtree(network / "_site")
    else:
        build(network, TODAY, output=tmp_path / "elsewhere", cache=True)
    edit_member(network)
    result = incremental(network)
    assert result.published is not None and not result.published.incremental
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
