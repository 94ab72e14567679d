"""What each page shows: plain data prepared from the model and the scores, before any template.

Templates should only lay out and translate; every decision about *what* a visitor
may see is taken here, once, where a test can check it without parsing HTML:

* a ``withdrawn`` member asked to be forgotten: no card, no page, and on other
  members' pages only "former member" (:class:`Party` with no name), without their
  comments, replies or notes;
* a negative attestation still inside its reply window is shown as *awaiting reply*,
  without its statements or comment (:attr:`AttestationView.awaiting`), and so are its
  rows in the evidence tables (:attr:`EvidenceRow.hidden`);
* links are published only when they are ``https://``.

Nothing here depends on the language: the same view renders every language's page,
so a member's page is prepared once however many languages the site has. The one
exception is the lists of skills and regions, which are named and sorted by the labels
of each language (:class:`Listing`; templates name a skill or region with the
language's ``skill`` and ``region`` filters). Lookups that every page needs (names,
cards, per-skill and per-region lists) are built once in :class:`SiteIndex`, so that
no page costs more than its own content.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from statistics import NormalDist
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit

import markdown
import nh3
from markupsafe import Markup

from .charts import BarChart, Graph, LineChart, SplitBarChart, bar_chart, circle_graph, line_chart, split_bar_chart
from .facts import Facts
from .markup import render_markdown
from .model import Attestation, Engagement, Member, Resolution, ScoringConfig, Site
from .score import RECOMMENDATION, SIDES, Evidence, MemberScore, Scores, SideScore, wilson_lower
from .status import BOTH_ATTESTED, COUNTED_STATUSES, AttestationState, State
from .vocabulary import Vocabulary, sort_key

if TYPE_CHECKING:
    from .entry_cache import EntryCache

LEVEL_RANK: Final = {"highly_reliable": 3, "reliable": 2, "mixed": 0, "new": 0, "not_applicable": 0, "caution": 0}
"""How a level weighs when members are ordered "most reliable first" (see :attr:`Card.standing`)."""

NETWORKS: Final = (
    ("linkedin", "LinkedIn", ("linkedin.com",)),
    ("viadeo", "Viadeo", ("viadeo.com",)),
    ("xing", "XING", ("xing.com",)),
    ("facebook", "Facebook", ("facebook.com", "fb.com")),
    ("x", "X (Twitter)", ("x.com", "twitter.com")),
    ("instagram", "Instagram", ("instagram.com",)),
    ("github", "GitHub", ("github.com",)),
    ("youtube", "YouTube", ("youtube.com",)),
    ("vimeo", "Vimeo", ("vimeo.com",)),
    ("behance", "Behance", ("behance.net",)),
    ("dribbble", "Dribbble", ("dribbble.com",)),
)
"""Networks recognised by their host: shown with their own name and icon, whatever the label."""

POPULAR_SKILLS: Final = 10
"""Skills linked from the directory page; the skills page lists them all."""
CARD_SKILLS: Final = 6
"""Skills shown on a directory card; the member page lists them all."""


# ------------------------------------------------------------------------ people


@dataclass(frozen=True, slots=True)
class Party:
    """Someone named on a page: a published member, or a former member who asked to be forgotten."""

    id: str | None
    """``None`` for a withdrawn member: no page to link to."""
    name: str | None
    """``None`` for a withdrawn member: shown as "former member"."""
    left: bool = False

    @property
    def former(self) -> bool:
        """A withdrawn member: never named, never quoted."""
        return self.id is None


FORMER: Final = Party(None, None)


@dataclass(frozen=True, slots=True)
class Card:
    """A member as the directory, skill and region pages list them (kept lean: 10,000 of them).

    It holds no trust: trust moves a little with every statement anywhere, no listing
    shows it, and each card is part of its listing pages' digests.
    """

    id: str
    name: str
    headline: str
    region: str
    location: str | None
    left: bool
    relationship: str
    deadlines: str
    payment: str
    facts: tuple[Facts, Facts, Facts]
    """The facts of the three sides, in the triangle's order."""
    needs: tuple[int, int, int]
    """For a ``new`` side: how many more counterparts it needs (0 when evidence is what lacks)."""
    skills: tuple[str, ...]
    """Every skill, declared or proven, for the filters."""
    proven: tuple[str, ...]
    """Proven skills, most used first."""
    declared_only: tuple[str, ...]

    @property
    def levels(self) -> tuple[tuple[str, str], ...]:
        """``(side, level)`` for the three sides, in the triangle's order."""
        return (("relationship", self.relationship), ("deadlines", self.deadlines), ("payment", self.payment))

    @property
    def shown_skills(self) -> tuple[tuple[str, ...], bool, int]:
        """The skills a card shows: proven ones if any (else declared), whether proven, how many more."""
        skills, proven = (self.proven, True) if self.proven else (self.declared_only, False)
        return skills[:CARD_SKILLS], proven, max(0, len(skills) - CARD_SKILLS)

    @property
    def standing(self) -> tuple[bool, float, int, int, str, str]:
        """Sort key "most reliable first": by levels, then by facts, never by trust.

        No ``caution`` first; then the best average level over the sides that apply
        (an agency that only buys is not held back by its missing deadlines side);
        then fewer ``mixed`` sides; then more statements counted; then the name.
        """
        levels = [level for _, level in self.levels]
        applicable = [LEVEL_RANK[level] for level in levels if level != "not_applicable"]
        return (
            "caution" in levels,
            -sum(applicable) / max(len(applicable), 1),
            levels.count("mixed"),
            -sum(f.statements for f in self.facts),
            sort_key(self.name),
            self.id,
        )


def make_card(member: Member, score: MemberScore) -> Card:
    """The card of one published member."""
    proven = tuple(sorted(score.proven_skills, key=lambda s: (-score.proven_skills[s], s)))
    sides = score.sides
    return Card(
        id=member.id,
        name=member.name,
        headline=member.headline,
        region=member.region,
        location=member.location,
        left=member.status == "left",
        relationship=sides["relationship"].level or "new",
        deadlines=sides["deadlines"].level or "new",
        payment=sides["payment"].level or "new",
        facts=(sides["relationship"].facts, sides["deadlines"].facts, sides["payment"].facts),
        needs=(
            sides["relationship"].needs_counterparts,
            sides["deadlines"].needs_counterparts,
            sides["payment"].needs_counterparts,
        ),
        skills=tuple(sorted(set(member.skills) | set(score.proven_skills))),
        proven=proven,
        declared_only=score.declared_only,
    )


@dataclass(frozen=True, slots=True)
class Group:
    """Members of one skill or region, ready to list."""

    slug: str
    name: str
    """The label in the language of the :class:`Listing` that holds the group."""
    cards: tuple[Card, ...]
    """Ordered by level, then trust."""
    proven: int = 0
    """For a skill: how many of the cards have proven it (they come first)."""


def public_members(site: Site, scores: Scores) -> list[Member]:
    """The members the site publishes: every scored member who has not withdrawn."""
    return [m for m in site.members.values() if m.status != "withdrawn" and m.id in scores.members]


class SiteIndex:
    """Everything pages look up about other members, built once per build.

    Names, cards and the per-skill and per-region lists cost one pass over the
    members; every page then reads them in constant time, so the build stays linear
    in the size of the network.
    """

    def __init__(self, site: Site, scores: Scores, markdown: MarkdownCache | None = None) -> None:
        self.site = site
        self.scores = scores
        public = public_members(site, scores)
        self.cards: tuple[Card, ...] = tuple(
            sorted((make_card(m, scores.members[m.id]) for m in public), key=lambda c: (sort_key(c.name), c.id))
        )
        self.card_of: Mapping[str, Card] = {c.id: c for c in self.cards}
        self.ranked: tuple[Card, ...] = tuple(sorted(self.cards, key=lambda c: c.standing))
        """The cards "most reliable first": the directory's order."""
        self.rank: Mapping[str, int] = {c.id: i for i, c in enumerate(self.ranked)}
        """Each card's place in :attr:`ranked`, for the directory's client-side sort."""
        self.order: Mapping[str, int] = {c.id: i for i, c in enumerate(self.cards)}
        """Each published member's place in name order, to sort lists of members without comparing names."""
        self.parties: Mapping[str, Party] = {c.id: Party(c.id, c.name, c.left) for c in self.cards}
        by_skill: dict[str, list[Card]] = defaultdict(list)
        by_region: dict[str, list[Card]] = defaultdict(list)
        for card in self.cards:
            for skill in card.skills:
                by_skill[skill].append(card)
            by_region[card.region].append(card)
        self.vocabulary = Vocabulary.of(site.config)
        skills = [_skill_group(slug, cards) for slug, cards in by_skill.items()]
        regions = [Group(slug, "", tuple(sorted(cards, key=lambda c: c.standing))) for slug, cards in by_region.items()]
        self.listings: Mapping[str, Listing] = {
            language: _listing(self.cards, self.ranked, skills, regions, self.vocabulary, language)
            for language in site.config.languages
        }
        """The per-skill and per-region lists in each language, named and ordered by its labels."""
        self.markdown = markdown if markdown is not None else MarkdownCache()
        self.languages = 1
        """How many languages each page is drawn in (the renderer sets it): how often a view is asked for."""
        self._views: dict[str, tuple[EngagementView, list[int]]] = {}

    def engagement(self, engagement_id: str) -> EngagementView:
        """An engagement's view, prepared once for all its pages in every language.

        Each language's fragments draw an engagement once and reuse the HTML on both
        parties' pages, so a view is asked for once per language; it is dropped after
        the last, so that a large network's views never all sit in memory at once.
        """
        entry = self._views.get(engagement_id)
        if entry is None:
            view = engagement_view(self, engagement_id)
            entry = self._views[engagement_id] = (view, [self.languages])
        entry[1][0] -= 1
        if entry[1][0] <= 0:
            del self._views[engagement_id]
        return entry[0]

    def forget(self) -> None:
        """Drop the prepared views (a worker process calls this between its tasks)."""
        self._views.clear()

    def party(self, member_id: str) -> Party:
        """How a page names a member: by name with a link, or as a former member."""
        return self.parties.get(member_id, FORMER)

    def public(self, ids: tuple[str, ...]) -> tuple[Party, ...]:
        """Published members among ``ids``, in name order (withdrawn ones are left out)."""
        order = self.order
        return tuple(self.parties[i] for i in sorted((i for i in ids if i in order), key=order.__getitem__))


@dataclass(frozen=True, slots=True)
class Listing:
    """The directory's lists in one language: what the directory, skill and region pages show."""

    cards: tuple[Card, ...]
    ranked: tuple[Card, ...]
    """The cards "most reliable first": the directory's order."""
    skills: tuple[Group, ...]
    """Every skill, by its label in this language."""
    popular: tuple[Group, ...]
    """The skills most members have, for the directory's "browse" links."""
    regions: tuple[Group, ...]
    """Every region, by its label in this language."""


PAGE_SIZE: Final = 50
"""Cards on one page of the directory, of a skill or of a region; later ones go to ``page/2/`` and so on."""
PAGER_SPAN: Final = 2
"""Page numbers linked on each side of the current one (the first and last are always linked)."""


@dataclass(frozen=True, slots=True)
class Pager:
    """One page of a paginated listing: which cards it shows and how it links to the others.

    The first page keeps the listing's own address (``skills/x/``); page ``n`` lives at
    ``skills/x/page/n/``. Addresses are relative to the language's root, as the
    templates' ``url`` takes them.
    """

    base: str
    """The listing's folder: ``""`` for the directory, ``skills/<slug>/`` or ``regions/<slug>/``."""
    number: int
    """This page, from 1."""
    count: int
    """How many pages the listing has (1 for a short or empty one)."""
    start: int
    """Index of this page's first card in the listing."""
    stop: int

    def address(self, number: int) -> str:
        """Where page ``number`` of the listing is, as a folder."""
        return self.base if number == 1 else f"{self.base}page/{number}/"

    @property
    def path(self) -> str:
        """The output file of this page."""
        return self.address(self.number) + "index.html"

    @property
    def prev(self) -> str | None:
        """The previous page's address, ``None`` on the first."""
        return self.address(self.number - 1) if self.number > 1 else None

    @property
    def next(self) -> str | None:
        """The next page's address, ``None`` on the last."""
        return self.address(self.number + 1) if self.number < self.count else None

    @property
    def numbers(self) -> tuple[int | None, ...]:
        """The page numbers to link, ``None`` for a gap: 1 … 4 5 [6] 7 8 … 200."""
        around = range(max(1, self.number - PAGER_SPAN), min(self.count, self.number + PAGER_SPAN) + 1)
        wanted = sorted({1, self.count, *around})
        shown: list[int | None] = []
        last = 0
        for n in wanted:
            if last and n - last == 2:
                shown.append(n - 1)  # a gap of one page: link it rather than show an ellipsis
            elif last and n - last > 2:
                shown.append(None)
            shown.append(n)
            last = n
        return tuple(shown)


def paginate(total: int, base: str, size: int | None = None) -> tuple[Pager, ...]:
    """The pages of a listing of ``total`` cards at ``base``, :data:`PAGE_SIZE` cards a page.

    A listing always has a first page, even an empty one.
    """
    size = size or PAGE_SIZE
    count = max(1, -(-total // size))
    return tuple(Pager(base, n, count, (n - 1) * size, min(n * size, total)) for n in range(1, count + 1))


def _skill_group(slug: str, cards: list[Card]) -> Group:
    proven = sorted((c for c in cards if slug in c.proven), key=lambda c: c.standing)
    declared = sorted((c for c in cards if slug not in c.proven), key=lambda c: c.standing)
    return Group(slug, "", (*proven, *declared), len(proven))


def _listing(
    cards: tuple[Card, ...],
    ranked: tuple[Card, ...],
    skills: list[Group],
    regions: list[Group],
    vocabulary: Vocabulary,
    language: str,
) -> Listing:
    """Name the groups in ``language`` and sort them by those names (accents and case ignored)."""
    named_skills = sorted(
        (replace(g, name=vocabulary.skill(g.slug, language)) for g in skills), key=lambda g: (sort_key(g.name), g.slug)
    )
    named_regions = sorted(
        (replace(g, name=vocabulary.region(g.slug, language)) for g in regions),
        key=lambda g: (sort_key(g.name), g.slug),
    )
    popular = sorted(named_skills, key=lambda g: (-len(g.cards), g.name, g.slug))[:POPULAR_SKILLS]
    return Listing(cards, ranked, tuple(named_skills), tuple(popular), tuple(named_regions))


_PLAIN_TEXT: Final = re.compile(r"[^\\`*_\[\]<>&#!|~=+{}\t\r]*")
"""Characters that never mean anything to Markdown (nor need escaping but for no-break spaces)."""
_BLOCK_START: Final = re.compile(r"^(?:[-+>\s]|\d+[.)])")


_INERT: Final = r"[^\s*\\`_\[\]<>&#!|~=+{}\t\r\n]"
"""A character that means nothing to Markdown inside a strong span, and is not a space."""
_STRONG: Final = re.compile(rf"(?<![*\w])\*\*({_INERT}(?:[^*\\`_\[\]<>&#!|~=+{{}}\t\r\n]*{_INERT})?)\*\*(?![*\w])")
"""``**words**`` between spaces or punctuation, with nothing Markdown reads inside."""
_ITEM: Final = re.compile(r"- (?=\S)")


def _plain_inline(line: str) -> str | None:
    """A line of plain words and ``**strong**`` words as HTML, or ``None`` for anything else."""
    if "*" in line:
        rest = _STRONG.sub("", line)
        if not _PLAIN_TEXT.fullmatch(rest):
            return None
        line = _STRONG.sub(r"<strong>\1</strong>", line)
    elif not _PLAIN_TEXT.fullmatch(line):
        return None
    return line.replace("\u00a0", "&nbsp;")


def plain_markdown(text: str) -> Markup | None:
    """What :func:`~generator.markup.render_markdown` makes of simple Markdown, without running it.

    Most bios, comments and summaries are a few paragraphs of plain words, now and then
    a ``**strong**`` word or a short ``- `` list, and Python-Markdown takes a millisecond
    for each. A text made only of such blocks (no other character Markdown gives a
    meaning to, no line that could start another kind of block, no trailing space, no
    list after a list) renders here; anything else returns ``None`` and goes through
    the real renderer and sanitiser. A property test checks that both agree whenever
    this one answers.
    """
    if not _PLAIN_TEXT.fullmatch(text.replace("*", "")):
        return None
    blocks: list[list[str]] = [[]]
    for line in text.strip("\n").split("\n"):
        if not line:
            if blocks[-1]:
                blocks.append([])
            continue
        if line != line.rstrip():
            return None
        blocks[-1].append(line)
    html: list[str] = []
    after_list = False
    for lines in blocks:
        if not lines:
            continue
        items = [line[2:] for line in lines if _ITEM.match(line)]
        if items and len(items) == len(lines):
            if after_list:
                return None  # two lists apart are one loose list to Markdown: its own layout
            drawn = [_plain_inline(item) for item in items]
            if any(d is None or _BLOCK_START.match(item) for d, item in zip(drawn, items, strict=True)):
                return None
            html.append("<ul>\n" + "\n".join(f"<li>{d}</li>" for d in drawn) + "\n</ul>")
            after_list = True
            continue
        drawn = [_plain_inline(line) for line in lines]
        if any(d is None or _BLOCK_START.match(line) for d, line in zip(drawn, lines, strict=True)):
            return None
        html.append("<p>" + "\n".join(d for d in drawn if d is not None) + "</p>")
        after_list = False
    return Markup("\n".join(html))  # only plain characters and <strong>, <ul>, <li>, checked above


class MarkdownCache:
    """Member Markdown rendered once per distinct text, plain paragraphs without Markdown.

    The same short comments recur across a large network, and Markdown is the
    slowest step of a member page. The texts that need Python-Markdown (a link, a
    heading, a quote…) are also kept between builds in ``kept``, under a digest of the
    text: a build that draws every page again (a template edited, a new output
    folder) runs Python-Markdown only on the texts it never saw.
    """

    def __init__(self, render: Callable[[str], Markup] = render_markdown, kept: EntryCache | None = None) -> None:
        self._render = render
        self.kept = kept
        self._done: dict[str, Markup] = {}

    def __call__(self, text: str | None) -> Markup | None:
        if not text:
            return None
        found = self._done.get(text)
        if found is None:
            found = plain_markdown(text)
            if found is None:
                found = self._rendered(text)
            self._done[text] = found
        return found

    def _rendered(self, text: str) -> Markup:
        if self.kept is None:
            return self._render(text)
        # The kept HTML is what render_markdown made of this very text: the file is signed.
        return Markup(self.kept.entry(text, lambda: str(self._render(text)).encode()).decode())


# ------------------------------------------------------------------------ member page


@dataclass(frozen=True, slots=True)
class Link:
    """One of a member's links: a recognised network (with its icon) or a website."""

    label: str
    """As the member wrote it (``website``, ``portfolio``…)."""
    url: str
    kind: str
    """A key of :data:`NETWORKS`, or ``website``."""
    network: str | None
    """The network's own name, or ``None`` for a website."""


def make_link(label: str, url: str) -> Link | None:
    """A link, recognised by its host; ``None`` unless it is ``https://``."""
    if not url.startswith("https://"):
        return None
    host = (urlsplit(url).hostname or "").lower()
    for kind, name, domains in NETWORKS:
        if any(host == d or host.endswith("." + d) for d in domains):
            return Link(label, url, kind, name)
    return Link(label, url, "website", None)


@dataclass(frozen=True, slots=True)
class Statement:
    """One thing an attestation states, with whether it counts."""

    name: str
    """``delivery``, ``quality``, ``payment``, ``relationship`` or ``recommend``."""
    value: str
    state: State
    days_late: int | None = None
    date: dt.date | None = None
    """``delivered`` or ``paid`` when given."""


@dataclass(frozen=True, slots=True)
class AttestationView:
    """One party's attestation as a page shows it."""

    role: str
    """The attester's role: ``client`` or ``supplier``."""
    attester: Party
    date: dt.date
    awaiting: bool
    """Negative and unanswered inside the reply window: shown without its content."""
    publish_on: dt.date
    """When an attestation awaiting a reply will be published anyway."""
    statements: tuple[Statement, ...]
    comment: Markup | None
    reply: Markup | None
    disputes: tuple[str, ...]
    signed_by: str | None = None
    """Fingerprint of the key whose signature of this attestation verified (``None``: not signed)."""


@dataclass(frozen=True, slots=True)
class ResolutionView:
    """A coordinator's ruling on a dispute."""

    by: Party
    date: dt.date
    upheld: tuple[str, ...]
    withdrawn: tuple[str, ...]
    note: Markup | None
    signed_by: str | None = None


@dataclass(frozen=True, slots=True)
class EngagementView:
    """One engagement with both attestations, for both parties' pages."""

    id: str
    title: str
    summary: Markup | None
    skills: tuple[str, ...]
    started: dt.date
    deadline: dt.date | None
    invoice_due: dt.date | None
    status: str
    contested: tuple[str, ...]
    client: Party
    supplier: Party
    by_client: AttestationView | None
    by_supplier: AttestationView | None
    resolution: ResolutionView | None

    @property
    def publications(self) -> int:
        """On how many member pages it appears: one per published party."""
        return (not self.client.former) + (not self.supplier.former)


def _side_state(state: AttestationState, side: str) -> State:
    found = state.state(side)
    assert found is not None, f"{state.engagement}: {side} is stated but has no state"
    return found


def _statements(attestation: Attestation, state: AttestationState, engagement: Engagement) -> tuple[Statement, ...]:
    found: list[Statement] = []
    if attestation.delivery is not None:
        found.append(
            Statement("delivery", attestation.delivery, _side_state(state, "delivery"), None, attestation.delivered)
        )
    if attestation.quality is not None:
        found.append(Statement("quality", str(attestation.quality), _side_state(state, "quality")))
    if attestation.payment is not None:
        days_late = None
        if attestation.payment == "late" and attestation.paid and engagement.invoice_due:
            days_late = max((attestation.paid - engagement.invoice_due).days, 0)
        found.append(
            Statement("payment", attestation.payment, _side_state(state, "payment"), days_late, attestation.paid)
        )
    found.append(Statement("relationship", str(attestation.relationship), _side_state(state, "relationship")))
    found.append(Statement("recommend", "true" if attestation.recommend else "false", "counted"))
    return tuple(found)


def _attestation(
    index: SiteIndex, engagement: Engagement, attestation: Attestation | None, state: AttestationState | None
) -> AttestationView | None:
    if attestation is None or state is None:
        return None
    attester = index.party(attestation.attester)
    signed_by = index.site.verified.get(attestation.source.path)
    if state.awaiting_reply:
        # Nobody learns of a complaint from the public site first: nothing of what it says.
        return AttestationView(
            attestation.role, attester, attestation.date, True, state.counts_from, (), None, None, (), signed_by
        )
    quoted = not attester.former  # a withdrawn member's words are not published
    return AttestationView(
        role=attestation.role,
        attester=attester,
        date=attestation.date,
        awaiting=False,
        publish_on=state.counts_from,
        statements=_statements(attestation, state, engagement),
        comment=index.markdown(attestation.comment) if quoted else None,
        reply=index.markdown(attestation.reply) if quoted else None,
        disputes=attestation.disputes,
        signed_by=signed_by,
    )


def engagement_view(index: SiteIndex, engagement_id: str) -> EngagementView:
    """An engagement with both attestations and any ruling, as both parties' pages show it."""
    site, scores = index.site, index.scores
    engagement = site.engagements[engagement_id]
    status = scores.engagements[engagement_id]
    resolution = site.resolutions.get(engagement_id)
    ruling = None
    if resolution is not None:
        by = index.party(resolution.by)
        note = index.markdown(resolution.note) if not by.former else None
        signed_by = site.verified.get(resolution.source.path)
        ruling = ResolutionView(by, resolution.date, resolution.upheld, resolution.withdrawn, note, signed_by)
    client, supplier = index.party(engagement.client), index.party(engagement.supplier)
    # The summary may be the words of either party: not published when one was forgotten.
    summary = index.markdown(engagement.summary) if not (client.former or supplier.former) else None
    return EngagementView(
        id=engagement.id,
        title=engagement.title,
        summary=summary,
        skills=engagement.skills,
        started=engagement.started,
        deadline=engagement.deadline,
        invoice_due=engagement.invoice_due,
        status=status.status,
        contested=status.contested,
        client=client,
        supplier=supplier,
        by_client=_attestation(index, engagement, engagement.by_client, status.by_client),
        by_supplier=_attestation(index, engagement, engagement.by_supplier, status.by_supplier),
        resolution=ruling,
    )


@dataclass(frozen=True, slots=True)
class EvidenceRow:
    """One row of an evidence table."""

    item: Evidence
    counterpart: Party
    hidden: bool
    """Awaiting a reply: the row says so, without the outcome."""


@dataclass(frozen=True, slots=True)
class SideView:
    """One side of the triangle (or the recommendation figure) as the member page shows it.

    Only what the page shows: the level and the facts.
    The figures behind them follow every counterpart's trust and live on the
    evidence page (see :class:`EvidencePage`), so that the member page, and its
    digest (see :func:`member_inputs`), do not hold them at all.
    """

    name: str
    level: str | None
    """``None`` for the informative recommendation figure, which has no level."""
    facts: Facts
    needs: int
    """For a ``new`` side: how many more counterparts it needs."""


def side_view(name: str, score: SideScore) -> SideView:
    """A side as the member page shows it."""
    return SideView(name, score.level, score.facts, score.needs_counterparts)


@dataclass(frozen=True, slots=True)
class EvidenceSide:
    """One side with every statement behind it, as the member's evidence page lists them."""

    name: str
    score: SideScore
    rows: tuple[EvidenceRow, ...]


@dataclass(frozen=True, slots=True)
class MemberPage:
    """Everything a member's page shows, in every language."""

    member: Member
    card: Card
    bio: Markup | None
    links: tuple[Link, ...]
    sponsors: tuple[Party, ...]
    sides: tuple[SideView, ...]
    recommendation: SideView
    proven: tuple[tuple[str, int], ...]
    declared_only: tuple[str, ...]
    relations: tuple[Party, ...]
    contacts: tuple[Party, ...]
    as_supplier: tuple[str, ...]
    """Engagement ids, newest first; each is drawn once per language (see :func:`engagement_view`)."""
    as_client: tuple[str, ...]
    signed_by: str | None = None
    """Fingerprint of the key whose signature of the member record verified."""

    @property
    def declared_items(self) -> tuple[tuple[str, None], ...]:
        """Declared-only skills, shaped like :attr:`proven` (with no count)."""
        return tuple((slug, None) for slug in self.declared_only)


@dataclass(frozen=True, slots=True)
class EvidencePage:
    """A member's evidence page: the arithmetic behind each level, statement by statement.

    It is a page of its own, linked from each side of the member page, because its
    figures follow the counterparts' trust, which every statement anywhere moves a
    little: on the member page they would make one change redraw almost every page.
    """

    member: Member
    card: Card
    score: MemberScore
    sides: tuple[EvidenceSide, ...]
    recommendation: EvidenceSide


def _evidence_side(index: SiteIndex, member_id: str, figure: str, score: SideScore) -> EvidenceSide:
    rows = tuple(
        EvidenceRow(item, index.party(item.counterpart), item.state == "awaiting_reply")
        for item in index.scores.evidence(member_id, figure)
    )
    return EvidenceSide(figure, score, rows)


def member_page(index: SiteIndex, member_id: str) -> MemberPage:
    """The page of one published member (never called for a withdrawn one)."""
    site, scores = index.site, index.scores
    member = site.members[member_id]
    assert member.status != "withdrawn", "a withdrawn member has no page"
    score = scores.members[member_id]
    newest_first = sorted(
        (site.engagements[eid] for eid in site.engagements_by_member.get(member_id, ())),
        key=lambda e: (e.started, e.id),
        reverse=True,
    )
    # What both parties attested comes first: a visitor reads the established record
    # before what is still waiting for the other party.
    engagements = sorted(newest_first, key=lambda e: scores.engagements[e.id].status not in BOTH_ATTESTED)
    links = tuple(link for label, url in member.links if (link := make_link(label, url)) is not None)
    return MemberPage(
        member=member,
        card=index.card_of[member_id],
        bio=index.markdown(member.bio),
        links=links,
        sponsors=index.public(member.sponsors),
        sides=tuple(side_view(name, score.sides[name]) for name in SIDES),
        recommendation=side_view(RECOMMENDATION, score.recommendation),
        proven=tuple(sorted(score.proven_skills.items(), key=lambda kv: (-kv[1], kv[0]))),
        declared_only=score.declared_only,
        relations=index.public(score.relations),
        contacts=index.public(score.contacts),
        as_supplier=tuple(e.id for e in engagements if e.supplier == member_id),
        as_client=tuple(e.id for e in engagements if e.client == member_id),
        signed_by=site.verified.get(member.source.path),
    )


def evidence_page(index: SiteIndex, member_id: str) -> EvidencePage:
    """The evidence page of one published member."""
    member = index.site.members[member_id]
    assert member.status != "withdrawn", "a withdrawn member has no page"
    score = index.scores.members[member_id]
    return EvidencePage(
        member=member,
        card=index.card_of[member_id],
        score=score,
        sides=tuple(_evidence_side(index, member_id, name, score.sides[name]) for name in SIDES),
        recommendation=_evidence_side(index, member_id, RECOMMENDATION, score.recommendation),
    )


Versions = Mapping[str, object]
"""The version of each record file (its size, times and inode, from the record cache), by path."""


def _version(record: Member | Engagement | Attestation | Resolution | None, versions: Versions) -> object:
    """A record as a digest sees it: its file's version when known (cheap), else the record itself."""
    if record is None:
        return None
    found = versions.get(record.source.path)
    return record if found is None else (record.source.path, found)


def engagement_inputs(site: Site, engagement_id: str, versions: Versions) -> tuple[object, ...]:
    """An engagement's records as a digest sees them: all its status, view and API entry are drawn from, names apart.

    Each record is its file's version, a tuple of integers, when ``versions`` knows it
    (the records themselves are slow to hash). The status is not listed: it follows
    from the records and the date, which every digest's key holds.
    """
    engagement = site.engagements[engagement_id]
    resolution = site.resolutions.get(engagement_id)
    return (
        engagement_id,
        _version(engagement, versions),
        _version(engagement.by_client, versions),
        _version(engagement.by_supplier, versions),
        _version(resolution, versions),
        # The verified marks follow from these files' versions; listed all the same, so
        # that the digest does not rest on that reasoning.
        tuple(site.verified.get(a.source.path) for a in engagement.attestations),
        None if resolution is None else site.verified.get(resolution.source.path),
    )


def _token(inputs: object) -> bytes:
    """16 bytes that change whenever ``inputs`` (plain values, hashed by their ``repr``) do."""
    return hashlib.blake2b(repr(inputs).encode(), digest_size=16).digest()


def engagement_tokens(site: Site, versions: Versions) -> dict[str, bytes]:
    """Each engagement's :func:`engagement_inputs`, hashed once for every digest that includes it.

    Both parties' pages and the engagement's API entry include it: hashed once, it is
    16 bytes in each of them instead of seven records' paths and versions.
    """
    return {eid: _token(engagement_inputs(site, eid, versions)) for eid in site.engagements}


def named_tokens(index: SiteIndex) -> dict[str, bytes]:
    """How each member appears on the pages that name them (name, link, whether they left), hashed once.

    A member's page names a dozen others, and each of them is named on a dozen pages:
    hashed once, each is 16 bytes in those pages' digests instead of a party drawn
    again for every page.
    """
    return {member_id: named_token(index, member_id) for member_id in index.site.members}


def named_token(index: SiteIndex, member_id: str) -> bytes:
    """One member as other pages name them."""
    return _token(index.party(member_id))


def _counterparts(site: Site, score: MemberScore, member: Member) -> list[str]:
    """Everyone a member's pages name: sponsors, relations, contacts, parties and rulers of their engagements."""
    others: set[str] = {*member.sponsors, *score.relations, *score.contacts}
    for engagement_id in site.engagements_by_member.get(member.id, ()):
        engagement = site.engagements[engagement_id]
        others.update((engagement.client, engagement.supplier))
        resolution = site.resolutions.get(engagement_id)
        if resolution is not None:
            others.add(resolution.by)
    return sorted(others)


def member_inputs(
    index: SiteIndex, member_id: str, versions: Versions, tokens: Mapping[str, bytes], named: Mapping[str, bytes]
) -> tuple[object, ...]:
    """Everything a member's page is drawn from, cheap to gather: what an incremental build hashes.

    The page is rebuilt when any of it changes, so it must hold all that
    :func:`member_page` and :func:`engagement_view` read: the member's record, card and
    sides as the page shows them (:class:`SideView`: levels and facts, never the
    trust-weighted figures, which the page does not hold); every engagement of the
    member with its attestations and ruling (its token, see :func:`engagement_tokens`);
    the name of everyone the page names (their token, see :func:`named_tokens`).
    Everything else the page depends on (templates, site.yml, today, the code) is the
    renderer's part of the digest. The tests rebuild after every kind of change and
    compare with a clean build.
    """
    site, score = index.site, index.scores.members[member_id]
    member = site.members[member_id]
    sides = tuple(side_view(name, side) for name, side in score.sides.items())
    return (
        member_id,
        _version(member, versions),
        site.verified.get(member.source.path),
        index.card_of[member_id],
        sides,
        side_view(RECOMMENDATION, score.recommendation),
        tuple(score.proven_skills.items()),
        score.declared_only,
        score.relations,
        score.contacts,
        tuple(tokens[engagement_id] for engagement_id in site.engagements_by_member.get(member_id, ())),
        tuple((other, named.get(other) or named_token(index, other)) for other in _counterparts(site, score, member)),
    )


def evidence_inputs(
    index: SiteIndex, member_id: str, versions: Versions, tokens: Mapping[str, bytes], named: Mapping[str, bytes]
) -> tuple[object, ...]:
    """Everything a member's evidence page is drawn from (see :func:`member_inputs`).

    That is the member's whole score but the trust share (which no page shows), their
    engagements' tokens, and each counterpart's name and the trust factor their
    statements carry, which the rows print: this digest moves with the trust, and only
    the evidence pages it reaches are drawn again.
    """
    site, scores = index.site, index.scores.members
    score, member = scores[member_id], site.members[member_id]
    factors = tuple(
        (other, named.get(other) or named_token(index, other), scores[other].attester_weight if other in scores else 0)
        for other in _counterparts(site, score, member)
    )
    return (
        member_id,
        _version(member, versions),
        index.card_of[member_id],
        replace(score, trust_share=0.0),
        tuple(tokens[engagement_id] for engagement_id in site.engagements_by_member.get(member_id, ())),
        factors,
    )


# ------------------------------------------------------------------------ network page


@dataclass(frozen=True, slots=True)
class Quarter:
    """Confirmed engagements started in one quarter, and how they went."""

    year: int
    quarter: int
    confirmed: int
    delivered: int
    """Client attestations stating a delivery."""
    on_time_delivery: int
    paid: int
    """Supplier attestations stating a payment."""
    on_time_payment: int

    @property
    def delivery_rate(self) -> float | None:
        """Share of deliveries on time, ``None`` without any."""
        return self.on_time_delivery / self.delivered if self.delivered else None

    @property
    def payment_rate(self) -> float | None:
        """Share of payments on time, ``None`` without any."""
        return self.on_time_payment / self.paid if self.paid else None


@dataclass(frozen=True, slots=True)
class RegionFlow:
    """Confirmed engagements with a party in one region: both parties there, or only one."""

    slug: str
    """Shown by its label in the page's language (the template's ``region`` filter)."""
    within: int
    across: int


@dataclass(frozen=True, slots=True)
class NetworkStats:
    """The network's health, as the network page charts it."""

    quarters: tuple[Quarter, ...]
    regions: tuple[RegionFlow, ...]
    confirmed: int
    within: int
    across: int


def network_stats(site: Site, scores: Scores) -> NetworkStats:
    """Counts over confirmed (or resolved) engagements: per quarter of their start, and per region.

    Aggregates only: a withdrawn member's engagements still count here, since no
    figure names anyone.
    """
    per_quarter: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    within: dict[str, int] = defaultdict(int)
    across: dict[str, int] = defaultdict(int)
    total_within = total_across = 0
    for eid in sorted(site.engagements):
        if scores.engagements[eid].status not in COUNTED_STATUSES:
            continue
        engagement = site.engagements[eid]
        counts = per_quarter[(engagement.started.year, (engagement.started.month - 1) // 3 + 1)]
        counts[0] += 1
        if engagement.by_client is not None and engagement.by_client.delivery is not None:
            counts[1] += 1
            counts[2] += engagement.by_client.delivery == "on_time"
        if engagement.by_supplier is not None and engagement.by_supplier.payment is not None:
            counts[3] += 1
            counts[4] += engagement.by_supplier.payment == "on_time"
        one, other = site.members[engagement.client].region, site.members[engagement.supplier].region
        if not (one and other):
            continue  # a withdrawn member whose record was erased: their region is not known
        if one == other:
            within[one] += 1
            total_within += 1
        else:
            across[one] += 1
            across[other] += 1
            total_across += 1
    quarters: list[Quarter] = []
    if per_quarter:
        first, last = min(per_quarter), max(per_quarter)
        year, quarter = first
        while (year, quarter) <= last:  # every quarter in the span, empty ones too
            c = per_quarter.get((year, quarter), [0, 0, 0, 0, 0])
            quarters.append(Quarter(year, quarter, *c))
            year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    regions = tuple(
        RegionFlow(slug, within[slug], across[slug])
        for slug in sorted(set(within) | set(across), key=lambda s: (-(within[s] + across[s]), s))
    )
    return NetworkStats(tuple(quarters), regions, total_within + total_across, total_within, total_across)


@dataclass(frozen=True, slots=True)
class Relation:
    """A member drawn on the network graph, with their professional relations."""

    party: Party
    region: str
    relations: tuple[Party, ...]


def relation_graph(index: SiteIndex, limit: int) -> tuple[tuple[Relation, ...], int]:
    """The members with professional relations, the ``limit`` most trusted of them, by region then name.

    Returns them with how many members have relations in all, so the page can say
    when it shows only part of a large network.
    """
    scores = index.scores
    related = [c for c in index.cards if index.public(scores.members[c.id].relations)]
    kept = sorted(related, key=lambda c: (-scores.members[c.id].trust, sort_key(c.name), c.id))[:limit]
    kept_ids = {c.id for c in kept}
    # One layout for every language: regions in the order of the first language's labels.
    vocabulary, language = index.vocabulary, index.site.config.languages[0]
    ordered = sorted(
        kept, key=lambda c: (sort_key(vocabulary.region(c.region, language)), c.region, sort_key(c.name), c.id)
    )
    nodes = tuple(
        Relation(
            index.party(c.id),
            c.region,
            tuple(p for p in index.public(scores.members[c.id].relations) if p.id in kept_ids),
        )
        for c in ordered
    )
    return nodes, len(related)


GRAPH_LIMIT: Final = 150
"""Members drawn on the network graph at most: beyond that, a drawing informs nobody."""


@dataclass(frozen=True, slots=True)
class NetworkView:
    """The network page: the graph of professional relations and the health charts."""

    nodes: tuple[Relation, ...]
    related: int
    """Members with at least one professional relation (the graph may show fewer)."""
    regions: tuple[str, ...]
    """The region of each group of the graph, in drawing order."""
    graph: Graph
    stats: NetworkStats
    per_quarter: BarChart
    rates: LineChart
    flows: SplitBarChart
    members: int
    engagements: int


def network_view(index: SiteIndex, limit: int = GRAPH_LIMIT) -> NetworkView:
    """Everything the network page draws, computed once for every language."""
    nodes, related = relation_graph(index, limit)
    regions = tuple(dict.fromkeys(n.region for n in nodes))
    group_of = {slug: i for i, slug in enumerate(regions)}
    position = {n.party.id: i for i, n in enumerate(nodes)}
    edges = [(position[n.party.id], position[p.id]) for n in nodes for p in n.relations]
    stats = network_stats(index.site, index.scores)
    return NetworkView(
        nodes=nodes,
        related=related,
        regions=regions,
        graph=circle_graph([group_of[n.region] for n in nodes], edges),
        stats=stats,
        per_quarter=bar_chart([q.confirmed for q in stats.quarters]),
        rates=line_chart(
            [[q.delivery_rate for q in stats.quarters], [q.payment_rate for q in stats.quarters]],
        ),
        flows=split_bar_chart([(r.within, r.across) for r in stats.regions]),
        members=len(index.cards),
        engagements=len(index.site.engagements),
    )


# ------------------------------------------------------------------------ method page

TRUSTED_TAGS: Final = frozenset(
    {
        *("h3", "h4", "h5", "h6", "p", "br", "strong", "em", "ul", "ol", "li", "blockquote", "code", "pre"),
        *("a", "hr", "table", "thead", "tbody", "tr", "th", "td", "sup", "sub", "dl", "dt", "dd"),
    }
)


SETTING_MARK: Final = re.compile(r"<!--([a-z0-9_]+)-->(\d+(?:\.\d+)?(?: %)?|[a-z_]+)")
"""A figure of ``docs/scoring.md`` that comes from the settings: ``<!--name-->default``."""


def _example_figures(z: float, reliable: float) -> dict[str, float | str]:
    """The worked example of ``docs/scoring.md`` (section 7), recomputed at the network's ``z``."""
    positive, negative = 1.3957, 0.6840
    n = positive + negative
    z2 = z * z
    root_in = positive * negative / n + z2 / 4
    spread = z * math.sqrt(root_in)
    after_positive = positive + 8 * 0.9446
    after = wilson_lower(after_positive, after_positive + negative, z)
    score = (positive + z2 / 2 - spread) / (n + z2)
    return {
        "ex_z2": z2,
        "ex_z2_half": z2 / 2,
        "ex_z2_quarter": z2 / 4,
        "ex_root_in": root_in,
        "ex_root": math.sqrt(root_in),
        "ex_spread": spread,
        "ex_score": score,
        "ex_upper": (positive + z2 / 2 + spread) / (n + z2),
        "ex_after": after,
        "ex_level": "reliable" if score >= reliable else "new",
        "ex_after_level": "reliable" if after >= reliable else "new",
    }


def method_figures(config: ScoringConfig) -> dict[str, str]:
    """Every figure the method document quotes, from this network's settings, as the document writes them."""
    z, reliable, highly = config.confidence_z, config.reliable_threshold, config.highly_reliable_threshold
    figures: dict[str, float | str] = {
        name: getattr(config, name) for name in config.__dataclass_fields__ if name != "trust_typical_mass"
    }
    figures.update(
        trust_typical_percent=f"{config.trust_typical_mass * 100:g} %",
        confidence_percent=f"{NormalDist().cdf(z) * 100:.0f} %",
        wilson_1_of_1=wilson_lower(1, 1, z),
        wilson_5_of_5=wilson_lower(5, 5, z),
        wilson_9_of_10=wilson_lower(9, 10, z),
        wilson_90_of_100=wilson_lower(90, 100, z),
        reliable_units=z * z * reliable / (1 - reliable),
        highly_units=z * z * highly / (1 - highly),
        **_example_figures(z, reliable),
    )
    written: dict[str, str] = {}
    for name, value in figures.items():
        if isinstance(value, str):
            written[name] = value
        elif isinstance(value, int) or float(value).is_integer() or name in config.__dataclass_fields__:
            written[name] = f"{value:g}"
        else:
            written[name] = f"{value:.2f}" if name.endswith("_units") else f"{value:.4f}"
    return written


def with_figures(text: str, figures: Mapping[str, str]) -> str:
    """``docs/scoring.md`` with each marked figure replaced by this network's (an unknown mark is a bug)."""

    def figure(match: re.Match[str]) -> str:
        name = match[1]
        if name not in figures:
            raise KeyError(f"docs/scoring.md marks an unknown figure {name!r}")
        return figures[name]

    return SETTING_MARK.sub(figure, text)


def method_document(text: str) -> Markup:
    """``docs/scoring.md`` as HTML: headings and tables allowed, still sanitised.

    The document is Triangle's own, not a member's, so it may have headings and
    tables; it is sanitised all the same (a pull request can change docs too).
    Headings move two levels down, under the page's own section heading, and get ids
    so each part of the method can be linked to. Figures come in already replaced
    by :func:`with_figures`.
    """
    html = markdown.markdown(text, extensions=["tables", "fenced_code", "sane_lists", "toc"], output_format="html")
    html = re.sub(r"<(/?)h([1-6])\b", lambda m: f"<{m[1]}h{min(int(m[2]) + 2, 6)}", html)
    clean = nh3.clean(
        html,
        tags=set(TRUSTED_TAGS),
        attributes={
            "a": {"href", "title"},
            "th": {"align"},
            "td": {"align"},
            **{h: {"id"} for h in TRUSTED_TAGS if h[0] == "h" and h[1:].isdigit()},
        },
        url_schemes={"http", "https", "mailto"},
        link_rel=None,
        strip_comments=True,
    )
    return Markup(clean)  # sanitised above: the only other HTML marked safe
