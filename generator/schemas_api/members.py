"""Schema of ``api/members.json`` (:func:`generator.explain.members_api`).

Levels, sides and reasons are read from :mod:`generator.score`, so a new level or
reason cannot reach the export without reaching its schema; everything else is
spelled out, with ``additionalProperties: false``, so that a key added to the export
fails the schema test until the schema documents it.
"""

from __future__ import annotations

from typing import Any

from ..score import LEVELS, REASONS, SIDES
from .common import envelope, signature, signing_keys, slug, slug_list

UNIT_INTERVAL: dict[str, Any] = {"type": "number", "minimum": 0, "maximum": 1}


COUNT: dict[str, Any] = {"type": "integer", "minimum": 0}
AVERAGE: dict[str, Any] = {"type": ["number", "null"], "minimum": 1, "maximum": 5}
COMMON_FACTS: dict[str, Any] = {
    "statements": {**COUNT, "description": "Statements that count (published, not awaiting reply, not contested)."},
    "confirmed": {**COUNT, "description": "Of those, statements of engagements both parties attested."},
    "counterparts": {**COUNT, "description": "Distinct members who made them."},
}
SIDE_FACTS: dict[str, dict[str, Any]] = {
    "payment": {
        "on_time": COUNT,
        "late": COUNT,
        "unpaid": COUNT,
        "days_late_known": {**COUNT, "description": "Late payments whose due date and payment date are known."},
        "days_late_median": {"type": ["number", "null"], "minimum": 0, "description": "Median days after due date."},
        "days_late_max": {"type": ["integer", "null"], "minimum": 0, "description": "Most days after the due date."},
    },
    "deadlines": {"on_time": COUNT, "late": COUNT, "not_delivered": COUNT},
    "relationship": {"average": {**AVERAGE, "description": "Average rating out of 5."}, "ratings": COUNT},
    "recommendation": {
        "recommended": {**COUNT, "description": "Statements that would work with them again."},
        "quality_average": {**AVERAGE, "description": "Average quality rating out of 5."},
        "quality_ratings": COUNT,
    },
}


def _facts(figure: str) -> dict[str, Any]:
    properties = {**COMMON_FACTS, **SIDE_FACTS[figure]}
    return {
        "type": "object",
        "additionalProperties": False,
        "required": list(properties),
        "properties": properties,
        "description": "What a visitor can count: the statements behind the side, unweighted.",
    }


def _side(figure: str) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["level", "score", "evidence", "reason", "facts"],
        "properties": {
            "level": {"enum": list(LEVELS)},
            "score": {**UNIT_INTERVAL, "description": "Wilson lower bound of the weighted positive share."},
            "evidence": {"type": "number", "minimum": 0, "description": "Weighted evidence (positive + negative)."},
            "reason": {"enum": sorted(r for r in REASONS if r != "informative")},
            "facts": _facts(figure),
            "needs": {
                "type": "object",
                "additionalProperties": False,
                "required": ["counterparts", "evidence"],
                "properties": {
                    "counterparts": {**COUNT, "description": "More distinct counterparts needed."},
                    "evidence": {"type": "number", "minimum": 0, "description": "More weighted evidence needed."},
                },
                "description": "Only when the level is `new`: what the side lacks before it can have a level.",
            },
        },
    }


def _recommendation() -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["score", "evidence", "facts"],
        "properties": {
            "score": UNIT_INTERVAL,
            "evidence": {"type": "number", "minimum": 0},
            "facts": _facts("recommendation"),
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
            "keys",
            "signature",
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
                "properties": {side: {"$ref": f"#/$defs/{side}"} for side in SIDES},
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
            "keys": {**signing_keys(), "description": "Public keys that sign this member's records."},
            "signature": {"$ref": "#/$defs/signature"},
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
    schema["$defs"] = {
        "member": _member(),
        **{side: _side(side) for side in SIDES},
        "recommendation": _recommendation(),
        "signature": signature(),
    }
    return schema
