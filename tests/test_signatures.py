"""Signed records end to end, with real keys made by ``ssh-keygen`` in ``tmp_path``.

Each way a signature can fail has its own code and message; ``triangle sign`` and a
signature made by hand over ``triangle sign --print-payload`` are interchangeable.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.cli import cli
from generator.diagnostics import TriangleError
from generator.model import Member, SigningKey, Source
from generator.schemas_api import engagements_schema, members_schema
from generator.sign import with_signature
from generator.signing import NAMESPACE, Keyring, armor, fingerprint, parse_signature, verify

from .conftest import TODAY, require_tool
from .test_api import errors_of

BASE = Path(__file__).parent / "invalid" / "_base"
ATTESTATION = "content/engagements/2025/poster-series/atelier-lumen.yml"
OTHER_ENGAGEMENT = "content/engagements/2026/site-refresh/atelier-lumen.yml"
KEY_TYPES = {"atelier-lumen": "ecdsa", "ines-moreau": "ed25519", "claire-dubois": "rsa"}


def keygen(folder: Path, name: str, kind: str) -> Path:
    key = folder / name
    subprocess.run(["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", name, "-f", str(key)], check=True)
    return key


def public(key: Path) -> str:
    return " ".join(key.with_suffix(".pub").read_text().split()[:2])


def invoke(root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["-C", str(root), *args], catch_exceptions=False)
    return result.exit_code, result.output


def check(root: Path) -> tuple[int, str]:
    return invoke(root, "check", "--no-cache", "--today", TODAY)


def set_keys(root: Path, member: str, lines: list[str]) -> None:
    path = root / "content" / "members" / f"{member}.yml"
    text = path.read_text(encoding="utf-8")
    kept = text.split("keys:")[0].split("bio:")[0] if "keys:" in text else text
    block = "keys:\n" + "".join(f"  - {line}\n" for line in lines)
    path.write_text(kept.rstrip("\n") + "\n" + block, encoding="utf-8")


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, Path]:
    require_tool(shutil.which("ssh-keygen") is not None, "ssh-keygen")
    folder = tmp_path / "keys"
    folder.mkdir()
    return {member: keygen(folder, member, kind) for member, kind in KEY_TYPES.items()}


@pytest.fixture
def site(tmp_path: Path, keys: dict[str, Path]) -> Path:
    root = tmp_path / "site"
    shutil.copytree(BASE, root)
    for member, key in keys.items():
        set_keys(root, member, [public(key)])
    return root


def sign(root: Path, path: str, key: Path) -> None:
    code, output = invoke(root, "sign", "--today", TODAY, "--key", str(key), str(root / path))
    assert (code, output) == (0, f"signed {path}\n")


def problems(root: Path) -> list[str]:
    code, output = check(root)
    assert code == 1, output
    return output.splitlines()[:-1]


def test_signed_records_of_each_key_type_verify(site: Path, keys: dict[str, Path]) -> None:
    sign(site, ATTESTATION, keys["atelier-lumen"])  # ecdsa
    sign(site, "content/engagements/2025/poster-series/ines-moreau.yml", keys["ines-moreau"])  # ed25519
    sign(site, "content/resolutions/poster-series.yml", keys["claire-dubois"])  # rsa
    sign(site, "content/members/ines-moreau.yml", keys["ines-moreau"])
    assert check(site) == (0, "No problems found in 9 files.\n")


def test_sign_changes_only_the_signature_field(site: Path, keys: dict[str, Path]) -> None:
    path = site / ATTESTATION
    original = "# my attestation\ndate: 2025-03-04   # the day I wrote it\ndelivery: on_time\nquality: 4\n"
    original += "relationship: 5\nrecommend: true\ncomment: |\n  Good.\n\n# end\n"
    path.write_text(original, encoding="utf-8")
    os.chmod(path, 0o640)
    sign(site, ATTESTATION, keys["atelier-lumen"])
    first = path.read_text(encoding="utf-8")
    assert first.startswith(original)
    assert first[len(original) :].startswith("signature: |\n  -----BEGIN SSH SIGNATURE-----\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    sign(site, ATTESTATION, keys["atelier-lumen"])  # replaced in place, not added twice
    second = path.read_text(encoding="utf-8")
    assert second.count("signature:") == 1 and second.startswith(original)


def test_sign_refuses_a_file_with_syntax_errors(site: Path, keys: dict[str, Path]) -> None:
    path = site / ATTESTATION
    path.write_text("date: [2025-03-04\n", encoding="utf-8")
    code, output = invoke(site, "sign", "--today", TODAY, "--key", str(keys["atelier-lumen"]), str(path))
    assert code == 1
    assert f"{ATTESTATION}:" in output and "error[yaml-syntax]" in output
    assert "only a valid record can be signed" in output
    assert path.read_text(encoding="utf-8") == "date: [2025-03-04\n"


SUPPLIER_ATTESTATION = "content/engagements/2025/poster-series/ines-moreau.yml"


def test_one_changed_byte_in_the_record(site: Path, keys: dict[str, Path]) -> None:
    sign(site, ATTESTATION, keys["atelier-lumen"])
    path = site / ATTESTATION
    path.write_text(path.read_text(encoding="utf-8").replace("quality: 3", "quality: 4"), encoding="utf-8")
    (line,) = problems(site)
    assert line.startswith(f"{ATTESTATION}:")
    assert line.endswith(
        "error[signature-tampered]: this signature does not match the attestation: the attestation, the facts of "
        "its engagement (engagement.yml) or its folder changed since it was signed; run 'triangle sign FILE' "
        "again after editing"
    )
    # With the other party's signature still matching the facts, the attestation itself changed.
    sign(site, SUPPLIER_ATTESTATION, keys["ines-moreau"])
    (line,) = problems(site)
    assert line.endswith(
        "error[signature-tampered]: this signature does not match the attestation: the attestation changed since "
        "it was signed (its engagement's facts did not: the signature of 'ines-moreau' still matches them); run "
        "'triangle sign FILE' again after editing"
    )


def test_one_changed_fact_in_the_engagement(site: Path, keys: dict[str, Path]) -> None:
    sign(site, ATTESTATION, keys["atelier-lumen"])
    sign(site, SUPPLIER_ATTESTATION, keys["ines-moreau"])
    facts = site / "content/engagements/2025/poster-series/engagement.yml"
    facts.write_text(facts.read_text(encoding="utf-8").replace("2025-02-27", "2025-02-28"), encoding="utf-8")
    client, supplier = problems(site)
    assert client.startswith(f"{ATTESTATION}:") and supplier.startswith(f"{SUPPLIER_ATTESTATION}:")
    assert client.endswith(
        "error[signature-tampered]: this signature does not match the attestation: the facts of its engagement "
        "(engagement.yml) most likely changed since it was signed: the signature of 'ines-moreau' no longer "
        "matches either; if the change is right, both parties run 'triangle sign' again on their attestation"
    )
    assert "the signature of 'atelier-lumen' no longer matches either" in supplier


def test_attestation_moved_to_another_engagement(site: Path, keys: dict[str, Path]) -> None:
    # Valid in both engagements, so that only the signature tells the move.
    text = "date: 2026-04-02\ndelivery: on_time\nquality: 3\nrelationship: 5\nrecommend: true\n"
    (site / ATTESTATION).write_text(text, encoding="utf-8")
    sign(site, ATTESTATION, keys["atelier-lumen"])
    (site / OTHER_ENGAGEMENT).write_text((site / ATTESTATION).read_text(encoding="utf-8"), encoding="utf-8")
    (line,) = problems(site)
    assert line.startswith(f"{OTHER_ENGAGEMENT}:")
    assert line.endswith(
        "error[signature-moved]: this attestation was signed for the engagement 'poster-series' "
        "(content/engagements/2025/poster-series/engagement.yml), not for this one: it was moved or copied here; "
        "each engagement needs its own attestation, signed for it (write it with 'triangle attest', then "
        "'triangle sign FILE')"
    )


def armor_of(path: Path) -> str:
    block = path.read_text(encoding="utf-8").split("signature: |\n")[1]
    return "".join(line[2:] + "\n" for line in block.splitlines())


def test_signature_by_another_members_key(site: Path, keys: dict[str, Path]) -> None:
    sign(site, "content/engagements/2025/poster-series/ines-moreau.yml", keys["ines-moreau"])
    path = site / "content/engagements/2025/poster-series/ines-moreau.yml"
    text = path.read_text(encoding="utf-8")
    payload = invoke(site, "sign", "--print-payload", "--today", TODAY, str(path))[1]
    assert payload
    # Inès's attestation signed by the client, Atelier Lumen: a replay under another member.
    code, output = invoke(site, "sign", "--today", TODAY, "--key", str(keys["atelier-lumen"]), str(path))
    assert code == 1
    assert "error[signature-wrong-member]" not in output  # a warning while signing
    assert "warning[signature-wrong-member]" in output
    assert path.read_text(encoding="utf-8") != text
    (line,) = problems(site)
    fp = fingerprint(parse_signature(armor_of(path)).public_key)
    assert line.endswith(
        f"error[signature-wrong-member]: this attestation is signed with a key of 'atelier-lumen' ({fp}), not with "
        "a key of 'ines-moreau'; only 'ines-moreau' can sign it, with a key listed in content/members/ines-moreau.yml"
    )


def test_signature_by_an_unknown_key(site: Path, tmp_path: Path) -> None:
    stranger = keygen(tmp_path, "stranger", "ed25519")
    invoke(site, "sign", "--today", TODAY, "--key", str(stranger), str(site / ATTESTATION))
    (line,) = problems(site)
    assert "error[signature-unknown-key]: this attestation is signed with the key SHA256:" in line
    assert line.endswith(
        "but content/members/atelier-lumen.yml does not list it; add that public key under 'keys' there, "
        "or sign with a key listed there"
    )


def test_retired_key_used_after_retirement(site: Path, keys: dict[str, Path]) -> None:
    line = public(keys["atelier-lumen"])
    member = site / "content/members/atelier-lumen.yml"
    text = member.read_text(encoding="utf-8").split("keys:")[0]
    member.write_text(text + f"keys:\n  - key: {line}\n    retired: 2025-03-04\n", encoding="utf-8")
    invoke(site, "sign", "--today", TODAY, "--key", str(keys["atelier-lumen"]), str(site / ATTESTATION))
    (found,) = problems(site)
    assert found.startswith(f"{ATTESTATION}:")
    assert "error[signature-retired-key]: this attestation is signed with the key SHA256:" in found
    assert found.endswith(
        "retired on 2025-03-04, and it is dated 2025-03-04; a retired key signs only records dated before its "
        "retirement: sign it again with a current key"
    )
    # Retired the day after the attestation's date: still valid.
    member.write_text(text + f"keys:\n  - key: {line}\n    retired: 2025-03-05\n", encoding="utf-8")
    assert check(site)[0] == 0


def hand_sign(key: Path, message: bytes, namespace: str = NAMESPACE) -> str:
    done = subprocess.run(
        ["ssh-keygen", "-Y", "sign", "-n", namespace, "-f", str(key)], input=message, capture_output=True, check=True
    )
    return done.stdout.decode("ascii")


def put_signature(root: Path, path: str, armored: str) -> None:
    target = root / path
    target.write_bytes(with_signature(path, target.read_bytes(), armored))


def payload_of(root: Path, path: str) -> bytes:
    result = CliRunner().invoke(
        cli, ["-C", str(root), "sign", "--print-payload", "--today", TODAY, str(root / path)], catch_exceptions=False
    )
    assert result.exit_code == 0
    return result.stdout_bytes


def test_wrong_namespace(site: Path, keys: dict[str, Path]) -> None:
    put_signature(site, ATTESTATION, hand_sign(keys["atelier-lumen"], payload_of(site, ATTESTATION), "git"))
    (line,) = problems(site)
    assert line.endswith(
        "error[signature-namespace]: this signature was made for the namespace 'git', not 'triangle'; "
        "sign with 'triangle sign FILE' (or 'ssh-keygen -Y sign -n triangle')"
    )


def test_truncated_armor(site: Path, keys: dict[str, Path]) -> None:
    armored = hand_sign(keys["atelier-lumen"], payload_of(site, ATTESTATION)).splitlines()
    truncated = "\n".join([*armored[:2], armored[2][:20], armored[-1]]) + "\n"
    put_signature(site, ATTESTATION, truncated)
    (line,) = problems(site)
    assert "error[signature-malformed]: this signature cannot be read: " in line
    assert line.endswith("paste the whole signature again, or run 'triangle sign FILE' again after editing")


def test_hand_made_signature_verifies_in_check(site: Path, keys: dict[str, Path]) -> None:
    message = payload_of(site, ATTESTATION)
    assert message.startswith(b'{"engagement":{"facts":{') and message.endswith(b"}\n")
    put_signature(site, ATTESTATION, hand_sign(keys["atelier-lumen"], message))
    assert check(site) == (0, "No problems found in 9 files.\n")


def test_triangle_signature_verifies_with_ssh_keygen(site: Path, keys: dict[str, Path], tmp_path: Path) -> None:
    sign(site, ATTESTATION, keys["atelier-lumen"])
    armored = armor_of(site / ATTESTATION)
    signature = tmp_path / "attestation.sig"
    signature.write_text(armored, encoding="ascii")
    # The allowed-signers line docs/signatures.md documents.
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(f'atelier-lumen namespaces="triangle" {public(keys["atelier-lumen"])}\n', encoding="utf-8")
    command = ["ssh-keygen", "-Y", "verify", "-f", str(allowed), "-I", "atelier-lumen", "-n", "triangle"]
    done = subprocess.run([*command, "-s", str(signature)], input=payload_of(site, ATTESTATION), capture_output=True)
    assert done.returncode == 0, done.stderr
    assert b'Good "triangle" signature for atelier-lumen' in done.stdout
    tampered = payload_of(site, ATTESTATION).replace(b'"quality":3', b'"quality":4')
    done = subprocess.run([*command, "-s", str(signature)], input=tampered, capture_output=True)
    assert done.returncode != 0


def test_hostile_signatures_never_raise() -> None:
    keyring = Keyring({"m": {}}, {})
    samples = [
        "",
        "-----BEGIN SSH SIGNATURE-----\n-----END SSH SIGNATURE-----\n",
        "-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----\n",
        "-----BEGIN SSH SIGNATURE-----\nU1NIU0lHAAAAAQ==\n-----END SSH SIGNATURE-----\n",
        "-----BEGIN SSH SIGNATURE-----\nU1NIU0lHAAAAAf////8=\n-----END SSH SIGNATURE-----\n",
        "-----BEGIN SSH SIGNATURE-----\n!!!!\n-----END SSH SIGNATURE-----\n",
    ]
    for sample in samples:
        verdict = verify(b"x", sample, "m", keyring, None)
        assert verdict.code == "signature-malformed", (sample, verdict)


ARMOR_STUB = "-----BEGIN SSH SIGNATURE-----\nAA==\n-----END SSH SIGNATURE-----\n"


def test_with_signature_refuses_flow_style() -> None:
    with pytest.raises(TriangleError):
        with_signature(
            "content/members/a.yml",
            b"{name: A}\n",
            "-----BEGIN SSH SIGNATURE-----\nAA==\n-----END SSH SIGNATURE-----\n",
        )


def test_signed_records_are_marked_on_the_site_and_published_in_the_api(
    site: Path, keys: dict[str, Path], tmp_path: Path
) -> None:
    sign(site, ATTESTATION, keys["atelier-lumen"])
    sign(site, "content/members/ines-moreau.yml", keys["ines-moreau"])
    sign(site, "content/resolutions/poster-series.yml", keys["claire-dubois"])
    out = tmp_path / "out"
    code, output = invoke(site, "build", "--no-search", "--today", TODAY, "-o", str(out))
    assert code == 0, output
    lumen = fingerprint(parse_signature(armor_of(site / ATTESTATION)).public_key)
    ines = fingerprint(parse_signature(armor_of(site / "content/members/ines-moreau.yml")).public_key)
    page = (out / "members/ines-moreau/index.html").read_text(encoding="utf-8")
    assert f"Signature vérifiée — clé {lumen}" in page  # French is the site's first language
    assert f"Signature vérifiée — clé {ines}" in page
    english = (out / "en/members/ines-moreau/index.html").read_text(encoding="utf-8")
    assert f"Signature verified — key {lumen}" in english
    engagements = json.loads((out / "api/engagements.json").read_text(encoding="utf-8"))["engagements"]
    entry = next(e for e in engagements if e["id"] == "poster-series")
    signature = entry["by_client"]["signature"]
    assert signature["key"] == lumen
    assert signature["payload"].encode("utf-8") == payload_of(site, ATTESTATION)
    assert signature["armor"] == armor_of(site / ATTESTATION)
    assert entry["by_supplier"]["signature"] is None
    coordinator = fingerprint(parse_signature(armor_of(site / "content/resolutions/poster-series.yml")).public_key)
    assert entry["resolution"]["signature"]["key"] == coordinator
    assert page.count("Signature vérifiée") == 3  # the attestation, the resolution, the member record
    for name, schema in (("engagements", engagements_schema), ("members", members_schema)):
        document = json.loads((out / f"api/{name}.json").read_text(encoding="utf-8"))
        assert errors_of(schema("https://base.example/"), document) == []
    members = json.loads((out / "api/members.json").read_text(encoding="utf-8"))["members"]
    mine = next(m for m in members if m["id"] == "ines-moreau")
    assert mine["keys"] == [{"key": public(keys["ines-moreau"]), "fingerprint": ines, "retired": None}]
    assert mine["signature"]["key"] == ines


# ------------------------------------------------------------------------ review


def git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Inès Moreau",
        "GIT_AUTHOR_EMAIL": "ines@moreau.example",
        "GIT_COMMITTER_NAME": "CI",
        "GIT_COMMITTER_EMAIL": "ci@example.org",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout


INES = "content/members/ines-moreau.yml"


@pytest.fixture
def repo(site: Path, keys: dict[str, Path]) -> Path:
    sign(site, INES, keys["ines-moreau"])
    git(site, "init", "-q", "-b", "main")
    git(site, "add", ".")
    git(site, "commit", "-q", "-m", "base")
    return site


def review_json(root: Path, head: str) -> dict[str, Any]:
    result = CliRunner().invoke(
        cli, ["-C", str(root), "review", "--base", "main", "--head", head, "--today", TODAY, "--format", "json"]
    )
    document: dict[str, Any] = json.loads(result.output)
    return document


def change_keys(root: Path, name: str, lines: list[str], key: Path | None) -> None:
    git(root, "checkout", "-q", "-b", name, "main")
    set_keys(root, "ines-moreau", lines)
    if key is not None:
        sign(root, INES, key)
    git(root, "commit", "-q", "-am", name)
    git(root, "checkout", "-q", "main")


def test_review_lists_signatures_and_flags_key_changes_not_signed_by_a_previous_key(
    repo: Path, keys: dict[str, Path], tmp_path: Path
) -> None:
    old, new = keys["ines-moreau"], keygen(tmp_path, "new-laptop", "ed25519")
    change_keys(repo, "rotate", [public(old), public(new)], old)
    change_keys(repo, "stolen", [public(new)], new)
    change_keys(repo, "unsigned", [public(new)], None)
    rotate = review_json(repo, "rotate")
    assert rotate["flags"] == []
    (record,) = rotate["records"]
    assert record["signature"] == "verified"
    assert record["fingerprint"] == fingerprint(parse_signature(hand_sign(old, b"x")).public_key)
    stolen = review_json(repo, "stolen")
    assert [f["code"] for f in stolen["flags"]] == ["unsigned-key-change"]
    assert stolen["records"][0]["signature"] == "verified"  # self-consistent: only history tells
    assert "its signature does not verify with them (signature-unknown-key)" in stolen["flags"][0]["reason"]
    unsigned = review_json(repo, "unsigned")
    assert [f["code"] for f in unsigned["flags"]] == ["unsigned-key-change"]
    assert "change, but it is not signed: ask 'ines-moreau' to sign" in unsigned["flags"][0]["reason"]
    markdown = CliRunner().invoke(
        cli, ["-C", str(repo), "review", "--base", "main", "--head", "rotate", "--today", TODAY]
    )
    assert "signature verified (key `SHA256:" in markdown.output


@given(st.binary(max_size=400), st.integers(min_value=0, max_value=400))
@settings(max_examples=300, deadline=None)
def test_any_armored_bytes_give_a_verdict_never_an_exception(data: bytes, cut: int) -> None:
    """Random blobs, and real-looking SSHSIG preambles followed by noise, cut anywhere."""
    keyring = Keyring({"m": {}}, {})
    for blob in (data, b"SSHSIG\x00\x00\x00\x01" + data, (b"SSHSIG\x00\x00\x00\x01" + data)[:cut]):
        verdict = verify(b"payload", armor(blob), "m", keyring, None)
        assert verdict.code.startswith("signature-")


def _ssh_string(data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + data


@given(st.binary(max_size=200), st.sampled_from(["ssh-ed25519", "ecdsa-sha2-nistp256", "rsa-sha2-512", "x"]))
@settings(max_examples=200, deadline=None)
def test_a_known_key_with_a_damaged_signature_gives_a_verdict(noise: bytes, algorithm: str) -> None:
    """Past the key lookup, whatever the signature bytes, the outcome is a verdict."""
    keys = {
        "ed": ed25519.Ed25519PrivateKey.generate().public_key(),
        "ec": ec.generate_private_key(ec.SECP256R1()).public_key(),
    }
    for public_key in keys.values():
        line = public_key.public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH).decode()
        blob = base64.b64decode(line.split()[1])
        keyring = Keyring.of(
            [Member("m", Source("m.yml"), "M", "person", "x", "r", (), dt.date(2024, 1, 1), keys=(SigningKey(line),))]
        )
        inner = _ssh_string(algorithm.encode()) + _ssh_string(noise)
        sshsig = b"SSHSIG\x00\x00\x00\x01" + b"".join(
            _ssh_string(part) for part in (blob, b"triangle", b"", b"sha512", inner)
        )
        verdict = verify(b"payload", armor(sshsig), "m", keyring, dt.date(2025, 1, 1))
        assert verdict.code in ("signature-tampered", "signature-malformed"), verdict
