"""The interface is fully translated: the catalogs match the templates, and every message has a translation.

A message added to a template without a translation would show English on the
French site (or an empty string for a plural), so this suite fails until the
``.pot`` is regenerated and every catalog translates it.
"""

from __future__ import annotations

import configparser
import datetime as dt
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from generator.i18n import LOCALES_DIR, SUPPORTED, Formatter, read_catalog

from .conftest import REPO

MessageId = str | tuple[str, ...]


def babel_config() -> tuple[list[tuple[str, str]], dict[str, dict[str, str]]]:
    """The method map and options of the repository's ``babel.cfg``, as Babel reads them."""
    parser = configparser.RawConfigParser()
    parser.read(REPO / "babel.cfg", encoding="utf-8")
    method_map: list[tuple[str, str]] = []
    options: dict[str, dict[str, str]] = {}
    for section in parser.sections():
        method, pattern = (part.strip() for part in section.split(":", 1))
        method_map.append((pattern, method))
        options[pattern] = dict(parser.items(section))
    return method_map, options


def key(message: Message) -> MessageId:
    return message.id if isinstance(message.id, str) else tuple(message.id)


def extracted() -> set[MessageId]:
    method_map, options = babel_config()
    found: set[MessageId] = set()
    for _filename, _line, message, _comments, _context in extract_from_dir(REPO, method_map, options):
        found.add(message if isinstance(message, str) else tuple(message))
    return found


def template_catalog() -> Catalog:
    with (LOCALES_DIR / "messages.pot").open("rb") as handle:
        return read_po(handle)


def test_babel_cfg_extracts_the_theme_templates() -> None:
    method_map, options = babel_config()
    assert ("generator/theme/templates/**.html", "jinja2") in method_map
    assert options["generator/theme/templates/**.html"]["extensions"] == "jinja2.ext.i18n"


def test_pot_lists_exactly_the_messages_of_the_templates() -> None:
    in_templates = extracted()
    in_pot = {key(m) for m in template_catalog() if m.id}
    assert in_templates, "no message extracted: is babel.cfg's pattern right?"
    missing = sorted(map(str, in_templates - in_pot))
    stale = sorted(map(str, in_pot - in_templates))
    assert not missing and not stale, (
        f"messages.pot is out of date; regenerate it with `pybabel extract -F babel.cfg --no-location "
        f"--sort-output -o generator/theme/locales/messages.pot .` — missing: {missing}, stale: {stale}"
    )


@pytest.mark.parametrize("language", SUPPORTED)
def test_every_message_is_translated(language: str) -> None:
    catalog = read_catalog(language)
    wanted = {key(m) for m in template_catalog() if m.id}
    have = {key(m): m for m in catalog if m.id}
    assert sorted(map(str, wanted - set(have))) == [], f"{language}: messages missing from the catalog"
    assert sorted(map(str, set(have) - wanted)) == [], f"{language}: obsolete messages in the catalog"
    untranslated = [
        str(k)
        for k, m in have.items()
        if m.fuzzy or (not all(m.string) if isinstance(m.string, tuple) else not m.string)
    ]
    assert untranslated == [], f"{language}: untranslated or fuzzy messages"
    for k, m in have.items():
        if isinstance(m.string, tuple):
            assert len(m.string) == catalog.num_plurals, f"{language}: {k!r} needs {catalog.num_plurals} plural forms"


@pytest.mark.parametrize("language", SUPPORTED)
def test_translations_keep_their_placeholders(language: str) -> None:
    """``%(name)s`` and ``{n}`` placeholders must survive translation, or a page fails to render."""
    placeholder = re.compile(r"%\(\w+\)s|\{\w+\}")
    for message in read_catalog(language):
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        wanted = set().union(*(placeholder.findall(i) for i in ids))
        for string in strings:
            found = set(placeholder.findall(string))
            # A singular may leave out the count ("la compétence"), never add or rename one.
            assert found <= wanted, f"{language}: {message.id!r} → {string!r} uses unknown placeholders"
            if isinstance(message.id, str):
                assert found == wanted, f"{language}: {message.id!r} → {string!r} loses a placeholder"


def test_french_typography_uses_non_breaking_spaces() -> None:
    for message in read_catalog("fr"):
        if not message.id:
            continue  # the header
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        for string in strings:
            assert " :" not in string and " ;" not in string and "« " not in string and " »" not in string, string


def test_formatter_is_locale_aware() -> None:
    fr, en = Formatter("fr"), Formatter("en")
    day = dt.date(2026, 11, 27)
    assert fr.date(day) == "27 novembre 2026"
    assert en.date(day) == "November 27, 2026"
    assert fr.fixed(1234.5, 2) == "1\u202f234,50"
    assert en.fixed(1234.5, 2) == "1,234.50"
    assert fr.number(2.50) == "2,5" and en.number(2.0) == "2"
    assert fr.integer(10000) == "10\u202f000"
    assert fr.percent(0.4213) == "42\u00a0%" and en.percent(0.4213) == "42%"
    assert fr.og_locale() == "fr_FR" and fr.og_locale("en") == "en_GB"
    assert Formatter.autonym("fr") == "Français" and Formatter.autonym("en") == "English"


def test_catalogs_exist_for_every_supported_language() -> None:
    for language in SUPPORTED:
        assert Path(LOCALES_DIR / language / "LC_MESSAGES" / "messages.po").is_file()
