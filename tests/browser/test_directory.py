"""The directory as a visitor uses it: most reliable first, counts that follow the filters, search, a phone."""

from __future__ import annotations

import pytest

from .support import Tab, demo

expect = pytest.importorskip("playwright.sync_api").expect  # the browser suite skips as a whole without Playwright

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
LEVEL_KEYS = ("relationship", "deadlines", "payment")


def settle(tab: Tab) -> None:
    """Wait until the directory has drawn what the filters ask for (it loads its JSON index on first use)."""
    expect(tab.page.locator("#members")).not_to_have_attribute("aria-busy", "true")


def cards(tab: Tab) -> list[dict[str, str]]:
    """The visible cards, in the order shown, with their data attributes."""
    result: list[dict[str, str]] = tab.page.evaluate(
        """() => Array.from(document.querySelectorAll('#members .member-card'))
            .filter(c => !c.hidden).map(c => ({...c.dataset}))"""
    )
    return result


def test_the_directory_shows_the_most_reliable_first_and_sorts_by_name_on_request(tab: Tab) -> None:
    tab.visit("")
    sort = tab.page.locator("#f-sort")
    assert sort.input_value() == "rank"
    shown = cards(tab)
    assert [int(c["rank"]) for c in shown] == list(range(len(shown)))
    caution = [i for i, c in enumerate(shown) if "caution" in (c[k] for k in LEVEL_KEYS)]
    clean = [i for i, c in enumerate(shown) if "caution" not in (c[k] for k in LEVEL_KEYS)]
    assert caution and clean and max(clean) < min(caution), "a member with a caution came before one without"
    assert "trust" not in shown[0]
    sort.select_option("name")
    settle(tab)
    names = [c["name"] for c in cards(tab)]
    collated = tab.page.evaluate("(names) => names.slice().sort(new Intl.Collator('fr').compare)", names)
    assert names == collated and names != [c["name"] for c in shown]
    assert "sort=name" in tab.page.url


def test_the_count_heading_follows_the_filters(tab: Tab) -> None:
    network = demo()
    region = "auvergne-rhone-alpes"
    expected = sum(m.region == region for m in network.published.values())
    tab.visit("")
    heading = tab.page.locator("#members-title")
    total = len(network.published)
    assert heading.inner_text() == f"{total} membres"
    tab.page.locator("#f-region").select_option(region)
    settle(tab)
    assert heading.inner_text() == f"{expected} membres" and 1 < expected < total
    assert len(cards(tab)) == expected
    tab.page.locator("#filters button[type=reset]").click()
    expect(heading).to_have_text(f"{total} membres")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_search_results_appear_where_the_visitor_types(tab: Tab, viewport: dict[str, int]) -> None:
    network = demo()
    left = next(m for m in network.published.values() if m.status == "left")
    surname = left.name.split()[-1]
    tab.page.set_viewport_size(viewport)  # type: ignore[arg-type]
    tab.visit("")
    tab.page.locator("#search").fill(surname)
    result = tab.page.locator("#search-results .result-list > li").first
    result.wait_for(state="visible", timeout=10_000)
    box = result.bounding_box()
    assert box is not None and box["y"] + 40 < viewport["height"], "the first result is below the first screen"
    assert left.name in result.locator(".result-name").inner_text()
    assert result.locator(".badges .badge").count() == 3
    assert result.locator(".tag-left").count() == 1
    excerpt = result.locator("p").last.inner_text()
    assert excerpt and (excerpt[0] == "…" or excerpt[0].isupper() or not excerpt[0].isalpha()), excerpt


def test_on_a_phone_the_filters_fold_and_the_first_member_shows_at_once(tab: Tab) -> None:
    tab.page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    tab.visit("")
    toggle = tab.page.locator("#filters-toggle")
    assert toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false"
    assert not tab.page.locator("#filters").is_visible() and not tab.page.locator("#browse").is_visible()
    first = tab.page.locator("#members .member-card").first.bounding_box()
    assert first is not None and first["y"] + 60 < PHONE["height"], f"first card at {first}: below the fold"
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true" and tab.page.locator("#filters").is_visible()
    tab.page.locator("#f-level").select_option("caution")
    settle(tab)
    assert "1" in toggle.inner_text()
    tab.page.set_viewport_size(DESKTOP)  # type: ignore[arg-type]
    expect(toggle).to_be_hidden()  # media query changes arrive asynchronously
    assert not toggle.is_visible() and tab.page.locator("#filters").is_visible()


def test_evidence_tables_stack_their_rows_on_a_phone(tab: Tab) -> None:
    tab.page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    tab.visit("members/agence-confluence/evidence/#evidence-payment")
    cell = tab.page.locator("#evidence-payment tbody td").first
    assert cell.evaluate("td => getComputedStyle(td).display") == "block"
    # Each stacked cell shows its column's name, from the stylesheet, in the page's language.
    label = cell.evaluate("td => getComputedStyle(td, '::before').content")
    assert label == '"Date · "', label
    why = tab.page.locator("#evidence-payment tbody td.why").first
    if why.count():
        assert "Poids" in why.evaluate("td => getComputedStyle(td, '::before').content")
    assert tab.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    right = tab.page.evaluate(
        "Math.max(...Array.from(document.querySelectorAll('#evidence-payment td'))"
        ".map(td => td.getBoundingClientRect().right))"
    )
    assert right <= PHONE["width"]
