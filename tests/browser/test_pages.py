"""The published demo site in a real browser: every page type loads cleanly, fits, and works.

Pages are chosen and expectations computed from the demo's YAML records (see
``support.py``), never hard-coded, so the tests follow the demo network as it grows.
"""

from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from .conftest import DESKTOP, BuiltSite
from .support import (
    LANGUAGES,
    WIDTHS,
    PageCase,
    Tab,
    demo,
    distinctive_bio_word,
    featured_member,
    featured_skill_and_region,
    format_lines,
    html_pages,
    page_cases,
    page_url,
    parse_tags,
    prefix,
)

CASES = page_cases()
CASE_IDS = [c.id for c in CASES]

VISIBLE_CARDS = """() => Array.from(document.querySelectorAll("article.member-card"))
    .filter(card => !card.hidden && card.checkVisibility())
    .map(card => card.dataset.member)
    .sort()"""


def language_of(relative_file: str) -> tuple[str, str]:
    """The language of a page file and its path inside that language."""
    for language in LANGUAGES[1:]:
        if relative_file.startswith(prefix(language)):
            return language, relative_file[len(prefix(language)) :]
    return LANGUAGES[0], relative_file


# --- static checks of every page's <head> and language switch ----------------------------------


def test_every_page_declares_its_language_alternates_canonical_and_open_graph(demo_site: BuiltSite) -> None:
    base = demo_site.base_url
    problems: list[str] = []
    pages = html_pages(demo_site.root)
    assert pages, "the site has no HTML page"
    for relative in pages:
        language, inner = language_of(relative)
        tags = parse_tags((demo_site.root / relative).read_text(encoding="utf-8")).tags
        html = next((a for t, a in tags if t == "html"), {})
        if html.get("lang") != language:
            problems.append(f"{relative}: <html lang={html.get('lang')!r}>, expected {language!r}")
        links = [a for t, a in tags if t == "link"]
        canonical = [a.get("href") for a in links if a.get("rel") == "canonical"]
        expected_canonical = base + prefix(language) + page_url(inner)
        if canonical != [expected_canonical]:
            problems.append(f"{relative}: canonical {canonical}, expected [{expected_canonical!r}]")
        alternates = {
            a.get("hreflang"): a.get("href") for a in links if a.get("rel") == "alternate" and a.get("hreflang")
        }
        for other in LANGUAGES:
            want = base + prefix(other) + page_url(inner)
            if alternates.get(other) != want:
                problems.append(
                    f"{relative}: <link rel=alternate hreflang={other}> is {alternates.get(other)!r}, expected {want!r}"
                )
        og = {a.get("property"): a.get("content") for t, a in tags if t == "meta" and a.get("property")}
        for key in ("og:title", "og:type", "og:url"):
            if not og.get(key):
                problems.append(f"{relative}: no <meta property={key!r}>")
        if og.get("og:url") and og.get("og:url") != expected_canonical:
            problems.append(
                f"{relative}: og:url {og.get('og:url')!r} differs from the canonical {expected_canonical!r}"
            )
    assert not problems, format_lines(f"{len(problems)} problems in the <head> of {len(pages)} pages:", problems[:80])


def test_directory_cards_carry_the_members_skills_and_region(demo_site: BuiltSite) -> None:
    network = demo()
    for language in LANGUAGES:
        index = demo_site.root / prefix(language) / "index.html"
        cards = {
            a.get("data-member") or "": a
            for t, a in parse_tags(index.read_text(encoding="utf-8")).tags
            if t == "article" and "member-card" in (a.get("class") or "").split()
        }
        assert set(cards) == set(network.published), f"{index.name} ({language}): cards differ from the members"
        wrong = [
            f"{mid}: data-skills={card.get('data-skills')!r} data-region={card.get('data-region')!r}"
            for mid, card in sorted(cards.items())
            if set((card.get("data-skills") or "").split()) != set(network.members[mid].skills)
            or card.get("data-region") != network.members[mid].region
        ]
        assert not wrong, format_lines(f"cards of the {language} directory disagree with the member files:", wrong)
        missing = [
            f"{mid}: {attr}"
            for mid, card in sorted(cards.items())
            for attr in ("data-relationship", "data-deadlines", "data-payment")
            if not card.get(attr)
        ]
        assert not missing, format_lines("cards without a level:", missing)


@pytest.mark.parametrize("kind", ["skills", "regions"])
def test_skill_and_region_pages_list_exactly_the_matching_members(demo_site: BuiltSite, kind: str) -> None:
    network = demo()
    values = (
        {s for m in network.published.values() for s in m.skills}
        if kind == "skills"
        else {m.region for m in network.published.values()}
    )
    problems: list[str] = []
    for language in LANGUAGES:
        for value in sorted(values):
            page = demo_site.root / prefix(language) / kind / value / "index.html"
            if not page.is_file():
                problems.append(f"missing {page.relative_to(demo_site.root)}")
                continue
            listed = {
                a.get("data-member") or ""
                for t, a in parse_tags(page.read_text(encoding="utf-8")).tags
                if t == "article" and "member-card" in (a.get("class") or "").split()
            }
            expected = (
                network.with_skill_and_region(value, None)
                if kind == "skills"
                else network.with_skill_and_region(None, value)
            )
            if listed != expected:
                problems.append(
                    f"{page.relative_to(demo_site.root)}: missing {sorted(expected - listed)}, "
                    f"unexpected {sorted(listed - expected)}"
                )
    assert not problems, format_lines(f"{kind} pages:", problems[:60])


# --- in the browser ---------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_page_loads_without_console_errors_or_failed_requests(tab: Tab, case: PageCase) -> None:
    visit = tab.visit(case.path, settle=True)
    assert not visit.problems(), format_lines(f"{visit.url}:", visit.problems())


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_layout_does_not_overflow_horizontally(tab: Tab, case: PageCase, screenshot_dir: Path) -> None:
    failures: list[str] = []
    shots: list[str] = []
    for width in WIDTHS:
        tab.page.set_viewport_size({"width": width, "height": 900})
        tab.visit(case.path)
        shot = screenshot_dir / f"{case.id}-{width}.jpg"
        tab.page.screenshot(path=str(shot), full_page=True, type="jpeg", quality=70)  # JPEG: half the time of PNG
        shots.append(str(shot))
        scroll_width, inner_width, culprits = tab.page.evaluate(
            """() => {
                const inner = window.innerWidth;
                const wide = Array.from(document.querySelectorAll("body *"))
                    .filter(el => el.getBoundingClientRect().right > inner + 1)
                    .slice(0, 5)
                    .map(el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
                        + (typeof el.className === "string" && el.className.trim()
                            ? "." + el.className.trim().split(/\\s+/).join(".") : ""));
                return [document.documentElement.scrollWidth, inner, wide];
            }"""
        )
        if scroll_width > inner_width:
            failures.append(f"{width} px: scrollWidth {scroll_width} > innerWidth {inner_width}; widest: {culprits}")
    tab.page.set_viewport_size(DESKTOP)
    assert not failures, format_lines(f"{case.path or '/'} overflows (screenshots: {', '.join(shots)}):", failures)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_language_switch_lands_on_the_same_page_in_the_other_language(tab: Tab, case: PageCase) -> None:
    tab.visit(case.path)
    for other in LANGUAGES:
        if other == case.language:
            continue
        switch = tab.page.locator(f'nav.language-switch a[hreflang="{other}"]')
        assert switch.count() == 1, f"{case.path or '/'}: expected one <nav class=language-switch> link to {other!r}"
        with tab.page.expect_navigation():
            switch.click()
        assert tab.page.url == tab.url(prefix(other) + case.type.path)
        assert tab.page.evaluate("document.documentElement.lang") == other
        tab.visit(case.path)


def test_member_page_shows_each_side_with_evidence_engagements_and_badge_embeds(tab: Tab, demo_site: BuiltSite) -> None:
    member = featured_member()
    network = demo()
    tab.visit(f"members/{member}/")
    page = tab.page
    for side in ("relationship", "deadlines", "payment"):
        block = page.locator(f'.side[data-side="{side}"]')
        assert block.count() == 1, f"members/{member}/: expected one .side[data-side={side!r}], found {block.count()}"
        assert block.inner_text().strip(), f"members/{member}/: the {side} side is empty (no level shown)"
    # Each side links to its evidence table, on the member's evidence page.
    for side in ("relationship", "deadlines", "payment"):
        page.locator(f'.side[data-side="{side}"] .side-more a').click()
        assert page.url == tab.url(f"members/{member}/evidence/#evidence-{side}"), page.url
        rows = page.locator(f"#evidence-{side} table tbody tr")
        assert rows.count() >= 1, f"members/{member}/evidence/: the {side} side has no evidence row"
        assert rows.first.is_visible()
        page.go_back()
    missing = [e.id for e in network.engagements_of(member) if page.locator(f'article[id="e-{e.id}"]').count() != 1]
    assert not missing, f"members/{member}/: no <article id='e-…'> for engagements {missing}"

    # The snippet is folded behind a disclosure: present in the page, hidden until asked for.
    embeds = [text for text in page.locator("pre.embed").all_text_contents() if f"badges/{member}.svg" in text]
    assert embeds, f"members/{member}/: no <pre class='embed'> snippet referencing badges/{member}.svg"
    disclosure = page.locator("details.embed-section")
    assert disclosure.count() == 1 and disclosure.get_attribute("open") is None
    assert not page.locator("pre.embed").first.is_visible()
    disclosure.locator("summary").click()
    assert page.locator("pre.embed").first.is_visible()
    html_embeds = [e for e in embeds if "<img" in e]
    assert html_embeds, f"members/{member}/: no HTML embed snippet with an <img> among {embeds}"
    snippet = parse_tags(html_embeds[0])
    anchors = [a for t, a in snippet.tags if t == "a"]
    images = [a for t, a in snippet.tags if t == "img"]
    member_urls = {demo_site.base_url + prefix(lang) + f"members/{member}/" for lang in LANGUAGES}
    assert anchors and anchors[0].get("href") in member_urls, (
        f"the badge embed must link to the member page ({sorted(member_urls)}), got {html_embeds[0]!r}"
    )
    assert images and images[0].get("src") == demo_site.base_url + f"badges/{member}.svg", html_embeds[0]
    assert images[0].get("alt"), f"the badge embed's <img> needs an alt text: {html_embeds[0]!r}"

    response = page.request.get(tab.url(f"badges/{member}.svg"))
    assert response.status == 200, f"badges/{member}.svg answered HTTP {response.status}"
    assert response.headers.get("content-type", "").startswith("image/svg+xml")
    root = ET.fromstring(response.body())
    assert root.tag == "{http://www.w3.org/2000/svg}svg", root.tag


def _wait_for(tab: Tab, script: str, expected: object, timeout: float = 5.0) -> object:
    """Evaluate ``script`` until it returns ``expected`` or the timeout passes; return the last value."""
    deadline = time.monotonic() + timeout
    value = tab.page.evaluate(script)
    while value != expected and time.monotonic() < deadline:
        time.sleep(0.1)
        value = tab.page.evaluate(script)
    return value


def test_skill_and_region_filters_combine(tab: Tab, demo_site: BuiltSite) -> None:
    skill, region = featured_skill_and_region()
    expected = demo().with_skill_and_region(skill, region)
    tab.visit("")
    page = tab.page
    form = page.locator("form#filters")
    assert form.count() == 1 and form.is_visible(), "the directory has no visible <form id=filters> with JavaScript on"
    cards = page.evaluate(
        """() => Array.from(document.querySelectorAll("article.member-card"),
            c => [c.dataset.member, (c.dataset.skills || "").split(/\\s+/), c.dataset.region])"""
    )
    from_cards = {mid for mid, skills, reg in cards if skill in skills and reg == region}
    assert from_cards == expected, f"the cards' data attributes give {sorted(from_cards)}, the YAML {sorted(expected)}"

    form.locator('select[name="skill"]').select_option(value=skill)
    form.locator('select[name="region"]').select_option(value=region)
    visible = _wait_for(tab, VISIBLE_CARDS, sorted(expected))
    visible_list = visible if isinstance(visible, list) else []
    assert set(visible_list) == expected and len(visible_list) == len(expected), (
        f"skill={skill!r} region={region!r}: visible cards {sorted(visible_list)}, expected {sorted(expected)}"
    )
    active = page.locator("#active-filters")
    assert active.count() == 1 and active.is_visible(), "#active-filters is missing or hidden while filters are active"
    shown = active.inner_text()
    for name in ("skill", "region"):
        option = form.locator(f'select[name="{name}"] option:checked').inner_text()
        label = re.sub(r"\s*\(\d+\)$", "", option.strip())  # "Graphic design (5)": the count is not the filter
        assert label and label in shown, f"#active-filters ({shown!r}) does not show the {name} filter {label!r}"
    visit = tab.current
    assert not visit.problems(), format_lines("while filtering:", visit.problems())


def test_search_finds_a_member_by_a_word_of_their_bio(tab: Tab) -> None:
    word, member = distinctive_bio_word()
    tab.visit("")
    page = tab.page
    search = page.locator('input[type="search"]#search')
    assert search.count() == 1 and search.is_visible(), "the directory has no visible <input type=search id=search>"
    search.fill(word)
    hit = page.locator(f'#search-results a[href*="members/{member}/"]')
    try:
        hit.first.wait_for(state="visible", timeout=10_000)
    except Exception as exc:  # a Playwright TimeoutError: say what the results did show
        results = page.locator("#search-results").inner_text() if page.locator("#search-results").count() else "-"
        raise AssertionError(
            f"searching {word!r} did not list members/{member}/ in #search-results within 10 s; it shows: {results!r}"
        ) from exc
    hrefs = page.eval_on_selector_all("#search-results a[href]", "links => links.map(a => a.getAttribute('href'))")
    not_members = [h for h in hrefs if not re.search(r"(^|/)members/[a-z0-9-]+/", h)]
    assert not not_members, f"search results must be member pages only, got {not_members}"
    assert not tab.current.problems(), format_lines("while searching:", tab.current.problems())


def test_directory_and_skill_page_work_without_javascript(nojs_tab: Tab) -> None:
    network = demo()
    skill, _ = featured_skill_and_region()
    page = nojs_tab.page
    links: set[str] = set()
    for path, expected in (
        ("", set(network.published)),
        (f"skills/{skill}/", network.with_skill_and_region(skill, None)),
    ):
        visit = nojs_tab.visit(path)
        cards = page.locator("article.member-card")
        listed = set(cards.evaluate_all("cards => cards.map(c => c.dataset.member)"))
        assert listed == expected, (
            f"{path or '/'} without JavaScript lists {sorted(listed)}, expected {sorted(expected)}"
        )
        hidden = cards.evaluate_all("cards => cards.filter(c => !c.checkVisibility()).map(c => c.dataset.member)")
        assert not hidden, f"{path or '/'} without JavaScript hides cards {hidden}"
        for mid in expected:
            assert page.locator(f'article.member-card[data-member="{mid}"] a[href$="members/{mid}/"]').count() >= 1, (
                f"{path or '/'}: the card of {mid} has no link to its page"
            )
        links.update(
            h.split("#", 1)[0]
            for h in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
            if h.startswith(nojs_tab.root_url)
        )
        assert not visit.problems(), format_lines(f"{visit.url}:", visit.problems())

    broken = []
    for url in sorted(links):
        response = page.request.get(url)
        if response.status != 200:
            broken.append(f"{url}: HTTP {response.status}")
    assert not broken, format_lines("links that do not work:", broken)

    member = sorted(network.with_skill_and_region(skill, None))[0]
    with page.expect_navigation():
        page.locator(f'article.member-card[data-member="{member}"] a[href$="members/{member}/"]').first.click()
    assert page.url == nojs_tab.url(f"members/{member}/")
    assert network.members[member].name in page.locator("h1").inner_text()
