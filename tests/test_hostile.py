"""Hostile input from the issue's list, each item asserted: a positioned error and exit 1, never a traceback.

``tests/test_load.py`` covers special files, deep nesting, "billion laughs" and huge
numbers at the loader; ``tests/invalid/`` shows most single mistakes end to end. This
file fills in the rest of the list: every YAML 1.1 guess in every typed field,
colliding keys, forbidden characters through escapes, encodings without a byte order
mark, ids that differ only by case, normalisation or a trailing dot, the limits of
every Markdown field, and hostile documents through the real command line.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import cli
from generator.fields import Context
from generator.load import load
from generator.schema import ATTESTATION, MAX_BIO, MAX_COMMENT, MAX_NOTE, MAX_SUMMARY, MEMBER
from generator.write import safe_relative

from .conftest import TODAY, SiteFactory

BASE = Path(__file__).parent / "invalid" / "_base"
MEMBER_PATH = "content/members/claire-dubois.yml"
CLAIRE = (BASE / MEMBER_PATH).read_text(encoding="utf-8")
SR = "content/engagements/2026/site-refresh"
PS = "content/engagements/2025/poster-series"
ATTESTATION_TEXT = "date: 2026-04-02\ndelivery: on_time\nquality: 5\nrelationship: 5\nrecommend: true\n"
FORBIDDEN = "is not allowed (it can make text display differently from what it says); delete it"


def base_text(rel: str) -> str:
    return (BASE / rel).read_text(encoding="utf-8")


def problems(path: str, text: str | bytes, record: str = "member") -> list[str]:
    """Load and convert one record: every problem as ``triangle check`` prints it."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    loaded = load(path, data)
    found = [d.render() for d in loaded.diagnostics]
    if loaded.root is not None:
        ctx = Context(path)
        (MEMBER if record == "member" else ATTESTATION).convert_record(loaded.root, ctx)
        found += [d.render() for d in ctx.problems]
    return found


def replaced(text: str, key: str, value: str) -> str:
    """``text`` with the value of ``key`` (and its indented block, if any) set to ``value``, or appended."""
    out: list[str] = []
    found = in_block = False
    for line in text.splitlines():
        if in_block and line.startswith(" "):
            continue
        in_block = line.startswith(key + ":")
        found = found or in_block
        out.append(f"{key}: {value}" if in_block else line)
    if not found:
        out.append(f"{key}: {value}")
    return "\n".join(out) + "\n"


def run_cli(root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["-C", str(root), *args], catch_exceptions=False)
    return result.exit_code, result.output


# -- YAML 1.1 guesses: text where text is expected, refused where a type is -----------------

GUESSES = ["no", "No", "on", "off", "yes", "y", "1:30", "0755", "01234", "+33612345678", "1.10", ".nan", ".inf"]
GUESSES += ["0x1F", "0o17", "0b101", "1_000", "1e3", "12:30:00", "2024-02-30", "2024-01-01 10:00"]


@pytest.mark.parametrize("guess", GUESSES)
def test_a_yaml_guess_is_text_where_text_is_expected(guess: str) -> None:
    loaded = load(MEMBER_PATH, replaced(CLAIRE, "location", guess).encode())
    assert loaded.root is not None
    ctx = Context(MEMBER_PATH)
    converted = MEMBER.convert_record(loaded.root, ctx)

    assert ctx.problems == []
    assert converted is not None
    assert converted.values["location"] == guess
    assert type(converted.values["location"]) is str


@pytest.mark.parametrize("guess", GUESSES)
def test_a_yaml_guess_is_refused_where_a_boolean_number_or_date_is_expected(guess: str) -> None:
    path = f"{SR}/atelier-lumen.yml"
    found = [
        problems(path, replaced(ATTESTATION_TEXT, key, guess), "attestation")
        for key in ("recommend", "quality", "date")
    ]

    date_message = (
        f"{guess!r} is not a real calendar date"
        if guess == "2024-02-30"
        else f"expected a date written YYYY-MM-DD (got {guess!r})"
    )
    assert found == [
        [f"{path}:5:12: error[invalid-boolean]: expected true or false (got {guess!r})"],
        [f"{path}:3:10: error[invalid-number]: expected a whole number from 1 to 5 (got {guess!r})"],
        [f"{path}:1:7: error[invalid-date]: {date_message}"],
    ]


@pytest.mark.parametrize("day", ["2024-02-30", "2023-02-29", "2026-13-01", "2026-04-31", "0000-01-01"])
def test_an_impossible_date_is_an_error_at_its_line(day: str) -> None:
    assert problems(MEMBER_PATH, replaced(CLAIRE, "joined", day)) == [
        f"{MEMBER_PATH}:6:9: error[invalid-date]: {day!r} is not a real calendar date"
    ]


# -- keys that collide, or would in YAML 1.1 -------------------------------------------------


def test_keys_1_and_1_0_and_true_stay_distinct_text_and_are_reported_each() -> None:
    # PyYAML's constructor turns these into 1, 1.0 and True, which are one Python dict key:
    # two values would vanish silently. Here keys are text, so each one is seen.
    text = CLAIRE + "1: a\n1.0: b\ntrue: c\n"
    allowed = (
        "name, kind, headline, region, location, skills, languages, joined, sponsors, links, keys, status, bio, "
        "signature"
    )

    assert problems(MEMBER_PATH, text) == [
        f"{MEMBER_PATH}:{line}:1: error[unknown-key]: unknown key {key!r} in a member record (allowed keys: {allowed})"
        for line, key in ((7, "1"), (8, "1.0"), (9, "true"))
    ]


def test_link_labels_1_and_true_stay_distinct() -> None:
    text = CLAIRE + "links:\n  1: https://one.example/\n  true: https://two.example/\n"
    loaded = load(MEMBER_PATH, text.encode())
    assert loaded.root is not None
    ctx = Context(MEMBER_PATH)
    converted = MEMBER.convert_record(loaded.root, ctx)

    assert ctx.problems == []
    assert converted is not None
    assert converted.values["links"] == (("1", "https://one.example/"), ("true", "https://two.example/"))


@pytest.mark.parametrize(
    ("second", "column"),
    [("name", 1), ("'name'", 1), ('"name"', 1), ('"na\\x6De"', 1), ('"\\u006eame"', 1)],
    ids=["plain", "single-quoted", "double-quoted", "hex-escape", "unicode-escape"],
)
def test_the_same_key_written_differently_is_a_duplicate(second: str, column: int) -> None:
    text = CLAIRE + f"{second}: Someone Else\n"

    assert problems(MEMBER_PATH, text) == [
        f"{MEMBER_PATH}:7:{column}: error[yaml-duplicate-key]: key 'name' appears twice (first on line 1); "
        "keep only one"
    ]


def test_duplicate_keys_in_a_nested_mapping() -> None:
    text = CLAIRE + "links:\n  site: https://a.example/\n  site: https://b.example/\n"

    assert problems(MEMBER_PATH, text) == [
        f"{MEMBER_PATH}:9:3: error[yaml-duplicate-key]: key 'site' appears twice (first on line 8); keep only one"
    ]


# -- invisible characters, also through escapes ----------------------------------------------

ESCAPES = {
    "\\0": "U+0000",
    "\\a": "U+0007",
    "\\e": "U+001B",
    "\\x7f": "U+007F",
    "\\N": "U+0085",
    "\\L": "U+2028",
    "\\P": "U+2029",
    "\\u00AD": "U+00AD",
    "\\u200B": "U+200B",
    "\\u200D": "U+200D",
    "\\u200E": "U+200E",
    "\\u202A": "U+202A",
    "\\u202E": "U+202E",
    "\\u2066": "U+2066",
    "\\u2069": "U+2069",
    "\\uFEFF": "U+FEFF",
    "\\uFFFE": "U+FFFE",
    "\\U000E0041": "U+E0041",
}


@pytest.mark.parametrize(("escape", "code_point"), ESCAPES.items(), ids=list(ESCAPES.values()))
def test_an_invisible_character_written_as_an_escape_is_refused(escape: str, code_point: str) -> None:
    text = replaced(CLAIRE, "name", f'"Claire{escape} Dubois"')

    assert problems(MEMBER_PATH, text) == [
        f"{MEMBER_PATH}:1:7: error[forbidden-character]: invisible or control character {code_point} {FORBIDDEN}"
    ]


def test_an_invisible_character_in_an_escaped_key_is_refused() -> None:
    assert problems(MEMBER_PATH, CLAIRE + '"bio\\u200B": x\n')[0] == (
        f"{MEMBER_PATH}:7:1: error[forbidden-character]: invisible or control character U+200B {FORBIDDEN}"
    )


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("bio: |\n  line one\n  line\u202etwo\n", "9:7"),
        ("# a comment with \u200b inside\n", "7:18"),
        ("location: 'Paris\u2066'\n", "7:17"),
        ("location: Paris\ufffe\n", "7:16"),
    ],
    ids=["block-scalar", "comment", "single-quoted", "noncharacter"],
)
def test_an_invisible_character_anywhere_is_refused_at_its_column(text: str, position: str) -> None:
    found = problems(MEMBER_PATH, CLAIRE + text)

    assert len(found) == 1
    assert found[0].startswith(f"{MEMBER_PATH}:{position}: error[forbidden-character]: ")


# -- encodings --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "name"),
    [("utf-16-le", "UTF-16"), ("utf-16-be", "UTF-16"), ("utf-16", "UTF-16"), ("utf-32", "UTF-32")],
)
def test_utf16_and_utf32_are_named_even_without_a_bom(encoding: str, name: str) -> None:
    assert problems(MEMBER_PATH, CLAIRE.replace("Claire", "Clàire").encode(encoding)) == [
        f"{MEMBER_PATH}:1:1: error[file-encoding]: this file is encoded in {name}; save it as UTF-8"
    ]


def test_latin1_points_at_the_first_bad_byte() -> None:
    data = CLAIRE.replace("Claire Dubois", "Claire Dubo\u00efs").encode("latin-1")

    assert problems(MEMBER_PATH, data) == [
        f"{MEMBER_PATH}:1:18: error[file-encoding]: byte 0xEF is not valid UTF-8; save the file as UTF-8"
    ]


# -- hostile documents through the real command --------------------------------------------

HOSTILE_DOCUMENTS: dict[str, bytes] = {
    "billion-laughs": b'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + b"".join(
        f"{k}: &{k} [{','.join(['*' + p] * 9)}]\n".encode() for p, k in zip("abcdefgh", "bcdefghi", strict=True)
    ),
    "nesting-1000": b"skills: " + b"[" * 1000 + b"]" * 1000 + b"\n",
    "block-nesting-1000": b"".join(b" " * i + b"a:\n" for i in range(1000)),
    "integer-5000-digits": CLAIRE.replace("joined: 2023-01-10", "joined: " + "9" * 5000).encode(),
    "top-level-list": b"- name: Claire\n",
    "top-level-scalar": b"Claire Dubois\n",
    "several-documents": CLAIRE.encode() + b"---\n" + CLAIRE.encode(),
    "empty": b"",
    "bom": b"\xef\xbb\xbf" + CLAIRE.encode(),
    "utf16-no-bom": CLAIRE.encode("utf-16-le"),
    "nul": CLAIRE.replace("Dubois", "Dub\x00ois").encode(),
    "python-tag": b"name: !!python/object/apply:os.system ['echo pwned']\n",
    "binary-tag": b"name: !!binary aGVsbG8=\n",
    "set-tag": b"skills: !!set {a, b}\n",
    "merge-key": b"base: &b {name: x}\n<<: *b\n",
}
LINE = re.compile(r"^content/members/claire-dubois\.yml:\d+:\d+: error\[[a-z0-9-]+\]: \S.*$")


@pytest.mark.parametrize("name", HOSTILE_DOCUMENTS, ids=list(HOSTILE_DOCUMENTS))
def test_hostile_documents_give_positioned_errors_and_exit_1(site_factory: SiteFactory, name: str) -> None:
    root = site_factory({MEMBER_PATH: HOSTILE_DOCUMENTS[name]}, base=BASE)

    code, output = run_cli(root, "check", "--today", TODAY)

    *problem_lines, summary = output.splitlines()
    assert code == 1, output
    assert "Traceback" not in output
    assert re.fullmatch(r"\d+ errors? in 1 file\.", summary), output
    assert problem_lines, output
    for line in problem_lines:
        assert LINE.match(line), line


def test_the_billion_laughs_document_is_342_bytes() -> None:
    assert len(HOSTILE_DOCUMENTS["billion-laughs"]) == 342


# -- file names: case, normalisation, trailing dots and spaces, reserved names ---------------


def test_ids_differing_only_by_case_or_normalisation_are_refused(site_factory: SiteFactory) -> None:
    ines = base_text("content/members/ines-moreau.yml")
    nfc = unicodedata.normalize("NFC", "inès")
    nfd = unicodedata.normalize("NFD", "inès")
    root = site_factory(
        {
            "content/members/Ines-Moreau.yml": ines,
            "content/members/INES-MOREAU.yml": ines,
            f"content/members/{nfc}.yml": ines,
            f"content/members/{nfd}.yml": ines,
        },
        base=BASE,
    )

    code, output = run_cli(root, "check", "--today", TODAY)

    message = (
        "is not a valid member id: ids use lowercase letters, digits and single hyphens, "
        "at most 64 characters; rename the file"
    )
    assert code == 1
    assert sorted(output.splitlines()[:-1]) == sorted(
        [
            f"content/members/INES-MOREAU.yml:1:1: error[invalid-id]: 'INES-MOREAU' {message}",
            f"content/members/Ines-Moreau.yml:1:1: error[invalid-id]: 'Ines-Moreau' {message}",
            f"content/members/{nfc}.yml:1:1: error[invalid-id]: {nfc!r} {message}",
            f"content/members/{nfd}.yml:1:1: error[invalid-id]: {nfd!r} {message}",
        ]
    )


@pytest.mark.parametrize("name", ["ines-moreau.", "ines-moreau ", "ines-moreau..", " ines-moreau", "ines-moreau\t"])
def test_member_file_names_with_trailing_dots_or_spaces_are_refused(site_factory: SiteFactory, name: str) -> None:
    root = site_factory({f"content/members/{name}.yml": base_text("content/members/ines-moreau.yml")}, base=BASE)

    code, output = run_cli(root, "check", "--today", TODAY)

    assert (code, output.splitlines()[0]) == (
        1,
        f"content/members/{name}.yml:1:1: error[invalid-id]: {name!r} is not a valid member id: ids use lowercase "
        "letters, digits and single hyphens, at most 64 characters; rename the file",
    )


@pytest.mark.parametrize("name", ["site-refresh.", "site-refresh ", "con", "aux", "nul", "com1", "lpt1", "prn"])
def test_engagement_folders_with_trailing_dots_spaces_or_reserved_names_are_refused(
    site_factory: SiteFactory, name: str
) -> None:
    root = site_factory(base=BASE)
    os.rename(root / SR, root / "content/engagements/2026" / name)
    os.rename(root / "content/resolutions/poster-series.yml", root / "resolution.tmp")  # keep the output short

    code, output = run_cli(root, "check", "--today", TODAY)

    first = output.splitlines()[0]
    assert code == 1
    assert first.startswith(f"content/engagements/2026/{name}/")
    assert f"error[invalid-id]: {name!r} " in first
    assert first.endswith("; rename the folder")


# -- Markdown and text fields: every limit is enforced with its number -----------------------

MARKDOWN_FIELDS = [
    ("content/members/ines-moreau.yml", "bio", MAX_BIO, 4000),
    (f"{PS}/engagement.yml", "summary", MAX_SUMMARY, 4000),
    (f"{PS}/atelier-lumen.yml", "comment", MAX_COMMENT, 2000),
    (f"{PS}/atelier-lumen.yml", "reply", MAX_COMMENT, 2000),
    ("content/resolutions/poster-series.yml", "note", MAX_NOTE, 2000),
]


@pytest.mark.parametrize(("rel", "key", "limit", "documented"), MARKDOWN_FIELDS, ids=[f[1] for f in MARKDOWN_FIELDS])
def test_every_markdown_field_has_its_documented_limit(
    site_factory: SiteFactory, rel: str, key: str, limit: int, documented: int
) -> None:
    assert limit == documented, "docs/security.md and docs/reference.md state this number"
    original = base_text(rel)
    at_limit = replaced(original, key, "|\n  " + "x" * limit)
    over = replaced(original, key, "|\n  " + "word " * (limit // 5) + "x")
    line = next(i for i, text in enumerate(over.splitlines(), 1) if text.startswith(key + ":"))

    ok_root = site_factory({rel: at_limit}, base=BASE, name="ok")
    bad_root = site_factory({rel: over}, base=BASE, name="bad")

    assert run_cli(ok_root, "check", "--today", TODAY) == (0, "No problems found in 9 files.\n")
    assert run_cli(bad_root, "check", "--today", TODAY) == (
        1,
        f"{rel}:{line}:{len(key) + 3}: error[too-long]: this text is {limit + 1:,} characters long; "
        f"at most {limit:,} are allowed\n1 error in 1 file.\n",
    )


# -- nothing outside the site is read or published ------------------------------------------


def test_a_symlink_to_etc_hostname_fails_the_build_and_publishes_nothing(site_factory: SiteFactory) -> None:
    root = site_factory(base=BASE)
    (root / "content/members/hostname.yml").symlink_to("/etc/hostname")

    code, output = run_cli(root, "build", "--today", TODAY)

    assert code == 1
    assert "content/members/hostname.yml:1:1: error[file-not-regular]: this is a symbolic link" in output
    assert not (root / "_site").exists()
    hostname = Path("/etc/hostname")
    secret = hostname.read_text(encoding="utf-8", errors="replace").strip() if hostname.is_file() else ""
    if len(secret) >= 8:  # a shorter name could appear in the output by chance
        assert secret not in output


@pytest.mark.parametrize(
    ("link", "target", "shown"),
    [
        ("themes/default/static", "/etc", "themes/default/static is a symbolic link"),
        ("themes/default/static/passwd.css", "/etc/passwd", "themes/default/static/passwd.css is a symbolic link"),
        (
            "themes/default/templates/base.html",
            "/etc/hostname",
            "themes/default/templates/base.html is a symbolic link",
        ),
        ("themes/default", "/etc", "themes/default is a symbolic link"),
    ],
)
def test_a_link_in_a_site_theme_is_refused_and_nothing_is_published(
    site_factory: SiteFactory, link: str, target: str, shown: str
) -> None:
    root = site_factory(base=BASE)
    path = root / link
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target)

    code, output = run_cli(root, "build", "--today", TODAY)

    assert code == 2, output
    assert f"error: {shown}" in output
    assert "Traceback" not in output
    assert not (root / "_site").exists()


def test_every_built_file_is_a_regular_file_inside_the_output(site_factory: SiteFactory) -> None:
    root = site_factory(base=BASE)

    code, output = run_cli(root, "build", "--today", TODAY)

    assert code == 0, output
    site = (root / "_site").resolve()
    files = [p for p in site.rglob("*") if not p.is_dir()]
    assert files
    for path in files:
        assert not path.is_symlink(), path
        assert path.resolve().is_relative_to(site), path
        safe_relative(path.relative_to(site).as_posix())


@pytest.mark.parametrize("bad", ["../x", "/etc/passwd", "a/../../x", "a//b", "./a", "a\\..\\b", "a\x00b", ""])
def test_safe_relative_refuses_every_escape(bad: str) -> None:
    with pytest.raises(AssertionError, match="refusing to write outside the site"):
        safe_relative(bad)


def test_a_character_libyaml_refuses_is_still_a_positioned_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # The forbidden-character scan runs first and catches U+FFFE; without it, libyaml's own
    # refusal (a ReaderError, no line, a two-line message) must come out the same way.
    from generator import load as load_module

    monkeypatch.setattr(load_module, "FORBIDDEN_CHARACTERS", re.compile("(?!)"))

    assert problems(MEMBER_PATH, CLAIRE + "location: Paris\ufffe\n") == [
        f"{MEMBER_PATH}:7:16: error[forbidden-character]: invisible or control character U+FFFE {FORBIDDEN}"
    ]


@pytest.mark.parametrize(("data", "position"), [(b"[", "1:2"), (b"a: [", "1:5"), (b"a:\r  - [", "2:6")])
def test_a_syntax_error_at_the_end_of_a_file_points_inside_it(data: bytes, position: str) -> None:
    found = problems(MEMBER_PATH, data)

    assert len(found) == 1
    assert found[0].startswith(f"{MEMBER_PATH}:{position}: error[yaml-syntax]: ")
