"""Cross-record rules, and the typed model built from records that pass them.

Each record was already checked on its own (:mod:`schema`); what is left are the rules
that need the whole network: ids equal to their file names, references to members that
exist, attestations by the right party with the right keys, coherent dates, disputes
and resolutions that fit together. Every rule reports at the line of the value it is
about and keeps going, so a pull request shows all its problems at once. This stage is
pure: records, configuration and the build date in; model and diagnostics out.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from .diagnostics import Diagnostic, Position, error, warning
from .discover import RecordFile
from .fields import SLUG_RE, Converted
from .model import (
    SIDES_OF_CLIENT_ATTESTATION,
    SIDES_OF_SUPPLIER_ATTESTATION,
    Attestation,
    Engagement,
    Member,
    Resolution,
    Role,
    Site,
    SiteConfig,
    Source,
    Withdrawal,
    frozen_map,
)
from .schema import ATTESTATION
from .vocabulary import Vocabulary, closest

RESERVED_NAMES = frozenset(
    {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
)
"""Names Windows cannot store as files: a member id must survive a clone on any machine."""

CLIENT_KEYS = frozenset(f.name for f in ATTESTATION.fields if f.role == "client")
SUPPLIER_KEYS = frozenset(f.name for f in ATTESTATION.fields if f.role == "supplier")
ROLE_REQUIRED = {
    role: tuple(f for f in ATTESTATION.fields if f.role == role and f.required) for role in ("client", "supplier")
}


@dataclass(frozen=True, slots=True)
class ParsedRecord:
    """One record file after loading and schema conversion (``None`` when that failed)."""

    file: RecordFile
    record: Converted | None


@dataclass(frozen=True, slots=True)
class Validation:
    """The model of every record that passed, and every problem found."""

    site: Site
    diagnostics: tuple[Diagnostic, ...]


def _close(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.75)
    return f"; did you mean {close[0]!r}?" if close else ""


def _fmt(day: dt.date) -> str:
    return day.isoformat()


class _Validator:
    def __init__(self, config: SiteConfig, today: dt.date) -> None:
        self.config = config
        self.today = today
        self.vocabulary = Vocabulary.of(config)
        self.problems: list[Diagnostic] = []
        self.member_ids: frozenset[str] = frozenset()
        self.withdrawn: dict[str, Source] = {}
        """Every member a withdrawal file names, valid or not: an invalid withdrawal still hides them."""
        self.unsigned: list[Diagnostic] = []
        self.invalid_attestations: set[tuple[str, str]] = set()
        """(engagement, attester) of attestation files that exist but did not validate:
        rules about the other party's statement skip them instead of calling them absent."""

    # -- reporting -------------------------------------------------------------------

    def err(self, source: Source, key: str, code: str, message: str) -> None:
        self.problems.append(error(source.path, source.at(key), code, message))

    def warn(self, source: Source, key: str, code: str, message: str) -> None:
        self.problems.append(warning(source.path, source.at(key), code, message))

    def check_id(self, file: RecordFile, name: str, what: str, rename: str) -> bool:
        """An id comes from a file or folder name; it must be a slug and a portable name."""
        at = Position(1, 1)
        if len(name) > 64 or not SLUG_RE.match(name):
            self.problems.append(
                error(
                    file.path,
                    at,
                    "invalid-id",
                    f"{name!r} is not a valid {what}: ids use lowercase letters, digits and single hyphens, "
                    f"at most 64 characters; rename the {rename}",
                )
            )
            return False
        if name in RESERVED_NAMES:
            self.problems.append(
                error(
                    file.path,
                    at,
                    "invalid-id",
                    f"{name!r} is a reserved file name on Windows and cannot be a {what}; rename the {rename}",
                )
            )
            return False
        return True

    def member_ref(self, source: Source, key: str, value: str, role: str) -> bool:
        if value in self.member_ids:
            return True
        self.err(
            source,
            key,
            "unknown-member",
            f"{role} {value!r} is not a member: there is no content/members/{value}.yml"
            f"{_close(value, self.member_ids)}",
        )
        return False

    def not_future(self, source: Source, key: str, day: dt.date | None, what: str) -> None:
        if day is not None and day > self.today:
            self.err(
                source,
                key,
                "future-date",
                f"{what} {_fmt(day)} is after today ({_fmt(self.today)}); record facts once they happened",
            )

    def not_before(self, source: Source, key: str, day: dt.date | None, start: dt.date, what: str) -> None:
        if day is not None and day < start:
            self.err(
                source,
                key,
                "date-order",
                f"{what} {_fmt(day)} is before the engagement started ({_fmt(start)})",
            )

    def signed(self, source: Source, values: Mapping[str, Any]) -> None:
        """Report an unsigned record where signatures are required.

        Kept apart from :attr:`problems`: an unsigned record is still built into the
        model, so that ``triangle sign`` can compute its payload and sign it.
        """
        if self.config.signatures == "required" and "signature" not in values:
            self.unsigned.append(
                error(
                    source.path,
                    Position(1, 1),
                    "missing-signature",
                    "this network requires signed records ('signatures: required' in site.yml); "
                    "sign this file with 'triangle sign FILE' (your key must be listed under 'keys' in your "
                    "member record)",
                )
            )

    def declared(self, source: Source, key: str, values: Iterable[str]) -> None:
        """Warn of a skill or region the network does not declare (when it declares that vocabulary).

        A warning, not an error, so that a network adopting a vocabulary can migrate
        its members' records at its own pace; ``--strict`` makes it an error.
        """
        vocabulary = self.vocabulary
        kind, plural = ("region", "regions") if key == "region" else ("skill", "skills")
        declared = vocabulary.regions if key == "region" else vocabulary.skills
        if declared is None:
            return
        for index, value in enumerate(values):
            if value in declared:
                continue
            close = closest(value, declared)
            hint = f"did you mean {close!r}? Declare" if close else "declare"
            self.warn(
                source,
                key if key == "region" else f"{key}[{index}]",
                f"unknown-{kind}",
                f"{kind} {value!r} is not in the network's {plural} (site.yml) — {hint} it in site.yml under "
                f"{plural}, or use one of the declared {plural}",
            )

    # -- members ---------------------------------------------------------------------

    def members(self, parsed: list[ParsedRecord], erased: frozenset[str] = frozenset()) -> dict[str, Member]:
        """Members with a record; ``erased`` ids (withdrawn, record deleted) are valid references too."""
        named = [p for p in parsed if self.check_id(p.file, p.file.name, "member id", "file")]
        self.member_ids = frozenset(p.file.name for p in named) | erased
        members: dict[str, Member] = {}
        for item in named:
            if item.record is None:
                continue
            member = self.member(item.file, item.record)
            if member is not None:
                members[member.id] = member
        return members

    def member(self, file: RecordFile, record: Converted) -> Member | None:
        source = Source(file.path, record.positions)
        values: dict[str, Any] = record.values
        before = len(self.problems)
        mid = file.name
        for index, sponsor in enumerate(values.get("sponsors", ())):
            key = f"sponsors[{index}]"
            if sponsor == mid:
                self.err(source, key, "self-reference", "a member cannot sponsor themselves; remove this line")
            else:
                self.member_ref(source, key, sponsor, "sponsor")
        self.not_future(source, "joined", values.get("joined"), "joined date")
        self.signed(source, values)
        failed = len(self.problems) > before or not record.complete
        self.declared(source, "skills", values.get("skills", ()))
        if "region" in values:
            self.declared(source, "region", (values["region"],))
        if failed:
            return None
        return Member(id=mid, source=source, **values)

    # -- withdrawals -----------------------------------------------------------------

    def withdrawals(self, parsed: list[ParsedRecord], engaged: frozenset[str]) -> dict[str, Withdrawal]:
        """A coordinator's withdrawal of a member who has a record, or whose erased record engagements still name.

        Run after :meth:`members`: a withdrawn member whose file was erased (see
        docs/privacy.md) stays a valid reference for their counterparts' engagements.
        """
        withdrawals: dict[str, Withdrawal] = {}
        known = self.member_ids
        named: dict[str, Source] = {}
        for item in parsed:
            file = item.file
            if not self.check_id(file, file.name, "member id", "file after the member who withdraws"):
                continue
            if file.name not in known and file.name not in engaged:
                self.problems.append(
                    error(
                        file.path,
                        Position(1, 1),
                        "unknown-member",
                        f"there is no member {file.name!r} to withdraw: no content/members/{file.name}.yml and "
                        f"no engagement names them; name the file after the member's id{_close(file.name, known)}",
                    )
                )
                continue
            named[file.name] = Source(file.path)
            if item.record is None:
                continue
            withdrawal = self.withdrawal(file, item.record)
            if withdrawal is not None:
                withdrawals[withdrawal.member] = withdrawal
        self.member_ids = known | set(named)
        self.withdrawn = named
        return withdrawals

    def withdrawal(self, file: RecordFile, record: Converted) -> Withdrawal | None:
        source = Source(file.path, record.positions)
        values: dict[str, Any] = record.values
        before = len(self.problems)
        by = values.get("by")
        if by is not None and self.member_ref(source, "by", by, "coordinator") and by not in self.config.coordinators:
            self.err(
                source,
                "by",
                "not-coordinator",
                f"{by!r} is not a coordinator; only the members listed under 'coordinators' in site.yml "
                "can record a withdrawal (a member can also set 'status: withdrawn' in their own record)",
            )
        self.not_future(source, "date", values.get("date"), "the withdrawal date")
        self.signed(source, values)
        if len(self.problems) > before or not record.complete:
            return None
        return Withdrawal(member=file.name, source=source, **values)

    # -- engagements -----------------------------------------------------------------

    def engagements(self, parsed: list[ParsedRecord]) -> dict[str, Engagement]:
        engagements: dict[str, Engagement] = {}
        seen: dict[str, str] = {}
        for item in parsed:
            file = item.file
            if not self.check_id(file, file.name, "engagement id", "folder"):
                continue
            if file.name in seen:
                self.problems.append(
                    error(
                        file.path,
                        Position(1, 1),
                        "duplicate-id",
                        f"engagement id {file.name!r} is already used by {seen[file.name]}; "
                        "engagement ids are unique across years: rename this folder",
                    )
                )
                continue
            seen[file.name] = file.path
            if item.record is None:
                continue
            engagement = self.engagement(file, item.record)
            if engagement is not None:
                engagements[engagement.id] = engagement
        return engagements

    def engagement(self, file: RecordFile, record: Converted) -> Engagement | None:
        source = Source(file.path, record.positions)
        values: dict[str, Any] = record.values
        before = len(self.problems)
        client, supplier, started = values.get("client"), values.get("supplier"), values.get("started")
        if client is not None:
            self.member_ref(source, "client", client, "client")
        if supplier is not None:
            self.member_ref(source, "supplier", supplier, "supplier")
        if client is not None and client == supplier:
            self.err(
                source,
                "supplier",
                "self-reference",
                f"the supplier is also the client ({client!r}); an engagement is between two different members",
            )
        if started is not None:
            if str(started.year) != file.year:
                self.err(
                    source,
                    "started",
                    "year-mismatch",
                    f"the engagement started in {started.year} but its folder is in {file.year}/; "
                    f"move the folder to content/engagements/{started.year}/",
                )
            self.not_future(source, "started", started, "start date")
            self.not_before(source, "deadline", values.get("deadline"), started, "the deadline")
            self.not_before(source, "invoice_due", values.get("invoice_due"), started, "the invoice due date")
        failed = len(self.problems) > before or not record.complete
        self.declared(source, "skills", values.get("skills", ()))
        if failed:
            return None
        return Engagement(id=file.name, source=source, **values)

    # -- attestations ----------------------------------------------------------------

    def attestations(
        self, parsed: list[ParsedRecord], engagements: dict[str, Engagement], folders: set[str]
    ) -> dict[str, Engagement]:
        by_engagement: dict[str, dict[str, Attestation]] = defaultdict(dict)
        drafts: list[tuple[RecordFile, Converted, Engagement]] = []
        for item in parsed:
            file = item.file
            assert file.engagement is not None
            if not self.check_id(file, file.name, "member id", "file after the member who writes it"):
                continue
            engagement = engagements.get(file.engagement)
            if engagement is None:
                if file.engagement in folders:
                    continue  # the engagement itself is invalid and already reported
                self.problems.append(
                    error(
                        file.path,
                        Position(1, 1),
                        "missing-engagement",
                        "this folder has no engagement.yml; add the engagement's facts before attesting it",
                    )
                )
                continue
            if file.name not in engagement.parties:
                self.problems.append(
                    error(
                        file.path,
                        Position(1, 1),
                        "not-a-party",
                        f"{file.name!r} is neither the client ({engagement.client!r}) nor the supplier "
                        f"({engagement.supplier!r}) of this engagement; an attestation file is named after "
                        "the party who writes it",
                    )
                )
                continue
            if item.record is not None:
                drafts.append((file, item.record, engagement))
            else:
                self.invalid_attestations.add((engagement.id, file.name))
        for file, record, engagement in drafts:
            attestation = self.attestation(file, record, engagement)
            if attestation is not None:
                by_engagement[engagement.id][attestation.role] = attestation
            else:
                self.invalid_attestations.add((engagement.id, file.name))
        result = dict(engagements)
        for eid, pair in by_engagement.items():
            engagement = engagements[eid]
            by_client, by_supplier = pair.get("client"), pair.get("supplier")
            self.disputes(engagement, by_client, by_supplier)
            self.disputes(engagement, by_supplier, by_client)
            result[eid] = _with_attestations(engagement, by_client, by_supplier)
        return result

    def attestation(self, file: RecordFile, record: Converted, engagement: Engagement) -> Attestation | None:
        source = Source(file.path, record.positions)
        values: dict[str, Any] = record.values
        before = len(self.problems)
        role: Role = "client" if file.name == engagement.client else "supplier"
        other = SUPPLIER_KEYS if role == "client" else CLIENT_KEYS
        if not other.isdisjoint(record.positions):
            other_role = "supplier" if role == "client" else "client"
            for key in sorted(other.intersection(record.positions), key=source.at):
                self.err(
                    source,
                    key,
                    "wrong-role-key",
                    f"{key!r} belongs in the {other_role}'s attestation; as the {role}, "
                    f"{file.name!r} attests {_role_sides(role)}: remove this line",
                )
        for spec in ROLE_REQUIRED[role]:
            if spec.name not in record.positions:
                self.problems.append(
                    error(
                        file.path,
                        Position(1, 1),
                        "missing-key",
                        f"required key {spec.name!r} is missing from the {role}'s attestation: "
                        f"add '{spec.name}: …' ({spec.doc})",
                    )
                )
        started = engagement.started
        self.not_before(source, "date", values.get("date"), started, "the attestation date")
        self.not_future(source, "date", values.get("date"), "the attestation date")
        for key, what in (("delivered", "the delivery date"), ("paid", "the payment date")):
            if key in values:
                self.not_before(source, key, values[key], started, what)
                self.not_future(source, key, values[key], what)
        self.signed(source, values)
        if len(self.problems) > before or not record.complete:
            return None
        if role == "client":
            self.delivery_warnings(source, values, engagement)
        else:
            self.payment_warnings(source, values, engagement)
            if values["payment"] == "late" and "paid" not in values:
                self.err(
                    source,
                    "payment",
                    "missing-key",
                    "'paid' is required when payment is 'late': add 'paid: YYYY-MM-DD', the day the "
                    "invoice was finally paid",
                )
                return None
        return Attestation(engagement=engagement.id, attester=file.name, role=role, source=source, **values)

    def delivery_warnings(self, source: Source, values: Mapping[str, Any], engagement: Engagement) -> None:
        delivery, delivered, deadline = values["delivery"], values.get("delivered"), engagement.deadline
        if delivery == "late" and deadline is None:
            self.warn(
                source,
                "delivery",
                "unmeasurable-delay",
                "delivery is 'late' but the engagement has no deadline to measure it by; "
                "add 'deadline' to engagement.yml",
            )
        elif deadline is not None and delivered is not None:
            if delivery == "on_time" and delivered > deadline:
                self.warn(
                    source,
                    "delivered",
                    "inconsistent-date",
                    f"delivery is 'on_time' but delivered {_fmt(delivered)} is after the deadline "
                    f"{_fmt(deadline)}; say 'late' or correct the date",
                )
            elif delivery == "late" and delivered <= deadline:
                self.warn(
                    source,
                    "delivered",
                    "inconsistent-date",
                    f"delivery is 'late' but delivered {_fmt(delivered)} is not after the deadline "
                    f"{_fmt(deadline)}; say 'on_time' or correct the date",
                )

    def payment_warnings(self, source: Source, values: Mapping[str, Any], engagement: Engagement) -> None:
        payment, paid, due = values["payment"], values.get("paid"), engagement.invoice_due
        if payment == "late" and due is None:
            self.warn(
                source,
                "payment",
                "unmeasurable-delay",
                "payment is 'late' but the engagement has no invoice_due to measure it by; "
                "add 'invoice_due' to engagement.yml",
            )
        elif due is not None and paid is not None:
            if payment == "on_time" and paid > due:
                self.warn(
                    source,
                    "paid",
                    "inconsistent-date",
                    f"payment is 'on_time' but paid {_fmt(paid)} is after the invoice due date "
                    f"{_fmt(due)}; say 'late' or correct the date",
                )
            elif payment == "late" and paid <= due:
                self.warn(
                    source,
                    "paid",
                    "inconsistent-date",
                    f"payment is 'late' but paid {_fmt(paid)} is not after the invoice due date "
                    f"{_fmt(due)}; say 'on_time' or correct the date",
                )

    def disputes(self, engagement: Engagement, mine: Attestation | None, theirs: Attestation | None) -> None:
        if mine is None:
            return
        other = engagement.counterpart(mine.attester)
        if theirs is None and (engagement.id, other) in self.invalid_attestations:
            return  # their attestation exists but is invalid: it is reported on its own
        if theirs is None:
            if mine.disputes:
                self.err(
                    mine.source,
                    "disputes",
                    "invalid-dispute",
                    f"there is nothing to contest yet: {other!r} has not attested this engagement",
                )
            if mine.reply is not None:
                self.warn(
                    mine.source,
                    "reply",
                    "reply-without-attestation",
                    f"this replies to the attestation of {other!r}, which does not exist yet",
                )
            return
        sides = SIDES_OF_CLIENT_ATTESTATION if theirs.role == "client" else SIDES_OF_SUPPLIER_ATTESTATION
        for index, side in enumerate(mine.disputes):
            if side not in sides:
                self.err(
                    mine.source,
                    f"disputes[{index}]",
                    "invalid-dispute",
                    f"the {theirs.role}'s attestation has no {side!r} side to contest; "
                    f"it states {_role_sides(theirs.role)}",
                )

    # -- resolutions -----------------------------------------------------------------

    def resolutions(
        self, parsed: list[ParsedRecord], engagements: dict[str, Engagement], folders: set[str]
    ) -> dict[str, Resolution]:
        resolutions: dict[str, Resolution] = {}
        for item in parsed:
            file = item.file
            if not self.check_id(file, file.name, "engagement id", "file after the engagement it resolves"):
                continue
            if item.record is None or (file.name not in engagements and file.name in folders):
                continue  # unreadable, or its engagement is invalid and reported on its own
            resolution = self.resolution(file, item.record, engagements)
            if resolution is not None:
                resolutions[resolution.engagement] = resolution
        return resolutions

    def resolution(self, file: RecordFile, record: Converted, engagements: dict[str, Engagement]) -> Resolution | None:
        source = Source(file.path, record.positions)
        values: dict[str, Any] = record.values
        before = len(self.problems)
        engagement = engagements.get(file.name)
        if engagement is None:
            self.problems.append(
                error(
                    file.path,
                    Position(1, 1),
                    "unknown-engagement",
                    f"there is no engagement {file.name!r} to resolve; name the file after the engagement's id"
                    f"{_close(file.name, engagements)}",
                )
            )
            return None
        by = values.get("by")
        if by is not None and self.member_ref(source, "by", by, "coordinator"):
            if by not in self.config.coordinators:
                self.err(
                    source,
                    "by",
                    "not-coordinator",
                    f"{by!r} is not a coordinator; only the members listed under 'coordinators' in site.yml "
                    "can resolve disputes",
                )
            elif by in engagement.parties:
                self.err(
                    source,
                    "by",
                    "not-coordinator",
                    f"{by!r} is a party to this engagement and cannot rule on it; ask another coordinator",
                )
        self.not_future(source, "date", values.get("date"), "the resolution date")
        self.not_before(source, "date", values.get("date"), engagement.started, "the resolution date")
        self.signed(source, values)
        contested = {side for a in engagement.attestations for side in a.disputes}
        upheld, withdrawn = values.get("upheld", ()), values.get("withdrawn", ())
        if any((engagement.id, party) in self.invalid_attestations for party in engagement.parties):
            pass  # what is contested cannot be known until the invalid attestation is fixed
        elif not contested:
            self.err(
                source,
                "upheld",
                "uncontested-side",
                "nobody contests anything on this engagement, so there is nothing to resolve",
            )
        else:
            for key in ("upheld", "withdrawn"):
                for index, side in enumerate(values.get(key, ())):
                    if side not in contested:
                        self.err(
                            source,
                            f"{key}[{index}]",
                            "uncontested-side",
                            f"nobody contests {side!r} on this engagement; a resolution rules only on "
                            f"contested sides ({', '.join(sorted(contested))})",
                        )
            for index, side in enumerate(withdrawn):
                if side in upheld:
                    self.err(
                        source,
                        f"withdrawn[{index}]",
                        "invalid-resolution",
                        f"{side!r} cannot be both upheld and withdrawn; keep it in one list",
                    )
        if len(self.problems) > before or not record.complete:
            return None
        missing = contested - set(upheld) - set(withdrawn)
        if missing:
            self.warn(
                source,
                "upheld",
                "incomplete-resolution",
                f"contested {', '.join(repr(s) for s in sorted(missing))} is neither upheld nor withdrawn, "
                "so the engagement stays disputed on it",
            )
        return Resolution(engagement=file.name, source=source, **values)

    # -- site ------------------------------------------------------------------------

    def coordinators(self, members: Mapping[str, Member]) -> None:
        source = self.config.source
        for index, coordinator in enumerate(self.config.coordinators):
            key = f"coordinators[{index}]"
            if self.member_ref(source, key, coordinator, "coordinator") and (
                coordinator in members and members[coordinator].status == "withdrawn"
            ):
                # Trust flows from the coordinators: one who asked to be forgotten cannot vouch for anyone.
                self.err(
                    source,
                    key,
                    "withdrawn-coordinator",
                    f"coordinator {coordinator!r} has withdrawn from the network; remove them from "
                    "'coordinators' in site.yml (another coordinator takes their place)",
                )


def _role_sides(role: str) -> str:
    if role == "client":
        return "delivery, quality and relationship"
    return "payment and relationship"


def _withdraw(members: Mapping[str, Member], withdrawn: Mapping[str, Source]) -> dict[str, Member]:
    """Members with every withdrawal applied: the same effect as ``status: withdrawn``.

    A member whose record was erased from the repository keeps a nameless placeholder,
    so that their counterparts' engagements still have two parties; nothing of it is
    ever published (every stage leaves withdrawn members out).
    """
    result = dict(members)
    for mid, source in withdrawn.items():
        found = result.get(mid)
        if found is not None:
            result[mid] = replace(found, status="withdrawn")
        else:
            result[mid] = Member(
                id=mid,
                source=source,
                name="",
                kind="person",
                headline="",
                region="",
                skills=(),
                joined=dt.date.min,
                status="withdrawn",
            )
    return result


def _with_attestations(
    engagement: Engagement, by_client: Attestation | None, by_supplier: Attestation | None
) -> Engagement:
    return replace(engagement, by_client=by_client, by_supplier=by_supplier)


def validate(config: SiteConfig, records: Iterable[ParsedRecord], today: dt.date) -> Validation:
    """Check every cross-record rule and build the model of what passed."""
    kinds: dict[str, list[ParsedRecord]] = defaultdict(list)
    for record in sorted(records, key=lambda r: r.file.path):
        kinds[record.file.kind].append(record)
    validator = _Validator(config, today)
    engaged = frozenset(
        party
        for r in kinds["engagement"]
        if r.record is not None
        for party in (r.record.values.get("client"), r.record.values.get("supplier"))
        if isinstance(party, str)
    )
    erased = frozenset(r.file.name for r in kinds["withdrawal"] if r.file.name in engaged) - {
        r.file.name for r in kinds["member"]
    }
    members = validator.members(kinds["member"], erased)
    withdrawals = validator.withdrawals(kinds["withdrawal"], engaged)
    members = _withdraw(members, validator.withdrawn)
    validator.coordinators(members)
    engagements = validator.engagements(kinds["engagement"])
    folders = {r.file.engagement for r in kinds["engagement"] if r.file.engagement}
    engagements = validator.attestations(kinds["attestation"], engagements, folders)
    resolutions = validator.resolutions(kinds["resolution"], engagements, folders)
    site = build_site(config, today, members, engagements, resolutions, withdrawals)
    return Validation(site, tuple(sorted(validator.problems + validator.unsigned, key=Diagnostic.sort_key)))


def build_site(
    config: SiteConfig,
    today: dt.date,
    members: Mapping[str, Member],
    engagements: Mapping[str, Engagement],
    resolutions: Mapping[str, Resolution],
    withdrawals: Mapping[str, Withdrawal] | None = None,
) -> Site:
    """Assemble the model with its indexes, in an order that never depends on file order."""
    ordered = sorted(engagements.values(), key=lambda e: (e.started, e.id))
    by_member: dict[str, list[str]] = {m: [] for m in sorted(members)}
    by_pair: dict[tuple[str, str], list[str]] = defaultdict(list)
    for engagement in ordered:
        for party in engagement.parties:
            by_member.setdefault(party, []).append(engagement.id)
        a, b = engagement.parties
        by_pair[(a, b) if a <= b else (b, a)].append(engagement.id)
    return Site(
        config=config,
        today=today,
        members=frozen_map({k: members[k] for k in sorted(members)}),
        engagements=frozen_map({e.id: e for e in sorted(ordered, key=lambda e: e.id)}),
        resolutions=frozen_map({k: resolutions[k] for k in sorted(resolutions)}),
        engagements_by_member=frozen_map({k: tuple(v) for k, v in sorted(by_member.items())}),
        engagements_by_pair=frozen_map({k: tuple(v) for k, v in sorted(by_pair.items())}),
        withdrawals=frozen_map(dict(sorted((withdrawals or {}).items()))),
    )
