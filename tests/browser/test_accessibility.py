"""axe-core finds no WCAG 2.1 A/AA or best-practice violation on any page type, in either language.

axe-core comes from npm, pinned in ``tests/browser/package.json`` (``npm ci --prefix
tests/browser``), so CI and every laptop run the same rules.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from ..conftest import require_tool
from .conftest import DESKTOP
from .support import AXE_JS, PageCase, Tab, page_cases

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CASES = page_cases()
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
RUN_AXE = """async (tags) => {
    const results = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
    return {version: axe.version, violations: results.violations};
}"""


def describe(violations: list[dict[str, Any]]) -> list[str]:
    """One line per violation and one per offending element, with axe's own help text."""
    lines: list[str] = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:8]:
            summary = " ".join((node.get("failureSummary") or "").split())
            lines.append(f"    at {json.dumps(node['target'])}: {node['html'][:160]}")
            if summary:
                lines.append(f"       {summary[:300]}")
        if len(v["nodes"]) > 8:
            lines.append(f"    … and {len(v['nodes']) - 8} more elements")
    return lines


@pytest.fixture(scope="session")
def axe_tab(chromium: Browser, demo_url: str) -> Iterator[Tab]:
    """A tab that may inject axe-core: the site's Content-Security-Policy forbids inline scripts."""
    require_tool(AXE_JS.is_file(), f"axe-core at {AXE_JS} (npm ci --prefix tests/browser)")
    context = chromium.new_context(viewport=DESKTOP, bypass_csp=True)
    try:
        yield Tab(context.new_page(), demo_url)
    finally:
        context.close()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_axe_reports_no_violation(axe_tab: Tab, case: PageCase) -> None:
    tab = axe_tab
    tab.visit(case.path)
    tab.page.add_script_tag(path=str(AXE_JS))
    result = tab.page.evaluate(RUN_AXE, AXE_TAGS)
    violations = result["violations"]
    assert not violations, "\n".join(
        [f"axe-core {result['version']} on {tab.current.url}: {len(violations)} violations", *describe(violations)]
    )
