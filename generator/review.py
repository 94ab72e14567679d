"""What a change does to the network, for a coordinator deciding on a pull request.

Pure functions of the two checked revisions and the change between them
(:class:`~generator.revisions.Revisions`): no git, no files, no clock. They answer the
coordinator's questions in order: can it be merged as it is (the verdict), which
records it adds, changes or removes and between whom, which attestations are still
missing, whose levels and scores move, and what deserves a closer look (red flags).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Final, Literal

from .diagnostics import Diagnostic, Severity
from .discover import CONTENT, RecordFile, RecordKind
from .gitread import Commit
from .model import Attestation, Engagement, Member, Resolution, Role, Withdrawal
from .revisions import Change, Revision, Revisions
from .score import SIDES, Scores
from .signing import Keyring, key_fingerprint, record_payload, subjects, verify
from .status import NEGATIVE_DELIVERY, NEGATIVE_PAYMENT, NEGATIVE_RATING, engagement_status

Verdict = Literal["ready", "waiting", "needs attention", "invalid"]
VERDICTS: Final[tuple[Verdict, ...]] = ("ready", "waiting", "needs attention", "invalid")
"""From best to worst; ``ready`` and ``waiting`` exit 0, the others 1."""

FileChange = Literal["added", "modified", "removed"]
SignatureState = Literal["verified", "invalid", "unsigned"]
"""A signable record's signature in the head revision: good, present but failing the check, or absent."""

FLAGS: Final[dict[str, str]] = {
    "outside-content": "files outside content/ change: configuration, templates, code or workflows need a maintainer",
    "attestation-edited": "an existing attestation is changed",
    "attestation-removed": "an existing attestation is deleted",
    "author-mismatch": "an attestation is committed by someone other than the member it is named after",
    "new-member-attestations": "a member who joins in this change already brings attestations",
    "reciprocal-burst": "two members attest each other on several engagements at once",
    "new-cluster": "recently joined members whose engagements are only with each other",
    "member-removed": "a member who has engagements is deleted",
    "withdrawn-readded": "a member who asked to be forgotten is added again, or their withdrawal is undone",
    "unsigned-key-change": "a member's keys change without a signature by one of that member's previous keys",
}
"""Every red flag code and what it means; codes are stable, like diagnostic codes."""

BURST_ENGAGEMENTS: Final = 3
"""A pair of members attesting each other on this many engagements in one change is a burst."""
CLUSTER_MEMBERS: Final = 3
"""The smallest group of new members attesting only each other that is flagged (two is a burst's business)."""
RECENT_DAYS: Final = 180
"""A member who joined at most this many days before the build date is recently joined."""
SCORE_STEP: Final = 0.005
"""Score moves smaller than this are not listed: scores are shown with two decimals, and
trust propagation moves every member's score by tiny amounts whenever anything changes."""


@dataclass(frozen=True, slots=True)
class Quoted:
    """A value quoted from the records (an id, a path) inside a sentence.

    The Markdown report shows it in a code span, literally, and the prose around it
    escaped: a value is never read as Markdown, and an id stays copyable (``li-na``,
    not ``li\\-na``).
    """

    text: str


Phrase = tuple[str | Quoted, ...]
"""A sentence as prose and quoted values, so that each format can show values its own way."""


def plain(phrase: Phrase) -> str:
    """The sentence as plain text (JSON, GitHub annotations)."""
    return "".join(part if isinstance(part, str) else part.text for part in phrase)


def _listed(values: Iterable[str], last: str = ", ") -> Phrase:
    """``a, b and c`` (``last=" and "``) or ``a, b, c`` with every value quoted."""
    items = list(values)
    parts: list[str | Quoted] = []
    for index, value in enumerate(items):
        if index:
            parts.append(last if index == len(items) - 1 else ", ")
        parts.append(Quoted(value))
    return tuple(parts)


@dataclass(frozen=True, slots=True)
class RedFlag:
    """Something a coordinator should look at before merging, with a one-line reason."""

    code: str
    phrase: Phrase
    paths: tuple[str, ...] = ()
    """Site-relative paths it is about (repository-relative for ``outside-content``); member
    ids for ``new-cluster``, engagement ids for ``reciprocal-burst``."""
    files: tuple[str, ...] = ()
    """The files a coordinator opens to check it (site-relative, repository-relative for
    ``outside-content``); ``paths`` when empty."""

    @property
    def reason(self) -> str:
        """The reason as plain text."""
        return plain(self.phrase)

    @property
    def opened(self) -> tuple[str, ...]:
        """The files to open: ``files``, else ``paths``."""
        return self.files or self.paths


@dataclass(frozen=True, slots=True)
class RecordChange:
    """One record added, modified or removed, with the members it involves."""

    change: FileChange
    kind: RecordKind
    id: str
    """Member id, engagement id, ``engagement/attester`` for an attestation, engagement id for a resolution."""
    path: str
    label: str
    """The member's name or the engagement's title ("" when the record is invalid)."""
    parties: tuple[tuple[str, str], ...]
    """(role, member id) pairs: ``client``, ``supplier``, ``attester``, ``about``, ``coordinator``."""
    signature: SignatureState | None = None
    """``None`` for what carries no signature: an engagement's facts, a removed or invalid record."""
    fingerprint: str | None = None
    """The key that made a verified signature."""


@dataclass(frozen=True, slots=True)
class AttestationReview:
    """One party's attestation of a touched engagement, as the head revision has it."""

    role: Role
    member: str
    path: str
    state: Literal["present", "missing", "invalid"]
    """``invalid``: the file exists but does not pass the check."""
    change: FileChange | None
    """What this change does to the file (``None``: untouched)."""
    signed: bool
    signature: SignatureState | None = None
    fingerprint: str | None = None


@dataclass(frozen=True, slots=True)
class EngagementReview:
    """A touched engagement: its parties, attestations and status before and after."""

    id: str
    title: str
    client: str
    supplier: str
    status_before: str | None
    """``None`` when the engagement does not exist (or is invalid) before the change."""
    status_after: str | None
    """``None`` when the change removes it (or leaves it invalid)."""
    attestations: tuple[AttestationReview, ...]
    """The client's, then the supplier's."""
    signatures: bool
    """Whether signature status is worth showing: signatures are required or some exist."""

    @property
    def missing(self) -> tuple[AttestationReview, ...]:
        """The attestations still to write (none once the engagement is removed)."""
        if self.status_after is None:
            return ()
        return tuple(a for a in self.attestations if a.state == "missing")


@dataclass(frozen=True, slots=True)
class SideChange:
    """One side of one member whose level or score moves."""

    member: str
    side: str
    level_before: str | None
    score_before: float | None
    level_after: str | None
    score_after: float | None
    direct: bool
    """The member is a party to what the change touches; other members move only through trust propagation."""

    @property
    def level_changed(self) -> bool:
        """Whether the badge itself changes."""
        return self.level_before != self.level_after


@dataclass(frozen=True, slots=True)
class Review:
    """Everything ``triangle review`` reports, ready to render."""

    verdict: Verdict
    why: Phrase
    """The rest of the verdict line: why this verdict."""
    base_ref: str
    base_commit: str
    head_ref: str
    head_commit: str
    compared: str
    """The commit actually compared with the head (the merge base, when history tells it)."""
    prefix: str
    today: dt.date
    flags: tuple[RedFlag, ...]
    errors: tuple[Diagnostic, ...]
    """Errors in files the change touches, or that the change causes elsewhere."""
    warnings: tuple[Diagnostic, ...]
    pre_existing_errors: int
    """Errors already there before the change, in files it does not touch (not listed)."""
    records: tuple[RecordChange, ...]
    other_files: tuple[tuple[str, str], ...]
    """(change, repository path) of every changed file that is not a record."""
    engagements: tuple[EngagementReview, ...]
    score_changes: tuple[SideChange, ...]
    notes: tuple[str, ...]
    signatures: bool = False
    """Whether the records' signature status is worth showing: required, or some touched record is signed."""

    @property
    def reason(self) -> str:
        """Why this verdict, as plain text."""
        return plain(self.why)

    @property
    def exit_code(self) -> int:
        """0 when it can be merged now or once attested; 1 when someone must look or fix."""
        return 0 if self.verdict in ("ready", "waiting") else 1

    @property
    def verdict_line(self) -> str:
        """``Verdict: waiting — valid, but 1 attestation is missing: …``."""
        return f"Verdict: {self.verdict} — {self.reason}"


# ------------------------------------------------------------------------ the model


class _View:
    """The parts of a revision's model the review reads (empty when ``site.yml`` was unreadable)."""

    def __init__(self, revision: Revision) -> None:
        site = revision.site
        self.revision = revision
        self.members: Mapping[str, Member] = site.members if site is not None else {}
        self.engagements: Mapping[str, Engagement] = site.engagements if site is not None else {}
        self.resolutions: Mapping[str, Resolution] = site.resolutions if site is not None else {}
        self.by_member: Mapping[str, tuple[str, ...]] = site.engagements_by_member if site is not None else {}
        self.withdrawals: Mapping[str, Withdrawal] = site.withdrawals if site is not None else {}
        self.signed: Mapping[str, str | None] = {s.path: s.signature for s in subjects(site)} if site else {}
        """Every signable record's signature (``None``: unsigned), by path."""
        self.verified: Mapping[str, str] = site.verified if site is not None else {}

    def signature(self, path: str) -> tuple[SignatureState | None, str | None]:
        """The state of a record's signature in this revision, and the key of a good one."""
        if path not in self.signed:
            return None, None
        if path in self.verified:
            return "verified", self.verified[path]
        return ("unsigned" if self.signed[path] is None else "invalid"), None

    def withdrawn(self, member: str) -> bool:
        """Whether a member asked to be forgotten (``status: withdrawn`` or a withdrawal record)."""
        found = self.members.get(member)
        return member in self.withdrawals or (found is not None and found.status == "withdrawn")

    def status(self, eid: str) -> str | None:
        site = self.revision.site
        engagement = self.engagements.get(eid)
        if site is None or engagement is None:
            return None
        scoring = site.config.scoring
        return engagement_status(
            engagement,
            self.resolutions.get(eid),
            site.today,
            scoring.confirm_window_days,
            scoring.reply_window_days,
        ).status

    def signatures_required(self) -> bool:
        return self.revision.site is not None and self.revision.site.config.signatures == "required"


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else (plural or word + 's')}"


def _attestation(engagement: Engagement | None, attester: str) -> Attestation | None:
    if engagement is None:
        return None
    for attestation in engagement.attestations:
        if attestation.attester == attester:
            return attestation
    return None


def negative_parts(attestation: Attestation) -> list[str]:
    """What an attestation says that is negative, in words (empty when nothing is)."""
    parts = []
    if attestation.delivery in NEGATIVE_DELIVERY:
        parts.append(f"delivery {attestation.delivery}")
    if attestation.quality is not None and attestation.quality <= NEGATIVE_RATING:
        parts.append(f"quality {attestation.quality}/5")
    if attestation.payment in NEGATIVE_PAYMENT:
        parts.append(f"payment {attestation.payment}")
    if attestation.relationship <= NEGATIVE_RATING:
        parts.append(f"relationship {attestation.relationship}/5")
    if not attestation.recommend:
        parts.append("not recommended")
    return parts


# ------------------------------------------------------------------------- authors


def _fold(text: str) -> str:
    """Lowercase ASCII words: ``Inès  Moreau`` and ``ines moreau`` compare equal."""
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.findall(r"[a-z0-9]+", ascii_text))


def author_member(name: str, email: str, members: Mapping[str, Member]) -> str | None:
    """The member a commit author seems to be, when it can be told; ``None`` otherwise.

    A member record has no e-mail address, so this compares what there is: the
    author's name with the member's name, and the author's name or e-mail user name
    (a GitHub ``12345+login@users.noreply.github.com`` gives its login) with the member
    id. Several candidates, or none, mean it cannot be told.
    """
    local, _, domain = email.strip().lower().rpartition("@")
    if domain.endswith("users.noreply.github.com"):
        local = local.rpartition("+")[2]
    slugs = {_fold(text).replace(" ", "-") for text in (name, local) if text}
    folded = _fold(name)
    found = {mid for mid in slugs if mid in members}
    if folded:
        found.update(mid for mid, member in members.items() if _fold(member.name) == folded)
    return found.pop() if len(found) == 1 else None


# -------------------------------------------------------------------------- review


def review(revisions: Revisions) -> Review:
    """Review the change from ``revisions.base`` to ``revisions.head``."""
    base, head, change = _View(revisions.base), _View(revisions.head), revisions.change
    site_changes: dict[str, FileChange] = {}
    for path, what in change.paths.items():
        site_path = change.site_path(path)
        if site_path is not None:
            site_changes[site_path] = what  # type: ignore[assignment]
    errors, warnings, pre_existing = _diagnostics(revisions.base, revisions.head, site_changes)
    records, other = _records(base, head, change, site_changes)
    engagements = _engagements(base, head, site_changes)
    flags = _flags(base, head, change, site_changes, records)
    notes: list[str] = []
    score_changes: tuple[SideChange, ...] = ()
    for name, revision in (("base", revisions.base), ("head", revisions.head)):
        if revision.score_error is not None:
            notes.append(f"scores of the {name} revision are not computed: {revision.score_error}")
    if revisions.base.scores is not None and revisions.head.scores is not None:
        score_changes = _score_changes(revisions.base.scores, revisions.head.scores, _involved(records))
    if change.compared != revisions.base.commit:
        notes.append(
            f"compared with {change.compared[:12]}, where the head forked from {revisions.base.ref!r}: "
            f"changes made on {revisions.base.ref!r} since then are not this change's"
        )
    if change.authors_unknown:
        notes.append(
            "this clone is too shallow to tell who wrote each file, so attestations were not compared with "
            "their commits' authors (fetch the pull request's history, e.g. fetch-depth: 0)"
        )
    config_error = revisions.head.config_error
    if config_error is not None:
        notes.append(f"the head revision cannot be checked: {config_error.message}")
    verdict, reason = _verdict(errors, config_error is not None, pre_existing, flags, engagements)
    signatures = head.signatures_required() or any(r.signature in ("verified", "invalid") for r in records)
    return Review(
        verdict=verdict,
        why=reason,
        base_ref=revisions.base.ref,
        base_commit=revisions.base.commit,
        head_ref=revisions.head.ref,
        head_commit=revisions.head.commit,
        compared=change.compared,
        prefix=change.prefix,
        today=change.today,
        flags=flags,
        errors=errors,
        warnings=warnings,
        pre_existing_errors=pre_existing,
        records=records,
        other_files=other,
        engagements=engagements,
        score_changes=score_changes,
        notes=tuple(notes),
        signatures=signatures,
    )


def _verdict(
    errors: tuple[Diagnostic, ...],
    unreadable: bool,
    pre_existing: int,
    flags: tuple[RedFlag, ...],
    engagements: tuple[EngagementReview, ...],
) -> tuple[Verdict, Phrase]:
    if errors or unreadable:
        reason = f"{_plural(len(errors), 'error')} in what this change touches or breaks"
        if unreadable:
            reason = "site.yml cannot be read, so nothing can be checked"
        if pre_existing:
            reason += f" (and {_plural(pre_existing, 'pre-existing error')} elsewhere, not listed)"
        return "invalid", (reason,)
    if flags:
        codes = _listed(dict.fromkeys(flag.code for flag in flags))
        return "needs attention", (f"{_plural(len(flags), 'red flag')}: ", *codes)
    missing = [(e.id, a.member) for e in engagements for a in e.missing]
    if missing:
        who: list[str | Quoted] = []
        for eid, member in missing:
            who += [", " if who else "", Quoted(member), " on ", Quoted(eid)]
        return "waiting", (f"valid, but {_plural(len(missing), 'attestation is', 'attestations are')} missing: ", *who)
    return "ready", ("valid, every engagement it touches is attested by both parties, nothing flagged",)


def _key(d: Diagnostic) -> tuple[str, int, int, str, str]:
    return d.sort_key()


def _diagnostics(
    base: Revision, head: Revision, site_changes: Mapping[str, FileChange]
) -> tuple[tuple[Diagnostic, ...], tuple[Diagnostic, ...], int]:
    """Problems in touched files or new elsewhere (errors, warnings), and the count of older errors."""
    before = {_key(d) for d in base.diagnostics}
    listed: list[Diagnostic] = []
    pre_existing = 0
    for d in head.diagnostics:
        if d.path in site_changes or _key(d) not in before:
            listed.append(d)
        elif d.severity is Severity.ERROR:
            pre_existing += 1
    errors = tuple(d for d in listed if d.severity is Severity.ERROR)
    warnings = tuple(d for d in listed if d.severity is Severity.WARNING)
    return errors, warnings, pre_existing


def _record_of(base: _View, head: _View, path: str) -> RecordFile | None:
    return head.revision.records.get(path) or base.revision.records.get(path)


def _records(
    base: _View, head: _View, change: Change, site_changes: Mapping[str, FileChange]
) -> tuple[tuple[RecordChange, ...], tuple[tuple[str, str], ...]]:
    records: list[RecordChange] = []
    other: list[tuple[str, str]] = []
    for path, what in change.paths.items():
        site_path = change.site_path(path)
        file = _record_of(base, head, site_path) if site_path is not None else None
        if file is None:
            other.append((what, path))
            continue
        view = base if what == "removed" else head
        described = _describe(file, what, view, base)  # type: ignore[arg-type]
        if what != "removed":
            state, key = head.signature(file.path)
            described = replace(described, signature=state, fingerprint=key)
        records.append(described)
    order = {"member": 0, "engagement": 1, "attestation": 2, "resolution": 3, "withdrawal": 4}
    records.sort(key=lambda r: (order[r.kind], r.id, r.path))
    return tuple(records), tuple(other)


def _describe(file: RecordFile, what: FileChange, view: _View, base: _View) -> RecordChange:
    """A changed record with its label and parties, from the revision that has it (else the base)."""
    if file.kind == "member":
        member = view.members.get(file.name) or base.members.get(file.name)
        return RecordChange(what, "member", file.name, file.path, member.name if member else "", ())
    if file.kind == "withdrawal":
        withdrawal = view.withdrawals.get(file.name)
        by = (("coordinator", withdrawal.by),) if withdrawal is not None else ()
        return RecordChange(what, "withdrawal", file.name, file.path, "", (("member", file.name), *by))
    if file.kind == "resolution":
        resolution = view.resolutions.get(file.name)
        engagement = view.engagements.get(file.name) or base.engagements.get(file.name)
        parties = _parties(engagement)
        if resolution is not None:
            parties = (("coordinator", resolution.by), *parties)
        return RecordChange(what, "resolution", file.name, file.path, engagement.title if engagement else "", parties)
    eid = file.engagement or file.name
    engagement = view.engagements.get(eid) or base.engagements.get(eid)
    if file.kind == "engagement":
        return RecordChange(
            what, "engagement", eid, file.path, engagement.title if engagement else "", _parties(engagement)
        )
    about = (("about", engagement.counterpart(file.name)),) if engagement and file.name in engagement.parties else ()
    return RecordChange(
        what,
        "attestation",
        f"{eid}/{file.name}",
        file.path,
        engagement.title if engagement else "",
        (("attester", file.name), *about),
    )


def _parties(engagement: Engagement | None) -> tuple[tuple[str, str], ...]:
    if engagement is None:
        return ()
    return (("client", engagement.client), ("supplier", engagement.supplier))


def _touched_engagements(base: _View, head: _View, site_changes: Mapping[str, FileChange]) -> list[str]:
    touched: dict[str, None] = {}
    for path in site_changes:
        file = _record_of(base, head, path)
        if file is None:
            continue
        if file.kind in ("engagement", "attestation") and file.engagement is not None:
            touched[file.engagement] = None
        elif file.kind == "resolution":
            touched[file.name] = None
    return sorted(touched)


def _engagements(base: _View, head: _View, site_changes: Mapping[str, FileChange]) -> tuple[EngagementReview, ...]:
    reviews = []
    for eid in _touched_engagements(base, head, site_changes):
        engagement = head.engagements.get(eid) or base.engagements.get(eid)
        if engagement is None:
            continue  # invalid on both sides: its errors say what to fix
        folder = engagement.source.path.rpartition("/")[0]
        attestations = []
        for role, member in (("client", engagement.client), ("supplier", engagement.supplier)):
            path = f"{folder}/{member}.yml"
            present = _attestation(head.engagements.get(eid), member)
            state: Literal["present", "missing", "invalid"] = "present"
            if present is None:
                state = "invalid" if path in head.revision.files else "missing"
            attestations.append(
                AttestationReview(
                    role,  # type: ignore[arg-type]
                    member,
                    path,
                    state,
                    site_changes.get(path),
                    present is not None and present.signature is not None,
                    *head.signature(path),
                )
            )
        signed = any(
            a.signature is not None
            for view in (base, head)
            for e in (view.engagements.get(eid),)
            if e is not None
            for a in e.attestations
        )
        reviews.append(
            EngagementReview(
                eid,
                engagement.title,
                engagement.client,
                engagement.supplier,
                base.status(eid),
                head.status(eid),
                tuple(attestations),
                signed or head.signatures_required(),
            )
        )
    return tuple(reviews)


def _involved(records: tuple[RecordChange, ...]) -> frozenset[str]:
    """Members a changed record is about: the member themselves, or the parties."""
    return frozenset(
        member for record in records for member in ((record.id,) if record.kind == "member" else ())
    ) | frozenset(member for record in records for _, member in record.parties)


def _score_changes(base: Scores, head: Scores, involved: frozenset[str]) -> tuple[SideChange, ...]:
    changes = []
    for member in sorted(base.members.keys() | head.members.keys()):
        before, after = base.members.get(member), head.members.get(member)
        for side in SIDES:
            old = before.sides[side] if before is not None else None
            new = after.sides[side] if after is not None else None
            if (
                old is not None
                and new is not None
                and old.level == new.level
                and abs(old.score - new.score) < SCORE_STEP
            ):
                continue
            changes.append(
                SideChange(
                    member,
                    side,
                    old.level if old else None,
                    old.score if old else None,
                    new.level if new else None,
                    new.score if new else None,
                    member in involved,
                )
            )
    return tuple(changes)


# --------------------------------------------------------------------------- flags


def _flags(
    base: _View,
    head: _View,
    change: Change,
    site_changes: Mapping[str, FileChange],
    records: tuple[RecordChange, ...],
) -> tuple[RedFlag, ...]:
    added_attestations = [
        r for r in records if r.kind == "attestation" and r.change == "added" and r.path in head.revision.records
    ]
    return (
        *_outside_content(change),
        *_attestations_changed(base, head, site_changes),
        *_author_mismatch(base, head, change),
        *_new_member_attestations(base, head, site_changes, added_attestations),
        *_reciprocal_burst(head, added_attestations),
        *_new_cluster(base, head, change.today, site_changes, added_attestations),
        *_member_removed(base, head, site_changes),
        *_withdrawn_readded(base, head, site_changes),
        *_unsigned_key_change(base, head, site_changes),
    )


def _attestation_files(head: _View, paths: Iterable[RecordChange]) -> list[tuple[RecordFile, Engagement]]:
    found = []
    for record in paths:
        file = head.revision.records.get(record.path)
        engagement = head.engagements.get(file.engagement or "") if file is not None else None
        if file is not None and engagement is not None and file.name in engagement.parties:
            found.append((file, engagement))
    return found


def _outside_content(change: Change) -> list[RedFlag]:
    content = f"{change.prefix}{CONTENT}/"
    outside = [path for path in change.paths if not path.startswith(content)]
    if not outside:
        return []
    more = ", …" if len(outside) > 3 else ""
    return [
        RedFlag(
            "outside-content",
            (
                f"{_plural(len(outside), 'file')} outside content/ {'changes' if len(outside) == 1 else 'change'} (",
                *_listed(outside[:3]),
                f"{more}): configuration, templates, code and workflows need a maintainer's review, "
                "not only a coordinator's",
            ),
            tuple(outside),
        )
    ]


def _attestations_changed(base: _View, head: _View, site_changes: Mapping[str, FileChange]) -> list[RedFlag]:
    flags = []
    for path, what in site_changes.items():
        file = base.revision.records.get(path)
        if file is None or file.kind != "attestation" or what == "added":
            continue
        eid = file.engagement or ""
        before = _attestation(base.engagements.get(eid), file.name)
        negative = negative_parts(before) if before is not None else []
        tail = f"; it was negative ({', '.join(negative)})" if negative else ""
        if what == "removed":
            reason: Phrase = (
                Quoted(file.name),
                "'s attestation of ",
                Quoted(eid),
                f" is deleted{tail}: a published statement disappears from the record; check that both parties agree",
            )
            flags.append(RedFlag("attestation-removed", reason, (path,)))
        else:
            reason = (
                Quoted(file.name),
                "'s existing attestation of ",
                Quoted(eid),
                f" is edited{tail}: check that the change is the attester's own and that the other party was told",
            )
            flags.append(RedFlag("attestation-edited", reason, (path,)))
    return flags


def _author_mismatch(base: _View, head: _View, change: Change) -> list[RedFlag]:
    members = {**base.members, **head.members}
    flagged: dict[str, RedFlag] = {}
    for commit in reversed(change.commits):  # oldest first: the first mismatch is reported
        author = author_member(commit.author_name, commit.author_email, members)
        if author is None:
            continue  # who wrote the commit cannot be told
        for repo_path in commit.paths:
            path = change.site_path(repo_path)
            file = head.revision.records.get(path) if path is not None else None
            if file is None or file.kind != "attestation" or path in flagged or file.name == author:
                continue
            if change.paths.get(repo_path) not in ("added", "modified"):
                continue
            flagged[file.path] = RedFlag(
                "author-mismatch",
                (
                    Quoted(file.path),
                    " is ",
                    Quoted(file.name),
                    "'s attestation, but commit ",
                    Quoted(commit.sha[:10]),
                    " that writes it is by ",
                    Quoted(_author(commit)),
                    ", who seems to be ",
                    Quoted(author),
                    ": each party writes their own attestation",
                ),
                (file.path,),
            )
    return [flagged[path] for path in sorted(flagged)]


def _author(commit: Commit) -> str:
    return f"{commit.author_name} <{commit.author_email}>" if commit.author_email else commit.author_name


def _added_members(base: _View, head: _View, site_changes: Mapping[str, FileChange]) -> set[str]:
    added = set()
    for path, what in site_changes.items():
        file = head.revision.records.get(path)
        if what == "added" and file is not None and file.kind == "member" and file.name not in base.members:
            added.add(file.name)
    return added


def _new_member_attestations(
    base: _View, head: _View, site_changes: Mapping[str, FileChange], added: list[RecordChange]
) -> list[RedFlag]:
    newcomers = _added_members(base, head, site_changes)
    brought: dict[str, list[str]] = defaultdict(list)
    for file, engagement in _attestation_files(head, added):
        for party in engagement.parties:
            if party in newcomers:
                brought[party].append(file.path)
    return [
        RedFlag(
            "new-member-attestations",
            (
                Quoted(member),
                f" joins in this change and already brings {_plural(len(paths), 'attestation')} (",
                *_listed(sorted(paths)),
                "): a newcomer's engagements are best recorded once they are a member",
            ),
            tuple(sorted(paths)),
        )
        for member, paths in sorted(brought.items())
    ]


def _reciprocal_burst(head: _View, added: list[RecordChange]) -> list[RedFlag]:
    pairs: dict[tuple[str, str], set[str]] = defaultdict(set)
    files: dict[tuple[str, str], set[str]] = defaultdict(set)
    for file, engagement in _attestation_files(head, added):
        if engagement.by_client is not None and engagement.by_supplier is not None:
            a, b = sorted(engagement.parties)
            pairs[(a, b)].add(engagement.id)
            files[(a, b)].add(file.path)
    return [
        RedFlag(
            "reciprocal-burst",
            (
                Quoted(a),
                " and ",
                Quoted(b),
                f" attest each other on {len(eids)} engagements in this one change (",
                *_listed(sorted(eids)),
                "): check these engagements really took place",
            ),
            tuple(sorted(eids)),
            tuple(sorted(files[(a, b)])),
        )
        for (a, b), eids in sorted(pairs.items())
        if len(eids) >= BURST_ENGAGEMENTS
    ]


def _new_cluster(
    base: _View,
    head: _View,
    today: dt.date,
    site_changes: Mapping[str, FileChange],
    added: list[RecordChange],
) -> list[RedFlag]:
    newcomers = _added_members(base, head, site_changes)

    def recent(member: str) -> bool:
        found = head.members.get(member)
        return member in newcomers or (found is not None and (today - found.joined).days <= RECENT_DAYS)

    # Union-find over the engagements this change attests between two recent members.
    parent: dict[str, str] = {}

    def root(member: str) -> str:
        while parent.setdefault(member, member) != member:
            member = parent[member]
        return member

    for _, engagement in _attestation_files(head, added):
        a, b = engagement.parties
        if recent(a) and recent(b):
            parent[root(a)] = root(b)
    groups: dict[str, set[str]] = defaultdict(set)
    for member in list(parent):
        groups[root(member)].add(member)
    flags = []
    for group in sorted(groups.values(), key=sorted):
        if len(group) < CLUSTER_MEMBERS:
            continue
        engagements = {eid for member in group for eid in head.by_member.get(member, ())}
        if all(set(head.engagements[eid].parties) <= group for eid in engagements):
            names = sorted(group)
            flags.append(
                RedFlag(
                    "new-cluster",
                    (
                        *_listed(names, " and "),
                        f" joined recently (within {RECENT_DAYS} days, or in this change) and their "
                        f"{_plural(len(engagements), 'engagement')} are only with each other: "
                        "check they are real, independent members",
                    ),
                    tuple(names),
                    tuple(head.members[m].source.path for m in names if m in head.members),
                )
            )
    return flags


def _member_removed(base: _View, head: _View, site_changes: Mapping[str, FileChange]) -> list[RedFlag]:
    flags = []
    for path, what in site_changes.items():
        file = base.revision.records.get(path)
        if what != "removed" or file is None or file.kind != "member" or file.name in head.members:
            continue
        engagements = base.by_member.get(file.name, ())
        if engagements:
            flags.append(
                RedFlag(
                    "member-removed",
                    (
                        Quoted(file.name),
                        f" is deleted but is a party to {_plural(len(engagements), 'engagement')}: "
                        "their counterparts' history would lose its references; set 'status: left' "
                        "(or 'withdrawn') in their record instead",
                    ),
                    (path,),
                )
            )
    return flags


def _withdrawn_readded(base: _View, head: _View, site_changes: Mapping[str, FileChange]) -> list[RedFlag]:
    """A withdrawn id coming back: a member file added (or un-withdrawn) for it, or its withdrawal deleted."""
    flags = []
    for path, what in sorted(site_changes.items()):
        file = head.revision.records.get(path) or base.revision.records.get(path)
        if file is None or file.kind not in ("member", "withdrawal"):
            continue
        mid = file.name
        if not (base.withdrawn(mid) or (file.kind == "member" and mid in head.withdrawals)):
            continue
        reason: Phrase
        if file.kind == "member" and what == "added":
            reason = (
                Quoted(mid),
                " asked to be forgotten, and this change adds a member file with that id again: "
                "never reuse a withdrawn id; if the same person rejoins, they confirm it themselves "
                "and the withdrawal is removed in a change of its own",
            )
        elif file.kind == "member" and what == "modified" and not head.withdrawn(mid):
            reason = (
                Quoted(mid),
                " asked to be forgotten, and this change sets their status back: their profile would reappear",
            )
        elif file.kind == "withdrawal" and what == "removed" and not head.withdrawn(mid):
            reason = (
                "this change deletes the withdrawal of ",
                Quoted(mid),
                ", who asked to be forgotten: their profile would reappear",
            )
        else:
            continue
        flags.append(RedFlag("withdrawn-readded", reason, (path,)))
    return flags


def _unsigned_key_change(base: _View, head: _View, site_changes: Mapping[str, FileChange]) -> list[RedFlag]:
    """A member's keys that change without the member's word for it: a signature by a key they had before.

    The keys of a member record are trusted from the member's first version with keys
    onward: from then on, only someone holding one of those keys can change them, so
    the new record must be signed by a key of the base revision (a retired one no
    longer counts). Without that, whoever gets a pull request merged could replace a
    member's keys with their own and sign in that member's name.
    """
    flags = []
    for path, what in sorted(site_changes.items()):
        file = head.revision.records.get(path)
        if what != "modified" or file is None or file.kind != "member":
            continue
        before, after = base.members.get(file.name), head.members.get(file.name)
        if before is None or after is None or not before.keys or before.keys == after.keys:
            continue
        keyring = Keyring.of([before])
        verdict = None
        if after.signature is not None:
            message = record_payload("member", after)
            verdict = verify(message, after.signature, file.name, keyring, None, "member record")
        if verdict is not None and verdict.ok:
            continue
        previous = [key_fingerprint(k.line) or k.line for k in before.keys if k.retired is None]
        why = "it is not signed" if verdict is None else f"its signature does not verify with them ({verdict.code})"
        flags.append(
            RedFlag(
                "unsigned-key-change",
                (
                    "the keys of ",
                    Quoted(file.name),
                    f" change, but {why}: ask {file.name!r} to sign {path} with a key the base revision lists (",
                    *_listed(previous or ["none current"]),
                    "), or a coordinator to confirm the change with them in person",
                ),
                (path,),
            )
        )
    return flags
