#!/usr/bin/env python3
"""Write a valid, random Triangle network of any size, for benchmarks and tests.

Hand-written fixtures stop at a few dozen records; the performance targets speak of
ten thousand members. This script writes such a network in the record format of
``DESIGN.md``, with the shape a real network would have (a few hubs, mostly good
outcomes, some late invoices, a handful of disputes), so that timings measure the
work a real network causes.

Three properties matter more than realism:

* **Valid and warning-free.** Every reference resolves, every date is a real date in
  the right order, no statement contradicts the engagement's dates. A benchmark that
  spends its time printing diagnostics measures the wrong thing, and a test can assert
  "no problems" on any size.
* **Deterministic.** The same size and seed give byte-identical files: every random
  draw comes from one ``random.Random(seed)`` in a fixed order, and nothing depends on
  the clock, the file system's listing order or hash randomisation.
* **Fast.** YAML is written by hand from a few safe shapes (slugs, dates, numbers,
  double-quoted strings, literal blocks), not through a YAML library: 10,000 members
  (about 150,000 files) cost about 8 s of CPU; the rest is the file system creating
  files, so the generator never dominates a benchmark.

Usage: ``python bench/make_network.py --members 10000 --seed 1 /tmp/net``.
Tests can import :func:`make_network` instead.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import itertools
import os
import random
import re
import sys
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

TODAY: Final = dt.date(2026, 11, 20)
"""The generated network's "today": no date in any record is later than this."""

NETWORK_START: Final = dt.date(2023, 11, 20)
"""The founders' join date: the network's history spans the three years before TODAY."""

LAST_JOIN: Final = TODAY - dt.timedelta(days=30)
"""Nobody joins in the last month, so even the newest member can have finished work."""

GENERATOR_VERSION: Final = 1
"""Bump when the output for a given size and seed changes (cached networks are keyed by it)."""

ENGAGEMENTS_PER_MEMBER: Final = 5
"""Each engagement has two parties, so members are parties to about ten engagements."""

COORDINATOR_COUNT: Final = 3
PARETO_ALPHA: Final = 2.0
"""Activity weights follow a Pareto law with this shape: the degree distribution then
has a power-law tail of exponent ``alpha + 1 = 3``, the one preferential attachment
gives. A smaller alpha makes bigger hubs."""

SLUG_RE: Final = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
CONTROL_RE: Final = re.compile("[\x00-\x1f\x7f-\x9f]")
ONE_DAY: Final = dt.timedelta(days=1)

# Share of engagements by attestation status (the rest are confirmed: both attested).
P_NO_ATTESTATION: Final = 0.03
P_ONE_ATTESTATION: Final = 0.15
P_DISPUTED: Final = 0.04
P_RESOLVED: Final = 0.02
P_GOOD_OUTCOME: Final = 0.90

SIDE_ORDER: Final = ("delivery", "quality", "payment", "relationship")
"""Canonical order of the triangle's sides in ``disputes``, ``upheld`` and ``withdrawn``."""


@dataclass(frozen=True, slots=True)
class NetworkStats:
    """What :func:`make_network` wrote; ``files`` includes ``site.yml``."""

    members: int
    engagements: int
    attestations: int
    resolutions: int
    files: int


class OutputNotEmptyError(Exception):
    """Raised rather than mixing a new network with whatever is already in the folder."""


# --------------------------------------------------------------------------- vocabulary


@dataclass(frozen=True, slots=True)
class Profession:
    """A trade: how a person or a firm of that trade describes itself, and its skills."""

    person: str
    domain: str
    skills: tuple[str, ...]


PROFESSIONS: Final = (
    Profession(
        "Motion designer",
        "motion design and animation",
        ("motion-design", "illustration", "after-effects", "video-editing", "3d-modeling", "sound-design"),
    ),
    Profession(
        "Graphic designer",
        "visual identity and print",
        ("graphic-design", "branding", "print-design", "illustration", "ui-design", "typography"),
    ),
    Profession(
        "Web developer",
        "web development",
        ("web-development", "javascript", "typescript", "react", "php", "wordpress", "drupal", "accessibility"),
    ),
    Profession(
        "Mobile developer",
        "mobile applications",
        ("mobile-development", "typescript", "react", "ui-design", "ux-design", "accessibility"),
    ),
    Profession(
        "UX designer",
        "user experience and research",
        ("ux-design", "ui-design", "accessibility", "user-research", "prototyping", "typography"),
    ),
    Profession(
        "Data scientist",
        "data analysis and machine learning",
        ("data-analysis", "machine-learning", "python", "database-administration", "data-visualisation"),
    ),
    Profession(
        "DevOps engineer",
        "cloud infrastructure and security",
        ("devops", "cloud-architecture", "cybersecurity", "database-administration", "python"),
    ),
    Profession(
        "Copywriter",
        "editorial content",
        ("copywriting", "technical-writing", "translation", "seo", "social-media"),
    ),
    Profession(
        "Translator",
        "translation and localisation",
        ("translation", "copywriting", "technical-writing", "subtitling"),
    ),
    Profession(
        "Photographer",
        "photography and video",
        ("photography", "video-editing", "print-design", "event-planning"),
    ),
    Profession(
        "Marketing consultant",
        "digital marketing",
        ("seo", "social-media", "community-management", "copywriting", "branding"),
    ),
    Profession(
        "Project manager",
        "project management and training",
        ("project-management", "consulting", "training", "event-planning"),
    ),
    Profession(
        "Accountant",
        "accounting and payroll",
        ("accounting", "payroll", "consulting", "training"),
    ),
    Profession(
        "Business lawyer",
        "business law and data protection",
        ("legal-advice", "data-protection", "consulting", "training"),
    ),
)

SKILLS: Final = tuple(sorted({skill for p in PROFESSIONS for skill in p.skills}))
"""The skill vocabulary (about 40 slugs): every declared skill comes from here."""

REGIONS: Final[dict[str, tuple[str, ...]]] = {
    "auvergne-rhone-alpes": ("Lyon", "Grenoble", "Saint-Étienne", "Clermont-Ferrand", "Annecy"),
    "bourgogne-franche-comte": ("Dijon", "Besançon", "Mâcon"),
    "bretagne": ("Rennes", "Brest", "Quimper", "Saint-Malo"),
    "centre-val-de-loire": ("Tours", "Orléans", "Bourges"),
    "grand-est": ("Strasbourg", "Metz", "Nancy", "Reims"),
    "hauts-de-france": ("Lille", "Amiens", "Roubaix"),
    "ile-de-france": ("Paris", "Montreuil", "Saint-Denis", "Boulogne-Billancourt", "Versailles"),
    "normandie": ("Rouen", "Caen", "Le Havre"),
    "nouvelle-aquitaine": ("Bordeaux", "Limoges", "Poitiers", "La Rochelle"),
    "occitanie": ("Toulouse", "Montpellier", "Nîmes", "Perpignan"),
    "pays-de-la-loire": ("Nantes", "Angers", "Le Mans"),
    "provence-alpes-cote-d-azur": ("Marseille", "Nice", "Aix-en-Provence", "Avignon"),
}
REGION_NAMES: Final = tuple(sorted(REGIONS))

FIRST_NAMES: Final = (
    "Camille", "Inès", "Léa", "Chloé", "Manon", "Zoé", "Hélène", "Noémie", "Sarah", "Aïcha",
    "Juliette", "Margaux", "Élise", "Anaïs", "Louise", "Fatou", "Lina", "Maëlle", "Clémence", "Yasmine",
    "Thomas", "Théo", "Hugo", "Lucas", "Maël", "Jérôme", "François", "Karim", "Antoine", "Nicolas",
    "Baptiste", "Mathis", "Loïc", "Rémi", "Youssef", "Julien", "Sébastien", "Cédric", "Damien", "Gaël",
)  # fmt: skip
LAST_NAMES: Final = (
    "Moreau", "Durand", "Lefèvre", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau",
    "Vincent", "Muller", "Leroy", "Faure", "André", "Mercier", "Blanc", "Guérin", "Boyer", "Garnier",
    "Chevalier", "N'Diaye", "Da Silva", "Le Goff", "Nguyen", "Benali", "Kowalski", "Perrin", "Morel",
    "Roche", "Lemaire", "Caron", "Picard", "Barbier", "Renaud", "Aubert", "Meunier", "Brun", "Colin",
)  # fmt: skip
FIRM_KINDS: Final = (
    "Atelier", "Studio", "Collectif", "Agence", "Coopérative", "Cabinet", "Maison", "Fabrique",
)  # fmt: skip
FIRM_NAMES: Final = (
    "Lumen", "Boréal", "Rhizome", "Ondine", "Cobalt", "Mistral", "Sillon", "Ardoise", "Brume",
    "Garance", "Hêtre", "Phare", "Cèdre", "Nacre", "Lichen", "Argile", "Vermeil", "Tilleul",
    "Azimut", "Orage", "Passerelle", "Grand Large", "Nord-Est", "Trois Rivières",
)  # fmt: skip
AUDIENCES: Final = (
    "cultural institutions", "small businesses", "non-profits", "local authorities",
    "start-ups", "museums and publishers", "industrial SMEs", "independent shops",
    "the health sector", "agencies", "schools and universities", "architects",
)  # fmt: skip
TITLE_PATTERNS: Final = (
    "{Skill} for the spring campaign",
    "{Skill} audit",
    "{Skill} workshop for the team",
    "{Skill}: phase {n}",
    "{Skill} support for the annual report",
    '{Skill} for the "{Project}" project',
    "New {skill} deliverables",
    "{Skill} & follow-up, {season} {year}",
)
PROJECTS: Final = ("Horizon", "Équinoxe", "Cap Nord", "Jardins", "Atlas", "Métropole", "Open Data", "Archipel")
SEASONS: Final = ("winter", "spring", "summer", "autumn")  # indexed by (month % 12) // 3

CLIENT_PRAISE: Final = (
    "Clear planning, delivered on time, and the files were impeccable.",
    "Great work, **exactly** what we asked for.",
    "Responsive and precise; we will work together again.",
    "Excellent quality: the team loved the result.",
)
CLIENT_COMPLAINTS: Final = (
    "The work arrived late and needed two rounds of fixes.",
    "Communication was difficult; deadlines slipped without notice.",
    "The result did not match the brief we agreed on.",
)
SUPPLIER_PRAISE: Final = (
    "Clear brief, quick feedback, invoice paid on time.",
    "A pleasure to work with: *respectful* and well organised.",
    "Fair client, precise brief, paid without a reminder.",
)
SUPPLIER_COMPLAINTS: Final = (
    "Paid weeks after the due date, after several reminders.",
    "The scope kept changing and the brief was unclear.",
    'Feedback came late and the "final" version changed three times.',
)
REBUTTALS: Final = (
    "We contest this account: the timeline changed at the client's request.",
    "This is not what happened; the emails we exchanged tell a different story.",
    "The delay was agreed in writing; we contest this statement.",
)


# ----------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class Member:
    """One generated member record."""

    id: str
    name: str
    kind: str
    headline: str
    region: str
    location: str | None
    skills: tuple[str, ...]
    languages: tuple[str, ...]
    joined: dt.date
    sponsors: tuple[str, ...]
    website: bool
    left: bool
    bio: str | None


@dataclass(frozen=True, slots=True)
class ClientAttestation:
    """The client's statement about the supplier."""

    date: dt.date
    delivery: str
    delivered: dt.date | None
    quality: int
    relationship: int
    recommend: bool
    comment: str | None
    disputes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SupplierAttestation:
    """The supplier's statement about the client."""

    date: dt.date
    payment: str
    paid: dt.date | None
    relationship: int
    recommend: bool
    comment: str | None
    disputes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Resolution:
    """A coordinator's decision on the contested sides of one engagement."""

    by: str
    date: dt.date
    upheld: tuple[str, ...]
    withdrawn: tuple[str, ...]
    note: str


@dataclass(frozen=True, slots=True)
class Engagement:
    """One engagement with its attestations and resolution, before it gets its id."""

    title: str
    client: str
    supplier: str
    skills: tuple[str, ...]
    started: dt.date
    deadline: dt.date
    invoice_due: dt.date
    summary: str | None
    by_client: ClientAttestation | None
    by_supplier: SupplierAttestation | None
    resolution: Resolution | None


# ------------------------------------------------------------------------------ helpers


def slugify(text: str) -> str:
    """Turn a display name into id material: accents dropped, words joined by hyphens."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return "-".join(re.findall(r"[a-z0-9]+", ascii_text))


def _between(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    """A uniformly drawn date in ``[first, last]`` (``first`` when the range is empty)."""
    span = (last - first).days
    return first if span <= 0 else first + dt.timedelta(days=rng.randint(0, span))


def _capped(day: dt.date, days: int) -> dt.date:
    """``day + days``, but never after TODAY: no record may speak of the future."""
    return min(day + dt.timedelta(days=days), TODAY)


def _q(text: str) -> str:
    """A YAML double-quoted scalar; names and titles may hold ``: ``, ``#``, ``&`` or quotes."""
    if CONTROL_RE.search(text):
        raise ValueError(f"control character in generated text {text!r}")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _block(text: str) -> str:
    """A YAML literal block (``|``), the form members use for Markdown fields."""
    lines = text.split("\n")
    if any(line != line.strip() for line in lines) or not lines[0]:
        raise ValueError(f"generated Markdown must not start or end lines with spaces: {text!r}")
    return "|\n" + "".join(f"  {line}\n" if line else "\n" for line in lines)


def _flow(items: Sequence[str]) -> str:
    """A flow sequence of slugs, which are always safe as plain scalars."""
    return "[" + ", ".join(items) + "]"


def _sides(sides: set[str] | Sequence[str]) -> tuple[str, ...]:
    return tuple(side for side in SIDE_ORDER if side in sides)


# ------------------------------------------------------------------------------ members


def _member_ids_width(members: int) -> int:
    return max(6, len(str(max(members - 1, 0))))


def _make_members(rng: random.Random, count: int) -> list[Member]:
    """Members in order of joining: ``m000000`` is the oldest, so ids sort chronologically."""
    span = (LAST_JOIN - NETWORK_START).days
    # u ** 1.5: a founding cohort joins early, then growth slows down. Engagements
    # follow the number of members, so about 15/35/50 % start in each of the last 3 years.
    offsets = sorted(int(span * rng.random() ** 1.5) for _ in range(count))
    for i in range(min(COORDINATOR_COUNT, count)):
        offsets[i] = 0  # the founders, who become the coordinators
    joined = [NETWORK_START + dt.timedelta(days=d) for d in offsets]
    width = _member_ids_width(count)
    result: list[Member] = []
    for i in range(count):
        profession = rng.choice(PROFESSIONS)
        organisation = rng.random() < 0.2
        if organisation:
            if rng.random() < 0.2:
                name = f"{rng.choice(LAST_NAMES)} & Associés"
            else:
                name = f"{rng.choice(FIRM_KINDS)} {rng.choice(FIRM_NAMES)}"
            headline = f"{rng.choice(FIRM_KINDS)} specialised in {profession.domain}"
        else:
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            headline = f"{profession.person} for {rng.choice(AUDIENCES)}"
        member_id = f"m{i:0{width}d}-{slugify(name)}"[:64].rstrip("-")
        region = rng.choice(REGION_NAMES)
        location = rng.choice(REGIONS[region]) if rng.random() < 0.7 else None
        # Mostly the trade's own skills, sometimes one from elsewhere in the vocabulary.
        own = rng.sample(profession.skills, rng.randint(1, min(6, len(profession.skills))))
        if rng.random() < 0.3:
            own.append(rng.choice(SKILLS))
        skills = tuple(dict.fromkeys(own))[:8]
        languages = ("fr", "en") if rng.random() < 0.45 else ("fr",)
        # Sponsors must have joined strictly earlier; joined is sorted, so they are a prefix.
        earlier = bisect.bisect_left(joined, joined[i])
        sponsors: tuple[str, ...] = ()
        if earlier and rng.random() < 0.7:
            chosen = rng.sample(range(earlier), min(earlier, 1 if rng.random() < 0.7 else 2))
            sponsors = tuple(result[j].id for j in sorted(chosen))
        website = rng.random() < 0.5
        left = i >= COORDINATOR_COUNT and rng.random() < 0.03
        bio = None
        if rng.random() < 0.4:
            since = rng.randint(1998, 2022)
            topics = " and ".join(skill.replace("-", " ") for skill in skills[:2])
            facts = [f"- {'French and English' if len(languages) == 2 else 'French'} spoken"]
            if location:
                facts.insert(0, f"- based in {location}")
            bio = (
                f"{'Founded in' if organisation else 'Independent since'} {since}. "
                f"{'We work' if organisation else 'I work'} with **{rng.choice(AUDIENCES)}** on {topics}.\n"
                "\n" + "\n".join(facts)
            )
        result.append(
            Member(
                id=member_id,
                name=name,
                kind="organisation" if organisation else "person",
                headline=headline,
                region=region,
                location=location,
                skills=skills,
                languages=languages,
                joined=joined[i],
                sponsors=sponsors,
                website=website,
                left=left,
                bio=bio,
            )
        )
    return result


# -------------------------------------------------------------------------- engagements


def _plan(rng: random.Random, members: Sequence[Member], count: int) -> list[tuple[dt.date, int, int]]:
    """Draw the start date, client index and supplier index of ``count`` engagements.

    Work grows with the network: a start date is drawn after the join date of a
    uniformly chosen member, so the engagement rate follows the number of members.
    The parties are then drawn among those who had joined by that date (so nobody
    works before joining), each with a fixed Pareto-distributed activity weight: a few
    hubs, many occasional members. Old members with a high weight become the hubs, as
    preferential attachment would make them.
    """
    weights = [rng.paretovariate(PARETO_ALPHA) for _ in members]
    cumulative = list(itertools.accumulate(weights))
    joined = [m.joined for m in members]
    latest = TODAY - dt.timedelta(days=90)
    plan: list[tuple[dt.date, int, int]] = []
    for _ in range(count):
        started = _between(rng, rng.choice(joined), latest)
        eligible = bisect.bisect_right(joined, started)  # the founders at least: 2 or more
        total = cumulative[eligible - 1]
        client = bisect.bisect_right(cumulative, rng.random() * total, 0, eligible)
        supplier = client
        while supplier == client:
            supplier = bisect.bisect_right(cumulative, rng.random() * total, 0, eligible)
        plan.append((started, client, supplier))
    return plan


def _title(rng: random.Random, skill: str, started: dt.date) -> str:
    label = skill.replace("-", " ")
    return rng.choice(TITLE_PATTERNS).format(
        Skill=label[0].upper() + label[1:],
        skill=label,
        n=rng.randint(2, 4),
        Project=rng.choice(PROJECTS),
        season=SEASONS[(started.month % 12) // 3],
        year=started.year,
    )


def _client_attestation(
    rng: random.Random,
    started: dt.date,
    deadline: dt.date,
    contested: tuple[str, ...],
    not_before: dt.date,
    disputes: tuple[str, ...],
) -> ClientAttestation:
    """The client's statement; sides in ``contested`` are made negative (they are disputed)."""
    good = not contested and rng.random() < P_GOOD_OUTCOME
    can_be_late = deadline < TODAY  # lateness needs a day after the deadline to exist
    delivery = "on_time"
    if can_be_late and ("delivery" in contested or (not contested and not good and rng.random() < 0.6)):
        delivery = "not_delivered" if rng.random() < 0.1 else "late"
    elif can_be_late and good and rng.random() < 0.02:
        delivery = "late"  # a little late, no harm done
    delivered: dt.date | None = None
    if delivery == "on_time":
        if rng.random() < 0.8:
            delivered = _between(rng, max(started, deadline - dt.timedelta(days=14)), deadline)
        base = delivered or deadline
    elif delivery == "late":
        if rng.random() < 0.8:
            delivered = _between(rng, deadline + ONE_DAY, _capped(deadline, 45))
        base = delivered or deadline + ONE_DAY
    else:
        base = deadline + ONE_DAY
    if "quality" in contested:
        quality = rng.randint(1, 2)
    elif good:
        quality = rng.choices((5, 4, 3), (55, 35, 10))[0]
    else:
        quality = rng.randint(1, 4)
    if "relationship" in contested:
        relationship = rng.randint(1, 2)
    elif good:
        relationship = rng.choices((5, 4, 3), (60, 32, 8))[0]
    else:
        relationship = rng.randint(1, 4)
    recommend = good and quality >= 3 and relationship >= 3
    date = _between(rng, max(base, not_before), _capped(max(base, not_before), 45))
    comment = None
    if disputes:
        comment = rng.choice(REBUTTALS)
    elif rng.random() < 0.5:
        comment = rng.choice(CLIENT_PRAISE if recommend else CLIENT_COMPLAINTS)
    return ClientAttestation(date, delivery, delivered, quality, relationship, recommend, comment, disputes)


def _supplier_attestation(
    rng: random.Random,
    deadline: dt.date,
    invoice_due: dt.date,
    contested: tuple[str, ...],
    not_before: dt.date,
    disputes: tuple[str, ...],
) -> SupplierAttestation:
    """The supplier's statement; sides in ``contested`` are made negative (they are disputed)."""
    good = not contested and rng.random() < P_GOOD_OUTCOME
    can_be_late = invoice_due < TODAY
    payment = "on_time"
    if can_be_late and ("payment" in contested or (not contested and not good and rng.random() < 0.7)):
        payment = "unpaid" if rng.random() < 0.1 else "late"
    elif can_be_late and good and rng.random() < 0.03:
        payment = "late"
    paid: dt.date | None = None
    if payment == "on_time":
        if rng.random() < 0.7:
            paid = _between(rng, max(deadline, invoice_due - dt.timedelta(days=20)), invoice_due)
        base = paid or invoice_due
    elif payment == "late":
        paid = _between(rng, invoice_due + ONE_DAY, _capped(invoice_due, 60))
        base = paid
    else:
        base = invoice_due + ONE_DAY
    if "relationship" in contested:
        relationship = rng.randint(1, 2)
    elif good:
        relationship = rng.choices((5, 4, 3), (60, 32, 8))[0]
    else:
        relationship = rng.randint(1, 4)
    recommend = good and relationship >= 3 and payment != "unpaid"
    date = _between(rng, max(base, not_before), _capped(max(base, not_before), 30))
    comment = None
    if disputes:
        comment = rng.choice(REBUTTALS)
    elif rng.random() < 0.4:
        comment = rng.choice(SUPPLIER_PRAISE if recommend else SUPPLIER_COMPLAINTS)
    return SupplierAttestation(date, payment, paid, relationship, recommend, comment, disputes)


def _engagement(
    rng: random.Random, started: dt.date, client: Member, supplier: Member, coordinators: Sequence[str]
) -> Engagement:
    """One engagement started on ``started`` (after both parties joined), with its records."""
    duration = min(180, max(3, int(rng.lognormvariate(3.4, 0.6))))  # median about 30 days
    payment_terms = rng.choice((0, 15, 30, 30, 30, 45, 60))
    room = (TODAY - started).days
    wanted = duration + payment_terms + 45  # and room for late payments and attestations
    if room < wanted:  # a recent engagement: squeeze it into the days left before TODAY
        duration = duration * room // wanted
        payment_terms = payment_terms * room // wanted
    deadline = started + dt.timedelta(days=duration)
    invoice_due = deadline + dt.timedelta(days=payment_terms)

    k = min(len(supplier.skills), rng.choice((1, 1, 2, 2, 3)))
    skills = tuple(sorted(rng.sample(supplier.skills, k)))
    title = _title(rng, skills[0], started)
    summary = None
    if rng.random() < 0.4:
        summary = (
            f"Scope: **{skills[0].replace('-', ' ')}** for {client.name}.\n"
            "\n"
            f"- kick-off on {started.isoformat()}\n"
            f"- delivery planned for {deadline.isoformat()}"
        )

    r = rng.random()
    if r < P_NO_ATTESTATION:
        status = "none"
    elif r < P_NO_ATTESTATION + P_ONE_ATTESTATION:
        status = "client" if rng.random() < 0.6 else "supplier"
    elif r < P_NO_ATTESTATION + P_ONE_ATTESTATION + P_DISPUTED:
        status = "disputed"
    elif r < P_NO_ATTESTATION + P_ONE_ATTESTATION + P_DISPUTED + P_RESOLVED:
        status = "resolved"
    else:
        status = "both"
    mediators = [c for c in coordinators if c not in (client.id, supplier.id)]
    if status == "resolved" and not mediators:
        status = "disputed"

    by_client: ClientAttestation | None = None
    by_supplier: SupplierAttestation | None = None
    resolution: Resolution | None = None
    if status in ("disputed", "resolved"):
        # One party contests sides of the other's attestation, which it wrote first.
        # Only one party disputes, so each contested side names one statement.
        if rng.random() < 0.5:
            options = ["relationship"] + (["payment"] if invoice_due < TODAY else [])
            contested = _sides(rng.sample(options, 2 if len(options) == 2 and rng.random() < 0.2 else 1))
            by_supplier = _supplier_attestation(rng, deadline, invoice_due, contested, started, ())
            by_client = _client_attestation(rng, started, deadline, (), by_supplier.date, contested)
        else:
            options = ["quality", "relationship"] + (["delivery"] if deadline < TODAY else [])
            contested = _sides(rng.sample(options, 2 if rng.random() < 0.2 else 1))
            by_client = _client_attestation(rng, started, deadline, contested, started, ())
            by_supplier = _supplier_attestation(rng, deadline, invoice_due, (), by_client.date, contested)
        if status == "resolved":
            last = max(by_client.date, by_supplier.date)
            upheld = {side for side in contested if rng.random() < 0.5}
            resolution = Resolution(
                by=rng.choice(mediators),
                date=_between(rng, last, _capped(last, 60)),
                upheld=_sides(upheld),
                withdrawn=_sides(set(contested) - upheld),
                note=(
                    "After hearing both parties and reading their exchanges, the coordinator "
                    f"settled the {len(contested)} contested side{'s' if len(contested) > 1 else ''}.\n"
                    "\n"
                    "Both parties agreed to this outcome."
                ),
            )
    else:
        if status in ("both", "client"):
            by_client = _client_attestation(rng, started, deadline, (), started, ())
        if status in ("both", "supplier"):
            by_supplier = _supplier_attestation(rng, deadline, invoice_due, (), started, ())
    return Engagement(
        title=title,
        client=client.id,
        supplier=supplier.id,
        skills=skills,
        started=started,
        deadline=deadline,
        invoice_due=invoice_due,
        summary=summary,
        by_client=by_client,
        by_supplier=by_supplier,
        resolution=resolution,
    )


# ------------------------------------------------------------------------------- render


def render_site(members: int, seed: int, coordinators: Sequence[str]) -> str:
    """``site.yml``: the title names size and seed, so a network says how to rebuild it."""
    return (
        f"title: Synthetic network ({members} members, seed {seed})\n"
        "base_url: https://synthetic.triangle.example/\n"
        "languages: [fr, en]\n"
        f"coordinators: {_flow(coordinators)}\n"
    )


def render_member(m: Member) -> str:
    """One member file."""
    out = [
        f"name: {_q(m.name)}\n",
        f"kind: {m.kind}\n",
        f"headline: {_q(m.headline)}\n",
        f"region: {m.region}\n",
    ]
    if m.location:
        out.append(f"location: {_q(m.location)}\n")
    out.append(f"skills: {_flow(m.skills)}\n")
    out.append(f"languages: {_flow(m.languages)}\n")
    out.append(f"joined: {m.joined.isoformat()}\n")
    if m.sponsors:
        out.append(f"sponsors: {_flow(m.sponsors)}\n")
    if m.website:
        out.append(f"links:\n  website: https://{m.id}.example.org/\n")
    if m.left:
        out.append("status: left\n")
    if m.bio:
        out.append(f"bio: {_block(m.bio)}")
    return "".join(out)


def render_engagement(e: Engagement) -> str:
    """One ``engagement.yml``."""
    out = [
        f"title: {_q(e.title)}\n",
        f"client: {e.client}\n",
        f"supplier: {e.supplier}\n",
        f"skills: {_flow(e.skills)}\n",
        f"started: {e.started.isoformat()}\n",
        f"deadline: {e.deadline.isoformat()}\n",
        f"invoice_due: {e.invoice_due.isoformat()}\n",
    ]
    if e.summary:
        out.append(f"summary: {_block(e.summary)}")
    return "".join(out)


def render_client_attestation(a: ClientAttestation) -> str:
    """The client's attestation file."""
    out = [f"date: {a.date.isoformat()}\n", f"delivery: {a.delivery}\n"]
    if a.delivered:
        out.append(f"delivered: {a.delivered.isoformat()}\n")
    out.append(f"quality: {a.quality}\n")
    out.append(f"relationship: {a.relationship}\n")
    out.append(f"recommend: {'true' if a.recommend else 'false'}\n")
    if a.comment:
        out.append(f"comment: {_block(a.comment)}")
    if a.disputes:
        out.append(f"disputes: {_flow(a.disputes)}\n")
    return "".join(out)


def render_supplier_attestation(a: SupplierAttestation) -> str:
    """The supplier's attestation file."""
    out = [f"date: {a.date.isoformat()}\n", f"payment: {a.payment}\n"]
    if a.paid:
        out.append(f"paid: {a.paid.isoformat()}\n")
    out.append(f"relationship: {a.relationship}\n")
    out.append(f"recommend: {'true' if a.recommend else 'false'}\n")
    if a.comment:
        out.append(f"comment: {_q(a.comment)}\n")  # one-line comments stay inline, as members write them
    if a.disputes:
        out.append(f"disputes: {_flow(a.disputes)}\n")
    return "".join(out)


def render_resolution(r: Resolution) -> str:
    """One resolution file."""
    return (
        f"by: {r.by}\n"
        f"date: {r.date.isoformat()}\n"
        f"upheld: {_flow(r.upheld)}\n"
        f"withdrawn: {_flow(r.withdrawn)}\n"
        f"note: {_block(r.note)}"
    )


# -------------------------------------------------------------------------------- write


def _write(path: str, text: str) -> None:
    # Bytes, not text mode: no platform newline translation (identical bytes everywhere)
    # and no text-wrapper overhead on 150,000 small files.
    with open(path, "wb") as handle:
        handle.write(text.encode())


def _check_empty(out: Path) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise OutputNotEmptyError(
            f"{str(out)!r} is not an empty folder; choose a new or empty folder "
            "(the generator never mixes its files with existing ones)"
        )


def make_network(out: Path, members: int, seed: int) -> NetworkStats:
    """Write a network of ``members`` members drawn from ``seed`` into the empty folder ``out``.

    About ``5 * members`` engagements and ``1.8`` attestations per engagement are
    written. Raises :class:`OutputNotEmptyError` if ``out`` exists and is not an empty
    folder, and :class:`ValueError` for a size below 1 (a network needs a coordinator).
    """
    if members < 1:  # site.yml needs at least one coordinator
        raise ValueError(f"members must be 1 or more (got {members})")
    _check_empty(out)
    rng = random.Random(seed)

    people = _make_members(rng, members)
    coordinators = [m.id for m in people[:COORDINATOR_COUNT]]
    count = ENGAGEMENTS_PER_MEMBER * members if members >= 2 else 0
    plan = _plan(rng, people, count) if count else []
    drafts = [_engagement(rng, started, people[c], people[s], coordinators) for started, c, s in plan]
    # Ids follow the start date, so listing a year folder reads like a history.
    order = sorted(range(len(drafts)), key=lambda k: (drafts[k].started, k))
    width = max(7, len(str(len(drafts))))

    # Rendered and written one file at a time: holding 150,000 texts would double the
    # memory for no gain (a thread pool was tried too: file creation did not overlap).
    content = os.path.join(out, "content")
    for folder in ("members", "engagements", "resolutions"):
        os.makedirs(os.path.join(content, folder))
    _write(os.path.join(out, "site.yml"), render_site(members, seed, coordinators))
    files = 1
    for m in people:
        if not SLUG_RE.match(m.id):  # pragma: no cover - guards the name lists above
            raise AssertionError(f"generated an invalid member id {m.id!r}")
        _write(os.path.join(content, "members", f"{m.id}.yml"), render_member(m))
        files += 1

    attestations = resolutions = 0
    years: set[str] = set()
    for number, k in enumerate(order, start=1):
        e = drafts[k]
        eid = f"e{number:0{width}d}"
        year = os.path.join(content, "engagements", str(e.started.year))
        if year not in years:
            os.mkdir(year)
            years.add(year)
        folder = os.path.join(year, eid)
        os.mkdir(folder)
        _write(os.path.join(folder, "engagement.yml"), render_engagement(e))
        files += 1
        if e.by_client:
            _write(os.path.join(folder, f"{e.client}.yml"), render_client_attestation(e.by_client))
            attestations += 1
        if e.by_supplier:
            _write(os.path.join(folder, f"{e.supplier}.yml"), render_supplier_attestation(e.by_supplier))
            attestations += 1
        if e.resolution:
            _write(os.path.join(content, "resolutions", f"{eid}.yml"), render_resolution(e.resolution))
            resolutions += 1
    files += attestations + resolutions
    return NetworkStats(
        members=members,
        engagements=len(drafts),
        attestations=attestations,
        resolutions=resolutions,
        files=files,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: write one network and print what was written."""
    parser = argparse.ArgumentParser(
        description="Write a valid random Triangle network (site.yml and content/) into an empty folder."
    )
    parser.add_argument("--members", type=int, required=True, help="number of members (1 or more)")
    parser.add_argument("--seed", type=int, default=1, help="random seed; same seed and size give the same bytes")
    parser.add_argument("out", type=Path, help="output folder; must not exist or be empty")
    args = parser.parse_args(argv)
    if args.members < 1:
        parser.error(f"--members must be 1 or more, since site.yml needs a coordinator (got {args.members})")
    start = time.perf_counter()
    try:
        stats = make_network(args.out, args.members, args.seed)
    except OutputNotEmptyError as exc:
        print(f"make_network: error: {exc}", file=sys.stderr)
        return 2
    seconds = time.perf_counter() - start
    print(f"members:      {stats.members:>9,}")
    print(f"engagements:  {stats.engagements:>9,}")
    print(f"attestations: {stats.attestations:>9,}")
    print(f"resolutions:  {stats.resolutions:>9,}")
    print(f"files:        {stats.files:>9,}")
    print(f"wrote {args.out} in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
