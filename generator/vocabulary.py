"""The network's shared vocabulary: the skills and regions site.yml declares, and their labels.

A skill or a region is an id (a slug: it becomes a URL) that pages show by its label
in the page's language. A network that declares a vocabulary gets its own labels in
every language and a warning from ``check`` for any other id; a network that declares
none keeps readable names made from the slugs (and the proper names of the French
regions, which are the same in every language). Pure: built from the configuration.
"""

from __future__ import annotations

import difflib
import functools
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from .fields import slugify
from .model import SiteConfig, Terms, frozen_map

REGION_NAMES: Final = {
    "auvergne-rhone-alpes": "Auvergne-Rhône-Alpes",
    "bourgogne-franche-comte": "Bourgogne-Franche-Comté",
    "bretagne": "Bretagne",
    "centre-val-de-loire": "Centre-Val de Loire",
    "corse": "Corse",
    "grand-est": "Grand Est",
    "guadeloupe": "Guadeloupe",
    "guyane": "Guyane",
    "hauts-de-france": "Hauts-de-France",
    "ile-de-france": "Île-de-France",
    "la-reunion": "La Réunion",
    "martinique": "Martinique",
    "mayotte": "Mayotte",
    "normandie": "Normandie",
    "nouvelle-aquitaine": "Nouvelle-Aquitaine",
    "occitanie": "Occitanie",
    "pays-de-la-loire": "Pays de la Loire",
    "provence-alpes-cote-d-azur": "Provence-Alpes-Côte d'Azur",
}
"""Proper names of the French regions (a slug cannot carry accents), used when site.yml declares no regions."""

ACRONYMS: Final = frozenset({"2d", "3d", "ai", "ar", "b2b", "crm", "ui", "ux", "pao", "pr", "seo", "sea", "tv", "vr"})
"""Words of a slug written in capitals when shown (``seo`` → ``SEO``)."""


@functools.lru_cache(maxsize=4096)
def humanise(slug: str) -> str:
    """``motion-design`` → ``Motion design``, ``seo`` → ``SEO``: a readable name for a slug nobody named."""
    words = [w.upper() if w in ACRONYMS else w for w in slug.split("-")]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def region_name(slug: str) -> str:
    """A region's name when site.yml declares no regions: its proper name, or the slug made readable."""
    return REGION_NAMES.get(slug) or humanise(slug)


def skill_name(slug: str) -> str:
    """A skill's name when site.yml declares no skills: the slug made readable."""
    return humanise(slug)


def sort_key(name: str) -> str:
    """Alphabetical order that ignores accents and case, the same on every machine."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _labels(terms: Terms | None, languages: tuple[str, ...]) -> Mapping[str, Mapping[str, str]] | None:
    """Id → language → label, with a label written once copied to every language."""
    if terms is None:
        return None
    found: dict[str, Mapping[str, str]] = {}
    for term, labels in terms:
        by_language = dict(labels)
        every = by_language.pop("*", None)
        if every is not None:
            by_language = dict.fromkeys(languages, every)
        found[term] = frozen_map(by_language)
    return frozen_map(found)


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """The labels of skills and regions in each language, and the declared ids ``check`` accepts."""

    languages: tuple[str, ...]
    skills: Mapping[str, Mapping[str, str]] | None = None
    """Declared skills (id → language → label), or ``None`` when site.yml declares none."""
    regions: Mapping[str, Mapping[str, str]] | None = None
    """Declared regions, or ``None``."""

    @classmethod
    def of(cls, config: SiteConfig) -> Vocabulary:
        """The vocabulary site.yml declares (labels validated by :mod:`config`)."""
        languages = config.languages
        return cls(languages, _labels(config.skills, languages), _labels(config.regions, languages))

    def skill(self, slug: str, language: str) -> str:
        """A skill's label in ``language``."""
        labels = self.skills.get(slug) if self.skills is not None else None
        if labels is None:
            return skill_name(slug)
        return labels.get(language) or labels[self.languages[0]]

    def region(self, slug: str, language: str) -> str:
        """A region's label in ``language``."""
        labels = self.regions.get(slug) if self.regions is not None else None
        if labels is None:
            return region_name(slug)
        return labels.get(language) or labels[self.languages[0]]


def closest(word: str, declared: Mapping[str, Mapping[str, str]]) -> str | None:
    """The declared id a misspelt one most likely meant, matching ids and labels.

    Labels are compared as slugs, so ``gestion-de-projet`` finds the skill labelled
    "Gestion de projet" whatever its id.
    """
    candidates = {term: term for term in declared}
    for term, labels in declared.items():
        for label in labels.values():
            candidates.setdefault(slugify(label), term)
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.75)
    return candidates[close[0]] if close else None
