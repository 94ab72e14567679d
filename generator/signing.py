"""Signed records: the exact bytes a signature covers, and how a signature is verified.

A record's ``signature`` is an SSH signature (``ssh-keygen -Y sign``, the SSHSIG format)
made by one of its author's keys over a *payload*: canonical JSON of what the record
says, where it sits and, for an attestation, the facts of the engagement it attests
(``docs/signatures.md`` documents it for people who check by hand). Editing the record
or the engagement, moving the file to another engagement, or replaying it under another
member changes the payload, and the signature no longer matches.

Verification is done here, in Python, with ``cryptography``: no subprocess, so that
``triangle check`` can verify 100,000 signatures in seconds, and because signatures and
keys come from strangers, every way they can be malformed ends in a :class:`Verdict`
that says why, never in an exception. Everything here is a pure function of its
arguments; :mod:`check` decides where it runs (in worker processes for large sites).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import load_ssh_public_key

from .fields import (
    Boolean,
    Choice,
    Date,
    FieldType,
    Integer,
    Language,
    ListOf,
    MapOf,
    OneOf,
    RecordType,
    Signature,
    Slug,
    Text,
)
from .model import Attestation, Engagement, Member, Resolution, SigningKey, Site, Source, Withdrawal
from .schema import ATTESTATION, ENGAGEMENT, MEMBER, RESOLUTION, WITHDRAWAL

NAMESPACE: Final = "triangle"
"""The SSHSIG namespace of every Triangle signature: a signature made for git or for e-mail never counts here."""
PAYLOAD_FORMAT: Final = "triangle-signed-record 1"
"""The first member of every payload: a later payload layout gets a new name, never a silent change."""
SIGNED_KINDS: Final = ("member", "attestation", "resolution", "withdrawal")
RECORDS: Final[Mapping[str, RecordType]] = {
    "member": MEMBER,
    "engagement": ENGAGEMENT,
    "attestation": ATTESTATION,
    "resolution": RESOLUTION,
    "withdrawal": WITHDRAWAL,
}
MAX_ARMOR: Final = 8192
SIGN_HINT: Final = "run 'triangle sign FILE' again after editing"

# -- the payload -----------------------------------------------------------------------


def _json_value(value: Any, kind: FieldType) -> Any:
    """One converted value as plain JSON data, following its field type (pairs become objects)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, SigningKey):
        key: dict[str, Any] = {"key": value.line}
        if value.retired is not None:
            key["retired"] = value.retired.isoformat()
        return key
    if isinstance(kind, MapOf):
        return {label: _json_value(item, kind.value) for label, item in value}
    if isinstance(kind, ListOf):
        return [_json_value(item, kind.item) for item in value]
    if isinstance(kind, OneOf):
        return _json_value(value, kind.mapping)
    if isinstance(value, (tuple, list)):
        return [_json_value(item, kind) for item in value]
    return value


def _plain(value: Any) -> Any:
    return value


def _date(value: Any) -> Any:
    return value.isoformat()


def _words(value: Any) -> Any:
    return list(value)


def _converter(kind: FieldType) -> Callable[[Any], Any]:
    """The cheapest exact conversion of one field's values (payloads are built 100,000 times per check)."""
    if isinstance(kind, Date):
        return _date
    if isinstance(kind, ListOf) and isinstance(kind.item, (Slug, Choice, Language)):
        return _words
    if isinstance(kind, (Text, Slug, Choice, Integer, Boolean, Language, Signature)):
        return _plain
    return functools.partial(_json_value, kind=kind)


_FIELDS: Final[Mapping[str, tuple[tuple[str, Callable[[Any], Any]], ...]]] = {
    kind: tuple((spec.name, _converter(spec.type)) for spec in record.fields if spec.name != "signature")
    for kind, record in RECORDS.items()
}


def record_data(kind: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """What a record says, as JSON data: every key but ``signature``, absent and empty values left out.

    Leaving out ``None`` and empty lists makes the data the same whether it comes from a
    file just read or from the validated model (where an absent key is ``None``), and
    whether a member wrote ``disputes: []`` or nothing: both say the same thing.
    """
    data: dict[str, Any] = {}
    get = values.get
    for name, convert in _FIELDS[kind]:
        value = get(name)
        if value is None or value == ():
            continue
        data[name] = convert(value)
    return data


def model_values(record: Any, kind: str) -> dict[str, Any]:
    """The values of a model object under its schema's field names (the inverse of building it)."""
    return {spec.name: getattr(record, spec.name, None) for spec in RECORDS[kind].fields}


def record_id(kind: str, name: str, engagement: str | None) -> str:
    """A record's id as its path gives it: ``<engagement-id>/<member-id>`` for an attestation."""
    return f"{engagement}/{name}" if kind == "attestation" else name


def payload(
    kind: str, rid: str, values: Mapping[str, Any], engagement: tuple[str, Mapping[str, Any]] | None = None
) -> bytes:
    """The exact bytes a record's signature covers (``triangle sign --print-payload`` prints them).

    Canonical JSON (keys sorted, no spaces, UTF-8, one final newline) of the payload
    format, the record's kind and path-derived id, its data and, for an attestation, the
    id and data of its engagement.
    """
    document: dict[str, Any] = {"format": PAYLOAD_FORMAT, "kind": kind, "id": rid, "record": record_data(kind, values)}
    if engagement is not None:
        eid, facts = engagement
        document["engagement"] = {"id": eid, "facts": record_data("engagement", facts)}
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.encode("utf-8") + b"\n"


# -- parsing SSHSIG --------------------------------------------------------------------


class Malformed(Exception):
    """Internal: the armor or a key cannot be read; always turned into a verdict."""


@dataclass(frozen=True, slots=True)
class ParsedSignature:
    """The fields of an SSHSIG blob (see OpenSSH's PROTOCOL.sshsig)."""

    public_key: bytes
    namespace: bytes
    hash_algorithm: bytes
    signature: bytes


def _strings(data: bytes, count: int, start: int = 0) -> tuple[list[bytes], int]:
    """Read ``count`` SSH wire strings (uint32 length, bytes) from ``data``."""
    found = []
    place = start
    for _ in range(count):
        if place + 4 > len(data):
            raise Malformed("it is cut short")
        length = int.from_bytes(data[place : place + 4], "big")
        place += 4
        if place + length > len(data):
            raise Malformed("it is cut short")
        found.append(data[place : place + length])
        place += length
    return found, place


def dearmor(armor: str) -> bytes:
    """The binary SSHSIG blob inside an armored signature."""
    lines = armor.strip().split("\n")
    if len(armor) > MAX_ARMOR or len(lines) < 3:
        raise Malformed("it is not a whole armored signature")
    if lines[0].strip() != "-----BEGIN SSH SIGNATURE-----" or lines[-1].strip() != "-----END SSH SIGNATURE-----":
        raise Malformed("its BEGIN or END line is missing")
    try:
        return base64.b64decode("".join(line.strip() for line in lines[1:-1]), validate=True)
    except (binascii.Error, ValueError):
        raise Malformed("its base64 text is damaged (cut short or edited)") from None


def parse_signature(armor: str) -> ParsedSignature:
    """Read an armored SSHSIG signature, strictly: anything unexpected is :class:`Malformed`."""
    blob = dearmor(armor)
    if blob[:6] != b"SSHSIG" or len(blob) < 10:
        raise Malformed("it does not hold an SSH signature")
    if int.from_bytes(blob[6:10], "big") != 1:
        raise Malformed("it uses an unknown SSH signature version")
    (public_key, namespace, _reserved, hash_algorithm, signature), end = _strings(blob, 5, 10)
    if end != len(blob):
        raise Malformed("it has extra bytes after the signature")
    return ParsedSignature(public_key, namespace, hash_algorithm, signature)


@functools.lru_cache(maxsize=65536)
def fingerprint(blob: bytes) -> str:
    """The key's fingerprint as ``ssh-keygen -l`` prints it: ``SHA256:`` and unpadded base64."""
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode("ascii").rstrip("=")


def key_blob(line: str) -> bytes | None:
    """The binary public key of an OpenSSH key line (``None`` when it does not decode)."""
    words = line.split()
    if len(words) < 2:
        return None
    try:
        return base64.b64decode(words[1], validate=True)
    except (binascii.Error, ValueError):
        return None


def key_fingerprint(line: str) -> str | None:
    """The fingerprint of a key line, for pages and reports."""
    blob = key_blob(line)
    return None if blob is None else fingerprint(blob)


PublicKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey


@functools.lru_cache(maxsize=65536)
def _public_key(blob: bytes) -> PublicKey:
    """Load a public key from its wire form (cached: a member signs many records with one key)."""
    strings, _ = _strings(blob, 1)
    algorithm = strings[0].decode("ascii", "replace")
    if algorithm == "ssh-ed25519":
        (_, raw), end = _strings(blob, 2)
        if end != len(blob) or len(raw) != 32:
            raise Malformed("its ed25519 key is damaged")
        return ed25519.Ed25519PublicKey.from_public_bytes(raw)
    if algorithm not in ("ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521"):
        raise Malformed(f"its key type {algorithm!r} is not supported (use ed25519, ecdsa or rsa)")
    try:
        key = load_ssh_public_key(algorithm.encode("ascii") + b" " + base64.b64encode(blob))
    except (ValueError, UnsupportedAlgorithm):
        raise Malformed(f"its {algorithm} key is damaged") from None
    if not isinstance(key, (ec.EllipticCurvePublicKey, rsa.RSAPublicKey)):
        raise Malformed(f"its key type {algorithm!r} is not supported")
    return key


_ECDSA_HASHES: Final[Mapping[str, type[hashes.HashAlgorithm]]] = {
    "ecdsa-sha2-nistp256": hashes.SHA256,
    "ecdsa-sha2-nistp384": hashes.SHA384,
    "ecdsa-sha2-nistp521": hashes.SHA512,
}


def _check(key: PublicKey, signature: bytes, signed: bytes) -> bool:
    """Whether the SSH signature blob ``signature`` (algorithm name, then bytes) signs ``signed``."""
    (algorithm, raw), end = _strings(signature, 2)
    if end != len(signature):
        raise Malformed("it has extra bytes after the signature")
    name = algorithm.decode("ascii", "replace")
    try:
        if isinstance(key, ed25519.Ed25519PublicKey):
            if name != "ssh-ed25519":
                raise Malformed(f"its signature algorithm {name!r} does not fit an ed25519 key")
            key.verify(raw, signed)
        elif isinstance(key, rsa.RSAPublicKey):
            digest: hashes.HashAlgorithm
            if name == "rsa-sha2-512":
                digest = hashes.SHA512()
            elif name == "rsa-sha2-256":
                digest = hashes.SHA256()
            else:
                raise Malformed(f"its RSA signature algorithm {name!r} is not accepted (ssh-keygen makes rsa-sha2-512)")
            key.verify(raw, signed, padding.PKCS1v15(), digest)
        else:
            wanted = _ECDSA_HASHES.get(name)
            if wanted is None or f"nistp{key.curve.key_size}" not in name:
                raise Malformed(f"its signature algorithm {name!r} does not fit its ECDSA key")
            (r, s), end = _strings(raw, 2)
            if end != len(raw):
                raise Malformed("its ECDSA signature is damaged")
            der = encode_dss_signature(int.from_bytes(r, "big"), int.from_bytes(s, "big"))
            key.verify(der, signed, ec.ECDSA(wanted()))
    except InvalidSignature:
        return False
    return True


def signed_data(namespace: bytes, hash_algorithm: bytes, message: bytes) -> bytes:
    """What SSHSIG actually signs: a preamble, the namespace and the hash of the message."""
    algorithm = hash_algorithm.decode("ascii")
    digest = hashlib.new(algorithm, message).digest()
    parts = [namespace, b"", hash_algorithm, digest]
    return b"SSHSIG" + b"".join(len(p).to_bytes(4, "big") + p for p in parts)


def armor(blob: bytes) -> str:
    """Armor an SSHSIG blob the way ``ssh-keygen -Y sign`` does (76 characters a line)."""
    text = base64.b64encode(blob).decode("ascii")
    lines = [text[i : i + 76] for i in range(0, len(text), 76)]
    return "\n".join(["-----BEGIN SSH SIGNATURE-----", *lines, "-----END SSH SIGNATURE-----", ""])


# -- verdicts --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of verifying one record's signature: a fingerprint when it is good, a reason when not."""

    code: str
    """``""`` for a good signature, else the diagnostic code (``signature-tampered``, …)."""
    message: str
    fingerprint: str | None = None
    """The fingerprint of the key that made the signature, whenever it could be read."""

    @property
    def ok(self) -> bool:
        """Whether the signature verified."""
        return not self.code


_NO_KEYS: Final[Mapping[bytes, SigningKey]] = {}


@dataclass(frozen=True, slots=True)
class Keyring:
    """Every member's keys as binary blobs: who may sign, and whose key a stray signature used."""

    keys: Mapping[str, Mapping[bytes, SigningKey]]
    """Each member's keys by their binary form (a key listed twice keeps its first entry)."""
    owners: Mapping[bytes, str]

    @staticmethod
    def of(members: Iterable[Member]) -> Keyring:
        """Index the keys of ``members`` (a key line that does not decode was reported by the schema)."""
        keys: dict[str, Mapping[bytes, SigningKey]] = {}
        owners: dict[bytes, str] = {}
        for member in members:
            mine: dict[bytes, SigningKey] = {}
            for key in member.keys:
                blob = key_blob(key.line)
                if blob is not None:
                    mine.setdefault(blob, key)
                    owners.setdefault(blob, member.id)
            keys[member.id] = mine
        return Keyring(keys, owners)


def verify(
    message: bytes, armored: str, signer: str, keyring: Keyring, date: dt.date | None, what: str = "record"
) -> Verdict:
    """Verify that ``armored`` is ``signer``'s signature of ``message``, for a record dated ``date``.

    ``date`` is the record's own date (``None`` for a member record, which any retired
    key can no longer sign). Never raises on member data: every problem is a verdict.
    """
    try:
        parsed = parse_signature(armored)
    except Malformed as exc:
        return Verdict(
            "signature-malformed",
            f"this signature cannot be read: {exc}; paste the whole signature again, or {SIGN_HINT}",
        )
    try:
        shown = fingerprint(parsed.public_key)
        namespace = parsed.namespace.decode("utf-8", "replace")
        if parsed.namespace != NAMESPACE.encode():
            return Verdict(
                "signature-namespace",
                f"this signature was made for the namespace {namespace!r}, not {NAMESPACE!r}; "
                f"sign with 'triangle sign FILE' (or 'ssh-keygen -Y sign -n {NAMESPACE}')",
                shown,
            )
        if parsed.hash_algorithm not in (b"sha512", b"sha256"):
            return Verdict(
                "signature-malformed",
                f"this signature uses the hash {parsed.hash_algorithm.decode('ascii', 'replace')!r}; "
                f"expected sha512 or sha256: {SIGN_HINT}",
                shown,
            )
        allowed = keyring.keys.get(signer, _NO_KEYS)
        key = allowed.get(parsed.public_key)
        if key is None:
            owner = keyring.owners.get(parsed.public_key)
            if owner is not None and owner != signer:
                return Verdict(
                    "signature-wrong-member",
                    f"this {what} is signed with a key of {owner!r} ({shown}), not with a key of {signer!r}; "
                    f"only {signer!r} can sign it, with a key listed in content/members/{signer}.yml",
                    shown,
                )
            listed = "lists no keys" if not allowed else "does not list it"
            return Verdict(
                "signature-unknown-key",
                f"this {what} is signed with the key {shown}, but content/members/{signer}.yml {listed}; "
                "add that public key under 'keys' there, or sign with a key listed there",
                shown,
            )
        good = _check(
            _public_key(parsed.public_key),
            parsed.signature,
            signed_data(parsed.namespace, parsed.hash_algorithm, message),
        )
    except (Malformed, ValueError, UnicodeDecodeError) as exc:
        reason = str(exc) if isinstance(exc, Malformed) else "its key or signature is damaged"
        return Verdict("signature-malformed", f"this signature cannot be verified: {reason}; {SIGN_HINT}")
    if not good:
        return Verdict("signature-tampered", _tampered(what), shown)
    if key.retired is not None and (date is None or date >= key.retired):
        when = "a member record, which is always current" if date is None else f"dated {date.isoformat()}"
        return Verdict(
            "signature-retired-key",
            f"this {what} is signed with the key {shown}, retired on {key.retired.isoformat()}, and it is {when}; "
            "a retired key signs only records dated before its retirement: sign it again with a current key",
            shown,
        )
    return Verdict("", "", shown)


def _tampered(what: str) -> str:
    """Why a well-formed signature by the right key does not match, worded by record kind."""
    if what == "attestation":
        return (
            "this signature does not match the attestation: the attestation, the facts of its engagement "
            f"(engagement.yml) or its folder changed since it was signed; {SIGN_HINT}"
        )
    return f"this signature does not match the {what}: it changed since it was signed; {SIGN_HINT}"


# -- the records of a site -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Subject:
    """One signed (or signable) record of the site, with what its verification needs."""

    kind: str
    path: str
    source: Source
    signer: str
    date: dt.date | None
    signature: str | None
    record: Any
    engagement: Engagement | None = None

    def payload(self) -> bytes:
        """The bytes this record's signature must cover."""
        return record_payload(self.kind, self.record, self.engagement)


def record_payload(kind: str, record: Any, engagement: Engagement | None = None) -> bytes:
    """The payload of a validated record (a model object); an attestation needs its engagement."""
    values = model_values(record, kind)
    if kind == "attestation":
        assert engagement is not None
        rid = record_id(kind, record.attester, engagement.id)
        return payload(kind, rid, values, (engagement.id, model_values(engagement, "engagement")))
    name = {"member": "id", "resolution": "engagement", "withdrawal": "member"}[kind]
    return payload(kind, getattr(record, name), values)


def subjects(site: Site, signed_only: bool = False) -> list[Subject]:
    """Every record of the site that can carry a signature (or only the signed ones), in path order."""
    found: list[Subject] = []
    for member in site.members.values():
        # An erased member's placeholder (no name) has no file to sign.
        if member.name and (member.signature is not None or not signed_only):
            found.append(
                Subject("member", member.source.path, member.source, member.id, None, member.signature, member)
            )
    for engagement in site.engagements.values():
        for attestation in engagement.attestations:
            if attestation.signature is not None or not signed_only:
                found.append(_attestation_subject(attestation, engagement))
    rulings: tuple[tuple[str, Iterable[Resolution | Withdrawal]], ...] = (
        ("resolution", site.resolutions.values()),
        ("withdrawal", site.withdrawals.values()),
    )
    for kind, records in rulings:  # a coordinator's records: signed by ``by``, dated
        for record in records:
            if record.signature is not None or not signed_only:
                found.append(
                    Subject(kind, record.source.path, record.source, record.by, record.date, record.signature, record)
                )
    found.sort(key=lambda s: s.path)
    return found


def _attestation_subject(attestation: Attestation, engagement: Engagement) -> Subject:
    source = attestation.source
    return Subject(
        "attestation",
        source.path,
        source,
        attestation.attester,
        attestation.date,
        attestation.signature,
        attestation,
        engagement,
    )


def verify_subject(subject: Subject, keyring: Keyring) -> Verdict:
    """Verify one signed record (its ``signature`` must be present)."""
    assert subject.signature is not None
    what = "member record" if subject.kind == "member" else subject.kind
    return verify(subject.payload(), subject.signature, subject.signer, keyring, subject.date, what)


def verify_subjects(items: Sequence[Subject], keyring: Keyring) -> list[Verdict]:
    """Verify a share of the signed records, in order (what one worker process does)."""
    return [verify_subject(item, keyring) for item in items]


MAX_MOVE_CANDIDATES: Final = 2000
"""Engagements tried when telling where a tampered attestation was signed (only on failure)."""


def explain_tampered(
    site: Site, items: Sequence[Subject], verdicts: Sequence[Verdict], keyring: Keyring
) -> list[Verdict]:
    """Say more precisely why an attestation's signature no longer matches, when the site can tell.

    A signature covers the attestation, its engagement's facts and its place, and cannot
    say which changed; but the other records can. Signed for another engagement of the
    attester: the file was moved or copied. The other party's signed attestation of the
    same engagement still verifies: the facts are as signed, so this attestation changed;
    it fails too: the facts most likely changed. Run only for failures, in the parent.
    """
    by_path = {item.path: (item, verdict) for item, verdict in zip(items, verdicts, strict=True)}
    result = list(verdicts)
    for place, (item, verdict) in enumerate(zip(items, verdicts, strict=True)):
        if verdict.code != "signature-tampered" or item.kind != "attestation" or item.engagement is None:
            continue
        moved = _signed_elsewhere(site, item, keyring)
        if moved is not None:
            result[place] = Verdict(
                "signature-moved",
                f"this attestation was signed for the engagement {moved.id!r} ({moved.source.path}), not for this "
                f"one: it was moved or copied here; each engagement needs its own attestation, signed for it "
                "(write it with 'triangle attest', then 'triangle sign FILE')",
                verdict.fingerprint,
            )
            continue
        other = next((a for a in item.engagement.attestations if a.attester != item.signer), None)
        other_verdict = by_path.get(other.source.path) if other is not None else None
        if other is None or other_verdict is None:
            continue
        if other_verdict[1].ok:
            message = (
                "this signature does not match the attestation: the attestation changed since it was signed (its "
                f"engagement's facts did not: the signature of {other.attester!r} still matches them); {SIGN_HINT}"
            )
        elif other_verdict[1].code == "signature-tampered":
            message = (
                "this signature does not match the attestation: the facts of its engagement (engagement.yml) most "
                f"likely changed since it was signed: the signature of {other.attester!r} no longer matches either; "
                "if the change is right, both parties run 'triangle sign' again on their attestation"
            )
        else:
            continue
        result[place] = Verdict("signature-tampered", message, verdict.fingerprint)
    return result


def _signed_elsewhere(site: Site, item: Subject, keyring: Keyring) -> Engagement | None:
    """The attester's other engagement this attestation's signature was made for, if any."""
    assert item.signature is not None and item.engagement is not None
    for eid in site.engagements_by_member.get(item.signer, ())[:MAX_MOVE_CANDIDATES]:
        candidate = site.engagements.get(eid)
        if candidate is None or candidate.id == item.engagement.id:
            continue
        message = record_payload("attestation", item.record, candidate)
        if verify(message, item.signature, item.signer, keyring, item.date, "attestation").ok:
            return candidate
    return None
