"""The ``/api/*.json`` exports: members, engagements and the JSON Schemas of both.

Other tools (a network's intranet, a CRM, a researcher checking the method) read these
files instead of scraping pages, so their shape is a contract: versioned by ``schema``,
described by a published JSON Schema, and stable byte for byte for the same input.
They publish exactly what the pages publish and nothing more: a withdrawn member is a
nameless *former member*, and a negative statement still inside its reply window shows
``"awaiting_reply"`` instead of what it says (see :mod:`generator.status`).

Member-written text stays text: it is JSON-escaped, never turned into HTML. On top of
that, ``<``, ``>`` and ``&`` are written as ``\\u003c``, ``\\u003e`` and ``\\u0026``
(the same strings to any JSON reader), so that a document pasted into an HTML page
or sniffed by a careless browser can never open a tag.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final

from .entry_cache import EntryCache
from .explain import API_SCHEMA, members_api
from .model import SIDES_OF_CLIENT_ATTESTATION, SIDES_OF_SUPPLIER_ATTESTATION, Attestation, Engagement, Resolution, Site
from .schemas_api import engagements_schema, members_schema
from .schemas_api.engagements import AWAITING
from .score import Scores
from .signing import record_payload
from .status import AttestationState, EngagementStatus
from .write import Output

_HTML_SAFE: Final = (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029"))
"""JSON escapes for the characters that mean something to HTML or JavaScript. In JSON
text they can only occur inside strings, so replacing them never changes the data."""

FORMER_MEMBER_WITHHELD: Final = ("comment", "reply")
"""A withdrawn member asked to be forgotten: their own words go, their ratings stay."""

_COMPACT: Final = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))
"""Without indentation the standard library encodes in C, ten times faster than indented."""


def _html_safe(text: str) -> str:
    for char, escaped in _HTML_SAFE:
        if char in text:
            text = text.replace(char, escaped)
    return text


def json_bytes(document: Any) -> bytes:
    """Serialise a small document the way every export is written: keys in the order built,
    two-space indent, UTF-8, HTML-safe escapes, and a final newline."""
    text = json.dumps(document, ensure_ascii=False, indent=2, allow_nan=False)
    return (_html_safe(text) + "\n").encode("utf-8")


def item_line(item: Any) -> bytes:
    """One item of a large export as its line holds it: compact JSON, HTML-safe, UTF-8."""
    return _html_safe(_COMPACT.encode(item)).encode("utf-8")


def listing_bytes(head: dict[str, Any], key: str, items: Iterable[Any]) -> bytes:
    """Serialise a large export: the ``head`` fields indented, then ``key``'s list one item per line.

    One line per member or engagement keeps a 50,000-engagement file quick to write
    (each item is encoded in C), light in memory (no document of nested dicts is ever
    held whole) and still readable and diffable line by line.
    """
    return listing_lines(head, key, map(item_line, items))


def listing_lines(head: dict[str, Any], key: str, lines: Iterable[bytes]) -> bytes:
    """:func:`listing_bytes` from items already encoded by :func:`item_line` (kept ones, see :mod:`.entry_cache`)."""
    encode = _COMPACT.encode
    top = ["{", *(f"  {encode(name)}: {encode(value)}," for name, value in head.items())]
    start = _html_safe("\n".join([*top, f"  {encode(key)}: ["])).encode("utf-8")
    chunks = [start]
    for line in lines:
        chunks.append(b",\n    " if len(chunks) > 1 else b"\n    ")
        chunks.append(line)
    chunks.append(b"\n  ]\n}\n" if len(chunks) > 1 else b"]\n}\n")
    return b"".join(chunks)  # one copy of the whole document, never two


def site_base_url(site: Site) -> str:
    """``site.yml``'s base URL with exactly one trailing slash, ready for relative paths."""
    return site.config.base_url.rstrip("/") + "/"


def _date(day: dt.date | None) -> str | None:
    return day.isoformat() if day is not None else None


def is_published(site: Site, member_id: str) -> bool:
    """Whether a member may be named: everyone but those who withdrew."""
    return site.members[member_id].status != "withdrawn"


def party_json(site: Site, member_id: str) -> dict[str, Any]:
    """A member in a role (client, supplier, resolver): named, or a nameless former member."""
    if not is_published(site, member_id):
        return {"id": None, "name": None, "former_member": True}
    return {"id": member_id, "name": site.members[member_id].name, "former_member": False}


def sides_stated(attestation: Attestation) -> tuple[str, ...]:
    """The sides an attestation states, by its attester's role."""
    return SIDES_OF_CLIENT_ATTESTATION if attestation.role == "client" else SIDES_OF_SUPPLIER_ATTESTATION


def withheld_keys(attestation: Attestation, state: AttestationState, former_member: bool) -> tuple[str, ...]:
    """Keys of an attestation left out of the export, for the attester's or the subject's sake.

    A former member's comment and reply go. A statement awaiting reply also loses its
    delivery or payment date, which would tell a late delivery or payment as surely as
    the value it replaces.
    """
    withheld: set[str] = set()
    if former_member:
        withheld.update(FORMER_MEMBER_WITHHELD)
    if state.awaiting_reply:
        withheld.update(("comment", "reply", "delivered" if attestation.role == "client" else "paid"))
    return tuple(sorted(withheld))


def signature_json(site: Site, path: str, armored: str | None, message: bytes | None) -> dict[str, Any] | None:
    """A record's signature as published, so that anyone can verify it (docs/signatures.md).

    ``payload`` is the exact text that was signed, or ``None`` when publishing it would
    reveal what the export withholds (a statement awaiting reply, a former member's words).
    """
    if armored is None:
        return None
    return {
        "armor": armored,
        "key": site.verified.get(path),
        "payload": None if message is None else message.decode("utf-8"),
    }


def attestation_signature(site: Site, engagement: Engagement, attestation: Attestation, withheld: bool) -> Any:
    """The ``signature`` of an attestation in the export (its payload only when nothing is withheld)."""
    if attestation.signature is None:
        return None
    hidden = withheld or not all(is_published(site, m) for m in engagement.parties)
    message = None if hidden else record_payload("attestation", attestation, engagement)
    return signature_json(site, attestation.source.path, attestation.signature, message)


def attestation_json(attestation: Attestation, state: AttestationState, former_member: bool) -> dict[str, Any]:
    """One attestation in its record format's keys, with the state of each side it states."""
    waiting = state.awaiting_reply
    withheld = withheld_keys(attestation, state, former_member)

    def stated(value: object) -> object:
        return AWAITING if waiting else value

    entry: dict[str, Any] = {"date": attestation.date.isoformat(), "awaiting_reply": waiting}
    if attestation.role == "client":
        entry["delivery"] = stated(attestation.delivery)
        if "delivered" not in withheld:
            entry["delivered"] = _date(attestation.delivered)
        entry["quality"] = stated(attestation.quality)
    else:
        entry["payment"] = stated(attestation.payment)
        if "paid" not in withheld:
            entry["paid"] = _date(attestation.paid)
    entry["relationship"] = stated(attestation.relationship)
    entry["recommend"] = stated(attestation.recommend)
    for key, text in (("comment", attestation.comment), ("reply", attestation.reply)):
        if key not in withheld:
            entry[key] = text
    entry["disputes"] = list(attestation.disputes)
    entry["states"] = {side: state.state(side) for side in sides_stated(attestation)}
    entry["withheld"] = list(withheld)
    entry["signed"] = attestation.signature is not None
    return entry


def resolution_json(site: Site, resolution: Resolution) -> dict[str, Any]:
    """A coordinator's ruling, as published on the engagement."""
    return {
        "by": party_json(site, resolution.by),
        "date": resolution.date.isoformat(),
        "upheld": list(resolution.upheld),
        "withdrawn": list(resolution.withdrawn),
        "note": resolution.note,
        "signed": resolution.signature is not None,
        "signature": signature_json(
            site,
            resolution.source.path,
            resolution.signature,
            None if resolution.signature is None else record_payload("resolution", resolution),
        ),
    }


def engagement_json(site: Site, engagement: Engagement, status: EngagementStatus) -> dict[str, Any]:
    """One engagement: its facts, status, both attestations (or null) and any resolution."""
    resolution = site.resolutions.get(engagement.id)
    attestations: dict[str, Any] = {}
    for key, attestation, state in (
        ("by_client", engagement.by_client, status.by_client),
        ("by_supplier", engagement.by_supplier, status.by_supplier),
    ):
        if attestation is None or state is None:
            attestations[key] = None
        else:
            former = not is_published(site, attestation.attester)
            entry = attestation_json(attestation, state, former)
            withheld = bool(entry["withheld"]) or entry["awaiting_reply"]
            entry["signature"] = attestation_signature(site, engagement, attestation, withheld)
            attestations[key] = entry
    return {
        "id": engagement.id,
        "title": engagement.title,
        "client": party_json(site, engagement.client),
        "supplier": party_json(site, engagement.supplier),
        "skills": list(engagement.skills),
        "started": engagement.started.isoformat(),
        "deadline": _date(engagement.deadline),
        "invoice_due": _date(engagement.invoice_due),
        # The summary may be the words of either party: withheld when one was forgotten, as on the pages.
        "summary": engagement.summary if all(is_published(site, m) for m in engagement.parties) else None,
        "status": status.status,
        "contested": list(status.contested),
        **attestations,
        "resolution": resolution_json(site, resolution) if resolution is not None else None,
    }


def engagement_entries(site: Site, scores: Scores) -> Iterator[dict[str, Any]]:
    """Every scored engagement as in ``api/engagements.json``, sorted by id, one at a time."""
    for eid in sorted(scores.engagements):
        yield engagement_json(site, site.engagements[eid], scores.engagements[eid])


def engagement_lines(site: Site, scores: Scores, kept: EntryCache, tokens: Mapping[str, bytes]) -> Iterator[bytes]:
    """The lines of :func:`engagement_entries`, each copied from the last build when its inputs are unchanged.

    A line is drawn from the engagement's records (``tokens``, see
    :func:`~generator.views.engagement_tokens`), from the date and the settings (the
    cache's key), and from the name and standing of each party and of the resolver.
    """
    members = site.members
    for eid in sorted(scores.engagements):
        engagement = site.engagements[eid]
        resolution = site.resolutions.get(eid)
        named = (engagement.client, engagement.supplier) if resolution is None else (*engagement.parties, resolution.by)
        inputs = (tokens[eid], tuple((members[m].name, members[m].status) for m in named))
        yield kept.entry(inputs, functools.partial(_engagement_line, site, scores, engagement))


def _engagement_line(site: Site, scores: Scores, engagement: Engagement) -> bytes:
    return item_line(engagement_json(site, engagement, scores.engagements[engagement.id]))


def engagements_document(site: Site, scores: Scores) -> dict[str, Any]:
    """The ``api/engagements.json`` document: every scored engagement, sorted by id."""
    return {
        "schema": API_SCHEMA,
        "generated": scores.today.isoformat(),
        "engagements": list(engagement_entries(site, scores)),
    }


def members_export(site: Site, scores: Scores) -> bytes:
    """The bytes of ``api/members.json`` (also what ``triangle explain --all`` prints)."""
    document = members_api(site, scores)
    head = {name: value for name, value in document.items() if name != "members"}
    return listing_bytes(head, "members", document["members"])


API_DOCUMENTS: Final = ("engagements", "members")
"""The documents under ``api/``, each published with its JSON schema."""


def api_outputs(
    site: Site,
    scores: Scores,
    document: str | None = None,
    *,
    kept: EntryCache | None = None,
    tokens: Mapping[str, bytes] | None = None,
) -> Iterator[Output]:
    """The files under ``api/``, in path order: one of the :data:`API_DOCUMENTS` and its schema, or all.

    With ``kept`` and the engagements' ``tokens``, the engagements' lines that did not
    change since the last build are copied from it instead of drawn again.
    """
    base_url = site_base_url(site)
    if document in (None, "engagements"):
        head = {"schema": API_SCHEMA, "generated": scores.today.isoformat()}
        if kept is None or tokens is None:
            content = listing_bytes(head, "engagements", engagement_entries(site, scores))
        else:
            content = listing_lines(head, "engagements", engagement_lines(site, scores, kept, tokens))
            kept.save()
        yield Output("api/engagements.json", content)
        yield Output("api/engagements.schema.json", json_bytes(engagements_schema(base_url)))
    if document in (None, "members"):
        yield Output("api/members.json", members_export(site, scores))
        yield Output("api/members.schema.json", json_bytes(members_schema(base_url)))
