"""Write a new record, valid by construction: ``triangle new member|engagement``, ``triangle attest``.

Each value comes from an option or, on a terminal, from a question, and is checked by
the very field type that ``triangle check`` uses (:mod:`schema`), so a mistake is
caught while it is typed, with the same message. What needs other records (members
that exist, the parties of an engagement, dates after its start) is checked before
anything is written. The file goes to its place in the layout (:mod:`discover`), in
canonical form (:mod:`fmt`), under the ``$schema`` line editors use for completion,
through :mod:`safe_write`: an existing file is never overwritten.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
import stat
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import click

from . import safe_write
from .config import load_config
from .diagnostics import Diagnostic, Position, TriangleError, UsageError
from .discover import CONTENT, YEAR_RE
from .fields import INVALID, Context, FieldType, ListOf, MapOf, OneOf, RecordType, Text, slugify
from .fmt import dump
from .load import MappingNode, Node, ScalarNode, SequenceNode, load_file
from .schema import ATTESTATION, ENGAGEMENT, MEMBER
from .validate import RESERVED_NAMES
from .vocabulary import Vocabulary, closest

SCHEMA_LINE: Final = "# yaml-language-server: $schema={}\n"
ID_WORDS_LENGTH: Final = 48
"""Longest title part of a generated engagement id (the year and a counter come after it)."""
_ANYWHERE: Final = Position(1, 1)


class BadValue(ValueError):
    """A value the schema refuses; the message says why, as ``triangle check`` would."""


def schema_header(path: str, kind: str) -> str:
    """The editor's schema line for a record at ``path`` (site-relative), pointing at ``schemas/``."""
    return SCHEMA_LINE.format("../" * path.count("/") + f"schemas/{kind}.schema.json")


def check_id(value: str, what: str) -> str:
    """Refuse an id that ``triangle check`` would refuse as a file or folder name."""
    if len(value) > 64 or not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", value):
        example = slugify(value)
        hint = f"; for example {example!r}" if example and example != value else ""
        raise BadValue(
            f"{value!r} is not a valid {what}: ids use lowercase letters, digits and single hyphens, "
            f"at most 64 characters{hint}"
        )
    if value in RESERVED_NAMES:
        raise BadValue(f"{value!r} is a reserved file name on Windows and cannot be a {what}")
    return value


# -- one value, from an option or a question ------------------------------------------


def _words(raw: str) -> list[str]:
    return [word for word in re.split(r"[\s,]+", raw) if word]


def _node(raw: Any, kind: FieldType) -> Node:
    """The YAML node a value would be in a file, so the schema's own conversion can check it."""
    if isinstance(kind, ListOf):
        items = _words(raw) if isinstance(raw, str) else list(raw)
        return SequenceNode(tuple(_node(item, kind.item) for item in items), _ANYWHERE)
    if isinstance(kind, MapOf):
        pairs = dict(raw).items()
        return MappingNode(
            tuple((ScalarNode(str(k), True, _ANYWHERE), _node(v, kind.value)) for k, v in pairs), _ANYWHERE
        )
    if isinstance(raw, bool):
        raw = "true" if raw else "false"
    elif isinstance(raw, dt.date):
        raw = raw.isoformat()
    # Quoted text is read as written; everything else must be written plainly (numbers, booleans).
    return ScalarNode(str(raw), not isinstance(kind, Text), _ANYWHERE)


def parse(record: RecordType, key: str, raw: Any) -> Any:
    """Convert an option's or an answer's value by the record's field type; :class:`BadValue` if refused."""
    spec = record.by_name[key]
    ctx = Context("option")
    value = spec.type.convert(_node(raw, spec.type), ctx)
    if value is INVALID:
        raise BadValue(ctx.problems[0].message if ctx.problems else f"invalid value {raw!r}")
    if isinstance(spec.type, ListOf) and isinstance(spec.type.item, OneOf):
        # Signing keys: keep the lines as written, not the model objects.
        return [raw] if isinstance(raw, str) else [str(item) for item in raw]
    return value


Check = Callable[[Any], Any]
"""A further rule for a parsed value (a member that exists...): returns the value or raises BadValue."""


@dataclass
class Asker:
    """Gathers values from options, asking on a terminal for what is missing.

    Off a terminal nothing is asked: every problem with the options and every missing
    option is collected, and :meth:`done` reports them all at once.
    """

    interactive: bool
    problems: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def value(
        self,
        record: RecordType,
        key: str,
        given: Any,
        question: str,
        *,
        flag: str,
        required: bool = True,
        default: Any = None,
        ask: bool = True,
        check: Check | None = None,
    ) -> Any:
        """The value of ``key``: the option's, else the answer to ``question``, else ``default``.

        ``ask=False`` keeps an optional value out of the questions (options only).
        """

        def convert(raw: Any) -> Any:
            value = parse(record, key, raw)
            return check(value) if check is not None else value

        if given is not None and given != ():
            try:
                return convert(given)
            except BadValue as exc:
                self.problems.append(f"{flag}: {exc}")
                return None
        if self.interactive and (ask or required):
            return _prompt(question, convert, default, required)
        if default is not None:
            return convert(default)
        if required:
            self.missing.append(flag)
        return None

    def confirm(self, given: bool | None, question: str, *, flag: str) -> bool | None:
        """A yes/no value: the option's, else the answer on a terminal."""
        if given is not None:
            return given
        if self.interactive:
            return yes_no(question)
        self.missing.append(flag)
        return None

    def refuse(self, message: str) -> None:
        """Record a problem found with the options."""
        self.problems.append(message)

    def done(self) -> None:
        """Raise a usage error listing every problem and every missing option."""
        lines = list(self.problems)
        if self.missing:
            lines.append(
                "missing " + ", ".join(self.missing) + ": this is not a terminal, so Triangle cannot ask; "
                "pass them as options (or use --interactive)"
            )
        if lines:
            raise UsageError("; ".join(lines) if len(lines) == 1 else "\n  " + "\n  ".join(lines))


YES: Final = frozenset({"y", "yes", "o", "oui"})
NO: Final = frozenset({"n", "no", "non"})
"""Answers to a yes/no question, in English and French: the question is asked in English, but a
member of a French-speaking network answers ``oui`` or ``o`` as naturally as ``yes``."""


def _yes_no(raw: str) -> bool:
    answer = raw.strip().casefold()
    if answer in YES:
        return True
    if answer in NO:
        return False
    raise click.UsageError(f"answer y (yes, o, oui) or n (no, non) (got {raw.strip()!r})")


def yes_no(question: str, default: bool = False) -> bool:
    """Ask a yes/no question; Enter keeps ``default``, y/yes/o/oui and n/no/non answer it."""
    choices = "[Y/n]" if default else "[y/N]"
    answer = click.prompt(
        f"{question} {choices}", default="y" if default else "n", show_default=False, value_proc=_yes_no
    )
    return bool(answer)


def _prompt(question: str, convert: Check, default: Any, required: bool) -> Any:
    def proc(raw: str) -> Any:
        text = raw.strip()
        if not text:
            if required:
                raise click.UsageError("a value is required")
            return None
        try:
            return convert(text)
        except BadValue as exc:
            raise click.UsageError(str(exc)) from None

    shown = default.isoformat() if isinstance(default, dt.date) else default
    if shown is None and not required:
        question += " (optional, Enter to skip)"
        shown = ""
    return click.prompt(question, default=shown, show_default=bool(shown), value_proc=proc)


# -- the site as it is ----------------------------------------------------------------


def _regular_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def member_ids(root: Path) -> list[str]:
    """The ids of the member files (links and odd names left out, as ``check`` leaves them out)."""
    folder = root / CONTENT / "members"
    if folder.is_symlink() or not folder.is_dir():
        return []
    return sorted(
        entry.name[:-4]
        for entry in os.scandir(folder)
        if entry.name.endswith(".yml") and entry.is_file(follow_symlinks=False)
    )


def member_exists(root: Path, what: str) -> Check:
    """A check that a member id names an existing member file."""

    def check(value: Any) -> Any:
        if not _regular_file(root / CONTENT / "members" / f"{value}.yml"):
            close = difflib.get_close_matches(str(value), member_ids(root), n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise BadValue(f"{what} {value!r} is not a member: there is no content/members/{value}.yml{hint}")
        return value

    return check


def each_member(root: Path, what: str, not_: str | None = None) -> Check:
    """A check that every id of a list names an existing member (and not ``not_``)."""
    one = member_exists(root, what)

    def check(values: Any) -> Any:
        for value in values:
            if value == not_:
                raise BadValue(f"a member cannot be their own {what}")
            one(value)
        return values

    return check


def declared(root: Path, key: str) -> Mapping[str, Mapping[str, str]] | None:
    """The skills or regions site.yml declares (id → language → label), or ``None`` when it declares none."""
    vocabulary = Vocabulary.of(load_config(root))
    return vocabulary.skills if key == "skills" else vocabulary.regions


def in_vocabulary(terms: Mapping[str, Mapping[str, str]] | None, what: str) -> Check | None:
    """A check that a value (or each of a list) is a declared skill or region, suggesting close ones.

    Stricter than ``check``'s warning on purpose: a new record should start clean.
    """
    if terms is None:
        return None

    def check(value: Any) -> Any:
        unknown = [item for item in (value if isinstance(value, tuple) else (value,)) if item not in terms]
        if unknown:
            problems = []
            for item in unknown:
                close = closest(item, terms)
                hint = f" (did you mean {close!r}?)" if close else ""
                problems.append(f"{what} {item!r} is not in the network's {what}s (site.yml){hint}")
            raise BadValue(
                "; ".join(problems)
                + f" — choose among {', '.join(terms)}, or declare it in site.yml under {what}s first"
            )
        return value

    return check


def vocabulary_question(question: str, terms: Mapping[str, Mapping[str, str]] | None) -> str:
    """A question that lists the declared ids, when there are some."""
    return f"{question}; one of: {', '.join(terms)}" if terms else question


def not_after(today: dt.date, what: str) -> Check:
    """A check that a date is not after the build date (records state facts that happened)."""

    def check(day: Any) -> Any:
        if day > today:
            raise BadValue(
                f"{what} {day.isoformat()} is after today ({today.isoformat()}); record facts once they happened"
            )
        return day

    return check


def between(start: dt.date, today: dt.date | None, what: str) -> Check:
    """A check that a date is not before an engagement's start (nor after today, when given)."""
    later = not_after(today, what) if today is not None else None

    def check(day: Any) -> Any:
        if day < start:
            raise BadValue(f"{what} {day.isoformat()} is before the engagement started ({start.isoformat()})")
        return later(day) if later is not None else day

    return check


def engagement_folders(root: Path) -> dict[str, list[str]]:
    """Every engagement folder's id, with the years it appears under."""
    found: dict[str, list[str]] = {}
    base = root / CONTENT / "engagements"
    if base.is_symlink() or not base.is_dir():
        return found
    for year in sorted(os.scandir(base), key=lambda e: e.name):
        if not (YEAR_RE.match(year.name) and year.is_dir(follow_symlinks=False)):
            continue
        for folder in os.scandir(year.path):
            if folder.is_dir(follow_symlinks=False):
                found.setdefault(folder.name, []).append(year.name)
    return found


@dataclass(frozen=True, slots=True)
class Parties:
    """What an attestation needs to know of its engagement."""

    id: str
    year: str
    client: str
    supplier: str
    started: dt.date


def read_engagement(root: Path, engagement: str) -> Parties:
    """The parties and start of an existing engagement; a usage error when there is none or it is broken."""
    folders = engagement_folders(root)
    years = [year for year in folders.get(engagement, []) if _regular_file(_engagement_file(root, year, engagement))]
    if not years:
        close = difflib.get_close_matches(engagement, list(folders), n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise UsageError(
            f"there is no engagement {engagement!r} (no content/engagements/<year>/{engagement}/engagement.yml){hint}"
        )
    if len(years) > 1:
        raise UsageError(f"engagement {engagement!r} is filed under several years ({', '.join(years)}); fix that first")
    year = years[0]
    rel = f"{CONTENT}/engagements/{year}/{engagement}/engagement.yml"
    loaded = load_file(rel, root / rel)
    ctx = Context(rel)
    converted = ENGAGEMENT.convert_record(loaded.root, ctx) if loaded.root is not None else None
    values = converted.values if converted is not None else {}
    problems = (*loaded.diagnostics, *ctx.problems)
    if not all(key in values for key in ("client", "supplier", "started")):
        raise UsageError(
            f"{rel} must be valid before it can be attested: fix it first (see 'triangle check')",
            tuple(sorted(problems, key=Diagnostic.sort_key)),
        )
    return Parties(engagement, year, values["client"], values["supplier"], values["started"])


def _engagement_file(root: Path, year: str, engagement: str) -> Path:
    return root / CONTENT / "engagements" / year / engagement / "engagement.yml"


def engagement_id(title: str, started: dt.date, taken: Iterable[str]) -> str:
    """A new engagement id from its title and start: ``animated-posters-spring-campaign-2026``.

    Words of the title (accents dropped) up to :data:`ID_WORDS_LENGTH` characters, then
    the year, as the demo network's ids read; ``-2``, ``-3``... when that id is taken
    (ids are unique across years).
    """
    words = slugify(title).split("-")
    kept: list[str] = []
    for word in words:
        if not word or len("-".join([*kept, word])) > ID_WORDS_LENGTH:
            break
        kept.append(word)
    stem = "-".join([*kept, str(started.year)]) if kept else f"engagement-{started.isoformat()}"
    if stem in RESERVED_NAMES:
        stem = f"engagement-{stem}"
    used = set(taken)
    candidate, counter = stem, 1
    while candidate in used:
        counter += 1
        candidate = f"{stem}-{counter}"
    return candidate


# -- writing --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Draft:
    """A new record ready to be written: where, and its full text."""

    path: str
    text: str


def write(root: Path, draft: Draft) -> None:
    """Create the record's file (and folders), refusing to overwrite anything."""
    parts = tuple(draft.path.split("/"))
    folder = safe_write.make_folders(root, parts[:-1])
    snapshot = safe_write.expect_absent(folder / parts[-1], draft.path)
    safe_write.write(snapshot, draft.text.encode("utf-8"))


def _draft(path: str, kind: str, record: RecordType, values: dict[str, Any]) -> Draft:
    plain = {key: _plain(value) for key, value in values.items() if value is not None and value != ()}
    return Draft(path, dump(plain, record, schema_header(path, kind)))


def _plain(value: Any) -> Any:
    if isinstance(value, tuple) and value and all(isinstance(item, tuple) and len(item) == 2 for item in value):
        return dict(value)  # links: label → address, in the order given
    if isinstance(value, tuple):
        return list(value)
    return value


def refuse_existing(root: Path, path: str) -> None:
    """Refuse early (before any question) to create a file that exists."""
    if os.path.lexists(root / path):
        raise safe_write.AlreadyExists(
            f"{path} already exists; Triangle never overwrites a file (edit it, or remove it first)"
        )


# -- the three records ----------------------------------------------------------------


def new_member(root: Path, member: str, options: dict[str, Any], today: dt.date, asker: Asker) -> Draft:
    """The record of a new member from options (``name``, ``kind``, ...) and answers."""
    try:
        check_id(member, "member id")
    except BadValue as exc:
        raise UsageError(str(exc)) from None
    path = f"{CONTENT}/members/{member}.yml"
    refuse_existing(root, path)
    ask = asker.value
    skills, regions = declared(root, "skills"), declared(root, "regions")
    values: dict[str, Any] = {
        "name": ask(MEMBER, "name", options.get("name"), "Display name", flag="--name"),
        "kind": ask(MEMBER, "kind", options.get("kind"), "Kind (person, organisation)", flag="--kind"),
        "headline": ask(
            MEMBER, "headline", options.get("headline"), "Headline (what you do, one line)", flag="--headline"
        ),
        "region": ask(
            MEMBER,
            "region",
            options.get("region"),
            vocabulary_question("Region (a slug, e.g. ile-de-france)", regions),
            flag="--region",
            check=in_vocabulary(regions, "region"),
        ),
        "location": ask(
            MEMBER, "location", options.get("location"), "Location (e.g. Paris)", flag="--location", required=False
        ),
        "skills": ask(
            MEMBER,
            "skills",
            options.get("skills"),
            vocabulary_question("Skills (slugs, separated by commas)", skills),
            flag="--skills",
            check=in_vocabulary(skills, "skill"),
        ),
        "languages": ask(
            MEMBER,
            "languages",
            options.get("languages"),
            "Languages (ISO codes, e.g. fr, en)",
            flag="--languages",
            required=False,
        ),
        "joined": ask(
            MEMBER,
            "joined",
            options.get("joined"),
            "Joined the network on",
            flag="--joined",
            default=today,
            check=not_after(today, "the joined date"),
        ),
        "sponsors": ask(
            MEMBER,
            "sponsors",
            options.get("sponsors"),
            "Sponsors (member ids who vouch for you)",
            flag="--sponsors",
            required=False,
            check=each_member(root, "sponsor", not_=member),
        ),
        "links": ask(MEMBER, "links", options.get("links"), "", flag="--link", required=False, ask=False),
        "keys": ask(MEMBER, "keys", options.get("keys"), "", flag="--key", required=False, ask=False),
        "bio": ask(MEMBER, "bio", options.get("bio"), "", flag="--bio", required=False, ask=False),
    }
    asker.done()
    return _draft(path, "member", MEMBER, values)


def new_engagement(root: Path, options: dict[str, Any], today: dt.date, asker: Asker) -> Draft:
    """The record of a new engagement; its id is ``--id`` or made from the title and year."""
    ask = asker.value
    folders = engagement_folders(root)
    client = ask(
        ENGAGEMENT,
        "client",
        options.get("client"),
        "Client (member id)",
        flag="--client",
        check=member_exists(root, "client"),
    )

    def other_than_client(value: Any) -> Any:
        if value == client:
            raise BadValue(
                f"the supplier is also the client ({value!r}); an engagement is between two different members"
            )
        return member_exists(root, "supplier")(value)

    supplier = ask(
        ENGAGEMENT,
        "supplier",
        options.get("supplier"),
        "Supplier (member id)",
        flag="--supplier",
        check=other_than_client,
    )
    title = ask(ENGAGEMENT, "title", options.get("title"), "Title", flag="--title")
    declared_skills = declared(root, "skills")
    skills = ask(
        ENGAGEMENT,
        "skills",
        options.get("skills"),
        vocabulary_question("Skills the supplier used (slugs, separated by commas)", declared_skills),
        flag="--skills",
        check=in_vocabulary(declared_skills, "skill"),
    )
    started = ask(
        ENGAGEMENT,
        "started",
        options.get("started"),
        "Started on",
        flag="--started",
        default=today if asker.interactive else None,
        check=not_after(today, "the start date"),
    )
    after_start = between(started, None, "the date") if started is not None else None
    deadline = ask(
        ENGAGEMENT,
        "deadline",
        options.get("deadline"),
        "Agreed delivery date",
        flag="--deadline",
        required=False,
        check=after_start,
    )
    invoice_due = ask(
        ENGAGEMENT,
        "invoice_due",
        options.get("invoice_due"),
        "Agreed payment date",
        flag="--invoice-due",
        required=False,
        check=after_start,
    )
    summary = ask(ENGAGEMENT, "summary", options.get("summary"), "", flag="--summary", required=False, ask=False)
    eid = _engagement_id(options.get("id"), title, started, folders, asker)
    asker.done()
    assert eid is not None and started is not None, "asker.done() raises when they are missing"
    year = str(started.year)
    path = f"{CONTENT}/engagements/{year}/{eid}/engagement.yml"
    if any(other != year for other in folders.get(eid, [])):
        raise UsageError(
            f"engagement id {eid!r} is already used under content/engagements/{folders[eid][0]}/; "
            "engagement ids are unique across years: choose another --id"
        )
    refuse_existing(root, path)
    values = {
        "title": title,
        "client": client,
        "supplier": supplier,
        "skills": skills,
        "started": started,
        "deadline": deadline,
        "invoice_due": invoice_due,
        "summary": summary,
    }
    return _draft(path, "engagement", ENGAGEMENT, values)


def _engagement_id(
    given: str | None, title: str | None, started: dt.date | None, folders: dict[str, list[str]], asker: Asker
) -> str | None:
    def valid(value: str) -> str:
        return check_id(value, "engagement id")

    if given is not None:
        try:
            return valid(given)
        except BadValue as exc:
            asker.refuse(f"--id: {exc}")
            return None
    if title is None or started is None:
        return None
    proposed = engagement_id(title, started, folders)
    if not asker.interactive:
        return proposed

    def proc(raw: str) -> str:
        try:
            return valid(raw.strip())
        except BadValue as exc:
            raise click.UsageError(str(exc)) from None

    return str(click.prompt("Engagement id", default=proposed, value_proc=proc))


CLIENT_OPTIONS: Final = ("delivery", "delivered", "quality")
SUPPLIER_OPTIONS: Final = ("payment", "paid")


def _flag(key: str) -> str:
    return "--" + key.replace("_", "-")


def attest(root: Path, engagement: str, options: dict[str, Any], today: dt.date, asker: Asker) -> Draft:
    """One party's attestation of an engagement, with the keys of that party's role only."""
    try:
        check_id(engagement, "engagement id")
    except BadValue as exc:
        raise UsageError(str(exc)) from None
    parties = read_engagement(root, engagement)
    attester = options.get("as")
    choices = (parties.client, parties.supplier)
    if attester is None:
        if not asker.interactive:
            asker.missing.append("--as")
            asker.done()
        attester = click.prompt(
            f"Who attests? ({parties.client} is the client, {parties.supplier} the supplier)",
            type=click.Choice(choices),
        )
    if attester not in choices:
        raise UsageError(
            f"{attester!r} is neither the client ({parties.client!r}) nor the supplier ({parties.supplier!r}) "
            f"of {engagement!r}; only its parties attest it"
        )
    role = "client" if attester == parties.client else "supplier"
    other = parties.supplier if role == "client" else parties.client
    path = f"{CONTENT}/engagements/{parties.year}/{engagement}/{attester}.yml"
    refuse_existing(root, path)
    wrong = SUPPLIER_OPTIONS if role == "client" else CLIENT_OPTIONS
    for key in wrong:
        if options.get(key) is not None:
            asker.refuse(
                f"{_flag(key)} belongs in the {'supplier' if role == 'client' else 'client'}'s attestation; "
                f"{attester!r} is the {role} of {engagement!r}"
            )
    ask = asker.value
    in_engagement = between(parties.started, today, "the date")
    values: dict[str, Any] = {
        "date": ask(
            ATTESTATION,
            "date",
            options.get("date"),
            "Date of this attestation",
            flag="--date",
            default=today,
            check=in_engagement,
        )
    }
    if role == "client":
        values["delivery"] = ask(
            ATTESTATION,
            "delivery",
            options.get("delivery"),
            f"Did {other} deliver on time? (on_time, late, not_delivered)",
            flag="--delivery",
        )
        values["delivered"] = ask(
            ATTESTATION,
            "delivered",
            options.get("delivered"),
            "Delivered on",
            flag="--delivered",
            required=False,
            ask=values["delivery"] != "not_delivered",
            check=in_engagement,
        )
        values["quality"] = ask(
            ATTESTATION,
            "quality",
            options.get("quality"),
            "Quality of the work, 1 (poor) to 5 (excellent)",
            flag="--quality",
        )
    else:
        values["payment"] = ask(
            ATTESTATION,
            "payment",
            options.get("payment"),
            f"Did {other} pay the invoice on time? (on_time, late, unpaid)",
            flag="--payment",
        )
        values["paid"] = ask(
            ATTESTATION,
            "paid",
            options.get("paid"),
            "Paid on",
            flag="--paid",
            required=values["payment"] == "late",
            ask=values["payment"] == "late",
            check=in_engagement,
        )
    values["relationship"] = ask(
        ATTESTATION,
        "relationship",
        options.get("relationship"),
        f"How did {other} respect the relationship? 1 to 5",
        flag="--relationship",
    )
    values["recommend"] = asker.confirm(
        options.get("recommend"), f"Would you work with {other} again?", flag="--recommend/--no-recommend"
    )
    if values["recommend"] is not None:
        values["recommend"] = parse(ATTESTATION, "recommend", values["recommend"])
    values["comment"] = ask(
        ATTESTATION,
        "comment",
        options.get("comment"),
        f"Public comment about {other}",
        flag="--comment",
        required=False,
    )
    values["reply"] = ask(ATTESTATION, "reply", options.get("reply"), "", flag="--reply", required=False, ask=False)
    values["disputes"] = ask(
        ATTESTATION, "disputes", options.get("disputes"), "", flag="--disputes", required=False, ask=False
    )
    asker.done()
    return _draft(path, "attestation", ATTESTATION, values)


# -- after writing ---------------------------------------------------------------------


def problems_of(path: str, diagnostics: Sequence[Diagnostic]) -> list[Diagnostic]:
    """The problems ``triangle check`` finds in one file."""
    return [d for d in diagnostics if d.path == path]


def written_with_problems(path: str) -> TriangleError:
    """The error after writing a record that the check then found fault with."""
    return TriangleError(f"wrote {path}, but it has the problems above; fix them, then run 'triangle check'")


# -- what to do next ----------------------------------------------------------------


def next_step_member(draft: Draft) -> list[str]:
    """After ``new member``: the record reaches the network through a reviewed pull request."""
    return [f"next: commit {draft.path} and open a pull request; a coordinator reviews and merges it"]


def next_step_engagement(root: Path, draft: Draft) -> list[str]:
    """After ``new engagement``: each party attests it, with the exact commands."""
    parties = read_engagement(root, draft.path.split("/")[-2])
    return [
        f"next: commit {draft.path}; then each party attests it, the client and the supplier:",
        f"  triangle attest {parties.id} --as {parties.client}",
        f"  triangle attest {parties.id} --as {parties.supplier}",
    ]


def next_step_attestation(root: Path, draft: Draft) -> list[str]:
    """After ``attest``: open the pull request, and ask the other party for theirs (unless it is there)."""
    folder, _, name = draft.path.rpartition("/")
    parties = read_engagement(root, folder.rpartition("/")[2])
    attester = name.removesuffix(".yml")
    other = parties.supplier if attester == parties.client else parties.client
    first = f"next: commit {draft.path} and open a pull request"
    if _regular_file(root / folder / f"{other}.yml"):
        return [f"{first}; {other} has already attested, so {parties.id} is confirmed once it is merged"]
    return [
        f"{first}, and ask {other} to attest their side; "
        "the engagement is confirmed once both attestations are merged:",
        f"  triangle attest {parties.id} --as {other}",
    ]
