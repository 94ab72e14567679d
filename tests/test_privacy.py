"""The members' rights on a built site: withdrawal removes a member everywhere, negative records wait.

Each removal point is checked on the whole rendered output (pages in every language,
API, badges, feeds, sitemap, search documents) for the three ways a member can be
forgotten: ``status: withdrawn``, a coordinator's ``content/withdrawals/<id>.yml``, and
that record with the member's file erased. A control build with the member active
proves each check would see them.
"""

from __future__ import annotations

import json
import re
import shutil
import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.check import check_site
from generator.cli import cli
from generator.render import load_theme, render_site
from generator.score import score_site

from .conftest import REPO, TODAY
from .test_render import AWAITING, BUILD_DATE

BASE = REPO / "tests" / "invalid" / "_base"
Site = dict[str, bytes]

ID = "bastien-roux"
SECRETS = (
    "Bastien Roux",
    ID,
    "BASTIENHEADLINE",
    "BASTIENBIO",
    "BASTIENCOMMENT",
    "BASTIENREPLY",
    "BASTIENSUMMARY",
    "bastien.example",
    "corse",
    "Ajaccio",
)
"""Everything that is the withdrawn member's: name, id, their words, their links, their region.

Not their skill: it is also the fact of an engagement they supplied (``invitations``),
which stays as the coordinator's evidence; its own listing page must go, though."""

MEMBER = """
    name: Bastien Roux
    kind: person
    headline: BASTIENHEADLINE letterpress printer
    region: corse
    location: Ajaccio
    skills: [letterpress-printing]
    joined: 2023-02-01
    sponsors: [claire-dubois]
    links:
      website: https://bastien.example/
    bio: BASTIENBIO prints posters by hand.
"""
FILES = {
    f"content/members/{ID}.yml": MEMBER,
    # Inès names Bastien as a sponsor: her page lists her sponsors.
    "content/members/ines-moreau.yml": """
        name: Inès Moreau
        kind: person
        headline: Motion designer for cultural institutions
        region: ile-de-france
        skills: [motion-design, illustration]
        joined: 2024-09-02
        sponsors: [claire-dubois, bastien-roux]
    """,
    # Two confirmed engagements 8 months apart: Bastien and Inès are professional relations.
    "content/engagements/2025/print-a/engagement.yml": f"""
        title: Animated letterpress poster
        client: {ID}
        supplier: ines-moreau
        skills: [motion-design]
        started: 2025-01-06
        deadline: 2025-02-01
        invoice_due: 2025-03-01
        summary: BASTIENSUMMARY of the project.
    """,
    f"content/engagements/2025/print-a/{ID}.yml": """
        date: 2025-02-10
        delivery: on_time
        quality: 5
        relationship: 5
        recommend: true
        comment: BASTIENCOMMENT lovely work.
        reply: BASTIENREPLY thank you.
    """,
    "content/engagements/2025/print-a/ines-moreau.yml": """
        date: 2025-03-02
        payment: on_time
        relationship: 5
        recommend: true
        comment: Paid on time, clear brief.
    """,
    "content/engagements/2025/print-b/engagement.yml": f"""
        title: Second animated poster
        client: {ID}
        supplier: ines-moreau
        skills: [motion-design]
        started: 2025-09-01
    """,
    f"content/engagements/2025/print-b/{ID}.yml": """
        date: 2025-10-01
        delivery: on_time
        quality: 4
        relationship: 5
        recommend: true
    """,
    "content/engagements/2025/print-b/ines-moreau.yml": """
        date: 2025-10-03
        payment: on_time
        relationship: 5
        recommend: true
    """,
    # Bastien as supplier of the coordinator: his proven skill.
    "content/engagements/2026/invitations/engagement.yml": f"""
        title: Printed invitations
        client: claire-dubois
        supplier: {ID}
        skills: [letterpress-printing]
        started: 2026-03-02
    """,
    "content/engagements/2026/invitations/claire-dubois.yml": """
        date: 2026-04-01
        delivery: on_time
        quality: 5
        relationship: 5
        recommend: true
    """,
    f"content/engagements/2026/invitations/{ID}.yml": """
        date: 2026-04-02
        payment: on_time
        relationship: 5
        recommend: true
    """,
}
WITHDRAWAL = """
    by: claire-dubois
    date: 2026-10-01
    reason: BASTIENREASON asked by e-mail.
"""
WAYS = {
    "active": {},
    "status": {f"content/members/{ID}.yml": MEMBER + "    status: withdrawn\n"},
    "record": {f"content/withdrawals/{ID}.yml": WITHDRAWAL},
    "erased": {f"content/withdrawals/{ID}.yml": WITHDRAWAL, f"content/members/{ID}.yml": None},
}


def make(root: Path, files: dict[str, str | None]) -> Path:
    shutil.copytree(BASE, root)
    for rel, text in files.items():
        target = root / rel
        if text is None:
            target.unlink(missing_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def render(root: Path) -> Site:
    checked = check_site(root, BUILD_DATE)
    errors = [d.render() for d in checked.diagnostics if d.severity.value == "error"]
    assert not errors, errors
    scores = score_site(checked.site)
    theme = load_theme(root, checked.site.config.theme)
    return {o.path: o.content for o in render_site(checked.site, scores, theme, jobs=1, search=True)}


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Site]:
    return {
        way: render(make(tmp_path_factory.mktemp(way) / "site", {**FILES, **changes})) for way, changes in WAYS.items()
    }


def found(site: Site, paths: Callable[[str], bool]) -> dict[str, list[str]]:
    """Which secrets appear in which of the selected outputs (their path included)."""
    hits: dict[str, list[str]] = {}
    for path, content in site.items():
        if not paths(path):
            continue
        text = path + "\n" + content.decode("utf-8", "replace")
        seen = [s for s in SECRETS if s in text]
        if seen:
            hits[path] = seen
    return hits


def members_pages(path: str) -> bool:
    return path.endswith("index.html") and "/members/" in "/" + path


REMOVAL_POINTS: dict[str, Callable[[str], bool]] = {
    "profile page": lambda p: p.removeprefix("en/").startswith(f"members/{ID}/"),
    "badges (combined, endpoint JSON, per side)": lambda p: p.startswith("badges/"),
    "feed entries": lambda p: p.endswith("feed.xml"),
    "search documents": lambda p: p.startswith(".search/"),
    "sitemap": lambda p: p == "sitemap.xml" or p.startswith("sitemaps/"),
    "relations, sponsors and engagements on others' pages": members_pages,
    "network graph": lambda p: p.removeprefix("en/").startswith("network/"),
    "skill and region listings": lambda p: p.removeprefix("en/").startswith(("skills/", "regions/", "index.html")),
    "the directory's numbered pages and JSON index": lambda p: p.removeprefix("en/").startswith(
        ("page/", "directory.json")
    ),
    "api exports": lambda p: p.startswith("api/"),
    "method page (coordinators), 404, robots": lambda p: p.removeprefix("en/").startswith(("method/", "404", "robots")),
}


WITHOUT_CONTROL = frozenset({"method page (coordinators), 404, robots"})
"""Points where an active member who is not a coordinator does not appear either."""


@pytest.mark.parametrize("point", sorted(set(REMOVAL_POINTS) - WITHOUT_CONTROL))
def test_the_control_build_shows_the_member_at_every_removal_point(sites: dict[str, Site], point: str) -> None:
    assert found(sites["active"], REMOVAL_POINTS[point]), f"the check of {point!r} would see nothing"


@pytest.mark.parametrize("way", ["status", "record", "erased"])
@pytest.mark.parametrize("point", sorted(REMOVAL_POINTS))
def test_a_withdrawn_member_is_removed_from(sites: dict[str, Site], way: str, point: str) -> None:
    assert found(sites[way], REMOVAL_POINTS[point]) == {}


@pytest.mark.parametrize("way", ["active", "status", "record", "erased"])
def test_a_skill_only_they_declared_has_no_listing(sites: dict[str, Site], way: str) -> None:
    pages = [p for p in sites[way] if "skills/letterpress-printing/" in p]
    assert bool(pages) is (way == "active"), pages


@pytest.mark.parametrize("way", ["status", "record", "erased"])
def test_nothing_of_a_withdrawn_member_is_anywhere_in_the_output(sites: dict[str, Site], way: str) -> None:
    assert found(sites[way], lambda _: True) == {}
    assert not any(b"BASTIENREASON" in content for content in sites[way].values())


@pytest.mark.parametrize("way", ["status", "record", "erased"])
def test_their_engagements_stay_as_evidence_for_the_counterpart(sites: dict[str, Site], way: str) -> None:
    site = sites[way]
    for prefix, former in (("", "ancien membre"), ("en/", "former member")):
        page = site[f"{prefix}members/ines-moreau/index.html"].decode()
        for eid in ("print-a", "print-b"):
            block = re.search(rf'<article class="engagement[^"]*" id="e-{eid}">.*?</article>', page, re.S)
            assert block is not None, (prefix, eid)
            assert former in block.group(0)
        assert "Animated letterpress poster" in page  # the shared title stays; the summary goes
        assert "Paid on time, clear brief." in page  # the counterpart's own words stay
    feed = site["feed.xml"].decode()
    assert "ancien membre" in feed
    engagements = json.loads(site["api/engagements.json"])["engagements"]
    entry = next(e for e in engagements if e["id"] == "print-a")
    assert entry["client"]["former_member"] is True
    # Their statements about Inès still count (the same score as with the member active).
    members = {m["id"]: m for m in json.loads(site["api/members.json"])["members"]}
    active = {m["id"]: m for m in json.loads(sites["active"]["api/members.json"])["members"]}
    assert ID not in members
    assert members["ines-moreau"]["sides"] == active["ines-moreau"]["sides"]


def test_explain_refuses_a_withdrawn_member(tmp_path: Path) -> None:
    root = make(tmp_path / "site", {**FILES, **WAYS["record"]})
    result = CliRunner().invoke(cli, ["-C", str(root), "explain", ID, "--today", TODAY])
    assert result.exit_code == 2
    assert "'bastien-roux' asked to be forgotten (withdrawn): Triangle shows nothing about them" in result.output


# ------------------------------------------------------------------- negative records wait

ANSWER = {
    "content/engagements/2026/autumn-brochure/claire-dubois.yml": """
        date: 2026-11-22
        payment: on_time
        relationship: 4
        recommend: true
        reply: The brief changed twice.
    """,
}


def claire(site: Site) -> dict[str, object]:
    members = {m["id"]: m for m in json.loads(site["api/members.json"])["members"]}
    return members["claire-dubois"]["sides"]  # type: ignore[no-any-return]


def test_an_unanswered_negative_attestation_is_nowhere_in_the_output_and_does_not_count(tmp_path: Path) -> None:
    waiting = render(make(tmp_path / "waiting", AWAITING))
    assert not any(b"SECRET-COMPLAINT" in content for content in waiting.values())
    without = render(make(tmp_path / "without", {k: v for k, v in AWAITING.items() if "atelier" not in k}))
    assert claire(waiting) == claire(without)


def test_once_the_other_party_attests_the_negative_statement_is_published_and_counts(tmp_path: Path) -> None:
    answered = render(make(tmp_path / "answered", {**AWAITING, **ANSWER}))
    page = answered["members/claire-dubois/index.html"].decode()
    assert "SECRET-COMPLAINT" in page and "The brief changed twice." in page
    only_answer = render(
        make(tmp_path / "only", {**{k: v for k, v in AWAITING.items() if "atelier" not in k}, **ANSWER})
    )
    assert claire(answered) != claire(only_answer)


# ------------------------------------------------------------------------ no blended verdict

DIGIT = re.compile(r"[0-9]")
SVG = "{http://www.w3.org/2000/svg}"


def test_badges_show_three_sides_and_no_single_number(sites: dict[str, Site]) -> None:
    site = sites["active"]
    combined = [p for p in site if p.startswith("badges/") and p.count("/") == 1]
    assert combined
    for path in combined:
        if path.endswith(".json"):
            document = json.loads(site[path])
            message = document["message"]
            assert [part.split(":")[0] for part in message.split(" · ")] == ["relationship", "deadlines", "payment"]
            assert not DIGIT.search(message), (path, message)
            assert set(document) == {"schemaVersion", "label", "message", "color"}
        else:
            root = ET.fromstring(site[path])
            texts = [t.text or "" for t in root.iter(f"{SVG}text") if t.get("aria-hidden") is None]
            sides = texts[1:]
            assert [t.split(":")[0] for t in sides] == ["relationship", "deadlines", "payment"], texts
            assert not any(DIGIT.search(t) or "%" in t for t in sides), texts
