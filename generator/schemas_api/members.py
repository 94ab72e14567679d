"""Schema of ``api/members.json`` (:func:`generator.explain.members_api`).

Levels, sides and reasons are read from :mod:`generator.score`, so a new level or
reason cannot reach the export without reaching its schema; everything else is
spelled out, with ``additionalProperties: false``, so that a key added to the export
fails the schema test until the schema documents it.
"""

from __future__ import annotations

from typing import Any

from ..score import LEVELS, REASONS, SIDES
from .common import envelope, slug, slug_list

UNIT_INTERVAL: dict[str, Any] = {"type": "number", "minimum": 0, "maximum": 1}


def _side() -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["level", "score", "evidence", "reason"],
        "properties": {
            "level": {"enum": list(LEVELS)},
            "score": {**UNIT_INTERVAL, "description": "Wilson lower bound of the weighted positive share."},
            "evidence": {"type": "number", "minimum": 0, "description": "Weighted evidence (positive + negative)."},
            "reason": {"enum": sorted(r for r in REASONS if r != "informative")},
        },
    }


def _recommendation() -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["score", "evidence"],
        "properties": {
            "score": UNIT_INTERVAL,
            "evidence": {"type": "number", "minimum": 0},
        },
        "description": "Informative figure from quality and recommend: no level, no badge.",
    }


def _member() -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": [
            "id",
            "name",
            "status",
            "trust",
            "sides",
            "recommendation",
            "relations",
            "proven_skills",
            "declared_skills",
        ],
        "properties": {
            "id": slug(),
            "name": {"type": "string", "description": "Display name, as written: plain text, never HTML."},
            "status": {"enum": ["active", "left"], "description": "Withdrawn members are never published."},
            "trust": {"type": "number", "minimum": 0, "description": "Trust relative to a typical member (1.0)."},
            "sides": {
                "type": "object",
                "additionalProperties": False,
                "required": list(SIDES),
                "properties": {side: {"$ref": "#/$defs/side"} for side in SIDES},
            },
            "recommendation": {"$ref": "#/$defs/recommendation"},
            "relations": {**slug_list(), "description": "Professional relations (published members only)."},
            "proven_skills": {
                "type": "object",
                "propertyNames": slug(),
                "additionalProperties": {"type": "integer", "minimum": 1},
                "description": "Skills proven by confirmed, delivered engagements as supplier, with a count.",
            },
            "declared_skills": slug_list(),
        },
    }


def members_schema(base_url: str) -> dict[str, Any]:
    """The JSON Schema of ``api/members.json`` as published under ``base_url``."""
    schema = envelope(
        base_url,
        "members",
        "Triangle members",
        "Every published member, sorted by id, with the level of each side of the triangle.",
        "members",
        "member",
    )
    schema["$defs"] = {"member": _member(), "side": _side(), "recommendation": _recommendation()}
    return schema
