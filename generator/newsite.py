"""``triangle init``: a new network's repository, ready for pull requests and CI.

The files come from templates shipped in ``newsite_templates/``. Rendering is pure
(:func:`render_files` returns text by path); the record files are then read back with
the same loader and record types as ``triangle check``, so a new network is valid by
construction; only then does :func:`write_new_site` touch the disk, and it never
writes over an existing file.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

import yaml

from . import __version__
from .diagnostics import Diagnostic, UsageError
from .fields import SLUG_RE, Choice, Context, ListOf, RecordType
from .load import load
from .schema import MEMBER, RECORDS, SITE, json_schema_text

if TYPE_CHECKING:
    import jinja2

TEMPLATES: Final = Path(__file__).parent / "newsite_templates"

FILES: Final = (
    ("site.yml", "site.yml"),
    ("member.yml", "content/members/{coordinator}.yml"),
    ("README.md", "README.md"),
    ("gitignore", ".gitignore"),
    ("pre-commit-config.yaml", ".pre-commit-config.yaml"),
    ("github/workflows/check.yml", ".github/workflows/check.yml"),
    ("github/workflows/publish.yml", ".github/workflows/publish.yml"),
    ("gitlab-ci.yml", ".gitlab-ci.yml"),
    ("CODEOWNERS", "CODEOWNERS"),
)
"""Each template (under ``newsite_templates/``) and the path it is written to.

Template names carry no leading dot: setuptools' package-data globs skip hidden files,
so ``.gitignore`` would silently be missing from an installed Triangle.
"""

SOURCE: Final = "https://triangle.example/triangle.git"
"""The git repository Triangle's releases are tagged in, as new networks' CI installs it.

A reserved ``.example`` address until the project has a public home: a made-up real
host name could be registered by anyone, who would then run code in every network's CI.
``triangle init --source`` overrides it.
"""

DEFAULT_PIN: Final = f"v{__version__}"
"""The release tag new networks pin: the version of the Triangle that wrote them."""

SOURCE_RE: Final = re.compile(r"^(https://|ssh://([A-Za-z0-9._-]+@)?|file://)[^\s\"'`$\\@]+$")
"""A repository address safe to paste into YAML, a shell's double quotes and pip's
``git+URL@REV`` (where an '@' other than ssh's user would be read as the revision)."""
PIN_RE: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,99}$")
KEPT: Final = frozenset({".git"})
"""What a target folder may already hold: a freshly cloned or ``git init``-ed repository."""


STARTER_SKILLS: Final = (
    ("3d-modeling", "Modélisation 3D", "3D modelling"),
    ("accessibility", "Accessibilité", "Accessibility"),
    ("animation", "Animation", "Animation"),
    ("art-direction", "Direction artistique", "Art direction"),
    ("branding", "Identité de marque", "Branding"),
    ("community-management", "Animation de communauté", "Community management"),
    ("copywriting", "Rédaction", "Copywriting"),
    ("data-visualisation", "Visualisation de données", "Data visualisation"),
    ("editorial-design", "Mise en page", "Editorial design"),
    ("event-production", "Production d'événements", "Event production"),
    ("graphic-design", "Design graphique", "Graphic design"),
    ("illustration", "Illustration", "Illustration"),
    ("media-relations", "Relations presse", "Media relations"),
    ("motion-design", "Motion design", "Motion design"),
    ("packaging", "Packaging", "Packaging design"),
    ("photography", "Photographie", "Photography"),
    ("print-production", "Fabrication imprimée", "Print production"),
    ("project-management", "Gestion de projet", "Project management"),
    ("seo", "Référencement (SEO)", "SEO"),
    ("social-media", "Réseaux sociaux", "Social media"),
    ("sound-design", "Design sonore", "Sound design"),
    ("strategy", "Stratégie de communication", "Communication strategy"),
    ("translation", "Traduction", "Translation"),
    ("ux-design", "Design UX", "UX design"),
    ("video-editing", "Montage vidéo", "Video editing"),
    ("video-production", "Production vidéo", "Video production"),
    ("web-development", "Développement web", "Web development"),
)
"""The skills a new network starts with, ``(id, French label, English label)``, for the
operator to edit: a creative and communication network's usual trades."""

STARTER_REGIONS: Final = (
    ("auvergne-rhone-alpes", "Auvergne-Rhône-Alpes", "Auvergne-Rhône-Alpes"),
    ("bourgogne-franche-comte", "Bourgogne-Franche-Comté", "Bourgogne-Franche-Comté"),
    ("bretagne", "Bretagne", "Brittany"),
    ("centre-val-de-loire", "Centre-Val de Loire", "Centre-Val de Loire"),
    ("corse", "Corse", "Corsica"),
    ("grand-est", "Grand Est", "Grand Est"),
    ("guadeloupe", "Guadeloupe", "Guadeloupe"),
    ("guyane", "Guyane", "French Guiana"),
    ("hauts-de-france", "Hauts-de-France", "Hauts-de-France"),
    ("ile-de-france", "Île-de-France", "Île-de-France"),
    ("la-reunion", "La Réunion", "Réunion"),
    ("martinique", "Martinique", "Martinique"),
    ("mayotte", "Mayotte", "Mayotte"),
    ("normandie", "Normandie", "Normandy"),
    ("nouvelle-aquitaine", "Nouvelle-Aquitaine", "Nouvelle-Aquitaine"),
    ("occitanie", "Occitanie", "Occitania"),
    ("pays-de-la-loire", "Pays de la Loire", "Pays de la Loire"),
    ("provence-alpes-cote-d-azur", "Provence-Alpes-Côte d'Azur", "Provence-Alpes-Côte d'Azur"),
)
"""The regions of France, ``(id, French name, English name)``."""


def label_yaml(labels: Mapping[str, str], languages: Sequence[str]) -> str:
    """A label in site.yml's shape for ``languages``: one text when every language says the same."""
    texts = [labels[language] for language in languages]
    if len(set(texts)) == 1:
        return _label_value(texts[0])
    return "{" + ", ".join(f"{language}: {_label_value(labels[language])}" for language in languages) + "}"


_PLAIN_LABEL = re.compile(r"\w[\w .'&()/+-]*", re.UNICODE)


def _label_value(text: str) -> str:
    """A label as ``triangle fmt`` writes it: plain when every YAML reader takes it for that text.

    Also safe inside a ``{…}`` flow mapping: a label with a comma or a bracket is quoted.
    """
    if _PLAIN_LABEL.fullmatch(text) and not text.endswith(" ") and yaml.safe_load(text) == text:
        return text
    return json.dumps(text, ensure_ascii=False)


def vocabulary_lines(terms: Sequence[tuple[str, str, str]], languages: Sequence[str]) -> str:
    """The indented ``id: label`` lines of a starter vocabulary, labelled in the site's languages."""
    return "\n".join(f"  {term}: {label_yaml({'fr': fr, 'en': en}, languages)}" for term, fr, en in terms)


@dataclass(frozen=True, slots=True)
class NewSite:
    """What a new network is made from: the answers to ``triangle init``'s questions."""

    title: str
    base_url: str
    languages: tuple[str, ...]
    coordinator: str
    coordinator_name: str
    joined: dt.date
    source: str = SOURCE
    pin: str = DEFAULT_PIN

    @property
    def requirement(self) -> str:
        """The pip requirement CI installs Triangle from: the source pinned to the release."""
        return f"git+{self.source}@{self.pin}"


def display_name(member_id: str) -> str:
    """A display name guessed from a member id: ``ada-lovelace`` → ``Ada Lovelace``."""
    return " ".join(part.capitalize() for part in member_id.split("-"))


_PLAIN_TEXT = re.compile(r"[^\W\d_][\w .,'&()/+-]*", re.UNICODE)
_PLAIN_URL = re.compile(r"https?://[A-Za-z0-9._~:/?#@!$&'()*+,;=%-]+")
_YAML_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null", "none"})


def yaml_value(value: object) -> str:
    """A YAML scalar or flow list for ``value``: plain when that is unambiguous, else quoted.

    Triangle reads each value by its declared type, but editors and other YAML tools
    guess, so words like ``no`` and anything with YAML punctuation are quoted.
    """
    if isinstance(value, list | tuple):
        return "[" + ", ".join(yaml_value(item) for item in value) + "]"
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    plain = _PLAIN_TEXT.fullmatch(text) or _PLAIN_URL.fullmatch(text)
    if plain and not text.endswith(" ") and text.lower() not in _YAML_WORDS:
        return text
    return json.dumps(text, ensure_ascii=False)


def _environment() -> jinja2.Environment:
    # Imported here: `triangle --help` and every other command load this module for the
    # option list of `init`, and only `init` renders templates.
    import jinja2

    # Delimiters that occur in none of the files: `${{ }}` is GitHub's expression syntax,
    # `{{ }}` appears in the workflows, `[[` in YAML flow lists.
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        variable_start_string="<<",
        variable_end_string=">>",
        block_start_string="<%",
        block_end_string="%>",
        comment_start_string="<#",
        comment_end_string="#>",
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["yaml"] = yaml_value
    return env


def check_options(site: NewSite) -> None:
    """Refuse values that would make an unsafe path or a broken CI file, before rendering."""
    if not SLUG_RE.match(site.coordinator) or len(site.coordinator) > 64:
        raise UsageError(
            f"{site.coordinator!r} is not a member id: use lowercase letters, digits and single hyphens, "
            "like 'ada-lovelace'"
        )
    if not SOURCE_RE.match(site.source):
        raise UsageError(
            f"--source {site.source!r} is not a git repository address Triangle can pin: expected "
            "an https://, ssh:// or file:// URL without spaces, quotes or '@' (except ssh://user@)"
        )
    if not PIN_RE.match(site.pin):
        raise UsageError(f"--pin {site.pin!r} is not a release tag or commit SHA, like {DEFAULT_PIN!r}")


def render_files(site: NewSite) -> dict[str, str]:
    """Every file of the new repository, by its path, in writing order. Pure: no disk writes."""
    check_options(site)
    env = _environment()
    values = {
        "site": site,
        "skills": vocabulary_lines(STARTER_SKILLS, site.languages),
        "regions": vocabulary_lines(STARTER_REGIONS, site.languages),
    }
    files = {
        target.format(coordinator=site.coordinator): env.get_template(name).render(values) for name, target in FILES
    }
    for kind in RECORDS:
        files[f"schemas/{kind}.schema.json"] = json_schema_text(kind)
    return files


def problems(files: Mapping[str, str], site: NewSite) -> list[Diagnostic]:
    """What ``triangle check`` would say about the rendered site.yml and member record."""
    found: list[Diagnostic] = []
    records: tuple[tuple[str, RecordType], ...] = (
        ("site.yml", SITE),
        (f"content/members/{site.coordinator}.yml", MEMBER),
    )
    for path, record in records:
        loaded = load(path, files[path].encode("utf-8"))
        found += loaded.diagnostics
        if loaded.root is not None:
            ctx = Context(path)
            record.convert_record(loaded.root, ctx)
            found += ctx.problems
    return sorted(found, key=Diagnostic.sort_key)


def refuse_unless_empty(directory: Path) -> None:
    """Stop unless ``directory`` is absent or empty (a bare ``.git`` is allowed)."""
    if directory.is_symlink() or (directory.exists() and not directory.is_dir()):
        raise UsageError(f"{str(directory)!r} exists and is not a folder; choose a new or empty folder")
    if not directory.exists():
        return
    present = sorted(entry.name for entry in directory.iterdir() if entry.name not in KEPT)
    if present:
        shown = ", ".join(repr(name) for name in present[:3]) + (", …" if len(present) > 3 else "")
        raise UsageError(
            f"{str(directory)!r} is not empty (it holds {shown}): triangle init never writes over "
            "existing files; choose a new or empty folder"
        )


def write_new_site(directory: Path, files: Mapping[str, str]) -> list[Path]:
    """Write ``files`` into the new or empty ``directory``; never replace an existing file."""
    refuse_unless_empty(directory)
    written: list[Path] = []
    try:
        for rel, text in files.items():
            target = directory / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            # "x": fail rather than overwrite, even if something appeared since the check above.
            with target.open("x", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
            written.append(target)
    except OSError as exc:
        done = f" after writing {len(written)} of {len(files)} files" if written else ""
        raise UsageError(f"cannot write {str(exc.filename)!r}{done}: {exc.strerror}") from None
    return written


def create(directory: Path, site: NewSite) -> list[Path]:
    """Render, validate and write a new network into ``directory``; return the files written."""
    files = render_files(site)
    found = problems(files, site)
    if found:
        raise UsageError("these values would make an invalid network; nothing was written", tuple(found))
    return write_new_site(directory, files)


def default_languages() -> tuple[str, ...]:
    """The interface languages site.yml defaults to, from the schema's declaration."""
    default = SITE.by_name["languages"].default
    assert isinstance(default, tuple)
    return tuple(str(code) for code in default)


def language_choices() -> Sequence[str]:
    """The interface languages Triangle supports, from the schema's declaration."""
    languages = SITE.by_name["languages"].type
    assert isinstance(languages, ListOf) and isinstance(languages.item, Choice)
    return languages.item.choices
