#!/usr/bin/env python3
"""Time the verification of 100,000 signatures by ``triangle check``.

A network that requires signatures pays for their verification on every pull request,
so it must stay cheap: the target is 100,000 ed25519 signatures in under 20 s on a
two-core machine, with both cores used. This benchmark:

1. writes a synthetic network with :mod:`make_network` (10,000 members by default:
   about 100,000 signable records);
2. gives every member one ed25519 key and signs every member record, attestation and
   resolution (keys and signatures are made in Python with ``cryptography``, which
   takes seconds where 100,000 runs of ``ssh-keygen`` would take many minutes; the
   signatures are ordinary SSHSIG signatures, which ``ssh-keygen -Y verify`` accepts);
3. times the real code path: ``triangle check`` as a child process (whole check, no
   cache; then with the parse cache warm, where verification is most of what is left),
   and, in this process, :func:`generator.check.verify_all` alone with 1 and 2 workers.

Setup (steps 1 and 2) is not timed. Usage:
``python bench/signatures.py [--members 10000] [--seed 1] [--keep DIR]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from make_network import make_network

REPO_ROOT: Final = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from generator.check import check_site, verify_all  # noqa: E402
from generator.signing import NAMESPACE, armor, signed_data, subjects  # noqa: E402

TODAY: Final = dt.date(2026, 11, 27)
TARGET_SIGNATURES: Final = 100_000
TARGET_SECONDS: Final = 20.0


def _string(data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + data


def sshsig(key: ed25519.Ed25519PrivateKey, message: bytes) -> str:
    """An armored SSHSIG signature of ``message``, byte for byte what ``ssh-keygen -Y sign`` makes."""
    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    public = _string(b"ssh-ed25519") + _string(raw)
    signature = key.sign(signed_data(NAMESPACE.encode(), b"sha512", message))
    blob = b"SSHSIG" + (1).to_bytes(4, "big")
    blob += _string(public) + _string(NAMESPACE.encode()) + _string(b"") + _string(b"sha512")
    blob += _string(_string(b"ssh-ed25519") + _string(signature))
    return armor(blob)


def _key_line(key: ed25519.Ed25519PrivateKey) -> str:
    return key.public_key().public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH).decode("ascii")


def _append(path: Path, text: str) -> None:
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(text)


def sign_network(root: Path) -> int:
    """Give each member a key and sign every signable record; return how many signatures were written."""
    members = sorted((root / "content" / "members").glob("*.yml"))
    keys = {path.stem: ed25519.Ed25519PrivateKey.generate() for path in members}
    for path in members:
        _append(path, f"keys:\n  - {_key_line(keys[path.stem])}\n")
    site = check_site(root, TODAY).site  # the model, to compute each payload as check does
    count = 0
    for subject in subjects(site):
        armored = sshsig(keys[subject.signer], subject.payload())
        block = "".join(f"  {line}\n" for line in armored.strip().split("\n"))
        _append(root / subject.path, f"signature: |\n{block}")
        count += 1
    return count


def timed_check(root: Path, *extra: str) -> tuple[float, str]:
    """Run ``triangle check`` in a child process (interpreter start-up included, as in CI)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "generator", "-C", str(root), "check", "--today", TODAY.isoformat(), *extra]
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    last = (done.stdout.strip().splitlines() or ["(no output)"])[-1]
    if done.returncode != 0:
        raise SystemExit(f"triangle check failed ({done.returncode}): {done.stdout[-2000:]}{done.stderr[-2000:]}")
    return seconds, last


def prepare(folder: Path, members: int, seed: int) -> int:
    """Write and sign the network (not timed); return how many signatures it holds."""
    start = time.perf_counter()
    stats = make_network(folder, members, seed)
    made = time.perf_counter() - start
    print(
        f"network: {stats.members:,} members, {stats.attestations:,} attestations, "
        f"{stats.resolutions:,} resolutions ({made:.1f} s)"
    )
    start = time.perf_counter()
    count = sign_network(folder)
    print(f"signed {count:,} records with one ed25519 key per member ({time.perf_counter() - start:.1f} s)")
    return count


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: build, sign and time one network."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="write the network here and keep it (default: a temp folder)")
    parser.add_argument("--reuse", type=Path, help="only time a network an earlier run signed and kept (--keep)")
    args = parser.parse_args(argv)
    folder = args.reuse or args.keep or Path(tempfile.mkdtemp(prefix="triangle-signatures-"))
    try:
        if args.reuse is None:
            prepare(folder, args.members, args.seed)
        site = check_site(folder, TODAY).site
        count = len(subjects(site, signed_only=True))
        for jobs in (1, 2):
            start = time.perf_counter()
            _, bad = verify_all(site, jobs)
            seconds = time.perf_counter() - start
            assert not bad, bad[:3]
            print(f"verify_all, {jobs} worker(s): {count:,} signatures in {seconds:.2f} s ({count / seconds:,.0f}/s)")
        cold, summary = timed_check(folder, "--no-cache")
        print(f"triangle check --no-cache: {cold:.1f} s — {summary}")
        timed_check(folder)  # fills the parse cache
        warm, summary = timed_check(folder)
        print(f"triangle check, parse cache warm (signatures are never cached): {warm:.1f} s — {summary}")
        verdict = "meets" if count >= TARGET_SIGNATURES and warm < TARGET_SECONDS else "misses"
        print(
            f"{verdict} the target: {TARGET_SIGNATURES:,} signatures verified by triangle check in under "
            f"{TARGET_SECONDS:.0f} s"
        )
    finally:
        if args.keep is None and args.reuse is None:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
