"""Render the scored network into the files of the site (pages, assets), in every language.

Rendering is a pure function of the model, the scores and the theme's templates: it
yields :class:`~generator.write.Output` items and never touches the output folder,
so the writer alone decides how files reach the disk. Templates run with autoescape
and ``StrictUndefined``; the only HTML marked safe is what :mod:`markup` sanitised
(and the trusted method document, see :func:`views.method_document`).
Links between pages are relative, so the site works on any host, under any path, and
straight from the disk; only ``404.html``, which a server returns at any address,
links from the site's root path.

What a page shows is decided in :mod:`views` (pure data, the same for every language)
and drawn in :mod:`charts`; this module only walks the pages in a fixed order,
renders each language and keeps the list of pages for ``sitemap.xml``. It is a
generator: a page is handed to the writer as soon as it is rendered, so a network of
10,000 members never sits in memory as HTML.
"""

from __future__ import annotations

import gc
import hashlib
import multiprocessing
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import jinja2
from markupsafe import Markup, escape

from .api import API_DOCUMENTS, api_outputs
from .badges import badge_inputs, member_badges
from .cache import code_digest
from .diagnostics import UsageError
from .directory_index import directory_json
from .entry_cache import EntryCache
from .explain import method_json
from .facts import Facts
from .feeds import feed_outputs
from .i18n import Formatter, TemplateGettext, translations
from .markup import plain_text, render_markdown, renderer_key
from .model import Site
from .phrases import phrases
from .score import LEVELS, RECOMMENDATION, SIDES, Scores
from .search import SEARCH_SOURCE, shard_count, shard_of
from .template_cache import TemplateCache
from .views import (
    CARD_SKILLS,
    AttestationView,
    Card,
    EngagementView,
    EvidenceSide,
    MarkdownCache,
    MemberPage,
    Party,
    ResolutionView,
    SideView,
    SiteIndex,
    Versions,
    engagement_tokens,
    evidence_inputs,
    evidence_page,
    member_inputs,
    member_page,
    method_document,
    method_figures,
    named_tokens,
    network_view,
    paginate,
    with_figures,
)
from .write import Output, Unit

DEFAULT_THEME = Path(__file__).parent / "theme"
"""The theme shipped with Triangle; a site's ``themes/<name>/`` overrides it file by file."""
METHOD_DOC: Final = DEFAULT_THEME / "method.md"
"""The published scoring method, rendered on the method page: ``docs/scoring.md``, linked
into the theme so that an installed package (whose wheel copies the file) carries it too."""
CARD_IMAGE: Final = "og-card.png"
"""The theme's link-preview image (1200 × 630), as ``og:image`` of every page."""


class ThemeError(UsageError):
    """A theme template failed to render: a typo'd variable, a missing template or asset."""


@dataclass(frozen=True, slots=True)
class Theme:
    """Template and static folders, most specific first."""

    name: str
    folders: tuple[Path, ...]

    def loader(self) -> jinja2.BaseLoader:
        """Look up each template in the site's theme first, then in the default one."""
        return jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(f / "templates")) for f in self.folders])

    def static_files(self) -> dict[str, Path]:
        """Every static asset by its path under ``static/``; the site's theme wins."""
        found: dict[str, Path] = {}
        for folder in reversed(self.folders):
            static = folder / "static"
            if not static.is_dir():
                continue
            for path in sorted(static.rglob("*")):
                if path.is_file() and not path.is_symlink():
                    found[path.relative_to(static).as_posix()] = path
        return dict(sorted(found.items()))


def theme_error(exc: jinja2.TemplateError, template: str, where: str) -> ThemeError:
    """A template failure as one line a theme author can act on."""
    if isinstance(exc, jinja2.TemplateNotFound):
        problem = f"it uses the template {exc.name!r}, which was not found in the theme's templates/ folders"
    elif isinstance(exc, jinja2.TemplateSyntaxError):
        problem = f"{exc.filename}:{exc.lineno}: {exc}"
    else:
        problem = str(exc)
    return ThemeError(f"the theme's template {template} failed on {where}: {problem}")


def _refuse_links(root: Path, folder: Path) -> None:
    """Refuse a site theme holding links or special files.

    A theme is published: a link such as ``static -> /etc`` would copy files from the
    machine that builds the site (a CI runner) onto the public web.
    """
    for current, folders, files in os.walk(folder):
        for entry in sorted([*folders, *files]):
            path = Path(current, entry)
            if path.is_symlink() or not (path.is_dir() or path.is_file()):
                what = "a symbolic link" if path.is_symlink() else "not a regular file"
                raise ThemeError(
                    f"{path.relative_to(root).as_posix()} is {what}: a theme holds only regular files and folders "
                    "(a link could publish files from the machine that builds the site); replace it with a copy"
                )


def load_theme(root: Path, name: str) -> Theme:
    """The site's theme folder (if any) in front of the default theme."""
    own = root / "themes" / name
    if own.is_symlink():
        raise ThemeError(f"themes/{name} is a symbolic link: a theme must be a real folder inside themes/")
    if own.is_dir():
        _refuse_links(root, own)
        return Theme(name, (own, DEFAULT_THEME))
    if name != "default":
        raise UsageError(f"theme {name!r} does not exist: there is no themes/{name}/ folder (site.yml 'theme')")
    return Theme(name, (DEFAULT_THEME,))


def hashed_name(path: str, content: bytes) -> str:
    """``style.css`` → ``style.3f2a9c1b.css``: a new name whenever the content changes."""
    digest = hashlib.sha256(content).hexdigest()[:10]
    stem, dot, ext = path.rpartition(".")
    return f"{stem}.{digest}.{ext}" if dot else f"{path}.{digest}"


def relative_url(from_page: str, to: str) -> str:
    """A link from one output path to another, relative, keeping a trailing slash for folders.

    Both paths are relative to the site's root and already normal (no ``.`` or
    ``..``); ``to`` may end with ``/`` (a folder, served as its ``index.html``) and
    carry a ``#fragment``: ``relative_url("members/a/index.html", "members/b/#e-x")``
    is ``../b/#e-x``. Computed on path segments rather than with
    :func:`posixpath.relpath`, which asks the operating system for the current
    directory every time: a large site makes millions of links.
    """
    to, hash_, fragment = to.partition("#")
    start = from_page.split("/")[:-1]
    parts = [p for p in to.split("/") if p]
    folder = to == "" or to.endswith("/")
    common = 0
    limit = min(len(start), len(parts) if folder else len(parts) - 1)
    while common < limit and start[common] == parts[common]:
        common += 1
    rest = "/".join(parts[common:])
    rel = "../" * (len(start) - common) + rest
    if folder:
        rel = (rel + "/" if rest else rel) or "./"
    return rel + hash_ + fragment


def public_path(path: str) -> str:
    """The address of an output file: ``members/a/index.html`` is served as ``members/a/``."""
    return path[: -len("index.html")] if path == "index.html" or path.endswith("/index.html") else path


THEME_TEMPLATES: Final = tuple(
    sorted(path.name for path in (DEFAULT_THEME / "templates").iterdir() if path.suffix in (".html", ".xml"))
)
"""The templates of the default theme (a theme may override each): every build uses them all."""


class Renderer:
    """Holds what every page needs: environments per language, asset names, base URL.

    It also holds the address of every page (language-independent) for ``sitemap.xml``,
    listed before any page is rendered so that any process can write the sitemap.
    """

    def __init__(
        self,
        site: Site,
        scores: Scores,
        theme: Theme,
        *,
        search: bool = False,
        versions: Versions | None = None,
        cache_root: Path | None = None,
    ) -> None:
        self.site = site
        self.versions: Versions = versions if versions is not None else {}
        self.incremental = versions is not None
        """Whether digests are worth computing: without the record cache nothing is kept for a next build."""
        self.tokens = engagement_tokens(site, self.versions) if self.incremental else {}
        """Each engagement's inputs, hashed once for the digests of both parties' pages and of its API line."""
        self.search = search
        self.scores = scores
        self.theme = theme
        self.markdown = EntryCache(cache_root, MARKDOWN_FILE, key=renderer_key())
        """The members' rendered Markdown kept between builds (see :class:`~.views.MarkdownCache`)."""
        self.index = SiteIndex(site, scores, MarkdownCache(render_markdown, self.markdown))
        self.index.languages = len(site.config.languages)
        self.named = named_tokens(self.index) if self.incremental else {}
        """How each member appears on the pages that name them, hashed once for those pages' digests."""
        self.search_shards = shard_count(len(self.index.cards))
        self.languages = site.config.languages
        self.base_url = site.config.base_url if site.config.base_url.endswith("/") else site.config.base_url + "/"
        self.base_path = urlsplit(self.base_url).path or "/"
        self.assets: dict[str, tuple[str, bytes]] = {}
        files = {name: path.read_bytes() for name, path in theme.static_files().items()}
        files.setdefault(LABELS_STYLESHEET, evidence_label_css(self.languages))  # a theme may bring its own
        for name, content in files.items():
            self.assets[name] = (f"static/{hashed_name(name, content)}", content)
        self.base = self._global_digest()
        self.templates = TemplateCache(cache_root)
        self.envs = {language: self._environment(language) for language in self.languages}
        self.fragments: dict[str, Fragments] = {}
        for language, env in self.envs.items():
            # The theme's words, evaluated once per language: every template and fragment reads them.
            try:
                env.globals["w"] = env.get_template("_words.html").module
                env.globals["icons"] = env.get_template("_icons.html").module
            except jinja2.TemplateError as exc:
                raise theme_error(exc, "_words.html and _icons.html", language) from exc
            env.globals["frag"] = self.fragments[language] = Fragments(env, self.index, language)
            for name in THEME_TEMPLATES:  # compiled here, before any worker is forked, and kept for the next build
                try:
                    env.get_template(name)
                except jinja2.TemplateError as exc:
                    raise theme_error(exc, repr(name), language) from exc
        self.templates.save()
        self.sitemap: set[str] = set()
        self._chrome: dict[tuple[Any, ...], Markup] = {}

    def _global_digest(self) -> bytes:
        """What every page depends on besides its own inputs: the code, the theme, site.yml, today, options."""
        digest = hashlib.blake2b(code_digest(), digest_size=32)
        for folder in self.theme.folders:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    digest.update(f"{path.relative_to(folder).as_posix()}\0{path.stat().st_size}\0".encode())
                    digest.update(path.read_bytes())
        options = (self.site.config, self.site.today, self.search, self.languages, self.search_shards)
        digest.update(repr(options).encode())
        return digest.digest()

    def digest(self, inputs: object) -> str:
        """The digest of a unit's inputs, keyed by everything every page depends on (:meth:`_global_digest`)."""
        if not self.incremental:
            return ""
        return hashlib.blake2b(repr(inputs).encode(), key=self.base, digest_size=16).hexdigest()

    def _environment(self, language: str) -> jinja2.Environment:
        env = jinja2.Environment(
            loader=self.theme.loader(),
            autoescape=jinja2.select_autoescape(("html", "xml", "svg"), default_for_string=True),
            undefined=jinja2.StrictUndefined,
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            auto_reload=False,  # a build never sees a template change: skip a stat per page
            bytecode_cache=self.templates,
        )
        env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
        fast = TemplateGettext(language)  # the same results, without a context lookup per call
        env.globals.update(_=fast.gettext, gettext=fast.gettext, ngettext=fast.ngettext)
        env.filters["markdown"] = render_markdown
        env.filters["plain"] = plain_text
        vocabulary = self.index.vocabulary
        env.filters["region"] = lambda slug: vocabulary.region(slug, language)
        env.filters["skill"] = lambda slug: vocabulary.skill(slug, language)
        env.globals.update(
            fmt=Formatter(language),
            lang=language,
            site=self.site.config,
            today=self.site.today,
            languages=self.languages,
            scoring=self.site.config.scoring,
            SIDES=SIDES,
            LEVELS=LEVELS,
            search_shards=self.search_shards,
        )
        return env

    def prefix(self, language: str) -> str:
        """Where a language's pages live: the first at the root, others under ``<code>/``."""
        return "" if language == self.languages[0] else f"{language}/"

    def asset(self, name: str) -> str:
        """The hashed output path of a static asset."""
        try:
            return self.assets[name][0]
        except KeyError:
            raise ThemeError(f"the theme has no static file {name!r} (looked in its static/ folders)") from None

    def absolute(self, path: str, language: str | None = None) -> str:
        """The absolute URL of a page (``path`` relative to a language's root, or the site's root)."""
        prefix = "" if language is None else self.prefix(language)
        return self.base_url + prefix + public_path(path)

    def page(
        self,
        template: str,
        path: str,
        language: str,
        *,
        from_root: bool = False,
        **context: Any,
    ) -> Output:
        """Render one page at ``path`` (relative to the language's root).

        ``from_root`` makes every link start from the site's root path instead of
        being relative: for ``404.html``, which the server returns at any address.
        """
        out = self.prefix(language) + path
        env = self.envs[language]

        def link(target: str) -> str:
            """A link to a file given from the site's root (assets, API, search index)."""
            return self.base_path + target if from_root else relative_url(out, target)

        def url(target: str) -> str:
            """A link to a page of this language."""
            return link(self.prefix(language) + target)

        def asset(name: str) -> str:
            return link(self.asset(name))

        card_image = self.base_url + self.asset(CARD_IMAGE)
        root = link("")

        # The shared parts link as if from a folder no page has at this depth, so that their
        # links are right on every page at the depth, whichever page drew them first.
        own = self.prefix(language)
        neutral = own + "\0/" * (out.count("/") - own.count("/")) + "index.html"

        def shared_link(target: str) -> str:
            return self.base_path + target if from_root else relative_url(neutral, target)

        def shared_url(target: str) -> str:
            return shared_link(own + target)

        def shared_asset(name: str) -> str:
            return shared_link(self.asset(name))

        def chrome(name: str, **values: Any) -> Markup:
            """A part of the page that only depends on the language, the depth and ``values``: rendered once."""
            key = (name, language, root, tuple(sorted(values.items())))
            found = self._chrome.get(key)
            if found is None:
                template = env.get_template(name)
                found = self._chrome[key] = Markup(
                    template.render(
                        url=shared_url, link=shared_link, asset=shared_asset, card_image=card_image, **values
                    )
                )
            return found

        public = public_path(path)
        alternates = [(lang, link(self.prefix(lang) + public), self.absolute(path, lang)) for lang in self.languages]
        try:
            html = env.get_template(template).render(
                page_path=path,
                url=url,
                link=link,
                asset=asset,
                chrome=chrome,
                canonical=self.absolute(path, language),
                alternates=alternates,
                card_image=card_image,
                site_url=self.base_url,
                **context,
            )
        except jinja2.TemplateError as exc:
            raise theme_error(exc, repr(template), out) from exc
        return Output(out, html.encode("utf-8"))

    def search_document(self, page: MemberPage, language: str) -> Output:
        """What the search index reads about a member, under :data:`SEARCH_SOURCE` (never published),
        in the folder of the member's shard of the index (see :data:`generator.search.SHARD_MEMBERS`).

        Pagefind indexes these small documents instead of crawling the member pages:
        it reads a twentieth of the bytes, and the index holds only what a visitor
        searches for (names, headlines, places, bios, skills), not evidence tables.
        """
        shard = shard_of(page.member.id, self.search_shards)
        path = f"{SEARCH_SOURCE}/{shard}/{self.prefix(language)}members/{page.member.id}/index.html"
        html = self.envs[language].get_template("search.html").render(page=page)
        return Output(path, html.encode("utf-8"))

    def static(self) -> Iterator[Output]:
        """Every asset under its hashed name."""
        for path, content in self.assets.values():
            yield Output(path, content)

    def sitemaps(self) -> Iterator[Output]:
        """``sitemap.xml``: every page in every language, with its alternates.

        A sitemap lists at most :data:`SITEMAP_URLS` addresses; a larger site gets a
        sitemap index at ``sitemap.xml`` (where ``robots.txt`` points), naming
        ``sitemaps/1.xml``, ``sitemaps/2.xml``… that share the addresses in order.
        """
        pages = [
            (self.absolute(path, language), [(other, self.absolute(path, other)) for other in self.languages])
            for path in sorted(self.sitemap)
            for language in self.languages
        ]
        env = self.envs[self.languages[0]]
        sitemap = env.get_template("sitemap.xml")
        if len(pages) <= SITEMAP_URLS:
            yield Output("sitemap.xml", sitemap.render(pages=pages).encode("utf-8"))
            return
        names: list[str] = []
        for start in range(0, len(pages), SITEMAP_URLS):
            names.append(f"sitemaps/{len(names) + 1}.xml")
            yield Output(names[-1], sitemap.render(pages=pages[start : start + SITEMAP_URLS]).encode("utf-8"))
        locations = [self.absolute(name) for name in names]
        yield Output("sitemap.xml", env.get_template("sitemapindex.xml").render(sitemaps=locations).encode("utf-8"))

    def robots_txt(self) -> Output:
        """``robots.txt``: everything may be crawled; the sitemap says where."""
        return Output("robots.txt", f"User-agent: *\nAllow: /\n\nSitemap: {self.base_url}sitemap.xml\n".encode())


# ----------------------------------------------------------------------------- fragments


NOT_COUNTED: Final = ' class="not-counted"'


def evidence_heads(gettext: Callable[[str], str]) -> tuple[str, ...]:
    """The column names of a member's evidence tables, in one language."""
    return (
        gettext("Date"),
        gettext("Stated by"),
        gettext("Their role, status"),
        gettext("Outcome (share)"),
        gettext("Age (days)"),
        gettext("Weight = recency × status × diversity × trust"),
        gettext("Adds (+ positive / − negative)"),
    )


def _css_string(text: str) -> str:
    """A CSS string literal: quotes, backslashes and line breaks escaped."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\A ") + '"'


def evidence_label_css(languages: Iterable[str]) -> bytes:
    """Each evidence column's name as ``--label`` of its cells, per language.

    The theme's stylesheet shows it before each cell of a row stacked on a narrow
    screen (``content: var(--label)``): one rule per column and language replaces the
    name repeated in every cell.
    """
    lines = ["/* The evidence tables' column names, per language (written by Triangle). */"]
    for language in languages:
        for column, head in enumerate(evidence_heads(translations(language).gettext), 1):
            lines.append(
                f'html[lang="{language}"] .evidence-table td:nth-child({column}) {{ --label: {_css_string(head)}; }}'
            )
    return ("\n".join(lines) + "\n").encode("utf-8")


def _e(text: str) -> str:
    return str(escape(text))


def _facts_html(text: str, needs: str | None) -> str:
    """A side's facts in plain words, escaped, with what a ``new`` side still needs."""
    html = _e(text)
    if needs is not None:
        html += f' <span class="needs">({_e(needs)})</span>'
    return html


def _sample_card(card: Card) -> Card:
    """A card with every optional part (location, "left" tag, skills and "more"), for :meth:`Fragments.card_template`.

    Its links are those of a real card (``card``), so that the page links nowhere that does not exist.
    """
    empty = Facts(0, 0, 0)
    return Card(
        id=card.id,
        name="…",
        headline="…",
        region=card.region,
        location="…",
        left=True,
        relationship="new",
        deadlines="new",
        payment="new",
        facts=(empty, empty, empty),
        needs=(0, 0, 0),
        skills=card.skills,
        proven=card.skills[:1] * (CARD_SKILLS + 1),
        declared_only=(),
    )


class Fragments:
    """The three pieces that repeat by the hundred thousand, written in Python for speed.

    A network of 10,000 members has about 300,000 evidence rows, 50,000 engagements
    (each shown on both parties' pages) and 10,000 cards (each on the directory and
    on every skill and region page of the member), in every language. Drawn by Jinja
    expression by expression they would take minutes; here each is a few string
    joins, and engagements and cards are drawn once and reused on every page that
    shows them (all member pages sit at the same depth, so their relative links are
    the same everywhere).

    The markup of these pieces lives here; their words do not: level, side, status
    and outcome names come from the theme's ``_words.html`` (so a theme can reword
    them), and the few sentences are gettext messages extracted from this file
    (see ``babel.cfg``). Everything member-written is escaped, or is sanitised HTML.
    """

    def __init__(self, env: jinja2.Environment, index: SiteIndex, language: str) -> None:
        self.index = index
        self.fmt = Formatter(language)
        self.t = translations(language)
        self.vocabulary, self.language = index.vocabulary, language
        words = env.get_template("_words.html").module

        def table(name: str) -> dict[str, str]:
            """One of ``_words.html``'s mappings (code → translated word), as plain strings."""
            mapping: dict[str, Any] = getattr(words, name)
            return {code: str(word) for code, word in mapping.items()}

        self.side, self.level, self.status = table("SIDE"), table("LEVEL"), table("STATUS")
        self.status_what, self.state, self.statement = table("STATUS_WHAT"), table("STATE"), table("STATEMENT")
        self.outcome_word, self.role, self.reason = table("OUTCOME"), table("ROLE"), table("REASON")
        gettext = self.t.gettext
        former = gettext("former member")
        self.former = f'<span class="former">{_e(former)}</span>'
        self.phrases = phrases(language)
        self.badges: dict[tuple[str, str], str] = {
            (side, level): (
                f'<span class="badge level-{level}"><span class="badge-side">{self.side[side]}'
                f'<span class="vh">, </span></span> <span class="badge-level">{self.level[level]}</span></span>'
            )
            for side in SIDES
            for level in LEVELS
            if level != "not_applicable"
        }
        for side in SIDES:  # a side that does not apply shows no level at all: a dash, and why
            why = _e(self.phrases.not_applicable(side))
            self.badges[side, "not_applicable"] = (
                f'<span class="badge level-not_applicable" title="{why}"><span class="badge-side">{self.side[side]}'
                f'<span class="vh">, </span></span> <span class="badge-level" aria-hidden="true">—</span>'
                f'<span class="vh">{self.level["not_applicable"]}</span></span>'
            )
        self.words = {
            "levels": _e(gettext("Levels")),
            "left": _e(gettext("Has left the network")),
            "proven": _e(gettext("Proven skills")),
            "declared": _e(gettext("Declared skills")),
            "client_attestation": _e(gettext("Client’s attestation")),
            "supplier_attestation": _e(gettext("Supplier’s attestation")),
            "not_attested": _e(gettext("Not attested yet.")),
            "withheld": _e(gettext("A former member’s comments are not published.")),
            "contests": _e(gettext("Contests")),
            "mediation": _e(gettext("Mediation")),
            "skills": _e(gettext("Skills:")),
            "not_counted": _e(gettext("not counted:")),
            "no_statement": _e(gettext("No statement yet.")),
            "totals": _e(gettext("Totals")),
            "bounds": _e(gettext("Bounds")),
            "thresholds": _e(gettext("Thresholds")),
            "level": _e(gettext("Level")),
        }
        self.more = gettext("+%(num)s more")
        self.statement_pair = gettext("%(what)s: %(outcome)s")
        heads = evidence_heads(gettext)
        self.table_head = "<thead><tr>" + "".join(f'<th scope="col">{_e(h)}</th>' for h in heads) + "</tr></thead>"
        # On narrow screens, where rows stack, each cell shows its column's name from the
        # stylesheet (see evidence_label_css): naming it in every cell was a fifth of a member page.
        self.why_cell = '<td colspan="2" class="why">'
        config = index.scores.config
        self.thresholds = self._say(
            gettext(
                "“new” below an evidence of %(evidence)s or fewer than %(counterparts)s counterparts; "
                "“reliable” from %(reliable)s; “highly reliable” from %(highly)s; “caution” when the upper bound "
                "is below %(caution)s with negatives from at least %(counterparts)s counterparts"
            ),
            evidence=self.fmt.number(config.min_evidence),
            counterparts=str(config.min_counterparts),
            reliable=self.fmt.number(config.reliable_threshold),
            highly=self.fmt.number(config.highly_reliable_threshold),
            caution=self.fmt.number(config.caution_threshold),
        )
        self.decimal = str(self.fmt.locale.number_symbols.get("latn", self.fmt.locale.number_symbols)["decimal"])
        self._cards: dict[tuple[str, str, bool], str] = {}
        self._names: dict[str, str] = {}
        self._engagements: dict[str, list[Any]] = {}
        """Engagement id → [its HTML, how many pages still have to show it]."""

    def forget(self) -> None:
        """Drop the drawn engagements (a worker process calls this between its tasks)."""
        self._engagements.clear()

    # -- helpers

    def _party(self, party: Party, base: str, anchor: str = "") -> str:
        if party.id is None:
            return self.former
        name = self._names.get(party.id)
        if name is None:
            name = self._names[party.id] = _e(party.name or "")
        return f'<a href="{base}members/{party.id}/{anchor}">{name}</a>'

    @staticmethod
    def _say(message: str, **html: str) -> str:
        """A translated sentence with HTML values (escape plain ones before passing them)."""
        return _e(message) % html

    def _outcome(self, name: str, value: str, days_late: int | None) -> str:
        if name in ("quality", "relationship"):
            return f"{value}/5"
        word = self.outcome_word[value]
        if days_late:
            message = self.t.ngettext(
                "%(outcome)s, %(num)s day after the due date", "%(outcome)s, %(num)s days after the due date", days_late
            )
            return self._say(message, outcome=word, num=str(days_late))
        return word

    def skill(self, slug: str) -> str:
        """A skill's label in this language."""
        return self.vocabulary.skill(slug, self.language)

    def region(self, slug: str) -> str:
        """A region's label in this language."""
        return self.vocabulary.region(slug, self.language)

    # -- small pieces the member page repeats

    def badge(self, side: str, level: str) -> Markup:
        """A level badge: the side's name, the level's word, and the level's colour and shape."""
        return Markup(self.badges[side, level])

    def parties(self, parties: Iterable[Party]) -> Markup:
        """Links to members, separated by commas (on a member page)."""
        return Markup(", ".join(self._party(p, "../../") for p in parties))

    def people(self, parties: Iterable[Party]) -> Markup:
        """List items linking to members (on a member page)."""
        return Markup("".join(f"<li>{self._party(p, '../../')}</li>" for p in parties))

    def skill_items(self, skills: Iterable[tuple[str, int | None]]) -> Markup:
        """List items linking to skill pages (on a member page), with how often each was proven."""
        items = []
        for slug, count in skills:
            times = f' <span class="count">× {count}</span>' if count else ""
            items.append(f'<li><a href="../../skills/{slug}/">{_e(self.skill(slug))}</a>{times}</li>')
        return Markup("".join(items))

    # -- cards

    def cards(self, cards: Iterable[Card], base: str, ranked: bool = False) -> Markup:
        """Cards of the directory, skill and region pages; ``base`` leads from the page to the language's root.

        Only the directory's cards carry their rank (``ranked``), for its script: on a
        skill or region page a rank would change whenever anyone anywhere moves up or
        down, and that page would have to be written again for nothing it shows.
        """
        base = "" if base == "./" else base
        found = self._cards
        parts = []
        for card in cards:
            html = found.get((card.id, base, ranked))
            if html is None:
                rank = self.index.rank[card.id] if ranked else None
                html = found[(card.id, base, ranked)] = self._card(card, base, rank)
            parts.append(html)
        return Markup('<div class="cards">\n' + "\n".join(parts) + "\n</div>")

    def side_facts(self, side: str, level: str, facts: Facts, needs: int, *, full: bool = False) -> str:
        """The plain facts of one side, escaped; for a ``new`` side, what it still needs."""
        if level == "not_applicable":
            return _e(self.phrases.not_applicable(side))
        return _facts_html(
            self.phrases.facts(side, facts, full=full), self.phrases.needs(needs) if level == "new" else None
        )

    def member_facts(self, side: SideView) -> Markup:
        """A side's facts in full, for its box on the member page."""
        if side.level is None:  # the informative recommendation figure: facts, and no level to reach
            return Markup(_e(self.phrases.facts(side.name, side.facts, full=True)))
        return Markup(self.side_facts(side.name, side.level, side.facts, side.needs, full=True))

    def badge_items(self, c: Card) -> str:
        """A member's three badges, each with its facts in plain words (a dash alone where a side does not apply)."""
        return "".join(
            self._badge_item(side, level, self.side_facts(side, level, facts, needs))
            for (side, level), facts, needs in zip(c.levels, c.facts, c.needs, strict=True)
        )

    def _badge_item(self, side: str, level: str, facts_html: str) -> str:
        said = f' <span class="side-facts">{facts_html}</span>' if level != "not_applicable" else ""
        return f"<li>{self.badges[side, level]}{said}</li>"

    def header_badges(self, c: Card) -> Markup:
        """The badges at the top of a member page, with their facts."""
        return Markup(self.badge_items(c))

    def card_template(self, base: str) -> Markup:
        """The ``<template>`` elements the directory's script draws cards from, in a card's own markup.

        The script fills a copy of a sample card (every optional part present) from
        the JSON index (:mod:`directory_index`), and takes each badge from the second
        template: one ``<li>`` per side and level, in the order of ``SIDES`` × ``LEVELS``,
        as :meth:`badge_items` draws them. What a sample card cannot hold (the other
        skills label, the "more" sentence) travels in data attributes.
        """
        if not self.index.ranked:
            return Markup("")  # nothing to filter
        base = "" if base == "./" else base
        sample = _sample_card(self.index.ranked[0])
        badges = "".join(
            self._badge_item(side, level, _facts_html("…", "…" if level == "new" else None))
            for side in SIDES
            for level in LEVELS
        )
        more = _e(self.more.replace("%(num)s", "{num}"))
        return Markup(
            f'<template id="card-template" data-base="{base}" data-proven="{self.words["proven"]}" '
            f'data-declared="{self.words["declared"]}" data-more="{more}">{self._card(sample, base, 0)}</template>\n'
            f'<template id="badge-template"><ul>{badges}</ul></template>'
        )

    def _card(self, c: Card, base: str, rank: int | None) -> str:
        name = _e(c.name)
        where = f"{_e(c.location)}, " if c.location else ""
        badges = self.badge_items(c)
        shown, proven, more = c.shown_skills
        skills = ""
        if shown:
            links = ", ".join(f'<a href="{base}skills/{s}/">{_e(self.skill(s))}</a>' for s in shown)
            label = self.words["proven"] if proven else self.words["declared"]
            extra = ""
            if more:
                extra = f' <span class="more">{self._say(self.more, num=str(more))}</span>'
            skills = f'<p class="card-skills"><span class="card-skills-label">{label}</span> {links}{extra}</p>'
        left = f'<p class="tag tag-left">{self.words["left"]}</p>' if c.left else ""
        ranked = "" if rank is None else f' data-rank="{rank}"'
        return (
            f'<article class="member-card{" is-left" if c.left else ""}" data-member="{c.id}" '
            f'data-skills="{" ".join(c.skills)}" data-region="{c.region}" data-relationship="{c.relationship}" '
            f'data-deadlines="{c.deadlines}" data-payment="{c.payment}" data-name="{name}"{ranked}>'
            f'<h3 class="card-name"><a href="{base}members/{c.id}/">{name}</a></h3>{left}'
            f'<p class="card-headline">{_e(c.headline)}</p>'
            f'<p class="card-where">{where}<a href="{base}regions/{c.region}/">{_e(self.region(c.region))}</a></p>'
            f'<ul class="badges" aria-label="{self.words["levels"]}">{badges}</ul>{skills}</article>'
        )

    # -- evidence

    def evidence(self, side: EvidenceSide, member_name: str) -> Markup:
        """One side's evidence: every statement with its weight factors, the totals, bounds and level."""
        gettext, fmt = self.t.gettext, self.fmt
        score = side.score
        count = len(side.rows)
        summary = self._say(self.t.ngettext("%(num)s statement", "%(num)s statements", count), num=fmt.integer(count))
        parts = [
            f'<section class="evidence" id="evidence-{side.name}" aria-labelledby="evidence-{side.name}-title">',
            f'<h2 id="evidence-{side.name}-title">{self.side[side.name]} — {summary}</h2>',
        ]
        if side.rows:
            caption = self._say(
                gettext("Statements about %(name)s on %(side)s, newest first"),
                name=_e(member_name),
                side=self.side[side.name].lower(),
            )
            parts += [
                f'<div class="table-scroll" role="region" aria-labelledby="cap-{side.name}" tabindex="0">',
                f'<table class="evidence-table"><caption id="cap-{side.name}">{caption}</caption>',
                self.table_head,
                "<tbody>",
                self._rows(side),
                "</tbody></table></div>",
            ]
        else:
            parts.append(f"<p>{self.words['no_statement']}</p>")
        f4 = fmt.fixed
        totals = self._say(
            gettext(
                "positive %(positive)s + negative %(negative)s = evidence %(evidence)s, "
                "from %(counterparts)s distinct counterparts (%(negatives)s with negatives)"
            ),
            positive=f4(score.positive),
            negative=f4(score.negative),
            evidence=f4(score.evidence),
            counterparts=str(score.counterparts),
            negatives=str(score.negative_counterparts),
        )
        bounds = self._say(
            gettext("Wilson interval at z = %(z)s: lower bound %(lower)s (the score), upper bound %(upper)s"),
            z=fmt.number(self.index.scores.config.confidence_z, 4),
            lower=f4(score.lower),
            upper=f4(score.upper),
        )
        parts += [
            '<dl class="arithmetic">',
            f"<div><dt>{self.words['totals']}</dt><dd>{totals}</dd></div>",
            f"<div><dt>{self.words['bounds']}</dt><dd>{bounds}</dd></div>",
        ]
        reason = self.reason[score.reason]
        if score.level is not None:
            parts.append(f"<div><dt>{self.words['thresholds']}</dt><dd>{self.thresholds}</dd></div>")
            level = f"{self.badges[side.name, score.level]} — {reason}"
        else:
            level = reason
        parts += [f"<div><dt>{self.words['level']}</dt><dd>{level}</dd></div>", "</dl></section>"]
        return Markup("\n".join(parts))

    def _rows(self, side: EvidenceSide) -> str:
        """One row per statement; end tags are omitted (valid HTML) to keep big tables light."""
        fmt, status, state, role = self.fmt, self.status, self.state, self.role
        recommendation = side.name == RECOMMENDATION
        what = self.statement_pair
        rows = []
        for row in side.rows:
            e = row.item
            if row.hidden:  # awaiting a reply: what it says is not published yet
                outcome = state["awaiting_reply"]
            else:
                outcome = self._outcome(e.statement, e.outcome, e.days_late)
                if recommendation:
                    outcome = self._say(what, what=self.statement[e.statement], outcome=outcome)
                outcome += f" ({e.positive:.2f})".replace(".", self.decimal)
            head = (
                # The evidence page is members/<id>/evidence/: the engagement is on the member page above it.
                f'<tr{"" if e.counts else NOT_COUNTED}><td><a href="../#e-{e.engagement}">'
                f"{fmt.date(e.date, 'short')}</a><td>{self._party(row.counterpart, '../../../')}"
                f"<td>{role[e.role]}, {status[e.status]}<td>{outcome}<td>{e.age_days}"
            )
            if e.counts:
                numbers = (
                    f"<td>{e.recency:.4f} × {e.status_weight:.2f} × {e.diversity:.4f} × {e.trust:.2f} = "
                    f"<b>{e.weight:.4f}</b><td>+{e.positive_weight:.4f} −{e.negative_weight:.4f}"
                )
                if self.decimal != ".":
                    numbers = numbers.replace(".", self.decimal)
            else:
                why = state[e.state] if e.state != "counted" else self.status_what[e.status]
                numbers = f"{self.why_cell}{self.words['not_counted']} {why}"
            rows.append(head + numbers)
        return "\n".join(rows)

    # -- engagements

    def engagement(self, engagement_id: str) -> Markup:
        """An engagement with both attestations, drawn once and shown on each party's page."""
        entry = self._engagements.get(engagement_id)
        if entry is None:
            view = self.index.engagement(engagement_id)
            entry = self._engagements[engagement_id] = [self._engagement(view), view.publications]
        entry[1] -= 1
        if entry[1] <= 0:  # every page that shows it has it now
            del self._engagements[engagement_id]
        return Markup(entry[0])

    def _engagement(self, e: EngagementView) -> str:
        fmt, gettext, say = self.fmt, self.t.gettext, self._say
        base = "../../"
        anchor = f"#e-{e.id}"
        meta = [
            f'<strong class="status">{self.status[e.status]}</strong>',
            say(gettext("Client: %(who)s"), who=self._party(e.client, base, anchor)),
            say(gettext("Supplier: %(who)s"), who=self._party(e.supplier, base, anchor)),
            say(gettext("started on %(date)s"), date=fmt.date(e.started)),
        ]
        if e.deadline:
            meta.append(say(gettext("deadline %(date)s"), date=fmt.date(e.deadline)))
        if e.invoice_due:
            meta.append(say(gettext("invoice due %(date)s"), date=fmt.date(e.invoice_due)))
        skills = ", ".join(_e(self.skill(slug)) for slug in e.skills)
        parts = [
            f'<article class="engagement status-{e.status}" id="e-{e.id}">',
            f"<h4>{_e(e.title)}</h4>",
            f'<p class="engagement-meta">{" · ".join(meta)}</p>',
            f'<p class="engagement-skills">{self.words["skills"]} {skills}</p>',
        ]
        if e.summary:
            parts.append(f'<div class="summary">{e.summary}</div>')
        if e.status != "confirmed":
            parts.append(f'<p class="status-what">{self.status_what[e.status]}</p>')
        parts += [
            '<div class="attestations">',
            self._attestation(e.by_client, e.by_supplier, "client", base),
            self._attestation(e.by_supplier, e.by_client, "supplier", base),
            "</div>",
        ]
        if e.resolution is not None:
            parts.append(self._resolution(e.resolution, base))
        parts.append("</article>")
        return "\n".join(parts)

    def _sides(self, sides: tuple[str, ...]) -> str:
        return ", ".join(self.statement[s].lower() for s in sides)

    def _attestation(self, a: AttestationView | None, other: AttestationView | None, role: str, base: str) -> str:
        fmt, gettext, say = self.fmt, self.t.gettext, self._say
        title = self.words["client_attestation"] if role == "client" else self.words["supplier_attestation"]
        parts = ['<div class="attestation">']
        if a is None:
            parts.append(f'<p><strong>{title}</strong> — <span class="missing">{self.words["not_attested"]}</span></p>')
        elif a.awaiting:
            text = say(
                gettext(
                    "%(who)s attested on %(date)s. This attestation raises a concern, so it stays unpublished "
                    "until the other party attests in turn, or until %(until)s."
                ),
                who=self._party(a.attester, base),
                date=fmt.date(a.date),
                until=fmt.date(a.publish_on),
            )
            parts.append(
                f'<p><strong>{title}</strong> — <span class="tag tag-awaiting_reply">{self.state["awaiting_reply"]}'
                f"</span></p><p>{text}</p>"
            )
        else:
            by = say(gettext("By %(who)s, %(date)s"), who=self._party(a.attester, base), date=fmt.date(a.date))
            statements = []
            for st in a.statements:
                value = self._outcome(st.name, st.value, st.days_late)
                if st.date is not None:
                    when = gettext("delivered on %(date)s") if st.name == "delivery" else gettext("paid on %(date)s")
                    value += f" ({say(when, date=fmt.date(st.date))})"
                if st.state != "counted":
                    value += f' <span class="tag tag-{st.state}">{self.state[st.state]}</span>'
                statements.append(say(self.statement_pair, what=self.statement[st.name], outcome=value))
            parts.append(f'<p><strong>{title}</strong> — {by}</p><p class="statements">{" · ".join(statements)}</p>')
            if a.signed_by:
                parts.append(self._signed(a.signed_by))
            if a.disputes:
                contested = say(gettext("the other party’s statement on %(sides)s."), sides=self._sides(a.disputes))
                tag = f'<span class="tag tag-contested">{self.words["contests"]}</span>'
                parts.append(f'<p class="disputes">{tag} {contested}</p>')
            if a.comment:
                parts.append(f'<blockquote class="comment">{a.comment}</blockquote>')
            if a.attester.former:
                parts.append(f'<p class="withheld">{self.words["withheld"]}</p>')
        if other is not None and not other.awaiting and other.reply:
            who = say(gettext("Reply from %(who)s:"), who=self._party(other.attester, base))
            parts.append(f'<div class="reply"><p class="reply-by">{who}</p>{other.reply}</div>')
        parts.append("</div>")
        return "".join(parts)

    def _signed(self, fingerprint: str) -> str:
        """The verified mark: whoever doubts it can check the signature by hand (docs/signatures.md)."""
        text = self._say(self.t.gettext("Signature verified — key %(fingerprint)s"), fingerprint=_e(fingerprint))
        return f'<p class="signed"><span aria-hidden="true">✓</span> {text}</p>'

    def _resolution(self, r: ResolutionView, base: str) -> str:
        gettext, say = self.t.gettext, self._say
        ruled = say(gettext("ruled by %(who)s on %(date)s."), who=self._party(r.by, base), date=self.fmt.date(r.date))
        text = [f"<strong>{self.words['mediation']}</strong> — {ruled}"]
        if r.upheld:
            text.append(say(gettext("Upheld: %(sides)s."), sides=self._sides(r.upheld)))
        if r.withdrawn:
            text.append(say(gettext("Withdrawn from the score: %(sides)s."), sides=self._sides(r.withdrawn)))
        note = str(r.note) if r.note else ""
        signed = self._signed(r.signed_by) if r.signed_by else ""
        return f'<div class="resolution"><p>{" ".join(text)}</p>{note}{signed}</div>'


SITEMAP_URLS: Final = 50_000
"""Addresses one sitemap file may list (the sitemaps.org protocol); beyond, a sitemap index names several."""
LABELS_STYLESHEET: Final = "evidence-labels.css"
"""The stylesheet Triangle writes with the evidence tables' column names (:func:`evidence_label_css`)."""
PARALLEL_THRESHOLD: Final = 250
"""Members from which the site is rendered in worker processes (below, forking costs more)."""
CHUNK: Final = 100
"""Members per task handed to a worker process (badges go :data:`BADGE_CHUNK` at a time)."""
BADGE_CHUNK: Final = 2000
"""Members whose badges make one task: a badge is two small files, a page is a big one."""
API_LINES: Final = "api-engagements.pickle"
"""The cache file of ``api/engagements.json``'s lines (see :mod:`.entry_cache`)."""
MARKDOWN_FILE: Final = "markdown.pickle"
"""The cache file of the members' texts rendered by Python-Markdown (see :class:`~.views.MarkdownCache`)."""
SWITCH_INTERVAL: Final = 0.0002
"""Seconds a thread keeps the interpreter while another waits, as workers send results (:func:`_parallel_units`)."""
FIRST: Final = {"network": 0, "api": 1}
"""The parts queued first, the longest first: the workers start them while this process takes the next ones."""


@dataclass(frozen=True, slots=True)
class Part:
    """A piece of the site one process renders alone, as a list of units in a fixed order.

    ``kind`` says which (see :meth:`_Plan.units`); ``members`` are the member ids of a
    ``members`` or ``badges`` part, ``language`` the language of a ``listings`` or
    ``network`` part, or the document of an ``api`` part.
    """

    kind: str
    members: tuple[str, ...] = ()
    language: str = ""


@dataclass(frozen=True, slots=True)
class ListingPage:
    """One page of a listing (the directory, a skill, a region) and what its digest is made of."""

    template: str
    path: str
    head: tuple[Any, ...]
    """What the page is (its kind, group and place among the group's pages)."""
    shown: tuple[Card, ...]
    """The cards it draws."""
    context: dict[str, Any]
    summary: bool = True
    """Whether it shows the directory's summary (the skills and regions with their counts)."""


class _Plan:
    """What the parts of one build share, worked out once before any worker is forked."""

    def __init__(
        self, renderer: Renderer, previous: Mapping[str, str], versions: Versions | None, cache_root: Path | None
    ) -> None:
        self.renderer = renderer
        self.cache_root = cache_root if renderer.incremental else None
        """The site whose cache keeps the API's lines between builds (``None``: nothing is kept)."""
        self.known = previous if renderer.incremental else {}
        # Pages about the whole network follow from every record: one digest of all their versions.
        self.network = renderer.digest(("network", sorted(versions.items()))) if versions is not None else ""
        index = renderer.index
        self.cards = {c.id: renderer.digest(c) for c in index.cards} if renderer.incremental else {}
        self.member_ids = tuple(card.id for card in index.cards)
        self.badge_ids = tuple(sorted(self.member_ids))  # the members with badges, by id (as badges.py lists them)
        renderer.sitemap.update(page.path for language in renderer.languages for page in self.listing(language))
        renderer.sitemap.update(f"members/{member_id}/index.html" for member_id in self.member_ids)
        renderer.sitemap.update(("network/index.html", "method/index.html"))

    def parts(self) -> list[Part]:
        """Every part of the site, in the order the writer receives them."""
        ids, badges, languages = self.member_ids, self.badge_ids, self.renderer.languages
        return [
            # The machine-readable outputs first: in a single process the JSON API builds
            # large documents in memory, and the peak is lower before the pages' caches exist.
            *(Part("api", language=document) for document in API_DOCUMENTS),
            *(Part("listings", language=language) for language in languages),
            *(Part("members", ids[i : i + CHUNK]) for i in range(0, len(ids), CHUNK)),
            *(Part("badges", badges[i : i + BADGE_CHUNK]) for i in range(0, len(badges), BADGE_CHUNK)),
            *(Part("network", language=language) for language in languages),
            Part("site"),
        ]

    def unit(self, key: str, digest: str, make: Callable[[], Iterable[Output]]) -> Unit:
        """A unit, drawn only when its digest is not the one the output already holds."""
        if self.known.get(key) == digest:
            return Unit(key, digest, None)
        return Unit(key, digest, tuple(make()))

    def drawn(self, shown: Iterable[Card], ranked: bool = False) -> list[tuple[str, int | None]]:
        """The cards of a listing page as its digest sees them: each card's digest (and rank, on the directory)."""
        if not self.renderer.incremental:
            return []
        rank = self.renderer.index.rank
        return [(self.cards[c.id], rank[c.id] if ranked else None) for c in shown]

    def summary(self, language: str) -> object:
        """What every listing page of a language shows about the whole directory (its digest's share)."""
        index = self.renderer.index
        listing = index.listings[language]
        return (
            language,
            [(g.slug, g.name, len(g.cards), g.proven) for g in listing.skills],
            [(g.slug, g.name, len(g.cards)) for g in listing.regions],
            [g.slug for g in listing.popular],
            len(listing.cards),
            index.ranked[0].id if index.ranked else None,  # the sample card of the script's template
        )

    def listing(self, language: str) -> Iterator[ListingPage]:
        """A language's listing pages, in order."""
        listing = self.renderer.index.listings[language]  # named and ordered in this language
        for pager in paginate(len(listing.ranked), ""):
            shown = listing.ranked[pager.start : pager.stop]
            yield ListingPage("index.html", pager.path, ("index", pager), shown, {"index": listing, "pager": pager})
        yield ListingPage("skills.html", "skills/index.html", ("skills",), (), {"groups": listing.skills})
        yield ListingPage("regions.html", "regions/index.html", ("regions",), (), {"groups": listing.regions})
        for template, folder, groups in (
            ("skill.html", "skills", listing.skills),
            ("region.html", "regions", listing.regions),
        ):
            for group in groups:
                head = (template, group.slug, group.name, group.proven, len(group.cards))
                for pager in paginate(len(group.cards), f"{folder}/{group.slug}/"):
                    shown = group.cards[pager.start : pager.stop]
                    context = {"group": group, "pager": pager}
                    yield ListingPage(template, pager.path, (*head, pager), shown, context, summary=False)

    def listing_units(self, language: str) -> Iterator[Unit]:
        """A language's listing pages, each a unit of its own, drawn only when its digest changed."""
        renderer = self.renderer
        summary = renderer.digest(self.summary(language)) if renderer.incremental else None
        for page in self.listing(language):
            digest = ""
            if renderer.incremental:
                ranked = page.template == "index.html"
                digest = renderer.digest((page.head, summary if page.summary else None, self.drawn(page.shown, ranked)))
            key = f"page:{renderer.prefix(language)}{page.path}"
            if self.known.get(key) == digest:
                yield Unit(key, digest, None)
            else:
                yield Unit(key, digest, (renderer.page(page.template, page.path, language, **page.context),))

    def api(self, document: str) -> Iterator[Output]:
        """One API document, its unchanged engagements copied from the last build (see :mod:`.entry_cache`)."""
        renderer = self.renderer
        if document != "engagements" or self.cache_root is None:
            return api_outputs(renderer.site, renderer.scores, document)
        kept = EntryCache(self.cache_root, API_LINES, key=renderer.base)
        return api_outputs(renderer.site, renderer.scores, document, kept=kept, tokens=renderer.tokens)

    def units(self, part: Part) -> Iterator[Unit]:
        """The units of one part of the site."""
        renderer = self.renderer
        if part.kind == "api":
            yield self.unit(f"api/{part.language}", self.network, lambda: self.api(part.language))
        elif part.kind == "listings":
            yield from self.listing_units(part.language)
        elif part.kind == "members":
            for member_id in part.members:
                yield _member_unit(renderer, member_id, self.known)
                yield _evidence_unit(renderer, member_id, self.known)
        elif part.kind == "badges":
            yield from _badge_units(renderer, self.known, part.members)
        elif part.kind == "network":
            key = f"site/{part.language}"
            yield self.unit(key, self.network, lambda: _network_pages(renderer, part.language))
        else:
            assert part.kind == "site", f"unknown part {part.kind!r}"
            yield self.unit("site", self.network, lambda: _site_files(renderer))


_WORKER: _Plan | None = None
"""The plan a forked worker inherits from its parent (see :func:`_render_part`)."""


MemberInputs = Callable[[SiteIndex, str, Versions, Mapping[str, bytes], Mapping[str, bytes]], tuple[object, ...]]
"""What one of a member's units is drawn from (:func:`~.views.member_inputs`, :func:`~.views.evidence_inputs`)."""


def _member_digest(renderer: Renderer, inputs: MemberInputs, member_id: str) -> str:
    """The digest of a member's unit, or ``""`` when nothing is kept for a next build (its inputs are not gathered)."""
    if not renderer.incremental:
        return ""
    return renderer.digest(inputs(renderer.index, member_id, renderer.versions, renderer.tokens, renderer.named))


def _member_unit(renderer: Renderer, member_id: str, previous: Mapping[str, str]) -> Unit:
    """A member's pages in every language (and search documents), or ``None`` outputs when unchanged."""
    key = f"members/{member_id}"
    digest = _member_digest(renderer, member_inputs, member_id)
    if previous.get(key) == digest:
        return Unit(key, digest, None)
    view = member_page(renderer.index, member_id)  # prepared once, rendered in every language
    outputs: list[Output] = []
    for language in renderer.languages:
        outputs.append(renderer.page("member.html", f"members/{member_id}/index.html", language, page=view))
        if renderer.search:
            outputs.append(renderer.search_document(view, language))
    return Unit(key, digest, tuple(outputs))


def _evidence_unit(renderer: Renderer, member_id: str, previous: Mapping[str, str]) -> Unit:
    """A member's evidence pages in every language, or ``None`` outputs when unchanged."""
    key = f"evidence/{member_id}"
    digest = _member_digest(renderer, evidence_inputs, member_id)
    if previous.get(key) == digest:
        return Unit(key, digest, None)
    view = evidence_page(renderer.index, member_id)
    path = f"members/{member_id}/evidence/index.html"
    return Unit(
        key, digest, tuple(renderer.page("evidence.html", path, language, page=view) for language in renderer.languages)
    )


Drawn = tuple[list[tuple[str, str, list[tuple[str, bytes]] | None]], tuple[dict[bytes, bytes], int]]
"""What a worker sends back for a part: its units as plain tuples, and the Markdown it used (to be kept)."""


def _render_part(part: Part) -> Drawn:
    """In a worker process: the units of one part, as plain tuples (cheap to send back)."""
    assert _WORKER is not None, "worker processes are forked from a parent that set _WORKER"
    # The collector runs again in a worker: the model it shares with the parent is frozen (never
    # scanned), and the few cycles each page leaves are freed; with it paused, each worker of a
    # 10,000-member build ended about 70 MiB larger.
    gc.enable()
    units = [
        (unit.key, unit.digest, None if unit.outputs is None else [(o.path, o.content) for o in unit.outputs])
        for unit in _own_units(_WORKER, part)
    ]
    return units, _WORKER.renderer.markdown.take()


def _own_units(plan: _Plan, part: Part) -> list[Unit]:
    """The units of one part, drawn in this process; what was drawn for it is not kept for the next part."""
    units = list(plan.units(part))
    for fragments in plan.renderer.fragments.values():
        fragments.forget()  # engagements drawn for this part are not shown again here
    plan.renderer.index.forget()
    return units


def _parallel_units(plan: _Plan, parts: list[Part], jobs: int) -> Iterator[Unit]:
    """Every part rendered by this process and ``jobs - 1`` forked workers, yielded in order.

    The parts are independent of each other, so the bytes are those one process makes.
    Workers are forked, so they share the parent's model and scores instead of
    receiving them; the collector's bookkeeping is frozen first so that it does not
    write to every shared page. Reference counts still do: each worker ends up with its
    own copy of most of the model (about 400 MiB at 10,000 members), so this process
    draws parts too rather than only waiting for a worker of its own.

    Every part is queued for the workers, the long ones about the whole network first so
    that they run beside the member pages instead of after them. Whenever the next part to
    yield is still being drawn by a worker, this process takes the first queued part no
    worker has started and draws it itself, keeping it until its turn.
    """
    global _WORKER
    _WORKER = plan
    if gc.isenabled():  # a build pauses the collector (see check.no_gc): there is no garbage to find
        gc.collect()
    gc.freeze()
    paused = not gc.isenabled()
    gc.enable()  # as in the workers: the frozen model is never scanned, the pages' few cycles are freed
    queued = sorted(range(len(parts)), key=lambda i: FIRST.get(parts[i].kind, len(FIRST)))
    own: dict[int, list[Unit]] = {}
    # The executor's thread reads the workers' results from a pipe, 64 KiB at a time, and
    # needs the interpreter's lock after each read. While this process draws, it would get
    # the lock every 5 ms only: a worker stalled for seconds on a full pipe.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL)
    try:
        pool = ProcessPoolExecutor(max_workers=jobs - 1, mp_context=multiprocessing.get_context("fork"))
        try:
            futures = {i: pool.submit(_render_part, parts[i]) for i in queued}
            unstarted = iter(queued)

            def take_one() -> bool:
                """Draw here the first queued part that no worker has started; False when none is left."""
                for i in unstarted:
                    future = futures.get(i)  # None once yielded
                    if future is not None and future.cancel():
                        own[i] = _own_units(plan, parts[i])
                        return True
                return False

            for i in range(len(parts)):
                future = futures.pop(i)
                while i not in own and not future.done() and take_one():
                    pass
                if i in own:
                    yield from own.pop(i)
                    continue
                drawn, markdown = future.result()
                plan.renderer.markdown.absorb(markdown)
                for key, digest, pages in drawn:
                    outputs = None if pages is None else tuple(Output(path, content) for path, content in pages)
                    yield Unit(key, digest, outputs)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)  # a failed build draws nothing more
    finally:
        sys.setswitchinterval(interval)
        if paused:
            gc.disable()
        gc.unfreeze()
        _WORKER = None


def _badge_units(renderer: Renderer, previous: Mapping[str, str], members: Iterable[str]) -> Iterator[Unit]:
    """The badges of ``members`` (published members, by id), redrawn only when what they show changed."""
    root = renderer.base_url
    for member_id in members:
        name, score = renderer.site.members[member_id].name, renderer.scores.members[member_id]
        key = f"badges/{member_id}"
        digest = renderer.digest((member_id, name, root, badge_inputs(score)))
        if previous.get(key) == digest:
            yield Unit(key, digest, None)
        else:
            yield Unit(key, digest, tuple(member_badges(member_id, name, score, root)))


def render_site(
    site: Site, scores: Scores, theme: Theme, jobs: int | None = None, search: bool = True
) -> Iterator[Output]:
    """Every file of the site, as a full build writes them (see :func:`render_units`)."""
    for item in render_units(site, scores, theme, jobs, search):
        if isinstance(item, Output):
            yield item
        else:
            assert item.outputs is not None, "nothing is kept without a previous build"
            yield from item.outputs


def render_units(
    site: Site,
    scores: Scores,
    theme: Theme,
    jobs: int | None = None,
    search: bool = True,
    previous: Mapping[str, str] | None = None,
    versions: Versions | None = None,
    cache_root: Path | None = None,
) -> Iterator[Output | Unit]:
    """Every file of the site, in a fixed order so two builds are byte-identical.

    With ``search``, each member page comes with its search document under
    :data:`SEARCH_SOURCE`, for the search indexer (see :mod:`generator.publish`).

    ``previous`` holds the digests of the units an earlier build wrote and that are
    still intact in the output: a unit whose inputs have the same digest is not
    rendered again (it comes as a :class:`~generator.write.Unit` without outputs).
    Member pages, their badges and each listing page are units of their own; the
    pages about the whole network (the API, feeds, sitemap, network and method pages)
    are rendered again when any record changed. The writer skips every file whose
    bytes did not change.

    ``versions`` holds the record files' versions (from the record cache): digests
    are made of them. Without it no digest is computed and nothing is kept. With it,
    the cache of the site in ``cache_root`` keeps the API's lines for the next build;
    with ``cache_root`` alone, it keeps the rendered Markdown.

    ``jobs`` is how many processes render (default: one per CPU, up to 8, for networks
    of :data:`PARALLEL_THRESHOLD` members or more, where forking pays); the output
    does not depend on it.
    """
    renderer = Renderer(site, scores, theme, search=search, versions=versions, cache_root=cache_root)
    plan = _Plan(renderer, previous or {}, versions, cache_root)
    parts = plan.parts()
    jobs = jobs if jobs is not None else min(os.cpu_count() or 1, 8)
    parallel = jobs > 1 and len(plan.member_ids) >= PARALLEL_THRESHOLD
    if parallel and "fork" in multiprocessing.get_all_start_methods():
        units = _parallel_units(plan, parts, jobs)
    else:
        units = (unit for part in parts for unit in plan.units(part))
    every_member = True
    """Whether every member page was drawn: then the Markdown they did not use is no longer kept."""
    for unit in units:
        if unit.outputs is None and unit.key.startswith("members/"):
            every_member = False
        yield unit
    renderer.markdown.save(complete=every_member)


def _site_files(renderer: Renderer) -> Iterator[Output]:
    """The assets, the sitemap and ``robots.txt``."""
    yield from renderer.static()
    yield from renderer.sitemaps()
    yield renderer.robots_txt()


def _network_pages(renderer: Renderer, language: str) -> Iterator[Output]:
    """A language's pages about the whole network, its directory index and its feed."""
    site, scores, index = renderer.site, renderer.scores, renderer.index
    figures = method_figures(site.config.scoring)
    method = method_document(with_figures(METHOD_DOC.read_text(encoding="utf-8"), figures))
    yield Output(renderer.prefix(language) + "directory.json", directory_json(index, language))
    yield renderer.page("network.html", "network/index.html", language, network=network_view(index))
    coordinators = index.public(scores.seeds)
    settings = method_json(scores)
    yield renderer.page(
        "method.html", "method/index.html", language, document=method, settings=settings, coordinators=coordinators
    )
    yield renderer.page("404.html", "404.html", language, from_root=True)
    yield from feed_outputs(site, scores, renderer.base_url, language)  # the colleagues' module
