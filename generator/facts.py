"""What a visitor can count on each side: the plain facts beside every level.

A level ("reliable", "caution") is a judgement; a visitor deciding whether to work with
someone first wants what it was judged from, in numbers they can check: how many
invoices were paid late and by how much, how many deliveries were on time, how
the relationship was rated. These facts count exactly the statements the score
counts (published, not awaiting a reply, not contested unless a ruling upheld them,
not pending), unweighted: weights decide the level, counts tell the story.

This is part of the score stage and as pure: :func:`count_facts` takes the
statement columns :func:`generator.score.score_site` already has and returns one
:class:`Facts` per (member, figure) slot, computed for the whole network at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

# Statement kinds, in the order of :data:`generator.score.STATEMENTS`.
DELIVERY: Final = 0
PAYMENT: Final = 1
RELATIONSHIP: Final = 2
QUALITY: Final = 3
RECOMMEND: Final = 4

MAIN_KIND: Final = (RELATIONSHIP, DELIVERY, PAYMENT, RECOMMEND)
"""The statement each figure counts, in :data:`generator.score.FIGURES` order."""


@dataclass(frozen=True, slots=True)
class Facts:
    """The countable facts of one side of one member (or of the recommendation figure).

    Which fields mean something depends on the side: ``on_time``/``late``/``failed``
    for deadlines (``failed``: not delivered) and payment (``failed``: unpaid);
    ``average`` for relationship (the 1-5 rating) and recommendation (the quality
    rating); ``recommended`` for recommendation; the ``days_late_*`` for payment.
    """

    statements: int
    """Statements that count (unweighted)."""
    confirmed: int
    """Of those, statements of engagements both parties attested."""
    counterparts: int
    """Distinct members who made them."""
    on_time: int = 0
    late: int = 0
    failed: int = 0
    average: float | None = None
    """Average rating out of 5, ``None`` without any rating."""
    ratings: int = 0
    """How many ratings the average is of (quality ratings for the recommendation figure)."""
    recommended: int = 0
    """Statements that would work with them again."""
    days_late_known: int = 0
    """Late payments whose invoice due date and payment date are both known."""
    days_late_median: float | None = None
    days_late_max: int | None = None


NO_FACTS: Final = Facts(0, 0, 0)


def facts_json(figure: str, facts: Facts) -> dict[str, Any]:
    """The ``facts`` object of one side in ``api/members.json``: only the keys that side has."""
    result: dict[str, Any] = {
        "statements": facts.statements,
        "confirmed": facts.confirmed,
        "counterparts": facts.counterparts,
    }
    if figure == "payment":
        result.update(
            on_time=facts.on_time,
            late=facts.late,
            unpaid=facts.failed,
            days_late_known=facts.days_late_known,
            days_late_median=facts.days_late_median,
            days_late_max=facts.days_late_max,
        )
    elif figure == "deadlines":
        result.update(on_time=facts.on_time, late=facts.late, not_delivered=facts.failed)
    elif figure == "relationship":
        result.update(average=_rounded(facts.average), ratings=facts.ratings)
    else:
        result.update(
            recommended=facts.recommended,
            quality_average=_rounded(facts.average),
            quality_ratings=facts.ratings,
        )
    return result


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _per_slot(slot: IntArray, slots: int, weights: npt.NDArray[Any] | None = None) -> list[int]:
    counts = np.bincount(slot, weights=weights, minlength=slots)
    return [round(c) for c in counts.tolist()]


def distinct_per_group(group: IntArray, other: IntArray, width: int, groups: int) -> IntArray:
    """For each group, how many distinct ``other`` values its rows have (``width`` above any ``other``)."""
    if group.size == 0:
        return np.zeros(groups, dtype=np.int64)
    keys = np.sort(group * width + other)
    distinct = keys[np.r_[True, keys[1:] != keys[:-1]]]
    return np.bincount(distinct // width, minlength=groups).astype(np.int64)


def count_facts(
    *,
    slot: IntArray,
    figure: IntArray,
    kind: IntArray,
    value: FloatArray,
    attester: IntArray,
    both: BoolArray,
    days_late: IntArray,
    counting: BoolArray,
    slots: int,
    width: int,
) -> list[Facts]:
    """The facts of every (member, figure) slot, from one row per statement.

    ``value`` is the statement's outcome code (delivery and payment: 0 on time, 1 late,
    2 not delivered or unpaid), its rating (relationship, quality) or 1/0
    (recommend); ``days_late`` is -1 when unknown; ``counting`` marks the statements
    the score counts. ``width`` is at least the number of members.
    """
    main = counting & (kind == np.asarray(MAIN_KIND, dtype=np.int64)[figure])
    s = slot[main]
    statements = _per_slot(s, slots)
    confirmed = _per_slot(s, slots, both[main].astype(np.float64))
    counterparts: list[int] = distinct_per_group(s, attester[main], width, slots).tolist()

    outcome = main & ((kind == DELIVERY) | (kind == PAYMENT))
    so, vo = slot[outcome], value[outcome]
    on_time = _per_slot(so, slots, (vo == 0).astype(np.float64))
    late = _per_slot(so, slots, (vo == 1).astype(np.float64))
    failed = _per_slot(so, slots, (vo == 2).astype(np.float64))

    rated = counting & ((kind == RELATIONSHIP) | (kind == QUALITY))
    ratings = _per_slot(slot[rated], slots)
    rating_sums: list[float] = np.bincount(slot[rated], weights=value[rated], minlength=slots).tolist()

    recommends = main & (kind == RECOMMEND)
    recommended = _per_slot(slot[recommends], slots, value[recommends])

    known = main & (kind == PAYMENT) & (value == 1) & (days_late >= 0)
    delays: dict[int, tuple[int, float | None, int | None]] = {}
    if known.any():
        order = np.lexsort((days_late[known], slot[known]))
        ks, kd = slot[known][order], days_late[known][order]
        starts = np.flatnonzero(np.r_[True, ks[1:] != ks[:-1]])
        ends = np.r_[starts[1:], ks.size]
        for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
            days: list[int] = kd[start:end].tolist()
            middle = len(days) // 2
            typical = float(days[middle]) if len(days) % 2 else (days[middle - 1] + days[middle]) / 2
            delays[int(ks[start])] = (len(days), typical, days[-1])

    facts: list[Facts] = []
    for i in range(slots):
        if not statements[i] and not ratings[i]:
            facts.append(NO_FACTS)
            continue
        known_days, median, worst = delays.get(i, (0, None, None))
        facts.append(
            Facts(
                statements=statements[i],
                confirmed=confirmed[i],
                counterparts=counterparts[i],
                on_time=on_time[i],
                late=late[i],
                failed=failed[i],
                average=rating_sums[i] / ratings[i] if ratings[i] else None,
                ratings=ratings[i],
                recommended=recommended[i],
                days_late_known=known_days,
                days_late_median=median,
                days_late_max=worst,
            )
        )
    return facts
