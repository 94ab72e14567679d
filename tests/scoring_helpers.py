"""Build small networks in Python for the scoring tests, without writing a file.

Scoring is a pure function of the model, so its tests build the model directly: a
:class:`Network` collects members and engagements with sensible defaults (a positive,
confirmed engagement unless told otherwise), and :meth:`Network.site` assembles them
with :func:`generator.validate.build_site`, exactly as validation would.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from generator.model import Attestation, Engagement, Member, Resolution, Site, SiteConfig, Source
from generator.schema import default_scoring
from generator.validate import build_site

TODAY = dt.date(2026, 11, 27)

GOOD_CLIENT: Mapping[str, Any] = {"delivery": "on_time", "quality": 5, "relationship": 5, "recommend": True}
"""What a satisfied client says about the supplier."""
GOOD_SUPPLIER: Mapping[str, Any] = {"payment": "on_time", "relationship": 5, "recommend": True}
"""What a satisfied supplier says about the client."""


def days_ago(days: int, today: dt.date = TODAY) -> dt.date:
    """The day ``days`` before ``today``."""
    return today - dt.timedelta(days=days)


@dataclass
class Network:
    """A network under construction; :meth:`site` turns it into the validated model."""

    today: dt.date = TODAY
    coordinators: tuple[str, ...] = ("coordinator",)
    scoring: dict[str, Any] = field(default_factory=dict)
    members: dict[str, Member] = field(default_factory=dict)
    engagements: dict[str, Engagement] = field(default_factory=dict)
    resolutions: dict[str, Resolution] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for coordinator in self.coordinators:
            self.member(coordinator)

    def member(self, mid: str, *, skills: tuple[str, ...] = ("design",), status: str = "active") -> str:
        """Add a member (once) and return its id."""
        if mid not in self.members:
            self.members[mid] = Member(
                id=mid,
                source=Source(f"content/members/{mid}.yml"),
                name=mid.replace("-", " ").title(),
                kind="person",
                headline="Independent professional",
                region="ile-de-france",
                skills=skills,
                joined=self.today - dt.timedelta(days=2000),
                status=status,
            )
        return mid

    def engagement(
        self,
        client: str,
        supplier: str,
        *,
        ago: int = 120,
        eid: str | None = None,
        skills: tuple[str, ...] = ("design",),
        by_client: Mapping[str, Any] | None = GOOD_CLIENT,
        by_supplier: Mapping[str, Any] | None = GOOD_SUPPLIER,
        invoice_due: dt.date | None = None,
        deadline: dt.date | None = None,
    ) -> str:
        """Add an engagement started ``ago`` days ago, attested 30 days after it started.

        ``by_client`` and ``by_supplier`` are the attestations' values (``None``: not
        attested); ``date`` may be given among them to override the attestation date.
        """
        self.member(client)
        self.member(supplier)
        eid = eid or f"e{len(self.engagements):05d}"
        started = self.today - dt.timedelta(days=ago)
        attested = min(started + dt.timedelta(days=30), self.today)

        def attestation(attester: str, role: str, values: Mapping[str, Any] | None) -> Attestation | None:
            if values is None:
                return None
            fields = {"date": attested, **values}
            return Attestation(
                engagement=eid, attester=attester, role=role, source=Source(f"{eid}/{attester}.yml"), **fields
            )

        self.engagements[eid] = Engagement(
            id=eid,
            source=Source(f"content/engagements/{started.year}/{eid}/engagement.yml"),
            title="An engagement",
            client=client,
            supplier=supplier,
            skills=skills,
            started=started,
            deadline=deadline,
            invoice_due=invoice_due,
            by_client=attestation(client, "client", by_client),
            by_supplier=attestation(supplier, "supplier", by_supplier),
        )
        return eid

    def resolve(self, eid: str, *, upheld: tuple[str, ...] = (), withdrawn: tuple[str, ...] = ()) -> None:
        """A coordinator's ruling on the contested sides of ``eid``."""
        self.resolutions[eid] = Resolution(
            engagement=eid,
            source=Source(f"content/resolutions/{eid}.yml"),
            by=self.coordinators[0],
            date=self.today,
            upheld=upheld,
            withdrawn=withdrawn,
            note="Ruled.",
        )

    def site(self, *, order: Iterable[str] | None = None) -> Site:
        """The model; ``order`` lists engagement ids in the order to hand them over."""
        config = SiteConfig(
            source=Source("site.yml"),
            title="Test network",
            base_url="https://test.example/",
            languages=("en",),
            theme="default",
            output="_site",
            coordinators=self.coordinators,
            signatures="optional",
            scoring=dataclasses.replace(default_scoring(), **self.scoring),
        )
        ids = list(order) if order is not None else list(self.engagements)
        return build_site(config, self.today, self.members, {e: self.engagements[e] for e in ids}, self.resolutions)


def honest_network(network: Network, size: int, engagements: int, seed: int) -> list[str]:
    """Add ``size`` honest members who work with each other (and the coordinators), all positively.

    Each engagement is confirmed by both parties, over the last two years; about one
    in ten relationship ratings is a 4. Returns the new members' ids.
    """
    rng = random.Random(seed)
    people = [network.member(f"honest-{i:03d}") for i in range(size)]
    everyone = [*network.coordinators, *people]
    for _ in range(engagements):
        client, supplier = rng.sample(everyone, 2)
        rating = 4 if rng.random() < 0.1 else 5
        network.engagement(
            client,
            supplier,
            ago=rng.randint(40, 700),
            by_client={**GOOD_CLIENT, "relationship": rating},
            by_supplier=GOOD_SUPPLIER,
        )
    return people


def add_ring(network: Network, size: int, entry: str, *, complete: bool, repeats: int = 1) -> list[str]:
    """Add a ring of ``size`` new accounts that attest each other perfectly, joined by one engagement.

    ``complete``: every account works with every other (else only with its neighbours
    in a circle), ``repeats`` times in each direction. The one link to the honest
    network is a positive, confirmed engagement of ``entry`` with the ring's first account.
    """
    ring = [network.member(f"ring{size}-{i:03d}") for i in range(size)]
    pairs = (
        [(a, b) for i, a in enumerate(ring) for b in ring[i + 1 :]]
        if complete
        else [(ring[i], ring[(i + 1) % size]) for i in range(size)]
    )
    for a, b in pairs:
        for k in range(repeats):
            network.engagement(a, b, ago=30 + 20 * k)
            network.engagement(b, a, ago=40 + 20 * k)
    network.engagement(entry, ring[0], ago=200)
    return ring
