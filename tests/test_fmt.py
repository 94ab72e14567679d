"""``triangle fmt``: canonical records, comments kept, nothing lost, nothing rewritten blindly."""

from __future__ import annotations

import errno
import os
import shutil
import textwrap
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator import fmt, safe_write
from generator.cli import cli
from generator.discover import discover
from generator.fmt import canonical, comments
from generator.load import ScalarNode, load
from generator.schema import ATTESTATION, MEMBER, RECORDS, SITE

from .conftest import REPO, TODAY, SiteFactory

BASE = Path(__file__).parent / "invalid" / "_base"
MESSY = textwrap.dedent(
    """\
    # yaml-language-server: $schema=../../schemas/member.schema.json
    # Léa's record.

    kind: 'person'   # a person, not a studio
    skills:
    - poster-design
    - graphic-design
    # She joined after the spring fair.
    joined: "2024-3-2"
    name: "Léa Girard"
    headline: 'Graphiste : identités'
    region: ile-de-france
    location: "no"
    links: {website: https://lea.example.org/}
    # Her portfolio is online since 2015.
    bio: |
      # Portfolio
      Posters and identities.
    """
)
CANONICAL = textwrap.dedent(
    """\
    # yaml-language-server: $schema=../../schemas/member.schema.json
    # Léa's record.

    name: Léa Girard
    kind: person     # a person, not a studio
    headline: "Graphiste : identités"
    region: ile-de-france
    location: "no"
    skills: [poster-design, graphic-design]
    # She joined after the spring fair.
    joined: 2024-03-02
    links:
      website: https://lea.example.org/
    # Her portfolio is online since 2015.
    bio: |
      # Portfolio
      Posters and identities.
    """
)
LEA = "content/members/lea-girard.yml"


@pytest.fixture
def site(site_factory: SiteFactory) -> Path:
    return site_factory({LEA: MESSY}, base=BASE)


def run(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["-C", str(root), *args], catch_exceptions=False)


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_fmt_orders_keys_quotes_dates_and_keeps_every_comment(site: Path) -> None:
    result = run(site, "fmt")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"reformatted {LEA}\n"
    assert result.stderr == "Reformatted 1 of 11 files.\n"
    assert (site / LEA).read_text(encoding="utf-8") == CANONICAL
    check = run(site, "check", "--strict", "--today", TODAY)
    assert check.exit_code == 0, check.output


def test_check_lists_what_would_change_and_writes_nothing(site: Path) -> None:
    before = tree(site)
    result = run(site, "fmt", "--check")
    assert result.exit_code == 1
    assert result.stdout == f"{LEA}:1:1: not in canonical form; run triangle fmt\n"
    assert result.stderr == "1 of 11 files would be reformatted.\n"
    assert tree(site) == before
    assert run(site, "fmt").exit_code == 0
    again = run(site, "fmt", "--check")
    assert again.exit_code == 0
    assert again.stdout == ""
    assert again.stderr == "11 files in canonical form.\n"


def test_a_canonical_site_is_left_byte_for_byte_alone(site_factory: SiteFactory) -> None:
    root = site_factory(base=BASE)
    before = tree(root)
    stats = {p: (root / p).stat().st_mtime_ns for p in before}
    result = run(root, "fmt")
    assert result.exit_code == 0
    assert result.stderr == "10 files already canonical.\n"
    assert tree(root) == before
    assert {p: (root / p).stat().st_mtime_ns for p in before} == stats


def test_paths_select_files_and_folders(site: Path) -> None:
    one = run(site, "fmt", "--check", str(site / "content/engagements"))
    assert one.exit_code == 0
    assert one.stderr == "5 files in canonical form.\n"
    outside = run(site, "fmt", str(site.parent))
    assert outside.exit_code == 2
    assert "is not inside the site folder" in outside.output
    (site / "content/notes.txt").write_text("hello\n", encoding="utf-8")
    stray = run(site, "fmt", str(site / "content/notes.txt"))
    assert stray.exit_code == 2
    assert "holds no record file: triangle fmt formats site.yml and the records under content/" in stray.output


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("name: [unclosed\n", "content/members/lea-girard.yml:2:1: error[yaml-syntax]: "),
        ("name: A\nname: B\n", "content/members/lea-girard.yml:2:1: error[yaml-duplicate-key]: "),
        ("name: &a A\nbio: *a\n", "content/members/lea-girard.yml:1:7: error[yaml-anchor]: "),
        ("", "content/members/lea-girard.yml:1:1: error[yaml-empty]: "),
    ],
)
def test_invalid_yaml_is_reported_and_never_rewritten(site: Path, text: str, first: str) -> None:
    (site / LEA).write_text(text, encoding="utf-8")
    before = tree(site)
    result = run(site, "fmt")
    assert result.exit_code == 1
    assert result.stdout.startswith(first)
    assert result.stderr == "11 files already canonical; 1 could not be formatted.\n"
    assert tree(site) == before


def test_a_file_edited_between_read_and_write_is_left_alone(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = fmt.canonical
    edited = "name: Léa\n# saved by her editor while fmt ran\n"

    def edit_meanwhile(path: str, data: bytes, record: object) -> fmt.Canonical:
        result = real(path, data, record)  # type: ignore[arg-type]
        if path == LEA:
            (site / LEA).write_text(edited, encoding="utf-8")
        return result

    monkeypatch.setattr(fmt, "canonical", edit_meanwhile)
    result = run(site, "fmt")
    assert result.exit_code == 1
    assert result.stdout == (
        f"{LEA}:1:1: error[file-changed]: {LEA} changed on disk since Triangle read it; nothing was written "
        "(run the command again)\n"
    )
    assert (site / LEA).read_text(encoding="utf-8") == edited


def test_same_size_and_time_but_other_bytes_is_a_change(tmp_path: Path) -> None:
    target = tmp_path / "record.yml"
    target.write_bytes(b"name: A\n")
    snapshot = safe_write.read(target, "record.yml")
    stat = target.stat()
    target.write_bytes(b"name: B\n")
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    with pytest.raises(safe_write.FileChanged):
        safe_write.write(snapshot, b"name: C\n")
    assert target.read_bytes() == b"name: B\n"


@pytest.mark.parametrize("failing", ["fsync", "replace", "write"])
def test_a_failing_disk_never_loses_a_byte(site: Path, monkeypatch: pytest.MonkeyPatch, failing: str) -> None:
    original = (site / LEA).read_bytes()

    def no_space(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    if failing == "write":
        monkeypatch.setattr(safe_write.os, "fdopen", lambda *a, **k: _FailingFile())
    else:
        monkeypatch.setattr(safe_write.os, failing, no_space)
    result = run(site, "fmt", str(site / LEA))
    assert result.exit_code == 1
    assert result.stdout == (
        f"{LEA}:1:1: error[write-failed]: cannot write {LEA}: No space left on device; the file was left as it was\n"
    )
    assert (site / LEA).read_bytes() == original
    assert sorted(p.name for p in (site / LEA).parent.iterdir()) == [
        "atelier-lumen.yml",
        "claire-dubois.yml",
        "ines-moreau.yml",
        "lea-girard.yml",
    ]


class _FailingFile:
    def __enter__(self) -> _FailingFile:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def write(self, data: bytes) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_links_are_never_followed(site: Path, tmp_path: Path) -> None:
    outside = tmp_path / "hostname"
    outside.write_text("kind: x\nname: y\n", encoding="utf-8")
    link = site / "content/members/linked.yml"
    link.symlink_to(outside)
    result = run(site, "fmt")
    assert outside.read_text(encoding="utf-8") == "kind: x\nname: y\n"
    assert "linked.yml" not in result.output
    named = run(site, "fmt", str(link))
    assert named.exit_code == 2
    assert "is a symbolic link; Triangle never follows links" in named.output
    with pytest.raises(safe_write.WriteError, match="is a symbolic link"):
        safe_write.read(link, "content/members/linked.yml")


def test_nested_keys_are_ordered_with_their_comments() -> None:
    text = (
        "title: T\nscoring:\n  # about z\n  confidence_z: 1.28\n  # about half\n  half_life_days: 400\n"
        "base_url: https://x.example/\ncoordinators: [a]\n"
    )
    result = canonical("site.yml", text.encode(), SITE)
    assert result.text == (
        "title: T\nbase_url: https://x.example/\ncoordinators: [a]\nscoring:\n"
        "  # about half\n  half_life_days: 400\n  # about z\n  confidence_z: 1.28\n"
    )


def test_quotes_that_change_meaning_are_kept() -> None:
    text = 'recommend: "true"\nquality: "5"\ndate: 2026-01-02\nrelationship: 4\ncomment: on\n'
    result = canonical("a.yml", text.encode(), ATTESTATION)
    assert result.text == 'date: 2026-01-02\nquality: "5"\nrelationship: 4\nrecommend: "true"\ncomment: "on"\n'


def _corpus() -> list[tuple[str, Path]]:
    files = [(f.kind, REPO / f.path) for f in discover(REPO).files]
    files.append(("site", REPO / "site.yml"))
    for case in sorted((REPO / "tests" / "invalid").iterdir()):
        files.extend((kind, path) for kind, path in _kinds(case))
    return files


def _kinds(case: Path) -> list[tuple[str, Path]]:
    if not (case / "content").is_dir():
        return []
    return [(f.kind, case / f.path) for f in discover(case).files if not (case / f.path).is_symlink()]


def test_fmt_is_idempotent_and_faithful_on_every_known_record() -> None:
    """The demo network and the invalid-case corpus: formatted once, stable, or refused with a reason."""
    refused = 0
    for kind, path in _corpus():
        data = path.read_bytes()
        first = canonical(str(path), data, RECORDS[kind])
        if first.text is None:
            assert first.diagnostics, path
            refused += 1
            continue
        second = canonical(str(path), first.text.encode(), RECORDS[kind])
        assert second.text == first.text, path
        assert comments(first.text) == comments(data.decode()), path
    assert refused < 80


def test_the_formatted_demo_network_is_still_valid(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    shutil.copytree(REPO / "content", root / "content")
    shutil.copy(REPO / "site.yml", root / "site.yml")
    assert run(root, "fmt").exit_code == 0
    assert run(root, "fmt", "--check").exit_code == 0
    check = run(root, "check", "--strict", "--today", TODAY)
    assert check.exit_code == 0, check.output


# -- property: any hand-written variation of a record formats to a stable, faithful form ----------

SKILLS = st.lists(
    st.sampled_from(["design", "motion-design", "3d", "photo", "no"]), min_size=1, max_size=4, unique=True
)
TEXT = st.text(alphabet=st.sampled_from(list("ab é:#'\"-,[]{}!?&*%@`|>0123456789")), min_size=1, max_size=30).filter(
    lambda s: s.strip() == s and s.strip() != ""
)


def _scalar(draw: st.DrawFn, value: str) -> str:
    style = draw(st.sampled_from(["plain", "single", "double"]))
    if style == "single" or (style == "plain" and not _plain_ok(value)):
        return "'" + value.replace("'", "''") + "'"
    if style == "double":
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return value


def _plain_ok(value: str) -> bool:
    loaded = load("x", f"k: {value}\n".encode())
    if loaded.root is None or loaded.diagnostics:
        return False
    node = loaded.root.items[0][1]
    return isinstance(node, ScalarNode) and node.plain and node.value == value and value[0] not in "-?:#"


@st.composite
def member_texts(draw: st.DrawFn) -> str:
    skills = draw(SKILLS)
    flow = draw(st.booleans())
    listed = (
        "[" + ", ".join(skills) + "]"
        if flow
        else "\n" + "".join(f"  - {_scalar(draw, s)}\n" for s in skills).rstrip("\n")
    )
    entries = {
        "name": _scalar(draw, draw(TEXT)),
        "kind": _scalar(draw, draw(st.sampled_from(["person", "organisation"]))),
        "headline": _scalar(draw, draw(TEXT)),
        "region": "ile-de-france",
        "skills": listed,
        "joined": draw(st.sampled_from(["2024-03-02", '"2024-03-02"', "2024-3-2", "'2024-03-02'"])),
    }
    if draw(st.booleans()):
        entries["bio"] = "|\n  Some *Markdown*.\n  # not a comment\n"
    order = draw(st.permutations(list(entries)))
    lines = ["# yaml-language-server: $schema=../../schemas/member.schema.json\n"] if draw(st.booleans()) else []
    for index, key in enumerate(order):
        if draw(st.booleans()):
            lines.append("\n" if draw(st.booleans()) else "")
            lines.append(f"# before {key} {index}\n")
        value = entries[key]
        eol = f"  # after {key}" if draw(st.booleans()) and "\n" not in value else ""
        lines.append(f"{key}: {value}{eol}\n" if not value.endswith("\n") else f"{key}: {value}")
    if draw(st.booleans()):
        lines.append("\n# the end\n")
    return "".join(lines)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(member_texts())
def test_any_hand_written_member_formats_stably(text: str) -> None:
    first = canonical("m.yml", text.encode(), MEMBER)
    assert first.text is not None, [d.render() for d in first.diagnostics]
    assert canonical("m.yml", first.text.encode(), MEMBER).text == first.text
    assert comments(first.text) == comments(text)
    keys = [line.split(":")[0] for line in first.text.splitlines() if line[:1].isalpha()]
    declared = [f.name for f in MEMBER.fields]
    assert keys == sorted(keys, key=declared.index)
    for line in first.text.splitlines():
        # A comment above the first key stays at the top of the file; the others follow their key.
        if line.startswith("# before ") and not line.endswith(" 0"):
            key = line.split()[2]
            following = first.text.split(line + "\n", 1)[1]
            assert following.lstrip().startswith(("# before", f"{key}:")), (line, first.text)


@pytest.mark.parametrize(
    ("sabotage", "reason"),
    [
        (lambda text: text.replace("Léa Girard", "Lea Girard"), "the rewritten file would hold different values"),
        (lambda text: text.replace("# Her portfolio is online since 2015.\n", ""), "would lose or alter a comment"),
    ],
)
def test_an_unfaithful_rewrite_is_refused_and_the_file_kept(
    site: Path, monkeypatch: pytest.MonkeyPatch, sabotage: Any, reason: str
) -> None:
    # Simulate a formatter bug (such as ruamel.yaml once turning +33612345678 into a
    # number): whatever the dump produces is checked against the original before writing.
    import generator.fmt as fmt_module

    real_difference = fmt_module._difference

    def sabotaged(path: str, before: Any, root: Any, after: str, record: Any) -> Any:
        return real_difference(path, before, root, sabotage(after), record)

    monkeypatch.setattr(fmt_module, "_difference", sabotaged)
    before = (site / LEA).read_bytes()
    result = run(site, "fmt")
    assert result.exit_code == 1
    assert f"{LEA}:1:1: error[format-unsafe]: cannot put this file in canonical form safely: " in result.output
    assert reason in result.output
    assert (site / LEA).read_bytes() == before


def test_the_demo_network_is_in_canonical_form() -> None:
    # What the pre-commit hook 'triangle-fmt' and a network's CI would run on it.
    result = run(REPO, "fmt", "--check")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
