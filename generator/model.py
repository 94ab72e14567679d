"""The validated network as typed, immutable data: what every later stage reads.

Nothing here touches a file. Objects are frozen dataclasses with slots, and the
collections are tuples or read-only mappings, so that scoring and rendering cannot
change what validation proved; each record keeps its :class:`Source` so that any later
message (a review comment, an explanation) can still point at the line it came from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final, Literal, TypeVar

from .diagnostics import Position

Role = Literal["client", "supplier"]
SIDES_OF_CLIENT_ATTESTATION: tuple[str, ...] = ("delivery", "quality", "relationship")
"""What the client's attestation says about the supplier, and so what the supplier may contest."""
SIDES_OF_SUPPLIER_ATTESTATION: tuple[str, ...] = ("payment", "relationship")
"""What the supplier's attestation says about the client, and so what the client may contest."""

Labels = tuple[tuple[str, str], ...]
"""A label as declared: ``(language, text)`` pairs; language ``"*"`` for one text in every language."""
Terms = tuple[tuple[str, Labels], ...]
"""A declared vocabulary (skills, regions): ``(id, labels)`` in the order site.yml lists them."""

K = TypeVar("K")
V = TypeVar("V")


def frozen_map(items: Mapping[K, V]) -> Mapping[K, V]:
    """A read-only view that the caller can no longer reach to mutate."""
    return MappingProxyType(dict(items))


_LAYOUTS: dict[tuple[str, ...], tuple[str, ...]] = {}
"""One tuple of keys per layout met in this process (a few hundred in a whole network)."""
MAX_LAYOUTS: Final = 10_000
"""Beyond this many layouts (hostile files, or a long ``serve``), new ones are no longer shared."""


def _layout(keys: tuple[str, ...]) -> tuple[str, ...]:
    """The shared tuple of these keys."""
    found = _LAYOUTS.get(keys)
    if found is not None:
        return found
    if len(_LAYOUTS) < MAX_LAYOUTS:
        _LAYOUTS[keys] = keys
    return keys


class Positions(Mapping[str, tuple[int, int]]):
    """The (line, column) of each key's value in a record file, kept compact.

    Every record keeps its positions for as long as the build runs, and a network of
    10,000 members has 150,000 records: as a dict of tuples they were two thirds of the
    model's memory, copied again into every worker process. Here the keys are one tuple
    shared by all the records that list the same keys in the same order, and the
    positions one flat tuple of small integers. They are read only to point a message
    at a line, so a linear search among a record's few keys is fast enough.
    """

    __slots__ = ("_keys", "_values")
    _keys: tuple[str, ...]
    _values: tuple[int, ...]

    def __init__(self, positions: Mapping[str, tuple[int, int]] | None = None) -> None:
        if type(positions) is Positions:  # already packed (a record read back from a worker): share its tuples
            self._keys, self._values = positions._keys, positions._values
            return
        items = positions or {}
        self._keys = _layout(tuple(items))
        self._values = tuple(number for pair in items.values() for number in pair)

    @classmethod
    def packed(cls, keys: tuple[str, ...], values: tuple[int, ...]) -> Positions:
        """Positions from :meth:`packing`'s two tuples (as the record cache and the parse workers send them)."""
        made = cls.__new__(cls)
        made._keys = _layout(keys)
        made._values = values
        return made

    def packing(self) -> tuple[tuple[str, ...], tuple[int, ...]]:
        """The keys and the flat positions: two tuples, pickled in C."""
        return self._keys, self._values

    def __getitem__(self, key: str) -> tuple[int, int]:
        try:
            at = 2 * self._keys.index(key)
        except ValueError:
            raise KeyError(key) from None
        return self._values[at], self._values[at + 1]

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def __reduce__(self) -> tuple[object, ...]:
        return (Positions.packed, self.packing())

    def __repr__(self) -> str:
        return f"Positions({dict(self.items())!r})"


EMPTY: Mapping[str, tuple[int, int]] = Positions()


@dataclass(frozen=True, slots=True)
class Source:
    """Where a record came from: its file, and the position of each key's value."""

    path: str
    positions: Mapping[str, tuple[int, int]] = field(default_factory=lambda: EMPTY, compare=False, repr=False)
    """(line, column) of each key's value, as :class:`Positions` whatever mapping is given."""

    def __post_init__(self) -> None:
        if type(self.positions) is not Positions:
            object.__setattr__(self, "positions", Positions(self.positions))

    def at(self, key: str) -> Position:
        """Position of a key's value (``"skills[2]"`` for a list item), or the file's start."""
        found = self.positions.get(key)
        if found is None:
            return Position(1, 1)
        return found if type(found) is Position else Position(*found)


@dataclass(frozen=True, slots=True)
class SigningKey:
    """A public key allowed to sign a member's records, until its retirement date."""

    line: str
    retired: dt.date | None = None


@dataclass(frozen=True, slots=True)
class Member:
    """One member of the network (``content/members/<id>.yml``)."""

    id: str
    source: Source
    name: str
    kind: str
    headline: str
    region: str
    skills: tuple[str, ...]
    joined: dt.date
    location: str | None = None
    languages: tuple[str, ...] = ()
    sponsors: tuple[str, ...] = ()
    links: tuple[tuple[str, str], ...] = ()
    keys: tuple[SigningKey, ...] = ()
    status: str = "active"
    bio: str | None = None
    signature: str | None = None


@dataclass(frozen=True, slots=True)
class Attestation:
    """One party's statement about the other party of an engagement."""

    engagement: str
    attester: str
    role: Role
    source: Source
    date: dt.date
    relationship: int
    recommend: bool
    delivery: str | None = None
    delivered: dt.date | None = None
    quality: int | None = None
    payment: str | None = None
    paid: dt.date | None = None
    comment: str | None = None
    reply: str | None = None
    disputes: tuple[str, ...] = ()
    signature: str | None = None


@dataclass(frozen=True, slots=True)
class Engagement:
    """The facts of one engagement, with whichever attestations exist."""

    id: str
    source: Source
    title: str
    client: str
    supplier: str
    skills: tuple[str, ...]
    started: dt.date
    deadline: dt.date | None = None
    invoice_due: dt.date | None = None
    summary: str | None = None
    by_client: Attestation | None = None
    by_supplier: Attestation | None = None

    @property
    def parties(self) -> tuple[str, str]:
        """Client first, then supplier."""
        return (self.client, self.supplier)

    @property
    def attestations(self) -> tuple[Attestation, ...]:
        """The attestations present, client's first."""
        return tuple(a for a in (self.by_client, self.by_supplier) if a is not None)

    def counterpart(self, member: str) -> str:
        """The other party, seen from ``member``."""
        return self.supplier if member == self.client else self.client


@dataclass(frozen=True, slots=True)
class Resolution:
    """A coordinator's ruling on the contested sides of one engagement."""

    engagement: str
    source: Source
    by: str
    date: dt.date
    upheld: tuple[str, ...]
    withdrawn: tuple[str, ...]
    note: str
    signature: str | None = None


@dataclass(frozen=True, slots=True)
class Withdrawal:
    """A coordinator's record that a member asked to be forgotten (``content/withdrawals/<id>.yml``).

    Nothing of it is published: not the coordinator, not the date, never the reason.
    """

    member: str
    source: Source
    by: str
    date: dt.date
    reason: str | None = None
    signature: str | None = None


@dataclass(frozen=True, slots=True)
class ScoringConfig:
    """Every number the score uses; defaults live in the site.yml schema."""

    half_life_days: int
    confirm_window_days: int
    unconfirmed_weight: float
    reply_window_days: int
    trust_restart: float
    confidence_z: float
    min_evidence: float
    min_counterparts: int
    reliable_threshold: float
    highly_reliable_threshold: float
    caution_threshold: float
    severe_weight: float
    late_payment_scale_days: int
    relation_min_engagements: int
    relation_min_span_days: int
    trust_typical_mass: float
    repeat_exponent: float


@dataclass(frozen=True, slots=True)
class SiteConfig:
    """``site.yml``: what the site is called, where it lives and how it scores."""

    source: Source
    title: str
    base_url: str
    languages: tuple[str, ...]
    theme: str
    output: str
    coordinators: tuple[str, ...]
    signatures: str
    scoring: ScoringConfig
    description: str | None = None
    skills: Terms | None = None
    """The declared skills; ``None`` when site.yml declares none (every skill slug is accepted)."""
    regions: Terms | None = None
    """The declared regions; ``None`` when site.yml declares none."""


@dataclass(frozen=True, slots=True)
class Site:
    """The whole validated network, with the indexes later stages need."""

    config: SiteConfig
    today: dt.date
    members: Mapping[str, Member]
    engagements: Mapping[str, Engagement]
    resolutions: Mapping[str, Resolution]
    engagements_by_member: Mapping[str, tuple[str, ...]]
    """Engagement ids of each member, oldest first (every member has an entry)."""
    engagements_by_pair: Mapping[tuple[str, str], tuple[str, ...]]
    """Engagement ids between two members, keyed by the sorted pair, oldest first."""
    withdrawals: Mapping[str, Withdrawal] = field(default_factory=lambda: frozen_map({}))
    """Coordinators' withdrawal records, by member id; each such member is also in
    :attr:`members` with ``status == "withdrawn"`` (a placeholder when their file was erased)."""
    verified: Mapping[str, str] = field(default_factory=lambda: frozen_map({}))
    """The fingerprint (``SHA256:...``) of the key that signed each record whose signature
    verified, by the record's path; records without a good signature are absent."""

    def engagements_of(self, member: str) -> tuple[Engagement, ...]:
        """A member's engagements, oldest first."""
        return tuple(self.engagements[e] for e in self.engagements_by_member.get(member, ()))

    def between(self, a: str, b: str) -> tuple[Engagement, ...]:
        """Engagements between two members, oldest first."""
        key = (a, b) if a <= b else (b, a)
        return tuple(self.engagements[e] for e in self.engagements_by_pair.get(key, ()))
