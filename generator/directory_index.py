"""The directory's JSON index: every card, compact, for the script that filters and sorts.

The directory is paginated (:func:`views.paginate`), so no page holds every card; the
script of the directory page (``triangle.js``) filters and sorts the whole network
through this index instead, one file per language (``directory.json`` at each
language's root), and draws the cards it shows from a ``<template>`` the server
rendered with a card's own markup (:meth:`render.Fragments.card_template`).

It holds only what a card shows or a filter reads, under one-letter keys, and
repeated strings once: the tables ``levels``, ``skills``, ``regions`` and ``texts``
(the plain-words facts of the badges, which recur from member to member) are indexed
by number from the cards. Cards come "most reliable first", the directory's order,
so their position is their rank. Nothing here is HTML: the script sets every string
with ``textContent``.

Keys of a card: ``i`` id, ``n`` name, ``h`` headline, ``l`` location (absent when
none), ``r`` region, ``x`` 1 when the member has left, ``v`` the three levels (in
the triangle's order), ``f`` the three facts (``-1`` where a side does not apply),
``w`` what each ``new`` side still needs (``-1`` elsewhere; absent when no side is
new), ``s`` every skill (for the filter), ``p`` the skills the card shows, ``o`` 1
when those are proven (else declared), ``m`` how many more skills it does not show
(absent when none).
"""

from __future__ import annotations

import json
from typing import Any, Final

from .phrases import Phrases, phrases
from .score import LEVELS
from .views import Card, SiteIndex

FORMAT: Final = 1
"""The index's format version (``v``): the script and the index ship together, but a cache may mix them."""


class _Table:
    """Strings numbered in the order they are first seen."""

    def __init__(self, initial: list[str] | None = None) -> None:
        self.items: list[str] = list(initial or [])
        self.number = {item: n for n, item in enumerate(self.items)}

    def __call__(self, item: str) -> int:
        found = self.number.get(item)
        if found is None:
            found = self.number[item] = len(self.items)
            self.items.append(item)
        return found


def directory_index(index: SiteIndex, language: str) -> dict[str, Any]:
    """The index of ``language``: its tables and every published member's card, most reliable first."""
    say = phrases(language)
    vocabulary = index.vocabulary
    listing = index.listings[language]
    skills = [g.slug for g in listing.skills]  # in the order of this language's labels
    skill_number = {slug: n for n, slug in enumerate(skills)}
    regions = [g.slug for g in listing.regions]
    region_number = {slug: n for n, slug in enumerate(regions)}
    level_number: dict[str, int] = {level: n for n, level in enumerate(LEVELS)}
    texts = _Table()
    cards = [_card(card, say, texts, skill_number, region_number, level_number) for card in index.ranked]
    return {
        "v": FORMAT,
        "levels": list(LEVELS),
        "skills": [[slug, vocabulary.skill(slug, language)] for slug in skills],
        "regions": [[slug, vocabulary.region(slug, language)] for slug in regions],
        "texts": texts.items,
        "cards": cards,
    }


def _card(
    card: Card,
    say: Phrases,
    texts: _Table,
    skill_number: dict[str, int],
    region_number: dict[str, int],
    level_number: dict[str, int],
) -> dict[str, Any]:
    facts: list[int] = []
    needs: list[int] = []
    for (side, level), side_facts, missing in zip(card.levels, card.facts, card.needs, strict=True):
        facts.append(-1 if level == "not_applicable" else texts(say.facts(side, side_facts)))
        needs.append(texts(say.needs(missing)) if level == "new" else -1)
    shown, proven, more = card.shown_skills
    entry: dict[str, Any] = {"i": card.id, "n": card.name, "h": card.headline}
    if card.location:
        entry["l"] = card.location
    entry["r"] = region_number[card.region]
    if card.left:
        entry["x"] = 1
    entry["v"] = [level_number[level] for _, level in card.levels]
    entry["f"] = facts
    if any(n >= 0 for n in needs):
        entry["w"] = needs
    entry["s"] = sorted(skill_number[s] for s in card.skills)
    entry["p"] = [skill_number[s] for s in shown]
    if proven:
        entry["o"] = 1
    if more:
        entry["m"] = more
    return entry


def directory_json(index: SiteIndex, language: str) -> bytes:
    """:func:`directory_index` as compact JSON (no spaces, UTF-8 as is): the bytes that are published."""
    text = json.dumps(directory_index(index, language), ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8")
