"""Large directories: the directory, skill and region pages come 50 cards a page, and a JSON index holds them all.

A generated network of 130 members (``bench/make_network.py``) is rendered once with the
real page size (three directory pages) and once with a page size of 5 (26 pages, with
gaps in the numbered links; skills and regions get several pages too). Cards are read
back from the HTML with a small parser, so that the JSON index the script filters is
compared with what the server drew, card by card and word by word.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest

from generator import views
from generator.views import Pager, paginate

from .test_render import Site, render
from .test_synthetic import make_network_module

MEMBERS = 130
SMALL = 5
"""A page size that gives skills and regions several pages too."""
SERVER = "http://site.test/"
"""Where relative links are resolved from, to compare them with the addresses they must reach."""
LANGUAGES = ("", "en/")
"""Where each language's pages live: French at the root, English under ``en/``."""


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pagination") / "net"
    make_network_module().make_network(root, MEMBERS, 7)
    return root


@pytest.fixture(scope="module")
def site(network: Path) -> Site:
    return render(network)


@pytest.fixture(scope="module")
def small_pages(network: Path) -> Site:
    """The same network with :data:`SMALL` cards a page."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(views, "PAGE_SIZE", SMALL)
        return render(network)


class Cards(HTMLParser):
    """The member cards of a page, as a visitor reads them, plus the page's ``<link>``s and pager links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.cards: list[dict[str, Any]] = []
        self.links: dict[str, str] = {}
        self.pager: list[tuple[str, str, str | None]] = []
        """``(text, href, rel or aria-current)`` of each link of the numbered pages."""
        self._stack: list[tuple[str, set[str]]] = []
        self._template = 0
        self._in_pager = False
        self._pager_link: list[Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "template":
            self._template += 1
        if self._template:
            return
        if tag == "link" and a.get("rel") in ("canonical", "prev", "next"):
            self.links[a["rel"]] = a["href"]
        if tag == "nav" and "pagination" in a.get("class", ""):
            self._in_pager = True
        if self._in_pager and tag == "a":
            self._pager_link = ["", a["href"], a.get("rel") or ("current" if a.get("aria-current") else None)]
        classes = set(a.get("class", "").split())
        if tag == "article" and "member-card" in classes:
            self.cards.append({"data": {k[5:]: v for k, v in a.items() if k.startswith("data-")}, "left": False})
            self.cards[-1].update(name="", headline="", where="", facts=[], skills=[], more="", href="")
            self._stack = []
        if not self.cards or tag in ("br", "img", "input", "link", "meta"):
            return
        self._stack.append((tag, classes))
        card = self.cards[-1]
        if "tag-left" in classes:
            card["left"] = True
        if "side-facts" in classes:
            card["facts"].append("")
        if tag == "a" and self._inside("card-skills"):
            card["skills"].append("")
        if tag == "a" and self._inside("card-name"):
            card["href"] = a["href"]

    def _inside(self, name: str) -> bool:
        return any(name in classes for _, classes in self._stack)

    def handle_endtag(self, tag: str) -> None:
        if tag == "template":
            self._template -= 1
        if self._template:
            return
        if tag == "nav":
            self._in_pager = False
        if tag == "a" and self._pager_link is not None:
            self.pager.append((self._pager_link[0], self._pager_link[1], self._pager_link[2]))
            self._pager_link = None
        if self._stack and self._stack[-1][0] == tag:
            self._stack.pop()

    def handle_data(self, data: str) -> None:
        if self._template:
            return
        if self._pager_link is not None:
            self._pager_link[0] += data
        if not self.cards or not self._stack:
            return
        card = self.cards[-1]
        if self._inside("card-name"):
            card["name"] += data
        elif self._inside("card-headline"):
            card["headline"] += data
        elif self._inside("card-where"):
            card["where"] += data
        elif self._inside("side-facts"):
            card["facts"][-1] += data
        elif self._inside("more"):
            card["more"] += data
        elif self._inside("card-skills") and self._stack[-1][0] == "a":
            card["skills"][-1] += data


def read(site: Site, path: str) -> Cards:
    parser = Cards()
    parser.feed(site[path].decode("utf-8"))
    return parser


def pages_of(site: Site, base: str) -> list[str]:
    """The output paths of a listing's pages, in order: ``base/index.html``, ``base/page/2/index.html``…"""
    found = [f"{base}index.html"]
    while f"{base}page/{len(found) + 1}/index.html" in site:
        found.append(f"{base}page/{len(found) + 1}/index.html")
    return found


# ----------------------------------------------------------------------------- the pager itself


def test_pages_split_a_listing_into_runs_of_the_page_size() -> None:
    assert [(p.start, p.stop) for p in paginate(0, "")] == [(0, 0)]
    assert [(p.start, p.stop) for p in paginate(50, "")] == [(0, 50)]
    assert [(p.start, p.stop) for p in paginate(101, "x/")] == [(0, 50), (50, 100), (100, 101)]
    assert [p.path for p in paginate(101, "skills/a/")] == [
        "skills/a/index.html",
        "skills/a/page/2/index.html",
        "skills/a/page/3/index.html",
    ]


def test_numbered_links_show_the_ends_and_the_neighbours_with_gaps_between() -> None:
    def numbers(n: int, count: int) -> tuple[int | None, ...]:
        return Pager("", n, count, 0, 0).numbers

    assert numbers(1, 1) == (1,)
    assert numbers(1, 3) == (1, 2, 3)
    assert numbers(1, 200) == (1, 2, 3, None, 200)
    assert numbers(100, 200) == (1, None, 98, 99, 100, 101, 102, None, 200)
    assert numbers(5, 200) == (1, 2, 3, 4, 5, 6, 7, None, 200)  # one missing page is linked, not elided
    assert numbers(200, 200) == (1, None, 198, 199, 200)
    pager = Pager("regions/x/", 2, 3, 50, 100)
    assert (pager.prev, pager.next) == ("regions/x/", "regions/x/page/3/")
    assert Pager("", 1, 3, 0, 50).prev is None and Pager("", 3, 3, 100, 130).next is None


# ----------------------------------------------------------------------------- the pages


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_directory_has_a_page_per_50_members_each_listed_once_in_rank_order(site: Site, language: str) -> None:
    pages = pages_of(site, language)
    assert len(pages) == math.ceil(MEMBERS / views.PAGE_SIZE) == 3
    assert f"{language}page/1/index.html" not in site, "page 1 stays at the listing's own address"
    cards = [card for path in pages for card in read(site, path).cards]
    assert [len(read(site, p).cards) for p in pages] == [50, 50, MEMBERS - 100]
    ids = [c["data"]["member"] for c in cards]
    assert len(ids) == len(set(ids)) == MEMBERS
    assert [int(c["data"]["rank"]) for c in cards] == list(range(MEMBERS))


@pytest.mark.parametrize("kind", ["skills", "regions"])
def test_every_skill_and_region_lists_each_of_its_members_exactly_once_across_its_pages(
    small_pages: Site, kind: str
) -> None:
    directory = [card for path in pages_of(small_pages, "") for card in read(small_pages, path).cards]
    expected: Counter[str] = Counter()
    for card in directory:
        for slug in card["data"]["skills"].split() if kind == "skills" else [card["data"]["region"]]:
            expected[slug] += 1
    paginated = 0
    for slug, count in expected.items():
        pages = pages_of(small_pages, f"{kind}/{slug}/")
        assert len(pages) == max(1, math.ceil(count / SMALL)), slug
        listed = [c["data"]["member"] for p in pages for c in read(small_pages, p).cards]
        assert len(listed) == len(set(listed)) == count, slug
        paginated += len(pages) > 1
    assert paginated, f"no {kind} page of the test network has more than one page: the test proves nothing"


def test_a_skill_page_keeps_proven_members_first_across_its_pages(small_pages: Site) -> None:
    for path in sorted(p for p in small_pages if re.fullmatch(r"skills/[a-z0-9-]+/index\.html", p)):
        base = path[: -len("index.html")]
        headings = []
        for page in pages_of(small_pages, base):
            html = small_pages[page].decode("utf-8")
            headings += [h for h in ("proven-title", "declared-title") if f'id="{h}"' in html]
        # proven sections come before declared ones, never after
        assert headings == sorted(headings, key=("proven-title", "declared-title").index), path


@pytest.mark.parametrize("language", LANGUAGES)
def test_prev_and_next_link_the_neighbours_and_each_page_is_its_own_canonical(small_pages: Site, language: str) -> None:
    pages = pages_of(small_pages, language)
    assert len(pages) == math.ceil(MEMBERS / SMALL) == 26
    sitemap = small_pages["sitemap.xml"].decode("utf-8")
    canonicals = set()

    def address(n: int) -> str:
        return SERVER + language + ("" if n == 1 else f"page/{n}/")

    for n, path in enumerate(pages, start=1):
        page = read(small_pages, path)
        here = SERVER + path
        canonical = page.links["canonical"]
        assert canonical.endswith("/" + address(n)[len(SERVER) :]) and canonical not in canonicals, (path, canonical)
        canonicals.add(canonical)
        assert f"<loc>{canonical}</loc>" in sitemap, f"{canonical} is not in the sitemap"
        prev, next_ = page.links.get("prev"), page.links.get("next")
        assert (prev and urljoin(here, prev)) == (None if n == 1 else address(n - 1)), (path, prev)
        assert (next_ and urljoin(here, next_)) == (None if n == len(pages) else address(n + 1)), (path, next_)
        rels = {rel: href for _, href, rel in page.pager if rel in ("prev", "next")}
        assert rels.get("prev") == page.links.get("prev") and rels.get("next") == page.links.get("next")
        current = [text for text, _, rel in page.pager if rel == "current"]
        assert current and current[0].split()[-1] == str(n), (path, page.pager)
        numbered = [text.split()[-1] for text, _, rel in page.pager if rel not in ("prev", "next")]
        assert "1" in numbered and str(len(pages)) in numbered


def test_a_page_after_the_first_says_which_page_it_is(small_pages: Site) -> None:
    assert "<title>Page 2 sur 26 · " in small_pages["page/2/index.html"].decode("utf-8")
    assert "<title>Page 2 of 26 · " in small_pages["en/page/2/index.html"].decode("utf-8")
    assert "<title>Page" not in small_pages["index.html"].decode("utf-8")


def test_a_short_listing_has_no_page_links(site: Site) -> None:
    small = next(p for p in sorted(site) if p.startswith("regions/") and p.count("/") == 2 and "page/" not in p)
    if len(read(site, small).cards) <= views.PAGE_SIZE:
        assert 'class="pagination"' not in site[small].decode("utf-8")
        assert 'rel="next"' not in site[small].decode("utf-8")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_first_page_stays_small(site: Site, language: str) -> None:
    first = site[f"{language}index.html"]
    assert len(read(site, f"{language}index.html").cards) == views.PAGE_SIZE
    assert len(first) < 200_000, f"the directory's first page weighs {len(first):,} bytes"
    # A page holds its own cards only: page 1 does not grow with the network beyond its filters.
    assert len(first) < 2.5 * len(site[f"{language}page/3/index.html"])


# ----------------------------------------------------------------------------- the JSON index


def card_from_index(data: dict[str, Any], entry: dict[str, Any], rank: int) -> dict[str, Any]:
    """What the script draws for one entry of ``directory.json`` (see ``cardDrawer`` in triangle.js)."""
    texts, skills, regions, levels = data["texts"], data["skills"], data["regions"], data["levels"]
    facts = []
    for k, level in enumerate(entry["v"]):
        if levels[level] == "not_applicable":
            continue
        text = texts[entry["f"][k]]
        if "w" in entry and entry["w"][k] >= 0:
            text += f" ({texts[entry['w'][k]]})"
        facts.append(text)
    return {
        "member": entry["i"],
        "rank": rank,
        "name": entry["n"],
        "headline": entry["h"],
        "where": (f"{entry['l']}, " if entry.get("l") else "") + regions[entry["r"]][1],
        "region": regions[entry["r"]][0],
        "left": bool(entry.get("x")),
        "levels": [levels[n] for n in entry["v"]],
        "facts": facts,
        "skills": sorted(skills[n][0] for n in entry["s"]),
        "shown": [skills[n][1] for n in entry["p"]],
        "more": entry.get("m", 0),
    }


def card_from_page(card: dict[str, Any]) -> dict[str, Any]:
    d = card["data"]
    more = re.search(r"\d+", card["more"])
    return {
        "member": d["member"],
        "rank": int(d["rank"]),
        "name": card["name"],
        "headline": card["headline"],
        "where": card["where"],
        "region": d["region"],
        "left": card["left"],
        "levels": [d["relationship"], d["deadlines"], d["payment"]],
        "facts": card["facts"],
        "skills": sorted(d["skills"].split()),
        "shown": card["skills"],
        "more": int(more[0]) if more else 0,
    }


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_json_index_holds_every_card_as_the_pages_draw_it(site: Site, language: str) -> None:
    data = json.loads(site[f"{language}directory.json"])
    assert data["v"] == 1
    drawn = [card_from_page(c) for path in pages_of(site, language) for c in read(site, path).cards]
    indexed = [card_from_index(data, entry, rank) for rank, entry in enumerate(data["cards"])]
    assert len(indexed) == MEMBERS
    for server, script in zip(drawn, indexed, strict=True):
        assert server == script


def test_the_json_index_is_compact_and_holds_nothing_a_card_does_not_show(site: Site) -> None:
    raw = site["directory.json"]
    data = json.loads(raw)
    assert raw == json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), "not compact"
    keys = {key for entry in data["cards"] for key in entry}
    assert keys <= set("inhlrxvfwspom"), keys
    assert len(raw) < 400 * MEMBERS, f"{len(raw):,} bytes for {MEMBERS} members"
    assert b"trust" not in raw and b"<" not in raw


def test_the_directory_carries_the_card_template_and_where_the_index_is(site: Site) -> None:
    for language in LANGUAGES:
        for path in pages_of(site, language):
            html = site[path].decode("utf-8")
            assert html.count('<template id="card-template"') == 1
            assert html.count('<template id="badge-template"') == 1
            index = re.search(r'data-index="([^"]+)"', html)
            assert index is not None
            depth = path.count("/") - language.count("/")
            assert index[1] == "../" * depth + "directory.json"
            assert f'data-total="{MEMBERS}"' in html
