"""Attempts to game the score, each on a synthetic network: none of them may pay off."""

from __future__ import annotations

import pytest

from generator.score import SIDES, Scores, score_site

from .scoring_helpers import GOOD_CLIENT, GOOD_SUPPLIER, Network, add_ring, days_ago, honest_network

COORDINATORS = ("coord-a", "coord-b", "coord-c")


def honest(seed: int = 3) -> tuple[Network, list[str]]:
    """Forty honest members and three coordinators with 160 positive, confirmed engagements."""
    network = Network(coordinators=COORDINATORS)
    return network, honest_network(network, 40, 160, seed=seed)


def ring_levels(scores: Scores, ring: list[str]) -> set[str | None]:
    return {scores.members[m].sides[side].level for m in ring for side in SIDES}


def trust_share(scores: Scores, ring: list[str]) -> float:
    return sum(scores.members[m].trust_share for m in ring)


def test_the_honest_network_does_earn_badges() -> None:
    """Otherwise the tests below would prove nothing."""
    network, people = honest()
    scores = score_site(network.site())
    assert sum(scores.members[m].sides["relationship"].level == "reliable" for m in people) >= 5


@pytest.mark.parametrize(("size", "repeats"), [(5, 5), (50, 1)])
def test_a_ring_earns_no_reliable_level(size: int, repeats: int) -> None:
    """(a) New accounts that only attest each other, perfectly and often, joined by one engagement."""
    network, people = honest()
    ring = add_ring(network, size, people[7], complete=True, repeats=repeats)
    scores = score_site(network.site())
    assert ring_levels(scores, ring) == {"new"}
    assert max(scores.members[m].sides[side].lower for m in ring for side in SIDES) < 0.3
    assert trust_share(scores, ring) < 0.01


def test_a_rings_trust_does_not_grow_with_its_size() -> None:
    """(a) Ten times more fake accounts hold no more trust: what flows in is what one link lets in."""
    shares = []
    for size in (5, 50):
        network, people = honest()
        ring = add_ring(network, size, people[7], complete=True)
        shares.append(trust_share(score_site(network.site()), ring))
    small, large = shares
    assert large < 0.01
    assert large <= small * 1.1


def test_a_ring_joined_to_a_coordinator_earns_no_reliable_level() -> None:
    """(a) Even when the one engagement is with a coordinator, fifty accounts cannot lift each other."""
    network, _ = honest()
    ring = add_ring(network, 50, "coord-a", complete=True)
    scores = score_site(network.site())
    assert ring_levels(scores, ring) == {"new"}
    assert trust_share(scores, ring) < 0.06


def test_one_angry_counterpart_cannot_brand_a_member() -> None:
    """(b) Ten negative engagements with the same counterpart never reach ``caution`` alone."""
    network, people = honest()
    angry, target = people[3], network.member("target")
    for k in range(5):
        network.engagement(
            angry,
            target,
            ago=60 + 30 * k,
            by_client={**GOOD_CLIENT, "delivery": "not_delivered", "quality": 1, "relationship": 1},
        )
        network.engagement(
            target, angry, ago=75 + 30 * k, by_supplier={**GOOD_SUPPLIER, "payment": "unpaid", "relationship": 1}
        )
    scores = score_site(network.site())
    sides = scores.members["target"].sides
    assert all(sides[side].negative > 0 for side in SIDES)  # the statements do count…
    assert {sides[side].level for side in SIDES} == {"new"}  # …but never brand the member
    # Nor with some praise from others: still one conflict.
    for supplier in people[10:13]:
        network.engagement("target", supplier, ago=100)
    scores = score_site(network.site())
    assert scores.members["target"].sides["payment"].level != "caution"


def test_a_late_payer_across_several_counterparts_reaches_caution() -> None:
    """(c) Paying five different suppliers weeks late is a pattern, not a conflict."""
    network, people = honest()
    payer = network.member("payer")
    for k, supplier in enumerate(people[20:25]):
        due = days_ago(80 + 20 * k)
        network.engagement(
            payer,
            supplier,
            ago=120 + 20 * k,
            invoice_due=due,
            by_supplier={**GOOD_SUPPLIER, "payment": "late", "paid": days_ago(40 + 20 * k), "relationship": 3},
        )
    payment = score_site(network.site()).members[payer].sides["payment"]
    assert payment.negative_counterparts == 5
    assert payment.level == "caution"


def test_diverse_clients_count_more_than_one_loyal_client() -> None:
    """(d) Ten engagements with one client count less than ten with ten clients."""
    network, people = honest()
    loyal, diverse = network.member("loyal"), network.member("diverse")
    for k in range(10):
        network.engagement(people[0], loyal, ago=50 + 30 * k)
        network.engagement(people[k], diverse, ago=50 + 30 * k)
    scores = score_site(network.site())
    one, ten = scores.members[loyal].sides["deadlines"], scores.members[diverse].sides["deadlines"]
    assert one.evidence < ten.evidence / 2
    assert one.score < ten.score
    assert one.counterparts == 1
    assert one.level == "new"


def test_fake_accounts_cannot_defame_a_member() -> None:
    """One-sided complaints from accounts nobody trusts weigh nothing, however many."""
    network, people = honest()
    victim = people[5]
    for k in range(12):
        fake = network.member(f"fake-{k:02d}")
        network.engagement(
            fake,
            victim,
            ago=300,
            by_client={**GOOD_CLIENT, "delivery": "not_delivered", "relationship": 1},
            by_supplier=None,
        )
    scores = score_site(network.site())
    deadlines = scores.members[victim].sides["deadlines"]
    fakes = [e for e in scores.evidence(victim, "deadlines") if e.counterpart.startswith("fake-")]
    assert len(fakes) == 12
    assert all(e.status == "unconfirmed" and e.trust == 0.0 and e.weight == 0.0 for e in fakes)
    assert deadlines.negative == 0.0
    assert deadlines.level != "caution"


def test_a_newcomers_first_statement_counts() -> None:
    """No floor is needed: a newcomer keeps all their trust for the few members they attested."""
    network, people = honest()
    network.engagement(people[4], "newcomer", ago=90)
    scores = score_site(network.site())
    newcomer = scores.members["newcomer"]
    assert newcomer.attested == 1
    assert newcomer.attester_weight > 0.5
    (statement,) = (e for e in scores.evidence(people[4], "payment") if e.counterpart == "newcomer")
    assert statement.trust == newcomer.attester_weight
