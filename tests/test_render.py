"""The rendered site: golden pages, links, themes, and what may never reach a page.

The small network of ``tests/invalid/_base`` (valid on its own) is rendered in full
for every test that needs a site; golden files under ``tests/golden/`` pin a few
pages byte for byte (regenerate them with ``pytest tests/test_render.py
--update-golden`` and review the diff). Hashed asset names are normalised in the
goldens, so restyling the theme does not churn them.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator import charts
from generator import render as render_module
from generator.check import check_site
from generator.markup import render_markdown
from generator.render import (
    DEFAULT_THEME,
    Renderer,
    ThemeError,
    hashed_name,
    load_theme,
    public_path,
    relative_url,
    render_site,
)
from generator.score import score_site
from generator.views import plain_markdown
from generator.vocabulary import humanise, region_name

from .conftest import REPO, TODAY

BASE = REPO / "tests" / "invalid" / "_base"
GOLDEN = REPO / "tests" / "golden"
BUILD_DATE = dt.date.fromisoformat(TODAY)

Site = dict[str, bytes]


def render(root: Path, jobs: int = 1, search: bool = False) -> Site:
    """Every output of the site in ``root``, by path (the site must be valid).

    With ``search``, also the search documents the indexer reads (never published).
    """
    checked = check_site(root, BUILD_DATE)
    errors = [d.render() for d in checked.diagnostics if d.severity.value == "error"]
    assert not errors, errors
    scores = score_site(checked.site)
    theme = load_theme(root, checked.site.config.theme)
    return {o.path: o.content for o in render_site(checked.site, scores, theme, jobs=jobs, search=search)}


def make_site(tmp_path: Path, files: dict[str, str] | None = None, name: str = "site") -> Path:
    """A copy of the base network, with files added or replaced (dedented)."""
    root = tmp_path / name
    shutil.copytree(BASE, root)
    for rel, text in (files or {}).items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def base_site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    return render(make_site(tmp_path_factory.mktemp("base")))


def html(site: Site, path: str) -> str:
    return site[path].decode("utf-8")


# ----------------------------------------------------------------------------- golden pages

GOLDEN_PAGES = {
    "index.fr.html": "index.html",
    "member-ines-moreau.fr.html": "members/ines-moreau/index.html",
    "member-ines-moreau.en.html": "en/members/ines-moreau/index.html",
    "evidence-ines-moreau.fr.html": "members/ines-moreau/evidence/index.html",
    "evidence-ines-moreau.en.html": "en/members/ines-moreau/evidence/index.html",
    "network.fr.html": "network/index.html",
}


def normalise(text: str) -> str:
    """Hashed asset names change with every stylesheet edit; the pages' structure does not."""
    return re.sub(r"(static/[\w./-]+?)\.[0-9a-f]{10}\.(\w+)", r"\1.HASH.\2", text)


@pytest.mark.parametrize("golden", sorted(GOLDEN_PAGES))
def test_pages_match_their_golden_files(base_site: Site, golden: str, update_golden: bool) -> None:
    rendered = normalise(html(base_site, GOLDEN_PAGES[golden]))
    path = GOLDEN / golden
    if update_golden:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(rendered, encoding="utf-8")
    assert path.is_file(), f"{path} is missing: run pytest tests/test_render.py --update-golden"
    assert rendered == path.read_text(encoding="utf-8"), (
        f"{GOLDEN_PAGES[golden]} differs from {path.relative_to(REPO)}; if the change is intended, "
        "run pytest tests/test_render.py --update-golden and review the diff"
    )


# ----------------------------------------------------------------------------- the page list


def test_every_page_exists_in_every_language(base_site: Site) -> None:
    pages = {p for p in base_site if p.endswith(".html")}
    for path in (
        "index.html",
        "skills/index.html",
        "regions/index.html",
        "skills/motion-design/index.html",
        "regions/ile-de-france/index.html",
        "network/index.html",
        "method/index.html",
        "404.html",
        "members/ines-moreau/index.html",
        "members/atelier-lumen/index.html",
        "members/claire-dubois/index.html",
    ):
        assert path in pages and f"en/{path}" in pages, path
    assert {"sitemap.xml", "robots.txt"} <= set(base_site)


def test_language_switch_lands_on_the_same_page(base_site: Site) -> None:
    switch = re.compile(r'<nav class="language-switch".*?</nav>', re.S)
    for path in ("index.html", "members/ines-moreau/index.html", "skills/motion-design/index.html"):
        fr = switch.search(html(base_site, path))
        en = switch.search(html(base_site, "en/" + path))
        assert fr and en
        assert 'hreflang="en"' in fr.group(0) and 'hreflang="fr"' in en.group(0)
        target = re.search(r'href="([^"]+)" hreflang="en"', fr.group(0))
        assert target is not None
        folder = path.rsplit("/", 1)[0] if "/" in path else ""
        landed = Path("/site", folder, target.group(1)).resolve()
        assert landed == Path("/site/en", folder).resolve(), (path, target.group(1))


def test_pages_declare_alternates_canonical_and_open_graph(base_site: Site) -> None:
    page = html(base_site, "members/ines-moreau/index.html")
    assert '<link rel="canonical" href="https://base.example/members/ines-moreau/">' in page
    assert '<link rel="alternate" hreflang="en" href="https://base.example/en/members/ines-moreau/">' in page
    assert '<meta property="og:locale" content="fr_FR">' in page
    assert re.search(
        r'<meta property="og:image" content="https://base\.example/static/og-card\.[0-9a-f]{10}\.png">', page
    )
    description = re.search(r'<meta property="og:description" content="([^"]*)">', page)
    assert description is not None
    text = description.group(1).replace("\u00a0", " ")
    assert text.startswith("Inès Moreau — relation : ") and "délais : " in text and "paiement : " in text, text
    assert '<link rel="alternate" type="application/atom+xml" href="../../feed.xml"' in page
    assert "Content-Security-Policy" in page and "<script>" not in page


def test_sitemap_lists_every_page_with_its_alternates(base_site: Site) -> None:
    """Every page but the 404 and the evidence pages, which their member page links to (a sitemap holds 50,000 URLs)."""
    sitemap = html(base_site, "sitemap.xml")
    pages = sorted(p for p in base_site if p.endswith(".html") and not p.endswith(("404.html", "/evidence/index.html")))
    assert any(p.endswith("/evidence/index.html") for p in base_site)
    locs = re.findall(r"<loc>([^<]+)</loc>", sitemap)
    assert sorted(locs) == sorted("https://base.example/" + public_path(p) for p in pages)
    assert 'hreflang="en" href="https://base.example/en/members/ines-moreau/"' in sitemap
    assert html(base_site, "robots.txt").endswith("Sitemap: https://base.example/sitemap.xml\n")


def test_a_site_beyond_one_sitemap_gets_a_sitemap_index(
    base_site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the protocol's limit of addresses per sitemap, sitemap.xml names sitemaps that share them in order."""
    single = re.findall(r"<url>.*?</url>", html(base_site, "sitemap.xml"))
    limit = 4
    assert len(single) > 2 * limit  # three sitemaps at least
    monkeypatch.setattr(render_module, "SITEMAP_URLS", limit)
    site = render(make_site(tmp_path))
    index = ET.fromstring(site["sitemap.xml"])
    assert index.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}sitemapindex"
    named = [loc.text for loc in index.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    expected = [f"https://base.example/sitemaps/{n}.xml" for n in range(1, -(-len(single) // limit) + 1)]
    assert named == expected
    parts = [html(site, url.removeprefix("https://base.example/")) for url in expected]
    urls = [re.findall(r"<url>.*?</url>", part) for part in parts]
    assert all(1 <= len(found) <= limit for found in urls)
    assert [u for found in urls for u in found] == single  # every address once, with its alternates, in order
    assert all(ET.fromstring(part).tag.endswith("urlset") for part in parts)
    assert html(site, "robots.txt").endswith("Sitemap: https://base.example/sitemap.xml\n")


def test_colleagues_outputs_are_part_of_the_site(base_site: Site) -> None:
    for path in ("api/members.json", "badges/ines-moreau.svg", "feed.xml", "en/feed.xml"):
        assert path in base_site, path


def test_two_renders_are_byte_identical(tmp_path: Path, base_site: Site) -> None:
    assert render(make_site(tmp_path)) == base_site


@pytest.mark.parametrize("jobs", [2, 3])
def test_worker_processes_render_the_same_bytes(
    tmp_path: Path, base_site: Site, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    """The main process draws parts beside the workers: whoever draws a part, the site is the same."""
    monkeypatch.setattr("generator.render.PARALLEL_THRESHOLD", 0)
    monkeypatch.setattr("generator.render.CHUNK", 1)  # one part per member: many to share out
    assert render(make_site(tmp_path), jobs=jobs) == base_site


def test_the_main_process_draws_parts_beside_its_worker(
    tmp_path: Path, base_site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A part the worker has not started is drawn here, instead of waiting (one copy of the model fewer)."""
    drawn_here: list[str] = []
    real = render_module._own_units

    def own_units(plan: Any, part: Any) -> Any:
        if os.getpid() == parent:
            drawn_here.append(part.kind)
        return real(plan, part)

    parent = os.getpid()
    monkeypatch.setattr("generator.render.PARALLEL_THRESHOLD", 0)
    monkeypatch.setattr("generator.render.CHUNK", 1)
    monkeypatch.setattr(render_module, "_own_units", own_units)
    assert render(make_site(tmp_path), jobs=2) == base_site
    assert drawn_here, "the main process drew no part"


# ----------------------------------------------------------------------------- links and assets


@pytest.mark.parametrize(
    ("start", "target", "expected"),
    [
        ("index.html", "", "./"),
        ("index.html", "members/a/", "members/a/"),
        ("members/a/index.html", "", "../../"),
        ("members/a/index.html", "members/b/", "../b/"),
        ("members/a/index.html", "members/a/", "./"),
        ("members/a/index.html", "members/b/#e-x", "../b/#e-x"),
        ("members/a/index.html", "static/style.0123456789.css", "../../static/style.0123456789.css"),
        ("en/members/a/index.html", "members/a/", "../../../members/a/"),
        ("en/index.html", "", "../"),
        ("en/index.html", "en/", "./"),
        ("skills/index.html", "skills/x/", "x/"),
        ("404.html", "feed.xml", "feed.xml"),
    ],
)
def test_relative_url(start: str, target: str, expected: str) -> None:
    assert relative_url(start, target) == expected


def test_every_relative_link_of_every_page_resolves(base_site: Site) -> None:
    """Relative links land on a file of the site (folders on their index.html)."""
    files = set(base_site)
    broken = []
    for path, content in base_site.items():
        if not path.endswith(".html") or path.endswith("404.html"):
            continue
        for link in re.findall(r'(?:href|src)="([^"#:]*)(?:#[^"]*)?"', content.decode()):
            if not link or link.startswith("//"):
                continue
            resolved = Path("/", Path(path).parent, link).resolve()
            target = str(resolved)[1:] + ("/index.html" if link.endswith(("/", ".")) else "")
            target = target.lstrip("/").replace("//", "/")
            if target == "/index.html":
                target = "index.html"
            if target not in files and target.rstrip("/") + "/index.html" not in files:
                broken.append((path, link))
    assert broken == []


def test_hashed_names() -> None:
    assert hashed_name("style.css", b"body{}") == "style.7c98040a54.css"  # sha256, first ten hex digits
    assert hashed_name("style.css", b"body{} ") != hashed_name("style.css", b"body{}")
    assert hashed_name("fonts/LICENSE", b"x").startswith("fonts/LICENSE.")
    assert public_path("members/a/index.html") == "members/a/" and public_path("index.html") == ""


def test_static_assets_are_hashed_and_referenced(base_site: Site) -> None:
    assets = [p for p in base_site if p.startswith("static/")]
    assert {re.sub(r"\.[0-9a-f]{10}\.", ".", p) for p in assets} >= {
        "static/style.css",
        "static/triangle.js",
        "static/og-card.png",
        "static/favicon.svg",
    }
    style = next(p for p in assets if p.startswith("static/style."))
    assert f'href="../../{style}"' in html(base_site, "members/ines-moreau/index.html")
    assert f'href="/{style}"' in html(base_site, "404.html"), "404.html is served anywhere: links from the root"


# ----------------------------------------------------------------------------- themes


def test_a_site_theme_overrides_one_template_and_one_asset(tmp_path: Path) -> None:
    root = make_site(
        tmp_path,
        {
            "themes/default/templates/base.html": """
                <!doctype html><html lang="{{ lang }}"><head><title>{% block title %}{% endblock %}</title>
                <link rel="stylesheet" href="{{ asset('style.css') }}"></head>
                <body><p>OUR OWN LAYOUT</p><main>{% block content %}{% endblock %}</main></body></html>
            """,
            "themes/default/static/style.css": "body { color: rebeccapurple; }\n",
        },
    )
    site = render(root)
    page = html(site, "members/ines-moreau/index.html")
    assert "OUR OWN LAYOUT" in page, "the site's base.html is used"
    assert "<h1>Inès Moreau</h1>" in page, "member.html still comes from the default theme"
    css = next(p for p in site if p.startswith("static/style."))
    assert site[css] == b"body { color: rebeccapurple; }\n"
    assert hashed_name("style.css", site[css]) == css[len("static/") :]
    assert any(p.startswith("static/triangle.") for p in site), "other assets still come from the default theme"


def test_a_typo_in_a_template_fails_the_build_with_its_name(tmp_path: Path) -> None:
    root = make_site(
        tmp_path,
        {
            "themes/default/templates/404.html": (
                "{% extends 'base.html' %}{% block content %}{{ membre.name }}{% endblock %}"
            )
        },
    )
    with pytest.raises(ThemeError, match=r"'404\.html' failed on 404\.html: 'membre' is undefined"):
        render(root)


def test_an_unknown_theme_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="theme 'fancy' does not exist"):
        load_theme(tmp_path, "fancy")


def test_the_default_theme_ships_its_catalogs_and_assets() -> None:
    for path in ("templates/base.html", "static/style.css", "static/og-card.png", "locales/messages.pot"):
        assert (DEFAULT_THEME / path).is_file(), path
    png = (DEFAULT_THEME / "static" / "og-card.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(png[16:20], "big") == 1200 and int.from_bytes(png[20:24], "big") == 630


# ----------------------------------------------------------------------------- privacy rules

WITHDRAWN = {
    "content/members/atelier-lumen.yml": """
        name: Atelier Lumen
        kind: organisation
        headline: Graphic design studio
        region: auvergne-rhone-alpes
        location: Lyon
        skills: [graphic-design, branding]
        joined: 2023-03-01
        sponsors: [claire-dubois]
        status: withdrawn
    """,
}


def test_a_withdrawn_member_has_no_page_and_is_only_a_former_member(tmp_path: Path) -> None:
    site = render(make_site(tmp_path, WITHDRAWN))
    assert not any("atelier-lumen" in path for path in site if path.endswith(".html")), "no page of their own"
    for path, content in site.items():
        # The method page quotes docs/scoring.md, whose worked example has its own cast.
        if path.endswith((".html", ".xml")) and "method/" not in path:
            text = content.decode()
            assert "Atelier Lumen" not in text, f"{path} names a withdrawn member"
            assert "atelier-lumen" not in text, f"{path} links to a withdrawn member"
            assert "Clear planning and impeccable files." not in text, f"{path} quotes a withdrawn member"
    page = html(site, "members/ines-moreau/index.html")
    assert "ancien membre" in page
    assert "Les commentaires d’un ancien membre ne sont pas publiés." in page
    # Their statements still count (the score is unchanged), without their words.
    assert 'id="e-poster-series"' in page
    assert 'data-member="atelier-lumen"' not in html(site, "index.html")


AWAITING = {
    "content/engagements/2026/autumn-brochure/engagement.yml": """
        title: Brochure for the autumn fair
        client: atelier-lumen
        supplier: claire-dubois
        skills: [photography]
        started: 2026-09-01
        deadline: 2026-10-15
    """,
    "content/engagements/2026/autumn-brochure/atelier-lumen.yml": """
        date: 2026-11-20
        delivery: late
        quality: 2
        relationship: 2
        recommend: false
        comment: The photographs came three weeks late and SECRET-COMPLAINT.
    """,
}


def engagement_block(page: str, engagement: str) -> str:
    match = re.search(rf'<article class="engagement[^"]*" id="e-{engagement}">.*?</article>', page, re.S)
    assert match is not None, f"no block for {engagement}"
    return match.group(0)


def test_a_negative_statement_within_the_reply_window_is_only_awaiting_reply(tmp_path: Path) -> None:
    site = render(make_site(tmp_path, AWAITING))
    for language, prefix, waiting, late in (
        ("fr", "", "en attente de réponse", "en retard"),
        ("en", "en/", "awaiting reply", "late"),
    ):
        for member in ("claire-dubois", "atelier-lumen"):
            page = html(site, f"{prefix}members/{member}/index.html")
            assert "SECRET-COMPLAINT" not in page, (language, member)
            block = engagement_block(page, "autumn-brochure")
            assert waiting in block
            assert late not in block and "2/5" not in block, (language, member, block)
        evidence = html(site, f"{prefix}members/claire-dubois/evidence/index.html")
        rows = [r for r in evidence.split("<tr") if 'href="../#e-autumn-brochure"' in r]
        assert rows and all(waiting in r and late not in r and "2/5" not in r for r in rows), rows


def test_once_the_reply_window_is_over_the_statement_is_published(tmp_path: Path) -> None:
    files = dict(AWAITING)
    files["content/engagements/2026/autumn-brochure/atelier-lumen.yml"] = files[
        "content/engagements/2026/autumn-brochure/atelier-lumen.yml"
    ].replace("2026-11-20", "2026-10-20")
    site = render(make_site(tmp_path, files))
    block = engagement_block(html(site, "members/claire-dubois/index.html"), "autumn-brochure")
    assert "SECRET-COMPLAINT" in block and "en retard" in block


# ----------------------------------------------------------------------------- no executable markup

PAYLOADS = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "</textarea><svg onload=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "[click](javascript:alert(1))",
    "<iframe src=javascript:alert(1)></iframe>",
)
PAYLOAD = " ".join(PAYLOADS)


def xss_files() -> dict[str, str]:
    """The base network with an attack in every field a member writes that reaches a page."""

    def quoted(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    block = "|\n" + "".join(f"  {line}\n" for line in PAYLOADS)

    def record(*lines: str) -> str:
        return "\n".join(lines) + "\n"

    return {
        "content/members/ines-moreau.yml": record(
            f"name: {quoted('Inès <script>alert(1)</script>')}",
            "kind: person",
            "headline: " + quoted('Motion "><img src=x onerror=alert(1)>'),
            "region: ile-de-france",
            f"location: {quoted('</textarea><svg onload=alert(1)>')}",
            "skills: [motion-design, illustration]",
            "joined: 2024-09-02",
            "sponsors: [claire-dubois]",
            "links:",
            "  website: https://ines.example.org/?q=%3Cscript%3E",
            '  portfolio: https://example.org/"onmouseover="alert(1)',
            f"bio: {block}",
        ),
        "content/engagements/2025/poster-series/engagement.yml": record(
            f"title: {quoted('Posters <img src=x onerror=alert(1)>')}",
            "client: atelier-lumen",
            "supplier: ines-moreau",
            "skills: [motion-design]",
            "started: 2025-01-12",
            "deadline: 2025-02-27",
            "invoice_due: 2025-04-01",
            f"summary: {block}",
        ),
        "content/engagements/2025/poster-series/atelier-lumen.yml": record(
            "date: 2025-03-04",
            "delivery: on_time",
            "delivered: 2025-02-26",
            "quality: 3",
            "relationship: 5",
            "recommend: true",
            f"comment: {block}",
            f"reply: {block}",
        ),
        "content/engagements/2025/poster-series/ines-moreau.yml": record(
            "date: 2025-04-20",
            "payment: late",
            "paid: 2025-04-18",
            "relationship: 4",
            "recommend: true",
            f"comment: {block}",
            f"reply: {block}",
            "disputes: [quality]",
        ),
        "content/resolutions/poster-series.yml": record(
            "by: claire-dubois",
            "date: 2025-05-02",
            "upheld: [quality]",
            "withdrawn: []",
            f"note: {block}",
        ),
    }


class Executable(HTMLParser):
    """Collects every script, event handler and script URL a browser could run."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.scripts: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.scripts.append(dict(attrs))
        if tag in ("iframe", "object", "embed", "textarea", "base"):
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            cleaned = re.sub(r"[\s\x00-\x1f]", "", value or "").lower()
            if name in ("href", "src", "action", "formaction", "xlink:href") and cleaned.startswith(
                ("javascript:", "vbscript:", "data:text")
            ):
                self.found.append(f"<{tag} {name}={value!r}>")


def test_member_text_never_becomes_executable_markup(tmp_path: Path) -> None:
    site = render(make_site(tmp_path, xss_files()))
    page = html(site, "members/ines-moreau/index.html")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, "the payload reached the page, escaped"
    for path, content in site.items():
        if not path.endswith(".html"):
            continue
        parser = Executable()
        parser.feed(content.decode())
        assert parser.found == [], (path, parser.found)
        # The theme's own module script is the only script, with no inline code.
        assert all(s.get("type") == "module" and (s.get("src") or "").endswith(".js") for s in parser.scripts), path
        assert len(parser.scripts) == 1, path
    for path in ("sitemap.xml", "feed.xml"):
        assert b"<script" not in site[path], path


def test_link_labels_and_urls_are_escaped(tmp_path: Path) -> None:
    page = html(render(make_site(tmp_path, xss_files())), "members/ines-moreau/index.html")
    assert 'href="https://example.org/&#34;onmouseover=&#34;alert(1)"' in page
    assert ">portfolio</span>" in page


# ----------------------------------------------------------------------------- pieces


def test_cards_carry_the_filter_hooks(base_site: Site) -> None:
    page = html(base_site, "index.html")
    card = re.search(r'<article class="member-card[^>]*data-member="ines-moreau"[^>]*>', page)
    assert card is not None
    for attribute in ("data-skills=", "data-region=", "data-relationship=", "data-deadlines=", "data-payment="):
        assert attribute in card.group(0)
    assert 'data-name="Inès Moreau"' in card.group(0)
    for hook in ('<form id="filters"', 'id="search"', 'id="search-results"', 'id="active-filters"'):
        assert hook in page, hook


def test_member_pages_are_the_only_indexed_pages(tmp_path: Path) -> None:
    outputs = render(make_site(tmp_path), search=True)
    documents = {path for path in outputs if path.startswith(".search/")}
    member_pages = {
        path for path in outputs if "/members/" in "/" + path and path.endswith(".html") and "/evidence/" not in path
    } - documents
    assert member_pages and documents == {f".search/0/{path}" for path in member_pages}  # one shard: a small network
    assert any(path.endswith("/evidence/index.html") for path in outputs)  # evidence pages exist, and are not indexed
    document = html(outputs, ".search/0/en/members/ines-moreau/index.html")
    assert '<html lang="en">' in document and "<h1>Inès Moreau</h1>" in document
    assert "Motion design" in document  # her skills are searchable...
    assert "<table" not in document and "engagement" not in document  # ...her evidence is not


def test_no_search_documents_without_search(base_site: Site) -> None:
    assert not [path for path in base_site if path.startswith(".search")]


def test_every_method_setting_is_explained(base_site: Site) -> None:
    page = html(base_site, "method/index.html")
    rows = re.findall(r"<tr><th scope=\"row\"><code>(\w+)</code></th>.*?<td>(.*?)</td></tr>", page, re.S)
    assert rows
    unexplained = [key for key, meaning in rows if not meaning.strip()]
    assert unexplained == [], f"method.html has no meaning for {unexplained}"


def test_region_and_skill_names() -> None:
    assert region_name("ile-de-france") == "Île-de-France"
    assert region_name("grand-paris-sud") == "Grand paris sud"
    assert humanise("seo") == "SEO" and humanise("3d-modeling") == "3D modeling"


@settings(max_examples=1500, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [*"abcéà Z.,;:?'’()-0123456789\n\u00a0«»\"/%@$#*_[]<>&!", "\n\n", "  ", "1. ", "- ", "\n- ", "**", " **"]
        )
    )
)
def test_plain_paragraphs_render_like_markdown(pieces: list[str]) -> None:
    text = "".join(pieces)
    fast = plain_markdown(text)
    if fast is not None:
        assert str(fast) == str(render_markdown(text))


@pytest.mark.parametrize(
    "text",
    [
        "Scope: **social media** for a client.\n\n- kick-off on 2023-11-21\n- delivery planned\n",
        "**Bold** start, then (**bracketed**).",
        "- one\n- two\n\nA closing paragraph.",
        "Line one\nline two\n\nSecond paragraph with\u00a0a no-break space.",
    ],
)
def test_simple_markdown_takes_the_fast_path_and_agrees(text: str) -> None:
    fast = plain_markdown(text)
    assert fast is not None
    assert str(fast) == str(render_markdown(text))


def test_chart_geometry() -> None:
    assert charts.nice_step(0) == 1 and charts.nice_step(9) == 2 and charts.nice_step(47) == 10
    bars = charts.bar_chart([0, 5, 10])
    assert bars.bars[0].height == 0 and bars.bars[2].height > bars.bars[1].height > 0
    assert bars.ticks[0].value == 0 and bars.ticks[-1].value >= 10
    line = charts.line_chart([[1.0, None, 0.5]])
    assert line.series[0].path.count("M") == 2, "a gap breaks the line"
    graph = charts.circle_graph([0, 0, 1], [(0, 2), (2, 0), (1, 1)])
    assert len(graph.edges) == 1 and len(graph.arcs) == 2
    assert graph == charts.circle_graph([0, 0, 1], [(0, 2)]), "deterministic, duplicates and loops dropped"


def test_fragments_are_shared_between_pages_but_drawn_per_language(tmp_path: Path) -> None:
    root = make_site(tmp_path)
    checked = check_site(root, BUILD_DATE)
    renderer = Renderer(checked.site, score_site(checked.site), load_theme(root, "default"))
    fr, en = renderer.fragments["fr"], renderer.fragments["en"]
    assert "Attestation du client" in fr.engagement("poster-series")
    assert "Client’s attestation" in en.engagement("poster-series")
    assert fr.engagement("poster-series") == fr.engagement("poster-series")


def walk(site: Site, suffix: str) -> Iterator[tuple[str, str]]:
    for path, content in sorted(site.items()):
        if path.endswith(suffix):
            yield path, content.decode()


def test_one_h1_per_page_and_a_skip_link(base_site: Site) -> None:
    for path, text in walk(base_site, ".html"):
        assert text.count("<h1") == 1, path
        assert 'class="skip-link" href="#main"' in text and 'id="main"' in text, path


def test_evidence_column_names_come_from_one_stylesheet_per_site(tmp_path: Path) -> None:
    """Stacked evidence cells show their column's name from a stylesheet, not from an attribute in every cell."""
    site = render(make_site(tmp_path, {}))
    page = html(site, "members/ines-moreau/evidence/index.html")
    assert "data-label" not in page.split('<table class="evidence-table"', 1)[1]
    css = next(p for p in site if p.startswith("static/evidence-labels."))
    assert f'href="../../../{css}"' in page
    rules = site[css].decode("utf-8")
    assert 'html[lang="fr"] .evidence-table td:nth-child(2) { --label: "Déclaré par"; }' in rules
    assert 'html[lang="en"] .evidence-table td:nth-child(2) { --label: "Stated by"; }' in rules
    assert rules.count("--label") == 2 * 7


def test_css_strings_escape_what_would_end_them() -> None:
    assert render_module._css_string('a "b" \\ c\nd') == '"a \\"b\\" \\\\ c\\A d"'
