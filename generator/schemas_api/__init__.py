"""JSON Schemas (draft 2020-12) of the ``/api/*.json`` exports, declared once in Python.

They are published beside the documents (``api/members.schema.json``,
``api/engagements.schema.json``) so that other tools can rely on the shape, and the
tests validate the demo network's documents against them, so the schema and the
export can never drift apart silently.
"""

from __future__ import annotations

from .engagements import engagements_schema
from .members import members_schema

__all__ = ["engagements_schema", "members_schema"]
