"""Embeddable reliability badges: SVG images and shields.io endpoint JSON, one set per member.

A badge is the directory's verdict travelling alone to a member's website, a
proposal or a forum signature, so it must say exactly what the member page says and
link back to the evidence:

* the three sides are shown side by side, each with its level, and never blended
  into one number (``badges/<id>.svg``); each side also has a badge of its own
  (``badges/<id>/<side>.svg``);
* levels are English words (``highly reliable``): a badge is embedded on pages of
  any language, and English is the language a visitor is likeliest to read; the
  member page it links to is translated. No per-language variants are built;
* every level colour keeps white text at WCAG AA contrast (4.5:1 or more, checked by
  the tests), and the level is always written out, so caution never relies on colour;
* the SVG carries ``role="img"``, an ``aria-label`` and a ``<title>``, and wraps the
  drawing in a link to the member page (followed when the SVG is opened directly;
  an ``<img>`` embed needs its own link around it).

The SVG is built here rather than with a badge library: pybadges is archived and
breaks under ``-W error``, and a shields-like flat badge is a few rectangles and
texts. Text widths come from Verdana's advance widths (the font shields.io measures
with), so no font library is needed; ``textLength`` then makes the browser fit the
text into exactly that width whatever font it falls back to. Every piece of text is
escaped with :mod:`xml.sax.saxutils`, so a member's name can never become markup.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterator, Sequence
from typing import Final, NamedTuple
from xml.sax.saxutils import escape, quoteattr

from .api import json_bytes
from .model import Site
from .phrases import phrases
from .score import SIDES, Level, MemberScore, Scores
from .write import Output

# ----------------------------------------------------------------------------- text width

FONT_SIZE: Final = 11
"""Badge text is Verdana 11px, as on shields.io."""
VERDANA_ASCII: Final = (
    # Advance widths of Verdana Regular in thousandths of an em, for U+0020 to U+007E.
    # space ! " # $ % & ' ( ) * + , - . /
    (351, 393, 458, 818, 635, 1076, 726, 268, 454, 454, 635, 818, 363, 454, 363, 454)
    # 0-9 : ; < = > ? @
    + (635,) * 10
    + (454, 454, 818, 818, 818, 545, 1000)
    # A-Z
    + (683, 685, 698, 770, 632, 574, 775, 751, 420, 454, 692, 556, 842)
    + (748, 787, 603, 787, 695, 683, 616, 731, 683, 988, 685, 615, 685)
    # [ \ ] ^ _ `
    + (454, 454, 454, 818, 635, 635)
    # a-z
    + (600, 623, 520, 623, 595, 351, 623, 632, 274, 344, 591, 274, 972)
    + (632, 606, 623, 623, 426, 520, 394, 632, 591, 818, 591, 591, 525)
    # { | } ~
    + (634, 454, 634, 818)
)
VERDANA_OTHER: Final = {
    "·": 363,
    "…": 818,
    "–": 635,
    "—": 1000,
    "‘": 268,
    "’": 268,
    "“": 458,
    "”": 458,
    "«": 644,
    "»": 644,
    "ß": 620,
    "æ": 955,
    "Æ": 984,
    "œ": 981,
    "Œ": 1069,
    "ø": 606,
    "Ø": 787,
    "€": 635,
    "×": 818,
    "÷": 818,
    "\u00a0": 351,
}
"""Characters of French and English names that do not decompose to an ASCII letter."""
FALLBACK_WIDTH: Final = 972
"""An unknown character counts as wide as ``m``: too wide leaves a little space, too
narrow would squeeze the text."""
WIDE_WIDTH: Final = 1000
"""East Asian wide and full-width characters take a full em."""


def char_width(char: str) -> int:
    """Advance width of one character in thousandths of an em.

    Accented letters measure as their base letter (``è`` as ``e``: Verdana draws them
    so), combining marks take no room of their own.
    """
    code = ord(char)
    if 0x20 <= code <= 0x7E:
        return VERDANA_ASCII[code - 0x20]
    if char in VERDANA_OTHER:
        return VERDANA_OTHER[char]
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    base = unicodedata.normalize("NFD", char)[0]
    if base != char:
        return char_width(base)
    if unicodedata.east_asian_width(char) in ("W", "F"):
        return WIDE_WIDTH
    return FALLBACK_WIDTH


def text_width(text: str) -> int:
    """Width of ``text`` in Verdana 11px, in whole pixels, rounded up to an odd number.

    Odd like shields.io's, so that the text's centre falls on a half pixel and the
    glyphs stay sharp.
    """
    width = math.ceil(sum(char_width(c) for c in text) * FONT_SIZE / 1000)
    return width if width % 2 else width + 1


# ----------------------------------------------------------------------------- colours

LABEL_COLOUR: Final = "#555555"
LEVEL_COLOURS: Final[dict[Level, str]] = {
    "highly_reliable": "#116329",  # dark green, 7.4:1 with white
    "reliable": "#1a7f37",  # green, 5.1:1
    "new": "#5f6b7a",  # slate grey: no verdict yet, 5.4:1
    "mixed": "#6639ba",  # purple: neither a good record nor an alarm, 7.3:1
    "caution": "#b54708",  # dark orange, not alarm red: one side needs a look, 5.4:1
    "not_applicable": "#3d444d",  # charcoal: no level at all, 9.9:1
}
"""Each level's background; every one keeps white text at WCAG AA (4.5:1) or more."""
LEVEL_ORDER: Final[tuple[Level, ...]] = ("caution", "mixed", "new", "reliable", "highly_reliable", "not_applicable")
"""From the lowest level to the highest: a combined badge takes its lowest side's colour
(a side that does not apply comes last: it never colours a badge while another side has a level)."""
LEVEL_WORDS: Final[dict[Level, str]] = {
    "highly_reliable": "highly reliable",
    "reliable": "reliable",
    "new": "new",
    "mixed": "mixed record",
    "caution": "caution",
    "not_applicable": "n/a",
}


def relative_luminance(colour: str) -> float:
    """WCAG 2 relative luminance of a ``#rrggbb`` colour."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(one: str, other: str) -> float:
    """WCAG 2 contrast ratio of two ``#rrggbb`` colours (1 to 21)."""
    light, dark = sorted((relative_luminance(one), relative_luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def lowest_level(levels: Sequence[Level]) -> Level:
    """The lowest of several levels, caution first: what a single colour may stand for."""
    return min(levels, key=LEVEL_ORDER.index)


def shields_colour(colour: str) -> str:
    """A ``#rrggbb`` colour as shields.io's endpoint expects it: bare hex."""
    return colour.removeprefix("#")


# ----------------------------------------------------------------------------- SVG

HEIGHT: Final = 20
PADDING: Final = 5
MAX_LABEL: Final = 40
"""Characters of a name shown on a badge; the full name is in its title."""
XML_FORBIDDEN: Final = frozenset([*map(chr, range(0x20)), "\ufffe", "\uffff"]) - frozenset("\t\n\r")
"""Characters XML 1.0 cannot carry at all. Validation already refuses them in member
text; replacing them here keeps a badge well-formed whatever reaches it."""


class Segment(NamedTuple):
    """One coloured part of a badge and its text."""

    text: str
    colour: str


def xml_text(text: str) -> str:
    """Text safe inside an XML element: escaped, with characters XML forbids replaced."""
    return escape("".join("\ufffd" if c in XML_FORBIDDEN else c for c in text))


def xml_attribute(value: str) -> str:
    """A quoted attribute value, escaped whatever quotes the value holds."""
    return quoteattr("".join("\ufffd" if c in XML_FORBIDDEN else c for c in value))


def label_text(name: str) -> str:
    """A name as a badge label: whitespace collapsed, cut at :data:`MAX_LABEL` characters."""
    words = " ".join(name.split())
    return words if len(words) <= MAX_LABEL else words[: MAX_LABEL - 1].rstrip() + "…"


def svg_badge(segments: Sequence[Segment], title: str, href: str, ident: str) -> bytes:
    """A flat, shields-like badge: coloured segments side by side, white text, one link.

    ``ident`` names the clip path; it must be unique among badges shown on one page,
    since inline SVGs share the page's ids.
    """
    widths = [text_width(s.text) + 2 * PADDING for s in segments]
    total = sum(widths)
    rects: list[str] = []
    texts: list[str] = []
    x = 0
    for segment, width in zip(segments, widths, strict=True):
        rects.append(f'<rect x="{x}" width="{width}" height="{HEIGHT}" fill="{segment.colour}"/>')
        centre, length, text = (2 * x + width) * 5, (width - 2 * PADDING) * 10, xml_text(segment.text)
        texts.append(
            f'<text aria-hidden="true" x="{centre}" y="150" fill="#010101" fill-opacity=".3" '
            f'transform="scale(.1)" textLength="{length}">{text}</text>'
            f'<text x="{centre}" y="140" transform="scale(.1)" textLength="{length}">{text}</text>'
        )
        x += width
    link = xml_attribute(href)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'width="{total}" height="{HEIGHT}" viewBox="0 0 {total} {HEIGHT}" role="img" '
        f"aria-label={xml_attribute(title)}>"
        f"<title>{xml_text(title)}</title>"
        f'<clipPath id="{ident}"><rect width="{total}" height="{HEIGHT}" rx="3" fill="#fff"/></clipPath>'
        f'<a href={link} xlink:href={link} target="_top">'
        f'<g clip-path="url(#{ident})">{"".join(rects)}</g>'
        '<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" '
        f'text-rendering="geometricPrecision" font-size="110">{"".join(texts)}</g>'
        "</a></svg>\n"
    ).encode()


# ----------------------------------------------------------------------------- badges


def side_levels(score: MemberScore) -> tuple[tuple[str, Level], ...]:
    """Each side of the triangle with its level, in the fixed side order."""
    levels: list[tuple[str, Level]] = []
    for side in SIDES:
        level = score.sides[side].level
        assert level is not None, f"side {side!r} of {score.member!r} has no level"
        levels.append((side, level))
    return tuple(levels)


def member_message(levels: Sequence[tuple[str, Level]], separator: str = " · ") -> str:
    """``relationship: reliable · deadlines: new · payment: highly reliable``."""
    return separator.join(f"{side}: {LEVEL_WORDS[level]}" for side, level in levels)


def endpoint_json(label: str, message: str, colour: str) -> bytes:
    """A shields.io endpoint document (``https://img.shields.io/endpoint?url=…``)."""
    return json_bytes({"schemaVersion": 1, "label": label, "message": message, "color": shields_colour(colour)})


def member_badges(member_id: str, name: str, score: MemberScore, base_url: str) -> Iterator[Output]:
    """One member's badges: the three sides together, then each side alone; SVG and JSON."""
    href = f"{base_url}members/{member_id}/"
    levels = side_levels(score)
    label = label_text(name)
    words = phrases("en")
    facts = {
        side: words.state(side, level, score.sides[side].facts, score.sides[side].needs_counterparts)
        for side, level in levels
    }
    title = f"{' '.join(name.split())} — " + "; ".join(
        f"{side}: {LEVEL_WORDS[level]} ({facts[side]})" for side, level in levels
    )
    colour = LEVEL_COLOURS[lowest_level([level for _, level in levels])]
    yield Output(f"badges/{member_id}.json", endpoint_json(label, member_message(levels), colour))
    segments = [Segment(label, LABEL_COLOUR)]
    segments += [Segment(f"{side}: {LEVEL_WORDS[level]}", LEVEL_COLOURS[level]) for side, level in levels]
    yield Output(f"badges/{member_id}.svg", svg_badge(segments, title, href, f"badge-{member_id}"))
    for side, level in levels:
        level_words, side_colour = LEVEL_WORDS[level], LEVEL_COLOURS[level]
        yield Output(f"badges/{member_id}/{side}.json", endpoint_json(side, level_words, side_colour))
        side_title = f"{' '.join(name.split())} — {side}: {level_words} ({facts[side]})"
        side_segments = [Segment(side, LABEL_COLOUR), Segment(level_words, side_colour)]
        yield Output(
            f"badges/{member_id}/{side}.svg",
            svg_badge(side_segments, side_title, href, f"badge-{member_id}-{side}"),
        )


def badge_inputs(score: MemberScore) -> tuple[object, ...]:
    """All that :func:`member_badges` reads of a score: an incremental build redraws badges when it changes."""
    return tuple((s.level, s.facts, s.needs_counterparts) for s in (score.sides[side] for side in SIDES))


def badge_members(site: Site, scores: Scores) -> Iterator[tuple[str, str, MemberScore]]:
    """Every member with badges (withdrawn members have none), by id: id, name and score."""
    for member_id in sorted(site.members):
        member = site.members[member_id]
        if member.status != "withdrawn" and member_id in scores.members:
            yield member_id, member.name, scores.members[member_id]


def badge_outputs(site: Site, scores: Scores, base_url: str) -> Iterator[Output]:
    """Badges of every published member, by member id.

    ``base_url`` is the site's absolute URL; badges link to the member page in the
    site's default language, at ``<base_url>members/<id>/``.
    """
    root = base_url.rstrip("/") + "/"
    for member_id, name, score in badge_members(site, scores):
        yield from member_badges(member_id, name, score, root)
