"""The score: every member judged on each side of the triangle, with the evidence behind it.

This stage is a pure function of the validated model and its build date:
:func:`score_site` reads ``site.engagements``, ``site.config.scoring`` and
``site.today`` and returns frozen data, never touching a file or the clock, so that
anyone can rebuild the site and get the same badges. The method is published in
``docs/scoring.md``; in short, for each member and each side:

1. every statement other members made about them is a piece of *evidence* with a
   positive share (``on_time`` is 1, ``late`` 0, a rating r out of 5 is (r-1)/4);
2. its *weight* is recency × status × counterpart diversity × the attester's trust;
3. the *score* is the Wilson lower bound of the weighted positive share, so that few
   pieces of evidence are never mistaken for certainty;
4. the *level* compares the bounds with the thresholds of ``site.yml``.

The small functions (:func:`wilson_lower`, :func:`recency_weight`,
:func:`decide_level`, …) are the method's formulas, one each, for tests and for
``triangle explain``. :func:`score_site` applies them to every statement at once with
numpy, because a network of 100,000 members has about two million statements.
"""

from __future__ import annotations

import datetime as dt
import math
from array import array
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal, NamedTuple

import numpy as np
import numpy.typing as npt

from .diagnostics import UsageError
from .facts import Facts, count_facts, distinct_per_group
from .model import Attestation, Engagement, Role, ScoringConfig, Site, frozen_map
from .status import (
    BOTH_ATTESTED,
    COUNTED_STATUSES,
    COUNTING_STATES,
    NEGATIVE_RATING,
    STATES,
    STATUSES,
    AttestationState,
    EngagementStatus,
    State,
    Status,
    engagement_status,
)
from .trust import propagate_trust, typical_trust

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Level = Literal["not_applicable", "new", "mixed", "reliable", "highly_reliable", "caution"]
Side = Literal["relationship", "deadlines", "payment"]

SIDES: Final[tuple[Side, ...]] = ("relationship", "deadlines", "payment")
"""The three sides of the triangle, each with its own badge; never blended."""
RECOMMENDATION: Final = "recommendation"
"""The informative fourth figure (quality and ``recommend``): shown, but no badge."""
FIGURES: Final[tuple[str, ...]] = (*SIDES, RECOMMENDATION)
LEVELS: Final[tuple[Level, ...]] = ("not_applicable", "new", "mixed", "reliable", "highly_reliable", "caution")
"""Every level state, each meaning one thing: see :func:`decide_level`."""
STATEMENTS: Final = ("delivery", "payment", "relationship", "quality", "recommend")
"""What an attestation states, in the order the evidence lists them."""

FIGURE_OF_STATEMENT: Final = {
    "delivery": "deadlines",
    "payment": "payment",
    "relationship": "relationship",
    "quality": RECOMMENDATION,
    "recommend": RECOMMENDATION,
}

TRUST_DIGITS: Final = 2
"""Trust and trust factors are kept to the two decimals a visitor is shown.

A new attestation anywhere moves everyone's PageRank by a hair; kept at full precision,
that hair would change the figures (and so the bytes) of nearly every member page and
force every page to be rebuilt. At two decimals the page's arithmetic still adds up with
the factor it prints, and a change only moves the members it really concerns.
"""

REASONS: Final = {
    "not-applicable": "the member never acted in the role this side judges",
    "few-counterparts": "evidence from fewer distinct counterparts than required",
    "little-evidence": "less weighted evidence than required",
    "highly-reliable": "the lower bound reaches the highly reliable threshold",
    "reliable": "the lower bound reaches the reliable threshold",
    "caution": "the upper bound is below the caution threshold, with negatives from several counterparts",
    "mixed": "enough evidence, but the lower bound is below the reliable threshold, and no caution",
    "informative": "informative figure: no level",
}
"""Why a side has its level, one line each (``triangle explain`` prints them)."""

# ----------------------------------------------------------------------------- results


class Evidence(NamedTuple):
    """One statement made about a member, with every factor of its weight.

    ``weight = recency × status_weight × diversity × trust`` when the statement counts,
    else 0; it then adds ``weight × positive`` to the positive evidence and
    ``weight × (1 - positive) × severity`` to the negative evidence.

    Built on request from :class:`EvidenceTable`, for ``triangle explain`` and member
    pages. A named tuple rather than a frozen dataclass: a site build makes one for
    every statement of the network (two million for 100,000 members), and a tuple is
    built five times faster.
    """

    engagement: str
    counterpart: str
    """Who made the statement: the other party of the engagement."""
    role: Role
    """The scored member's role in the engagement."""
    statement: str
    """``delivery``, ``payment``, ``relationship``, ``quality`` or ``recommend``."""
    outcome: str
    """The value as written: ``on_time``, ``late``, ``unpaid``, ``4``, ``true``…"""
    date: dt.date
    """The attestation's date, from which its age is counted."""
    status: Status
    """The engagement's status."""
    state: State
    """Whether this statement counts: ``counted``/``upheld`` do; the others do not (yet)."""
    negative: bool
    """A negative statement (late, unpaid, not delivered, a rating of 2 or less, not recommended)."""
    positive: float
    """Share of this statement that is positive, from 0 to 1."""
    severity: float
    """How many ordinary negatives its negative share counts as (1 unless severe or very late)."""
    days_late: int | None
    """For a late payment with known dates: days between the invoice due date and payment."""
    age_days: int
    recency: float
    status_weight: float
    repeat: int
    """Rank among the counted statements of the same counterpart on this side (1 = heaviest; 0 = not counted)."""
    diversity: float
    trust: float
    """The attester's trust factor (see :func:`attester_factor`)."""

    @property
    def counts(self) -> bool:
        """Whether this statement enters the score at all."""
        return self.repeat > 0

    @property
    def weight(self) -> float:
        """The product of every factor, 0 when the statement does not count."""
        if not self.counts:
            return 0.0
        return self.recency * self.status_weight * self.diversity * self.trust

    @property
    def positive_weight(self) -> float:
        """What it adds to the side's positive evidence."""
        return self.weight * self.positive

    @property
    def negative_weight(self) -> float:
        """What it adds to the side's negative evidence."""
        return self.weight * (1.0 - self.positive) * self.severity


Fact = tuple[str, str, Role, str, str, dt.date, Status, State, bool, float, float, int | None]
"""The first twelve fields of :class:`Evidence`: what was stated, before any weighting."""


@dataclass(frozen=True, slots=True)
class SideScore:
    """One side (or the recommendation figure) of one member: totals, bounds, level."""

    side: str
    level: Level | None
    """``None`` for the informative recommendation figure."""
    reason: str
    """Why this level: a key of :data:`REASONS`."""
    positive: float
    negative: float
    lower: float
    """Wilson lower bound of the positive share: the score."""
    upper: float
    """Wilson upper bound: ``caution`` needs it below the caution threshold."""
    counterparts: int
    """Distinct counterparts whose statements carry weight."""
    negative_counterparts: int
    """Distinct counterparts with a negative statement that carries weight."""
    facts: Facts
    """What a visitor can count: the statements behind this side, unweighted."""
    needs_counterparts: int = 0
    """For ``new``: how many more distinct counterparts the side needs."""
    needs_evidence: float = 0.0
    """For ``new``: how much more weighted evidence the side needs."""

    @property
    def evidence(self) -> float:
        """Weighted evidence: positive plus negative."""
        return self.positive + self.negative

    @property
    def score(self) -> float:
        """The published score: the lower bound."""
        return self.lower


@dataclass(frozen=True, slots=True)
class MemberScore:
    """Everything the score says about one member."""

    member: str
    trust: float
    """Trust relative to a typical member (1.0 = typical; coordinators are far above)."""
    trust_share: float
    """Share of the network's total trust."""
    attested: int
    """How many members this member attested (statements that count): their trust is shared among them."""
    attester_weight: float
    """The trust factor applied to this member's own statements about others."""
    sides: Mapping[str, SideScore]
    """``relationship``, ``deadlines``, ``payment``."""
    recommendation: SideScore
    relations: tuple[str, ...]
    """Professional relations: repeated counted engagements over time."""
    contacts: tuple[str, ...]
    """Every other counterpart."""
    proven_skills: Mapping[str, int]
    """Skills used as supplier in counted, delivered engagements, with how many times."""
    declared_only: tuple[str, ...]
    """Declared skills that no engagement proves yet."""


class EngagementStatuses(Mapping[str, EngagementStatus]):
    """Every engagement's status, derived again whenever one is asked for.

    A read-only mapping rather than a stored dict: a large network has half a million
    engagements, and :func:`~generator.status.engagement_status` is cheap and pure, so
    keeping a million small objects alive would cost more than it saves.
    """

    __slots__ = ("_ids", "_known", "_site")

    def __init__(self, site: Site, ids: tuple[str, ...]) -> None:
        self._site = site
        self._ids = ids
        self._known = frozenset(ids)

    def __getitem__(self, eid: str) -> EngagementStatus:
        if eid not in self._known:
            raise KeyError(eid)
        config = self._site.config.scoring
        return engagement_status(
            self._site.engagements[eid],
            self._site.resolutions.get(eid),
            self._site.today,
            config.confirm_window_days,
            config.reply_window_days,
        )

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, eid: object) -> bool:
        return eid in self._known


@dataclass(frozen=True, slots=True, eq=False)
class EvidenceTable:
    """Every statement's weight factors, kept as columns; :class:`Evidence` is built on request.

    A large network has millions of statements, and keeping a Python object for each
    would cost more than all the scoring; only ``triangle explain`` and member pages
    need them, one member at a time. Rows are grouped by (member, figure), newest
    first; ``offsets[slot]:offsets[slot + 1]`` are the rows of one group, where the
    slot of a member's figure is ``position[member] * 4 + FIGURES.index(figure)``.
    Each row names its attestation (engagement number and role) and which of its
    statements it is; the statement itself is read again from the model when asked
    for. The arrays are read-only.
    """

    statuses: EngagementStatuses
    engagement_ids: tuple[str, ...]
    position: Mapping[str, int]
    source: IntArray
    """Columns: engagement number, attester role (0 client, 1 supplier), statement number."""
    counts: IntArray
    """Columns ``age_days`` and ``repeat``."""
    factors: FloatArray
    """Columns ``recency``, ``status_weight``, ``diversity`` and ``trust``."""
    offsets: IntArray

    def items(self, site: Site, member: str, figure: str) -> tuple[Evidence, ...]:
        """The evidence about ``member`` on one figure, newest first."""
        slot = self.position[member] * len(FIGURES) + FIGURES.index(figure)
        start, end = int(self.offsets[slot]), int(self.offsets[slot + 1])
        items: list[Evidence] = []
        states: dict[str, EngagementStatus] = {}  # an attestation gives several rows: derive its status once
        for (number, role, statement), (age, repeat), (recency, status, diversity, trust) in zip(
            self.source[start:end].tolist(),
            self.counts[start:end].tolist(),
            self.factors[start:end].tolist(),
            strict=True,
        ):
            eid = self.engagement_ids[number]
            engagement = site.engagements[eid]
            state = states.get(eid)
            if state is None:
                state = states[eid] = self.statuses[eid]
            attestation = engagement.by_supplier if role else engagement.by_client
            attestation_state = state.by_supplier if role else state.by_client
            assert attestation is not None and attestation_state is not None
            fact = _facts(engagement, attestation, attestation_state, state.status, site.config.scoring)[statement]
            items.append(Evidence._make((*fact, age, recency, status, repeat, diversity, trust)))
        return tuple(items)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, EvidenceTable):
            return NotImplemented
        return (
            self.engagement_ids == other.engagement_ids
            and self.position == other.position
            and all(
                np.array_equal(mine, theirs)
                for mine, theirs in (
                    (self.source, other.source),
                    (self.counts, other.counts),
                    (self.factors, other.factors),
                    (self.offsets, other.offsets),
                )
            )
        )

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class Scores:
    """The scores of every member, and the status of every engagement."""

    site: Site = field(repr=False, compare=False)
    today: dt.date
    config: ScoringConfig
    seeds: tuple[str, ...]
    typical_trust: float
    """Trust share of a typical member: the unit of :attr:`MemberScore.trust`."""
    typical_relation: float
    """Trust share per attested member of a typical attester: the unit of the trust factor."""
    members: Mapping[str, MemberScore]
    engagements: EngagementStatuses = field(compare=False)
    table: EvidenceTable = field(repr=False)

    def evidence(self, member: str, figure: str) -> tuple[Evidence, ...]:
        """Every statement made about ``member`` on one side (or ``recommendation``), newest first."""
        return self.table.items(self.site, member, figure)


# ---------------------------------------------------------------------------- formulas


def wilson_lower(positive: float, n: float, z: float) -> float:
    """Wilson score lower bound of a positive share ``positive / n`` at ``z`` (0 with no evidence).

    With little evidence the bound is low even when every statement is positive: one
    positive statement gives 0.21, ten give 0.72. Weighted (fractional) counts are
    used as they are. The usual formula, multiplied through by ``n``::

        (positive + z²/2 - z × √(positive × negative / n + z²/4)) / (n + z²)
    """
    if n <= 0:
        return 0.0
    positive = min(max(positive, 0.0), n)
    z2 = z * z
    spread = z * math.sqrt(positive * (n - positive) / n + z2 / 4)
    return max(0.0, (positive + z2 / 2 - spread) / (n + z2))


def wilson_upper(positive: float, n: float, z: float) -> float:
    """Wilson score upper bound (1 with no evidence): how good the share could still be."""
    if n <= 0:
        return 1.0
    positive = min(max(positive, 0.0), n)
    z2 = z * z
    spread = z * math.sqrt(positive * (n - positive) / n + z2 / 4)
    return min(1.0, (positive + z2 / 2 + spread) / (n + z2))


def wilson_bounds(positive: FloatArray, n: FloatArray, z: float) -> tuple[FloatArray, FloatArray]:
    """:func:`wilson_lower` and :func:`wilson_upper` of many sides at once, by the same formula."""
    some = n > 0
    safe = np.where(some, n, 1.0)
    positive = np.clip(positive, 0.0, safe)
    z2 = z * z
    spread = z * np.sqrt(positive * (safe - positive) / safe + z2 / 4)
    lower = np.where(some, np.maximum(0.0, (positive + z2 / 2 - spread) / (safe + z2)), 0.0)
    upper = np.where(some, np.minimum(1.0, (positive + z2 / 2 + spread) / (safe + z2)), 1.0)
    return lower, upper


def recency_weight(age_days: float, half_life_days: float) -> float:
    """Weight of evidence ``age_days`` old: it halves every ``half_life_days``."""
    return float(0.5 ** (max(age_days, 0.0) / half_life_days))


def diversity_weight(repeat: int, exponent: float) -> float:
    """Weight of the ``repeat``-th statement of the same counterpart: ``1 / repeat ** exponent``.

    With the default exponent 2, all the statements of one counterpart together never
    weigh more than 1.64 times a single one, so ten engagements with one client count
    far less than one each with ten clients.
    """
    return float(repeat ** (-exponent)) if repeat > 0 else 0.0


def status_weight(status: Status, config: ScoringConfig) -> float:
    """Weight of evidence by the engagement's status.

    Both parties attested (confirmed, disputed, resolved): 1 (contested sides are
    excluded by their state, not here). One party only: ``unconfirmed_weight`` once the
    confirm window has passed, and 0 while it is pending: the other party still has
    time to confirm or contest it.
    """
    if status in ("confirmed", "disputed", "resolved"):
        return 1.0
    if status == "unconfirmed":
        return config.unconfirmed_weight
    return 0.0


def rating_share(rating: int) -> float:
    """Positive share of a 1-5 rating: 5 is fully positive, 1 fully negative, 3 half and half."""
    return (rating - 1) / 4


def late_payment_severity(days_late: int | None, config: ScoringConfig) -> float:
    """How many ordinary negatives a late payment counts as: more the later it was, up to ``severe_weight``."""
    if days_late is None or days_late <= 0:
        return 1.0
    return min(config.severe_weight, 1.0 + days_late / config.late_payment_scale_days)


def attester_factor(per_relation: float, typical: float) -> float:
    """The trust factor of an attester's statements: what their word is worth, at most 1.

    ``per_relation`` is the attester's trust divided by the number of members they
    attested; ``typical`` is the same for a typical attester. Creating accounts
    does not create trust, and trust spread over many accounts is spread thin: a
    closed group's statements about each other count little, however many they are.
    """
    return round(min(1.0, per_relation / typical), TRUST_DIGITS) if typical > 0 else 0.0


def decide_level(
    lower: float,
    upper: float,
    evidence: float,
    counterparts: int,
    negative_counterparts: int,
    config: ScoringConfig,
    *,
    applicable: bool = True,
) -> tuple[Level, str]:
    """The level of one side and the reason for it (a key of :data:`REASONS`).

    Each level means one thing, so that a visitor never reads "new" for three different
    situations. In this order: ``not_applicable`` when the member never acted in the
    side's role (an agency that only buys has no deadlines side); ``new`` with
    evidence from fewer than ``min_counterparts`` distinct
    counterparts or less than ``min_evidence`` weighted evidence; ``highly_reliable``
    or ``reliable`` when the lower bound reaches their threshold; ``caution`` when the
    upper bound is below ``caution_threshold`` *and* negatives come from at least
    ``min_counterparts`` distinct counterparts, so that one conflict never brands a
    member; ``new`` again while even a spotless record of the same weight would not
    reach ``reliable`` (so that ``mixed`` always means that negatives weigh, never
    that evidence is scarce); otherwise ``mixed``.
    """
    if not applicable:
        return "not_applicable", "not-applicable"
    if counterparts < config.min_counterparts:
        return "new", "few-counterparts"
    if evidence < config.min_evidence:
        return "new", "little-evidence"
    if lower >= config.highly_reliable_threshold:
        return "highly_reliable", "highly-reliable"
    if lower >= config.reliable_threshold:
        return "reliable", "reliable"
    if upper < config.caution_threshold and negative_counterparts >= config.min_counterparts:
        return "caution", "caution"
    if wilson_lower(evidence, evidence, config.confidence_z) < config.reliable_threshold:
        # Even a spotless record of this weight would not read reliable: too little to
        # call the record mixed, whatever it says.
        return "new", "little-evidence"
    return "mixed", "mixed"


def check_thresholds(config: ScoringConfig) -> None:
    """Refuse thresholds that contradict each other, before any member is judged by them."""
    problems: list[str] = []
    if config.reliable_threshold >= config.highly_reliable_threshold:
        problems.append(
            f"scoring.reliable_threshold ({config.reliable_threshold:g}) must be below "
            f"scoring.highly_reliable_threshold ({config.highly_reliable_threshold:g})"
        )
    if config.caution_threshold > config.reliable_threshold:
        problems.append(
            f"scoring.caution_threshold ({config.caution_threshold:g}) must not be above "
            f"scoring.reliable_threshold ({config.reliable_threshold:g}), or a member could be both "
            "reliable and flagged for caution"
        )
    if problems:
        raise UsageError("site.yml has contradictory scoring thresholds: " + "; ".join(problems))


# ------------------------------------------------------------------------- statements


_STATE: Final[dict[str, int]] = {name: i for i, name in enumerate(STATES)}
_COUNTING_CODES: Final = tuple(_STATE[name] for name in sorted(COUNTING_STATES))


def _stated(state: State | None) -> State:
    """The state of a side the attestation states (so it has one)."""
    assert state is not None
    return state


def _facts(
    engagement: Engagement, attestation: Attestation, state: AttestationState, status: Status, config: ScoringConfig
) -> list[Fact]:
    """What one attestation states about the other party, one fact per statement.

    This is where each outcome gets its positive share and severity: ``on_time`` 1;
    ``late`` 0; ``not_delivered`` and ``unpaid`` 0 counting ``severe_weight`` times; a
    late payment 0, counting more the later it was; a rating r out of 5, (r-1)/4;
    ``recommend`` 1 or 0. Negative statements (see :func:`is_negative`) are marked.
    """
    eid, attester, day = engagement.id, attestation.attester, attestation.date
    role: Role = "supplier" if attestation.role == "client" else "client"
    facts: list[Fact] = []
    if attestation.delivery is not None:
        on_time = attestation.delivery == "on_time"
        severity = config.severe_weight if attestation.delivery == "not_delivered" else 1.0
        facts.append(
            (eid, attester, role, "delivery", attestation.delivery, day, status, _stated(state.delivery),
             not on_time, 1.0 if on_time else 0.0, severity, None)
        )  # fmt: skip
    if attestation.payment is not None:
        days_late = _days_late(engagement, attestation)
        on_time = attestation.payment == "on_time"
        if attestation.payment == "unpaid":
            severity = config.severe_weight
        else:
            severity = late_payment_severity(days_late, config) if attestation.payment == "late" else 1.0
        facts.append(
            (eid, attester, role, "payment", attestation.payment, day, status, _stated(state.payment),
             not on_time, 1.0 if on_time else 0.0, severity, days_late)
        )  # fmt: skip
    rel = attestation.relationship
    facts.append(
        (eid, attester, role, "relationship", str(rel), day, status, state.relationship,
         rel <= NEGATIVE_RATING, rating_share(rel), 1.0, None)
    )  # fmt: skip
    if attestation.quality is not None:
        q = attestation.quality
        facts.append(
            (eid, attester, role, "quality", str(q), day, status, _stated(state.quality),
             q <= NEGATIVE_RATING, rating_share(q), 1.0, None)
        )  # fmt: skip
    rec = attestation.recommend
    # ``recommend`` cannot be contested: it counts unless the whole attestation waits for a reply.
    facts.append(
        (eid, attester, role, "recommend", "true" if rec else "false", day, status,
         "awaiting_reply" if state.awaiting_reply else "counted", not rec, 1.0 if rec else 0.0, 1.0, None)
    )  # fmt: skip
    return facts


_OUTCOME: Final[dict[str | None, int]] = {None: -1, "on_time": 0, "late": 1, "not_delivered": 2, "unpaid": 2}
"""Delivery and payment outcomes as numbers: -1 not stated, 0 on time, 1 late, 2 severe."""
_NO_STATE: Final = -1
_ATTESTATION_COLUMNS: Final = (
    "subject", "attester", "number", "role", "ordinal", "status_weight", "delivery", "payment",
    "payment_severity", "relationship", "quality", "recommend", "awaiting",
    "delivery_state", "payment_state", "relationship_state", "quality_state", "days_late", "both",
)  # fmt: skip
_COLUMN: Final = {name: i for i, name in enumerate(_ATTESTATION_COLUMNS)}


def _code(state: State | None) -> int:
    return _NO_STATE if state is None else _STATE[state]


@dataclass(frozen=True, slots=True)
class _Rows:
    """The network as numbers, one flat array per kind of row (internal to :func:`score_site`).

    Only numbers are kept, so that a million attestations cost arrays, not objects.
    """

    engagements: array[int] = field(default_factory=lambda: array("q"))
    """Per engagement: client, supplier, start date (ordinal), counted (0 or 1)."""
    attestations: array[float] = field(default_factory=lambda: array("d"))
    """Per attestation: the :data:`_ATTESTATION_COLUMNS`. (Raw numbers in an ``array``, not a
    list of Python floats: a third of the memory for a million attestations.)"""
    proven: dict[int, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    """Per member: skills used as supplier in counted engagements that were delivered."""


def _rows(site: Site, index: Mapping[str, int], engagement_ids: tuple[str, ...]) -> _Rows:
    """Every engagement and attestation as numbers, in engagement-id order, client first.

    One pass over the model: the order never depends on the order files were read in.
    A skill is proven by an engagement both parties confirmed, unless the client's
    statement that the work was not delivered stands.
    """
    config = site.config.scoring
    rows = _Rows()
    weight_of = {name: status_weight(name, config) for name in STATUSES}
    add_engagement, add_attestation = rows.engagements.extend, rows.attestations.extend
    for number, eid in enumerate(engagement_ids):  # half a million times in a large network
        engagement = site.engagements[eid]
        status = engagement_status(
            engagement, site.resolutions.get(eid), site.today, config.confirm_window_days, config.reply_window_days
        )
        client, supplier = index[engagement.client], index[engagement.supplier]
        counted = status.status in COUNTED_STATUSES
        add_engagement((client, supplier, engagement.started.toordinal(), counted))
        if counted and status.by_client is not None and engagement.by_client is not None:
            stands = status.by_client.delivery in COUNTING_STATES
            if not (engagement.by_client.delivery == "not_delivered" and stands):
                skills = rows.proven[supplier]
                for skill in engagement.skills:
                    skills[skill] = skills.get(skill, 0) + 1
        weight = weight_of[status.status]
        both = status.status in BOTH_ATTESTED
        sides = ((0, engagement.by_client, status.by_client), (1, engagement.by_supplier, status.by_supplier))
        for role, attestation, state in sides:
            if attestation is None or state is None:
                continue
            payment_severity = 1.0
            days_late = _days_late(engagement, attestation)
            if attestation.payment == "unpaid":
                payment_severity = config.severe_weight
            elif attestation.payment == "late":
                payment_severity = late_payment_severity(days_late, config)
            add_attestation(
                (
                    supplier if role == 0 else client,
                    client if role == 0 else supplier,
                    number,
                    role,
                    attestation.date.toordinal(),
                    weight,
                    _OUTCOME[attestation.delivery],
                    _OUTCOME[attestation.payment],
                    payment_severity,
                    attestation.relationship,
                    attestation.quality or 0,
                    attestation.recommend,
                    state.awaiting_reply,
                    _code(state.delivery),
                    _code(state.payment),
                    _STATE[state.relationship],
                    _code(state.quality),
                    -1 if days_late is None else days_late,
                    both,
                )
            )
    return rows


@dataclass(frozen=True, slots=True)
class _Statements:
    """Every statement as columns: the vectorised twin of :func:`_facts` (tests check they agree)."""

    attestation: IntArray
    """Which attestation (row of ``_Rows.attestations``) made it."""
    number: IntArray
    """Its position among its attestation's statements, as :func:`_facts` lists them."""
    kind: IntArray
    state: IntArray
    negative: npt.NDArray[np.bool_]
    share: FloatArray
    severity: FloatArray
    value: FloatArray
    """The outcome code (delivery, payment), rating (relationship, quality) or 1/0 (recommend)."""


def _statements(table: FloatArray, config: ScoringConfig) -> _Statements:
    """Expand each attestation into its statements, in :data:`STATEMENTS` order, as :func:`_facts` does."""
    column = {name: table[:, i] for name, i in _COLUMN.items()}
    delivery, payment = column["delivery"], column["payment"]
    relationship, quality, recommend = column["relationship"], column["quality"], column["recommend"] > 0
    counted, waiting = float(_STATE["counted"]), float(_STATE["awaiting_reply"])
    recommend_state = np.where(column["awaiting"] > 0, waiting, counted)
    # One column per kind of statement, in STATEMENTS order: delivery, payment, relationship, quality, recommend.
    present = np.column_stack(
        (delivery >= 0, payment >= 0, np.ones(len(table), dtype=bool), quality > 0, np.ones(len(table), dtype=bool))
    )
    share = np.column_stack((delivery == 0, payment == 0, (relationship - 1) / 4, (quality - 1) / 4, recommend)).astype(
        np.float64
    )
    severity = np.column_stack(
        (
            np.where(delivery == 2, config.severe_weight, 1.0),
            column["payment_severity"],
            *(np.ones(len(table)),) * 3,
        )
    )
    negative = np.column_stack(
        (delivery >= 1, payment >= 1, relationship <= NEGATIVE_RATING, quality <= NEGATIVE_RATING, ~recommend)
    )
    state = np.column_stack(
        (
            column["delivery_state"],
            column["payment_state"],
            column["relationship_state"],
            column["quality_state"],
            recommend_state,
        )
    ).astype(np.int64)
    rows, kinds = np.nonzero(present)  # row-major: by attestation, then in STATEMENTS order
    number = np.cumsum(present, axis=1)[rows, kinds] - 1
    return _Statements(
        attestation=rows.astype(np.int64),
        number=number.astype(np.int64),
        kind=kinds.astype(np.int64),
        state=state[rows, kinds],
        negative=negative[rows, kinds],
        share=share[rows, kinds],
        severity=severity[rows, kinds],
        value=np.column_stack((delivery, payment, relationship, quality, column["recommend"]))[rows, kinds],
    )


def _days_late(engagement: Engagement, attestation: Attestation) -> int | None:
    """Days between the invoice due date and a late payment, when both are known."""
    if attestation.payment == "late" and attestation.paid and engagement.invoice_due:
        return max((attestation.paid - engagement.invoice_due).days, 0)
    return None


def _sort_by(*keys: npt.NDArray[Any]) -> IntArray:
    """The order that sorts by the first key, then the second… (``np.lexsort``, faster for few keys).

    Stable sorts from the last key to the first: a few fast passes instead of one
    many-key sort, which matters for two million statements.
    """
    order = np.argsort(keys[-1], kind="stable")
    for key in reversed(keys[:-1]):
        order = order[np.argsort(key[order], kind="stable")]
    return order.astype(np.int64)


def _ranks(keys: tuple[IntArray, ...], order: IntArray, rows: int) -> IntArray:
    """1-based rank of each of ``order``'s rows within its group of equal ``keys`` (0 for other rows)."""
    ranks = np.zeros(rows, dtype=np.int64)
    if order.size == 0:
        return ranks
    changed = np.zeros(order.size, dtype=bool)
    changed[0] = True
    for key in keys:
        ordered = key[order]
        changed[1:] |= ordered[1:] != ordered[:-1]
    starts = np.flatnonzero(changed)
    sizes = np.diff(np.append(starts, order.size))
    ranks[order] = np.arange(order.size) - np.repeat(starts, sizes) + 1
    return ranks


def _read_only(array: npt.NDArray[Any]) -> npt.NDArray[Any]:
    array.setflags(write=False)
    return array


def _relations(
    engagements: IntArray, member_ids: list[str], config: ScoringConfig
) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    """Professional relations and contacts of every member, in member order.

    Two members are professional relations when they have at least
    ``relation_min_engagements`` counted engagements whose start dates span at least
    ``relation_min_span_days``: repeated work over time, not one busy month. Every
    other counterpart is a contact.
    """
    size = len(member_ids)
    relations: list[tuple[str, ...]] = [()] * size
    contacts: list[tuple[str, ...]] = [()] * size
    if not engagements.size:
        return relations, contacts
    client, supplier, started, counted = engagements[:, 0], engagements[:, 1], engagements[:, 2], engagements[:, 3] > 0
    low, high = np.minimum(client, supplier), np.maximum(client, supplier)
    pairs, inverse = np.unique(low * size + high, return_inverse=True)
    how_many = np.bincount(inverse, weights=counted, minlength=pairs.size)
    first = np.full(pairs.size, np.iinfo(np.int64).max)
    last = np.full(pairs.size, np.iinfo(np.int64).min)
    np.minimum.at(first, inverse[counted], started[counted])
    np.maximum.at(last, inverse[counted], started[counted])
    related = (how_many >= max(config.relation_min_engagements, 1)) & (last - first >= config.relation_min_span_days)
    one, other = pairs // size, pairs % size
    member = np.concatenate((one, other))
    counterpart = np.concatenate((other, one))
    kind = np.concatenate((related, related))
    order = np.lexsort((counterpart, member))
    member, counterpart, kind = member[order], counterpart[order], kind[order]
    bounds = np.searchsorted(member, np.arange(size + 1)).tolist()
    names = counterpart.tolist()
    flags = kind.tolist()
    for i in range(size):
        start, end = bounds[i], bounds[i + 1]
        if start == end:
            continue
        relations[i] = tuple(member_ids[names[k]] for k in range(start, end) if flags[k])
        contacts[i] = tuple(member_ids[names[k]] for k in range(start, end) if not flags[k])
    return relations, contacts


# ------------------------------------------------------------------------------ score


def score_site(site: Site) -> Scores:
    """Score every member of ``site`` on every side, as of ``site.today``.

    Raises :class:`UsageError` when the scoring thresholds contradict each other or
    when no coordinator is a member (trust would have nowhere to start).
    """
    config = site.config.scoring
    check_thresholds(config)
    member_ids = list(site.members)  # sorted by id: the model guarantees it
    index = {m: i for i, m in enumerate(member_ids)}
    size = len(member_ids)
    seeds = tuple(sorted({c for c in site.config.coordinators if c in index}))
    if size and not seeds:
        raise UsageError(
            "none of the coordinators listed in site.yml is a member, so trust has nowhere to start; "
            "list at least one existing member under 'coordinators'"
        )
    today = site.today
    # Validation refuses engagements whose parties are not members; never score them.
    engagement_ids = tuple(eid for eid, e in site.engagements.items() if e.client in index and e.supplier in index)
    rows = _rows(site, index, engagement_ids)

    attestations = np.frombuffer(rows.attestations, dtype=np.float64).reshape(-1, len(_ATTESTATION_COLUMNS))
    statements = _statements(attestations, config)
    which = statements.attestation

    def per_statement(name: str) -> IntArray:
        values: IntArray = attestations[which, _COLUMN[name]].astype(np.int64)
        return values

    subject, attester, engagement = per_statement("subject"), per_statement("attester"), per_statement("number")
    role, ordinal = per_statement("role"), per_statement("ordinal")
    weight_of_status = attestations[which, _COLUMN["status_weight"]]
    kind, negative, share, severity = statements.kind, statements.negative, statements.share, statements.severity
    counting = np.isin(statements.state, _COUNTING_CODES) & (weight_of_status > 0)
    figure = np.asarray([FIGURES.index(FIGURE_OF_STATEMENT[name]) for name in STATEMENTS], dtype=np.int64)[kind]
    statement_number = statements.number
    count = kind.size

    age = np.maximum(today.toordinal() - ordinal, 0)
    recency = np.power(0.5, age / config.half_life_days)
    base = recency * weight_of_status

    # Trust flows along the positive part of every counted statement on a badge side.
    on_sides = counting & (figure < len(SIDES))
    trust = propagate_trust(
        size,
        attester[on_sides],
        subject[on_sides],
        (base * share)[on_sides],
        [index[s] for s in seeds],
        config.trust_restart,
    )
    typical = typical_trust(trust, trust, config.trust_typical_mass)
    # An attester's trust is shared among everyone they attested: what one relation
    # carries is what the attester's word is worth about that member.
    width = max(size, 1)
    attested = distinct_per_group(attester[counting], subject[counting], width, size)
    per_relation = trust / np.maximum(attested, 1)
    typical_relation = typical_trust(per_relation, trust, config.trust_typical_mass)
    trust_list: list[float] = trust.tolist()
    attested_list: list[int] = attested.tolist()
    factors = [attester_factor(r, typical_relation) for r in per_relation.tolist()]
    factor = np.asarray(factors, dtype=np.float64).reshape(size)

    # Counterpart diversity: within (member, figure, counterpart), the statement that
    # weighs most (positive plus negative evidence, before this discount) ranks first.
    # Ranking by weight, not by date, guarantees that adding a positive statement never
    # takes more from the others than it adds itself (and likewise for a negative one).
    mass = base * (share + (1.0 - share) * severity)
    # Ties go to the newest statement, then to the first engagement by id.
    slot_of = subject * len(FIGURES) + figure
    newest = (ordinal.max(initial=0) - ordinal) * max(len(engagement_ids), 1) + engagement
    counted_rows = np.flatnonzero(counting)
    ranking = counted_rows[
        _sort_by(slot_of[counted_rows] * width + attester[counted_rows], -mass[counted_rows], newest[counted_rows])
    ]
    repeat = _ranks((subject, figure, attester), ranking, count)
    ranked = repeat > 0
    diversity = np.zeros(count)
    diversity[ranked] = np.power(repeat[ranked].astype(np.float64), -config.repeat_exponent)
    attester_trust = factor[attester]
    weight = np.where(ranked, recency * weight_of_status * diversity * attester_trust, 0.0)
    pos = weight * share
    neg = weight * (1.0 - share) * severity

    slots = size * len(FIGURES)
    group = slot_of
    carrying = weight > 0
    counterparts = distinct_per_group(group[carrying], attester[carrying], width, slots).tolist()
    negative_rows = carrying & negative
    negative_counterparts = distinct_per_group(group[negative_rows], attester[negative_rows], width, slots).tolist()

    # The evidence table, newest first within each (member, figure).
    shown = _sort_by(slot_of, newest * len(STATEMENTS) + kind)
    statuses = EngagementStatuses(site, engagement_ids)
    table = EvidenceTable(
        statuses=statuses,
        engagement_ids=engagement_ids,
        position=frozen_map(index),
        source=_read_only(np.column_stack((engagement, role, statement_number))[shown]),
        counts=_read_only(np.column_stack((age, repeat))[shown]),
        factors=_read_only(np.column_stack((recency, weight_of_status, diversity, attester_trust))[shown]),
        offsets=_read_only(np.searchsorted(group[shown], np.arange(slots + 1)).astype(np.int64)),
    )

    positive_sums: FloatArray = np.bincount(group, weights=pos, minlength=slots).astype(np.float64)
    negative_sums: FloatArray = np.bincount(group, weights=neg, minlength=slots).astype(np.float64)
    lower, upper = wilson_bounds(positive_sums, positive_sums + negative_sums, config.confidence_z)
    positive_list: list[float] = positive_sums.tolist()
    negative_list: list[float] = negative_sums.tolist()
    lower_list: list[float] = lower.tolist()
    upper_list: list[float] = upper.tolist()
    facts = count_facts(
        slot=slot_of,
        figure=figure,
        kind=kind,
        value=statements.value,
        attester=attester,
        both=attestations[which, _COLUMN["both"]] > 0,
        days_late=per_statement("days_late"),
        counting=counting,
        slots=slots,
        width=width,
    )
    parties = np.frombuffer(rows.engagements, dtype=np.int64).reshape(-1, 4)
    # A side applies once the member acted in its role: supplier (deadlines) or client (payment).
    acted = {
        "relationship": [True] * size,
        "deadlines": (np.bincount(parties[:, 1], minlength=size) > 0).tolist(),
        "payment": (np.bincount(parties[:, 0], minlength=size) > 0).tolist(),
        RECOMMENDATION: [True] * size,
    }
    sides = [
        _side(
            FIGURES[slot % len(FIGURES)],
            positive_list[slot],
            negative_list[slot],
            lower_list[slot],
            upper_list[slot],
            counterparts[slot],
            negative_counterparts[slot],
            facts[slot],
            acted[FIGURES[slot % len(FIGURES)]][slot // len(FIGURES)],
            config,
        )
        for slot in range(slots)
    ]
    relations, contacts = _relations(parties, member_ids, config)
    members: dict[str, MemberScore] = {}
    for i, mid in enumerate(member_ids):
        first = i * len(FIGURES)
        skills = rows.proven.get(i, {})
        members[mid] = MemberScore(
            member=mid,
            trust=round(trust_list[i] / typical, TRUST_DIGITS) if typical > 0 else 0.0,
            trust_share=trust_list[i],
            attested=attested_list[i],
            attester_weight=factors[i],
            sides=frozen_map({name: sides[first + k] for k, name in enumerate(SIDES)}),
            recommendation=sides[first + len(SIDES)],
            relations=relations[i],
            contacts=contacts[i],
            proven_skills=frozen_map({k: skills[k] for k in sorted(skills)}),
            declared_only=tuple(s for s in site.members[mid].skills if s not in skills),
        )
    return Scores(
        site=site,
        today=today,
        config=config,
        seeds=seeds,
        typical_trust=typical,
        typical_relation=typical_relation,
        members=frozen_map(members),
        engagements=statuses,
        table=table,
    )


def _side(
    name: str,
    positive: float,
    negative: float,
    lower: float,
    upper: float,
    counterparts: int,
    negative_counterparts: int,
    facts: Facts,
    acted: bool,
    config: ScoringConfig,
) -> SideScore:
    level: Level | None
    needs_counterparts, needs_evidence = 0, 0.0
    if name == RECOMMENDATION:
        level, reason = None, "informative"
    else:
        evidence = positive + negative
        level, reason = decide_level(
            lower, upper, evidence, counterparts, negative_counterparts, config, applicable=acted
        )
        if level == "new":
            needs_counterparts = max(config.min_counterparts - counterparts, 0)
            needs_evidence = max(config.min_evidence - evidence, 0.0)
    return SideScore(
        name,
        level,
        reason,
        positive,
        negative,
        lower,
        upper,
        counterparts,
        negative_counterparts,
        facts,
        needs_counterparts,
        needs_evidence,
    )
