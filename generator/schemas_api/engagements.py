"""Schema of ``api/engagements.json`` (:func:`generator.api.engagements_document`).

Each attestation keeps the keys of its record format (``content/engagements/…``), so
a member reading the export recognises what they wrote. Two things differ, both for
the people concerned: a statement still waiting for the other party's reply shows
``"awaiting_reply"`` instead of its value, and keys withheld for privacy are absent
and listed in ``withheld`` (so "no comment" and "comment withheld" never look alike).
"""

from __future__ import annotations

from typing import Any, Final, get_args

from ..model import SIDES_OF_CLIENT_ATTESTATION, SIDES_OF_SUPPLIER_ATTESTATION
from ..status import STATUSES, State
from .common import date, envelope, nullable, signature, slug, slug_list

AWAITING: Final = "awaiting_reply"
"""The value published instead of a statement that waits for the other party's reply."""
CONTESTABLE: Final = ("delivery", "quality", "payment", "relationship")


def _or_awaiting(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"const": AWAITING}]}


def _rating() -> dict[str, Any]:
    return _or_awaiting({"type": "integer", "minimum": 1, "maximum": 5})


def _text() -> dict[str, Any]:
    return {
        "type": ["string", "null"],
        "description": "Markdown as the member wrote it: plain text to a JSON reader; "
        "render and sanitise it before showing it as HTML.",
    }


def _party() -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "name", "former_member"],
        "properties": {
            "id": nullable(slug()),
            "name": {"type": ["string", "null"]},
            "former_member": {
                "type": "boolean",
                "description": "The member withdrew and asked to be forgotten: id and name are null.",
            },
        },
        "if": {"properties": {"former_member": {"const": True}}},
        "then": {"properties": {"id": {"const": None}, "name": {"const": None}}},
        "else": {"properties": {"id": slug(), "name": {"type": "string"}}},
    }


def _attestation(
    sides: tuple[str, ...], statements: dict[str, Any], dated: str, disputable: tuple[str, ...]
) -> dict[str, Any]:
    states = list(get_args(State))
    withheld = sorted(("comment", "reply", dated))
    return {
        "type": "object",
        "additionalProperties": False,
        "required": [
            "date",
            "awaiting_reply",
            *statements,
            "relationship",
            "recommend",
            "disputes",
            "states",
            "withheld",
            "signed",
            "signature",
        ],
        "properties": {
            "date": date(),
            "awaiting_reply": {
                "type": "boolean",
                "description": "A negative statement within the reply window: its values and texts are withheld.",
            },
            **statements,
            dated: nullable(date()),
            "relationship": _rating(),
            "recommend": _or_awaiting({"type": "boolean"}),
            "comment": _text(),
            "reply": _text(),
            "disputes": {
                "type": "array",
                "items": {"enum": list(disputable)},
                "uniqueItems": True,
                "description": "Sides of the other party's attestation that this party contests.",
            },
            "states": {
                "type": "object",
                "additionalProperties": False,
                "required": list(sides),
                "properties": {side: {"enum": states} for side in sides},
                "description": "Whether each side counts (counted, upheld) "
                "or not (contested, withdrawn, awaiting_reply).",
            },
            "withheld": {
                "type": "array",
                "items": {"enum": withheld},
                "uniqueItems": True,
                "description": "Keys left out for privacy (a former member's texts; a statement awaiting reply).",
            },
            "signed": {"type": "boolean", "description": "The record carries an SSH signature."},
            "signature": {"$ref": "#/$defs/signature"},
        },
    }


def _client_attestation() -> dict[str, Any]:
    statements = {
        "delivery": _or_awaiting({"enum": ["on_time", "late", "not_delivered"]}),
        "quality": _rating(),
    }
    return _attestation(SIDES_OF_CLIENT_ATTESTATION, statements, "delivered", SIDES_OF_SUPPLIER_ATTESTATION)


def _supplier_attestation() -> dict[str, Any]:
    statements = {"payment": _or_awaiting({"enum": ["on_time", "late", "unpaid"]})}
    return _attestation(SIDES_OF_SUPPLIER_ATTESTATION, statements, "paid", SIDES_OF_CLIENT_ATTESTATION)


def _resolution() -> dict[str, Any]:
    sides = {"type": "array", "items": {"enum": list(CONTESTABLE)}, "uniqueItems": True}
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["by", "date", "upheld", "withdrawn", "note", "signed", "signature"],
        "properties": {
            "by": {"$ref": "#/$defs/party"},
            "date": date(),
            "upheld": sides,
            "withdrawn": sides,
            "note": {**_text(), "type": "string"},
            "signed": {"type": "boolean"},
            "signature": {"$ref": "#/$defs/signature"},
        },
    }


def _engagement() -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": [
            "id",
            "title",
            "client",
            "supplier",
            "skills",
            "started",
            "deadline",
            "invoice_due",
            "summary",
            "status",
            "contested",
            "by_client",
            "by_supplier",
            "resolution",
        ],
        "properties": {
            "id": slug(),
            "title": {"type": "string"},
            "client": {"$ref": "#/$defs/party"},
            "supplier": {"$ref": "#/$defs/party"},
            "skills": slug_list(),
            "started": date(),
            "deadline": nullable(date()),
            "invoice_due": nullable(date()),
            "summary": _text(),
            "status": {"enum": list(STATUSES)},
            "contested": {"type": "array", "items": {"enum": list(CONTESTABLE)}, "uniqueItems": True},
            "by_client": nullable({"$ref": "#/$defs/client_attestation"}),
            "by_supplier": nullable({"$ref": "#/$defs/supplier_attestation"}),
            "resolution": nullable({"$ref": "#/$defs/resolution"}),
        },
    }


def engagements_schema(base_url: str) -> dict[str, Any]:
    """The JSON Schema of ``api/engagements.json`` as published under ``base_url``."""
    schema = envelope(
        base_url,
        "engagements",
        "Triangle engagements",
        "Every engagement, sorted by id, with its status, both attestations and any resolution.",
        "engagements",
        "engagement",
    )
    schema["$defs"] = {
        "engagement": _engagement(),
        "party": _party(),
        "client_attestation": _client_attestation(),
        "supplier_attestation": _supplier_attestation(),
        "resolution": _resolution(),
        "signature": signature(),
    }
    return schema
