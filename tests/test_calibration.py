"""How many engagements it takes under the default settings (docs/scoring.md, section 5).

An honest member whose deliveries were all on time, spread over the last year, with
clients who are ordinary members of an honest network: the figures docs/scoring.md
quotes come from here.
"""

from __future__ import annotations

import pytest

from generator.score import score_site

from .scoring_helpers import GOOD_CLIENT, Network, honest_network


def deadlines_of(pattern: tuple[int, ...]) -> tuple[str, float]:
    """The subject's deadlines level and score, with ``pattern[i]`` engagements for the i-th client."""
    network = Network()
    clients = honest_network(network, 40, 300, seed=1)[: len(pattern)]
    total, k = sum(pattern), 0
    for client, times in zip(clients, pattern, strict=True):
        for _ in range(times):
            k += 1
            network.engagement(client, "subject", ago=40 + 290 * k // total, by_client={**GOOD_CLIENT})
    side = score_site(network.site()).members["subject"].sides["deadlines"]
    assert side.level is not None
    return side.level, side.score


@pytest.mark.parametrize(
    ("pattern", "level"),
    [
        ((1, 1), "new"),
        ((1, 1, 1), "new"),
        ((6,), "new"),
        ((1, 1, 1, 1), "reliable"),
        ((2, 2, 1, 1), "reliable"),
        ((3, 1, 1, 1), "reliable"),
        ((4, 4, 4, 4), "reliable"),
    ],
)
def test_how_many_punctual_engagements_make_a_member_reliable(pattern: tuple[int, ...], level: str) -> None:
    assert deadlines_of(pattern)[0] == level


def test_the_issue_s_honest_member_reads_reliable() -> None:
    """About six punctual engagements with four distinct counterparts in a year: reliable by default."""
    level, score = deadlines_of((2, 2, 1, 1))
    assert level == "reliable" and score == pytest.approx(0.57, abs=0.02)
