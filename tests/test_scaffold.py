"""``triangle new member|engagement`` and ``triangle attest``: valid records, never an overwrite."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from generator import safe_write
from generator.cli import cli
from generator.scaffold import engagement_id, schema_header

from .conftest import REPO, TODAY, SiteFactory

BASE = Path(__file__).parent / "invalid" / "_base"
"""A small valid network: atelier-lumen, ines-moreau, claire-dubois and two engagements."""


@pytest.fixture
def site(site_factory: SiteFactory) -> Path:
    root = site_factory(base=BASE)
    (root / "schemas").mkdir()
    for schema in (REPO / "schemas").glob("*.schema.json"):
        (root / "schemas" / schema.name).write_bytes(schema.read_bytes())
    return root


def run(root: Path, *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["-C", str(root), *args, "--today", TODAY], input=stdin, catch_exceptions=False)


def check(root: Path) -> Result:
    return CliRunner().invoke(cli, ["-C", str(root), "check", "--strict", "--today", TODAY], catch_exceptions=False)


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


MEMBER_FLAGS = (
    "--name",
    "Léa Girard",
    "--kind",
    "person",
    "--headline",
    "Graphiste : identités et affiches",
    "--region",
    "ile-de-france",
    "--skills",
    "graphic-design, poster-design",
    "--sponsors",
    "atelier-lumen",
    "--link",
    "website=https://lea.example.org/",
)


def test_new_member_writes_a_valid_canonical_record(site: Path) -> None:
    result = run(site, "new", "member", "lea-girard", *MEMBER_FLAGS, "--languages", "fr,en")
    assert result.exit_code == 0, result.output
    assert result.output == (
        "wrote content/members/lea-girard.yml\n"
        "next: commit content/members/lea-girard.yml and open a pull request; a coordinator reviews and merges it\n"
    )
    assert (site / "content/members/lea-girard.yml").read_text(encoding="utf-8") == (
        "# yaml-language-server: $schema=../../schemas/member.schema.json\n"
        "name: Léa Girard\n"
        "kind: person\n"
        'headline: "Graphiste : identités et affiches"\n'
        "region: ile-de-france\n"
        "skills: [graphic-design, poster-design]\n"
        "languages: [fr, en]\n"
        f"joined: {TODAY}\n"
        "sponsors: [atelier-lumen]\n"
        "links:\n"
        "  website: https://lea.example.org/\n"
    )
    assert check(site).exit_code == 0
    fmt = CliRunner().invoke(cli, ["-C", str(site), "fmt", "--check", str(site / "content/members/lea-girard.yml")])
    assert fmt.exit_code == 0, fmt.output


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("content/members/x.yml", "member"),
        ("content/engagements/2026/e/engagement.yml", "engagement"),
        ("content/engagements/2026/e/x.yml", "attestation"),
        ("content/resolutions/e.yml", "resolution"),
    ],
)
def test_schema_line_points_at_the_schema_file(path: str, kind: str) -> None:
    header = schema_header(path, kind)
    relative = header.removeprefix("# yaml-language-server: $schema=").strip()
    assert ((REPO / path).parent / relative).resolve() == REPO / "schemas" / f"{kind}.schema.json"
    assert (REPO / "schemas" / f"{kind}.schema.json").is_file()


def test_new_engagement_makes_an_id_from_title_and_year(site: Path) -> None:
    result = run(
        site,
        "new",
        "engagement",
        "--client",
        "ines-moreau",
        "--supplier",
        "claire-dubois",
        "--title",
        "Portraits pour l'été !",
        "--skills",
        "photography",
        "--started",
        "2026-06-01",
        "--deadline",
        "2026-06-30",
        "--invoice-due",
        "2026-07-31",
    )
    assert result.exit_code == 0, result.output
    path = "content/engagements/2026/portraits-pour-l-ete-2026/engagement.yml"
    assert result.output.splitlines() == [
        f"wrote {path}",
        f"next: commit {path}; then each party attests it, the client and the supplier:",
        "  triangle attest portraits-pour-l-ete-2026 --as ines-moreau",
        "  triangle attest portraits-pour-l-ete-2026 --as claire-dubois",
    ]
    assert (site / path).read_text(encoding="utf-8") == (
        "# yaml-language-server: $schema=../../../../schemas/engagement.schema.json\n"
        "title: Portraits pour l'été !\n"
        "client: ines-moreau\n"
        "supplier: claire-dubois\n"
        "skills: [photography]\n"
        "started: 2026-06-01\n"
        "deadline: 2026-06-30\n"
        "invoice_due: 2026-07-31\n"
    )
    assert check(site).exit_code == 0


def test_engagement_ids_are_unique_across_years() -> None:
    day = dt.date(2026, 3, 1)
    assert engagement_id("Site refresh", day, ()) == "site-refresh-2026"
    assert engagement_id("Site refresh", day, ("site-refresh-2026",)) == "site-refresh-2026-2"
    assert engagement_id("Site refresh", day, ("site-refresh-2026", "site-refresh-2026-2")) == "site-refresh-2026-3"
    assert engagement_id("¡¿!", day, ()) == "engagement-2026-03-01"
    long = engagement_id("word " * 40, day, ())
    assert len(long) <= 64 and long.endswith("-2026") and "--" not in long


def test_an_engagement_id_used_in_another_year_is_refused(site: Path) -> None:
    before = tree(site)
    result = run(
        site,
        *("new", "engagement", "--client", "ines-moreau", "--supplier", "claire-dubois", "--title", "Again"),
        *("--skills", "photography", "--started", "2026-06-01", "--id", "poster-series"),
    )
    assert result.exit_code == 2
    assert "engagement id 'poster-series' is already used under content/engagements/2025/" in result.output
    assert tree(site) == before


def test_both_parties_attest_and_the_site_stays_valid(site: Path) -> None:
    client = run(
        site,
        *("attest", "site-refresh", "--as", "atelier-lumen", "--date", "2026-05-10", "--delivery", "on_time"),
        *("--delivered", "2026-03-28", "--quality", "4", "--relationship", "5", "--recommend"),
        *("--comment", "Belles photos, livrées à temps."),
    )
    assert client.exit_code == 0, client.output
    rel = "content/engagements/2026/site-refresh/atelier-lumen.yml"
    assert client.output.splitlines() == [
        f"wrote {rel}",
        f"next: commit {rel} and open a pull request; claire-dubois has already attested, "
        "so site-refresh is confirmed once it is merged",
    ]
    path = site / rel
    assert path.read_text(encoding="utf-8") == (
        "# yaml-language-server: $schema=../../../../schemas/attestation.schema.json\n"
        "date: 2026-05-10\n"
        "delivery: on_time\n"
        "delivered: 2026-03-28\n"
        "quality: 4\n"
        "relationship: 5\n"
        "recommend: true\n"
        "comment: Belles photos, livrées à temps.\n"
    )
    assert check(site).exit_code == 0


def test_supplier_attestation_requires_paid_when_late(site: Path) -> None:
    # The supplier's attestation disputed 'quality', which a resolution settled: remove both.
    os.remove(site / "content/engagements/2025/poster-series/ines-moreau.yml")
    os.remove(site / "content/resolutions/poster-series.yml")
    args = ("attest", "poster-series", "--as", "ines-moreau", "--payment", "late", "--relationship", "3")
    missing = run(site, *args, "--no-recommend")
    assert missing.exit_code == 2
    assert "missing --paid:" in missing.output
    written = run(site, *args, "--no-recommend", "--paid", "2025-04-18")
    assert written.exit_code == 0, written.output
    text = (site / "content/engagements/2025/poster-series/ines-moreau.yml").read_text(encoding="utf-8")
    assert text.splitlines()[1:] == [
        f"date: {TODAY}",
        "payment: late",
        "paid: 2025-04-18",
        "relationship: 3",
        "recommend: false",
    ]
    assert check(site).exit_code == 0


@pytest.mark.parametrize(
    ("args", "path"),
    [
        (("new", "member", "ines-moreau", *MEMBER_FLAGS), "content/members/ines-moreau.yml"),
        (
            ("attest", "poster-series", "--as", "atelier-lumen", "--delivery", "late", "--quality", "2"),
            "content/engagements/2025/poster-series/atelier-lumen.yml",
        ),
        (
            (
                *("new", "engagement", "--client", "atelier-lumen", "--supplier", "claire-dubois", "--title", "x"),
                *("--skills", "photography", "--started", "2026-03-02", "--id", "site-refresh"),
            ),
            "content/engagements/2026/site-refresh/engagement.yml",
        ),
    ],
)
def test_an_existing_file_is_never_overwritten(site: Path, args: tuple[str, ...], path: str) -> None:
    before = tree(site)
    result = run(site, *args)
    assert result.exit_code == 1
    assert result.output == (
        f"error: {path} already exists; Triangle never overwrites a file (edit it, or remove it first)\n"
    )
    assert tree(site) == before


def test_missing_options_off_a_terminal_are_listed_at_once(site: Path) -> None:
    before = tree(site)
    result = run(site, "new", "member", "lea-girard", "--name", "Léa", "--kind", "persn")
    assert result.exit_code == 2
    assert result.output == (
        "error: \n"
        "  --kind: expected one of 'person', 'organisation' (got 'persn'); did you mean 'person'?\n"
        "  missing --headline, --region, --skills: this is not a terminal, so Triangle cannot ask; "
        "pass them as options (or use --interactive)\n"
    )
    assert tree(site) == before


def test_a_real_pipe_is_not_a_terminal(site: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "generator", "-C", str(site), "new", "member", "lea-girard", "--today", TODAY],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
        cwd=REPO,
    )
    assert proc.returncode == 2
    assert proc.stderr == (
        "error: missing --name, --kind, --headline, --region, --skills: this is not a terminal, so Triangle "
        "cannot ask; pass them as options (or use --interactive)\n"
    )
    assert "Traceback" not in proc.stdout + proc.stderr
    assert not (site / "content/members/lea-girard.yml").exists()


@pytest.mark.parametrize(
    ("member", "message"),
    [
        (
            "Léa Girard",
            "error: 'Léa Girard' is not a valid member id: ids use lowercase letters, digits and "
            "single hyphens, at most 64 characters; for example 'lea-girard'\n",
        ),
        ("con", "error: 'con' is a reserved file name on Windows and cannot be a member id\n"),
        (
            "../evil",
            "error: '../evil' is not a valid member id: ids use lowercase letters, digits and single "
            "hyphens, at most 64 characters; for example 'evil'\n",
        ),
    ],
)
def test_invalid_ids_are_refused_before_anything_is_written(site: Path, member: str, message: str) -> None:
    before = tree(site)
    result = run(site, "new", "member", member, *MEMBER_FLAGS)
    assert result.exit_code == 2
    assert result.output == message
    assert tree(site) == before


def test_an_engagement_references_existing_distinct_members(site: Path) -> None:
    before = tree(site)
    result = run(
        site,
        *("new", "engagement", "--client", "atelier-lumen", "--supplier", "ines-moreua", "--title", "Posters"),
        *("--skills", "motion-design", "--started", "2030-01-01"),
    )
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        "error: ",
        "  --supplier: supplier 'ines-moreua' is not a member: there is no content/members/ines-moreua.yml; "
        "did you mean 'ines-moreau'?",
        f"  --started: the start date 2030-01-01 is after today ({TODAY}); record facts once they happened",
    ]
    same = run(
        site,
        *("new", "engagement", "--client", "atelier-lumen", "--supplier", "atelier-lumen", "--title", "Posters"),
        *("--skills", "motion-design", "--started", "2026-01-01"),
    )
    assert same.exit_code == 2
    assert "the supplier is also the client ('atelier-lumen')" in same.output
    assert tree(site) == before


def test_attest_is_only_for_the_parties_and_their_own_keys(site: Path) -> None:
    before = tree(site)
    stranger = run(site, "attest", "site-refresh", "--as", "ines-moreau")
    assert stranger.exit_code == 2
    assert stranger.output == (
        "error: 'ines-moreau' is neither the client ('atelier-lumen') nor the supplier ('claire-dubois') "
        "of 'site-refresh'; only its parties attest it\n"
    )
    wrong_role = run(
        site,
        *("attest", "site-refresh", "--as", "atelier-lumen", "--delivery", "on_time", "--quality", "4"),
        *("--relationship", "4", "--recommend", "--payment", "on_time"),
    )
    assert wrong_role.exit_code == 2
    assert wrong_role.output == (
        "error: --payment belongs in the supplier's attestation; 'atelier-lumen' is the client of 'site-refresh'\n"
    )
    unknown = run(site, "attest", "site-refrsh", "--as", "atelier-lumen")
    assert unknown.exit_code == 2
    assert unknown.output == (
        "error: there is no engagement 'site-refrsh' (no content/engagements/<year>/site-refrsh/engagement.yml); "
        "did you mean 'site-refresh'?\n"
    )
    assert tree(site) == before


def test_problems_the_check_finds_are_printed_after_writing(site: Path) -> None:
    # Disputing 'payment' is valid on its own, but the supplier's attestation has it: fine;
    # disputing 'delivery' is not, since only the client's attestation states it.
    result = run(
        site,
        *("attest", "site-refresh", "--as", "atelier-lumen", "--delivery", "on_time", "--quality", "4"),
        *("--relationship", "4", "--recommend", "--disputes", "delivery"),
    )
    path = "content/engagements/2026/site-refresh/atelier-lumen.yml"
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == f"wrote {path}"
    assert lines[1].startswith(f"{path}:7:12: error[invalid-dispute]: ")
    assert lines[-1] == f"error: wrote {path}, but it has the problems above; fix them, then run 'triangle check'"


def test_questions_on_a_terminal_re_ask_until_the_answer_is_valid(site: Path) -> None:
    answers = [
        "Léa Girard",  # name
        "persn",  # kind: refused
        "person",
        "Graphiste",  # headline
        "Ile de France",  # region: refused
        "ile-de-france",
        "",  # location: skipped
        "graphic-design",  # skills
        "",  # languages: skipped
        "",  # joined: today
        "nobody",  # sponsors: refused
        "atelier-lumen",
    ]
    result = run(site, "new", "member", "lea-girard", "--interactive", stdin="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.output
    assert "Error: expected one of 'person', 'organisation' (got 'persn'); did you mean 'person'?" in result.output
    assert "Error: 'Ile de France' is not a valid region" in result.output
    assert "Error: sponsor 'nobody' is not a member: there is no content/members/nobody.yml" in result.output
    assert (site / "content/members/lea-girard.yml").read_text(encoding="utf-8").splitlines()[1:] == [
        "name: Léa Girard",
        "kind: person",
        "headline: Graphiste",
        "region: ile-de-france",
        "skills: [graphic-design]",
        f"joined: {TODAY}",
        "sponsors: [atelier-lumen]",
    ]
    assert check(site).exit_code == 0


def test_interactive_engagement_and_attestation(site: Path) -> None:
    engagement = run(
        site,
        "new",
        "engagement",
        "--interactive",
        stdin="\n".join(
            [
                "ines-moreau",
                "ines-moreau",
                "claire-dubois",
                "Portraits",
                "photography",
                "2026-06-01",
                "",
                "2026-07-01",
                "",
            ]
        )
        + "\n",
    )
    assert engagement.exit_code == 0, engagement.output
    assert "Error: the supplier is also the client ('ines-moreau')" in engagement.output
    assert "Engagement id [portraits-2026]: " in engagement.output
    attestation = run(
        site,
        "attest",
        "portraits-2026",
        "--interactive",
        stdin="\n".join(["claire-dubois", "", "late", "2026-07-15", "4", "y", "Paid after a reminder."]) + "\n",
    )
    assert attestation.exit_code == 0, attestation.output
    rel = "content/engagements/2026/portraits-2026/claire-dubois.yml"
    assert "Would you work with ines-moreau again? [y/N]: y\n" in attestation.output
    assert attestation.output.splitlines()[-2:] == [
        f"next: commit {rel} and open a pull request, and ask ines-moreau to attest their side; "
        "the engagement is confirmed once both attestations are merged:",
        "  triangle attest portraits-2026 --as ines-moreau",
    ]
    text = (site / rel).read_text(encoding="utf-8")
    assert text.splitlines()[1:] == [
        f"date: {TODAY}",
        "payment: late",
        "paid: 2026-07-15",
        "relationship: 4",
        "recommend: true",
        "comment: Paid after a reminder.",
    ]
    assert check(site).exit_code == 0


def test_a_file_created_meanwhile_is_not_replaced(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = site / "content/members/lea-girard.yml"
    real_write = safe_write.write

    def racing_write(snapshot: safe_write.Snapshot, data: bytes) -> None:
        target.write_text("name: someone else's\n", encoding="utf-8")
        real_write(snapshot, data)

    monkeypatch.setattr(safe_write, "write", racing_write)
    result = run(site, "new", "member", "lea-girard", *MEMBER_FLAGS)
    assert result.exit_code == 1
    assert result.output == (
        "error: content/members/lea-girard.yml was created by someone else meanwhile; nothing was written\n"
    )
    assert target.read_text(encoding="utf-8") == "name: someone else's\n"
    assert [p.name for p in target.parent.iterdir() if p.name.startswith(".")] == []


def test_a_linked_folder_is_never_followed(site: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    year = site / "content/engagements/2027"
    year.symlink_to(outside, target_is_directory=True)
    with pytest.raises(safe_write.WriteError, match="is a symbolic link"):
        safe_write.make_folders(site, ("content", "engagements", "2027", "x"))
    assert list(outside.iterdir()) == []


@pytest.mark.parametrize(
    ("answers", "recommend"),
    [("oui", "true"), ("O", "true"), ("yes", "true"), ("non", "false"), ("n", "false"), ("", "false")],
)
def test_yes_no_questions_accept_french_and_english_answers(site: Path, answers: str, recommend: str) -> None:
    stdin = "\n".join(["claire-dubois", "", "on_time", "", "4", answers, ""]) + "\n"
    engagement = run(
        site,
        *("new", "engagement", "--client", "ines-moreau", "--supplier", "claire-dubois", "--title", "Portraits"),
        *("--skills", "photography", "--started", "2026-06-01"),
    )
    assert engagement.exit_code == 0, engagement.output
    attestation = run(site, "attest", "portraits-2026", "--interactive", stdin=stdin)
    assert attestation.exit_code == 0, attestation.output
    text = (site / "content/engagements/2026/portraits-2026/claire-dubois.yml").read_text(encoding="utf-8")
    assert f"recommend: {recommend}" in text.splitlines()


def test_a_yes_no_answer_that_is_neither_is_asked_again(site: Path) -> None:
    run(
        site,
        *("new", "engagement", "--client", "ines-moreau", "--supplier", "claire-dubois", "--title", "Portraits"),
        *("--skills", "photography", "--started", "2026-06-01"),
    )
    stdin = "\n".join(["claire-dubois", "", "on_time", "", "4", "peut-être", "oui", ""]) + "\n"
    attestation = run(site, "attest", "portraits-2026", "--interactive", stdin=stdin)
    assert attestation.exit_code == 0, attestation.output
    assert "Error: answer y (yes, o, oui) or n (no, non) (got 'peut-être')" in attestation.output
