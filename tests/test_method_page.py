"""The method page: a summary for visitors in their language, then the method, with this network's own numbers."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from generator.schema import default_scoring
from generator.views import SETTING_MARK, method_figures, with_figures

from .conftest import REPO
from .test_render import render

SCORING_MD = REPO / "docs" / "scoring.md"


def text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_document_read_as_a_file_shows_the_defaults_it_computes() -> None:
    """docs/scoring.md on GitHub shows defaults; each must be what the build would write for them."""
    figures = method_figures(default_scoring())
    document = SCORING_MD.read_text(encoding="utf-8")
    marks = list(SETTING_MARK.finditer(document))
    assert len(marks) > 40
    wrong = [(m[1], m[2], figures[m[1]]) for m in marks if figures[m[1]] != m[2]]
    assert wrong == []


def test_every_figure_comes_from_the_configured_settings(tmp_path: Path) -> None:
    root = tmp_path / "site"
    shutil.copytree(REPO / "tests" / "invalid" / "_base", root)
    with (root / "site.yml").open("a", encoding="utf-8") as handle:
        handle.write("scoring:\n  confidence_z: 1.28\n  half_life_days: 365\n  reliable_threshold: 0.6\n")
    pages = render(root)
    english = text(pages["en/method/index.html"].decode())
    french = text(pages["method/index.html"].decode())
    for page in (english, french):
        assert "1.645" not in page and "1,645" not in page and "1.96" not in page and "1,96" not in page
    assert "z = 1.28 (90 % confidence" in english
    assert "halves every 365 days" in english and "halves every 730 days" not in english
    assert "`reliable` from 0.6," in english or "reliable from 0.6," in english
    # The visitors' summary, in each language, with the same settings.
    assert "at least 60% of what was stated is positive" in english
    assert "au moins 60\u00a0% de ce qui a été déclaré est positif" in pages["method/index.html"].decode()
    assert "deux fois moins après 365 jours" in french
    # The summary comes first, the operators' settings last.
    assert french.index("En bref") < french.index("How the score works") < french.rindex("Pour les opérateurs")


def test_an_unknown_mark_is_refused() -> None:
    try:
        with_figures("z = <!--confidence_zz-->1.645", method_figures(default_scoring()))
    except KeyError as error:
        assert "confidence_zz" in str(error)
    else:
        raise AssertionError("an unknown mark was accepted")
