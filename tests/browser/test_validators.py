"""Standard validators agree the built site is well-formed: HTML, links and anchors, Atom, sitemap, JSON.

The Nu Html Checker and axe-core come pinned from npm (``tests/browser/package.json``);
LinkChecker, jsonschema and Playwright from the ``test`` extra.
"""

from __future__ import annotations

import importlib.util
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from ..conftest import require_tool
from .checkers import Job, LinkCheckerJob, linkchecker_rows
from .conftest import BUILD_DATE, BuiltSite
from .support import demo, format_lines, html_pages, page_url, parse_tags, strings_in

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


# --- the Nu Html Checker (started in the background at the beginning of the session) ----------


def test_nu_html_checker_reports_no_error(demo_site: BuiltSite, vnu_job: Job) -> None:
    pages = html_pages(demo_site.root)
    assert pages, "the site has no HTML page to validate"
    code, stdout, stderr = vnu_job.result()
    output = (stdout + stderr).replace(f"file:{demo_site.root}/", "").replace(str(demo_site.root) + "/", "")
    lines = [line for line in output.splitlines() if line.strip()]
    assert code == 0 and not lines, format_lines(
        f"the Nu Html Checker found {len(lines)} errors in {len(pages)} pages (exit {code}):",
        group_messages(lines),
    )


def group_messages(lines: list[str]) -> list[str]:
    """The same error on 60 pages is one problem: show each message once, with where it occurs."""
    places: dict[str, list[str]] = {}
    for line in lines:
        found = re.match(r'^"?(?P<file>[^"]*)"?:(?P<position>[\d.-]+): error: (?P<message>.*)$', line)
        if found:
            places.setdefault(found["message"], []).append(f"{found['file']}:{found['position']}")
        else:
            places.setdefault(line, [])
    return [
        f"{len(where)}× {message}\n      at {', '.join(w for w in where[:4] if w)}{' …' if len(where) > 4 else ''}"
        for message, where in sorted(places.items(), key=lambda item: -len(item[1]))
    ][:40]


# --- LinkChecker (started in the background too) -------------------------------------------------


def test_linkchecker_finds_no_broken_link_or_anchor(
    demo_site: BuiltSite, demo_url: str, linkchecker_job: LinkCheckerJob
) -> None:
    code, stdout, stderr = linkchecker_job.result()
    rows = linkchecker_rows(stdout)
    assert rows, f"LinkChecker produced no result (exit {code}):\n{stdout}\n{stderr}"
    pages = html_pages(demo_site.root)
    canary = linkchecker_job.canary
    canary_rows = [r for r in rows if r["url"].startswith(canary)]
    flagged = [r for r in canary_rows if "Anchor `absent'" in r["warningstring"]]
    assert len(flagged) == 1, "LinkChecker's AnchorCheck is not working: it missed the canary's broken anchor"

    site_rows = [r for r in rows if r not in canary_rows]
    checked = {r["url"] for r in site_rows if r["url"].startswith(demo_url)}
    assert len(checked) >= len(pages), f"LinkChecker checked only {len(checked)} URLs of {len(pages)} pages"
    broken = [
        f"{r['url']} (linked from {r['parentname'] or 'the start list'}, line {r['line']}): {r['result']}"
        for r in site_rows
        if r["valid"] != "True"
    ]
    anchors = [
        f"{r['url']} (linked from {r['parentname']}, line {r['line']}): {r['warningstring']}"
        for r in site_rows
        if "Anchor `" in r["warningstring"]
    ]
    other = [
        f"{r['url']}: {r['warningstring']}"
        for r in site_rows
        if r["warningstring"] and "Anchor `" not in r["warningstring"]
    ]
    problems = broken + anchors
    assert not problems, format_lines(
        f"{len(broken)} broken links and {len(anchors)} broken anchors over {len(checked)} URLs:",
        problems[:100] + (["other warnings:", *other[:20]] if other else []),
    )


# --- the Atom feed -----------------------------------------------------------------------------


def only(parent: ET.Element, tag: str, where: str) -> ET.Element:
    """The single child ``tag`` of ``parent``; fail with a clear message otherwise."""
    found = parent.findall(ATOM + tag)
    assert len(found) == 1, f"{where}: expected exactly one <{tag}>, found {len(found)}"
    return found[0]


def anchor_exists(site: Path, base_url: str, url: str) -> bool:
    """Whether an absolute URL under ``base_url`` names a built page (and, with a #fragment, an id in it)."""
    if not url.startswith(base_url):
        return False
    path, _, fragment = url[len(base_url) :].partition("#")
    file = site / path / "index.html" if path == "" or path.endswith("/") else site / path
    if not file.is_file():
        return False
    if not fragment:
        return True
    return any(a.get("id") == fragment for _, a in parse_tags(file.read_text(encoding="utf-8")).tags)


def test_atom_feed_is_valid_atom(demo_site: BuiltSite) -> None:
    feed_file = demo_site.root / "feed.xml"
    assert feed_file.is_file(), "the site has no feed.xml"
    root = ET.fromstring(feed_file.read_bytes())
    assert root.tag == ATOM + "feed", f"feed.xml's root is {root.tag}, expected {ATOM}feed"
    for tag in ("id", "title", "updated"):
        assert (only(root, tag, "<feed>").text or "").strip(), f"<feed>'s <{tag}> is empty"
    assert RFC3339.match(only(root, "updated", "<feed>").text or ""), "<feed><updated> is not an RFC 3339 date"
    links = root.findall(ATOM + "link")
    self_links = [link.get("href") for link in links if link.get("rel") == "self"]
    assert self_links == [demo_site.base_url + "feed.xml"], f"<feed>'s rel=self links: {self_links}"
    feed_has_author = root.find(ATOM + "author") is not None

    entries = root.findall(ATOM + "entry")
    assert entries, "the feed has no entry although the demo has confirmed engagements"
    ids: list[str] = []
    end_of_build_day = f"{BUILD_DATE.isoformat()}T23:59:59Z"
    for number, entry in enumerate(entries, 1):
        where = f"<entry> #{number}"
        entry_id = (only(entry, "id", where).text or "").strip()
        ids.append(entry_id)
        assert re.match(r"^(https?|tag|urn):", entry_id), f"{where}: <id> {entry_id!r} is not an absolute IRI"
        assert (only(entry, "title", where).text or "").strip(), f"{where}: empty <title>"
        updated = only(entry, "updated", where).text or ""
        assert RFC3339.match(updated), f"{where}: <updated> {updated!r} is not an RFC 3339 date"
        assert updated[:10] <= end_of_build_day[:10], f"{where}: <updated> {updated} is after the build date"
        assert feed_has_author or entry.find(ATOM + "author") is not None, f"{where}: no <author> (nor in <feed>)"
        alternates = [
            link.get("href", "") for link in entry.findall(ATOM + "link") if link.get("rel", "alternate") == "alternate"
        ]
        assert alternates or entry.find(ATOM + "content") is not None, f"{where}: neither a link nor <content>"
        for href in alternates:
            assert anchor_exists(demo_site.root, demo_site.base_url, href), (
                f"{where}: its link {href!r} does not name a page (and anchor) of the site"
            )
    assert len(set(ids)) == len(ids), "two feed entries share an <id>"


# --- sitemap.xml and robots.txt --------------------------------------------------------------


def is_error_page(relative_file: str) -> bool:
    """404 pages are not pages to index."""
    return relative_file.rsplit("/", 1)[-1] == "404.html"


def is_evidence_page(relative_file: str) -> bool:
    """A member's evidence page: its member page links to it, and the sitemap leaves it out (50,000 URLs at most)."""
    return relative_file.endswith("/evidence/index.html")


def test_sitemap_lists_every_page_with_absolute_urls(demo_site: BuiltSite) -> None:
    sitemap = demo_site.root / "sitemap.xml"
    assert sitemap.is_file(), "the site has no sitemap.xml"
    root = ET.fromstring(sitemap.read_bytes())
    assert root.tag == SITEMAP + "urlset", f"sitemap.xml's root is {root.tag}"
    locs = [(url.findtext(SITEMAP + "loc") or "").strip() for url in root.findall(SITEMAP + "url")]
    not_absolute = [loc for loc in locs if not loc.startswith(demo_site.base_url)]
    assert not not_absolute, f"sitemap URLs outside {demo_site.base_url}: {not_absolute[:10]}"
    duplicates = sorted({loc for loc in locs if locs.count(loc) > 1})
    assert not duplicates, f"sitemap lists these URLs more than once: {duplicates[:10]}"
    pages = html_pages(demo_site.root)
    assert any(is_evidence_page(p) for p in pages)
    expected = {demo_site.base_url + page_url(p) for p in pages if not is_error_page(p) and not is_evidence_page(p)}
    missing = sorted(expected - set(locs))
    extra = sorted(set(locs) - expected)
    assert not missing and not extra, format_lines(
        f"sitemap.xml differs from the built pages ({len(locs)} listed, {len(expected)} pages):",
        [*(f"missing {u}" for u in missing[:40]), *(f"not a page {u}" for u in extra[:40])],
    )

    robots = demo_site.root / "robots.txt"
    assert robots.is_file(), "the site has no robots.txt"
    lines = [line.strip() for line in robots.read_text(encoding="utf-8").splitlines()]
    assert f"Sitemap: {demo_site.base_url}sitemap.xml" in lines, f"robots.txt does not point to the sitemap: {lines}"


# --- the JSON API against its own schemas ---------------------------------------------------------


@pytest.mark.parametrize("name", ["members", "engagements"])
def test_api_json_validates_against_its_schema(demo_site: BuiltSite, name: str) -> None:
    require_tool(importlib.util.find_spec("jsonschema") is not None, "jsonschema (pip install jsonschema)")
    import jsonschema  # type: ignore[import-untyped,unused-ignore]
    from jsonschema.validators import validator_for  # type: ignore[import-untyped,unused-ignore]

    data_file = demo_site.root / "api" / f"{name}.json"
    schema_file = demo_site.root / "api" / f"{name}.schema.json"
    assert data_file.is_file(), f"the site has no api/{name}.json"
    assert schema_file.is_file(), f"the site has no api/{name}.schema.json"
    data = json.loads(data_file.read_text(encoding="utf-8"))
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    assert "$schema" in schema, f"api/{name}.schema.json does not declare its JSON Schema dialect ($schema)"
    validator_class = validator_for(schema)
    try:
        validator_class.check_schema(schema)
    except jsonschema.SchemaError as exc:
        pytest.fail(f"api/{name}.schema.json is not a valid schema: {exc.message} at {list(exc.path)}")
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    assert not errors, format_lines(
        f"api/{name}.json does not match its schema ({len(errors)} errors):",
        [f"at /{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in errors[:40]],
    )
    versions = (
        {k: v for k, v in data.items() if k in ("schema", "schema_version", "version")}
        if isinstance(data, dict)
        else {}
    )
    assert any(isinstance(v, int) for v in versions.values()), (
        f"api/{name}.json must be an object carrying its schema version as a number, got {str(data)[:200]}"
    )
    network = demo()
    ids = set(network.published) if name == "members" else set(network.engagements)
    missing = sorted(ids - strings_in(data))
    assert not missing, f"api/{name}.json does not mention {missing[:20]}"
