"""``triangle check`` as members and CI run it: formats, exit codes, paths, build date."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import cli
from generator.diagnostics import Diagnostic, Position, Severity
from generator.report import github_line

from .conftest import REPO, TODAY, SiteFactory

BASE = Path(__file__).parent / "invalid" / "_base"


def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False, env=env)
    return result.exit_code, result.output


def broken_site(site_factory: SiteFactory) -> Path:
    return site_factory(
        {
            "content/members/ines-moreau.yml": """
                name: Inès Moreau
                kind: persn
                headline: Motion designer
                region: ile-de-france
                skills: [motion-design]
                joined: 2024-09-02
            """,
            "content/members/atelier-lumen.yml": """
                name: Atelier Lumen
                kind: organisation
                headline: Graphic design studio
                region: auvergne-rhone-alpes
                skills: [graphic-design, graphic-design]
                joined: 2023-03-01
            """,
        },
        base=BASE,
    )


def test_demo_network_is_clean_and_strict() -> None:
    code, output = invoke("-C", str(REPO), "check", "--strict", "--today", TODAY)
    assert code == 0, output
    assert re.fullmatch(r"No problems found in \d+ files\.\n", output)


def test_demo_network_as_a_real_subprocess() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "generator", "-C", str(REPO), "check", "--strict", "--today", TODAY],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("No problems found in ")
    assert proc.stderr == ""


def test_text_format_lists_every_problem_then_a_summary(site_factory: SiteFactory) -> None:
    root = broken_site(site_factory)
    code, output = invoke("-C", str(root), "check", "--today", TODAY)
    assert code == 1
    assert output.splitlines() == [
        "content/members/atelier-lumen.yml:5:26: error[duplicate-item]: 'graphic-design' is listed twice; keep it once",
        "content/members/ines-moreau.yml:2:7: error[invalid-choice]: expected one of 'person', 'organisation' "
        "(got 'persn'); did you mean 'person'?",
        "2 errors in 2 files.",
    ]


def test_paths_restrict_the_report_but_not_the_checks(site_factory: SiteFactory) -> None:
    root = broken_site(site_factory)
    code, output = invoke("-C", str(root), "check", "--today", TODAY, str(root / "content/members/ines-moreau.yml"))
    assert code == 1
    assert [line.split(":")[0] for line in output.splitlines()[:-1]] == ["content/members/ines-moreau.yml"]
    code, output = invoke("-C", str(root), "check", "--today", TODAY, str(root / "content/engagements"))
    assert (code, output.splitlines()[-1]) == (0, "No problems found in 9 files.")


def test_json_format(site_factory: SiteFactory) -> None:
    root = broken_site(site_factory)
    code, output = invoke("-C", str(root), "check", "--format", "json", "--today", TODAY)
    assert code == 1
    problems = json.loads(output)
    assert problems[1] == {
        "path": "content/members/ines-moreau.yml",
        "line": 2,
        "column": 7,
        "severity": "error",
        "code": "invalid-choice",
        "message": "expected one of 'person', 'organisation' (got 'persn'); did you mean 'person'?",
    }


def test_github_format_escapes_and_caps_annotations(site_factory: SiteFactory) -> None:
    root = broken_site(site_factory)
    code, output = invoke("-C", str(root), "check", "--format", "github", "--today", TODAY)
    assert code == 1
    assert output.splitlines()[1] == (
        "::error file=content/members/ines-moreau.yml,line=2,col=7,title=invalid-choice::expected one of "
        "'person', 'organisation' (got 'persn'); did you mean 'person'?"
    )
    tricky = Diagnostic("a,b:c.yml", Position(3, 4), Severity.WARNING, "too-long", "50% done\nnext, line")
    assert github_line(tricky) == "::warning file=a%2Cb%3Ac.yml,line=3,col=4,title=too-long::50%25 done%0Anext, line"


def test_github_format_notes_what_it_cannot_annotate(site_factory: SiteFactory) -> None:
    files = {
        f"content/members/m{i:02d}.yml": "name: X\nkind: person\nheadline: H\nregion: r\n"
        "skills: [Bad]\njoined: 2024-01-01\n"
        for i in range(12)
    }
    root = site_factory(files, base=BASE)
    code, output = invoke("-C", str(root), "check", "--format", "github", "--today", TODAY)
    lines = output.splitlines()
    assert code == 1
    assert sum(line.startswith("::error ") for line in lines) == 10
    assert "::notice title=More problems::2 more problems are listed in the log below" in output
    assert lines[-1] == "12 errors in 12 files."


def test_build_date_comes_from_source_date_epoch(site_factory: SiteFactory) -> None:
    root = site_factory(base=BASE)
    # 2025-04-19: the day before the supplier's attestation was written.
    code, output = invoke("-C", str(root), "check", env={"SOURCE_DATE_EPOCH": "1745020800"})
    assert code == 1
    assert "is after today (2025-04-19)" in output
    code, output = invoke("-C", str(root), "check", env={"SOURCE_DATE_EPOCH": "soon"})
    assert code == 2
    assert "error: SOURCE_DATE_EPOCH='soon' is not a number of seconds since 1970; fix or unset it" in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "--today", "2026-02-30"], "'2026-02-30' is not a date written YYYY-MM-DD"),
        (["check", "--format", "xml"], "'xml' is not one of 'text', 'github', 'json'"),
        (["check", "/"], "error: '/' is not inside the site folder"),
        (["check", "content/nothing-here"], "error: 'content/nothing-here' does not exist"),
    ],
)
def test_usage_errors_exit_2_without_traceback(args: list[str], message: str) -> None:
    cwd = Path.cwd()
    os.chdir(BASE)
    try:
        code, output = invoke(*args)
    finally:
        os.chdir(cwd)
    assert code == 2
    assert message in output
    assert "Traceback" not in output


def test_missing_site_yml_is_a_usage_error(tmp_path: Path) -> None:
    code, output = invoke("-C", str(tmp_path), "check")
    assert code == 2
    assert (
        output
        == f"error: there is no site.yml in {str(tmp_path)!r}: run Triangle from a site's folder, or pass -C DIR\n"
    )


def test_schema_command_writes_what_is_committed(tmp_path: Path) -> None:
    code, _ = invoke("schema", "--out", str(tmp_path))
    assert code == 0
    for path in sorted(tmp_path.iterdir()):
        assert path.read_text(encoding="utf-8") == (REPO / "schemas" / path.name).read_text(encoding="utf-8"), (
            f"schemas/{path.name} is stale: run 'triangle schema'"
        )
    code, output = invoke("schema", "--reference")
    assert output == (REPO / "docs" / "reference.md").read_text(encoding="utf-8"), (
        "docs/reference.md is stale: run 'triangle schema --reference > docs/reference.md'"
    )
