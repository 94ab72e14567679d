"""The plain facts beside every level: counted by hand on a written network, and as visitors read them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from generator.check import check_site
from generator.explain import members_api
from generator.render import load_theme, render_site
from generator.score import Scores, score_site
from generator.views import SiteIndex, member_page

from .levels_network import BUILD_DATE, DAN_DELAYS, write_levels_network
from .scoring_helpers import GOOD_CLIENT, GOOD_SUPPLIER, Network, days_ago

GOLDEN = Path(__file__).parent / "golden" / "levels"
SUBJECTS = ("ada-lovelace", "ben-okri", "cora-diaz", "dan-brown", "eve-curie")


@pytest.fixture(scope="module")
def levels(tmp_path_factory: pytest.TempPathFactory) -> tuple[Scores, dict[str, str]]:
    root = write_levels_network(tmp_path_factory.mktemp("levels") / "site")
    checked = check_site(root, BUILD_DATE)
    assert not [d for d in checked.diagnostics if d.severity.value == "error"]
    scores = score_site(checked.site)
    theme = load_theme(root, checked.site.config.theme)
    pages = {
        o.path: o.content.decode("utf-8") for o in render_site(checked.site, scores, theme) if o.path.endswith(".html")
    }
    return scores, pages


def test_each_subject_is_in_the_level_state_it_was_written_for(levels: tuple[Scores, dict[str, str]]) -> None:
    scores, _ = levels
    got = {
        m: tuple(scores.members[m].sides[s].level for s in ("relationship", "deadlines", "payment")) for m in SUBJECTS
    }
    assert got == {
        "ada-lovelace": ("highly_reliable", "highly_reliable", "not_applicable"),
        "ben-okri": ("reliable", "reliable", "not_applicable"),
        "cora-diaz": ("highly_reliable", "mixed", "not_applicable"),
        "dan-brown": ("reliable", "not_applicable", "caution"),
        "eve-curie": ("new", "new", "not_applicable"),
    }
    assert scores.members["eve-curie"].sides["deadlines"].needs_counterparts == 1


def test_late_payments_are_counted_with_their_median_and_worst_delay(levels: tuple[Scores, dict[str, str]]) -> None:
    scores, _ = levels
    facts = scores.members["dan-brown"].sides["payment"].facts
    assert (facts.statements, facts.on_time, facts.late, facts.failed) == (6, 1, 5, 0)
    assert (facts.days_late_known, facts.days_late_median, facts.days_late_max) == (5, 30.0, 60)
    assert sorted(DAN_DELAYS)[2] == 30 and max(DAN_DELAYS) == 60  # the hand count the figures come from
    assert (facts.counterparts, facts.confirmed) == (6, 6)
    deadlines = scores.members["cora-diaz"].sides["deadlines"].facts
    assert (deadlines.statements, deadlines.on_time, deadlines.late, deadlines.failed) == (10, 6, 4, 0)


def test_the_api_publishes_the_facts_of_each_side(levels: tuple[Scores, dict[str, str]]) -> None:
    scores, _ = levels
    document = json.loads(json.dumps(members_api(scores.site, scores)))
    dan = next(m for m in document["members"] if m["id"] == "dan-brown")
    assert dan["sides"]["payment"]["facts"] == {
        "statements": 6,
        "confirmed": 6,
        "counterparts": 6,
        "on_time": 1,
        "late": 5,
        "unpaid": 0,
        "days_late_known": 5,
        "days_late_median": 30.0,
        "days_late_max": 60,
    }
    assert dan["sides"]["deadlines"]["level"] == "not_applicable"
    assert dan["sides"]["deadlines"]["facts"] == {
        "statements": 0,
        "confirmed": 0,
        "counterparts": 0,
        "on_time": 0,
        "late": 0,
        "not_delivered": 0,
    }
    eve = next(m for m in document["members"] if m["id"] == "eve-curie")
    assert eve["sides"]["deadlines"]["needs"] == {"counterparts": 1, "evidence": pytest.approx(1.04, abs=0.01)}
    assert "needs" not in dan["sides"]["payment"]


def text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_cards_and_member_pages_say_the_facts_in_words(levels: tuple[Scores, dict[str, str]]) -> None:
    _, pages = levels
    index_fr, index_en = text(pages["index.html"]), text(pages["en/index.html"])
    assert "Paiement , Vigilance 6 factures : 1 payée à temps, 5 payées en retard (médiane 30 jours)" in index_fr
    assert "Payment , Caution 6 invoices: 1 paid on time, 5 paid late (median 30 days)" in index_en
    assert "Délais , Avis partagés 10 livraisons : 6 livrées à temps, 4 livrées en retard" in index_fr
    assert "encore 1 partenaire nécessaire" in index_fr and "1 more counterpart needed" in index_en
    member = text(pages["en/members/dan-brown/index.html"])
    assert (
        "6 invoices: 1 paid on time, 5 paid late (median 30 days, worst 60 days). "
        "From 6 distinct members; all confirmed by both parties." in member
    )
    assert "Never a supplier in the network: no deliveries to judge" in member


def test_the_directory_lists_the_most_reliable_first(levels: tuple[Scores, dict[str, str]]) -> None:
    _, pages = levels
    cards = re.sub(r"<template\b.*?</template>", "", pages["en/index.html"], flags=re.S)  # the script's models
    order = re.findall(r'data-member="([^"]+)"[^>]*data-rank="(\d+)"', cards)
    assert [int(rank) for _, rank in order] == list(range(len(order)))
    ids = [member for member, _ in order]
    assert ids.index("ada-lovelace") < ids.index("ben-okri") < ids.index("eve-curie")
    assert ids.index("cora-diaz") > ids.index("ben-okri")  # a mixed side weighs against
    assert ids[-1] == "dan-brown"  # caution comes last
    assert ids.index("olga-ward") > ids.index("ben-okri")  # a coordinator has the most trust, not the best record


def member_levels(html: str) -> str:
    """The part of a member page a level state changes: the header's badges and the triangle section."""
    head = re.search(r'<ul class="badges badges-large.*?</ul>', html, re.S)
    triangle = re.search(r'<section class="triangle".*?<p class="evidence-link">', html, re.S)
    assert head and triangle
    return head.group(0) + "\n" + triangle.group(0) + "\n"


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("member", SUBJECTS)
def test_member_level_states_match_their_golden_files(
    levels: tuple[Scores, dict[str, str]], member: str, language: str, update_golden: bool
) -> None:
    _, pages = levels
    prefix = "" if language == "fr" else "en/"
    rendered = member_levels(pages[f"{prefix}members/{member}/index.html"])
    path = GOLDEN / f"{member}.{language}.html"
    if update_golden:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(rendered, encoding="utf-8")
    assert rendered == path.read_text(encoding="utf-8"), (
        f"{member}'s levels differ from {path.name}; if intended, run pytest tests/test_facts.py --update-golden"
    )


def test_facts_leave_out_what_does_not_count() -> None:
    """Contested sides, statements awaiting a reply and pending one-sided engagements are not counted."""
    network = Network()
    network.engagement("a", "b", ago=200)
    network.engagement("c", "b", ago=200, by_supplier={**GOOD_SUPPLIER, "disputes": ("delivery",)})
    network.engagement(
        "d", "b", ago=300, by_client={**GOOD_CLIENT, "delivery": "late", "date": days_ago(3)}, by_supplier=None
    )
    network.engagement("e", "b", ago=20, by_supplier=None)  # one-sided, still pending
    network.engagement("f", "b", ago=300, by_supplier=None)  # one-sided, unconfirmed: counts, not confirmed
    scores = score_site(network.site())
    states = {e.counterpart: (e.status, e.state) for e in scores.evidence("b", "deadlines")}
    assert states["c"] == ("disputed", "contested")
    assert states["d"][1] == "awaiting_reply"
    assert states["e"] == ("pending", "counted")
    assert states["f"] == ("unconfirmed", "counted")
    facts = scores.members["b"].sides["deadlines"].facts
    assert (facts.statements, facts.confirmed, facts.on_time, facts.late) == (2, 1, 2, 0)
    assert facts.counterparts == 2


def test_a_member_page_lists_what_both_parties_attested_first() -> None:
    network = Network()
    pending = network.engagement("a", "b", ago=10, by_supplier=None)  # newest, one-sided
    older = network.engagement("c", "b", ago=400)
    newer = network.engagement("d", "b", ago=100)
    site = network.site()
    page = member_page(SiteIndex(site, score_site(site)), "b")
    assert page.as_supplier == (newer, older, pending)
