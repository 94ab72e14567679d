"""``triangle build`` end to end: deterministic, atomic, and silent about nothing."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from click.testing import CliRunner

from generator.cli import cli

from .conftest import TODAY, SiteFactory

BASE = Path(__file__).parent / "invalid" / "_base"


def digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_two_builds_of_the_same_content_are_byte_identical(site_factory: SiteFactory, tmp_path: Path) -> None:
    root = site_factory(base=BASE)
    code, output = run("-C", str(root), "build", "--today", TODAY, "-o", str(tmp_path / "one"))
    assert code == 0, output
    assert re.fullmatch(r"Built 3 members, 2 engagements, \d+ pages in \d+\.\d s into .*/one\n", output)
    code, output = run("-C", str(root), "build", "--today", TODAY, "-o", str(tmp_path / "two"))
    assert code == 0, output
    first, second = digest(tmp_path / "one"), digest(tmp_path / "two")
    assert first == second
    assert "index.html" in first and "en/index.html" in first and "members/ines-moreau/index.html" in first


def test_the_build_date_changes_only_what_depends_on_it(site_factory: SiteFactory, tmp_path: Path) -> None:
    root = site_factory(base=BASE)
    run("-C", str(root), "build", "--today", TODAY, "-o", str(tmp_path / "one"))
    run("-C", str(root), "build", "--today", "2026-11-28", "-o", str(tmp_path / "two"))
    assert digest(tmp_path / "one") != digest(tmp_path / "two")


def test_an_invalid_site_is_not_built_and_the_old_site_stays(site_factory: SiteFactory, tmp_path: Path) -> None:
    root = site_factory(base=BASE)
    out = tmp_path / "published"
    assert run("-C", str(root), "build", "--today", TODAY, "-o", str(out))[0] == 0
    before = digest(out)
    member = root / "content" / "members" / "claire-dubois.yml"
    member.write_text(member.read_text(encoding="utf-8").replace("kind: person", "kind: robot"), encoding="utf-8")
    code, output = run("-C", str(root), "build", "--today", TODAY, "-o", str(out))
    assert code == 1
    assert "content/members/claire-dubois.yml:2:7: error[invalid-choice]" in output
    assert "error: the site is invalid (1 error); nothing was written" in output
    assert digest(out) == before


def test_strict_turns_warnings_into_errors(site_factory: SiteFactory, tmp_path: Path) -> None:
    root = site_factory(base=BASE)
    attestation = root / "content/engagements/2026/site-refresh/claire-dubois.yml"
    attestation.write_text(
        attestation.read_text(encoding="utf-8").replace("paid: 2026-04-28", "paid: 2026-05-02"), encoding="utf-8"
    )
    code, output = run("-C", str(root), "build", "--today", TODAY, "-o", str(tmp_path / "lenient"))
    assert code == 0
    assert "warning[inconsistent-date]" in output
    code, output = run("-C", str(root), "build", "--strict", "--today", TODAY, "-o", str(tmp_path / "strict"))
    assert code == 1
    assert "error[inconsistent-date]" in output
    assert not (tmp_path / "strict").exists()


def test_building_over_a_foreign_folder_is_refused(site_factory: SiteFactory, tmp_path: Path) -> None:
    root = site_factory(base=BASE)
    out = tmp_path / "docs"
    out.mkdir()
    (out / "notes.md").write_text("mine", encoding="utf-8")
    code, output = run("-C", str(root), "build", "--today", TODAY, "-o", str(out))
    assert code == 1
    assert "was not built by Triangle" in output
    assert (out / "notes.md").read_text(encoding="utf-8") == "mine"


def test_default_output_comes_from_site_yml(site_factory: SiteFactory) -> None:
    root = site_factory(base=BASE)
    (root / "site.yml").write_text(
        (root / "site.yml").read_text(encoding="utf-8") + "output: public\n", encoding="utf-8"
    )
    code, output = run("-C", str(root), "build", "--today", TODAY, "--no-search")
    assert code == 0, output
    assert (root / "public" / "index.html").is_file()
    assert not (root / "public" / "pagefind").exists()
