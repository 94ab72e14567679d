"""Pieces both export schemas share: the draft, slugs, dates, the document envelope."""

from __future__ import annotations

from typing import Any, Final

from ..explain import API_SCHEMA

DRAFT: Final = "https://json-schema.org/draft/2020-12/schema"
SLUG_PATTERN: Final = "^[a-z0-9]+(-[a-z0-9]+)*$"
"""Member, engagement, skill and region ids: the record formats' slug rule."""
DATE_PATTERN: Final = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


def slug() -> dict[str, Any]:
    """An id: a lowercase slug of at most 64 characters."""
    return {"type": "string", "pattern": SLUG_PATTERN, "maxLength": 64}


def date() -> dict[str, Any]:
    """An ISO ``YYYY-MM-DD`` date (``format`` is informative; the pattern is enforced)."""
    return {"type": "string", "format": "date", "pattern": DATE_PATTERN}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` or ``null``: an optional fact that every entry still names."""
    return {"anyOf": [schema, {"type": "null"}]}


def slug_list(unique: bool = True) -> dict[str, Any]:
    """A list of ids."""
    return {"type": "array", "items": slug(), "uniqueItems": unique}


def envelope(base_url: str, name: str, title: str, description: str, key: str, item: str) -> dict[str, Any]:
    """The document shape every export shares: ``schema`` version, ``generated`` date, one list."""
    return {
        "$schema": DRAFT,
        "$id": f"{base_url}api/{name}.schema.json",
        "title": title,
        "description": description,
        "type": "object",
        "additionalProperties": False,
        "required": ["schema", "generated", key],
        "properties": {
            "schema": {
                "const": API_SCHEMA,
                "description": "Version of this shape; bumped only when a key changes meaning.",
            },
            "generated": {**date(), "description": "The build date the figures are computed for."},
            key: {"type": "array", "items": {"$ref": f"#/$defs/{item}"}},
        },
    }


def signature() -> dict[str, Any]:
    """A record's SSH signature as published: enough for anyone to verify it (docs/signatures.md)."""
    return nullable(
        {
            "type": "object",
            "additionalProperties": False,
            "required": ["armor", "key", "payload"],
            "properties": {
                "armor": {"type": "string", "description": "The armored SSH signature, as in the record."},
                "key": {
                    **nullable({"type": "string", "pattern": "^SHA256:[A-Za-z0-9+/]{43}$"}),
                    "description": "Fingerprint of the member's key that made it, once verified.",
                },
                "payload": {
                    **nullable({"type": "string"}),
                    "description": "The exact signed text (namespace 'triangle'); null when it holds withheld text.",
                },
            },
            "description": "null when the record is not signed.",
        }
    )


def signing_keys() -> dict[str, Any]:
    """A member's public keys as published, for verifying their signatures."""
    return {
        "type": "array",
        "items": {
            "type": "object",
            "additionalProperties": False,
            "required": ["key", "fingerprint", "retired"],
            "properties": {
                "key": {"type": "string", "description": "OpenSSH public key line (type and base64)."},
                "fingerprint": {"type": "string", "description": "SHA256 fingerprint, as ssh-keygen -l prints it."},
                "retired": {**nullable(date()), "description": "Signs only records dated before this day."},
            },
        },
    }
