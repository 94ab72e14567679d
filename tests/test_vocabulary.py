"""The network's shared vocabulary: declared skills and regions, their labels, and what ``check`` says.

The site.yml errors (a missing label, a label in a language the site does not publish,
bad ids) and the ``--strict`` errors are in the invalid-case corpus (``tests/invalid/``);
here: the warnings without ``--strict``, the labels on the pages of each language,
``triangle init``'s starter list, and the scaffolding prompts.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from generator.cli import cli
from generator.config import SITE_FILE, parse_config
from generator.diagnostics import UsageError
from generator.load import load
from generator.newsite import STARTER_REGIONS, STARTER_SKILLS
from generator.vocabulary import REGION_NAMES, Vocabulary, closest

from .conftest import TODAY
from .test_render import html, make_site, render

BASE = Path(__file__).parent / "invalid" / "_base"

VOCABULARY = """
title: Base network for invalid cases
base_url: https://base.example/
languages: [fr, en]
coordinators: [claire-dubois]
skills:
  art-direction: {fr: Direction artistique, en: Art direction}
  branding: {fr: Identité de marque, en: Branding}
  graphic-design: {fr: Design graphique, en: Graphic design}
  illustration: Illustration
  motion-design: {fr: Motion design, en: Motion design}
  photography: {fr: Photographie, en: Photography}
  project-management: {fr: Gestion de projet, en: Project management}
regions:
  auvergne-rhone-alpes: Auvergne-Rhône-Alpes
  ile-de-france: {fr: Île-de-France, en: Paris Region}
"""


def invoke(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), input=stdin, catch_exceptions=False)
    return result.exit_code, result.output


def config(text: str) -> Vocabulary:
    return Vocabulary.of(parse_config(load(SITE_FILE, text.lstrip().encode())))


# ----------------------------------------------------------------------------- check


def test_check_warns_of_an_unknown_skill_and_region_at_their_position(tmp_path: Path) -> None:
    root = make_site(
        tmp_path,
        {
            "site.yml": VOCABULARY,
            "content/members/claire-dubois.yml": """
                name: Claire Dubois
                kind: person
                headline: Photographer and network coordinator
                region: ile-de-frnace
                skills: [photography, art-directoin, gestion-de-projet]
                joined: 2023-01-10
            """,
        },
    )
    path = "content/members/claire-dubois.yml"
    expected = (
        f"{path}:4:9: warning[unknown-region]: region 'ile-de-frnace' is not in the network's regions (site.yml) "
        "— did you mean 'ile-de-france'? Declare it in site.yml under regions, or use one of the declared regions\n"
        f"{path}:5:23: warning[unknown-skill]: skill 'art-directoin' is not in the network's skills (site.yml) "
        "— did you mean 'art-direction'? Declare it in site.yml under skills, or use one of the declared skills\n"
        f"{path}:5:38: warning[unknown-skill]: skill 'gestion-de-projet' is not in the network's skills (site.yml) "
        "— did you mean 'project-management'? Declare it in site.yml under skills, or use one of the declared skills\n"
        "3 warnings in 1 file.\n"
    )
    assert invoke("-C", str(root), "check", "--today", TODAY) == (0, expected)
    code, output = invoke("-C", str(root), "check", "--strict", "--today", TODAY)
    assert code == 1
    assert output == expected.replace("warning[", "error[").replace("3 warnings", "3 errors")


def test_without_a_declaration_any_skill_and_region_is_accepted(tmp_path: Path) -> None:
    root = make_site(tmp_path)
    members = root / "content" / "members" / "claire-dubois.yml"
    members.write_text(
        members.read_text(encoding="utf-8").replace("photography", "underwater-knitting"), encoding="utf-8"
    )
    assert invoke("-C", str(root), "check", "--strict", "--today", TODAY) == (0, "No problems found in 9 files.\n")


def test_a_declared_vocabulary_must_not_be_too_long() -> None:
    lines = "".join(f"  skill-{i}: Skill {i}\n" for i in range(501))
    text = f"title: T\nbase_url: https://t.example/\ncoordinators: [a]\nskills:\n{lines}"
    try:
        config(text)
    except UsageError as exc:
        assert [d.render() for d in exc.diagnostics] == [
            "site.yml:5:3: error[wrong-length]: 501 skills are declared here; at most 500 are allowed"
        ]
    else:
        raise AssertionError("501 skills were accepted")


# ----------------------------------------------------------------------------- labels


def test_labels_one_text_or_one_per_language_and_the_defaults_without_a_declaration() -> None:
    vocabulary = config(VOCABULARY)
    assert vocabulary.skill("project-management", "fr") == "Gestion de projet"
    assert vocabulary.skill("project-management", "en") == "Project management"
    assert vocabulary.skill("illustration", "en") == vocabulary.skill("illustration", "fr") == "Illustration"
    assert vocabulary.region("ile-de-france", "en") == "Paris Region"
    # An id nobody declared (a record check warned about) is still shown readably.
    assert vocabulary.skill("3d-modeling", "fr") == "3D modeling"
    bare = config("title: T\nbase_url: https://t.example/\ncoordinators: [a]\n")
    assert bare.skills is None and bare.regions is None
    assert bare.region("ile-de-france", "en") == "Île-de-France"
    assert bare.skill("seo", "fr") == "SEO"


def test_did_you_mean_matches_ids_then_labels() -> None:
    declared = config(VOCABULARY).skills
    assert declared is not None
    assert closest("motion-desing", declared) == "motion-design"
    assert closest("photographie", declared) == "photography"
    assert closest("identite-de-marque", declared) == "branding"
    assert closest("knitting", declared) is None


def test_pages_show_each_label_in_their_language(tmp_path: Path) -> None:
    root = make_site(tmp_path, {"site.yml": VOCABULARY})
    site = render(root)
    fr, en = html(site, "members/claire-dubois/index.html"), html(site, "en/members/claire-dubois/index.html")
    assert ">Photographie</a>" in fr and ">Direction artistique</a>" in fr and "Photography" not in fr
    assert ">Photography</a>" in en and ">Art direction</a>" in en and "Photographie" not in en
    assert ">Paris Region</a>" in en and "Paris Region" not in fr
    # Skill pages are titled and listed in the page's language, sorted by its labels.
    assert "<title>Compétence\u00a0: Identité de marque" in html(site, "skills/branding/index.html")
    assert "<title>Skill: Branding" in html(site, "en/skills/branding/index.html")
    listing_fr, listing_en = html(site, "skills/index.html"), html(site, "en/skills/index.html")
    order_fr = [listing_fr.index(f">{name}</a>") for name in ("Design graphique", "Identité de marque", "Photographie")]
    order_en = [listing_en.index(f">{name}</a>") for name in ("Branding", "Graphic design", "Photography")]
    assert order_fr == sorted(order_fr) and order_en == sorted(order_en)
    # The directory's filters and the engagement's skill line.
    assert '<option value="branding">Identité de marque (1)</option>' in html(site, "index.html")
    assert '<option value="branding">Branding (1)</option>' in html(site, "en/index.html")
    assert "Motion design" in html(site, "members/ines-moreau/index.html")
    assert "Skills: Motion design" in html(site, "en/members/ines-moreau/index.html")


def test_the_feed_names_skills_in_its_language(tmp_path: Path) -> None:
    vocabulary = VOCABULARY.replace(
        "motion-design: {fr: Motion design, en: Motion design}", "motion-design: {fr: Animation, en: Motion design}"
    )
    site = render(make_site(tmp_path, {"site.yml": vocabulary}))
    assert "Compétences\u00a0: Animation." in html(site, "feed.xml")
    assert "Skills: Motion design." in html(site, "en/feed.xml")


# ----------------------------------------------------------------------------- init and scaffolding


def test_init_writes_the_starter_vocabulary_in_the_chosen_languages(tmp_path: Path) -> None:
    for languages, name in ((["fr", "en"], "both"), (["en"], "english")):
        root = tmp_path / name
        flags = [arg for code in languages for arg in ("--language", code)]
        code, _ = invoke(
            "init", str(root), "--title", "Réseau", "--base-url", "https://n.example/",
            "--coordinator", "ada-lovelace", "--name", "Ada Lovelace", "--today", TODAY, *flags,
        )  # fmt: skip
        assert code == 0
        vocabulary = Vocabulary.of(parse_config(load(SITE_FILE, (root / "site.yml").read_bytes())))
        assert vocabulary.skills is not None and vocabulary.regions is not None
        assert list(vocabulary.skills) == [term for term, _, _ in STARTER_SKILLS]
        assert list(vocabulary.regions) == [term for term, _, _ in STARTER_REGIONS] == sorted(REGION_NAMES)
        assert vocabulary.region("bretagne", languages[-1]) == ("Brittany" if "en" in languages else "Bretagne")
        assert invoke("-C", str(root), "check", "--strict", "--today", TODAY) == (0, "No problems found in 1 file.\n")
        assert invoke("-C", str(root), "fmt", "--check")[0] == 0  # written as `triangle fmt` would
    assert 20 <= len(STARTER_SKILLS) <= 30
    text = (tmp_path / "both" / "site.yml").read_text(encoding="utf-8")
    assert "  project-management: {fr: Gestion de projet, en: Project management}\n" in text
    assert "This is a starter list: add your network's trades" in text
    assert "  project-management: Project management\n" in (tmp_path / "english" / "site.yml").read_text("utf-8")


def test_new_member_and_engagement_offer_and_enforce_the_declared_values(tmp_path: Path) -> None:
    root = tmp_path / "site"
    shutil.copytree(BASE, root)
    (root / "site.yml").write_text(VOCABULARY.lstrip(), encoding="utf-8")
    flags = ["--name", "Léa", "--kind", "person", "--headline", "Graphiste", "--today", TODAY]
    code, output = invoke(
        "-C", str(root), "new", "member", "lea", *flags, "--region", "lyon", "--skills", "brandin, knitting"
    )
    assert code == 2
    assert output == (
        "error: \n"
        "  --region: region 'lyon' is not in the network's regions (site.yml) — choose among auvergne-rhone-alpes, "
        "ile-de-france, or declare it in site.yml under regions first\n"
        "  --skills: skill 'brandin' is not in the network's skills (site.yml) (did you mean 'branding'?); "
        "skill 'knitting' is not in the network's skills (site.yml) — choose among art-direction, branding, "
        "graphic-design, illustration, motion-design, photography, project-management, or declare it in site.yml "
        "under skills first\n"
    )
    answers = "Léa\nperson\nGraphiste\nile-de-frnace\nile-de-france\n\nbranding\n\n\n\n"
    code, output = invoke("-C", str(root), "new", "member", "lea", "--interactive", "--today", TODAY, stdin=answers)
    assert code == 0, output
    assert "Region (a slug, e.g. ile-de-france); one of: auvergne-rhone-alpes, ile-de-france: " in output
    assert (
        "Error: region 'ile-de-frnace' is not in the network's regions (site.yml) (did you mean 'ile-de-france'?)"
        in output
    )
    assert "region: ile-de-france\n" in (root / "content" / "members" / "lea.yml").read_text(encoding="utf-8")
    code, output = invoke(
        "-C", str(root), "new", "engagement", "--client", "atelier-lumen", "--supplier", "ines-moreau",
        "--title", "Poster", "--skills", "motion-desing", "--started", "2026-01-05", "--today", TODAY,
    )  # fmt: skip
    assert (code, output) == (
        2,
        "error: --skills: skill 'motion-desing' is not in the network's skills (site.yml) (did you mean "
        "'motion-design'?) — choose among art-direction, branding, graphic-design, illustration, motion-design, "
        "photography, project-management, or declare it in site.yml under skills first\n",
    )
