"""Read one record file into a tree of YAML nodes that remember their positions.

Records come from strangers' pull requests, so this stage trusts nothing: it reads
only regular files of bounded size, refuses every YAML feature a record never needs
(anchors, aliases, tags, several documents) and never lets YAML guess a type. Scalars
stay text here; the schema stage converts each one by the type its field declares,
which is how ``name: no`` stays the string "no" and ``2024-02-30`` becomes an error
at its own line instead of a bare ``ValueError``.

We drive libyaml's event parser ourselves instead of ``yaml.compose``: it is faster,
it shows anchors and explicit tags (a composed tree hides them), and it lets us stop
at a nesting depth no record can have before a recursive composer blows the stack.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import yaml

from .diagnostics import Diagnostic, Position, error

try:
    # libyaml's bare event parser: we need neither a constructor nor a resolver, and
    # CSafeLoader's Python-level set-up of both costs more than parsing a small record.
    from yaml._yaml import CParser as _Parser

    LIBYAML = True
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Parser  # type: ignore[assignment]

    LIBYAML = False
"""Whether PyYAML was built with libyaml: without it, reading records is about ten times slower."""

MAX_FILE_BYTES = 256 * 1024
"""The largest record file we read; the longest legitimate record is a few KiB."""

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)

MAX_DEPTH = 4
"""Nesting no record exceeds (a member's ``keys`` list of mappings is depth 3)."""

# Control characters (but tab and line breaks), the bidi embeddings, overrides and
# isolates of "trojan source" attacks, zero-width characters, the BOM, line and
# paragraph separators and the invisible tag characters: none belongs in a record,
# and each can make a name or a comment display differently from what it contains.
# The noncharacters U+FDD0-U+FDEF, U+FFFE and U+FFFF are no text either (libyaml
# refuses the last two with an unpositioned message of its own).
FORBIDDEN_CHARACTERS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u061c\u0600-\u0605\u06dd\u070f"
    "\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufdd0-\ufdef\ufeff\ufff9-\ufffb"
    "\ufffe\uffff\U000e0000-\U000e007f]"
)


class ScalarNode(NamedTuple):
    """A scalar exactly as written; ``plain`` is False when it was quoted or a block."""

    value: str
    plain: bool
    position: Position


class SequenceNode(NamedTuple):
    """A YAML list."""

    items: tuple[Node, ...]
    position: Position


class MappingNode(NamedTuple):
    """A YAML mapping with unique scalar keys, in file order."""

    items: tuple[tuple[ScalarNode, Node], ...]
    position: Position


class RefusedNode(NamedTuple):
    """A value the loader already refused (an alias, a tagged value).

    It stands in the tree so that its key still counts as present, and conversion
    skips it silently: the member sees one error for it, not two.
    """

    position: Position


Node = ScalarNode | SequenceNode | MappingNode | RefusedNode


@dataclass(frozen=True, slots=True)
class Loaded:
    """The outcome of reading one file: a top-level mapping, or why there is none."""

    path: str
    root: MappingNode | None
    diagnostics: tuple[Diagnostic, ...]


def describe_character(char: str) -> str:
    """Name a character a member cannot see, e.g. ``U+202E``."""
    return f"U+{ord(char):04X}"


def read_file(path: str, fs_path: str | os.PathLike[str]) -> bytes | Diagnostic:
    """Read a regular file without following symlinks and without reading a huge one.

    ``path`` is what messages show (relative to the site); ``fs_path`` is opened.
    ``O_NOFOLLOW`` refuses a symbolic link even if one was swapped in after discovery,
    and ``O_NONBLOCK`` keeps a FIFO from hanging the open; ``fstat`` on the open
    descriptor then proves it is a regular file before a byte is read.
    """
    return read_stat(path, fs_path)[0]


def read_stat(path: str, fs_path: str | os.PathLike[str]) -> tuple[bytes | Diagnostic, os.stat_result | None]:
    """:func:`read_file`, with the ``fstat`` of the file read (``None`` when it could not be opened).

    The ``stat`` is taken on the open file before its bytes are read: a change made
    after it gives the file a newer version, which the record cache will not mistake
    for the one read.
    """
    top = Position(1, 1)
    try:
        fd = os.open(fs_path, _OPEN_FLAGS)
    except OSError as exc:
        if exc.errno == errno.ELOOP or os.path.islink(fs_path):
            return error(
                path,
                top,
                "file-not-regular",
                "this is a symbolic link; records must be plain files in the repository "
                "(replace the link with the file itself)",
            ), None
        return error(path, top, "file-unreadable", f"cannot read this file: {exc.strerror}"), None
    found: os.stat_result | None = None
    try:
        found = os.fstat(fd)
        if not stat.S_ISREG(found.st_mode):
            return error(
                path, top, "file-not-regular", "this is not a regular file; records must be plain files"
            ), found
        # One read: a regular file yields everything up to the requested size at once.
        data = os.read(fd, MAX_FILE_BYTES + 1)
    except OSError as exc:
        return error(path, top, "file-unreadable", f"cannot read this file: {exc.strerror}"), found
    finally:
        os.close(fd)
    if len(data) > MAX_FILE_BYTES:
        return too_large(path), found
    return data, found


def too_large(path: str) -> Diagnostic:
    """The error for a file over :data:`MAX_FILE_BYTES`."""
    return error(
        path,
        Position(1, 1),
        "file-too-large",
        f"this file is larger than {MAX_FILE_BYTES // 1024} KiB; a record is a few lines of text "
        "(shorten the text fields)",
    )


def decode(path: str, data: bytes) -> str | Diagnostic:
    """Decode UTF-8 strictly, pointing at the first byte that is not."""
    if data.startswith(b"\xef\xbb\xbf"):
        return error(
            path,
            Position(1, 1),
            "file-encoding",
            "this file starts with a byte order mark (BOM); save it as UTF-8 without BOM",
        )
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return error(path, Position(1, 1), "file-encoding", "this file is encoded in UTF-32; save it as UTF-8")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or _looks_like_utf16(data):
        return error(path, Position(1, 1), "file-encoding", "this file is encoded in UTF-16; save it as UTF-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        line = data.count(b"\n", 0, exc.start) + 1
        column = len(data[line_start : exc.start].decode("utf-8", "replace")) + 1
        return error(
            path,
            Position(line, column),
            "file-encoding",
            f"byte 0x{data[exc.start]:02X} is not valid UTF-8; save the file as UTF-8",
        )


def _looks_like_utf16(data: bytes) -> bool:
    """UTF-16 without a byte order mark: a record starts with ASCII keys, so every other byte is NUL."""
    sample = data[:32]
    even, odd = sample[0::2], sample[1::2]
    if len(sample) < 4:
        return False
    return (even.count(0) == 0 and odd.count(0) == len(odd)) or (odd.count(0) == 0 and even.count(0) == len(even))


def find_forbidden(text: str) -> re.Match[str] | None:
    """Find the first character no record may contain."""
    return FORBIDDEN_CHARACTERS.search(text)


def _forbidden_at(path: str, text: str, match: re.Match[str]) -> Diagnostic:
    line = text.count("\n", 0, match.start()) + 1
    column = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
    return _forbidden(path, Position(line, column), match.group())


def _forbidden(path: str, position: Position, char: str) -> Diagnostic:
    return error(
        path,
        position,
        "forbidden-character",
        f"invisible or control character {describe_character(char)} is not allowed "
        "(it can make text display differently from what it says); delete it",
    )


def load(path: str, data: bytes) -> Loaded:
    """Parse the bytes of one record file into a positioned mapping."""
    text = decode(path, data)
    if isinstance(text, Diagnostic):
        return Loaded(path, None, (text,))
    found = find_forbidden(text)
    if found is not None:
        return Loaded(path, None, (_forbidden_at(path, text, found),))
    return _Composer(path, text).run()


def load_file(path: str, fs_path: str | os.PathLike[str]) -> Loaded:
    """Read and parse one record file."""
    return load_read(path, read_file(path, fs_path))


def load_read(path: str, data: bytes | Diagnostic) -> Loaded:
    """Parse what :func:`read_file` returned: the file's bytes, or why it could not be read."""
    if isinstance(data, Diagnostic):
        return Loaded(path, None, (data,))
    return load(path, data)


def load_bytes(path: str, data: bytes) -> Loaded:
    """Parse a record's bytes obtained elsewhere than from a file (a git blob), with the same size limit.

    ``data`` may be cut short after ``MAX_FILE_BYTES + 1`` bytes: that is enough to tell
    it is too large.
    """
    if len(data) > MAX_FILE_BYTES:
        return Loaded(path, None, (too_large(path),))
    return load(path, data)


_new = tuple.__new__
"""Builds a named tuple without its Python-level ``__new__``: millions are made per check."""
_ScalarEvent = yaml.ScalarEvent
_AliasEvent = yaml.AliasEvent
_SequenceStartEvent = yaml.SequenceStartEvent
_SequenceEndEvent = yaml.SequenceEndEvent
_MappingEndEvent = yaml.MappingEndEvent


class _TooDeep(Exception):
    def __init__(self, position: Position) -> None:
        self.position = position


def _pos(event: yaml.Event) -> Position:
    mark = event.start_mark
    assert mark is not None, "libyaml marks every event"
    return Position(mark.line + 1, mark.column + 1)


class _Composer:
    """Builds nodes from libyaml events, collecting every refusal it can recover from."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text
        self.problems: list[Diagnostic] = []
        self.parser = _Parser(text)

    def run(self) -> Loaded:
        try:
            return self._run()
        except _TooDeep as exc:
            self.problems.append(self._depth_error(exc.position))
        except yaml.MarkedYAMLError as exc:
            self.problems.append(self._syntax_error(exc))
        except yaml.reader.ReaderError as exc:
            # A character libyaml will not read; FORBIDDEN_CHARACTERS should have caught it first.
            self.problems.append(self._reader_error(exc))
        except yaml.YAMLError as exc:  # pragma: no cover - libyaml always gives marks
            self.problems.append(error(self.path, Position(), "yaml-syntax", f"this is not valid YAML: {exc}"))
        finally:
            self.parser.dispose()
        return Loaded(self.path, None, tuple(self.problems))

    def _too_deep(self, fallback: Position) -> Diagnostic:
        """Where flow nesting first exceeds :data:`MAX_DEPTH`, for libyaml versions that stop first.

        libyaml 0.2.6 refuses flow nesting beyond 1,000 levels while scanning, before
        our composer sees the fifth level; finding that level here keeps the message and
        its position the same whichever libyaml PyYAML was built with.
        """
        stripped = self.text.lstrip()
        depth = 0 if stripped[:1] in ("[", "{") else 1
        line, column = 1, 0
        for char in self.text:
            column += 1
            if char == "\n":
                line, column = line + 1, 0
            elif char in "[{":
                depth += 1
                if depth > MAX_DEPTH:
                    return self._depth_error(Position(line, column))
            elif char in "]}":
                depth -= 1
        return self._depth_error(fallback)

    def _reader_error(self, exc: yaml.reader.ReaderError) -> Diagnostic:
        offset = min(max(exc.position, 0), len(self.text))
        line = self.text.count("\n", 0, offset) + 1
        column = offset - (self.text.rfind("\n", 0, offset) + 1) + 1
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        return _forbidden(self.path, Position(line, column), char)

    def _depth_error(self, position: Position) -> Diagnostic:
        return error(
            self.path,
            position,
            "yaml-too-deep",
            f"values are nested deeper than any record allows ({MAX_DEPTH} levels); check the indentation",
        )

    def _syntax_error(self, exc: yaml.MarkedYAMLError) -> Diagnostic:
        problem = exc.problem or "unreadable YAML"
        if "maximum nesting depth" in problem:
            mark = exc.problem_mark
            return self._too_deep(Position(mark.line + 1, mark.column + 1) if mark is not None else Position())
        mark = exc.problem_mark or exc.context_mark
        if "end of stream" in problem and exc.context_mark is not None:
            # An unclosed quote or bracket: point where it opens, not at the end of the file.
            mark = exc.context_mark
        position = Position(mark.line + 1, mark.column + 1) if mark is not None else Position()
        lines = re.split(r"\r\n|\r|\n", self.text)  # libyaml's line breaks (the others are forbidden)
        if position.line > len(lines):
            # libyaml marks the end of a file without a final line break on a line that
            # does not exist; editors and CI annotations need a line of the file.
            position = Position(len(lines), len(lines[-1]) + 1)
        context = f" ({exc.context})" if exc.context else ""
        if "end of stream" in problem and "quoted scalar" in context:
            problem, context = "the quote opened here is never closed", ""
        line = lines[position.line - 1] if 0 < position.line <= len(lines) else ""
        hint = ""
        if "\t" in line[: position.column]:
            hint = "; indent with spaces, not tabs"
        elif "mapping values are not allowed" in problem:
            hint = "; a value containing ': ' must be put in quotes"
        elif "expected key" in problem or "expected <block end>" in problem:
            hint = "; check the indentation: the keys of one record start in the same column"
        return error(self.path, position, "yaml-syntax", f"this is not valid YAML: {problem}{context}{hint}")

    def _next(self) -> yaml.Event:
        event = self.parser.get_event()
        assert event is not None, "libyaml ended the stream early"
        return event

    def _run(self) -> Loaded:
        self._next()  # StreamStart
        event = self._next()
        if isinstance(event, yaml.StreamEndEvent):
            return self._empty(Position(1, 1))
        start = _pos(event)
        root = self._node(self._next(), 1)
        self._next()  # DocumentEnd
        event = self._next()
        if not isinstance(event, yaml.StreamEndEvent):
            self.problems.append(
                error(
                    self.path,
                    _pos(event),
                    "yaml-multiple-documents",
                    "a record file holds exactly one document; remove this '---' and what follows "
                    "(or move it to its own file)",
                )
            )
        if isinstance(root, ScalarNode) and root.plain and root.value in ("", "~", "null"):
            return self._empty(start)
        if isinstance(root, RefusedNode):
            return Loaded(self.path, None, tuple(self.problems))
        if not isinstance(root, MappingNode):
            kind = "a list" if isinstance(root, SequenceNode) else "a single value"
            self.problems.append(
                error(
                    self.path,
                    root.position,
                    "yaml-not-mapping",
                    f"a record is a set of 'key: value' lines, but this file is {kind}",
                )
            )
            return Loaded(self.path, None, tuple(self.problems))
        return Loaded(self.path, root, tuple(self.problems))

    def _empty(self, position: Position) -> Loaded:
        self.problems.append(
            error(self.path, position, "yaml-empty", "this file is empty; write the record's 'key: value' lines")
        )
        return Loaded(self.path, None, tuple(self.problems))

    def _refuse_decorations(self, event: yaml.NodeEvent) -> None:
        position = _pos(event)
        if event.anchor is not None:
            self.problems.append(
                error(
                    self.path,
                    position,
                    "yaml-anchor",
                    f"YAML anchors ('&{event.anchor}') are not allowed in records; write each value out in full",
                )
            )
        tag = getattr(event, "tag", None)
        if tag is not None:
            shown = tag.replace("tag:yaml.org,2002:", "!!")
            self.problems.append(
                error(
                    self.path,
                    position,
                    "yaml-tag",
                    f"YAML tags ('{shown}') are not allowed in records; remove the tag and write the value plainly",
                )
            )

    def _node(self, event: Any, depth: int) -> Node:
        # The hot loop of the whole check: a large network has millions of events, so
        # this reads attributes directly and builds tuples instead of calling helpers.
        kind = type(event)
        mark = event.start_mark
        position = _new(Position, (mark.line + 1, mark.column + 1))
        if kind is _ScalarEvent:
            if event.anchor is not None or event.tag is not None:
                self._refuse_decorations(event)
                if event.tag is not None:
                    return RefusedNode(position)
            value: str = event.value
            style = event.style
            if style == '"':
                # Escapes such as "\u202e" only exist once parsed: check the value too.
                found = find_forbidden(value)
                if found is not None:
                    self.problems.append(_forbidden(self.path, position, found.group()))
            return _new(ScalarNode, (value, not style, position))
        if kind is _AliasEvent:
            self.problems.append(
                error(
                    self.path,
                    position,
                    "yaml-anchor",
                    f"YAML aliases ('*{event.anchor}') are not allowed in records; write the value out in full",
                )
            )
            return RefusedNode(position)
        if depth > MAX_DEPTH:
            raise _TooDeep(position)
        refused = event.tag is not None
        if event.anchor is not None or refused:
            self._refuse_decorations(event)
        get: Callable[[], Any] = self.parser.get_event
        if kind is _SequenceStartEvent:
            items: list[Node] = []
            event = get()
            while type(event) is not _SequenceEndEvent:
                items.append(self._node(event, depth + 1))
                event = get()
            return RefusedNode(position) if refused else SequenceNode(tuple(items), position)
        pairs: list[tuple[ScalarNode, Node]] = []
        seen: dict[str, Position] = {}
        event = get()
        while type(event) is not _MappingEndEvent:
            key = self._node(event, depth + 1)
            value_node = self._node(get(), depth + 1)
            event = get()
            if type(key) is RefusedNode:
                continue
            if type(key) is not ScalarNode:
                self.problems.append(
                    error(
                        self.path,
                        key.position,
                        "yaml-complex-key",
                        "a key must be a simple word such as 'name'; lists and mappings cannot be keys",
                    )
                )
                continue
            name = key.value
            if name in seen or (name == "<<" and key.plain):
                self._bad_key(key, seen)
                continue
            seen[name] = key.position
            pairs.append((key, value_node))
        return RefusedNode(position) if refused else MappingNode(tuple(pairs), position)

    def _bad_key(self, key: ScalarNode, seen: dict[str, Position]) -> None:
        if key.value == "<<" and key.plain:
            self.problems.append(
                error(
                    self.path,
                    key.position,
                    "yaml-anchor",
                    "YAML merge keys ('<<') are not allowed in records; write each key out in full",
                )
            )
            return
        first = seen[key.value]
        self.problems.append(
            error(
                self.path,
                key.position,
                "yaml-duplicate-key",
                f"key {key.value!r} appears twice (first on line {first.line}); keep only one",
            )
        )
