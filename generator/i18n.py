"""Interface translations (Babel message catalogs) and locale-aware formatting.

The interface is translated; member-written text is shown as written. Catalogs are
the ``.po`` files under ``generator/theme/locales/``, read directly at build time (no
compiled ``.mo`` files to forget to regenerate), so editing a translation and
rebuilding is all a translator has to do. ``messages.pot`` beside them is extracted
from the templates with Babel (see ``babel.cfg``); a test keeps the three in step.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
from pathlib import Path
from typing import Final

from babel import Locale
from babel.dates import format_date
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_percent
from babel.support import Translations
from markupsafe import Markup

LOCALES_DIR: Final = Path(__file__).parent / "theme" / "locales"
DOMAIN: Final = "messages"
SUPPORTED: Final = ("fr", "en")
OG_LOCALES: Final = {"fr": "fr_FR", "en": "en_GB"}
"""Open Graph wants a territory; the directory's readers are in France and Europe."""


def catalog_path(language: str) -> Path:
    """Where a language's catalog lives."""
    return LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(language: str) -> Catalog:
    """Parse one language's ``.po`` catalog."""
    with catalog_path(language).open("rb") as handle:
        return read_po(handle, locale=language, domain=DOMAIN)


@functools.cache
def translations(language: str) -> Translations:
    """Gettext translations for the templates, compiled in memory from the ``.po`` file."""
    buffer = io.BytesIO()
    write_mo(buffer, read_catalog(language), use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


@functools.lru_cache(maxsize=16384)
def _format_date(day: dt.date, style: str, language: str) -> str:
    return str(format_date(day, format=style, locale=Locale.parse(language)))


@functools.lru_cache(maxsize=256)
def _format_percent(whole: int, language: str) -> str:
    return str(format_percent(whole / 100, locale=Locale.parse(language)))


class TemplateGettext:
    """Jinja's "newstyle" ``gettext`` and ``ngettext`` for autoescaped templates, made cheap.

    Same results as ``install_gettext_translations(newstyle=True)``: the translation
    is trusted markup, and variables are escaped into it with ``%``. But Jinja's
    versions look the function up in the template context on every call, and a
    member page calls them a hundred times; these are plain callables, and a
    message without variables is translated once per build.
    """

    def __init__(self, language: str) -> None:
        self._translations = translations(language)
        self._constant: dict[str, Markup] = {}

    def gettext(self, message: str, /, **variables: object) -> Markup:
        """``_('...')`` in a template."""
        if not variables:
            found = self._constant.get(message)
            if found is None:
                found = self._constant[message] = Markup(self._translations.gettext(message)) % {}
            return found
        return Markup(self._translations.gettext(message)) % variables

    def ngettext(self, singular: str, plural: str, count: int, /, **variables: object) -> Markup:
        """``ngettext(...)`` and ``{% trans count=... %}`` in a template; ``num`` defaults to the count."""
        variables.setdefault("num", count)
        return Markup(self._translations.ngettext(singular, plural, count)) % variables


class Formatter:
    """Dates and numbers as a reader of one language writes them.

    Templates get one per language as ``fmt``. Dates are cached: a large directory
    formats the same few thousand days over and over, and Babel is slow at it.
    """

    def __init__(self, language: str) -> None:
        self.language = language
        self.locale = Locale.parse(language)
        symbols = self.locale.number_symbols.get("latn", self.locale.number_symbols)
        self._separators = str.maketrans({",": str(symbols["group"]), ".": str(symbols["decimal"])})

    def date(self, day: dt.date, style: str = "long") -> str:
        """``27 novembre 2026`` / ``27 November 2026``."""
        return _format_date(day, style, self.language)

    def number(self, value: float, digits: int = 2) -> str:
        """A decimal with at most ``digits`` decimals, in the language's notation (``1 234,5``)."""
        text = f"{value:,.{digits}f}"
        if digits:
            text = text.rstrip("0").rstrip(".")
        return text.translate(self._separators)

    def fixed(self, value: float, digits: int = 4) -> str:
        """A decimal with exactly ``digits`` decimals, so columns of evidence line up (``0,4213``).

        Formatted by Python and then given the locale's separators, not by Babel: a
        member page of a busy member shows thousands of numbers, and Babel takes
        about 30 µs for each.
        """
        return f"{value:,.{digits}f}".translate(self._separators)

    def integer(self, value: int) -> str:
        """A whole number with the language's grouping (``10 000`` / ``10,000``)."""
        return f"{value:,d}".translate(self._separators)

    def percent(self, value: float) -> str:
        """A share in [0, 1] as a whole percentage (``42 %`` in French, ``42%`` in English)."""
        return _format_percent(round(value * 100), self.language)

    def og_locale(self, code: str | None = None) -> str:
        """The ``og:locale`` of this language, or of ``code`` (``fr_FR``)."""
        code = code or self.language
        return OG_LOCALES.get(code, code)

    @staticmethod
    @functools.cache
    def autonym(code: str) -> str:
        """A language's name in itself (``Français``, ``English``), for the language switch."""
        name = Locale.parse(code).get_display_name(code)
        return name[:1].upper() + name[1:] if name else code

    def language_name(self, code: str) -> str:
        """The name of a language in this language (``anglais`` / ``English``)."""
        name = self.locale.languages.get(code)
        return str(name) if name else code
