"""Properties of the score on random networks (hypothesis)."""

from __future__ import annotations

import dataclasses
import json
import random
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.explain import members_api
from generator.score import FIGURES, Scores, score_site, wilson_lower, wilson_upper

from .scoring_helpers import GOOD_CLIENT, GOOD_SUPPLIER, Network, days_ago

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
BAD_CLIENT: Mapping[str, Any] = {"delivery": "late", "quality": 1, "relationship": 1, "recommend": False}

client_says = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {
            "delivery": st.sampled_from(["on_time", "late", "not_delivered"]),
            "quality": st.integers(1, 5),
            "relationship": st.integers(1, 5),
            "recommend": st.booleans(),
        }
    ),
)
supplier_says = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {
            "payment": st.sampled_from(["on_time", "late", "unpaid"]),
            "relationship": st.integers(1, 5),
            "recommend": st.booleans(),
        }
    ),
)
engagements = st.lists(
    st.tuples(st.integers(0, 7), st.integers(0, 7), st.integers(31, 1500), client_says, supplier_says),
    max_size=25,
)


@dataclasses.dataclass(frozen=True)
class Spec:
    """A random network, kept as data so that a test can build it twice with a change."""

    size: int
    engagements: list[tuple[int, int, int, Any, Any]]
    everyone_coordinates: bool

    def build(
        self, extra: list[tuple[int, int, int, Any, Any]] | None = None, order_seed: int | None = None
    ) -> Network:
        names = [f"m{i}" for i in range(self.size)]
        coordinators = tuple(names) if self.everyone_coordinates else (names[0],)
        # Neutral trust (every member a seed, every attester typical) isolates the evidence arithmetic.
        scoring = {"trust_typical_mass": 1.0} if self.everyone_coordinates else {}
        network = Network(coordinators=coordinators, scoring=scoring)
        rows = [*self.engagements, *(extra or [])]
        numbered = list(enumerate(rows))
        if order_seed is not None:
            random.Random(order_seed).shuffle(numbered)
        for n, (c, s, ago, by_client, by_supplier) in numbered:
            client, supplier = names[c % self.size], names[s % self.size]
            if client == supplier:
                continue
            if by_supplier is not None and by_supplier["payment"] == "late":
                by_supplier = {**by_supplier, "paid": days_ago(max(ago - 50, 0))}
            disputed = by_client is not None and by_supplier is not None and n % 4 == 1
            if disputed:  # some disputes, some of them resolved one way or the other
                by_supplier = {**by_supplier, "disputes": ("delivery", "relationship")}
            eid = network.engagement(
                client,
                supplier,
                eid=f"e{n:03d}",
                ago=ago,
                by_client=by_client,
                by_supplier=by_supplier,
                invoice_due=days_ago(ago - 20),
            )
            if disputed and n % 8 == 1:
                network.resolve(eid, upheld=("delivery",), withdrawn=("relationship",))
        return network


specs = st.builds(Spec, st.integers(3, 8), engagements, st.booleans())
neutral_specs = st.builds(Spec, st.integers(3, 8), engagements, st.just(True))


def score(spec: Spec, extra: list[tuple[int, int, int, Any, Any]] | None = None) -> Scores:
    return score_site(spec.build(extra).site())


@SETTINGS
@given(specs)
def test_every_figure_is_between_0_and_1(spec: Spec) -> None:
    scores = score(spec)
    for member, result in scores.members.items():
        assert 0.0 <= result.trust_share <= 1.0
        assert 0.0 <= result.attester_weight <= 1.0
        for name in FIGURES:
            side = result.sides.get(name, result.recommendation)
            assert 0.0 <= side.lower <= side.upper <= 1.0
            assert side.positive >= 0.0
            assert side.negative >= 0.0
            for item in scores.evidence(member, name):
                assert 0.0 <= item.positive <= 1.0
                assert item.weight >= 0.0


@SETTINGS
@given(specs)
def test_the_evidence_adds_up_to_the_totals(spec: Spec) -> None:
    """Every statement, as explain shows it, adds up to the side's totals (the two are computed apart)."""
    scores = score(spec)
    for member, result in scores.members.items():
        for name in FIGURES:
            side = result.sides.get(name, result.recommendation)
            items = scores.evidence(member, name)
            assert side.positive == pytest.approx(sum(e.positive_weight for e in items), abs=1e-9)
            assert side.negative == pytest.approx(sum(e.negative_weight for e in items), abs=1e-9)
            assert side.counterparts == len({e.counterpart for e in items if e.weight > 0})


@SETTINGS
@given(neutral_specs, st.integers(0, 7), st.integers(1, 7), st.integers(31, 1500))
def test_a_positive_attestation_never_lowers_a_score(spec: Spec, subject: int, other: int, ago: int) -> None:
    """With trust held equal (see docs/scoring.md: a new attestation also moves trust)."""
    client, supplier = (subject + other) % spec.size, subject % spec.size
    if client == supplier:
        return
    before = score(spec)
    after = score(spec, [(client, supplier, ago, GOOD_CLIENT, GOOD_SUPPLIER)])
    for member, sides in ((f"m{supplier}", ("deadlines", "relationship")), (f"m{client}", ("payment",))):
        for side in sides:
            assert after.members[member].sides[side].score >= before.members[member].sides[side].score - 1e-12


@SETTINGS
@given(neutral_specs, st.integers(0, 7), st.integers(1, 7), st.integers(31, 1500))
def test_a_negative_attestation_never_raises_a_score(spec: Spec, subject: int, other: int, ago: int) -> None:
    client, supplier = (subject + other) % spec.size, subject % spec.size
    if client == supplier:
        return
    before = score(spec)
    after = score(spec, [(client, supplier, ago, BAD_CLIENT, GOOD_SUPPLIER)])
    for side in ("deadlines", "relationship"):
        member = f"m{supplier}"
        assert after.members[member].sides[side].score <= before.members[member].sides[side].score + 1e-12


@SETTINGS
@given(neutral_specs, st.integers(0, 24), st.integers(1, 29))
def test_older_evidence_weighs_less(spec: Spec, which: int, days: int) -> None:
    rows = spec.engagements
    if not rows:
        return
    n = which % len(rows)
    c, s, ago, by_client, by_supplier = rows[n]
    if by_client is None or c % spec.size == s % spec.size:
        return
    older = [*rows]
    # Same statement, written ``days`` earlier (still after the engagement started).
    older[n] = (c, s, ago, {**by_client, "date": days_ago(ago - 30 + days)}, by_supplier)
    eid, supplier = f"e{n:03d}", f"m{s % spec.size}"
    new = {e.statement: e for e in score(spec).evidence(supplier, "deadlines") if e.engagement == eid}
    old = {e.statement: e for e in score(dataclasses.replace(spec, engagements=older)).evidence(supplier, "deadlines")
           if e.engagement == eid}  # fmt: skip
    assert old["delivery"].recency < new["delivery"].recency
    # (Unless age changed its status: a one-sided statement stops being pending after 60 days.)
    if (old["delivery"].status, old["delivery"].state) == (new["delivery"].status, new["delivery"].state):
        assert old["delivery"].weight <= new["delivery"].weight


@SETTINGS
@given(specs, st.integers(0, 1000))
def test_the_result_does_not_depend_on_file_order(spec: Spec, seed: int) -> None:
    first, second = spec.build().site(), spec.build(order_seed=seed).site()
    a, b = score_site(first), score_site(second)
    assert json.dumps(members_api(first, a)) == json.dumps(members_api(second, b))
    assert a == b
    for member in a.members:
        for name in FIGURES:
            assert a.evidence(member, name) == b.evidence(member, name)


@SETTINGS
@given(specs)
def test_the_same_input_gives_the_same_output(spec: Spec) -> None:
    site = spec.build().site()
    assert json.dumps(members_api(site, score_site(site))) == json.dumps(members_api(site, score_site(site)))


@settings(max_examples=300)
@given(
    st.floats(0, 50, allow_nan=False),
    st.floats(0, 50, allow_nan=False),
    st.floats(0.001, 10, allow_nan=False),
)
def test_wilson_bounds_move_the_right_way(positive: float, negative: float, more: float) -> None:
    n = positive + negative
    assert wilson_lower(positive + more, n + more, 1.96) >= wilson_lower(positive, n, 1.96) - 1e-12
    assert wilson_lower(positive, n + more, 1.96) <= wilson_lower(positive, n, 1.96) + 1e-12
    assert wilson_upper(positive, n + more, 1.96) <= wilson_upper(positive, n, 1.96) + 1e-12


MAIN_STATEMENT = {"relationship": "relationship", "deadlines": "delivery", "payment": "payment"}


@SETTINGS
@given(specs)
def test_the_facts_count_exactly_the_statements_that_count(spec: Spec) -> None:
    """The plain facts (computed in bulk) agree with the evidence table (built one statement at a time)."""
    scores = score(spec)
    for member, result in scores.members.items():
        for name, statement in MAIN_STATEMENT.items():
            facts = result.sides[name].facts
            counted = [e for e in scores.evidence(member, name) if e.counts and e.statement == statement]
            assert facts.statements == len(counted)
            assert facts.counterparts == len({e.counterpart for e in counted})
            assert facts.confirmed == sum(e.status in ("confirmed", "disputed", "resolved") for e in counted)
            if name == "relationship":
                ratings = [int(e.outcome) for e in counted]
                assert facts.average == (pytest.approx(sum(ratings) / len(ratings)) if ratings else None)
            else:
                outcomes = [e.outcome for e in counted]
                assert (facts.on_time, facts.late, facts.failed) == (
                    outcomes.count("on_time"),
                    outcomes.count("late"),
                    len(outcomes) - outcomes.count("on_time") - outcomes.count("late"),
                )
            if name == "payment":
                delays = sorted(e.days_late for e in counted if e.days_late is not None)
                assert facts.days_late_known == len(delays)
                assert facts.days_late_max == (delays[-1] if delays else None)
        recommend = [e for e in scores.evidence(member, "recommendation") if e.counts and e.statement == "recommend"]
        assert result.recommendation.facts.statements == len(recommend)
        assert result.recommendation.facts.recommended == sum(e.outcome == "true" for e in recommend)
