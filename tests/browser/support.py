"""Helpers of the browser suite: where things are, what the demo network holds, and a recording tab.

Expectations are computed from the demo's YAML records (read here with PyYAML, not with
the generator under test), so the tests follow the demo when it changes and never trust
the code they check to tell them what the right answer is.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:  # Playwright is imported only by the fixtures, which skip when it is missing
    from playwright.sync_api import ConsoleMessage, Dialog, Page, Request, Response

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
NODE_MODULES = HERE / "node_modules"
AXE_JS = NODE_MODULES / "axe-core" / "axe.min.js"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
CHROMIUM = Path("/usr/lib/chromium/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WIDTHS = (1280, 390)
"""A desktop and a phone viewport: the layout must fit both without horizontal scrolling."""


# --- the demo network, read from its YAML -------------------------------------------------


def _read(path: Path) -> dict[str, Any]:
    # BaseLoader: every scalar stays a string, exactly as the member wrote it.
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
    assert isinstance(data, dict), f"{path} is not a mapping"
    return data


@dataclass(frozen=True, slots=True)
class Member:
    """What the tests need of one member record."""

    id: str
    name: str
    region: str
    skills: tuple[str, ...]
    status: str
    bio: str


@dataclass(frozen=True, slots=True)
class Engagement:
    """What the tests need of one engagement: its parties and who attested it."""

    id: str
    client: str
    supplier: str
    attesters: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Network:
    """The demo network as written in ``content/``."""

    root: Path
    members: dict[str, Member]
    engagements: dict[str, Engagement]

    @property
    def published(self) -> dict[str, Member]:
        """Members with a page: a withdrawn member asked to be forgotten."""
        return {k: m for k, m in self.members.items() if m.status != "withdrawn"}

    def with_skill_and_region(self, skill: str | None, region: str | None) -> set[str]:
        """Published members who declare ``skill`` and live in ``region`` (None: any)."""
        return {
            m.id
            for m in self.published.values()
            if (skill is None or skill in m.skills) and (region is None or m.region == region)
        }

    def engagements_of(self, member: str) -> list[Engagement]:
        """Engagements where the member is a party."""
        return [e for e in self.engagements.values() if member in (e.client, e.supplier)]


def read_network(root: Path) -> Network:
    """Read every member and engagement record under ``root/content``."""
    members: dict[str, Member] = {}
    for path in sorted((root / "content" / "members").glob("*.yml")):
        data = _read(path)
        members[path.stem] = Member(
            id=path.stem,
            name=data["name"],
            region=data["region"],
            skills=tuple(data["skills"]),
            status=data.get("status", "active"),
            bio=data.get("bio", ""),
        )
    engagements: dict[str, Engagement] = {}
    for path in sorted((root / "content" / "engagements").glob("*/*/engagement.yml")):
        data = _read(path)
        attesters = tuple(sorted(p.stem for p in path.parent.glob("*.yml") if p.name != "engagement.yml"))
        engagements[path.parent.name] = Engagement(path.parent.name, data["client"], data["supplier"], attesters)
    return Network(root, members, engagements)


@functools.cache
def demo() -> Network:
    """The demo network of the repository (read once)."""
    return read_network(REPO)


@functools.cache
def featured_member() -> str:
    """A member with the richest page: attested engagements as client *and* as supplier."""
    network = demo()

    def weight(member: str) -> tuple[int, int, str]:
        as_client = sum(1 for e in network.engagements.values() if e.client == member and e.supplier in e.attesters)
        as_supplier = sum(1 for e in network.engagements.values() if e.supplier == member and e.client in e.attesters)
        return (min(as_client, as_supplier), as_client + as_supplier, member)

    return max(network.published, key=weight)


@functools.cache
def featured_skill_and_region() -> tuple[str, str]:
    """A skill and a region whose combination is a real filter.

    At least two members match both, and each filter alone would let through somebody
    the combination excludes, so a filter that ignores either criterion is caught.
    """
    network = demo()
    skills = sorted({s for m in network.published.values() for s in m.skills})
    regions = sorted({m.region for m in network.published.values()})
    candidates = []
    for skill in skills:
        for region in regions:
            both = network.with_skill_and_region(skill, region)
            if (
                len(both) >= 2
                and network.with_skill_and_region(skill, None) > both
                and network.with_skill_and_region(None, region) > both
            ):
                candidates.append((-len(both), skill, region))
    assert candidates, "the demo network has no skill and region that make a meaningful combined filter"
    _, skill, region = min(candidates)
    return skill, region


WORD = re.compile(r"[^\W\d_]{9,}")


@functools.cache
def distinctive_bio_word() -> tuple[str, str]:
    """A long word of one member's bio found in no other record: searching it must find them."""
    network = demo()
    corpus = Counter(
        word.casefold()
        for path in sorted((network.root / "content").rglob("*.yml"))
        for word in set(WORD.findall(path.read_text(encoding="utf-8")))
    )
    for member in sorted(network.published.values(), key=lambda m: m.id):
        words = sorted({w for w in WORD.findall(member.bio) if corpus[w.casefold()] == 1}, key=lambda w: (-len(w), w))
        if words:
            return words[0], member.id
    raise AssertionError("no member bio has a word that appears in no other record")


# --- the pages of the site ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PageType:
    """One kind of page, at its path relative to a language's root."""

    kind: str
    path: str


def page_types() -> list[PageType]:
    """One page of every kind, chosen from the demo network."""
    skill, region = featured_skill_and_region()
    return [
        PageType("directory", ""),
        PageType("member", f"members/{featured_member()}/"),
        PageType("evidence", f"members/{featured_member()}/evidence/"),
        PageType("skill", f"skills/{skill}/"),
        PageType("region", f"regions/{region}/"),
        PageType("network", "network/"),
        PageType("method", "method/"),
        PageType("404", "404.html"),
    ]


LANGUAGES = ("fr", "en")
"""The demo's languages, the first at the root and the others under ``/<code>/``."""


def prefix(language: str) -> str:
    """Where a language's pages live."""
    return "" if language == LANGUAGES[0] else f"{language}/"


@dataclass(frozen=True, slots=True)
class PageCase:
    """A page type in a language: what tests are parametrised over."""

    language: str
    type: PageType

    @property
    def path(self) -> str:
        return prefix(self.language) + self.type.path

    @property
    def id(self) -> str:
        return f"{self.language}-{self.type.kind}"


def page_cases() -> list[PageCase]:
    """Every page type in every language."""
    return [PageCase(language, t) for language in LANGUAGES for t in page_types()]


def html_pages(site: Path) -> list[str]:
    """Every HTML file of a built site, as a POSIX path relative to it (Pagefind's UI excluded)."""
    return sorted(
        p.relative_to(site).as_posix()
        for p in site.rglob("*.html")
        if p.is_file() and p.relative_to(site).parts[0] != "pagefind"
    )


def page_url(relative_file: str) -> str:
    """The public path of a page file: ``a/index.html`` → ``a/``."""
    if relative_file == "index.html":
        return ""
    if relative_file.endswith("/index.html"):
        return relative_file[: -len("index.html")]
    return relative_file


# --- a browser tab that records what went wrong ---------------------------------------------


@dataclass
class Visit:
    """What happened while one page loaded."""

    url: str
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        """Every problem, one line each."""
        return [
            *(f"console error: {m}" for m in self.console_errors),
            *(f"page error: {m}" for m in self.page_errors),
            *(f"failed request: {m}" for m in self.failed_requests),
            *(f"dialog: {m}" for m in self.dialogs),
        ]


class Tab:
    """One reusable browser page; every visit starts a fresh record of console errors and failures."""

    def __init__(self, page: Page, root_url: str) -> None:
        self.page = page
        self.root_url = root_url
        self.current = Visit("about:blank")
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.current.page_errors.append(str(error)))
        page.on("requestfailed", self._on_request_failed)
        page.on("response", self._on_response)
        page.on("dialog", self._on_dialog)

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            location = message.location
            where = f" ({location.get('url', '')}:{location.get('lineNumber', '')})" if location else ""
            self.current.console_errors.append(f"{message.text}{where}")

    def _on_request_failed(self, request: Request) -> None:
        if request.failure == "net::ERR_ABORTED" and "/favicon." in request.url:
            # Chromium fetches the favicon on its own schedule and cancels it when the tab moves
            # on; the event can then arrive after the next visit began. Not a fault of the page
            # (a favicon that is really missing shows as an HTTP error in _on_response).
            return
        self.current.failed_requests.append(f"{request.method} {request.url}: {request.failure}")

    def _on_response(self, response: Response) -> None:
        if response.status >= 400:
            self.current.failed_requests.append(f"{response.request.method} {response.url}: HTTP {response.status}")

    def _on_dialog(self, dialog: Dialog) -> None:
        self.current.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def url(self, path: str) -> str:
        """The served URL of a path relative to the site's root."""
        return self.root_url + path

    def visit(self, path: str, *, settle: bool = False) -> Visit:
        """Load a page (relative to the site's root); ``settle`` also waits for the network to go idle."""
        self.current = Visit(self.url(path))
        response = self.page.goto(self.current.url, wait_until="load")
        assert response is not None, f"no response for {self.current.url}"
        assert response.status == 200, f"{self.current.url} answered HTTP {response.status}"
        if settle:
            self.page.wait_for_load_state("networkidle")
        return self.current


def format_lines(title: str, lines: list[str]) -> str:
    """A readable assertion message."""
    return title + ("\n  " + "\n  ".join(lines) if lines else "")


class TagCollector(HTMLParser):
    """Collect every start tag with its attributes (for static checks of built pages)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.data: list[tuple[str, str]] = []
        self._open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._open:
            while self._open and self._open.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if self._open:
            self.data.append((self._open[-1], data))


def parse_tags(html: str) -> TagCollector:
    """Parse HTML into its start tags and text."""
    collector = TagCollector()
    collector.feed(html)
    collector.close()
    return collector


def strings_in(value: Any) -> set[str]:
    """Every string anywhere in a JSON document (to look for ids without assuming its layout)."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return set(value).union(*(strings_in(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(strings_in(v) for v in value)) if value else set()
    return set()
