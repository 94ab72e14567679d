"""Badges: three sides never blended, accessible, linked, escaped, measured, and deterministic."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from generator.badges import (
    LABEL_COLOUR,
    LEVEL_COLOURS,
    LEVEL_ORDER,
    LEVEL_WORDS,
    MAX_LABEL,
    Segment,
    badge_outputs,
    char_width,
    contrast_ratio,
    label_text,
    lowest_level,
    member_badges,
    side_levels,
    svg_badge,
    text_width,
)
from generator.model import Site, frozen_map
from generator.phrases import phrases
from generator.score import LEVELS, SIDES, Level, Scores
from generator.write import Output

from .conftest import REPO, SiteFactory
from .test_api import (
    XSS_NAMES,
    assert_safe_xml,
    awaiting_sites,
    by_path,
    hostile_site,
    scored,
    text_of,
    withdrawn_site,
)

SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}"
DEMO_URL = "https://demo.triangle.example/"


@pytest.fixture(scope="module")
def demo() -> tuple[Site, Scores]:
    return scored(REPO)


@pytest.fixture(scope="module")
def demo_badges(demo: tuple[Site, Scores]) -> dict[str, bytes]:
    return by_path(badge_outputs(*demo, DEMO_URL))


def published(site: Site) -> list[str]:
    return sorted(m for m, member in site.members.items() if member.status != "withdrawn")


# ------------------------------------------------------------------------- the files


def test_every_published_member_has_a_combined_badge_and_one_per_side(
    demo: tuple[Site, Scores], demo_badges: dict[str, bytes]
) -> None:
    expected: list[str] = []
    for member in published(demo[0]):
        expected += [f"badges/{member}.json", f"badges/{member}.svg"]
        for side in SIDES:
            expected += [f"badges/{member}/{side}.json", f"badges/{member}/{side}.svg"]
    assert list(demo_badges) == expected


def test_the_combined_badge_shows_the_three_sides_side_by_side(
    demo: tuple[Site, Scores], demo_badges: dict[str, bytes]
) -> None:
    site, scores = demo
    for member in published(site):
        root = assert_safe_xml(demo_badges[f"badges/{member}.svg"])
        levels = side_levels(scores.members[member])
        assert [side for side, _ in levels] == list(SIDES)
        texts = [t.text for t in root.iter(f"{SVG}text") if t.get("aria-hidden") is None]
        assert texts == [label_text(site.members[member].name), *(f"{s}: {LEVEL_WORDS[lv]}" for s, lv in levels)]
        fills = [r.get("fill") for r in root.iter(f"{SVG}rect") if r.get("x") is not None]
        assert fills == [LABEL_COLOUR, *(LEVEL_COLOURS[level] for _, level in levels)]


def test_badges_are_accessible_images_that_link_to_the_member_page(
    demo: tuple[Site, Scores], demo_badges: dict[str, bytes]
) -> None:
    site, _ = demo
    for path, content in demo_badges.items():
        if not path.endswith(".svg"):
            continue
        member = path.removeprefix("badges/").removesuffix(".svg").split("/")[0]
        root = ET.fromstring(content)
        assert root.tag == f"{SVG}svg"
        assert root.get("role") == "img"
        label = root.get("aria-label")
        assert label is not None and label.startswith(site.members[member].name + " — ")
        assert root[0].tag == f"{SVG}title" and root[0].text == label
        links = list(root.iter(f"{SVG}a"))
        assert len(links) == 1
        assert links[0].get("href") == links[0].get(f"{XLINK}href") == f"{DEMO_URL}members/{member}/"


def test_one_side_badge_names_its_side_and_level(demo: tuple[Site, Scores], demo_badges: dict[str, bytes]) -> None:
    site, scores = demo
    member = published(site)[0]
    for side in SIDES:
        level = scores.members[member].sides[side].level
        assert level is not None
        root = ET.fromstring(demo_badges[f"badges/{member}/{side}.svg"])
        texts = [t.text for t in root.iter(f"{SVG}text") if t.get("aria-hidden") is None]
        assert texts == [side, LEVEL_WORDS[level]]
        said = scores.members[member].sides[side]
        facts = phrases("en").state(side, level, said.facts, said.needs_counterparts)
        assert root.get("aria-label") == f"{site.members[member].name} — {side}: {LEVEL_WORDS[level]} ({facts})"
        assert json.loads(demo_badges[f"badges/{member}/{side}.json"]) == {
            "schemaVersion": 1,
            "label": side,
            "message": LEVEL_WORDS[level],
            "color": LEVEL_COLOURS[level].removeprefix("#"),
        }


def test_the_endpoint_json_lists_the_three_sides_and_takes_the_lowest_sides_colour(
    demo: tuple[Site, Scores], demo_badges: dict[str, bytes]
) -> None:
    site, scores = demo
    for member in published(site):
        document = json.loads(demo_badges[f"badges/{member}.json"])
        levels = side_levels(scores.members[member])
        assert list(document) == ["schemaVersion", "label", "message", "color"]
        assert document["schemaVersion"] == 1
        assert document["label"] == label_text(site.members[member].name)
        assert document["message"] == " · ".join(f"{side}: {LEVEL_WORDS[level]}" for side, level in levels)
        lowest = min((level for _, level in levels), key=LEVEL_ORDER.index)
        assert document["color"] == LEVEL_COLOURS[lowest].removeprefix("#")


def test_the_endpoint_message_is_the_documented_sentence(demo: tuple[Site, Scores]) -> None:
    outputs = by_path(
        badges_with_levels(demo[1], {"relationship": "reliable", "deadlines": "new", "payment": "highly_reliable"})
    )
    assert json.loads(outputs["badges/someone.json"]) == {
        "schemaVersion": 1,
        "label": "Someone",
        "message": "relationship: reliable · deadlines: new · payment: highly reliable",
        "color": LEVEL_COLOURS["new"].removeprefix("#"),
    }
    caution = by_path(
        badges_with_levels(demo[1], {"relationship": "highly_reliable", "deadlines": "caution", "payment": "new"})
    )
    assert json.loads(caution["badges/someone.json"])["color"] == LEVEL_COLOURS["caution"].removeprefix("#")
    root = ET.fromstring(caution["badges/someone.svg"])
    assert "deadlines: caution" in text_of(root)  # the word, not only the colour


def badges_with_levels(scores: Scores, levels: dict[str, Level]) -> list[Output]:
    """Badges of a made-up member: a real member's score with the given levels."""
    score = next(iter(scores.members.values()))
    sides = {name: replace(side, level=levels[name]) for name, side in score.sides.items()}
    return list(member_badges("someone", "Someone", replace(score, sides=frozen_map(sides)), "https://x.example/"))


# ---------------------------------------------------------------------------- colours


@pytest.mark.parametrize("level", LEVELS)
def test_white_text_meets_wcag_aa_on_every_level_colour(level: str) -> None:
    assert contrast_ratio("#ffffff", LEVEL_COLOURS[level]) >= 4.5  # type: ignore[index]


def test_white_text_meets_wcag_aa_on_the_label() -> None:
    assert contrast_ratio("#ffffff", LABEL_COLOUR) >= 4.5


def test_every_level_has_a_distinct_colour_and_a_word() -> None:
    assert set(LEVEL_COLOURS) == set(LEVEL_WORDS) == set(LEVEL_ORDER) == set(LEVELS)
    assert len(set(LEVEL_COLOURS.values())) == len(LEVELS)


def test_the_lowest_level_is_caution_then_new_then_reliable() -> None:
    assert lowest_level(["highly_reliable", "caution", "reliable"]) == "caution"
    assert lowest_level(["highly_reliable", "new", "reliable"]) == "new"
    assert lowest_level(["highly_reliable", "reliable"]) == "reliable"
    assert lowest_level(["highly_reliable"]) == "highly_reliable"


def test_contrast_ratio_matches_wcag_reference_values() -> None:
    assert contrast_ratio("#ffffff", "#000000") == pytest.approx(21.0)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


# ----------------------------------------------------------------------------- widths


def test_text_widths_follow_verdana() -> None:
    assert char_width("W") > char_width("m") > char_width("a") > char_width("i")
    assert char_width("è") == char_width("e") and char_width("É") == char_width("E")
    assert char_width("\u0301") == 0  # a combining accent adds no width
    assert char_width("漢") == 1000
    assert text_width("") == 1
    assert text_width("relationship") == 65  # 5.850 em × 11 px = 64.35, rounded up to an odd 65
    assert text_width("Inès Moreau") == text_width("Ines Moreau")


@given(st.text(max_size=40), st.text(max_size=40))
def test_text_width_grows_with_text(first: str, second: str) -> None:
    assert text_width(first + second) >= text_width(first)
    assert text_width(first) % 2 == 1


@given(st.text(max_size=40), st.characters(min_codepoint=0x21, max_codepoint=0x7E))
def test_a_visible_character_always_widens_the_text(text: str, char: str) -> None:
    assert text_width(text + char) > text_width(text)


def test_segments_are_as_wide_as_their_text_plus_padding() -> None:
    short = ET.fromstring(svg_badge([Segment("ab", "#555555"), Segment("new", "#5f6b7a")], "t", "https://x/", "i"))
    long = ET.fromstring(
        svg_badge([Segment("a much longer label", "#555555"), Segment("new", "#5f6b7a")], "t", "https://x/", "i")
    )
    widths = [int(r.get("width", "0")) for r in short.iter(f"{SVG}rect") if r.get("x") is not None]
    assert widths == [text_width("ab") + 10, text_width("new") + 10]
    assert int(short.get("width", "0")) == sum(widths)
    assert int(long.get("width", "0")) > int(short.get("width", "0"))
    lengths = [t.get("textLength") for t in short.iter(f"{SVG}text")]
    assert lengths == [str(text_width("ab") * 10)] * 2 + [str(text_width("new") * 10)] * 2


def test_a_long_name_is_cut_on_the_badge_but_whole_in_its_title() -> None:
    name = "Société coopérative d'intérêt collectif des graphistes indépendants"
    assert len(label_text(name)) == MAX_LABEL and label_text(name).endswith("…")
    assert label_text("  Anna \n Schmidt ") == "Anna Schmidt"


# ---------------------------------------------------------------- privacy and escaping


def test_a_withdrawn_member_has_no_badge(site_factory: SiteFactory) -> None:
    site, scores = withdrawn_site(site_factory)
    outputs = by_path(badge_outputs(site, scores, "https://base.example/"))
    assert sorted({p.split("/")[1].split(".")[0] for p in outputs}) == ["atelier-lumen", "claire-dubois"]
    assert not any(b"ines-moreau" in c or "Inès".encode() in c for c in outputs.values())


def test_a_statement_awaiting_reply_does_not_move_any_badge(site_factory: SiteFactory) -> None:
    (site, scores), (site_without, scores_without) = awaiting_sites(site_factory)
    assert by_path(badge_outputs(site, scores, "https://base.example/")) == by_path(
        badge_outputs(site_without, scores_without, "https://base.example/")
    )


def test_hostile_names_are_escaped_in_every_badge(site_factory: SiteFactory) -> None:
    site, scores = hostile_site(site_factory)
    outputs = by_path(badge_outputs(site, scores, "https://base.example/"))
    for path, content in outputs.items():
        if path.endswith(".svg"):
            root = assert_safe_xml(content)
            member = path.removeprefix("badges/").removesuffix(".svg").split("/")[0]
            assert XSS_NAMES[member] in text_of(root)
        else:
            assert b"<" not in content and b">" not in content and b"&" not in content
            assert json.loads(content)["label"] in ({*XSS_NAMES.values()} | set(SIDES))
    assert b"&amp;amp;" in outputs["badges/claire-dubois.svg"]


def test_characters_xml_forbids_never_break_a_badge() -> None:
    root = assert_safe_xml(svg_badge([Segment("a\x00b\x1bc\ufffe", "#555555")], "t\x07", "https://x/", "i"))
    assert "a\ufffdb\ufffdc\ufffd" in text_of(root)


def test_badges_are_the_same_bytes_for_the_same_input() -> None:
    first = by_path(badge_outputs(*scored(REPO), DEMO_URL))
    second = by_path(badge_outputs(*scored(REPO), DEMO_URL))
    assert first == second
    assert by_path(badge_outputs(*scored(REPO), DEMO_URL.rstrip("/"))) == first
