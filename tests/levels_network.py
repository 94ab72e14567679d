"""A small network written as real record files, with one member in each level state.

The golden pages of the level states and the hand-counted facts tests read it. Every
engagement is confirmed by both parties and dated from the tests' build date, so the
levels below hold whatever the clock says:

* ``ada-lovelace``: supplier to 12 different clients, always on time: deadlines
  *highly reliable*; never a client, so payment does not apply;
* ``ben-okri``: supplier to 4 different clients, on time: *reliable*;
* ``cora-diaz``: supplier to 10 different clients, 6 on time and 4 late: *mixed*;
* ``dan-brown``: client of 6 suppliers, paid 1 invoice on time and 5 late by 10, 20,
  30, 45 and 60 days: payment *caution*; never a supplier, so deadlines do not apply;
* ``eve-curie``: supplier to one client only: *new*, one more counterpart needed;
* ``olga-ward``: a coordinator (the most trust there is) with no engagement yet.

Every client and supplier above has also worked with the coordinator, so that trust
reaches them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from .conftest import TODAY

BUILD_DATE = dt.date.fromisoformat(TODAY)
COORDINATOR = "nora-hale"
DAN_DELAYS = (10, 20, 30, 45, 60)
"""Days after the due date of dan-brown's five late payments."""

SITE_YML = f"""\
title: Levels network
base_url: https://levels.example/
languages: [fr, en]
coordinators: [{COORDINATOR}, olga-ward]
"""


def _member(member_id: str, name: str, skills: str = "design") -> str:
    return (
        f"name: {name}\nkind: person\nheadline: Independent professional\nregion: ile-de-france\n"
        f"skills: [{skills}]\njoined: 2023-01-10\n"
    )


def _day(days_ago: int) -> str:
    return (BUILD_DATE - dt.timedelta(days=days_ago)).isoformat()


class Writer:
    """Writes members and confirmed engagements under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.count = 0
        self.members: set[str] = set()
        (root / "content" / "members").mkdir(parents=True)
        (root / "site.yml").write_text(SITE_YML, encoding="utf-8")

    def member(self, member_id: str) -> str:
        if member_id not in self.members:
            self.members.add(member_id)
            name = " ".join(part.capitalize() for part in member_id.split("-"))
            path = self.root / "content" / "members" / f"{member_id}.yml"
            path.write_text(_member(member_id, name), encoding="utf-8")
        return member_id

    def engagement(
        self,
        client: str,
        supplier: str,
        *,
        ago: int,
        delivery: str = "on_time",
        payment: str = "on_time",
        days_late: int | None = None,
        rating: int = 5,
    ) -> str:
        """A confirmed engagement started ``ago`` days ago; both attest 40 days after it started."""
        self.member(client)
        self.member(supplier)
        self.count += 1
        eid = f"job-{self.count:03d}"
        started = BUILD_DATE - dt.timedelta(days=ago)
        due = started + dt.timedelta(days=20)
        attested = started + dt.timedelta(days=40) + dt.timedelta(days=days_late or 0)
        folder = self.root / "content" / "engagements" / str(started.year) / eid
        folder.mkdir(parents=True)
        (folder / "engagement.yml").write_text(
            f"title: Job {self.count}\nclient: {client}\nsupplier: {supplier}\nskills: [design]\n"
            f"started: {started.isoformat()}\ndeadline: {(started + dt.timedelta(days=10)).isoformat()}\n"
            f"invoice_due: {due.isoformat()}\n",
            encoding="utf-8",
        )
        (folder / f"{client}.yml").write_text(
            f"date: {attested.isoformat()}\ndelivery: {delivery}\nquality: 5\nrelationship: {rating}\n"
            "recommend: true\n",
            encoding="utf-8",
        )
        paid = f"paid: {(due + dt.timedelta(days=days_late)).isoformat()}\n" if days_late is not None else ""
        (folder / f"{supplier}.yml").write_text(
            f"date: {attested.isoformat()}\npayment: {payment}\n{paid}relationship: 5\n"
            f"recommend: {'false' if payment != 'on_time' else 'true'}\n",
            encoding="utf-8",
        )
        return eid


def write_levels_network(root: Path) -> Path:
    """Write the network into ``root`` (which must not exist) and return it."""
    w = Writer(root)
    w.member(COORDINATOR)
    w.member("olga-ward")  # a coordinator with no engagement yet: the most trusted, with no record
    clients = [w.member(f"client-{i:02d}") for i in range(12)]
    suppliers = [w.member(f"maker-{i:02d}") for i in range(6)]
    for i, someone in enumerate([*clients, *suppliers]):
        w.engagement(COORDINATOR, someone, ago=60 + 5 * i)  # the coordinator's word reaches everyone
        w.engagement(someone, COORDINATOR, ago=90 + 5 * i)
    for i, client in enumerate(clients):
        w.engagement(client, "ada-lovelace", ago=50 + 20 * i)
    for i, client in enumerate(clients[:4]):
        w.engagement(client, "ben-okri", ago=60 + 30 * i)
    for i, client in enumerate(clients[:10]):
        w.engagement(client, "cora-diaz", ago=55 + 25 * i, delivery="late" if i % 5 in (1, 3) else "on_time")
    for i, supplier in enumerate(suppliers):
        late = i > 0
        w.engagement(
            "dan-brown",
            supplier,
            ago=70 + 30 * i,
            payment="late" if late else "on_time",
            days_late=DAN_DELAYS[i - 1] if late else None,
        )
    w.engagement(clients[0], "eve-curie", ago=80)
    return root
