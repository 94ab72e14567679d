"""The canonical form of a record file, the one ``triangle fmt`` writes.

A canonical record:

- lists its keys in the order the schema declares them (:mod:`schema`), nested
  mappings too (``scoring`` in site.yml, a signing key's ``key``/``retired``); keys the
  schema does not know stay, after the known ones, in the order written;
- writes every scalar plainly when YAML reads it back as the same text, and in double
  quotes otherwise (also when an older YAML 1.1 reader would take it for a number, a
  boolean or a date, as ``no`` or ``1:30``), never in single quotes; block texts (``|``)
  stay block texts;
- writes dates ``YYYY-MM-DD``, without quotes;
- writes lists of words on one line (``skills: [a, b]``), lists of keys one item per
  line, mappings one key per line, indented by two spaces, with no line folding;
- keeps every comment, with the key it sits above or beside (comments above the first
  key stay at the top: they are about the whole file, like the ``$schema`` line), and
  ends with one newline (no ``---``/``...`` markers).

Comments are the hard part: YAML libraries attach a comment line to the value *before*
it, so reordering keys in memory would move a comment away from the key it explains.
Keys are therefore reordered on the text first, each key taking along the comment lines
just above it, and only then does ``ruamel.yaml``'s round-trip mode normalise values
in place. The result is then proven harmless before anyone writes it: it must load
without problems, hold the same data, and carry the same comments as the original.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.emitter import RoundTripEmitter
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.scalarstring import PlainScalarString
from ruamel.yaml.tokens import CommentToken

from . import safe_write
from .diagnostics import Diagnostic, Position, UsageError, error
from .discover import discover
from .fields import (
    NULL_WORDS,
    NUMBER_RE,
    Boolean,
    Date,
    FieldType,
    Integer,
    ListOf,
    MapOf,
    Number,
    OneOf,
    RecordType,
    ScalarType,
)
from .load import MAX_FILE_BYTES, MappingNode, Node, ScalarNode, SequenceNode, load
from .schema import RECORDS

LENIENT_DATE: Final = re.compile(r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})$")
"""A date a person may write (``2026-3-4``); canonical is ``2026-03-04``."""
_STR_TAG: Final = "tag:yaml.org,2002:str"
_YAML11: Final = yaml.resolver.Resolver()
_KEEP_CHOMPING: Final = re.compile(r":\s*[|>][1-9]?\+")
_DOCUMENT_MARKER: Final = re.compile(r"^(---|\.\.\.)(\s|$)")


class _CanonicalEmitter(RoundTripEmitter):
    """ruamel's emitter, with double quotes as the only quoting style."""

    def choose_scalar_style(self) -> Any:
        style = super().choose_scalar_style()
        if style == "'":
            return '"'
        event = self.event
        # (An explicitly plain string, style '', is a value that must keep its plain form.)
        if style == "" and event.style is None and str(event.ctag) == _STR_TAG and not _yaml11_string(event.value):
            # Plain for YAML 1.2 but a boolean, number or date for a YAML 1.1 reader ('no', '1:30').
            return '"'
        return style


def _yaml11_string(value: str) -> bool:
    """Whether a YAML 1.1 reader (PyYAML, many editors and CI tools) reads this plain text as text."""
    tag: str = _YAML11.resolve(yaml.ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
    return tag == _STR_TAG


def _yaml() -> YAML:
    """A round-trip YAML instance set up for the canonical layout."""
    handler = YAML(typ="rt")
    handler.Emitter = _CanonicalEmitter
    handler.width = sys.maxsize  # never fold a long line: folding is a change the author did not make
    handler.indent(mapping=2, sequence=4, offset=2)
    handler.allow_unicode = True
    handler.preserve_quotes = False
    return handler


@dataclass(frozen=True, slots=True)
class Canonical:
    """The canonical text of a file, or the problems that prevent computing it safely."""

    text: str | None
    diagnostics: tuple[Diagnostic, ...] = ()


def canonical(path: str, data: bytes, record: RecordType) -> Canonical:
    """The canonical form of a record file's bytes; ``path`` is only for messages.

    A file the loader refuses (invalid YAML, anchors, tags, duplicate keys, bad encoding,
    invisible characters) is not formatted: its problems are returned instead, because
    rewriting what cannot be read faithfully could lose what the author meant.
    """
    if len(data) > MAX_FILE_BYTES:
        return Canonical(
            None,
            (error(path, Position(1, 1), "file-too-large", f"this file is larger than {MAX_FILE_BYTES // 1024} KiB"),),
        )
    loaded = load(path, data)
    if loaded.root is None or loaded.diagnostics:
        return Canonical(None, loaded.diagnostics)
    text = data.decode("utf-8")
    lines = [line + "\n" for line in text.splitlines()]
    ordered = _reorder(lines, loaded.root, record, 0, len(lines))
    try:
        handler = _yaml()
        document = handler.load("".join(ordered))
        # Reordering moved whole lines, so these are exactly the original's comments.
        before = _comments_of(document)
        if isinstance(document, CommentedMap):
            _normalise_map(document, record, loaded.root)
        out = io.StringIO()
        handler.dump(document, out)
    except (YAMLError, ValueError) as exc:
        # ruamel.yaml raises a bare ValueError for an impossible date such as 2024-02-30.
        return Canonical(None, (_unsafe(path, f"ruamel.yaml cannot read it ({_yaml_problem(exc)})", exc),))
    result = out.getvalue().rstrip("\n") + "\n"
    problem = _difference(path, before, loaded.root, result, record)
    if problem is not None:
        return Canonical(None, (problem,))
    return Canonical(result)


def dump(values: dict[str, Any], record: RecordType, header: str = "") -> str:
    """Write a new record's values in canonical form, under ``header`` comment lines.

    Values are plain Python: strings (a text with line breaks becomes a ``|`` block),
    integers, booleans, dates, lists and dicts.
    """
    from ruamel.yaml.scalarstring import LiteralScalarString

    document = CommentedMap()
    for spec in record.fields:
        if spec.name not in values:
            continue
        value = values[spec.name]
        if isinstance(value, str) and "\n" in value:
            value = LiteralScalarString(value.rstrip("\n") + "\n")
        elif isinstance(value, list | tuple):
            value = CommentedSeq(value)
        elif isinstance(value, dict):
            value = CommentedMap(value)
        document[spec.name] = value
    _normalise_map(document, record, None)
    out = io.StringIO()
    _yaml().dump(document, out)
    return header + out.getvalue()


# -- files -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Target:
    """A file to format: its site-relative path and the record type it holds."""

    path: str
    record: RecordType


SITE_FILE: Final = "site.yml"


def targets(root: Path, selected: Sequence[str] = ()) -> list[Target]:
    """The record files under ``selected`` site-relative paths (all of them, and site.yml, by default).

    Files are found as ``triangle check`` finds them (:mod:`discover`): links, stray
    files and folders are left out. A path that holds no record is a usage error.
    """
    found = [Target(f.path, RECORDS[f.kind]) for f in discover(root).files]
    if (root / SITE_FILE).is_file() and not (root / SITE_FILE).is_symlink():
        found.insert(0, Target(SITE_FILE, RECORDS["site"]))
    if not selected:
        return found
    chosen: list[Target] = []
    for wanted in selected:
        prefix = wanted.rstrip("/") + "/"
        matched = [t for t in found if wanted in (".", "") or t.path == wanted or t.path.startswith(prefix)]
        if not matched:
            raise UsageError(
                f"{wanted!r} holds no record file: triangle fmt formats site.yml and the records under content/ "
                "(links are never followed)"
            )
        chosen.extend(t for t in matched if t not in chosen)
    return sorted(chosen, key=lambda t: t.path)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What formatting one file did: ``changed`` (or would change, when checking), or why not."""

    path: str
    changed: bool
    diagnostics: tuple[Diagnostic, ...] = ()


def format_file(root: Path, target: Target, write: bool) -> Outcome:
    """Put one file in canonical form (only say whether it would change unless ``write``).

    The file is read once, never through a link; it is rewritten through
    :mod:`safe_write`, so an edit saved meanwhile or a failing disk leaves it untouched.
    """
    path = target.path
    try:
        snapshot = safe_write.read(root / path, path)
    except safe_write.WriteError as exc:
        return Outcome(path, False, (error(path, Position(1, 1), exc.code, exc.message),))
    assert snapshot.data is not None, "read() captures an existing file"
    result = canonical(path, snapshot.data, target.record)
    if result.text is None:
        return Outcome(path, False, result.diagnostics)
    new = result.text.encode("utf-8")
    if new == snapshot.data:
        return Outcome(path, False)
    if write:
        try:
            safe_write.write(snapshot, new)
        except safe_write.WriteError as exc:
            return Outcome(path, False, (error(path, Position(1, 1), exc.code, exc.message),))
    return Outcome(path, True)


# -- reordering on the text -----------------------------------------------------------


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _detachable(line: str, column: int) -> bool:
    """A line between two keys that belongs to the next key: blank, or a comment no deeper than the keys."""
    stripped = line.strip()
    if not stripped:
        return True
    if stripped.startswith("#"):
        return _indent(line) <= column
    return column == 0 and _DOCUMENT_MARKER.match(line) is not None


def _split_trailing(body: list[str], column: int) -> int:
    """Where an item's own lines end and the lines introducing the next key begin."""
    cut = len(body)
    while cut > 1 and _detachable(body[cut - 1], column):
        cut -= 1
    if _KEEP_CHOMPING.search(body[0]):
        # A '|+' text keeps its trailing blank lines: only the comments after them move.
        while cut < len(body) and not body[cut].strip():
            cut += 1
    return cut


def _wanted_order(keys: list[str], record: RecordType) -> list[int]:
    rank = {spec.name: index for index, spec in enumerate(record.fields)}
    return sorted(range(len(keys)), key=lambda i: (rank.get(keys[i], len(rank)), i))


def _reorder(lines: list[str], mapping: MappingNode, record: RecordType, start: int, end: int) -> list[str]:
    """Lines ``[start, end)`` holding a block mapping, with its keys in schema order.

    Each key takes along the comment and blank lines just above it. A mapping this
    cannot handle safely (a flow mapping, two keys on a line, a key after a '- ') is
    returned as written, and the in-memory pass orders it instead.
    """
    keys = [key for key, _ in mapping.items]
    rows = [key.position.line - 1 for key in keys]
    if not keys:
        return lines[start:end]
    column = keys[0].position.column - 1
    if (
        rows[0] < start
        or any(b <= a for a, b in itertools.pairwise(rows))
        or any(key.position.column - 1 != column for key in keys)
        or any(lines[row][:column].strip() for row in rows)
        or rows[-1] >= end
    ):
        return lines[start:end]
    # The lines above the first key stay on top at the top of the file (the schema line,
    # comments about the whole record); inside a mapping they belong to its first key.
    prefix = lines[start : rows[0]] if start == 0 else []
    items: list[list[str]] = []
    before: list[str] = [] if start == 0 else lines[start : rows[0]]
    for index, row in enumerate(rows):
        stop = rows[index + 1] if index + 1 < len(rows) else end
        body = lines[row:stop]
        cut = _split_trailing(body, column)
        own = body[:cut]
        value = mapping.items[index][1]
        spec = record.by_name.get(keys[index].value)
        if (
            spec is not None
            and isinstance(spec.type, RecordType)
            and type(value) is MappingNode
            and value.position.line - 1 > row
        ):
            own = [body[0], *_reorder(lines, value, spec.type, row + 1, row + cut)]
        items.append(before + own)
        before = body[cut:]
    ordered = [items[i] for i in _wanted_order([key.value for key in keys], record)]
    return prefix + [line for item in ordered for line in item] + before


# -- normalising values in memory -----------------------------------------------------


def _has_comments(node: CommentedMap | CommentedSeq) -> bool:
    ca = node.ca
    return bool(ca.comment or ca.items or ca.end)


def _children(node: Node | None) -> dict[str, Node]:
    return {key.value: value for key, value in node.items} if type(node) is MappingNode else {}


def _normalise_map(mapping: CommentedMap, record: RecordType, node: Node | None) -> None:
    """Order a mapping's keys by the schema and normalise each value (``node``: as the loader read it)."""
    keys = [str(key) for key in mapping]
    wanted = [keys[i] for i in _wanted_order(keys, record)]
    if keys != wanted:
        for key in wanted:
            mapping.move_to_end(key)
    written = _children(node)
    for key in wanted:
        spec = record.by_name.get(key)
        if spec is None:
            continue
        value = mapping[key]
        new = _normalise(value, spec.type, written.get(key))
        if new is not value:
            mapping[key] = new
        if isinstance(spec.type, ListOf) and isinstance(new, CommentedSeq) and not new.fa.flow_style():
            _words_on_one_line(mapping, key, new, spec.type)
    if mapping.fa.flow_style() and not _has_comments(mapping):
        mapping.fa.set_block_style()


def _words_on_one_line(mapping: CommentedMap, key: str, words: CommentedSeq, kind: ListOf) -> None:
    """Write a block list of words on one line when its only comments are the lines after it.

    ruamel.yaml hangs the comment lines that follow a list on its last item; written on
    one line, the list has no items to hang them on, so they move to the key's line end,
    which is where ruamel.yaml reads them from in a one-line list.
    """
    if isinstance(kind.item, OneOf | RecordType) or words.ca.comment or words.ca.end or key in mapping.ca.items:
        return
    last = len(words) - 1
    if set(words.ca.items) != {last}:
        return
    token, *rest = words.ca.items[last]
    if not isinstance(token, CommentToken) or not token.value.startswith("\n") or any(rest):
        return  # a comment at the end of an item's line: keep the item on its own line
    del words.ca.items[last]
    mapping.ca.items[key] = [None, None, token, None]
    words.fa.set_flow_style()


def _is_text(kind: FieldType) -> bool:
    """Whether a field holds text (a name, a slug, a word, an address...) rather than a number, boolean or date."""
    return isinstance(kind, ScalarType) and not isinstance(kind, Integer | Number | Boolean | Date)


def _normalise(value: Any, kind: FieldType, node: Node | None) -> Any:
    """A value in canonical form (the same object when nothing changes)."""
    if isinstance(kind, Date):
        return _date(value)
    if _is_text(kind):
        if value is not None and not isinstance(value, str) and type(node) is ScalarNode:
            # ruamel.yaml read text such as '+33612345678' or 'True' as a number or a boolean,
            # and would write it back differently: keep the text as written (quoted if need be).
            return node.value
        return value
    if isinstance(kind, Integer | Number | Boolean):
        if type(value) is str and type(node) is ScalarNode and node.plain:
            # Not a number or boolean for anyone ('yes', '1:30'), but whether it is quoted
            # changes the message 'triangle check' gives: leave it as plain as it was.
            return PlainScalarString(value)
        return value
    if isinstance(kind, ListOf) and isinstance(value, CommentedSeq):
        items = node.items if type(node) is SequenceNode and len(node.items) == len(value) else (None,) * len(value)
        for index, item in enumerate(value):
            new = _normalise(item, kind.item, items[index])
            if new is not item:
                value[index] = new
        one_per_line = isinstance(kind.item, OneOf | RecordType)
        if not _has_comments(value):
            if one_per_line:
                value.fa.set_block_style()
            else:
                value.fa.set_flow_style()
        return value
    if isinstance(kind, MapOf) and isinstance(value, CommentedMap):
        written = _children(node)
        for key in list(value):
            new = _normalise(value[key], kind.value, written.get(str(key)))
            if new is not value[key]:
                value[key] = new
        if value.fa.flow_style() and not _has_comments(value):
            value.fa.set_block_style()
        return value
    if isinstance(kind, OneOf):
        return _normalise(value, kind.mapping if isinstance(value, CommentedMap) else kind.scalar, node)
    if isinstance(kind, RecordType) and isinstance(value, CommentedMap):
        _normalise_map(value, kind, node)
    return value


def _date(value: Any) -> Any:
    if type(value) is not str:
        return value
    day = _lenient_date(value)
    return value if day is None else day


def _lenient_date(text: str) -> dt.date | None:
    match = LENIENT_DATE.match(text)
    if match is None:
        return None
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


# -- proving the result harmless ------------------------------------------------------


def _scalar(node: ScalarNode, kind: FieldType | None) -> tuple[str, bool | None]:
    """What a scalar means to Triangle: its text, and whether it was plain when that matters.

    Quotes matter for an empty value, and for what the schema reads as a number or a
    boolean (for an unknown key: whatever looks like one); a date may be rewritten
    ``YYYY-MM-DD``, and ``True`` written ``true`` where a boolean is expected.
    """
    value = node.value
    if node.plain and value in NULL_WORDS:
        return "", True
    if isinstance(kind, Date):
        day = _lenient_date(value)
        return (value if day is None else day.isoformat()), None
    booleans = kind is None or isinstance(kind, Boolean)
    if booleans and node.plain and value in ("True", "TRUE", "False", "FALSE"):
        value = value.lower()
    if kind is None:
        matters = value in ("true", "false") or value in NULL_WORDS or NUMBER_RE.match(value) is not None
    else:
        matters = value in NULL_WORDS or isinstance(kind, Integer | Number | Boolean)
    return value, node.plain if matters else None


def _data(node: Node, kind: FieldType | None) -> Any:
    """A loaded tree as comparable values, read by the schema (``kind``) where it knows the key."""
    if isinstance(kind, OneOf):
        kind = kind.mapping if type(node) is MappingNode else kind.scalar
    if type(node) is MappingNode:
        if isinstance(kind, RecordType):
            return {
                key.value: _data(value, spec.type if (spec := kind.by_name.get(key.value)) else None)
                for key, value in node.items
            }
        inner = kind.value if isinstance(kind, MapOf) else None
        return {key.value: _data(value, inner) for key, value in node.items}
    if type(node) is SequenceNode:
        item = kind.item if isinstance(kind, ListOf) else None
        return [_data(child, item) for child in node.items]
    if type(node) is ScalarNode:
        return _scalar(node, kind if isinstance(kind, ScalarType) else None)
    return None


def _comment_lines(tokens: Any, found: dict[int, CommentToken]) -> None:
    if isinstance(tokens, CommentToken):
        found[id(tokens)] = tokens
    elif isinstance(tokens, list | tuple):
        for token in tokens:
            _comment_lines(token, found)


def comments(text: str) -> Counter[str]:
    """Every comment line of a YAML text, as ruamel.yaml's round-trip reader finds them."""
    return _comments_of(YAML(typ="rt").load(text))


def _comments_of(document: Any) -> Counter[str]:
    # ruamel.yaml may hang one comment token in two places (a one-line list's comment
    # belongs to both the list and its key): count each token once.
    found: dict[int, CommentToken] = {}

    def walk(node: Any) -> None:
        ca = getattr(node, "ca", None)
        if ca is not None:
            _comment_lines(ca.comment, found)
            _comment_lines(list(ca.items.values()), found)
            _comment_lines(ca.end, found)
        children: Iterable[Any] = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        for child in children:
            walk(child)

    walk(document)
    return Counter(
        line.strip() for token in found.values() for line in token.value.splitlines() if line.strip().startswith("#")
    )


def _difference(
    path: str, before: Counter[str], root: MappingNode, after: str, record: RecordType
) -> Diagnostic | None:
    """Why the new text is not a faithful rewrite of the old one, or ``None`` when it is."""
    reloaded = load(path, after.encode("utf-8"))
    if reloaded.root is None or reloaded.diagnostics:
        return _unsafe(path, "the rewritten file would not load")
    if _data(reloaded.root, record) != _data(root, record):
        return _unsafe(path, "the rewritten file would hold different values")
    try:
        same_comments = before == comments(after)
    except (YAMLError, ValueError) as exc:
        return _unsafe(path, f"ruamel.yaml cannot read it ({_yaml_problem(exc)})", exc)
    if not same_comments:
        return _unsafe(path, "the rewritten file would lose or alter a comment")
    return None


def _yaml_problem(exc: Exception) -> str:
    if isinstance(exc, MarkedYAMLError) and exc.problem:
        return str(exc.problem)
    return str(exc) or type(exc).__name__


def _unsafe(path: str, reason: str, exc: Exception | None = None) -> Diagnostic:
    position = Position(1, 1)
    if isinstance(exc, MarkedYAMLError) and exc.problem_mark is not None:
        position = Position(exc.problem_mark.line + 1, exc.problem_mark.column + 1)
    return error(
        path,
        position,
        "format-unsafe",
        f"cannot put this file in canonical form safely: {reason}; it was left as it is "
        "(format it by hand, and please report the case)",
    )
