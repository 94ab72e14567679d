"""Field types: how one YAML value is read, checked, documented and described to editors.

Each type owns the three views of a field that must never drift apart: converting a
positioned node into a Python value (with a message a member understands when it
cannot), the JSON Schema fragment editors use for completion, and the one-line
description the field reference prints. Record declarations in :mod:`schema` are
built from these types alone.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import difflib
import functools
import re
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlsplit

from .diagnostics import Diagnostic, Position, error
from .load import MappingNode, Node, RefusedNode, ScalarNode, SequenceNode

SLUG_PATTERN: Final = r"^[a-z0-9]+(-[a-z0-9]+)*$"
SLUG_RE: Final = re.compile(SLUG_PATTERN)
DATE_RE: Final = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
INTEGER_RE: Final = re.compile(r"^(0|[1-9][0-9]{0,8})$")
NUMBER_RE: Final = re.compile(r"^(0|[1-9][0-9]{0,8})(\.[0-9]{1,9})?$")
NULL_WORDS: Final = frozenset({"", "~", "null", "Null", "NULL"})


@functools.cache
def language_codes() -> frozenset[str]:
    """ISO 639-1: the two-letter codes Babel (CLDR) names (loaded on first use: it takes a while)."""
    from babel import Locale  # imported here: it costs more than checking a small network

    return frozenset(str(code) for code in Locale("en").languages if len(str(code)) == 2)


SSH_KEY_TYPES: Final = frozenset(
    {
        "ssh-ed25519",
        "ssh-rsa",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
        "sk-ssh-ed25519@openssh.com",
        "sk-ecdsa-sha2-nistp256@openssh.com",
    }
)

INVALID: Final = object()
"""Returned by a conversion that failed; the reason is already in the context."""


class Context:
    """Where conversion problems are collected, and where positions are remembered."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[Diagnostic] = []

    def fail(self, position: Position, code: str, message: str) -> object:
        """Record a problem and return :data:`INVALID` so callers can ``return ctx.fail(...)``."""
        self.problems.append(error(self.path, position, code, message))
        return INVALID


def suggest(word: str, choices: Sequence[str]) -> str:
    """A "did you mean" tail for a misspelt word, or nothing when no choice is close."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.7)
    return f"; did you mean {close[0]!r}?" if close else ""


def shown(value: str, limit: int = 40) -> str:
    """Quote a member's value in a message, cut short so a pasted essay stays readable."""
    return repr(value if len(value) <= limit else value[:limit] + "…")


def _node_kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping of 'key: value' lines"
    if isinstance(node, SequenceNode):
        return "a list"
    if isinstance(node, ScalarNode):
        return f"the value {shown(node.value)}"
    return "a refused value"


def _not_container(node: Node, ctx: Context, expected: str, hint: str) -> object:
    """Report a scalar (or an empty value) where a list or mapping is expected."""
    if type(node) is RefusedNode:
        return INVALID
    if type(node) is ScalarNode and node.plain and node.value in NULL_WORDS:
        return ctx.fail(
            node.position,
            "empty-value",
            f"this value is empty; write {expected}, or remove the line if the key is optional",
        )
    return ctx.fail(node.position, "wrong-type", f"expected {expected}, got {_node_kind(node)}{hint}")


class FieldType(ABC):
    """One kind of value a record field may hold."""

    @abstractmethod
    def convert(self, node: Node, ctx: Context) -> Any:
        """Return the Python value, or :data:`INVALID` after recording why."""

    @abstractmethod
    def json_schema(self) -> dict[str, Any]:
        """The JSON Schema fragment (draft 2020-12) for editors and other tools."""

    @abstractmethod
    def describe(self) -> str:
        """A short human description for the field reference."""


class ScalarType(FieldType):
    """A single value; subclasses read its text."""

    expected = "a value"

    def convert(self, node: Node, ctx: Context) -> Any:
        if type(node) is not ScalarNode:
            if type(node) is RefusedNode:
                return INVALID
            return ctx.fail(node.position, "wrong-type", f"expected {self.expected}, got {_node_kind(node)}")
        if node.plain and node.value in NULL_WORDS:
            return ctx.fail(
                node.position,
                "empty-value",
                f"this value is empty; write {self.expected}, or remove the line if the key is optional",
            )
        text = node.value if node.value.isascii() else unicodedata.normalize("NFC", node.value)
        return self.read(text, node, ctx)

    @abstractmethod
    def read(self, text: str, node: ScalarNode, ctx: Context) -> Any:
        """Convert the scalar's text."""


@dataclass(frozen=True)
class Text(ScalarType):
    """Free text shown as written; single-line unless ``multiline``."""

    max_length: int
    multiline: bool = False
    markdown: bool = False

    @property
    def expected(self) -> str:  # type: ignore[override]
        return "Markdown text" if self.markdown else "text"

    def read(self, text: str, node: ScalarNode, ctx: Context) -> Any:
        # Surrounding blank space is not part of the text: a '|' block always ends with a
        # line break, and counting it would refuse a text of exactly the maximum length.
        value = text.lstrip("\r\n").rstrip() if self.multiline else text.strip()
        if not value:
            return ctx.fail(node.position, "empty-value", "this text is blank; write something or remove the line")
        if not self.multiline and ("\n" in value or "\r" in value):
            return ctx.fail(node.position, "invalid-text", "this text must fit on one line; remove the line breaks")
        if len(value) > self.max_length:
            return ctx.fail(
                node.position,
                "too-long",
                f"this text is {len(value):,} characters long; at most {self.max_length:,} are allowed",
            )
        return value

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "string", "minLength": 1, "maxLength": self.max_length}
        if not self.multiline:
            schema["pattern"] = r"^[^\n\r]*$"
        return schema

    def describe(self) -> str:
        kind = "Markdown" if self.markdown else "text"
        return f"{kind} ≤ {self.max_length:,} characters"


@dataclass(frozen=True)
class Slug(ScalarType):
    """A lowercase identifier: becomes a URL path or a file name, so nothing else passes."""

    what: str = "slug"
    max_length: int = 64

    @property
    def expected(self) -> str:  # type: ignore[override]
        return f"a {self.what} (lowercase letters, digits and single hyphens, like 'motion-design')"

    def read(self, text: str, node: ScalarNode, ctx: Context) -> Any:
        if len(text) > self.max_length:
            return ctx.fail(
                node.position,
                "invalid-slug",
                f"{shown(text)} is too long for a {self.what}: use at most {self.max_length} characters",
            )
        if not SLUG_RE.match(text):
            hint = slugify(text)
            tail = f"; for example {hint!r}" if hint and hint != text else ""
            return ctx.fail(
                node.position,
                "invalid-slug",
                f"{shown(text)} is not a valid {self.what}: use lowercase letters, digits and single hyphens{tail}",
            )
        return text

    def json_schema(self) -> dict[str, Any]:
        return {"type": "string", "pattern": SLUG_PATTERN, "maxLength": self.max_length}

    def describe(self) -> str:
        return f"{self.what} (`a-z`, `0-9`, `-`; ≤ {self.max_length})"


def slugify(text: str) -> str:
    """Suggest a slug for a value that is not one (accents dropped, spaces to hyphens)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return "-".join(re.findall(r"[a-z0-9]+", ascii_text))[:64]


@dataclass(frozen=True)
class Choice(ScalarType):
    """One of a fixed set of words."""

    choices: tuple[str, ...]

    @property
    def expected(self) -> str:  # type: ignore[override]
        return "one of " + ", ".join(repr(c) for c in self.choices)

    def read(self, text: str, node: ScalarNode, ctx: Context) -> Any:
        if text in self.choices:
            return text
        return ctx.fail(
            node.position,
            "invalid-choice",
            f"expected {self.expected} (got {shown(text)}){suggest(text, self.choices)}",
        )

    def json_schema(self) -> dict[str, Any]:
        return {"enum": list(self.choices)}

    def describe(self) -> str:
        return " \\| ".join(f"`{c}`" for c in self.choices)


@dataclass(frozen=True)
class Integer(ScalarType):
    """A whole number in a range, written plainly (no quotes, no leading zeros)."""

    minimum: int
    maximum: int

    @property
    def expected(self) -> str:  # type: ignore[override]
        return f"a whole number from {self.minimum} to {self.maximum}"

    def read(self, text: str, node: ScalarNode, ctx: Context) -> Any:
        if INTEGER_RE.match(text) and self.minimum <= int(text) <= self.maximum:
            if node.plain:
                return int(text)
            return ctx.fail(node.position, "invalid-number", f"write the number {text} without quotes")
        return ctx.fail(node.position, "invalid-number", f"expected {self.expected} (got {shown(text)})")

    def json_schema(self) -> dict[str, Any]:
        return {"type": "integer", "minimum": self.minimum, "maximum": self.maximum}

    def describe(self) -> str:
        return f"integer {self.minimum}–{self.maximum}"


@dataclass(frozen=True)
class Number(ScalarType):
    """A decimal number in a range (site configuration only)."""

    minimum: float
    maximum: float

    @property
    def expected(self) -> str:  # type: ignore[override]
        return f"a number from {self.minimum:g} to {self.maximum:g}"

    def read(self, text: str, node: ScalarNode, ctx: Context) -> Any:
        if NUMBER_RE.match(text) and self.minimum <= float(text) <= self.maximum:
            if node.plain:
                return float(text)
            return ctx.fail(node.position, "invalid-number", f"write the number {text} without quotes")
        return ctx.fail(node.position, "invalid-number", f"expected {self.expected} (got {shown(text)})")

    def json_schema(self) -> dict[str, Any]:
        return {"type": "number", "minimum": self.minimum, "maximum": self.maximum}

    def describe(self) -> str:
        return f"number {self.minimum:g}–{self.maximum:g}"


@dataclass(frozen=True)
class Boolean(ScalarType):
    """``true`` or ``false`` and nothing else: YAML 1.1's ``yes``/``on`` are refused."""

    expected = "true or false"

    def read(self, text: str, node: ScalarNode, ctx: Context) -> Any:
        if text in ("true", "false"):
            if node.plain:
                return text == "true"
            return ctx.fail(node.position, "invalid-boolean", f"write {text} without quotes")
        return ctx.fail(node.position, "invalid-boolean", f"expected true or false (got {shown(text)})")

    def json_schema(self) -> dict[str, Any]:
        return {"type": "boolean"}

    def describe(self) -> str:
        return "`true` \\| `false`"


@dataclass(frozen=True)
class Date(ScalarType):
    """A calendar date written ``YYYY-MM-DD``."""

    expected = "a date written YYYY-MM-DD"

    def read(self, text: str, node: ScalarNode, ctx: Context) -> Any:
        if not DATE_RE.match(text):
            return ctx.fail(node.position, "invalid-date", f"expected a date written YYYY-MM-DD (got {shown(text)})")
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            return ctx.fail(node.position, "invalid-date", f"{text!r} is not a real calendar date")

    def json_schema(self) -> dict[str, Any]:
        return {"type": "string", "format": "date", "pattern": DATE_RE.pattern}

    def describe(self) -> str:
        return "date `YYYY-MM-DD`"


@dataclass(frozen=True)
class Language(ScalarType):
    """An ISO 639-1 language code such as ``fr``."""

    expected = "a two-letter ISO 639-1 language code such as 'fr' or 'en'"

    def read(self, text: str, node: ScalarNode, ctx: Context) -> Any:
        if text in language_codes():
            return text
        return ctx.fail(node.position, "invalid-language", f"expected {self.expected} (got {shown(text)})")

    def json_schema(self) -> dict[str, Any]:
        return {"enum": sorted(language_codes())}

    def describe(self) -> str:
        return "ISO 639-1 code"


@dataclass(frozen=True)
class Url(ScalarType):
    """An absolute web address; ``https`` only unless ``allow_http``."""

    allow_http: bool = False

    @property
    def expected(self) -> str:  # type: ignore[override]
        return "an http:// or https:// address" if self.allow_http else "an https:// address"

    def read(self, text: str, node: ScalarNode, ctx: Context) -> Any:
        problem = url_problem(text, self.allow_http)
        if problem:
            return ctx.fail(node.position, "invalid-url", f"{shown(redact(text), 80)} {problem}")
        return text

    def json_schema(self) -> dict[str, Any]:
        pattern = "^https?://" if self.allow_http else "^https://"
        return {"type": "string", "format": "uri", "pattern": pattern, "maxLength": 2000}

    def describe(self) -> str:
        return "`http(s)://` URL" if self.allow_http else "`https://` URL"


def redact(url: str) -> str:
    """Hide the credentials of a URL so an error message never prints a password into CI logs."""
    return re.sub(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#@]*@", r"\1***@", url)


def url_problem(text: str, allow_http: bool) -> str:
    """Why a member's URL cannot be published, or an empty string when it can."""
    schemes = ("https", "http") if allow_http else ("https",)
    expected = "an http:// or https:// address" if allow_http else "an https:// address"
    if len(text) > 2000:
        return "is longer than 2,000 characters"
    if any(c.isspace() or not c.isprintable() for c in text) or not text.isascii():
        return "contains spaces or non-ASCII characters; percent-encode them (%20) or use the punycode host"
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return f"is not a valid web address; expected {expected}"
    del port
    if parts.scheme not in schemes:
        return f"is not allowed: expected {expected}"
    if parts.username is not None or parts.password is not None:
        return "contains a user name or password; remove the part before '@'"
    if not parts.hostname or ("." not in parts.hostname and parts.hostname != "localhost"):
        return "has no valid host name"
    return ""


@dataclass(frozen=True)
class SshPublicKey(ScalarType):
    """An OpenSSH public key line, ``TYPE BASE64 [comment]``, that actually parses."""

    expected = "an SSH public key line such as 'ssh-ed25519 AAAA... you@laptop'"

    def read(self, text: str, node: ScalarNode, ctx: Context) -> Any:
        problem = ssh_key_problem(text)
        if problem:
            return ctx.fail(node.position, "invalid-ssh-key", f"{problem}; paste the whole line of your .pub file")
        return " ".join(text.split()[:2])

    def json_schema(self) -> dict[str, Any]:
        return {"type": "string", "pattern": r"^(ssh-|ecdsa-|sk-)\S+ [A-Za-z0-9+/=]+( .*)?$"}

    def describe(self) -> str:
        return "SSH public key line"


def ssh_key_problem(text: str) -> str:
    """Why a key line is not a usable OpenSSH public key, or an empty string."""
    words = text.split()
    if len(words) < 2:
        return "this is not an SSH public key line"
    kind, blob = words[0], words[1]
    if kind not in SSH_KEY_TYPES:
        return f"unsupported key type {shown(kind)} (expected one of {', '.join(sorted(SSH_KEY_TYPES))})"
    try:
        raw = base64.b64decode(blob, validate=True)
    except (binascii.Error, ValueError):
        return "the key data is not valid base64"
    if len(raw) < 4:
        return "the key data is truncated"
    length = int.from_bytes(raw[:4], "big")
    if raw[4 : 4 + length] != kind.encode():
        return f"the key data does not match its type {kind!r}"
    return ""


SIGNATURE_RE: Final = re.compile(r"^-----BEGIN SSH SIGNATURE-----\n[A-Za-z0-9+/=\n]+-----END SSH SIGNATURE-----\n?$")


@dataclass(frozen=True)
class Signature(ScalarType):
    """An armored SSH signature as printed by ``ssh-keygen -Y sign``."""

    expected = "an armored SSH signature (-----BEGIN SSH SIGNATURE----- ...)"

    def read(self, text: str, node: ScalarNode, ctx: Context) -> Any:
        if len(text) > 8192 or not SIGNATURE_RE.match(text.strip() + "\n"):
            return ctx.fail(
                node.position,
                "invalid-signature",
                f"expected {self.expected} written as a '|' block; produce it with 'triangle sign'",
            )
        return text.strip() + "\n"

    def json_schema(self) -> dict[str, Any]:
        return {"type": "string", "pattern": "^-----BEGIN SSH SIGNATURE-----"}

    def describe(self) -> str:
        return "armored SSH signature"


@dataclass(frozen=True)
class RelativePath(ScalarType):
    """A folder inside the site repository, never outside it."""

    expected = "a folder path relative to the site, such as '_site'"

    def read(self, text: str, node: ScalarNode, ctx: Context) -> Any:
        parts = text.replace("\\", "/").split("/")
        if text.startswith(("/", "\\")) or ".." in parts or re.match(r"^[A-Za-z]:", text) or text in (".", "./"):
            return ctx.fail(
                node.position,
                "invalid-path",
                f"{shown(text)} must be a folder inside the site (relative, without '..')",
            )
        return "/".join(p for p in parts if p not in ("", "."))

    def json_schema(self) -> dict[str, Any]:
        return {"type": "string", "pattern": r"^(?!/)(?!.*\.\.).+$"}

    def describe(self) -> str:
        return "relative folder path"


@dataclass(frozen=True)
class ListOf(FieldType):
    """A list of one item type, without duplicates (a repeated skill is a typo)."""

    item: FieldType
    min_items: int = 0
    max_items: int = 100

    def convert(self, node: Node, ctx: Context) -> Any:
        if type(node) is not SequenceNode:
            return _not_container(node, ctx, "a list", "; write it as [a, b] or as '- a' lines")
        items = node.items
        if not self.min_items <= len(items) <= self.max_items:
            if self.min_items == 0:
                need = f"at most {self.max_items}"
            else:
                need = f"between {self.min_items} and {self.max_items}"
            return ctx.fail(node.position, "wrong-length", f"this list has {len(items)} items; it must have {need}")
        values: list[Any] = []
        seen: set[Any] = set()
        ok = True
        for item in items:
            value = self.item.convert(item, ctx)
            if value is INVALID:
                ok = False
                continue
            marker = value if isinstance(value, (str, int, dt.date)) else repr(value)
            if marker in seen:
                ctx.fail(item.position, "duplicate-item", f"{shown(str(value))} is listed twice; keep it once")
                ok = False
                continue
            seen.add(marker)
            values.append(value)
        return tuple(values) if ok else INVALID

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "array", "items": self.item.json_schema(), "uniqueItems": True}
        if self.min_items:
            schema["minItems"] = self.min_items
        schema["maxItems"] = self.max_items
        return schema

    def describe(self) -> str:
        count = f"{self.min_items}–{self.max_items}" if self.min_items else f"≤ {self.max_items}"
        return f"list ({count}) of {self.item.describe()}"


@dataclass(frozen=True)
class MapOf(FieldType):
    """A mapping from slug labels to values, kept in the order written."""

    value: FieldType
    max_items: int = 20

    def convert(self, node: Node, ctx: Context) -> Any:
        if type(node) is not MappingNode:
            return _not_container(node, ctx, "'label: value' lines", "")
        if len(node.items) > self.max_items:
            return ctx.fail(node.position, "wrong-length", f"at most {self.max_items} entries are allowed here")
        label_type = Slug("label", 32)
        pairs: list[tuple[str, Any]] = []
        ok = True
        for key, value_node in node.items:
            label = label_type.convert(key, ctx)
            value = self.value.convert(value_node, ctx)
            if label is INVALID or value is INVALID:
                ok = False
                continue
            pairs.append((label, value))
        return tuple(pairs) if ok else INVALID

    def json_schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "propertyNames": {"pattern": SLUG_PATTERN, "maxLength": 32},
            "additionalProperties": self.value.json_schema(),
            "maxProperties": self.max_items,
        }

    def describe(self) -> str:
        return f"map of label → {self.value.describe()}"


@dataclass(frozen=True)
class Field:
    """One key of a record: its type, whether it is required, and what it means."""

    name: str
    type: FieldType
    doc: str
    required: bool = False
    default: Any = None
    role: str | None = None
    """For attestations: the party (``client`` or ``supplier``) whose file holds this key."""


@dataclass(frozen=True)
class Converted:
    """A record's converted values with the position of every key and list item.

    ``complete`` is False when some key failed to convert (and is then absent from
    ``values``): cross-record rules still run on what is there, so a member sees every
    problem at once, but no model object is built from an incomplete record.
    """

    values: dict[str, Any]
    positions: Mapping[str, tuple[int, int]]
    complete: bool = True


@dataclass(frozen=True)
class RecordType(FieldType):
    """A mapping with declared keys: unknown keys are typos, required keys must be there."""

    name: str
    fields: tuple[Field, ...]
    doc: str = ""
    build: Callable[[dict[str, Any]], Any] | None = None
    by_name: dict[str, Field] = field(init=False, repr=False, compare=False)
    required: tuple[Field, ...] = field(init=False, repr=False, compare=False)
    defaults: tuple[tuple[str, Any], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Computed once: convert_record runs for every file of the network.
        object.__setattr__(self, "by_name", {f.name: f for f in self.fields})
        object.__setattr__(self, "required", tuple(f for f in self.fields if f.required and f.role is None))
        object.__setattr__(self, "defaults", tuple((f.name, f.default) for f in self.fields if f.default is not None))

    def convert(self, node: Node, ctx: Context) -> Any:
        converted = self.convert_record(node, ctx)
        if converted is None or not converted.complete:
            return INVALID
        if self.build is None:
            return converted.values
        return self.build(converted.values)

    def convert_record(self, node: Node, ctx: Context) -> Converted | None:
        """Convert every key, reporting all problems; ``None`` when ``node`` is no mapping."""
        if type(node) is not MappingNode:
            _not_container(node, ctx, "'key: value' lines", "")
            return None
        values: dict[str, Any] = {}
        positions: dict[str, tuple[int, int]] = {}
        ok = True
        by_name = self.by_name
        for key, value_node in node.items:
            name = key.value
            spec = by_name.get(name)
            if spec is None:
                self._unknown(key, ctx)
                ok = False
                continue
            positions[name] = value_node.position
            if type(value_node) is RefusedNode:
                ok = False
                continue
            if type(value_node) is SequenceNode:
                for index, item in enumerate(value_node.items):
                    positions[f"{name}[{index}]"] = item.position
            value = spec.type.convert(value_node, ctx)
            if value is INVALID:
                ok = False
            else:
                values[name] = value
        for spec in self.required:
            if spec.name not in positions:
                ctx.fail(
                    node.position,
                    "missing-key",
                    f"required key {spec.name!r} is missing from {self.name}: add '{spec.name}: …' ({spec.doc})",
                )
                ok = False
        for name, default in self.defaults:
            if name not in positions:
                values[name] = default
        return Converted(values, positions, ok)

    def _unknown(self, key: ScalarNode, ctx: Context) -> None:
        names = [f.name for f in self.fields]
        hint = suggest(key.value, names) or f" (allowed keys: {', '.join(names)})"
        ctx.fail(key.position, "unknown-key", f"unknown key {shown(key.value)} in {self.name}{hint}")

    def json_schema(self) -> dict[str, Any]:
        properties = {}
        for spec in self.fields:
            prop = dict(spec.type.json_schema())
            prop["description"] = spec.doc + (f" (only in the {spec.role}'s attestation)" if spec.role else "")
            properties[spec.name] = prop
        schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
        required = [s.name for s in self.fields if s.required and s.role is None]
        if required:
            schema["required"] = required
        if self.doc:
            schema["description"] = self.doc
        return schema

    def describe(self) -> str:
        return "mapping with keys " + ", ".join(f"`{f.name}`" for f in self.fields)


@dataclass(frozen=True)
class OneOf(FieldType):
    """A value written either as a single scalar or as a mapping (e.g. a key and its retirement)."""

    scalar: FieldType
    mapping: FieldType
    from_scalar: Callable[[Any], Any]

    def convert(self, node: Node, ctx: Context) -> Any:
        if isinstance(node, MappingNode):
            return self.mapping.convert(node, ctx)
        value = self.scalar.convert(node, ctx)
        return value if value is INVALID else self.from_scalar(value)

    def json_schema(self) -> dict[str, Any]:
        return {"oneOf": [self.scalar.json_schema(), self.mapping.json_schema()]}

    def describe(self) -> str:
        return f"{self.scalar.describe()}, or {self.mapping.describe()}"


@dataclass(frozen=True)
class Label(FieldType):
    """A display name: one text for every language, or a mapping language → text.

    The converted value is a tuple of ``(language, text)`` pairs; a text written once
    for every language has the language ``"*"``. Whether each of the site's languages
    has its label is a rule of the whole site.yml (see :mod:`config`).
    """

    languages: tuple[str, ...]
    max_length: int = 80

    def convert(self, node: Node, ctx: Context) -> Any:
        text = Text(self.max_length)
        if type(node) is not MappingNode:
            value = text.convert(node, ctx)
            return value if value is INVALID else (("*", value),)
        if not node.items:
            return ctx.fail(
                node.position,
                "empty-value",
                "this label has no language; write one text, or one line per language such as 'fr: …'",
            )
        language = Choice(self.languages)
        pairs: list[tuple[str, str]] = []
        ok = True
        for key, value_node in node.items:
            code = language.convert(key, ctx)
            value = text.convert(value_node, ctx)
            if code is INVALID or value is INVALID:
                ok = False
                continue
            pairs.append((code, value))
        return tuple(pairs) if ok else INVALID

    def json_schema(self) -> dict[str, Any]:
        text = Text(self.max_length).json_schema()
        return {
            "oneOf": [
                text,
                {
                    "type": "object",
                    "propertyNames": {"enum": list(self.languages)},
                    "additionalProperties": text,
                    "minProperties": 1,
                },
            ]
        }

    def describe(self) -> str:
        codes = ", ".join(f"`{c}`" for c in self.languages)
        return f"text ≤ {self.max_length} characters, or map of language ({codes}) → text"


@dataclass(frozen=True)
class Vocabulary(FieldType):
    """The declared ids of a vocabulary (skills, regions) with their labels, in the order written."""

    what: str
    label: Label
    max_items: int = 500

    def convert(self, node: Node, ctx: Context) -> Any:
        if type(node) is not MappingNode:
            return _not_container(node, ctx, f"'{self.what}-id: label' lines", "")
        if not node.items:
            return ctx.fail(
                node.position,
                "wrong-length",
                f"no {self.what} is declared here; declare at least one, or remove the key to accept any {self.what}",
            )
        if len(node.items) > self.max_items:
            return ctx.fail(
                node.position,
                "wrong-length",
                f"{len(node.items)} {self.what}s are declared here; at most {self.max_items} are allowed",
            )
        slug = Slug(self.what)
        pairs: list[tuple[str, Any]] = []
        ok = True
        for key, value_node in node.items:
            term = slug.convert(key, ctx)
            label = self.label.convert(value_node, ctx)
            if term is INVALID or label is INVALID:
                ok = False
                continue
            pairs.append((term, label))
        return tuple(pairs) if ok else INVALID

    def json_schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "propertyNames": {"pattern": SLUG_PATTERN, "maxLength": 64},
            "additionalProperties": self.label.json_schema(),
            "minProperties": 1,
            "maxProperties": self.max_items,
        }

    def describe(self) -> str:
        return f"map (1–{self.max_items}) of {self.what} (slug) → label: {self.label.describe()}"
