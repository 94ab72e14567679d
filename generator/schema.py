"""The record formats (schema version 1), declared once.

Validation (:mod:`validate`), the JSON Schema files editors use, and the field
reference in ``docs/reference.md`` are all derived from the declarations below, so
the three can never disagree. The formats are a contract with members: change them
only on purpose, with a bump of :data:`SCHEMA_VERSION` and a changelog entry.
"""

from __future__ import annotations

import json
from typing import Any, Final

from .fields import (
    Boolean,
    Choice,
    Date,
    Field,
    Integer,
    Label,
    Language,
    ListOf,
    MapOf,
    Number,
    OneOf,
    RecordType,
    RelativePath,
    Signature,
    Slug,
    SshPublicKey,
    Text,
    Url,
    Vocabulary,
)
from .model import ScoringConfig, SigningKey

SCHEMA_VERSION: Final = 1
SIDES: Final = ("delivery", "quality", "payment", "relationship")
"""The sides of an attestation a party can contest."""

MAX_SHORT_TEXT: Final = 120
MAX_TITLE: Final = 140
MAX_BIO: Final = 4000
MAX_COMMENT: Final = 2000
MAX_SUMMARY: Final = 4000
MAX_NOTE: Final = 2000

INTERFACE_LANGUAGES: Final = ("fr", "en")
"""The languages the site's interface is translated into."""
MAX_LABEL: Final = 80

member_id = Slug("member id")
skill = Slug("skill")

SIGNING_KEY = RecordType(
    "a signing key",
    (
        Field("key", SshPublicKey(), "the public key line", required=True),
        Field("retired", Date(), "the key signs only records dated before this day", required=True),
    ),
    build=lambda v: SigningKey(v["key"], v["retired"]),
)

MEMBER = RecordType(
    "a member record",
    (
        Field("name", Text(80), "display name", required=True),
        Field("kind", Choice(("person", "organisation")), "a person or an organisation", required=True),
        Field("headline", Text(MAX_SHORT_TEXT), "one line: what they do", required=True),
        Field("region", Slug("region"), "territory used for filtering, e.g. `ile-de-france`", required=True),
        Field("location", Text(80), "free text, e.g. `Paris`"),
        Field("skills", ListOf(skill, 1, 30), "declared skills", required=True),
        Field("languages", ListOf(Language(), 0, 20), "languages worked in (ISO 639-1 codes)"),
        Field("joined", Date(), "date of entry in the network", required=True),
        Field("sponsors", ListOf(member_id, 0, 10), "members who vouched for the entry"),
        Field(
            "links",
            MapOf(Url(), 12),
            "label → `https://` address (website, linkedin, viadeo, xing, …)",
        ),
        Field(
            "keys",
            ListOf(OneOf(SshPublicKey(), SIGNING_KEY, lambda line: SigningKey(line)), 0, 10),
            "SSH public keys allowed to sign this member's records; "
            "`{key: LINE, retired: DATE}` for a key that signs only records dated before its retirement",
        ),
        Field(
            "status",
            Choice(("active", "left", "withdrawn")),
            "`left` keeps the history; `withdrawn` asks to be forgotten (default `active`)",
            default="active",
        ),
        Field("bio", Text(MAX_BIO, multiline=True, markdown=True), "about the member"),
        Field("signature", Signature(), "SSH signature of this record by one of the member's own keys"),
    ),
    doc="A member of the network: content/members/<member-id>.yml",
)

ENGAGEMENT = RecordType(
    "an engagement record",
    (
        Field("title", Text(MAX_TITLE), "what the engagement was", required=True),
        Field("client", member_id, "the member who ordered and pays", required=True),
        Field("supplier", member_id, "the member who delivered; must differ from the client", required=True),
        Field("skills", ListOf(skill, 1, 10), "skills the supplier used", required=True),
        Field("started", Date(), "start date; its year is the folder's year", required=True),
        Field("deadline", Date(), "agreed delivery date"),
        Field("invoice_due", Date(), "agreed payment date"),
        Field("summary", Text(MAX_SUMMARY, multiline=True, markdown=True), "public description"),
    ),
    doc="The facts of an engagement: content/engagements/<YYYY>/<engagement-id>/engagement.yml",
)

ATTESTATION = RecordType(
    "an attestation",
    (
        Field("date", Date(), "when the attestation was written", required=True),
        Field(
            "delivery",
            Choice(("on_time", "late", "not_delivered")),
            "the supplier kept the deadline",
            required=True,
            role="client",
        ),
        Field("delivered", Date(), "the day the work was delivered", role="client"),
        Field("quality", Integer(1, 5), "quality of the work, 1 (poor) to 5 (excellent)", required=True, role="client"),
        Field(
            "payment",
            Choice(("on_time", "late", "unpaid")),
            "the client paid the invoice on time",
            required=True,
            role="supplier",
        ),
        Field("paid", Date(), "the day the invoice was paid; required when payment is `late`", role="supplier"),
        Field(
            "relationship",
            Integer(1, 5),
            "respect of the relationship by the other party, 1 to 5",
            required=True,
        ),
        Field("recommend", Boolean(), "would work with them again", required=True),
        Field("comment", Text(MAX_COMMENT, multiline=True, markdown=True), "public comment about the other party"),
        Field(
            "reply",
            Text(MAX_COMMENT, multiline=True, markdown=True),
            "right of reply to the other party's attestation",
        ),
        Field(
            "disputes",
            ListOf(Choice(SIDES), 0, len(SIDES)),
            "sides of the other party's attestation that this party contests",
        ),
        Field("signature", Signature(), "SSH signature of this record by one of the attester's keys"),
    ),
    doc="One party's attestation of the other: content/engagements/<YYYY>/<engagement-id>/<member-id>.yml",
)

RESOLUTION = RecordType(
    "a resolution",
    (
        Field("by", member_id, "the coordinator who mediated", required=True),
        Field("date", Date(), "date of the ruling", required=True),
        Field("upheld", ListOf(Choice(SIDES), 0, len(SIDES)), "contested sides the attestation keeps", required=True),
        Field(
            "withdrawn",
            ListOf(Choice(SIDES), 0, len(SIDES)),
            "contested sides removed from scoring",
            required=True,
        ),
        Field("note", Text(MAX_NOTE, multiline=True, markdown=True), "public explanation", required=True),
        Field("signature", Signature(), "SSH signature of this record by one of the coordinator's keys"),
    ),
    doc="A coordinator's mediation of a dispute: content/resolutions/<engagement-id>.yml",
)

WITHDRAWAL = RecordType(
    "a withdrawal",
    (
        Field("by", member_id, "the coordinator who recorded the member's request", required=True),
        Field("date", Date(), "the day the member asked to be forgotten", required=True),
        Field(
            "reason",
            Text(MAX_NOTE, multiline=True),
            "for the coordinators only: never published on the site, but readable by anyone who can "
            "read the repository, so keep it short and impersonal",
        ),
        Field("signature", Signature(), "SSH signature of this record by one of the coordinator's keys"),
    ),
    doc="A coordinator's record that a member asked to be forgotten (same effect as `status: withdrawn`): "
    "content/withdrawals/<member-id>.yml",
)

SCORING = RecordType(
    "the scoring settings",
    (
        Field("half_life_days", Integer(30, 36500), "evidence loses half its weight after this many days", default=730),
        Field(
            "confirm_window_days",
            Integer(1, 3650),
            "a one-sided engagement is *pending* this long, then *unconfirmed*",
            default=60,
        ),
        Field("unconfirmed_weight", Number(0, 1), "weight of an unconfirmed engagement's evidence", default=0.5),
        Field(
            "reply_window_days",
            Integer(0, 365),
            "days a negative statement waits for the other party's reply before it is published",
            default=14,
        ),
        Field(
            "trust_restart",
            Number(0.05, 0.95),
            "probability that trust propagation restarts at the coordinators",
            default=0.3,
        ),
        Field(
            "trust_typical_mass",
            Number(0.5, 1),
            "typical trust: going from the most trusted member down, the trust of the member at which "
            "this share of all trust is reached; statements count fully from a typical attester's trust up",
            default=0.9,
        ),
        Field(
            "confidence_z",
            Number(0.5, 4),
            "z of the Wilson confidence bounds (1.645: the score is a lower bound at 95 % confidence, one-sided)",
            default=1.645,
        ),
        Field("min_evidence", Number(0, 1000), "weighted evidence a side needs before it leaves `new`", default=2.0),
        Field(
            "min_counterparts",
            Integer(1, 100),
            "distinct counterparts a side needs before it leaves `new`",
            default=2,
        ),
        Field("reliable_threshold", Number(0, 1), "lower bound needed for `reliable`", default=0.5),
        Field("highly_reliable_threshold", Number(0, 1), "lower bound needed for `highly_reliable`", default=0.75),
        Field(
            "caution_threshold",
            Number(0, 1),
            "`caution` when the upper bound falls below this (with negatives from 2+ counterparts)",
            default=0.5,
        ),
        Field(
            "severe_weight",
            Number(1, 10),
            "how many ordinary negatives an `unpaid` or `not_delivered` counts as",
            default=2.0,
        ),
        Field(
            "late_payment_scale_days",
            Integer(1, 3650),
            "a late payment weighs more the later it was: 1 + days late / this, up to `severe_weight`",
            default=30,
        ),
        Field(
            "repeat_exponent",
            Number(0, 4),
            "the k-th engagement with the same counterpart counts 1/k^this (2: 1, 1/4, 1/9 …; 0: no discount)",
            default=2.0,
        ),
        Field(
            "relation_min_engagements",
            Integer(1, 100),
            "counted engagements that make a counterpart a professional relation",
            default=2,
        ),
        Field(
            "relation_min_span_days",
            Integer(0, 36500),
            "days those engagements must span",
            default=180,
        ),
    ),
    build=lambda v: ScoringConfig(**v),
)

SITE = RecordType(
    "site.yml",
    (
        Field("title", Text(80), "the site's name", required=True),
        Field("description", Text(300), "one sentence shown in search results and link previews"),
        Field(
            "base_url",
            Url(allow_http=True),
            "public address of the site, e.g. `https://network.example/`",
            required=True,
        ),
        Field(
            "languages",
            ListOf(Choice(INTERFACE_LANGUAGES), 1, len(INTERFACE_LANGUAGES)),
            "interface languages; the first is the default (`fr`, `en`)",
            default=("fr", "en"),
        ),
        Field("theme", Slug("theme name"), "folder under `themes/`", default="default"),
        Field("output", RelativePath(), "where the site is built", default="_site"),
        Field(
            "coordinators",
            ListOf(member_id, 1, 50),
            "member ids of the coordinators: the trust seeds and mediators",
            required=True,
        ),
        Field(
            "signatures",
            Choice(("optional", "required")),
            "whether every member record, attestation, resolution and withdrawal must be signed",
            default="optional",
        ),
        Field(
            "skills",
            Vocabulary("skill", Label(INTERFACE_LANGUAGES, MAX_LABEL)),
            "the network's skills: skill id → its label, one text or one per language "
            "(`{fr: Gestion de projet, en: Project management}`); `check` warns of any other skill",
        ),
        Field(
            "regions",
            Vocabulary("region", Label(INTERFACE_LANGUAGES, MAX_LABEL), 200),
            "the network's regions: region id → its label, as for `skills`; `check` warns of any other region",
        ),
        Field("scoring", SCORING, "the numbers of the score (all optional)"),
    ),
    doc="The site configuration: site.yml at the repository root",
)

VOCABULARY_DOC: Final = (
    "The network's shared vocabulary: each entry is `id: label`, where the id is the slug records",
    "write and URLs use, and the label what pages show. A label is one text for every language",
    "(`motion-design: Motion design`) or one text per language of the site",
    "(`project-management: {fr: Gestion de projet, en: Project management}`); a label missing",
    "for one of the site's `languages`, or given in a language the site does not publish, is an",
    "error (`missing-label`, `label-language`): a French page never shows an English label.",
    "When site.yml declares `skills` (or `regions`), `triangle check` warns of any other skill",
    "(`unknown-skill`) or region (`unknown-region`) with the closest declared id; `--strict` makes",
    "that an error. Without them any slug is accepted and shown made readable (`motion-design` →",
    '"Motion design"; French region slugs by their proper names, `ile-de-france` → "Île-de-France").',
)
"""The explanation of ``skills`` and ``regions`` in the field reference."""

RECORDS: Final = {
    "member": MEMBER,
    "engagement": ENGAGEMENT,
    "attestation": ATTESTATION,
    "resolution": RESOLUTION,
    "withdrawal": WITHDRAWAL,
    "site": SITE,
}
"""Every record kind, by the name its JSON Schema file carries."""


def default_scoring() -> ScoringConfig:
    """The scoring settings when site.yml names none."""
    return ScoringConfig(**{f.name: f.default for f in SCORING.fields})


def json_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of one record kind, as written to ``schemas/<kind>.schema.json``."""
    schema = RECORDS[kind].json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://triangle.example/schemas/v{SCHEMA_VERSION}/{kind}.schema.json",
        "title": f"Triangle {kind} (schema version {SCHEMA_VERSION})",
        **schema,
    }


def json_schema_text(kind: str) -> str:
    """The schema file's exact text: stable key order, so regenerating changes nothing."""
    return json.dumps(json_schema(kind), indent=2, ensure_ascii=False) + "\n"


def reference_markdown() -> str:
    """The field reference of ``docs/reference.md``, generated from the declarations."""
    lines = [
        "# Record reference",
        "",
        "<!-- Generated by `triangle schema --reference`; do not edit by hand. -->",
        "",
        f"Schema version {SCHEMA_VERSION}. Dates are written `YYYY-MM-DD`. Unknown keys, duplicate keys,",
        "YAML anchors, aliases and tags are errors. Every text is normalised to Unicode NFC;",
        "control, bidi-override and zero-width characters are refused everywhere.",
    ]
    for kind, record in RECORDS.items():
        lines += ["", f"## {kind}", "", record.doc or record.name, ""]
        lines += _table(record)
        if kind == "site":
            lines += ["", "### skills and regions", "", *VOCABULARY_DOC]
            lines += ["", "### scoring", "", "Every key is optional; the default is shown.", ""]
            lines += _table(SCORING)
    return "\n".join(lines) + "\n"


def _table(record: RecordType) -> list[str]:
    has_role = any(f.role for f in record.fields)
    has_default = any(f.default is not None for f in record.fields)
    header = ["key", "type", "required"] + (["by"] if has_role else []) + (["default"] if has_default else [])
    rows = [[*header, "meaning"], ["---"] * (len(header) + 1)]
    for spec in record.fields:
        row = [f"`{spec.name}`", spec.type.describe(), "yes" if spec.required else "no"]
        if has_role:
            row.append(spec.role or "both")
        if has_default:
            row.append(_default(spec.default))
        row.append(spec.doc)
        rows.append(row)
    return ["| " + " | ".join(row) + " |" for row in rows]


def _default(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, tuple):
        return "`[" + ", ".join(value) + "]`"
    return f"`{value}`"
