"""Reading record files: what folder cases cannot carry, asserted exactly.

Special files (links, pipes, huge files), hostile YAML (deep nesting, "billion laughs"),
YAML 1.1 look-alikes that must stay text, Unicode normalisation and character columns.
Each test states the exact message a member would see.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from click.testing import CliRunner

from generator import load as load_module
from generator.check import check_site
from generator.cli import cli
from generator.diagnostics import Diagnostic
from generator.fields import Context
from generator.load import MappingNode, Node, RefusedNode, ScalarNode, SequenceNode, load, load_file
from generator.schema import ATTESTATION, MEMBER

from .conftest import TODAY, SiteFactory

BASE = Path(__file__).parent / "invalid" / "_base"
BUILD_DATE = dt.date.fromisoformat(TODAY)
MEMBER_PATH = "content/members/claire-dubois.yml"
CLAIRE = (BASE / MEMBER_PATH).read_text(encoding="utf-8")
SR_CLIENT = "content/engagements/2026/site-refresh/atelier-lumen.yml"
T = TypeVar("T")

LINK_IN_CONTENT = (
    "this is a symbolic link; Triangle never follows links in content/ (replace it with the real file or folder)"
)
SPECIAL_IN_CONTENT = "this is not a regular file or folder; remove it"
LINK_FILE = (
    "this is a symbolic link; records must be plain files in the repository (replace the link with the file itself)"
)
NOT_REGULAR = "this is not a regular file; records must be plain files"
TOO_LARGE = "this file is larger than 256 KiB; a record is a few lines of text (shorten the text fields)"
TOO_DEEP = "values are nested deeper than any record allows (4 levels); check the indentation"
NO_CONTENT = "there is no content/ folder here; run Triangle from the site's folder (or pass -C DIR)"


def rendered(diagnostics: Iterable[Diagnostic]) -> list[str]:
    """Diagnostics as the lines ``triangle check`` prints."""
    return [d.render() for d in diagnostics]


def check_lines(root: Path) -> list[str]:
    """Every problem ``check_site`` finds in ``root``, as printed lines."""
    return rendered(check_site(root, BUILD_DATE).diagnostics)


def run_check(root: Path) -> tuple[int, str]:
    """Run ``triangle check`` through the CLI, as CI does."""
    result = CliRunner().invoke(cli, ["-C", str(root), "check", "--today", TODAY], catch_exceptions=False)
    return result.exit_code, result.output


def with_line(text: str, line: str) -> str:
    """``text`` with the line of the same key replaced by ``line`` (appended when absent)."""
    key = line.split(":", 1)[0] + ":"
    lines = text.splitlines()
    replaced = [line if old.startswith(key) else old for old in lines]
    if replaced == lines:
        replaced.append(line)
    return "\n".join(replaced) + "\n"


def convert_member(text: str) -> tuple[dict[str, Any], list[str]]:
    """Load and convert a member record; its values and every problem, as printed lines."""
    loaded = load(MEMBER_PATH, text.encode("utf-8"))
    assert loaded.root is not None, rendered(loaded.diagnostics)
    ctx = Context(MEMBER_PATH)
    converted = MEMBER.convert_record(loaded.root, ctx)
    assert converted is not None
    return converted.values, rendered(loaded.diagnostics) + rendered(ctx.problems)


def scalars(node: Node) -> list[str]:
    """Every scalar value in a loaded tree, keys included."""
    if isinstance(node, ScalarNode):
        return [node.value]
    if isinstance(node, SequenceNode):
        return [value for item in node.items for value in scalars(item)]
    if isinstance(node, RefusedNode):
        return []
    return [value for key, item in node.items for value in [key.value, *scalars(item)]]


def finishes(action: Callable[[], T], seconds: float = 10.0) -> T:
    """Run ``action`` in a thread and fail (instead of hanging the suite) if it blocks."""
    outcome: list[T] = []
    thread = threading.Thread(target=lambda: outcome.append(action()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds} s: it blocked"
    assert outcome, "the action raised; see the thread's traceback above"
    return outcome[0]


# -- special files ---------------------------------------------------------------------


def test_symlink_to_a_system_file_is_refused_and_never_read(site_factory: SiteFactory, tmp_path: Path) -> None:
    root = site_factory(base=BASE)
    secret = tmp_path / "secret.txt"
    secret.write_text("name: TOP-SECRET-7f3a\n", encoding="utf-8")
    (root / "content/members/hostname.yml").symlink_to("/etc/hostname")
    (root / "content/members/secret.yml").symlink_to(secret)

    code, output = run_check(root)

    assert (code, output) == (
        1,
        f"content/members/hostname.yml:1:1: error[file-not-regular]: {LINK_IN_CONTENT}\n"
        f"content/members/secret.yml:1:1: error[file-not-regular]: {LINK_IN_CONTENT}\n"
        "2 errors in 2 files.\n",
    )
    assert "TOP-SECRET" not in output
    hostname = Path("/etc/hostname")
    content = hostname.read_text(encoding="utf-8", errors="replace").strip() if hostname.is_file() else ""
    if len(content) >= 8:  # a shorter name could appear in the output by chance
        assert content not in output


def test_load_file_refuses_a_symlink_without_reading_it(tmp_path: Path) -> None:
    secret = tmp_path / "secret.yml"
    secret.write_text("name: TOP-SECRET-7f3a\n", encoding="utf-8")
    link = tmp_path / "member.yml"
    link.symlink_to(secret)

    loaded = load_file("content/members/member.yml", link)

    assert loaded.root is None
    assert rendered(loaded.diagnostics) == [f"content/members/member.yml:1:1: error[file-not-regular]: {LINK_FILE}"]


def test_symlinked_engagement_folder_is_refused(site_factory: SiteFactory, tmp_path: Path) -> None:
    root = site_factory(base=BASE)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "engagement.yml").write_text("title: TOP-SECRET-7f3a\n", encoding="utf-8")
    (root / "content/engagements/2026/linked").symlink_to(outside, target_is_directory=True)

    code, output = run_check(root)

    assert (code, output) == (
        1,
        f"content/engagements/2026/linked:1:1: error[file-not-regular]: {LINK_IN_CONTENT}\n1 error in 1 file.\n",
    )


def test_symlinked_content_folder_counts_as_missing(site_factory: SiteFactory, tmp_path: Path) -> None:
    root = site_factory({"site.yml": (BASE / "site.yml").read_text(encoding="utf-8")})
    (root / "content").symlink_to(BASE / "content", target_is_directory=True)

    assert check_lines(root)[0] == f"content:1:1: error[missing-content]: {NO_CONTENT}"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need POSIX")
def test_fifo_is_refused_without_blocking(site_factory: SiteFactory) -> None:
    root = site_factory(base=BASE)
    fifo = root / "content/members/pipe.yml"
    os.mkfifo(fifo)

    lines = finishes(lambda: check_lines(root))
    loaded = finishes(lambda: load_file("content/members/pipe.yml", fifo))

    assert lines == [f"content/members/pipe.yml:1:1: error[file-not-regular]: {SPECIAL_IN_CONTENT}"]
    assert rendered(loaded.diagnostics) == [f"content/members/pipe.yml:1:1: error[file-not-regular]: {NOT_REGULAR}"]


def test_folder_named_like_a_record_is_reported(site_factory: SiteFactory) -> None:
    root = site_factory(base=BASE)
    (root / "content/members/x.yml").mkdir()

    assert check_lines(root) == [
        "content/members/x.yml:1:1: error[unexpected-file]: unexpected folder 'x.yml': "
        "members/ holds one <member-id>.yml file per member"
    ]
    loaded = load_file("content/members/x.yml", root / "content/members/x.yml")
    assert rendered(loaded.diagnostics) == [f"content/members/x.yml:1:1: error[file-not-regular]: {NOT_REGULAR}"]


@pytest.mark.parametrize("size", [300 * 1024, 10 * 1024 * 1024], ids=["300KiB", "10MB"])
def test_huge_file_is_refused_quickly(site_factory: SiteFactory, size: int) -> None:
    data = CLAIRE.encode() + b"bio: |\n" + b"  " + b"x" * size + b"\n"
    root = site_factory({MEMBER_PATH: data}, base=BASE)

    started = time.monotonic()
    lines = check_lines(root)

    assert lines == [f"{MEMBER_PATH}:1:1: error[file-too-large]: {TOO_LARGE}"]
    assert time.monotonic() - started < 5


def test_largest_allowed_file_is_read() -> None:
    data = CLAIRE.encode() + b"# " + b"x" * (load_module.MAX_FILE_BYTES - len(CLAIRE) - 3) + b"\n"
    assert len(data) == load_module.MAX_FILE_BYTES

    values, problems = convert_member(data.decode())

    assert problems == []
    assert values["name"] == "Claire Dubois"


def test_missing_file_is_unreadable(tmp_path: Path) -> None:
    loaded = load_file("content/members/gone.yml", tmp_path / "gone.yml")

    assert rendered(loaded.diagnostics) == [
        "content/members/gone.yml:1:1: error[file-unreadable]: cannot read this file: No such file or directory"
    ]


def test_permission_denied_is_unreadable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests may run as root, where chmod 000 still reads: refuse the open itself instead.
    target = tmp_path / "locked.yml"
    target.write_text(CLAIRE, encoding="utf-8")
    real_open = os.open

    def refusing_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if Path(path) == target:
            raise PermissionError(13, "Permission denied")
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refusing_open)
    loaded = load_file("content/members/locked.yml", target)

    assert rendered(loaded.diagnostics) == [
        "content/members/locked.yml:1:1: error[file-unreadable]: cannot read this file: Permission denied"
    ]


def test_missing_content_folder(site_factory: SiteFactory) -> None:
    root = site_factory({"site.yml": (BASE / "site.yml").read_text(encoding="utf-8")})

    code, output = run_check(root)

    assert code == 1
    assert output.startswith(f"content:1:1: error[missing-content]: {NO_CONTENT}\n")


def test_content_that_is_a_file_counts_as_missing(site_factory: SiteFactory) -> None:
    root = site_factory({"site.yml": (BASE / "site.yml").read_text(encoding="utf-8"), "content": "not a folder\n"})

    assert check_lines(root)[0] == f"content:1:1: error[missing-content]: {NO_CONTENT}"


def test_windows_reserved_names_are_not_member_ids(site_factory: SiteFactory) -> None:
    # Written here rather than in tests/invalid/: files named con.yml or aux.yml would make
    # this repository impossible to check out on Windows.
    names = ["aux", "com1", "con", "nul"]
    member = (BASE / "content/members/claire-dubois.yml").read_text(encoding="utf-8")
    root = site_factory({f"content/members/{name}.yml": member for name in names}, base=BASE)

    assert check_lines(root) == [
        f"content/members/{name}.yml:1:1: error[invalid-id]: {name!r} is a reserved file name on Windows "
        "and cannot be a member id; rename the file"
        for name in names
    ]


# -- hostile YAML ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "position"),
    [
        (b"[" * 1000, "1:5"),
        (b"[" * 100_000, "1:5"),
        (b"skills: " + b"[" * 100_000 + b"]" * 100_000, "1:12"),
        (b"- " * 100_000 + b"x", "1:9"),
        (b"".join(b" " * i + b"a:\n" for i in range(1000)), "5:5"),
    ],
    ids=["1000-flow", "100000-flow", "100000-closed", "100000-block", "1000-mappings"],
)
def test_deep_nesting_stops_early(data: bytes, position: str) -> None:
    loaded = load(MEMBER_PATH, data)

    assert loaded.root is None
    assert rendered(loaded.diagnostics) == [f"{MEMBER_PATH}:{position}: error[yaml-too-deep]: {TOO_DEEP}"]


BILLION_LAUGHS = (
    b'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    b"b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    b"c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    b"d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    b"e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    b"f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
    b"g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
    b"h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
    b"i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n"
)
"""The classic exponential-expansion document: 9 levels of 9 aliases each, 342 bytes."""


def test_billion_laughs_is_refused_without_expansion() -> None:
    assert len(BILLION_LAUGHS) == 342

    started = time.monotonic()
    loaded = load(MEMBER_PATH, BILLION_LAUGHS)

    assert time.monotonic() - started < 1
    codes = {d.code for d in loaded.diagnostics}
    assert codes == {"yaml-anchor"}
    assert len(loaded.diagnostics) == 9 + 8 * 9  # every anchor and every alias, once
    assert rendered(loaded.diagnostics)[:3] == [
        f"{MEMBER_PATH}:1:4: error[yaml-anchor]: YAML anchors ('&a') are not allowed in records; "
        "write each value out in full",
        f"{MEMBER_PATH}:2:4: error[yaml-anchor]: YAML anchors ('&b') are not allowed in records; "
        "write each value out in full",
        f"{MEMBER_PATH}:2:8: error[yaml-anchor]: YAML aliases ('*a') are not allowed in records; "
        "write the value out in full",
    ]
    assert loaded.root is not None
    assert scalars(loaded.root).count("lol") == 9


def test_huge_integer_is_a_clean_number_error(site_factory: SiteFactory) -> None:
    attestation = "date: 2026-04-02\ndelivery: on_time\nquality: " + "9" * 5000 + "\nrelationship: 5\nrecommend: true\n"
    root = site_factory({SR_CLIENT: attestation}, base=BASE)

    assert check_lines(root) == [
        f"{SR_CLIENT}:3:10: error[invalid-number]: expected a whole number from 1 to 5 (got '{'9' * 40}…')"
    ]


def test_huge_integer_in_scoring_is_a_clean_number_error(site_factory: SiteFactory) -> None:
    site = (BASE / "site.yml").read_text(encoding="utf-8") + "scoring:\n  half_life_days: " + "7" * 5000 + "\n"
    root = site_factory({"site.yml": site}, base=BASE)

    code, output = run_check(root)

    assert (code, output) == (
        2,
        f"site.yml:6:19: error[invalid-number]: expected a whole number from 30 to 36500 (got '{'7' * 40}…')\n"
        "error: site.yml is not valid\n",
    )


NASTY_INPUTS = [
    b"",
    b"\xff\xfe\x00",
    b"\xfe\xff",
    b"\xef\xbb\xbf",
    b"\xc3",
    b"\x00",
    b"[",
    b"{",
    b"]",
    b"? ",
    b"? [a]\n: b\n",
    b"&a *a",
    b"*a",
    b"a: *b\n",
    b"!!",
    b"! ",
    b"!<tag:yaml.org,2002:python/object/apply:os.system> x",
    b"%YAML 1.1\n---\na: 1\n",
    b"%TAG ! tag:example.com,2000:\n--- !foo\na: 1\n",
    b"%FOO bar\n",
    b"---\n---\n---\n",
    b"...\n",
    b"- - - -\n",
    b"a: b: c\n",
    b"'",
    b'"\\x',
    b'a: "\\ud800"\n',
    b"a: |\n x\n  y\n\tz\n",
    b"a:\n\t- b\n",
    b"\t",
    b"\r\r\r",
    b"a: 1\rb: 2\r",
    b"<<: *x\n",
    b"<<: [1, 2]\n",
    b"{a: 1, a: 1}",
    b"[a, b]: c\n",
    b"{? {a: b}: c}",
    b"a: !!binary \xc3\x28\n",
    "a: \U0001f3a8\n".encode(),
    "a: \u2028\n".encode(),
    b"a: " + b"x" * 100_000 + b"\n",
]


@pytest.mark.parametrize("data", NASTY_INPUTS, ids=[repr(d[:24]) for d in NASTY_INPUTS])
def test_load_never_raises(data: bytes) -> None:
    loaded = load(MEMBER_PATH, data)

    assert loaded.root is not None or loaded.diagnostics
    for diagnostic in loaded.diagnostics:
        assert diagnostic.path == MEMBER_PATH
        assert diagnostic.position.line >= 1 and diagnostic.position.column >= 1


# -- YAML 1.1 look-alikes stay text ------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "key", "expected"),
    [
        ("name: no", "name", "no"),
        ("name: No", "name", "No"),
        ("name: 'yes'", "name", "yes"),
        ("name: on", "name", "on"),
        ("name: null thing", "name", "null thing"),
        ("name: .inf", "name", ".inf"),
        ("location: +33612345678", "location", "+33612345678"),
        ("location: 0o17", "location", "0o17"),
        ("location: 2024-01-01", "location", "2024-01-01"),
        ("location: 12:30", "location", "12:30"),
        ("headline: 1.10", "headline", "1.10"),
        ("headline: 1e3", "headline", "1e3"),
        ("headline: 0x1F", "headline", "0x1F"),
        ("headline: '007'", "headline", "007"),
    ],
)
def test_look_alikes_stay_text(line: str, key: str, expected: str) -> None:
    values, problems = convert_member(with_line(CLAIRE, line))

    assert problems == []
    assert values[key] == expected


def test_decomposed_text_is_normalised_to_nfc() -> None:
    decomposed = "Ine\u0300s Moreau"

    raw, raw_problems = convert_member(with_line(CLAIRE, f"name: {decomposed}"))
    escaped, escaped_problems = convert_member(with_line(CLAIRE, 'name: "Ine\\u0300s Moreau"'))

    assert raw_problems == escaped_problems == []
    assert raw["name"] == escaped["name"] == "In\u00e8s Moreau"
    assert len(raw["name"]) == len(decomposed) - 1


def test_crlf_line_endings_are_read_like_lf() -> None:
    values, problems = convert_member(CLAIRE.replace("\n", "\r\n"))

    assert problems == []
    assert values["headline"] == "Photographer and network coordinator"
    assert values["skills"] == ("photography", "art-direction")


# -- columns count characters, not bytes -------------------------------------------------


def test_schema_error_column_after_accented_letters() -> None:
    _, problems = convert_member(with_line(CLAIRE, "skills: [éclairage, Photo]"))

    assert problems == [
        f"{MEMBER_PATH}:5:10: error[invalid-slug]: 'éclairage' is not a valid skill: use lowercase letters, "
        "digits and single hyphens; for example 'eclairage'",
        f"{MEMBER_PATH}:5:21: error[invalid-slug]: 'Photo' is not a valid skill: use lowercase letters, "
        "digits and single hyphens; for example 'photo'",
    ]


def test_syntax_error_column_after_emoji() -> None:
    loaded = load(MEMBER_PATH, "name: 🎨🎨 x: y\n".encode())

    assert rendered(loaded.diagnostics) == [
        f"{MEMBER_PATH}:1:11: error[yaml-syntax]: this is not valid YAML: mapping values are not allowed in "
        "this context; a value containing ': ' must be put in quotes"
    ]


def test_forbidden_character_column_after_accented_letters() -> None:
    loaded = load(MEMBER_PATH, "name: Inès Moreau\nheadline: Élan\u202e créatif\n".encode())

    assert rendered(loaded.diagnostics) == [
        f"{MEMBER_PATH}:2:15: error[forbidden-character]: invisible or control character U+202E is not allowed "
        "(it can make text display differently from what it says); delete it"
    ]


def test_encoding_error_column_counts_decoded_characters() -> None:
    loaded = load(MEMBER_PATH, b"kind: person\nname: \xc3\x89lo\xefse\n")

    assert rendered(loaded.diagnostics) == [
        f"{MEMBER_PATH}:2:10: error[file-encoding]: byte 0xEF is not valid UTF-8; save the file as UTF-8"
    ]


def test_attestation_values_convert_exactly() -> None:
    text = "date: 2026-04-02\ndelivery: late\nquality: 5\nrelationship: 1\nrecommend: false\n"
    loaded = load(SR_CLIENT, text.encode())
    assert loaded.root is not None and isinstance(loaded.root, MappingNode)
    ctx = Context(SR_CLIENT)

    converted = ATTESTATION.convert_record(loaded.root, ctx)

    assert ctx.problems == []
    assert converted is not None
    assert converted.values == {
        "date": dt.date(2026, 4, 2),
        "delivery": "late",
        "quality": 5,
        "relationship": 1,
        "recommend": False,
    }


# -- regressions: one invalid record must not make valid ones look wrong ------------------

PS = "content/engagements/2025/poster-series/"


def base_file(rel: str) -> str:
    """A file of the valid base network."""
    return (BASE / rel).read_text(encoding="utf-8")


def test_invalid_counterpart_attestation_does_not_void_disputes(site_factory: SiteFactory) -> None:
    client = base_file(PS + "atelier-lumen.yml").replace("quality: 3", "quality: 0")
    root = site_factory({PS + "atelier-lumen.yml": client}, base=BASE)

    assert check_lines(root) == [
        f"{PS}atelier-lumen.yml:4:10: error[invalid-number]: expected a whole number from 1 to 5 (got '0')"
    ]


def test_invalid_disputing_attestation_does_not_void_resolution(site_factory: SiteFactory) -> None:
    supplier = base_file(PS + "ines-moreau.yml").replace("recommend: true", "recommend: yes")
    root = site_factory({PS + "ines-moreau.yml": supplier}, base=BASE)

    assert check_lines(root) == [
        f"{PS}ines-moreau.yml:5:12: error[invalid-boolean]: expected true or false (got 'yes')"
    ]


def test_invalid_engagement_does_not_orphan_its_resolution(site_factory: SiteFactory) -> None:
    engagement = base_file(PS + "engagement.yml") + "client_ref: x\n"
    root = site_factory({PS + "engagement.yml": engagement}, base=BASE)

    assert check_lines(root) == [
        f"{PS}engagement.yml:8:1: error[unknown-key]: unknown key 'client_ref' in an engagement record; "
        "did you mean 'client'?"
    ]


def test_missing_content_is_the_only_problem(site_factory: SiteFactory) -> None:
    root = site_factory({"site.yml": base_file("site.yml")})

    assert check_lines(root) == [f"content:1:1: error[missing-content]: {NO_CONTENT}"]


def test_block_text_at_the_limit_is_accepted() -> None:
    _, problems = convert_member(CLAIRE + "bio: |\n  " + "x" * 4000 + "\n")

    assert problems == []


def test_alias_is_reported_once() -> None:
    text = "date: 2026-04-02\ndelivery: on_time\nquality: &q 5\nrelationship: *q\nrecommend: true\n"
    loaded = load(SR_CLIENT, text.encode())
    assert loaded.root is not None
    ctx = Context(SR_CLIENT)
    ATTESTATION.convert_record(loaded.root, ctx)

    assert [d.code for d in ctx.problems] == []


def test_tab_indentation_says_to_use_spaces() -> None:
    loaded = load(MEMBER_PATH, with_line(CLAIRE, "skills:\n\t- photography").encode())

    assert "indent with spaces, not tabs" in rendered(loaded.diagnostics)[0]


def test_empty_links_is_an_empty_value() -> None:
    _, problems = convert_member(CLAIRE + "links:\n")

    assert [line.split(" ", 2)[1] for line in problems] == ["error[empty-value]:"]
