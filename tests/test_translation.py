"""The French site speaks French: no English interface string and no English skill label on its pages.

The demo network is built in full and the visible text of every French page (text,
``<title>``, ``alt``/``title``/``aria-label``/``placeholder`` attributes, the page
description) is searched for the English side of every message the French catalog
translates differently, of the feed's words, and of every declared label whose French
and English differ. What members wrote (names, headlines, bios, titles, comments…) is
theirs to write in any language, so it is taken out first, by value, from the model;
text inside an element marked with another ``lang`` (the language switcher's
"English") is foreign on purpose and left out too.

:func:`english_on` is the checker; the last tests prove it fails on a page where a
template string was left in English, so that this suite cannot pass vacuously.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Iterable, Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest

from generator.check import check_site
from generator.diagnostics import Severity
from generator.feeds import STRINGS
from generator.i18n import read_catalog
from generator.model import Site
from generator.render import load_theme, render_site
from generator.score import score_site
from generator.search import SEARCH_SOURCE
from generator.vocabulary import Vocabulary

from .conftest import REPO, TODAY

BUILD_DATE = dt.date.fromisoformat(TODAY)

SAME_IN_FRENCH = frozenset(
    {"Contacts", "Date", "Organisation", "Page", "Score", "client", "%(side)s (score %(score)s)"}
)
"""Messages whose French translation is the English word itself (they are French words too)."""

SKIPPED = frozenset({"script", "style", "template", "code", "pre", "id"})
"""Not prose: scripts, styles, code to copy (badge embeds), and the feed's tag URIs (``<id>``)."""
URL = re.compile(r"\b(?:https?://|tag:)\S+")
VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"})
SHOWN_ATTRIBUTES = ("title", "alt", "aria-label", "placeholder")
SHOWN_META = frozenset({"description", "og:title", "og:description"})


class VisibleText(HTMLParser):
    """The text a visitor reads or hears, one string per text node or shown attribute."""

    def __init__(self, language: str) -> None:
        super().__init__(convert_charrefs=True)
        self.language = language
        self.texts: list[str] = []
        self.skipping: list[str] = []
        """Tags of the elements being skipped (a script, or text in another language), innermost last."""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if self.skipping:
            if tag == self.skipping[-1] and tag not in VOID:
                self.skipping.append(tag)  # the same tag nested: its end tag is not ours
            return
        lang = values.get("lang")
        if tag in SKIPPED or (lang and lang != self.language):
            if tag not in VOID:
                self.skipping.append(tag)
            return
        self.texts += [values[name] for name in SHOWN_ATTRIBUTES if values.get(name)]
        if tag == "meta" and (values.get("name") in SHOWN_META or values.get("property") in SHOWN_META):
            self.texts.append(values.get("content", ""))

    def handle_endtag(self, tag: str) -> None:
        if self.skipping and tag == self.skipping[-1]:
            self.skipping.pop()

    def handle_data(self, data: str) -> None:
        if not self.skipping and data.strip():
            self.texts.append(data)


def normal(text: str) -> str:
    return " ".join(text.split())


def member_written(site: Site) -> tuple[list[str], list[str]]:
    """What members (and the operator) wrote: short texts (names, titles…) and long ones (bios…)."""
    short = [site.config.title, site.config.description or ""]
    long: list[str] = []
    for member in site.members.values():
        short += [member.name, member.headline, member.location or ""]
        short += [label for label, _ in member.links]
        long.append(member.bio or "")
    for engagement in site.engagements.values():
        short.append(engagement.title)
        long.append(engagement.summary or "")
        for attestation in engagement.attestations:
            long += [attestation.comment or "", attestation.reply or ""]
    long += [resolution.note for resolution in site.resolutions.values()]
    return [normal(t) for t in short if t.strip()], [normal(t) for t in long if t.strip()]


def fragments(message: str) -> Iterator[str]:
    """The literal words of a message, cut at its placeholders and stripped of punctuation."""
    for part in re.split(r"%\([a-z_]+\)[sd]|\{[a-z_]+\}|%%", message):
        words = part.strip(" \t\n.,:;!?()“”\"'’—–-·×=+/<>")
        if sum(c.isalpha() for c in words) >= 4:
            yield words


def english_needles(vocabulary: Vocabulary) -> set[str]:
    """English text that has a different French translation: it must never reach a French page."""
    french_texts: list[str] = []
    english: set[str] = set()
    for message in read_catalog("fr"):
        if not message.id:
            continue
        ids = (message.id,) if isinstance(message.id, str) else tuple(message.id)
        strings = (message.string,) if isinstance(message.string, str) else tuple(message.string)
        french_texts += strings
        if tuple(strings) == ids and ids[0] in SAME_IN_FRENCH:
            continue
        for msgid in ids:
            english.update(fragments(msgid))
    for key, text in STRINGS["en"].items():
        french_texts.append(STRINGS["fr"][key])
        english.update(fragments(text))
    for declared in (vocabulary.skills or {}, vocabulary.regions or {}):
        for labels in declared.values():
            french_texts.append(labels["fr"])
            if labels["fr"] != labels["en"]:
                english.add(labels["en"])
    # An English word that French writes the same way (a loan word, an acronym) is no evidence.
    french = "\n".join(french_texts)
    return {n for n in english if not re.search(rf"(?<!\w){re.escape(n)}(?!\w)", french)}


def french_text(content: bytes, short: list[str], long: list[str]) -> str:
    """A page's visible text without what members wrote, one line per text node."""
    parser = VisibleText("fr")
    parser.feed(content.decode("utf-8"))
    parser.close()
    written = re.compile("|".join(re.escape(s) for s in sorted(set(short), key=len, reverse=True)))
    kept = []
    for text in map(normal, parser.texts):
        if any(text in body for body in long):
            continue
        kept.append(written.sub("\x00", URL.sub("\x00", text)))
    return "\n".join(kept)


def english_on(pages: Iterable[tuple[str, bytes]], site: Site) -> list[str]:
    """``path: 'needle' in '…text…'`` for every English string found on the French pages."""
    vocabulary = Vocabulary.of(site.config)
    needles = sorted(english_needles(vocabulary), key=len, reverse=True)
    pattern = re.compile("|".join(rf"(?<!\w){re.escape(n)}(?!\w)" for n in needles))
    short, long = member_written(site)
    found = []
    for path, content in pages:
        text = french_text(content, short, long)
        for match in pattern.finditer(text):
            start = text.rfind("\n", 0, match.start()) + 1
            end = text.find("\n", match.end())
            found.append(f"{path}: {match.group()!r} in {text[start : end if end >= 0 else None][:120]!r}")
    return found


def is_french_page(path: str) -> bool:
    """Pages (and search documents, and the feed) of the default language, French in the demo."""
    if path.startswith(f"{SEARCH_SOURCE}/"):
        path = path[len(SEARCH_SOURCE) + 1 :]
    if path.startswith(("en/", "api/", "static/", "badges/")):
        return False
    return path.endswith(".html") or path == "feed.xml"


def build(root: Path) -> tuple[Site, dict[str, bytes]]:
    checked = check_site(root, BUILD_DATE)
    errors = [d.render() for d in checked.diagnostics if d.severity is Severity.ERROR]
    assert not errors, errors
    scores = score_site(checked.site)
    theme = load_theme(root, checked.site.config.theme)
    outputs = render_site(checked.site, scores, theme, jobs=1, search=True)
    return checked.site, {o.path: o.content for o in outputs}


@pytest.fixture(scope="module")
def demo() -> tuple[Site, dict[str, bytes]]:
    return build(REPO)


def test_the_demo_is_french_first_with_labels_in_both_languages(demo: tuple[Site, dict[str, bytes]]) -> None:
    site, pages = demo
    assert site.config.languages[0] == "fr"
    vocabulary = Vocabulary.of(site.config)
    assert vocabulary.skills is not None and vocabulary.regions is not None
    differ = [s for s, labels in vocabulary.skills.items() if labels["fr"] != labels["en"]]
    assert len(differ) >= 15, "the demo should exercise translated skill labels"
    assert sum(is_french_page(p) for p in pages) > 60


def test_french_pages_show_no_english_interface_string_nor_label(demo: tuple[Site, dict[str, bytes]]) -> None:
    site, pages = demo
    found = english_on(((p, c) for p, c in sorted(pages.items()) if is_french_page(p)), site)
    assert found == []


def test_the_needles_cover_the_interface_and_the_labels(demo: tuple[Site, dict[str, bytes]]) -> None:
    needles = english_needles(Vocabulary.of(demo[0].config))
    assert {"How this level was computed", "Project management", "Social media", "Proven skills"} <= needles
    assert "Motion design" not in needles  # the same in both languages
    assert "SEO" not in needles  # French writes "Référencement (SEO)"


def test_only_french_words_are_translated_by_themselves() -> None:
    """A French "translation" copied from the English is caught here rather than shipped."""
    same = {
        m.id
        for m in read_catalog("fr")
        if m.id and isinstance(m.id, str) and isinstance(m.string, str) and m.string == m.id
    }
    assert same <= SAME_IN_FRENCH


def test_the_checker_finds_a_template_string_left_in_english(tmp_path: Path) -> None:
    root = tmp_path / "site"
    shutil.copytree(REPO / "content", root / "content")
    shutil.copy(REPO / "site.yml", root / "site.yml")
    footer = (REPO / "generator" / "theme" / "templates" / "_footer.html").read_text(encoding="utf-8")
    (root / "themes" / "default" / "templates").mkdir(parents=True)
    (root / "themes" / "default" / "templates" / "_footer.html").write_text(
        footer + "<p>How this level was computed</p>\n", encoding="utf-8"
    )
    site, pages = build(root)
    found = english_on([("index.html", pages["index.html"])], site)
    assert found == ["index.html: 'How this level was computed' in 'How this level was computed'"]
    assert english_on([("en/index.html", pages["en/index.html"])], site) == []  # not looked for in English


def test_the_checker_finds_an_english_label_and_ignores_what_members_wrote(
    demo: tuple[Site, dict[str, bytes]],
) -> None:
    site, _ = demo
    member = next(iter(site.members.values()))
    page = (
        f'<html lang="fr"><head><title>{member.name}</title></head><body>'
        f'<h1>{member.name}</h1><p class="card-headline">{member.headline}</p>'
        '<ul><li><a href="#">Social media</a></li></ul>'
        '<a href="../en/" hreflang="en" lang="en">English</a><script>var s = "How this level was computed";</script>'
        "</body></html>"
    ).encode()
    assert english_on([("x.html", page)], site) == ["x.html: 'Social media' in 'Social media'"]


def test_the_english_pages_read_as_french_would_fail(demo: tuple[Site, dict[str, bytes]]) -> None:
    """The needles are the interface as rendered: the English pages, taken for French, are full of them."""
    site, pages = demo
    english = [
        (p, c.replace(b'<html lang="en"', b'<html lang="fr"'))
        for p, c in sorted(pages.items())
        if p.startswith("en/") and p.endswith(".html")
    ]
    found = {line.split(": ", 1)[1].split(" in ")[0] for line in english_on(english, site)}
    assert {"'How this level was computed'", "'Proven skills'", "'Project management'", "'Social media'"} <= found
    assert len(found) >= 40
