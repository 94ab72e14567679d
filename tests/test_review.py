"""``triangle review`` on real git repositories: one base network, one branch per scenario."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from generator import revisions as revisions_module
from generator.check import check_site
from generator.cli import cli
from generator.diagnostics import Diagnostic
from generator.discover import discover, discover_listing
from generator.model import Member, Source
from generator.review import author_member
from generator.review_report import md_code, md_text

from .conftest import REPO, TODAY

Author = tuple[str, str]
CLAIRE: Author = ("Claire Dubois", "claire@dubois.example")
LUMEN: Author = ("Atelier Lumen", "studio@lumen.example")
INES: Author = ("Inès Moreau", "ines@moreau.example")
HUGO: Author = ("Hugo Fontaine", "hugo@fontaine.example")
STRANGER: Author = ("Somebody", "somebody@example.org")

MEMBER = """
    name: {name}
    kind: person
    headline: Independent professional
    region: ile-de-france
    skills: [photography]
    joined: {joined}
"""
ENGAGEMENT = """
    title: {title}
    client: {client}
    supplier: {supplier}
    skills: [photography]
    started: {started}
"""
BY_CLIENT = """
    date: {date}
    delivery: on_time
    quality: 5
    relationship: 5
    recommend: true
"""
BY_SUPPLIER = """
    date: {date}
    payment: on_time
    relationship: 5
    recommend: true
"""

BASE_FILES = {
    "site.yml": """
        title: Review test network
        base_url: https://review.example/
        languages: [en]
        coordinators: [claire-dubois]
    """,
    "content/members/claire-dubois.yml": MEMBER.format(name="Claire Dubois", joined="2023-01-10"),
    "content/members/atelier-lumen.yml": MEMBER.format(name="Atelier Lumen", joined="2023-03-01"),
    "content/members/ines-moreau.yml": MEMBER.format(name="Inès Moreau", joined="2024-09-02"),
    "content/members/hugo-fontaine.yml": MEMBER.format(name="Hugo Fontaine", joined="2024-02-01"),
    "content/engagements/2025/poster-series/engagement.yml": ENGAGEMENT.format(
        title="Animated posters", client="atelier-lumen", supplier="ines-moreau", started="2025-01-12"
    ),
    "content/engagements/2025/poster-series/atelier-lumen.yml": BY_CLIENT.format(date="2025-03-04"),
    "content/engagements/2025/poster-series/ines-moreau.yml": """
        date: 2025-04-20
        payment: late
        paid: 2025-04-18
        relationship: 4
        recommend: true
    """,
    "content/engagements/2025/portraits/engagement.yml": ENGAGEMENT.format(
        title="Team portraits", client="hugo-fontaine", supplier="claire-dubois", started="2025-05-02"
    ),
    "content/engagements/2025/portraits/hugo-fontaine.yml": BY_CLIENT.format(date="2025-06-01"),
    "content/engagements/2025/portraits/claire-dubois.yml": BY_SUPPLIER.format(date="2025-06-03"),
}


def git(repo: Path, *args: str, author: Author = CLAIRE) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": author[0],
        "GIT_AUTHOR_EMAIL": author[1],
        "GIT_COMMITTER_NAME": "CI",
        "GIT_COMMITTER_EMAIL": "ci@example.org",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout


def commit(repo: Path, files: dict[str, str | None], author: Author, message: str = "change") -> None:
    """Write (or, for None, delete) files and commit them as ``author``."""
    for rel, text in files.items():
        target = repo / rel
        if text is None:
            git(repo, "rm", "-q", rel)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        git(repo, "add", rel)
    git(repo, "commit", "-q", "-m", message, author=author)


def branch(repo: Path, name: str, *commits: tuple[dict[str, str | None], Author], start: str = "main") -> None:
    git(repo, "checkout", "-q", "-b", name, start)
    for files, author in commits:
        commit(repo, files, author)
    git(repo, "checkout", "-q", "main")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "network"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    commit(root, dict(BASE_FILES), CLAIRE, "base network")
    return root


def review(
    repo: Path, head: str, *extra: str, base: str = "main", env: dict[str, str] | None = None
) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli,
        ["-C", str(repo), "review", "--base", base, "--head", head, "--today", TODAY, *extra],
        catch_exceptions=False,
        env=env,
    )
    return result.exit_code, result.output


def review_json(repo: Path, head: str, base: str = "main") -> tuple[int, dict[str, Any]]:
    code, output = review(repo, head, "--format", "json", base=base)
    return code, json.loads(output)


def flags(document: dict[str, Any]) -> list[str]:
    return [flag["code"] for flag in document["flags"]]


def new_engagement(eid: str, client: str, supplier: str, started: str = "2026-09-01") -> dict[str, str | None]:
    return {
        f"content/engagements/2026/{eid}/engagement.yml": ENGAGEMENT.format(
            title=f"Work {eid}", client=client, supplier=supplier, started=started
        )
    }


def attestation(eid: str, member: str, role: str, date: str = "2026-10-20") -> dict[str, str | None]:
    text = BY_CLIENT if role == "client" else BY_SUPPLIER
    return {f"content/engagements/2026/{eid}/{member}.yml": text.format(date=date)}


TEASER_BY_LUMEN = "content/engagements/2026/teaser/atelier-lumen.yml"


def teaser_by_lumen() -> dict[str, str | None]:
    """A new engagement of Atelier Lumen with Inès Moreau, attested by the client only."""
    return new_engagement("teaser", "atelier-lumen", "ines-moreau") | attestation("teaser", "atelier-lumen", "client")


# ---------------------------------------------------------------------------- verdicts


def test_ready_when_both_parties_attest_in_their_own_commits(repo: Path) -> None:
    branch(
        repo,
        "teaser",
        (
            new_engagement("teaser", "claire-dubois", "ines-moreau") | attestation("teaser", "claire-dubois", "client"),
            CLAIRE,
        ),
        (attestation("teaser", "ines-moreau", "supplier"), INES),
    )
    code, document = review_json(repo, "teaser")
    assert (code, document["verdict"], flags(document)) == (0, "ready", [])
    assert document["reason"] == "valid, every engagement it touches is attested by both parties, nothing flagged"
    assert [(r["change"], r["kind"], r["id"]) for r in document["records"]] == [
        ("added", "engagement", "teaser"),
        ("added", "attestation", "teaser/claire-dubois"),
        ("added", "attestation", "teaser/ines-moreau"),
    ]
    assert document["records"][0]["parties"] == [
        {"role": "client", "member": "claire-dubois"},
        {"role": "supplier", "member": "ines-moreau"},
    ]
    [engagement] = document["engagements"]
    assert (engagement["status_before"], engagement["status_after"], engagement["missing"]) == (None, "confirmed", [])
    # The coordinator's word carries trust: Inès's deadlines side gains evidence from it.
    deadlines = next(s for s in document["score_changes"] if (s["member"], s["side"]) == ("ines-moreau", "deadlines"))
    assert deadlines["direct"] is True
    assert deadlines["after"]["score"] > deadlines["before"]["score"]


def test_markdown_starts_with_the_verdict_line(repo: Path) -> None:
    branch(repo, "teaser", (teaser_by_lumen(), LUMEN))
    code, output = review(repo, "teaser")
    assert code == 0
    lines = output.splitlines()
    assert lines[:3] == [
        "## Triangle review",
        "",
        "**Verdict: waiting** — valid, but 1 attestation is missing: `ines-moreau` on `teaser`",
    ]
    assert "  - supplier `ines-moreau`: **missing**, `ines-moreau` must add " in output
    assert "`content/engagements/2026/teaser/ines-moreau.yml`" in output
    assert "status *new* → pending" in output


def test_waiting_when_an_attestation_is_missing(repo: Path) -> None:
    branch(repo, "teaser", (teaser_by_lumen(), LUMEN))
    code, document = review_json(repo, "teaser")
    assert (code, document["verdict"], flags(document)) == (0, "waiting", [])
    assert document["reason"] == "valid, but 1 attestation is missing: ines-moreau on teaser"
    [engagement] = document["engagements"]
    assert engagement["missing"] == ["ines-moreau"]
    assert [(a["member"], a["state"]) for a in engagement["attestations"]] == [
        ("atelier-lumen", "present"),
        ("ines-moreau", "missing"),
    ]


def test_invalid_lists_only_touched_errors_and_counts_pre_existing_ones(repo: Path) -> None:
    broken_member = MEMBER.format(name="Zoé Martin", joined="2024-01-01").replace("kind: person", "kind: persn")
    branch(repo, "broken-main", ({"content/members/zoe-martin.yml": broken_member}, CLAIRE))
    bad = BY_CLIENT.format(date="2026-10-20").replace("delivery: on_time", "delivery: soon")
    branch(
        repo,
        "teaser",
        (new_engagement("teaser", "atelier-lumen", "ines-moreau") | {TEASER_BY_LUMEN: bad}, LUMEN),
        start="broken-main",
    )
    code, document = review_json(repo, "teaser", base="broken-main")
    assert (code, document["verdict"]) == (1, "invalid")
    assert [(e["path"], e["line"], e["code"]) for e in document["errors"]] == [
        ("content/engagements/2026/teaser/atelier-lumen.yml", 2, "invalid-choice")
    ]
    assert document["pre_existing_errors"] == 1
    assert document["reason"] == (
        "1 error in what this change touches or breaks (and 1 pre-existing error elsewhere, not listed)"
    )
    [engagement] = document["engagements"]
    assert [a["state"] for a in engagement["attestations"]] == ["invalid", "missing"]


def test_pre_existing_errors_alone_do_not_make_a_change_invalid(repo: Path) -> None:
    broken_member = MEMBER.format(name="Zoé Martin", joined="2024-01-01").replace("kind: person", "kind: persn")
    branch(repo, "broken-main", ({"content/members/zoe-martin.yml": broken_member}, CLAIRE))
    branch(
        repo,
        "teaser",
        (teaser_by_lumen(), LUMEN),
        start="broken-main",
    )
    code, document = review_json(repo, "teaser", base="broken-main")
    assert (code, document["verdict"], document["errors"], document["pre_existing_errors"]) == (0, "waiting", [], 1)


# ------------------------------------------------------------------------- red flags


def test_files_outside_content_need_a_maintainer(repo: Path) -> None:
    site = BASE_FILES["site.yml"].replace("Review test network", "Renamed network")
    branch(repo, "config", ({"site.yml": site, ".github/workflows/check.yml": "on: push\n"}, CLAIRE))
    code, document = review_json(repo, "config")
    assert (code, document["verdict"], flags(document)) == (1, "needs attention", ["outside-content"])
    assert document["flags"][0]["paths"] == [".github/workflows/check.yml", "site.yml"]
    assert document["flags"][0]["reason"].startswith(
        "2 files outside content/ change (.github/workflows/check.yml, site.yml)"
    )
    assert document["other_files"] == [
        {"change": "added", "path": ".github/workflows/check.yml"},
        {"change": "modified", "path": "site.yml"},
    ]


def test_editing_a_negative_attestation_is_flagged(repo: Path) -> None:
    path = "content/engagements/2025/poster-series/ines-moreau.yml"
    softer = textwrap.dedent(BASE_FILES[path]).replace("relationship: 4", "relationship: 5")
    branch(repo, "edit", ({path: softer}, INES))
    code, document = review_json(repo, "edit")
    assert (code, document["verdict"], flags(document)) == (1, "needs attention", ["attestation-edited"])
    assert document["flags"][0]["reason"] == (
        "ines-moreau's existing attestation of poster-series is edited; it was negative (payment late): "
        "check that the change is the attester's own and that the other party was told"
    )
    assert document["flags"][0]["paths"] == [path]


def test_removing_an_attestation_is_flagged(repo: Path) -> None:
    path = "content/engagements/2025/poster-series/atelier-lumen.yml"
    branch(repo, "remove", ({path: None}, LUMEN))
    code, document = review_json(repo, "remove")
    assert (code, document["verdict"], flags(document)) == (1, "needs attention", ["attestation-removed"])
    assert document["flags"][0]["reason"].startswith("atelier-lumen's attestation of poster-series is deleted: ")
    [engagement] = document["engagements"]
    assert (engagement["status_before"], engagement["missing"]) == ("confirmed", ["atelier-lumen"])


def test_attestation_committed_by_another_member_is_flagged(repo: Path) -> None:
    files = {
        **new_engagement("teaser", "atelier-lumen", "ines-moreau"),
        **attestation("teaser", "atelier-lumen", "client"),
        **attestation("teaser", "ines-moreau", "supplier"),
    }
    branch(repo, "forged", (files, LUMEN))
    code, document = review_json(repo, "forged")
    assert (code, document["verdict"], flags(document)) == (1, "needs attention", ["author-mismatch"])
    [flag] = document["flags"]
    assert flag["paths"] == ["content/engagements/2026/teaser/ines-moreau.yml"]
    assert "ines-moreau's attestation, but commit " in flag["reason"]
    assert "by Atelier Lumen <studio@lumen.example>, who seems to be atelier-lumen" in flag["reason"]


def test_attestations_by_an_unknown_author_cannot_be_told(repo: Path) -> None:
    files = {
        **new_engagement("teaser", "atelier-lumen", "ines-moreau"),
        **attestation("teaser", "atelier-lumen", "client"),
        **attestation("teaser", "ines-moreau", "supplier"),
    }
    branch(repo, "unknown", (files, STRANGER))
    code, document = review_json(repo, "unknown")
    assert (code, document["verdict"], flags(document)) == (0, "ready", [])


def test_new_member_bringing_attestations_is_flagged(repo: Path) -> None:
    zoe: Author = ("Zoé Martin", "zoe@martin.example")
    branch(
        repo,
        "newcomer",
        (
            {
                "content/members/zoe-martin.yml": MEMBER.format(name="Zoé Martin", joined="2026-11-01"),
                **new_engagement("zoe-shoot", "zoe-martin", "ines-moreau", started="2026-11-02"),
                **attestation("zoe-shoot", "zoe-martin", "client", date="2026-11-10"),
            },
            zoe,
        ),
        (attestation("zoe-shoot", "ines-moreau", "supplier", date="2026-11-12"), INES),
    )
    code, document = review_json(repo, "newcomer")
    assert (code, document["verdict"], flags(document)) == (1, "needs attention", ["new-member-attestations"])
    assert document["flags"][0]["paths"] == [
        "content/engagements/2026/zoe-shoot/ines-moreau.yml",
        "content/engagements/2026/zoe-shoot/zoe-martin.yml",
    ]
    first = document["records"][0]
    assert (first["change"], first["kind"], first["id"]) == ("added", "member", "zoe-martin")


def test_reciprocal_burst_is_flagged(repo: Path) -> None:
    eids = ("job-1", "job-2", "job-3")
    by_lumen: dict[str, str | None] = {}
    by_hugo: dict[str, str | None] = {}
    for eid in eids:
        by_lumen |= new_engagement(eid, "atelier-lumen", "hugo-fontaine") | attestation(eid, "atelier-lumen", "client")
        by_hugo |= attestation(eid, "hugo-fontaine", "supplier")
    branch(repo, "burst", (by_lumen, LUMEN), (by_hugo, HUGO))
    code, document = review_json(repo, "burst")
    assert (code, document["verdict"], flags(document)) == (1, "needs attention", ["reciprocal-burst"])
    assert document["flags"][0]["reason"] == (
        "atelier-lumen and hugo-fontaine attest each other on 3 engagements in this one change "
        "(job-1, job-2, job-3): check these engagements really took place"
    )


def test_two_reciprocal_engagements_are_not_a_burst(repo: Path) -> None:
    files: dict[str, str | None] = {}
    for eid in ("job-1", "job-2"):
        files |= new_engagement(eid, "atelier-lumen", "hugo-fontaine") | attestation(eid, "atelier-lumen", "client")
        files |= attestation(eid, "hugo-fontaine", "supplier")
    branch(repo, "pair", (files, STRANGER))
    assert flags(review_json(repo, "pair")[1]) == []


def test_new_cluster_of_recent_members_is_flagged(repo: Path) -> None:
    trio = ("ana-silva", "ben-okoro", "carla-reyes")
    members: dict[str, str | None] = {
        f"content/members/{m}.yml": MEMBER.format(name=m.replace("-", " ").title(), joined="2026-10-01") for m in trio
    }
    branch(repo, "recent", (members, CLAIRE))
    files: dict[str, str | None] = {}
    for eid, (client, supplier) in {"c-1": trio[:2], "c-2": trio[1:], "c-3": (trio[2], trio[0])}.items():
        files |= new_engagement(eid, client, supplier, started="2026-10-05")
        files |= attestation(eid, client, "client", date="2026-10-20")
        files |= attestation(eid, supplier, "supplier", date="2026-10-21")
    branch(repo, "cluster", (files, STRANGER), start="recent")
    code, document = review_json(repo, "cluster", base="recent")
    assert (code, document["verdict"], flags(document)) == (1, "needs attention", ["new-cluster"])
    assert document["flags"][0]["paths"] == list(trio)
    assert document["flags"][0]["files"] == [f"content/members/{m}.yml" for m in trio]
    assert "ana-silva, ben-okoro and carla-reyes joined recently" in document["flags"][0]["reason"]


def test_recent_members_with_outside_engagements_are_not_a_cluster(repo: Path) -> None:
    trio = ("ana-silva", "ben-okoro", "carla-reyes")
    members: dict[str, str | None] = {
        f"content/members/{m}.yml": MEMBER.format(name=m.replace("-", " ").title(), joined="2026-10-01") for m in trio
    }
    members |= new_engagement("outside", "ana-silva", "claire-dubois", started="2026-10-02")
    branch(repo, "recent", (members, CLAIRE))
    files: dict[str, str | None] = {}
    for eid, (client, supplier) in {"c-1": trio[:2], "c-2": trio[1:], "c-3": (trio[2], trio[0])}.items():
        files |= new_engagement(eid, client, supplier, started="2026-10-05")
        files |= attestation(eid, client, "client", date="2026-10-20")
        files |= attestation(eid, supplier, "supplier", date="2026-10-21")
    branch(repo, "cluster", (files, STRANGER), start="recent")
    assert flags(review_json(repo, "cluster", base="recent")[1]) == []


def test_member_removed_with_engagements_is_flagged_and_breaks_references(repo: Path) -> None:
    branch(repo, "leave", ({"content/members/hugo-fontaine.yml": None}, HUGO))
    code, document = review_json(repo, "leave")
    assert (code, document["verdict"], flags(document)) == (1, "invalid", ["member-removed"])
    assert document["flags"][0]["reason"].startswith("hugo-fontaine is deleted but is a party to 1 engagement: ")
    # The change breaks a file it does not touch: that error is listed too, not counted as pre-existing.
    assert [(e["path"], e["code"]) for e in document["errors"]] == [
        ("content/engagements/2025/portraits/engagement.yml", "unknown-member")
    ]
    assert document["pre_existing_errors"] == 0


# --------------------------------------------------------------- formats and exits


def test_github_format_annotates_and_writes_the_job_summary(repo: Path, tmp_path: Path) -> None:
    bad = BY_CLIENT.format(date="2026-10-20").replace("quality: 5", "quality: 9")
    branch(repo, "bad", (new_engagement("teaser", "atelier-lumen", "ines-moreau") | {TEASER_BY_LUMEN: bad}, LUMEN))
    summary = tmp_path / "summary.md"
    summary.write_text("previous step\n", encoding="utf-8")
    code, output = review(repo, "bad", "--format", "github", env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert code == 1
    lines = output.splitlines()
    assert lines[0].startswith(
        "::error file=content/engagements/2026/teaser/atelier-lumen.yml,line=3,col=10,title=invalid-number::"
    )
    assert "::notice title=triangle review::Verdict: invalid — 1 error in what this change touches or breaks" in lines
    written = summary.read_text(encoding="utf-8")
    assert written.startswith("previous step\n## Triangle review\n\n**Verdict: invalid**")
    assert "error\\[invalid-number\\]" in written


def test_github_flags_are_warnings_on_their_files(repo: Path) -> None:
    branch(repo, "remove", ({"content/engagements/2025/poster-series/atelier-lumen.yml": None}, LUMEN))
    code, output = review(repo, "remove", "--format", "github", env={"GITHUB_STEP_SUMMARY": ""})
    assert code == 1
    assert output.startswith(
        "::warning file=content/engagements/2025/poster-series/atelier-lumen.yml,"
        "title=red flag%3A attestation-removed::atelier-lumen's attestation"
    )


def test_site_in_a_subfolder_uses_repository_paths(tmp_path: Path) -> None:
    root = tmp_path / "mono"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    commit(root, {f"network/{rel}": text for rel, text in BASE_FILES.items()}, CLAIRE)
    branch(root, "tooling", ({"tools/x.py": "print()\n", "network/content/members/ines-moreau.yml": None}, INES))
    code, output = review(root / "network", "tooling", "--format", "github", env={"GITHUB_STEP_SUMMARY": ""})
    assert code == 1
    assert "::error file=network/content/engagements/2025/poster-series/engagement.yml,line=3," in output
    code, document = review_json(root / "network", "tooling")
    assert flags(document) == ["outside-content", "member-removed"]
    assert document["flags"][0]["paths"] == ["tools/x.py"]


def test_unknown_ref_is_a_usage_error(repo: Path) -> None:
    code, output = review(repo, "no-such-branch")
    assert code == 2
    assert output == (
        "error: 'no-such-branch' is not a commit of this repository: check the branch or commit name, "
        "or fetch it first (in a shallow CI clone: git fetch --depth=1 origin no-such-branch)\n"
    )


def test_not_a_git_repository_is_a_usage_error(tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    code, output = review(folder, "HEAD")
    assert code == 2
    assert output == (
        f"error: {str(folder)!r} is not inside a git repository; triangle review compares two commits, "
        "so run it in a clone of the network's repository (or pass -C DIR)\n"
    )


def test_review_never_touches_the_working_tree(repo: Path) -> None:
    branch(repo, "teaser", (teaser_by_lumen(), LUMEN))
    (repo / "scratch.txt").write_text("uncommitted\n", encoding="utf-8")
    before = git(repo, "status", "--porcelain")
    assert review(repo, "teaser")[0] == 0
    assert git(repo, "status", "--porcelain") == before
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"


def test_shallow_clone_with_the_base_fetched(repo: Path, tmp_path: Path) -> None:
    branch(
        repo,
        "teaser",
        (teaser_by_lumen(), LUMEN),
        (attestation("teaser", "ines-moreau", "supplier"), INES),
    )
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth=1", "--branch", "teaser", f"file://{repo}", str(clone))
    git(clone, "fetch", "-q", "--depth=1", "origin", "main:refs/remotes/origin/main")
    assert git(clone, "rev-parse", "--is-shallow-repository").strip() == "true"
    code, document = review_json(clone, "HEAD", base="origin/main")
    assert (code, document["verdict"], flags(document)) == (0, "ready", [])
    assert [r["id"] for r in document["records"]] == ["teaser", "teaser/atelier-lumen", "teaser/ines-moreau"]
    # The grafted head commit seems to create every file: its author is not compared with them.
    assert document["notes"] == [
        "this clone is too shallow to tell who wrote each file, so attestations were not compared with "
        "their commits' authors (fetch the pull request's history, e.g. fetch-depth: 0)"
    ]


def test_shallow_clone_with_history_fetched_still_tells_authors(repo: Path, tmp_path: Path) -> None:
    files = {
        **new_engagement("teaser", "atelier-lumen", "ines-moreau"),
        **attestation("teaser", "atelier-lumen", "client"),
    }
    branch(repo, "forged", (files, LUMEN), (attestation("teaser", "ines-moreau", "supplier"), LUMEN))
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth=3", "--branch", "forged", f"file://{repo}", str(clone))
    git(clone, "fetch", "-q", "--depth=1", "origin", "main:refs/remotes/origin/main")
    code, document = review_json(clone, "HEAD", base="origin/main")
    assert (code, flags(document), document["notes"]) == (1, ["author-mismatch"], [])


# ------------------------------------------------------------------------- helpers


def test_author_is_told_by_name_login_or_not_at_all() -> None:
    def member(mid: str, name: str) -> Member:
        return Member(mid, Source(f"content/members/{mid}.yml"), name, "person", "x", "r", ("s",), dt.date(2024, 1, 1))

    members = {
        mid: member(mid, name) for mid, name in (("ines-moreau", "Inès Moreau"), ("atelier-lumen", "Atelier Lumen"))
    }
    assert author_member("ines moreau", "x@example.org", members) == "ines-moreau"
    assert author_member("I. M.", "123+ines-moreau@users.noreply.github.com", members) == "ines-moreau"
    assert author_member("Somebody", "somebody@example.org", members) is None
    assert author_member("Inès Moreau", "atelier-lumen@example.org", members) is None  # two candidates


def test_listing_discovery_matches_disk_discovery() -> None:
    roots = [REPO, *sorted(p for p in (REPO / "tests" / "invalid").iterdir() if (p / "content").is_dir())]
    for root in roots:
        paths = []
        for folder, dirs, files in os.walk(root / "content"):
            for name in files + [d for d in dirs if os.path.islink(os.path.join(folder, d))]:
                full = os.path.join(folder, name)
                kind = "link" if os.path.islink(full) else "file" if os.path.isfile(full) else "other"
                paths.append((os.path.relpath(full, root).replace(os.sep, "/"), kind))
        listed, walked = discover_listing(paths), discover(root)
        assert listed.files == walked.files, root
        assert sorted(listed.diagnostics, key=Diagnostic.sort_key) == sorted(
            walked.diagnostics, key=Diagnostic.sort_key
        )


def test_markdown_escapes_what_members_wrote() -> None:
    assert md_text("[click](https://evil.example) <b>") == "\\[click\\]\\(https://evil.example\\) \\<b\\>"
    assert md_code("a`b") == "``a`b``"
    assert md_code("`x") == "`` `x ``"
    assert md_code("x``") == "``` x`` ```"
    assert md_code("a ``` b") == "````a ``` b````"
    assert md_code(" x ") == "`x`"  # outer spaces are dropped with the line breaks
    assert md_code("a\n\n- [x](javascript:y)") == "`a - [x](javascript:y)`"
    assert md_code("") == "` `"
    assert md_code("a|b") == "`a|b`"
    assert md_code("a|b", cell=True) == "`a\\|b`"


def test_markdown_names_every_record_and_flag_by_its_path(repo: Path) -> None:
    path = "content/engagements/2025/poster-series/ines-moreau.yml"
    softer = textwrap.dedent(BASE_FILES[path]).replace("relationship: 4", "relationship: 5")
    branch(repo, "edit", ({path: softer}, INES))
    code, output = review(repo, "edit")
    assert code == 1
    lines = output.splitlines()
    assert lines[2] == "**Verdict: needs attention** — 1 red flag: `attestation-edited`"
    assert (
        "- **attestation-edited** in `content/engagements/2025/poster-series/ines-moreau.yml`: `ines-moreau`'s "
        "existing attestation of `poster-series` is edited; it was negative \\(payment late\\): check that the "
        "change is the attester's own and that the other party was told"
    ) in lines
    assert (
        "- modified attestation `poster-series/ines-moreau` — Animated posters (attester `ines-moreau`, "
        "about `atelier-lumen`): `content/engagements/2025/poster-series/ines-moreau.yml`"
    ) in lines
    code, document = review_json(repo, "edit")
    assert (document["flags"][0]["path"], document["flags"][0]["files"]) == (path, [path])
    assert document["records"][0]["path"] == path


def test_hostile_titles_and_file_names_stay_text(repo: Path) -> None:
    hostile = "[click](https://evil.example) | <b>x</b> `code` li-na"
    files = {
        **new_engagement("teaser", "atelier-lumen", "ines-moreau"),
        "content/engagements/2026/teaser/engagement.yml": ENGAGEMENT.format(
            title=json.dumps(hostile), client="atelier-lumen", supplier="ines-moreau", started="2026-09-01"
        ),
        "content/members/a``b|c.yml": "name: x\n",
    }
    branch(repo, "hostile", (files, LUMEN))
    code, output = review(repo, "hostile")
    assert code == 1
    lines = output.splitlines()
    assert "- added member ```a``b|c```: ```content/members/a``b|c.yml```" in lines
    assert (
        "- added engagement `teaser` — \\[click\\]\\(https://evil.example\\) \\| \\<b\\>x\\</b\\> \\`code\\` "
        "li\\-na (client `atelier-lumen`, supplier `ines-moreau`): `content/engagements/2026/teaser/engagement.yml`"
    ) in lines
    assert lines[lines.index("### Problems") + 2].startswith(
        "- ```content/members/a``b|c.yml:1:1``` error\\[invalid-id\\]: "
    )


def test_subfolder_site_paths_are_repository_paths_in_markdown(tmp_path: Path) -> None:
    root = tmp_path / "mono"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    commit(root, {f"network/{rel}": text for rel, text in BASE_FILES.items()}, CLAIRE)
    branch(root, "teaser", ({f"network/{rel}": text for rel, text in teaser_by_lumen().items()}, LUMEN))
    code, output = review(root / "network", "teaser")
    assert code == 0
    assert (
        "- added engagement `teaser` — Work teaser (client `atelier-lumen`, supplier `ines-moreau`): "
        "`network/content/engagements/2026/teaser/engagement.yml`"
    ) in output.splitlines()
    assert (
        "  - supplier `ines-moreau`: **missing**, `ines-moreau` must add "
        "`network/content/engagements/2026/teaser/ines-moreau.yml`"
    ) in output.splitlines()


# ------------------------------------------------------------------------ withdrawn ids

WITHDRAWAL = """
    by: claire-dubois
    date: 2026-10-01
"""
HUGO_FILE = "content/members/hugo-fontaine.yml"
HUGO_WITHDRAWAL = "content/withdrawals/hugo-fontaine.yml"


def test_a_withdrawal_record_is_listed_and_raises_no_flag(repo: Path) -> None:
    branch(repo, "forget", ({HUGO_WITHDRAWAL: WITHDRAWAL}, CLAIRE))
    code, document = review_json(repo, "forget")
    assert (code, document["verdict"], flags(document)) == (0, "ready", [])
    assert [(r["change"], r["kind"], r["id"]) for r in document["records"]] == [
        ("added", "withdrawal", "hugo-fontaine")
    ]


def test_erasing_a_withdrawn_members_file_keeps_their_engagements_valid(repo: Path) -> None:
    branch(repo, "forget", ({HUGO_WITHDRAWAL: WITHDRAWAL}, CLAIRE), ({HUGO_FILE: None}, CLAIRE))
    code, document = review_json(repo, "forget")
    assert (code, document["verdict"], flags(document), document["errors"]) == (0, "ready", [], [])


def test_re_adding_a_member_whose_id_has_a_withdrawal_record_is_flagged(repo: Path) -> None:
    commit(repo, {HUGO_WITHDRAWAL: WITHDRAWAL}, CLAIRE)
    commit(repo, {HUGO_FILE: None}, CLAIRE)
    branch(repo, "back", ({HUGO_FILE: MEMBER.format(name="Hugo Fontaine", joined="2026-11-01")}, STRANGER))
    code, document = review_json(repo, "back")
    assert (code, document["verdict"], flags(document)) == (1, "needs attention", ["withdrawn-readded"])
    assert document["flags"][0]["paths"] == [HUGO_FILE]
    assert document["flags"][0]["reason"] == (
        "hugo-fontaine asked to be forgotten, and this change adds a member file with that id again: never reuse "
        "a withdrawn id; if the same person rejoins, they confirm it themselves and the withdrawal is removed in "
        "a change of its own"
    )


def test_setting_a_withdrawn_members_status_back_is_flagged(repo: Path) -> None:
    ines = MEMBER.format(name="Inès Moreau", joined="2024-09-02")
    commit(repo, {"content/members/ines-moreau.yml": ines + "    status: withdrawn\n"}, INES)
    branch(repo, "back", ({"content/members/ines-moreau.yml": ines}, STRANGER))
    code, document = review_json(repo, "back")
    assert (code, flags(document)) == (1, ["withdrawn-readded"])
    assert document["flags"][0]["reason"] == (
        "ines-moreau asked to be forgotten, and this change sets their status back: their profile would reappear"
    )


def test_deleting_a_withdrawal_is_flagged(repo: Path) -> None:
    commit(repo, {HUGO_WITHDRAWAL: WITHDRAWAL}, CLAIRE)
    branch(repo, "undo", ({HUGO_WITHDRAWAL: None}, STRANGER))
    code, document = review_json(repo, "undo")
    assert (code, flags(document)) == (1, ["withdrawn-readded"])
    assert document["flags"][0]["reason"] == (
        "this change deletes the withdrawal of hugo-fontaine, who asked to be forgotten: their profile would reappear"
    )


def test_re_adding_an_id_that_was_withdrawn_by_status_is_flagged(repo: Path) -> None:
    hugo = MEMBER.format(name="Hugo Fontaine", joined="2024-02-01")
    commit(repo, {HUGO_FILE: hugo + "    status: withdrawn\n"}, CLAIRE)
    branch(repo, "back", ({HUGO_FILE: None}, STRANGER), ({HUGO_FILE: hugo}, STRANGER))
    assert flags(review_json(repo, "back")[1]) == ["withdrawn-readded"]


def test_review_reuses_the_parses_of_the_record_cache(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files whose content (as git names it) the working tree's cache holds are not read or parsed again."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    branch(repo, "teaser", (teaser_by_lumen(), LUMEN))
    expected = review_json(repo, "teaser")
    edited = repo / "content/members/ines-moreau.yml"  # uncommitted: the cache holds another content
    edited.write_text(edited.read_text(encoding="utf-8") + "# an edit in progress\n", encoding="utf-8")
    check_site(repo, dt.date.fromisoformat(TODAY), cache=True)
    parsed: list[str] = []
    real = revisions_module.parse_blobs

    def counted(blobs: Any, jobs: int | None = None) -> Any:
        parsed.extend(file.path for file, _ in blobs)
        return real(blobs, jobs)

    monkeypatch.setattr(revisions_module, "parse_blobs", counted)
    assert review_json(repo, "teaser") == expected
    assert sorted(parsed) == sorted([*teaser_by_lumen(), "content/members/ines-moreau.yml"])
