"""Member-written text never runs as code: a site full of XSS payloads, built and opened in Chromium.

Every field a member writes that reaches a page (name, headline, location, bio, link
addresses, engagement titles and summaries, comments, replies, resolution notes) gets
a corpus of classic and mutation XSS payloads. The records stay valid (the check must
pass: lengths, one-line fields, types), so the payloads go through the real pipeline.
In the browser an init script turns ``window.__xss`` into a trap, dialogs are recorded,
and any ``javascript:`` link is clicked; static checks then read the HTML, the feed,
the SVG badges and the JSON exports for markup that should not be there.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from generator.check import check_site
from generator.diagnostics import Severity

from .conftest import BUILD_DATE, BuiltSite, build_site, serving
from .support import REPO, format_lines, html_pages, page_url, parse_tags, strings_in

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Dialog, Page
    from playwright.sync_api import Error as PlaywrightError
else:  # the fixtures skip when Playwright is missing; this module must still import
    try:
        from playwright.sync_api import Error as PlaywrightError
    except ImportError:
        PlaywrightError = Exception

TRAP = """(() => {
    let last;
    Object.defineProperty(window, "__xss", {
        configurable: false,
        get() { return last; },
        set(value) { last = value; window.__xssReport(String(value), location.href); },
    });
})();"""
"""Runs before any page script, in every frame: setting ``window.__xss`` reports to the test at
once (through a Playwright binding), so a hit is seen even if the payload then navigates away."""

PAYLOADS = (
    "<script>window.__xss=1</script>",
    '<img src=x onerror="window.__xss=1">',
    "<img src=x onerror=alert(1)>",
    '<svg onload="window.__xss=1">',
    '<svg><animate onbegin="window.__xss=1" attributeName=x dur=1s>',
    '<a href="javascript:window.__xss=1">x</a>',
    '<a href=" jav&#x09;ascript:window.__xss=1">t</a>',
    "[x](javascript:window.__xss=1)",
    "[y](JaVaScRiPt:window.__xss=1)",
    "[z](javascript&#58;window.__xss=1)",
    '<iframe srcdoc="<script>parent.__xss=1</script>"></iframe>',
    '<math><mtext><table><mglyph><style><img src=x onerror="window.__xss=1">',
    '<noscript><p title="</noscript><img src=x onerror=window.__xss=1>">',
    '"><script>window.__xss=1</script>',
    "'><script>window.__xss=1</script>",
    '" onmouseover="window.__xss=1" x="',
    "</textarea><script>window.__xss=1</script>",
    "</title><script>window.__xss=1</script>",
    "</script><script>window.__xss=1</script>",
    "</style><script>window.__xss=1</script>",
    "&lt;script&gt;window.__xss=1&lt;/script&gt;",
    "&amp;lt;img src=x onerror=window.__xss=1&amp;gt;",
    "&#60;img src=x onerror=window.__xss=1&#62;",
    '<details open ontoggle="window.__xss=1">',
    '<form><button formaction="javascript:window.__xss=1">go</button></form>',
    '<input autofocus onfocus="window.__xss=1">',
    '<a href="data:text/html;base64,PHNjcmlwdD5wYXJlbnQuX194c3M9MTwvc2NyaXB0Pg==">d</a>',
    "[d](data:text/html;base64,PHNjcmlwdD5wYXJlbnQuX194c3M9MTwvc2NyaXB0Pg==)",
    '<object data="data:text/html,<script>parent.__xss=1</script>"></object>',
    '<meta http-equiv="refresh" content="0;url=javascript:window.__xss=1">',
    '<base href="javascript:window.__xss=1//">',
    '<style>@import "javascript:window.__xss=1";</style>',
    "<body onload=window.__xss=1>",
    "{{ window.__xss }}{% raw %}${window.__xss=1}",
)
LINK_PAYLOADS = {
    "website": 'https://evil.example/"><script>window.__xss=1</script>',
    "portfolio": "https://evil.example/'onmouseover='window.__xss=1'",
}
"""Addresses must be https:// URLs; these are valid ones that try to break out of an attribute."""

TRAP_CANARY = "trap-canary.html"
TRAP_CANARY_HTML = (
    "<!doctype html><title>canary</title>"
    "<img src=x onerror=\"window.__xss='img'\"><a href=\"javascript:window.__xss='link'\">x</a>"
    "<script>alert('dialog')</script>"
)
"""Written into the built payload site: the page where payloads do run, to prove the probe sees them."""

NAME_LIMIT, LOCATION_LIMIT, HEADLINE_LIMIT, TITLE_LIMIT = 80, 80, 120, 140
BIO_LIMIT, SUMMARY_LIMIT, COMMENT_LIMIT, NOTE_LIMIT = 4000, 4000, 2000, 2000


def chunks(limit: int) -> list[str]:
    """The whole corpus as Markdown paragraphs, split into texts of at most ``limit`` characters."""
    out: list[str] = []
    current: list[str] = []
    for payload in PAYLOADS:
        if current and len("\n\n".join([*current, payload])) > limit:
            out.append("\n\n".join(current))
            current = []
        current.append(payload)
    out.append("\n\n".join(current))
    return out


def q(text: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def block(text: str) -> str:
    """A YAML literal block (``|``) for multi-line Markdown."""
    return "|\n" + "".join(f"  {line}\n" if line else "\n" for line in text.split("\n"))


@dataclass(frozen=True, slots=True)
class XssSite:
    """The payload-laden site, built and served."""

    built: BuiltSite
    url: str
    names: dict[str, str]
    """Member id → its payload name, as written."""


def packed(limit: int) -> list[str]:
    """The payloads that fit a one-line field, several per value (space-separated) up to ``limit``."""
    out: list[str] = []
    for payload in (p for p in PAYLOADS if len(p) <= limit):
        if out and len(out[-1]) + 1 + len(payload) <= limit:
            out[-1] += " " + payload
        else:
            out.append(payload)
    return out


def write_payload_site(root: Path) -> dict[str, str]:
    """Copy the base site and add members and engagements whose every text field is a payload."""
    shutil.copytree(REPO / "tests" / "invalid" / "_base", root)
    names, headlines, locations, titles = (
        packed(NAME_LIMIT),
        packed(HEADLINE_LIMIT),
        packed(LOCATION_LIMIT),
        packed(TITLE_LIMIT),
    )
    bios, summaries, comments, notes = (
        chunks(BIO_LIMIT),
        chunks(SUMMARY_LIMIT),
        chunks(COMMENT_LIMIT),
        chunks(NOTE_LIMIT),
    )
    count = max(len(names), len(headlines), len(locations), len(titles), len(comments) + 1, len(notes), 2)
    written: dict[str, str] = {}
    members = root / "content" / "members"
    for i in range(count):
        member = f"payload-{i:02d}"
        written[member] = names[i % len(names)]
        links = "".join(f"  {label}: {q(url)}\n" for label, url in LINK_PAYLOADS.items()) if i == 0 else ""
        (members / f"{member}.yml").write_text(
            f"name: {q(written[member])}\n"
            "kind: person\n"
            f"headline: {q(headlines[i % len(headlines)])}\n"
            "region: ile-de-france\n"
            f"location: {q(locations[i % len(locations)])}\n"
            "skills: [motion-design, photography]\n"
            "joined: 2024-01-15\n" + (f"links:\n{links}" if links else "") + f"bio: {block(bios[i % len(bios)])}",
            encoding="utf-8",
        )
    for i in range(count):
        client, supplier = f"payload-{i:02d}", f"payload-{(i + 1) % count:02d}"
        engagement = f"payload-work-{i:02d}"
        folder = root / "content" / "engagements" / "2025" / engagement
        folder.mkdir(parents=True)
        (folder / "engagement.yml").write_text(
            f"title: {q(titles[i % len(titles)])}\n"
            f"client: {client}\n"
            f"supplier: {supplier}\n"
            "skills: [motion-design]\n"
            "started: 2025-03-03\n"
            "deadline: 2025-04-01\n"
            "invoice_due: 2025-05-02\n"
            f"summary: {block(summaries[i % len(summaries)])}",
            encoding="utf-8",
        )
        disputed = i < len(notes)
        (folder / f"{client}.yml").write_text(
            "date: 2025-06-02\n"
            "delivery: on_time\n"
            "delivered: 2025-03-31\n"
            "quality: 4\n"
            "relationship: 5\n"
            "recommend: true\n"
            f"comment: {block(comments[i % len(comments)])}"
            f"reply: {block(comments[(i + 1) % len(comments)])}",
            encoding="utf-8",
        )
        (folder / f"{supplier}.yml").write_text(
            "date: 2025-06-03\n"
            "payment: on_time\n"
            "paid: 2025-04-30\n"
            "relationship: 5\n"
            "recommend: true\n"
            f"comment: {block(comments[(i + 1) % len(comments)])}"
            f"reply: {block(comments[i % len(comments)])}" + ("disputes: [quality]\n" if disputed else ""),
            encoding="utf-8",
        )
        if disputed:
            (root / "content" / "resolutions" / f"{engagement}.yml").write_text(
                f"by: claire-dubois\ndate: 2025-07-01\nupheld: [quality]\nwithdrawn: []\nnote: {block(notes[i])}",
                encoding="utf-8",
            )
    return written


@pytest.fixture(scope="module")
def xss_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[XssSite]:
    """The payload site: checked (it must be valid), built with its search index, and served."""
    root = tmp_path_factory.mktemp("xss") / "network"
    names = write_payload_site(root)
    checked = check_site(root, BUILD_DATE)
    errors = [d for d in checked.diagnostics if d.severity is Severity.ERROR]
    assert not errors, format_lines("the payload site must be valid, but check reports:", [d.render() for d in errors])
    built = build_site(root, root.parent / "site")
    (built.root / TRAP_CANARY).write_text(TRAP_CANARY_HTML, encoding="utf-8")
    with serving(built.root) as url:
        yield XssSite(built, url, names)


# --- in the browser -------------------------------------------------------------------------------

FIND_JAVASCRIPT_LINKS = """async () => {
    await new Promise(resolve => setTimeout(resolve, 50));  // onbegin and friends fire just after load
    const links = Array.from(document.querySelectorAll("a[href], area[href]"))
        .filter(a => a.protocol === "javascript:" || /^\\s*javascript:/i.test(a.getAttribute("href")))
        .map(a => a.getAttribute("href"));
    return {links, xss: window.__xss === undefined ? null : String(window.__xss)};
}"""
CLICK_JAVASCRIPT_LINK = """(index) => Array.from(document.querySelectorAll("a[href], area[href]"))
    .filter(a => a.protocol === "javascript:" || /^\\s*javascript:/i.test(a.getAttribute("href")))[index].click()"""


@dataclass
class Trapped:
    """A tab where ``window.__xss`` is a trap in every frame, with what the trap and dialogs saw."""

    page: Page
    hits: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def on_hit(self, source: object, value: str, where: str) -> None:
        self.hits.append(f"{value} at {where}")

    def on_dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def clear(self) -> None:
        self.hits.clear()
        self.dialogs.clear()

    def problems(self) -> list[str]:
        return [
            *(f"window.__xss was set: {hit}" for hit in self.hits),
            *(f"a dialog opened: {d}" for d in self.dialogs),
        ]


@pytest.fixture(scope="module")
def trapped(chromium: Browser, xss_site: XssSite) -> Iterator[Trapped]:
    """One trapped tab for the payload site."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    tab = Trapped(context.new_page())
    context.expose_binding("__xssReport", tab.on_hit)
    context.add_init_script(TRAP)
    tab.page.on("dialog", tab.on_dialog)
    try:
        yield tab
    finally:
        context.close()


def visit_and_probe(tab: Trapped, url: str) -> list[str]:
    """Load a URL, let late handlers fire, click any javascript: link; return what went wrong."""
    page = tab.page
    tab.clear()
    page.goto(url, wait_until="load")
    probe = page.evaluate(FIND_JAVASCRIPT_LINKS)
    links: list[str] = probe["links"]
    defined = [] if probe["xss"] is None else [f"window.__xss is {probe['xss']!r}"]
    for index in range(len(links)):
        with contextlib.suppress(PlaywrightError):  # a javascript: URL's value replaces the document
            page.evaluate(CLICK_JAVASCRIPT_LINK, index)
        page.wait_for_timeout(100)
        if index + 1 < len(links):  # the click may have replaced the document: start again for the next
            page.goto(url, wait_until="load")
    return [*(f"javascript: link {href!r}" for href in links), *defined, *tab.problems()]


def site_pages(site: Path) -> list[str]:
    """The HTML pages the build wrote (the trap's canary is ours)."""
    return [p for p in html_pages(site) if p != TRAP_CANARY]


def test_the_trap_catches_a_payload_that_runs(trapped: Trapped, xss_site: XssSite) -> None:
    """Positive control: on a page where payloads do run, the probe must see all three kinds."""
    problems = visit_and_probe(trapped, xss_site.url + TRAP_CANARY)
    assert any("window.__xss was set: img" in p for p in problems), problems
    assert any("window.__xss was set: link" in p for p in problems), problems
    assert any(p.startswith("javascript: link") for p in problems), problems
    assert any(p.startswith("a dialog opened") for p in problems), problems


def test_no_payload_runs_on_any_page_or_output(trapped: Trapped, xss_site: XssSite) -> None:
    site = xss_site.built.root
    # Every page; and the SVG and XML files that member text reached (the others are static
    # checks only: loading 100 side badges that carry no member text would prove nothing).
    targets = [
        *(page_url(p) for p in site_pages(site)),
        *(
            p.relative_to(site).as_posix()
            for p in sorted([*site.rglob("*.svg"), *site.rglob("*.xml")])
            if b"__xss" in p.read_bytes()
        ),
    ]
    problems: list[str] = []
    for target in targets:
        problems.extend(f"{target or '/'}: {p}" for p in visit_and_probe(trapped, xss_site.url + target))
    assert not problems, format_lines(f"payloads ran on {len(targets)} pages and files:", problems[:80])


def test_member_names_are_shown_as_written(trapped: Trapped, xss_site: XssSite) -> None:
    wrong = []
    page = trapped.page
    for member, name in sorted(xss_site.names.items()):
        page.goto(f"{xss_site.url}members/{member}/", wait_until="load")
        heading = page.locator("h1").first.inner_text() if page.locator("h1").count() else ""
        if name not in heading:
            wrong.append(f"members/{member}/: <h1> shows {heading!r}, expected the name {name!r} as text")
    assert not wrong, format_lines("payload names must be escaped, not removed or interpreted:", wrong[:20])


def test_search_results_do_not_run_payloads(trapped: Trapped, xss_site: XssSite) -> None:
    page = trapped.page
    trapped.clear()
    page.goto(xss_site.url, wait_until="networkidle")
    search = page.locator("input#search")
    assert search.count() == 1, "the directory has no <input id=search>"
    for term in ("script", "onerror"):
        search.fill(term)
        page.locator("#search-results a").first.wait_for(state="visible", timeout=10_000)
        page.wait_for_timeout(300)  # let every result render (and any payload in it fire)
        assert not trapped.problems(), f"results for {term!r} ran payloads: {trapped.problems()}"


def test_cards_drawn_from_the_json_index_do_not_run_payloads(trapped: Trapped, xss_site: XssSite) -> None:
    """The name sort draws every card from ``directory.json``: member text goes in as text only."""
    page = trapped.page
    trapped.clear()
    page.goto(f"{xss_site.url}?sort=name", wait_until="load")
    expect_ = pytest.importorskip("playwright.sync_api").expect
    expect_(page.locator("#members")).not_to_have_attribute("aria-busy", "true")
    expect_(page.locator("#members .member-card").first).to_be_visible()
    page.wait_for_timeout(300)  # let any payload in a drawn card fire
    names = set(page.locator("#members .member-card .card-name").all_inner_texts())
    missing = sorted(name for name in xss_site.names.values() if name not in names)
    assert not missing, f"names not shown as text by the script's cards: {missing[:5]}"
    assert not trapped.problems(), f"cards drawn from the JSON index ran payloads: {trapped.problems()}"


# --- static checks of the outputs -----------------------------------------------------------------

DANGEROUS_SCHEME = re.compile(r"^(javascript|vbscript|data):", re.IGNORECASE)
URL_ATTRIBUTES = ("href", "src", "action", "formaction", "data", "xlink:href", "srcset", "poster", "background")
FORBIDDEN_ELEMENTS = {"iframe", "frame", "frameset", "object", "embed", "applet", "base", "math", "portal"}


def scheme_of(value: str) -> str:
    """A URL as a browser reads its scheme: without spaces and control characters."""
    return re.sub(r"[\x00-\x20]", "", value)


def active_markup(html: str) -> list[str]:
    """Markup in a document that could run code or navigate to code."""
    parsed = parse_tags(html)
    found: list[str] = []
    for tag, attrs in parsed.tags:
        for name, value in attrs.items():
            if name.startswith("on"):
                found.append(f"<{tag} {name}={value!r}>")
            if name in URL_ATTRIBUTES and value and DANGEROUS_SCHEME.match(scheme_of(value)):
                found.append(f"<{tag} {name}={value!r}>")
            if name == "srcdoc":
                found.append(f"<{tag} srcdoc>")
        if tag in FORBIDDEN_ELEMENTS:
            found.append(f"<{tag}>")
        if tag == "meta" and (attrs.get("http-equiv") or "").lower() == "refresh":
            found.append("<meta http-equiv=refresh>")
    found.extend(
        f"<{tag}> containing {text.strip()[:60]!r}"
        for tag, text in parsed.data
        if "__xss" in text and tag in ("script", "style")
    )
    return found


def test_pages_contain_no_active_markup_from_members(xss_site: XssSite) -> None:
    site = xss_site.built.root
    problems = [
        f"{page}: {item}"
        for page in site_pages(site)
        for item in active_markup((site / page).read_text(encoding="utf-8"))
    ]
    assert not problems, format_lines("member text became active markup:", problems[:80])


def xml_problems(path: Path, raw: bytes) -> list[str]:
    """An XML output (Atom feed, SVG badge, sitemap) must parse and carry no active content."""
    if b"<script" in raw.lower():
        return ["raw <script> markup in the file"]
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        return [f"does not parse as XML: {exc}"]
    problems: list[str] = []
    for element in root.iter():
        local = element.tag.rsplit("}", 1)[-1]
        if local in {"script", "foreignObject", *FORBIDDEN_ELEMENTS}:
            problems.append(f"element <{local}>")
        for name, value in element.attrib.items():
            attr = name.rsplit("}", 1)[-1]
            if attr.startswith("on"):
                problems.append(f"<{local} {attr}=...>")
            if attr in ("href", "src") and DANGEROUS_SCHEME.match(scheme_of(value)):
                problems.append(f"<{local} {attr}={value!r}>")
        if element.get("type") == "html" and element.text:
            problems.extend(f"<{local} type=html> decodes to {item}" for item in active_markup(element.text))
    return problems


def test_feed_svg_and_json_outputs_carry_no_active_payload(xss_site: XssSite) -> None:
    site = xss_site.built.root
    problems: list[str] = []
    xml_files = sorted([*site.rglob("*.xml"), *site.rglob("*.svg")])
    assert any(p.name == "feed.xml" for p in xml_files), "the payload site has no feed.xml"
    assert any(p.suffix == ".svg" for p in xml_files), "the payload site has no SVG badge"
    for path in xml_files:
        problems.extend(f"{path.relative_to(site)}: {p}" for p in xml_problems(path, path.read_bytes()))
    json_files = sorted(p for p in site.rglob("*.json") if p.relative_to(site).parts[0] != "pagefind")
    assert json_files, "the payload site has no JSON export"
    for path in json_files:
        try:
            json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            problems.append(f"{path.relative_to(site)}: not valid JSON ({exc})")
    # JSON is data: names travel exactly as written (escaping is the consumer's job; text
    # HTML-escaped here would show up as "&lt;" on every site that escapes it again).
    members_json = site / "api" / "members.json"
    if members_json.is_file():
        texts = strings_in(json.loads(members_json.read_text(encoding="utf-8")))
        problems.extend(
            f"api/members.json: the name of {member} is not there as written ({name!r})"
            for member, name in sorted(xss_site.names.items())
            if name not in texts
        )
    else:
        problems.append("the payload site has no api/members.json")
    assert not problems, format_lines("outputs carry payloads as active content:", problems[:80])
