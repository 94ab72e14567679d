"""The /api exports: exact shapes, strict schemas, privacy, escaping and determinism.

The helpers at the top (scoring a site, the hostile site, the XML safety check) are
shared with test_badges.py and test_feeds.py.
"""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from generator.api import api_outputs, engagements_document, json_bytes, listing_bytes
from generator.check import check_site
from generator.diagnostics import Severity
from generator.explain import members_api
from generator.model import Site
from generator.schemas_api import engagements_schema, members_schema
from generator.score import Scores, score_site
from generator.write import Output

from .conftest import REPO, TODAY, SiteFactory

BUILD_DAY = dt.date(2026, 11, 27)
BASE = REPO / "tests" / "invalid" / "_base"
BASE_URL = "https://base.example/"

# --------------------------------------------------------------------- shared helpers


def scored(root: Path) -> tuple[Site, Scores]:
    """Check and score a site, failing the test on any validation error."""
    checked = check_site(root, BUILD_DAY)
    errors = [d.render() for d in checked.diagnostics if d.severity is Severity.ERROR]
    assert not errors, errors
    return checked.site, score_site(checked.site)


def by_path(outputs: Iterable[Output]) -> dict[str, bytes]:
    """Outputs as a mapping, refusing two outputs with one path."""
    found: dict[str, bytes] = {}
    for item in outputs:
        assert item.path not in found, f"two outputs claim {item.path}"
        found[item.path] = item.content
    return found


def member_yaml(name: str, *, status: str = "active", region: str = "ile-de-france") -> str:
    """A member file; the name as a JSON string is also a valid double-quoted YAML scalar."""
    return (
        f"name: {json.dumps(name)}\nkind: person\nheadline: {json.dumps(name + ' headline')}\n"
        f"region: {region}\nskills: [photography]\njoined: 2024-02-01\nstatus: {status}\n"
    )


XSS_NAMES = {
    "ines-moreau": "<script>alert(1)</script>",
    "atelier-lumen": '"><svg onload=alert(1)>',
    "claire-dubois": "&amp;",
}
XSS_TEXT = '</summary><script>alert(2)</script>"><svg onload=alert(3)> & &amp; <![CDATA[x]]>'


def hostile_files() -> dict[str, str | bytes]:
    """Every member-written field that reaches an export holds markup or entities."""
    files: dict[str, str | bytes] = {f"content/members/{mid}.yml": member_yaml(name) for mid, name in XSS_NAMES.items()}
    files["site.yml"] = (
        f"title: {json.dumps('<script>alert(0)</script> & co')}\nbase_url: {BASE_URL}\n"
        "languages: [fr, en]\ncoordinators: [claire-dubois]\n"
    )
    files["content/engagements/2025/poster-series/engagement.yml"] = (
        f"title: {json.dumps(XSS_TEXT)}\nclient: atelier-lumen\nsupplier: ines-moreau\nskills: [motion-design]\n"
        f"started: 2025-01-12\ndeadline: 2025-02-27\ninvoice_due: 2025-04-01\nsummary: {json.dumps(XSS_TEXT)}\n"
    )
    files["content/engagements/2025/poster-series/atelier-lumen.yml"] = (
        "date: 2025-03-04\ndelivery: on_time\ndelivered: 2025-02-26\nquality: 3\nrelationship: 5\n"
        f"recommend: true\ncomment: {json.dumps(XSS_TEXT)}\nreply: {json.dumps(XSS_TEXT)}\n"
    )
    return files


def hostile_site(site_factory: SiteFactory) -> tuple[Site, Scores]:
    """The base network with hostile names, titles, summaries and comments."""
    return scored(site_factory(hostile_files(), base=BASE))


def assert_safe_xml(content: bytes) -> ET.Element:
    """Well-formed XML with no script element, no event handler, no foreign markup; returns the root."""
    assert b"<script" not in content.lower()
    root = ET.fromstring(content)
    for element in root.iter():
        local = element.tag.rsplit("}", 1)[-1].lower()
        assert local not in {"script", "foreignobject", "iframe", "img", "image", "use"}, element.tag
        for attribute in element.attrib:
            assert not attribute.rsplit("}", 1)[-1].lower().startswith("on"), attribute
    return root


def text_of(root: ET.Element) -> str:
    """Every text and attribute value of a parsed document, as one string."""
    return " ".join([*root.itertext(), *(v for e in root.iter() for v in e.attrib.values())])


def withdrawn_site(site_factory: SiteFactory) -> tuple[Site, Scores]:
    """The base network where Inès Moreau withdrew (her comment is on poster-series)."""
    files: dict[str, str | bytes] = {
        "content/members/ines-moreau.yml": member_yaml("Inès Moreau", status="withdrawn"),
    }
    return scored(site_factory(files, base=BASE))


NEGATIVE_ENGAGEMENT = {
    "content/engagements/2026/rush-job/engagement.yml": """
        title: Rush job
        client: atelier-lumen
        supplier: claire-dubois
        skills: [photography]
        started: 2026-10-01
        deadline: 2026-10-20
        invoice_due: 2026-11-30
        """,
    "content/engagements/2026/rush-job/atelier-lumen.yml": """
        date: 2026-11-20
        delivery: late
        delivered: 2026-11-02
        quality: 2
        relationship: 1
        recommend: false
        comment: SECRET-COMPLAINT nobody may read before Claire can reply.
        """,
}
"""A negative attestation seven days old: inside the 14-day reply window."""


def awaiting_sites(site_factory: SiteFactory) -> tuple[tuple[Site, Scores], tuple[Site, Scores]]:
    """The base network with the unanswered negative attestation, and without it."""
    with_it = scored(site_factory(dict(NEGATIVE_ENGAGEMENT), base=BASE, name="with"))
    without = dict(NEGATIVE_ENGAGEMENT)
    del without["content/engagements/2026/rush-job/atelier-lumen.yml"]
    return with_it, scored(site_factory(without, base=BASE, name="without"))


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def demo() -> tuple[Site, Scores]:
    return scored(REPO)


@pytest.fixture(scope="module")
def demo_api(demo: tuple[Site, Scores]) -> dict[str, bytes]:
    return by_path(api_outputs(*demo))


def validator(schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def errors_of(schema: dict[str, Any], document: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator(schema).iter_errors(document)]


# ------------------------------------------------------------------------------ shape


def test_api_writes_both_documents_and_their_schemas_in_path_order(demo_api: dict[str, bytes]) -> None:
    assert list(demo_api) == [
        "api/engagements.json",
        "api/engagements.schema.json",
        "api/members.json",
        "api/members.schema.json",
    ]
    for content in demo_api.values():
        assert content.endswith(b"}\n")
        assert not content.endswith(b"\n\n")


def test_members_json_is_exactly_members_api_in_its_documented_order(
    demo: tuple[Site, Scores], demo_api: dict[str, bytes]
) -> None:
    document = json.loads(demo_api["api/members.json"])
    assert document == members_api(*demo)
    assert list(document) == ["schema", "generated", "members"]
    assert document["schema"] == 2
    assert document["generated"] == "2026-11-27"
    ids = [m["id"] for m in document["members"]]
    assert ids == sorted(ids)
    assert len(ids) == sum(1 for m in demo[0].members.values() if m.status != "withdrawn")
    assert list(document["members"][0]) == [
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
    ]
    assert list(document["members"][0]["sides"]) == ["relationship", "deadlines", "payment"]


def test_members_json_is_indented_utf8_not_ascii_escaped(demo_api: dict[str, bytes]) -> None:
    content = demo_api["api/members.json"]
    assert content.startswith(b'{\n  "schema": 2,\n  "generated": "2026-11-27",\n  "members": [\n')
    assert "Boréal".encode() in content  # ensure_ascii=False: names stay readable


def test_demo_documents_validate_against_their_published_schemas(demo_api: dict[str, bytes]) -> None:
    for name in ("members", "engagements"):
        schema = json.loads(demo_api[f"api/{name}.schema.json"])
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["$id"] == f"https://demo.triangle.example/api/{name}.schema.json"
        assert errors_of(schema, json.loads(demo_api[f"api/{name}.json"])) == []


def test_schemas_are_strict(demo_api: dict[str, bytes]) -> None:
    members = json.loads(demo_api["api/members.json"])
    members["members"][0]["email"] = "leak@example.org"
    assert errors_of(members_schema(BASE_URL), members) == [
        "members/0: Additional properties are not allowed ('email' was unexpected)"
    ]
    engagements = json.loads(demo_api["api/engagements.json"])
    engagements["extra"] = 1
    engagements["engagements"][0]["client"] = {"id": None, "name": "Someone", "former_member": True}
    assert sorted(errors_of(engagements_schema(BASE_URL), engagements)) == [
        ": Additional properties are not allowed ('extra' was unexpected)",
        "engagements/0/client/name: None was expected",
    ]


def test_engagements_json_lists_every_engagement_by_id_with_its_status(
    demo: tuple[Site, Scores], demo_api: dict[str, bytes]
) -> None:
    site, scores = demo
    document = json.loads(demo_api["api/engagements.json"])
    assert list(document) == ["schema", "generated", "engagements"]
    entries = document["engagements"]
    assert [e["id"] for e in entries] == sorted(site.engagements)
    for entry in entries:
        engagement, status = site.engagements[entry["id"]], scores.engagements[entry["id"]]
        assert entry["status"] == status.status
        assert entry["client"] == {
            "id": engagement.client,
            "name": site.members[engagement.client].name,
            "former_member": False,
        }
        assert (entry["by_client"] is None) == (engagement.by_client is None)
        assert (entry["by_supplier"] is None) == (engagement.by_supplier is None)
        assert (entry["resolution"] is None) == (engagement.id not in site.resolutions)
    statuses = {e["status"] for e in entries}
    assert {"confirmed", "pending", "unconfirmed", "disputed", "resolved", "unattested"} <= statuses


def test_an_attestation_keeps_its_record_keys_and_the_state_of_each_side(demo_api: dict[str, bytes]) -> None:
    entries = json.loads(demo_api["api/engagements.json"])["engagements"]
    disputed = next(e for e in entries if e["status"] == "disputed" and e["by_supplier"]["disputes"] == [])
    client = disputed["by_client"]
    assert list(client) == [
        "date",
        "awaiting_reply",
        "delivery",
        "delivered",
        "quality",
        "relationship",
        "recommend",
        "comment",
        "reply",
        "disputes",
        "states",
        "withheld",
        "signed",
        "signature",
    ]
    supplier = disputed["by_supplier"]
    assert list(supplier)[:5] == ["date", "awaiting_reply", "payment", "paid", "relationship"]
    contested = set(client["disputes"])
    assert {side for side, state in supplier["states"].items() if state == "contested"} == contested


def test_the_exports_are_the_same_bytes_for_the_same_input() -> None:
    first = by_path(api_outputs(*scored(REPO)))
    second = by_path(api_outputs(*scored(REPO)))
    assert first == second


# ---------------------------------------------------------------------------- privacy


def test_a_withdrawn_member_is_a_nameless_former_member_without_their_words(site_factory: SiteFactory) -> None:
    site, scores = withdrawn_site(site_factory)
    outputs = by_path(api_outputs(site, scores))
    for path, content in outputs.items():
        if not path.endswith(".schema.json"):
            assert b"ines-moreau" not in content and "Inès".encode() not in content, path
    members = json.loads(outputs["api/members.json"])
    assert [m["id"] for m in members["members"]] == ["atelier-lumen", "claire-dubois"]
    entry = next(e for e in json.loads(outputs["api/engagements.json"])["engagements"] if e["id"] == "poster-series")
    assert entry["supplier"] == {"id": None, "name": None, "former_member": True}
    assert entry["client"]["former_member"] is False
    mine = entry["by_supplier"]
    assert "comment" not in mine and "reply" not in mine
    assert mine["withheld"] == ["comment", "reply"]
    assert mine["payment"] == "late" and mine["relationship"] == 4  # ratings about others stay
    assert entry["by_client"]["comment"] == "Clear planning and impeccable files."
    assert b"Paid 17 days late" not in outputs["api/engagements.json"]
    assert errors_of(engagements_schema(BASE_URL), json.loads(outputs["api/engagements.json"])) == []


def test_a_negative_statement_awaiting_reply_is_published_without_its_content(site_factory: SiteFactory) -> None:
    (site, scores), (site_without, scores_without) = awaiting_sites(site_factory)
    assert scores.engagements["rush-job"].by_client is not None
    assert scores.engagements["rush-job"].by_client.awaiting_reply
    outputs = by_path(api_outputs(site, scores))
    content = outputs["api/engagements.json"]
    assert b"SECRET-COMPLAINT" not in content
    entry = next(e for e in json.loads(content)["engagements"] if e["id"] == "rush-job")
    assert entry["status"] == "pending"
    assert entry["by_client"] == {
        "date": "2026-11-20",
        "awaiting_reply": True,
        "delivery": "awaiting_reply",
        "quality": "awaiting_reply",
        "relationship": "awaiting_reply",
        "recommend": "awaiting_reply",
        "disputes": [],
        "states": {"delivery": "awaiting_reply", "quality": "awaiting_reply", "relationship": "awaiting_reply"},
        "withheld": ["comment", "delivered", "reply"],
        "signed": False,
        "signature": None,
    }
    assert errors_of(engagements_schema(BASE_URL), json.loads(content)) == []
    # The score, and so members.json, does not move until the reply window closes.
    assert outputs["api/members.json"] == by_path(api_outputs(site_without, scores_without))["api/members.json"]


# --------------------------------------------------------------------------- escaping


def test_member_text_stays_text_and_never_opens_a_tag(site_factory: SiteFactory) -> None:
    site, scores = hostile_site(site_factory)
    outputs = by_path(api_outputs(site, scores))
    for path in ("api/members.json", "api/engagements.json"):
        content = outputs[path]
        assert b"<" not in content and b">" not in content and b"&" not in content, path
    names = {m["id"]: m["name"] for m in json.loads(outputs["api/members.json"])["members"]}
    assert names == XSS_NAMES
    entry = json.loads(outputs["api/engagements.json"])["engagements"][0]
    assert entry["title"] == XSS_TEXT and entry["summary"] == XSS_TEXT
    assert entry["by_client"]["comment"] == XSS_TEXT
    for name in ("members", "engagements"):
        assert errors_of(json.loads(outputs[f"api/{name}.schema.json"]), json.loads(outputs[f"api/{name}.json"])) == []


@pytest.mark.parametrize("text", ["<", ">", "&", "\u2028", "\u2029", '"</script>"', "\\u003c"])
def test_json_bytes_escapes_html_and_script_breakers_without_changing_the_data(text: str) -> None:
    content = json_bytes({"k<&>": text})
    assert json.loads(content) == {"k<&>": text}
    assert not set(content.decode()) & {"<", ">", "&", "\u2028", "\u2029"}


def test_engagements_document_is_built_from_the_model_not_from_files(demo: tuple[Site, Scores]) -> None:
    """Pure: calling it twice on the same objects gives equal documents and mutates nothing."""
    site, scores = demo
    before = dict(site.engagements)
    assert engagements_document(site, scores) == engagements_document(site, scores)
    assert dict(site.engagements) == before


@pytest.mark.parametrize(
    "items",
    [[], [{"name": "<b>Zoé</b> & co\u2028"}], [{"a": 1}, {"b": [1, 2]}, {"c": None}]],
    ids=["empty", "html", "3"],
)
def test_listing_bytes_is_the_same_data_one_item_per_line(items: list[dict[str, Any]]) -> None:
    content = listing_bytes({"schema": 1, "generated": TODAY}, "members", items)
    assert json.loads(content) == {"schema": 1, "generated": TODAY, "members": items}
    lines = content.decode("utf-8").splitlines()
    assert lines[:3] == ["{", '  "schema": 1,', f'  "generated": "{TODAY}",'] and lines[-1] == "}"
    assert len(lines) == (6 + len(items) if items else 5)
    assert not {"<", ">", "&", "\u2028"} & set(content.decode("utf-8"))
