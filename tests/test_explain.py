"""``triangle explain`` and ``api/members.json``: the arithmetic behind the badges, checkable by hand."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from generator.check import check_site
from generator.cli import cli
from generator.explain import explain_json, explain_text, members_api, unknown_member_message
from generator.score import FIGURES, LEVELS, SIDES, decide_level, score_site, wilson_lower, wilson_upper

from .conftest import REPO, TODAY, SiteFactory
from .scoring_helpers import GOOD_CLIENT, Network, days_ago

BASE = Path(__file__).parent / "invalid" / "_base"


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def demo_member() -> str:
    """A demo member with several confirmed engagements on every side."""
    result = check_site(REPO, dt.date.fromisoformat(TODAY))
    assert not result.failed(), [d.render() for d in result.diagnostics]
    scores = score_site(result.site)

    def confirmed(member: str) -> int:
        return sum(
            1
            for name in SIDES
            for item in scores.evidence(member, name)
            if item.status == "confirmed" and item.weight > 0
        )

    best = max(scores.members, key=lambda m: (min(len(scores.evidence(m, s)) for s in SIDES) > 0, confirmed(m), m))
    assert confirmed(best) >= 3
    return best


def test_explain_json_adds_up(demo_member: str) -> None:
    code, out, err = invoke("-C", str(REPO), "explain", demo_member, "--format", "json", "--today", TODAY)
    assert code == 0, err
    document = json.loads(out)
    assert (document["schema"], document["generated"]) == (2, TODAY)
    method = document["method"]
    member = document["member"]
    assert member["id"] == demo_member
    z = method["confidence_z"]
    for name in [*SIDES, "recommendation"]:
        side = member["sides"][name] if name in SIDES else member["recommendation"]
        items: list[dict[str, Any]] = side["items"]
        for item in items:
            product = item["recency"] * item["status_weight"] * item["diversity"] * item["trust"]
            assert item["weight"] == pytest.approx(product if item["counts"] else 0.0, abs=1e-5)
            assert item["recency"] == pytest.approx(0.5 ** (item["age_days"] / method["half_life_days"]), abs=1e-6)
            assert item["positive"] == pytest.approx(item["weight"] * item["positive_share"], abs=1e-5)
            negative = item["weight"] * (1 - item["positive_share"]) * item["severity"]
            assert item["negative_evidence"] == pytest.approx(negative, abs=1e-5)
            if item["counts"]:
                assert item["diversity"] == pytest.approx(item["repeat"] ** -method["repeat_exponent"], abs=1e-6)
        assert side["positive"] == pytest.approx(sum(i["positive"] for i in items), abs=1e-4)
        assert side["negative"] == pytest.approx(sum(i["negative_evidence"] for i in items), abs=1e-4)
        assert side["evidence"] == pytest.approx(side["positive"] + side["negative"], abs=1e-4)
        assert side["lower"] == pytest.approx(wilson_lower(side["positive"], side["evidence"], z), abs=1e-4)
        assert side["upper"] == pytest.approx(wilson_upper(side["positive"], side["evidence"], z), abs=1e-4)
        assert side["score"] == side["lower"]
        assert side["counterparts"] == len({i["counterpart"] for i in items if i["weight"] > 0})
        if name in SIDES:
            site = check_site(REPO, dt.date.fromisoformat(TODAY)).site
            config = site.config.scoring
            expected = decide_level(
                side["lower"],
                side["upper"],
                side["evidence"],
                side["counterparts"],
                side["negative_counterparts"],
                config,
            )
            assert (side["level"], side["reason"]) == expected


def test_explain_text_shows_every_factor_and_the_decision(demo_member: str) -> None:
    code, out, err = invoke("-C", str(REPO), "explain", demo_member, "--lang", "en", "--today", TODAY)
    assert code == 0, err
    result = check_site(REPO, dt.date.fromisoformat(TODAY))
    scores = score_site(result.site)
    assert out == explain_text(result.site, scores, demo_member)
    assert out.startswith(f"{result.site.members[demo_member].name} ({demo_member}), scored on November 27, 2026\n")
    for title in ("Relationship", "Deadlines", "Payment", "Recommendation (informative, no badge)"):
        assert f"\n{title}" in out
    side = scores.members[demo_member].sides["payment"]
    assert (
        f"totals      positive {side.positive:.4f} + negative {side.negative:.4f} = evidence {side.evidence:.4f}" in out
    )
    assert f"lower {side.lower:.4f} (the score), upper {side.upper:.4f}" in out
    assert "reliable from 0.5; highly reliable from 0.75" in out
    # Each counted row's weight is the product of the factors printed beside it.
    for item in scores.evidence(demo_member, "deadlines"):
        if item.counts:
            assert f"{item.weight:.4f}" in out
            assert math.isclose(item.weight, item.recency * item.status_weight * item.diversity * item.trust)


def test_explain_all_prints_members_json() -> None:
    code, out, err = invoke("-C", str(REPO), "explain", "--all", "--format", "json", "--today", TODAY)
    assert code == 0, err
    document = json.loads(out)
    assert set(document) == {"schema", "generated", "members"}
    assert (document["schema"], document["generated"]) == (2, TODAY)
    ids = [m["id"] for m in document["members"]]
    assert ids == sorted(ids)
    assert len(ids) > 10
    for member in document["members"]:
        assert {"id", "name", "trust", "sides", "recommendation", "relations", "proven_skills"} <= set(member)
        assert set(member["sides"]) == set(SIDES)
        for side in member["sides"].values():
            assert {"level", "score", "evidence"} <= set(side)
            assert side["level"] in LEVELS
            assert 0 <= side["score"] <= 1
        assert {"score", "evidence"} <= set(member["recommendation"])
        assert all(isinstance(v, int) for v in member["proven_skills"].values())
    site = check_site(REPO, dt.date.fromisoformat(TODAY)).site
    assert document == members_api(site, score_site(site))


def test_members_json_leaves_withdrawn_members_out() -> None:
    network = Network()
    network.member("gone", status="withdrawn")
    network.member("left", status="left")
    for ago in (500, 100):
        network.engagement("coordinator", "gone", ago=ago)
        network.engagement("coordinator", "left", ago=ago)
    site = network.site()
    scores = score_site(site)
    assert scores.members["coordinator"].relations == ("gone", "left")
    document = members_api(site, scores)
    assert [m["id"] for m in document["members"]] == ["coordinator", "left"]
    assert document["members"][0]["relations"] == ["left"]
    assert document["members"][1]["status"] == "left"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["explain", "ines-morau"], "error: no member 'ines-morau' — did you mean 'ines-moreau'?\n"),
        (["explain", "Inès Moreau"], "error: no member 'Inès Moreau' — did you mean 'ines-moreau'?\n"),
        (["explain", "Ines Morau"], "error: no member 'Ines Morau' — did you mean 'ines-moreau'?\n"),
        (["explain", "zzz"], "error: no member 'zzz' — expected a member id, as in content/members/<id>.yml "
         "(got 'zzz')\n"),
        (["explain"], "error: name one member to explain, or use --all (with --format json) for every member"),
        (["explain", "ines-moreau", "--all"], "error: name one member to explain, or use --all"),
        (["explain", "--all"], "error: --all prints the api/members.json document: add --format json"),
    ],
)  # fmt: skip
def test_usage_mistakes_exit_2(args: list[str], message: str) -> None:
    code, out, err = invoke("-C", str(REPO), *args, "--today", TODAY)
    assert code == 2
    assert message in err
    assert out == ""


def test_an_invalid_site_prints_its_problems_and_exits_1(site_factory: SiteFactory) -> None:
    root = site_factory(
        {
            "content/members/ines-moreau.yml": """
                name: Inès Moreau
                kind: persn
                headline: Motion designer
                region: ile-de-france
                skills: [motion-design]
                joined: 2024-09-02
            """
        },
        base=BASE,
    )
    code, out, _ = invoke("-C", str(root), "explain", "claire-dubois", "--today", TODAY)
    assert code == 1
    assert "content/members/ines-moreau.yml:2:7: error[invalid-choice]" in out


def test_explain_every_demo_member_agrees_with_the_score() -> None:
    result = check_site(REPO, dt.date.fromisoformat(TODAY))
    scores = score_site(result.site)
    for member in scores.members:
        text = explain_text(result.site, scores, member)
        for name in FIGURES:
            side = scores.members[member].sides.get(name, scores.members[member].recommendation)
            assert f"(score {side.score:.4f})" in text


def test_a_statement_awaiting_reply_says_when_it_will_count() -> None:
    network = Network()
    network.engagement(
        "coordinator", "b", ago=40, by_client={**GOOD_CLIENT, "delivery": "late", "date": days_ago(4)}, by_supplier=None
    )
    site = network.site()
    scores = score_site(site)
    (item,) = explain_json(site, scores, "b")["member"]["sides"]["deadlines"]["items"]
    assert (item["state"], item["counts"], item["counts_from"]) == ("awaiting_reply", False, days_ago(-10).isoformat())
    assert f"(counts from {days_ago(-10).isoformat()})" in explain_text(site, scores, "b")


def test_text_folds_at_the_terminal_width_but_tables_do_not() -> None:
    def run(columns: str | None) -> list[str]:
        env = {"COLUMNS": columns} if columns else {}
        args = ["-C", str(REPO), "explain", "ines-moreau", "--lang", "en", "--today", TODAY]
        result = CliRunner().invoke(cli, args, env=env, catch_exceptions=False)
        assert result.exit_code == 0
        return result.stdout.splitlines()

    whole, folded = run(None), run("70")
    assert any(len(line) > 120 for line in whole)  # a pipe: nothing is folded
    table = [line for line in folded if line.startswith("  date  ")]
    assert table and all(len(line) > 70 for line in table)
    prose = [line for line in folded if line not in whole]
    assert prose and all(len(line) <= 70 for line in prose)
    assert folded[2:4] == [
        "How to read this: each row is one statement made about this member. A",
        "statement counts with",
    ]
    totals = folded.index(next(line for line in folded if line.startswith("  totals  ")))
    assert folded[totals + 1].startswith("              from ")  # under the label's value
    assert " ".join(" ".join(folded).split()) == " ".join(" ".join(whole).split())


def test_json_is_never_folded() -> None:
    result = CliRunner().invoke(
        cli,
        ["-C", str(REPO), "explain", "ines-moreau", "--format", "json", "--today", TODAY],
        env={"COLUMNS": "40"},
        catch_exceptions=False,
    )
    assert json.loads(result.stdout)["member"]["id"] == "ines-moreau"


def test_text_speaks_the_sites_first_language_by_default() -> None:
    code, out, err = invoke("-C", str(REPO), "explain", "ines-moreau", "--today", TODAY)  # the demo: fr, en
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "Inès Moreau (ines-moreau), scores calculés le 27 novembre 2026"
    assert lines[2] == (
        "Comment lire ceci\u00a0: chaque ligne est une affirmation faite sur ce membre. Une affirmation compte avec"
    )
    assert "Relation\u00a0: Nouveau (score 0,3665)" in lines
    assert (
        "  totaux  positif 0,9477 + négatif 0,0000 = éléments 0,9477, de 1 partenaire(s), dont 0 avec des "
        "négatifs" in lines
    )
    assert "  date        engagement " in out  # the table keeps its columns
    assert "(en attente\u00a0: l’autre partie peut encore confirmer)" in out
    english = invoke("-C", str(REPO), "explain", "ines-moreau", "--lang", "en", "--today", TODAY)[1]
    assert "Relationship: New (score 0.3665)" in english.splitlines()


def test_a_withdrawn_member_is_never_suggested() -> None:
    network = Network()
    network.member("karim-benali", status="withdrawn")
    network.member("karim-benoit")
    site = network.site()
    assert unknown_member_message(site, "karim-benaly") == "no member 'karim-benaly' — did you mean 'karim-benoit'?"
