"""Where each engagement and each statement stands: what counts, what waits, what is contested.

Scoring needs to know, for every statement an attestation makes, whether it may count.
That answer depends on the other party (did they attest? do they contest this side?),
on a coordinator's ruling and on the build date, never on the score itself, so it is
derived here first, as small pure functions a test (or a member) can check one case at
a time. The site shows the same states: *pending*, *disputed*, *awaiting reply*.
"""

from __future__ import annotations

import datetime as dt
from typing import Final, Literal, NamedTuple

from .model import Attestation, Engagement, Resolution

Status = Literal["unattested", "pending", "unconfirmed", "confirmed", "disputed", "resolved"]
"""An engagement's status (see :func:`engagement_status`)."""

State = Literal["counted", "upheld", "contested", "withdrawn", "awaiting_reply"]
"""Where one statement of an attestation stands (see :func:`statement_state`)."""

STATUSES: Final[tuple[Status, ...]] = ("unattested", "pending", "unconfirmed", "confirmed", "disputed", "resolved")
STATES: Final[tuple[State, ...]] = ("counted", "upheld", "contested", "withdrawn", "awaiting_reply")
COUNTING_STATES: Final = frozenset({"counted", "upheld"})
"""The statement states whose evidence enters the score."""
BOTH_ATTESTED: Final = frozenset({"confirmed", "disputed", "resolved"})
"""Both parties attested the engagement (whatever they contest)."""
COUNTED_STATUSES: Final = frozenset({"confirmed", "resolved"})
"""Both parties attested and nothing is left open: such an engagement proves a working
relation and the skills used (see :mod:`score`)."""

NEGATIVE_DELIVERY: Final = frozenset({"late", "not_delivered"})
NEGATIVE_PAYMENT: Final = frozenset({"late", "unpaid"})
NEGATIVE_RATING: Final = 2
"""A relationship or quality rating at or below this is a negative statement."""


class AttestationState(NamedTuple):
    """One attestation as the score and the site see it, with the state of each side it states.

    A side the attestation does not state (``payment`` in a client's attestation) is
    ``None``. A named tuple rather than a frozen dataclass, like
    :class:`EngagementStatus`: a large network has a million of them, and a tuple is
    built five times faster.
    """

    engagement: str
    attester: str
    negative: bool
    """It says something negative about the other party (see :func:`is_negative`)."""
    awaiting_reply: bool
    """Negative, unanswered and younger than the reply window: not published, not counted."""
    counts_from: dt.date
    """The first day it may count (and be published): its date, or the end of the reply window."""
    delivery: State | None
    quality: State | None
    payment: State | None
    relationship: State

    def state(self, side: str) -> State:
        """The state of one side it states; :class:`KeyError` for a side it does not state."""
        states = {
            "delivery": self.delivery,
            "quality": self.quality,
            "payment": self.payment,
            "relationship": self.relationship,
        }
        found = states[side]
        if found is None:
            raise KeyError(side)
        return found


class EngagementStatus(NamedTuple):
    """An engagement's derived status, and where each attestation stands."""

    engagement: str
    status: Status
    contested: tuple[str, ...]
    """Sides some party contests, sorted; empty unless disputed or resolved."""
    by_client: AttestationState | None
    by_supplier: AttestationState | None

    @property
    def counted(self) -> bool:
        """Both parties attested and nothing is open: it proves a relation and a skill."""
        return self.status in COUNTED_STATUSES


def is_negative(attestation: Attestation) -> bool:
    """Whether an attestation says anything negative, and so must wait for a reply.

    Negative means late or missing delivery, late or unpaid payment, a relationship or
    quality rating of 2 or less, or not recommending the other party: anything that
    would lower one of the other party's figures.
    """
    return (
        attestation.delivery in NEGATIVE_DELIVERY
        or attestation.payment in NEGATIVE_PAYMENT
        or attestation.relationship <= NEGATIVE_RATING
        or (attestation.quality is not None and attestation.quality <= NEGATIVE_RATING)
        or not attestation.recommend
    )


def awaiting_reply(attestation: Attestation, other: Attestation | None, today: dt.date, window_days: int) -> bool:
    """Whether a negative statement still waits for the other party's reply.

    Nobody should learn of a complaint from the public site first: a negative
    attestation counts (and is published) only once the other party attested the
    engagement too (and so could reply), or ``window_days`` after its date.
    """
    return _waits(is_negative(attestation), attestation, other, today, window_days)


def _waits(negative: bool, attestation: Attestation, other: Attestation | None, today: dt.date, window: int) -> bool:
    return negative and other is None and (today - attestation.date).days < window


def statement_state(side: str, other: Attestation | None, resolution: Resolution | None) -> State:
    """Whether one side of an attestation counts, given the other party's disputes and a ruling.

    A contested side does not count until a coordinator's resolution upholds it; a
    withdrawn side never counts.
    """
    if other is None or side not in other.disputes:
        return "counted"
    if resolution is not None and side in resolution.upheld:
        return "upheld"
    if resolution is not None and side in resolution.withdrawn:
        return "withdrawn"
    return "contested"


def attestation_state(
    engagement: Engagement,
    attestation: Attestation,
    resolution: Resolution | None,
    today: dt.date,
    reply_window_days: int,
) -> AttestationState:
    """The state of one attestation and of each side it states."""
    client = attestation.role == "client"
    other = engagement.by_supplier if client else engagement.by_client
    negative = is_negative(attestation)
    waiting = _waits(negative, attestation, other, today, reply_window_days)
    counts_from = attestation.date
    if negative and other is None:
        counts_from = attestation.date + dt.timedelta(days=reply_window_days)
    relationship: State
    if waiting or other is None or not other.disputes:  # the common case, decided at once
        relationship = "awaiting_reply" if waiting else "counted"
        yes: State | None = relationship
        return AttestationState(
            engagement.id,
            attestation.attester,
            negative,
            waiting,
            counts_from,
            yes if client else None,
            yes if client else None,
            None if client else yes,
            relationship,
        )
    return AttestationState(
        engagement.id,
        attestation.attester,
        negative,
        waiting,
        counts_from,
        statement_state("delivery", other, resolution) if client else None,
        statement_state("quality", other, resolution) if client else None,
        None if client else statement_state("payment", other, resolution),
        statement_state("relationship", other, resolution),
    )


def engagement_status(
    engagement: Engagement,
    resolution: Resolution | None,
    today: dt.date,
    confirm_window_days: int,
    reply_window_days: int,
) -> EngagementStatus:
    """Derive an engagement's status from its attestations, a ruling and the build date.

    * ``unattested``: nobody attested it yet;
    * ``pending``: one attestation, younger than ``confirm_window_days``: the other
      party still has time to confirm or contest, so it does not count yet;
    * ``unconfirmed``: one attestation, older: it counts at a reduced weight;
    * ``confirmed``: both attested and nobody contests anything;
    * ``disputed``: a contested side has no ruling yet (the other sides still count);
    * ``resolved``: a resolution ruled on every contested side.
    """
    by_client, by_supplier = engagement.by_client, engagement.by_supplier
    client_state = attestation_state(engagement, by_client, resolution, today, reply_window_days) if by_client else None
    supplier_state = (
        attestation_state(engagement, by_supplier, resolution, today, reply_window_days) if by_supplier else None
    )
    contested: tuple[str, ...] = ()
    status: Status
    if by_client is None and by_supplier is None:
        status = "unattested"
    elif by_client is None or by_supplier is None:
        single = by_client or by_supplier
        assert single is not None
        status = "pending" if (today - single.date).days < confirm_window_days else "unconfirmed"
    elif not by_client.disputes and not by_supplier.disputes:
        status = "confirmed"
    else:
        contested = tuple(sorted(set(by_client.disputes) | set(by_supplier.disputes)))
        ruled = set(resolution.upheld) | set(resolution.withdrawn) if resolution is not None else set()
        status = "resolved" if ruled >= set(contested) else "disputed"
    return EngagementStatus(engagement.id, status, contested, client_state, supplier_state)
