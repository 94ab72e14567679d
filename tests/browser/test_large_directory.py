"""A directory of more pages than one: numbered pages without JavaScript, filters and sort through the JSON index.

A generated network of 130 members (``bench/make_network.py``) is built once, with its
search index, and served. Expectations come from the server-rendered pages on disk
(every card of every numbered page), never from ``directory.json`` or the script under
test; the cards the script draws must be the server's cards, element for element.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from generator import search as search_module

from ..conftest import require_tool
from ..test_synthetic import make_network_module
from .conftest import DESKTOP, BuiltSite, build_site, serving
from .support import AXE_JS, VNU_JAR, Tab, format_lines

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

expect = pytest.importorskip("playwright.sync_api").expect  # the browser suite skips as a whole without Playwright

MEMBERS = 130
PAGE = 50
SHARD = 50
"""Members per shard of the search index here: three shards, merged by the browser."""
CARD = re.compile(r'<article class="member-card[^"]*" data-member="([a-z0-9-]+)" data-skills="([a-z0-9 -]*)"')
TEMPLATE = re.compile(r"<template\b.*?</template>", re.S)
"""The script's models of a card: not a card of the page."""
SHOWN = """() => Array.from(document.querySelectorAll("#members .member-card"))
    .filter(card => card.checkVisibility()).map(card => card.dataset.member)"""
CARD_HTML = """() => Object.fromEntries(Array.from(document.querySelectorAll("#members .member-card"),
    card => [card.dataset.member, card.outerHTML]))"""


@pytest.fixture(scope="module")
def large_site(tmp_path_factory: pytest.TempPathFactory) -> BuiltSite:
    root = tmp_path_factory.mktemp("large") / "net"
    make_network_module().make_network(root, MEMBERS, 7)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(search_module, "SHARD_MEMBERS", SHARD)  # the search index in shards, as a big network's
        return build_site(root, tmp_path_factory.mktemp("large-site") / "site")


@pytest.fixture(scope="module")
def large_url(large_site: BuiltSite) -> Iterator[str]:
    with serving(large_site.root) as url:
        yield url


@pytest.fixture(scope="module")
def large_tab(chromium: Browser, large_url: str) -> Iterator[Tab]:
    # The CSP stays on: axe is injected only in its own test's context.
    context = chromium.new_context(viewport=DESKTOP)
    try:
        yield Tab(context.new_page(), large_url)
    finally:
        context.close()


def server_pages(site: BuiltSite) -> list[Path]:
    """The directory's numbered pages in French (the root language), in order."""
    pages = [site.root / "index.html"]
    while (site.root / "page" / str(len(pages) + 1) / "index.html").is_file():
        pages.append(site.root / "page" / str(len(pages) + 1) / "index.html")
    return pages


def server_cards(site: BuiltSite) -> list[tuple[str, set[str]]]:
    """Every card of every numbered page, in the server's order: member id and skills."""
    return [
        (member, set(skills.split()))
        for page in server_pages(site)
        for member, skills in CARD.findall(TEMPLATE.sub("", page.read_text(encoding="utf-8")))
    ]


def settle(page: Page) -> None:
    """Wait until the directory has drawn what the filters ask for (it loads the index on first use)."""
    expect(page.locator("#members")).not_to_have_attribute("aria-busy", "true")


def show_all(page: Page) -> None:
    """Press "show more" until every matching card is drawn."""
    more = page.locator("#members .show-more")
    while more.count() and more.is_visible():
        drawn = page.locator("#members .member-card").count()
        more.click()
        expect(page.locator("#members .member-card")).not_to_have_count(drawn)


def test_without_javascript_the_numbered_pages_list_every_member_once(
    chromium: Browser, large_url: str, large_site: BuiltSite
) -> None:
    context = chromium.new_context(viewport=DESKTOP, java_script_enabled=False)
    try:
        tab = Tab(context.new_page(), large_url)
        visit = tab.visit("")
        page = tab.page
        seen: list[str] = []
        while True:
            seen += page.locator("article.member-card").evaluate_all("cards => cards.map(c => c.dataset.member)")
            following = page.locator('nav.pagination a[rel="next"]')
            if not following.count():
                break
            with page.expect_navigation():
                following.click()
            assert not tab.current.problems(), format_lines(f"{page.url}:", tab.current.problems())
        assert seen == [member for member, _ in server_cards(large_site)]
        assert len(seen) == len(set(seen)) == MEMBERS
        assert page.url == tab.url("page/3/")
        assert page.locator('nav.pagination a[aria-current="page"]').inner_text().split()[-1] == "3"
        assert not visit.problems(), format_lines("page 1:", visit.problems())
    finally:
        context.close()


def test_filtering_by_a_skill_shows_members_beyond_the_first_page(large_tab: Tab, large_site: BuiltSite) -> None:
    cards = server_cards(large_site)
    first_page = {member for member, _ in cards[:PAGE]}
    skills = {skill for _, owned in cards for skill in owned}

    def beyond(skill: str) -> int:
        return sum(skill in owned and member not in first_page for member, owned in cards)

    skill = max(sorted(skills), key=beyond)
    expected = [member for member, owned in cards if skill in owned]
    assert beyond(skill) > 0
    tab = large_tab
    visit = tab.visit("")
    page = tab.page
    page.locator("#f-skill").select_option(skill)
    settle(page)
    show_all(page)
    assert page.evaluate(SHOWN) == expected, "the filtered list is not the server's order of the skill's members"
    expect(page.locator("#members-title")).to_have_text(f"{len(expected)} membre" + ("s" if len(expected) > 1 else ""))
    assert page.locator("nav.pagination").count() == 0, "the server's page links stay while a filter is on"
    assert f"skill={skill}" in page.url
    page.locator("#filters button[type=reset]").click()
    settle(page)
    expect(page.locator("#members .member-card")).to_have_count(PAGE)
    assert page.evaluate(SHOWN) == [member for member, _ in cards[:PAGE]]
    assert page.locator("nav.pagination").count() == 1
    assert not visit.problems(), format_lines("while filtering:", visit.problems())


def test_the_name_sort_covers_the_whole_directory_and_draws_the_servers_cards(large_tab: Tab) -> None:
    tab = large_tab
    server: dict[str, str] = {}
    for path in ("", "page/2/", "page/3/"):
        tab.visit(path)
        found = tab.page.evaluate(CARD_HTML)
        server.update({k: v.replace('href="../../', 'href="') for k, v in found.items()})
    assert len(server) == MEMBERS
    visit = tab.visit("")
    page = tab.page
    page.locator("#f-sort").select_option("name")
    settle(page)
    expect(page.locator("#members .member-card")).to_have_count(PAGE)
    show_all(page)
    names = page.locator("#members .member-card").evaluate_all("cards => cards.map(c => c.dataset.name)")
    collated = page.evaluate(
        "(names) => names.slice().sort(new Intl.Collator('fr', {sensitivity: 'base'}).compare)", names
    )
    assert len(names) == MEMBERS and names == collated
    drawn = page.evaluate(CARD_HTML)
    different = [member for member in server if drawn.get(member) != server[member]]
    assert not different, f"{len(different)} cards differ from the server's, e.g. {different[0]}:\n" + "\n".join(
        (server[different[0]], drawn.get(different[0], "(missing)"))
    )
    assert not visit.problems(), format_lines("while sorting:", visit.problems())


def test_a_search_result_beyond_the_first_page_shows_its_badges(large_tab: Tab, large_site: BuiltSite) -> None:
    cards = server_cards(large_site)
    member = cards[-1][0]
    data = json.loads((large_site.root / "directory.json").read_text(encoding="utf-8"))
    name = next(c["n"] for c in data["cards"] if c["i"] == member)
    tab = large_tab
    visit = tab.visit("")
    page = tab.page
    page.locator("#search").fill(name)
    result = page.locator(f'#search-results .result-list > li:has(a[href*="members/{member}/"])')
    result.first.wait_for(state="visible", timeout=10_000)
    expect(result.first.locator(".badges .badge")).to_have_count(3)
    assert not visit.problems(), format_lines("while searching:", visit.problems())


def test_search_finds_members_of_every_shard_of_the_index(large_tab: Tab, large_site: BuiltSite) -> None:
    shards = -(-MEMBERS // SHARD)
    bundles = [large_site.root / search_module.bundle_folder(k) for k in range(shards)]
    assert all((bundle / "pagefind-entry.json").is_file() for bundle in bundles)
    data = json.loads((large_site.root / "directory.json").read_text(encoding="utf-8"))
    names = {c["i"]: c["n"] for c in data["cards"]}
    found_in: dict[int, str] = {}
    for member in sorted(names):  # the first member of each shard, by id
        found_in.setdefault(search_module.shard_of(member, shards), member)
    assert sorted(found_in) == list(range(shards))
    tab = large_tab
    visit = tab.visit("")
    for shard, member in sorted(found_in.items()):
        tab.page.locator("#search").fill(names[member])
        result = tab.page.locator(f'#search-results .result-list > li:has(a[href*="members/{member}/"])')
        try:
            result.first.wait_for(state="visible", timeout=10_000)
        except Exception as exc:  # playwright's TimeoutError: say which shard
            raise AssertionError(f"searching {names[member]!r} (shard {shard}) did not list members/{member}/") from exc
    assert not visit.problems(), format_lines("while searching:", visit.problems())


def test_axe_finds_nothing_on_a_numbered_page_nor_on_a_filtered_list(chromium: Browser, large_url: str) -> None:
    require_tool(AXE_JS.is_file(), f"axe-core at {AXE_JS} (npm ci --prefix tests/browser)")
    from .test_accessibility import AXE_TAGS, RUN_AXE, describe

    context = chromium.new_context(viewport=DESKTOP, bypass_csp=True)
    try:
        tab = Tab(context.new_page(), large_url)
        for path, choose in (("page/2/", None), ("en/", "reliable"), ("skills/", None)):
            tab.visit(path)
            if path == "skills/":
                tab.page.locator("table a").first.click()
                tab.page.wait_for_load_state("load")
            if choose:
                tab.page.locator("#f-level").select_option(choose)
                settle(tab.page)
            tab.page.add_script_tag(path=str(AXE_JS))
            result = tab.page.evaluate(RUN_AXE, AXE_TAGS)
            violations = result["violations"]
            assert not violations, "\n".join([f"axe on {tab.page.url}:", *describe(violations)])
            assert not tab.current.problems(), format_lines(f"{tab.page.url}:", tab.current.problems())
    finally:
        context.close()


def test_the_numbered_pages_are_valid_html(large_site: BuiltSite) -> None:
    java = shutil.which("java")
    require_tool(java is not None, "Java (apt-get install default-jre-headless)")
    require_tool(VNU_JAR.is_file(), f"the Nu Html Checker at {VNU_JAR} (npm ci --prefix tests/browser)")
    assert java is not None
    root = large_site.root
    pages = [*server_pages(large_site), root / "en" / "page" / "2" / "index.html"]
    pages += sorted(root.glob("skills/*/page/2/index.html"))[:2] + sorted(root.glob("regions/*/page/2/index.html"))[:1]
    assert len(pages) >= 4
    proc = subprocess.run(
        [java, "-jar", str(VNU_JAR), "--errors-only", "--format", "gnu", *map(str, pages)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
