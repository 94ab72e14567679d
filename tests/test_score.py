"""The scoring method, one formula and one rule at a time (see docs/scoring.md)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from generator.diagnostics import UsageError
from generator.schema import default_scoring
from generator.score import (
    FIGURES,
    attester_factor,
    check_thresholds,
    decide_level,
    diversity_weight,
    late_payment_severity,
    rating_share,
    recency_weight,
    score_site,
    status_weight,
    wilson_bounds,
    wilson_lower,
    wilson_upper,
)
from generator.status import awaiting_reply, engagement_status, is_negative, statement_state
from generator.trust import propagate_trust, typical_trust

from .scoring_helpers import GOOD_CLIENT, GOOD_SUPPLIER, TODAY, Network, days_ago

CONFIG = default_scoring()


# ------------------------------------------------------------------------ formulas


@pytest.mark.parametrize(
    ("positive", "n", "expected"),
    [(1, 1, 0.2065), (9, 10, 0.5958), (90, 100, 0.8256), (0, 5, 0.0), (5, 5, 0.5655)],
)
def test_wilson_lower_reference_values(positive: float, n: float, expected: float) -> None:
    assert wilson_lower(positive, n, 1.96) == pytest.approx(expected, abs=1e-4)


def test_wilson_bounds_without_evidence_know_nothing() -> None:
    assert wilson_lower(0, 0, 1.96) == 0.0
    assert wilson_upper(0, 0, 1.96) == 1.0


def test_wilson_upper_is_symmetric_to_lower() -> None:
    for positive, n in [(1, 1), (9, 10), (0, 5), (2.5, 7.25)]:
        assert wilson_upper(positive, n, 1.96) == pytest.approx(1 - wilson_lower(n - positive, n, 1.96), abs=1e-12)


def test_vectorised_wilson_matches_the_formula() -> None:
    rng = np.random.default_rng(7)
    n = np.concatenate([[0.0, 1.0, 5.0], rng.uniform(0, 40, 200)])
    positive = n * np.concatenate([[0.0, 1.0, 1.0], rng.uniform(0, 1, 200)])
    lower, upper = wilson_bounds(positive, n, 1.96)
    for p, total, lo, up in zip(positive, n, lower, upper, strict=True):
        assert lo == pytest.approx(wilson_lower(p, total, 1.96), abs=1e-12)
        assert up == pytest.approx(wilson_upper(p, total, 1.96), abs=1e-12)


@pytest.mark.parametrize(("age", "expected"), [(90, 0.8429), (365, 0.5), (730, 0.25), (0, 1.0), (-3, 1.0)])
def test_recency_weight_reference_values(age: int, expected: float) -> None:
    assert recency_weight(age, 365) == pytest.approx(expected, abs=1e-4)


def test_diversity_weight_discounts_repeats() -> None:
    assert [diversity_weight(k, 2.0) for k in (1, 2, 3)] == pytest.approx([1, 0.25, 1 / 9])
    assert [diversity_weight(k, 1.0) for k in (1, 2, 4)] == pytest.approx([1, 0.5, 0.25])
    assert diversity_weight(5, 0.0) == 1.0
    assert diversity_weight(0, 2.0) == 0.0


def test_status_weight() -> None:
    assert [status_weight(s, CONFIG) for s in ("confirmed", "disputed", "resolved")] == [1.0, 1.0, 1.0]
    assert status_weight("unconfirmed", CONFIG) == CONFIG.unconfirmed_weight == 0.5
    assert status_weight("pending", CONFIG) == 0.0
    assert status_weight("unattested", CONFIG) == 0.0


def test_rating_share_is_linear() -> None:
    assert [rating_share(r) for r in (1, 2, 3, 4, 5)] == [0.0, 0.25, 0.5, 0.75, 1.0]


def test_late_payment_weighs_more_the_later_it_was() -> None:
    assert late_payment_severity(None, CONFIG) == 1.0
    assert late_payment_severity(0, CONFIG) == 1.0
    assert late_payment_severity(15, CONFIG) == 1.5
    assert late_payment_severity(90, CONFIG) == CONFIG.severe_weight == 2.0


def test_attester_factor_is_bounded() -> None:
    assert attester_factor(0.02, 0.01) == 1.0
    assert attester_factor(0.005, 0.01) == 0.5
    assert attester_factor(0.0, 0.01) == 0.0


# -------------------------------------------------------------------------- levels


def level(lower: float, upper: float, evidence: float, counterparts: int = 5, negative: int = 0) -> str:
    return decide_level(lower, upper, evidence, counterparts, negative, CONFIG)[0]


def test_levels() -> None:
    assert level(0.9, 1.0, 30, counterparts=1) == "new"
    assert decide_level(0.9, 1.0, 30, 1, 0, CONFIG)[1] == "few-counterparts"
    assert decide_level(0.1, 1.0, 1.5, 3, 0, CONFIG)[1] == "little-evidence"
    assert level(0.8, 1.0, 30) == "highly_reliable"
    assert level(0.75, 1.0, 30) == "highly_reliable"
    assert level(0.74, 1.0, 30) == "reliable"
    assert level(0.5, 1.0, 30) == "reliable"
    assert level(0.1, 0.4, 30, negative=2) == "caution"
    assert level(0.1, 0.4, 30, negative=1) == "mixed"  # one conflict never brands a member
    assert decide_level(0.49, 0.9, 30, 5, 0, CONFIG) == ("mixed", "mixed")
    # Too little for even a spotless record to read reliable: new, never "mixed".
    spotless = CONFIG.confidence_z**2 * 0.99
    assert decide_level(0.3, 0.9, spotless, 5, 1, CONFIG) == ("new", "little-evidence")
    assert decide_level(0.9, 1.0, 30, 5, 0, CONFIG, applicable=False) == ("not_applicable", "not-applicable")


def test_contradictory_thresholds_are_refused() -> None:
    config = dataclasses.replace(CONFIG, reliable_threshold=0.9, highly_reliable_threshold=0.8)
    with pytest.raises(UsageError) as caught:
        check_thresholds(config)
    assert caught.value.message == (
        "site.yml has contradictory scoring thresholds: scoring.reliable_threshold (0.9) must be below "
        "scoring.highly_reliable_threshold (0.8)"
    )
    config = dataclasses.replace(CONFIG, caution_threshold=0.7)
    with pytest.raises(UsageError, match=r"scoring.caution_threshold \(0.7\) must not be above"):
        check_thresholds(config)


def test_score_site_checks_thresholds() -> None:
    network = Network(scoring={"reliable_threshold": 0.8})
    with pytest.raises(UsageError, match=r"contradictory scoring thresholds"):
        score_site(network.site())


def test_no_coordinator_among_members_is_a_usage_error() -> None:
    network = Network()
    network.engagement("a", "b")
    site = dataclasses.replace(network.site(), config=dataclasses.replace(network.site().config, coordinators=("x",)))
    with pytest.raises(UsageError, match=r"none of the coordinators listed in site\.yml is a member"):
        score_site(site)


# -------------------------------------------------------------------------- status


def status_of(network: Network, eid: str) -> str:
    site = network.site()
    return engagement_status(site.engagements[eid], site.resolutions.get(eid), TODAY, 60, 14).status


def test_engagement_statuses() -> None:
    network = Network()
    nobody = network.engagement("a", "b", by_client=None, by_supplier=None)
    young = network.engagement("a", "b", by_supplier=None, ago=40)  # attested 10 days ago
    old = network.engagement("a", "b", by_client=None, ago=200)
    both = network.engagement("a", "b")
    disputed = network.engagement("a", "b", by_supplier={**GOOD_SUPPLIER, "disputes": ("delivery",)})
    resolved = network.engagement("a", "b", by_supplier={**GOOD_SUPPLIER, "disputes": ("delivery",)})
    network.resolve(resolved, upheld=("delivery",))
    assert [status_of(network, e) for e in (nobody, young, old, both, disputed, resolved)] == [
        "unattested",
        "pending",
        "unconfirmed",
        "confirmed",
        "disputed",
        "resolved",
    ]


def test_a_partial_resolution_leaves_the_engagement_disputed() -> None:
    network = Network()
    eid = network.engagement(
        "a", "b", by_supplier={**GOOD_SUPPLIER, "disputes": ("delivery", "quality")}, by_client=GOOD_CLIENT
    )
    network.resolve(eid, upheld=("delivery",))
    site = network.site()
    status = engagement_status(site.engagements[eid], site.resolutions[eid], TODAY, 60, 14)
    assert status.status == "disputed"
    assert status.contested == ("delivery", "quality")
    assert status.by_client is not None
    assert (status.by_client.delivery, status.by_client.quality, status.by_client.relationship) == (
        "upheld",
        "contested",
        "counted",
    )


def test_statement_state() -> None:
    network = Network()
    eid = network.engagement("a", "b", by_supplier={**GOOD_SUPPLIER, "disputes": ("delivery", "relationship")})
    network.resolve(eid, upheld=("delivery",), withdrawn=("relationship",))
    site = network.site()
    other, ruling = site.engagements[eid].by_supplier, site.resolutions[eid]
    assert statement_state("quality", other, ruling) == "counted"
    assert statement_state("delivery", other, ruling) == "upheld"
    assert statement_state("relationship", other, ruling) == "withdrawn"
    assert statement_state("delivery", other, None) == "contested"
    assert statement_state("delivery", None, None) == "counted"


def test_negative_statements() -> None:
    network = Network()
    cases = {
        "fine": ({**GOOD_CLIENT, "relationship": 3}, False),
        "late": ({**GOOD_CLIENT, "delivery": "late"}, True),
        "rude": ({**GOOD_CLIENT, "relationship": 2}, True),
        "poor": ({**GOOD_CLIENT, "quality": 1}, True),
        "cold": ({**GOOD_CLIENT, "recommend": False}, True),
    }
    for name, (values, _) in cases.items():
        network.engagement("a", "b", eid=name, by_client=values, by_supplier=None)
    site = network.site()
    for name, (_, negative) in cases.items():
        attestation = site.engagements[name].by_client
        assert attestation is not None
        assert is_negative(attestation) is negative, name


def test_a_negative_statement_waits_for_a_reply() -> None:
    network = Network()
    young = network.engagement("a", "b", ago=35, by_client={**GOOD_CLIENT, "delivery": "late"}, by_supplier=None)
    answered = network.engagement("a", "b", ago=35, by_client={**GOOD_CLIENT, "delivery": "late"})
    old = network.engagement("a", "b", ago=60, by_client={**GOOD_CLIENT, "delivery": "late"}, by_supplier=None)
    site = network.site()

    def waits(eid: str) -> bool:
        engagement = site.engagements[eid]
        assert engagement.by_client is not None
        return awaiting_reply(engagement.by_client, engagement.by_supplier, TODAY, 14)

    assert [waits(young), waits(answered), waits(old)] == [True, False, False]
    state = engagement_status(site.engagements[young], None, TODAY, 60, 14).by_client
    assert state is not None
    assert state.awaiting_reply
    assert state.counts_from == days_ago(5) + (days_ago(0) - days_ago(14))
    assert state.state("delivery") == "awaiting_reply"
    with pytest.raises(KeyError):
        state.state("payment")


# ---------------------------------------------------------------------- the score


def evidence_of(network: Network, member: str, side: str) -> list[tuple[str, str, float]]:
    scores = score_site(network.site())
    return [(e.engagement, e.state, e.weight) for e in scores.evidence(member, side)]


def test_every_member_gets_a_result() -> None:
    network = Network()
    network.member("idle")
    network.member("gone", status="withdrawn")
    network.engagement("gone", "b")
    scores = score_site(network.site())
    assert list(scores.members) == ["b", "coordinator", "gone", "idle"]
    idle = scores.members["idle"]
    # Never a supplier nor a client: deadlines and payment do not apply; relationship is simply new.
    assert {name: side.level for name, side in idle.sides.items()} == {
        "relationship": "new",
        "deadlines": "not_applicable",
        "payment": "not_applicable",
    }
    assert idle.sides["relationship"].needs_counterparts == CONFIG.min_counterparts
    assert idle.recommendation.level is None
    assert scores.evidence("idle", "payment") == ()


def test_contested_sides_count_only_once_upheld() -> None:
    network = Network(coordinators=("a",))  # a trusted attester, so that what counts weighs
    contested = network.engagement("a", "b", by_supplier={**GOOD_SUPPLIER, "disputes": ("delivery",)})
    upheld = network.engagement("a", "b", by_supplier={**GOOD_SUPPLIER, "disputes": ("delivery",)})
    withdrawn = network.engagement("a", "b", by_supplier={**GOOD_SUPPLIER, "disputes": ("delivery",)})
    network.resolve(upheld, upheld=("delivery",))
    network.resolve(withdrawn, withdrawn=("delivery",))
    rows = {eid: (state, weight) for eid, state, weight in evidence_of(network, "b", "deadlines")}
    assert rows[contested] == ("contested", 0.0)
    assert rows[withdrawn] == ("withdrawn", 0.0)
    assert rows[upheld][0] == "upheld"
    assert rows[upheld][1] > 0
    # The uncontested sides of a disputed engagement still count.
    relationship = {eid: weight for eid, _, weight in evidence_of(network, "b", "relationship")}
    assert relationship[contested] > 0


def test_pending_does_not_count_and_unconfirmed_counts_half() -> None:
    network = Network()
    pending = network.engagement("a", "b", ago=40, by_supplier=None)
    unconfirmed = network.engagement("c", "b", ago=400, by_supplier=None)
    scores = score_site(network.site())
    items = {e.engagement: e for e in scores.evidence("b", "deadlines")}
    assert items[pending].status == "pending"
    assert items[pending].weight == 0.0
    assert items[unconfirmed].status == "unconfirmed"
    assert items[unconfirmed].status_weight == 0.5


def test_a_negative_statement_counts_after_the_reply_window() -> None:
    late = {**GOOD_CLIENT, "delivery": "late"}
    network = Network()
    network.engagement("a", "b", ago=100, by_client={**late, "date": days_ago(10)}, by_supplier=None)
    network.engagement("c", "b", ago=100, by_client={**late, "date": days_ago(20)}, by_supplier=None)
    network.scoring["confirm_window_days"] = 5  # one-sided, but no longer pending
    scores = score_site(network.site())
    states = [(e.counterpart, e.state, e.counts) for e in scores.evidence("b", "deadlines")]
    assert states == [("a", "awaiting_reply", False), ("c", "counted", True)]


def test_late_payment_severity_uses_the_invoice_due_date() -> None:
    network = Network(coordinators=("b", "c"))
    due = days_ago(100)
    network.engagement(
        "a",
        "b",
        ago=150,
        invoice_due=due,
        by_supplier={**GOOD_SUPPLIER, "payment": "late", "paid": days_ago(85)},
    )
    network.engagement("a", "c", ago=150, by_supplier={**GOOD_SUPPLIER, "payment": "unpaid"})
    scores = score_site(network.site())
    late, unpaid = scores.evidence("a", "payment")  # same date: by engagement id
    assert (late.outcome, late.days_late, late.severity, late.positive) == ("late", 15, 1.5, 0.0)
    assert late.weight > 0
    assert late.negative_weight == pytest.approx(late.weight * 1.5)
    assert (unpaid.outcome, unpaid.severity) == ("unpaid", 2.0)


def test_repeat_engagements_rank_by_weight() -> None:
    network = Network()
    for ago in (100, 300, 500):
        network.engagement("a", "b", ago=ago)
    scores = score_site(network.site())
    items = scores.evidence("b", "deadlines")
    assert [e.repeat for e in items] == [1, 2, 3]  # newest weighs most, so it ranks first
    assert [e.diversity for e in items] == pytest.approx([1, 0.25, 1 / 9])


def test_relations_need_repeated_work_over_time() -> None:
    network = Network()
    network.engagement("a", "b", ago=400)
    network.engagement("b", "a", ago=100)  # 300 days apart: a professional relation
    network.engagement("a", "c", ago=100)
    network.engagement("a", "c", ago=80)  # 20 days apart: a contact
    network.engagement("a", "d", ago=400)
    network.engagement("a", "d", ago=100, by_supplier=None)  # one-sided: does not count
    scores = score_site(network.site())
    assert scores.members["a"].relations == ("b",)
    assert scores.members["a"].contacts == ("c", "d")
    assert scores.members["b"].relations == ("a",)


def test_proven_skills() -> None:
    network = Network()
    network.member("b", skills=("design", "video", "print"))
    network.engagement("a", "b", skills=("design", "video"))
    network.engagement("c", "b", skills=("design",))
    network.engagement("a", "b", skills=("print",), by_client={**GOOD_CLIENT, "delivery": "not_delivered"})
    network.engagement("d", "b", skills=("print",), by_supplier=None)  # one-sided: proves nothing
    network.engagement("b", "a", skills=("animation",))  # as client: proves nothing for b
    scores = score_site(network.site())
    assert dict(scores.members["b"].proven_skills) == {"design": 2, "video": 1}
    assert scores.members["b"].declared_only == ("print",)


def test_the_numbers_add_up() -> None:
    network = Network(coordinators=("coord-a", "coord-b"))
    network.engagement("coord-a", "b", ago=50)
    network.engagement("coord-b", "b", ago=500, by_client={**GOOD_CLIENT, "relationship": 3})
    network.engagement("c", "b", ago=300, by_client={**GOOD_CLIENT, "delivery": "late", "relationship": 2})
    network.engagement("b", "coord-a", ago=200, by_supplier={**GOOD_SUPPLIER, "payment": "unpaid"})
    scores = score_site(network.site())
    z = CONFIG.confidence_z
    for member in scores.members:
        for name in FIGURES:
            side = scores.members[member].sides.get(name, scores.members[member].recommendation)
            items = scores.evidence(member, name)
            assert side.positive == pytest.approx(sum(e.positive_weight for e in items), abs=1e-12)
            assert side.negative == pytest.approx(sum(e.negative_weight for e in items), abs=1e-12)
            assert side.lower == pytest.approx(wilson_lower(side.positive, side.evidence, z), abs=1e-12)
            for item in items:
                assert item.recency == pytest.approx(recency_weight(item.age_days, CONFIG.half_life_days))
                assert item.age_days == (TODAY - item.date).days


def test_engagement_statuses_mapping() -> None:
    network = Network()
    first = network.engagement("a", "b")
    second = network.engagement("a", "b", by_supplier=None, ago=10)
    scores = score_site(network.site())
    assert list(scores.engagements) == [first, second]
    assert len(scores.engagements) == 2
    assert second in scores.engagements
    assert "nope" not in scores.engagements
    assert scores.engagements[second].status == "pending"
    with pytest.raises(KeyError):
        scores.engagements["nope"]


# -------------------------------------------------------------------------- trust


def test_trust_is_a_share_and_starts_at_the_seeds() -> None:
    attesters = np.array([0, 1, 2, 3], dtype=np.int64)
    attested = np.array([1, 2, 0, 4], dtype=np.int64)
    trust = propagate_trust(6, attesters, attested, np.ones(4), [0], 0.3)
    assert trust.sum() == pytest.approx(1.0)
    assert trust[5] == 0.0  # nobody attested member 5
    assert trust[3] == 0.0  # member 3 attests others, but nobody attests member 3
    assert trust[4] == 0.0
    assert trust[0] > trust[1] > trust[2] > 0


def test_trust_needs_a_seed() -> None:
    empty = np.zeros(0, dtype=np.int64)
    with pytest.raises(ValueError, match="at least one seed"):
        propagate_trust(2, empty, empty, np.zeros(0), [], 0.3)


def test_typical_trust_ignores_accounts_without_trust() -> None:
    trust = np.array([0.35, 0.25, 0.2, 0.12, 0.08, 0.0, 0.0])
    assert typical_trust(trust, trust, 0.9) == 0.12  # the top four hold 92 %
    assert typical_trust(trust, trust, 1.0) == 0.08
    many = np.concatenate([trust * 0.99, np.full(1000, 0.01 / 1000)])
    assert typical_trust(many, many, 0.9) == pytest.approx(0.12 * 0.99)  # a thousand tiny accounts change little


def test_the_worked_example_of_the_documentation() -> None:
    """docs/scoring.md, section 7: the numbers a member redoes by hand."""
    weights = [
        recency_weight(100, 730) * 1 * diversity_weight(1, 2) * 1,
        recency_weight(400, 730) * 1 * diversity_weight(1, 2) * 1,
        recency_weight(500, 730) * 1 * diversity_weight(2, 2) * 1,
        recency_weight(200, 730) * 0.5 * diversity_weight(1, 2) * 0.8,
    ]
    assert weights == pytest.approx([0.9094, 0.6840, 0.1555, 0.3308], abs=1e-4)
    positive, negative = weights[0] + weights[2] + weights[3], weights[1]
    assert (positive, negative) == pytest.approx((1.3957, 0.6840), abs=1e-4)
    lower, upper = wilson_lower(positive, positive + negative, 1.96), wilson_upper(positive, positive + negative, 1.96)
    assert (lower, upper) == pytest.approx((0.1657, 0.9545), abs=1e-4)
    assert decide_level(lower, upper, positive + negative, 3, 1, CONFIG) == ("new", "little-evidence")
    more = positive + 8 * recency_weight(60, 730)
    assert wilson_lower(more, more + negative, 1.96) == pytest.approx(0.6230, abs=1e-4)
