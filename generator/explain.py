"""The arithmetic behind a member's badges, as text for people and JSON for tools.

A badge nobody can check is a verdict; a badge whose every number can be redone by
hand is evidence. ``triangle explain`` prints, side by side, each statement made about
a member with each factor of its weight, the totals, the bounds, the thresholds and
the level they lead to; the member page shows the same data. This module only
presents :class:`~generator.score.Scores`: it computes nothing the score did not.
Floats are rounded here, at presentation, and nowhere else.

:func:`members_api` builds ``api/members.json``, the export other tools read: keep its
shape (``schema`` 1), add keys only inside members.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import textwrap
import unicodedata
from collections.abc import Iterable
from typing import Any, Final

from .model import Member, ScoringConfig, Site
from .score import FIGURES, REASONS, RECOMMENDATION, SIDES, Evidence, MemberScore, Scores, SideScore

API_SCHEMA: Final = 1
"""Version of the ``api/members.json`` shape: bump it only when a key changes meaning or goes away."""
DIGITS: Final = 4
"""Decimals shown to people: enough to redo a product or a sum by hand."""
JSON_DIGITS: Final = 6

TITLES: Final = {
    "relationship": "Relationship",
    "deadlines": "Deadlines",
    "payment": "Payment",
    RECOMMENDATION: "Recommendation (informative, no badge)",
}
WHAT: Final = {
    "relationship": "the other party's relationship rating, in both roles",
    "deadlines": "the client's `delivery`, as supplier",
    "payment": "the supplier's `payment`, as client",
    RECOMMENDATION: "the client's `quality` rating and both parties' `recommend`",
}
STATE_NOTES: Final = {
    "counted": "",
    "upheld": "contested, upheld by a resolution",
    "contested": "contested, no resolution yet: does not count",
    "withdrawn": "withdrawn by a resolution: never counts",
    "awaiting_reply": "negative, waiting for a reply: does not count yet",
}


def _r(value: float, digits: int = JSON_DIGITS) -> float:
    return round(value, digits) + 0.0  # + 0.0 turns -0.0 into 0.0


# ----------------------------------------------------------------------------- JSON


def evidence_json(item: Evidence, reply_days: int) -> dict[str, Any]:
    """One statement with each weight factor, as ``triangle explain --format json`` prints it."""
    waiting = item.state == "awaiting_reply"
    return {
        "engagement": item.engagement,
        "counterpart": item.counterpart,
        "role": item.role,
        "statement": item.statement,
        "outcome": item.outcome,
        "days_late": item.days_late,
        "date": item.date.isoformat(),
        "status": item.status,
        "state": item.state,
        "counts_from": (item.date + dt.timedelta(days=reply_days)).isoformat() if waiting else None,
        "counts": item.counts,
        "negative": item.negative,
        "positive_share": _r(item.positive),
        "severity": _r(item.severity),
        "age_days": item.age_days,
        "recency": _r(item.recency),
        "status_weight": _r(item.status_weight),
        "repeat": item.repeat,
        "diversity": _r(item.diversity),
        "trust": _r(item.trust),
        "weight": _r(item.weight),
        "positive": _r(item.positive_weight),
        "negative_evidence": _r(item.negative_weight),
    }


def side_json(side: SideScore, items: tuple[Evidence, ...] | None = None, reply_days: int = 0) -> dict[str, Any]:
    """A side's level, score and weighted evidence; with ``items``, its bounds and every statement."""
    result: dict[str, Any] = {
        "level": side.level,
        "score": _r(side.score),
        "evidence": _r(side.evidence),
        "reason": side.reason,
    }
    if side.level is None:
        del result["level"], result["reason"]
    if items is not None:
        result.update(
            {
                "positive": _r(side.positive),
                "negative": _r(side.negative),
                "lower": _r(side.lower),
                "upper": _r(side.upper),
                "counterparts": side.counterparts,
                "negative_counterparts": side.negative_counterparts,
                "items": [evidence_json(item, reply_days) for item in items],
            }
        )
    return result


def method_json(scores: Scores) -> dict[str, Any]:
    """Every number of the method that a member needs to redo the arithmetic."""
    config = scores.config
    return {
        "half_life_days": config.half_life_days,
        "confirm_window_days": config.confirm_window_days,
        "unconfirmed_weight": config.unconfirmed_weight,
        "reply_window_days": config.reply_window_days,
        "repeat_exponent": config.repeat_exponent,
        "severe_weight": config.severe_weight,
        "late_payment_scale_days": config.late_payment_scale_days,
        "trust_restart": config.trust_restart,
        "trust_typical_mass": config.trust_typical_mass,
        "typical_trust_share": _r(scores.typical_trust, 12),
        "typical_relation_share": _r(scores.typical_relation, 12),
        "coordinators": list(scores.seeds),
        "confidence_z": config.confidence_z,
        "min_evidence": config.min_evidence,
        "min_counterparts": config.min_counterparts,
        "reliable_threshold": config.reliable_threshold,
        "highly_reliable_threshold": config.highly_reliable_threshold,
        "caution_threshold": config.caution_threshold,
    }


def _public_ids(site: Site, ids: tuple[str, ...]) -> list[str]:
    """Ids that may be published: a withdrawn member asked to be forgotten."""
    return [i for i in ids if i in site.members and site.members[i].status != "withdrawn"]


def member_json(site: Site, scores: Scores, member_id: str, details: bool = False) -> dict[str, Any]:
    """One member's entry of ``api/members.json``; with ``details``, everything ``explain`` shows."""
    member: Member = site.members[member_id]
    score: MemberScore = scores.members[member_id]
    reply = scores.config.reply_window_days
    entry: dict[str, Any] = {
        "id": member.id,
        "name": member.name,
        "status": member.status,
        "trust": _r(score.trust, DIGITS),
        "sides": {
            name: side_json(score.sides[name], scores.evidence(member_id, name) if details else None, reply)
            for name in SIDES
        },
        "recommendation": side_json(
            score.recommendation, scores.evidence(member_id, RECOMMENDATION) if details else None, reply
        ),
        "relations": _public_ids(site, score.relations),
        "proven_skills": dict(score.proven_skills),
        "declared_skills": list(member.skills),
    }
    if details:
        entry.update(
            {
                "trust_share": _r(score.trust_share, 12),
                "attester_weight": _r(score.attester_weight),
                "attested": score.attested,
                "contacts": _public_ids(site, score.contacts),
                "declared_only": list(score.declared_only),
            }
        )
    return entry


def explain_json(site: Site, scores: Scores, member_id: str) -> dict[str, Any]:
    """The document ``triangle explain MEMBER --format json`` prints."""
    return {
        "schema": API_SCHEMA,
        "generated": scores.today.isoformat(),
        "method": method_json(scores),
        "member": member_json(site, scores, member_id, details=True),
    }


def members_api(site: Site, scores: Scores) -> dict[str, Any]:
    """The ``api/members.json`` document: every published member, sorted by id.

    Withdrawn members asked to be forgotten: they are left out, and so are their ids
    from other members' relations.
    """
    return {
        "schema": API_SCHEMA,
        "generated": scores.today.isoformat(),
        "members": [
            member_json(site, scores, mid)
            for mid in sorted(site.members)
            if site.members[mid].status != "withdrawn" and mid in scores.members
        ],
    }


# ------------------------------------------------------------------------- members


def _folded(text: str) -> str:
    """``Karim Benali`` → ``karim-benali``: a name compared with ids."""
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return "-".join(re.findall(r"[a-z0-9]+", ascii_text))


def close_members(site: Site, wanted: str) -> list[str]:
    """Member ids close to ``wanted``, an id with a typo or a display name (``Karim Benali``).

    Withdrawn members are never suggested: they asked to be forgotten.
    """
    public = {mid: m for mid, m in site.members.items() if m.status != "withdrawn"}
    folded = _folded(wanted)
    by_name = {_folded(m.name): mid for mid, m in public.items()}
    if folded in public:
        return [folded]
    if folded in by_name:
        return [by_name[folded]]
    found = difflib.get_close_matches(folded or wanted, sorted(public), n=3, cutoff=0.6)
    found += [by_name[n] for n in difflib.get_close_matches(folded, sorted(by_name), n=3, cutoff=0.6)]
    return list(dict.fromkeys(found))[:3]


def unknown_member_message(site: Site, wanted: str) -> str:
    """``no member 'karim-benaly' — did you mean 'karim-benali'?``."""
    close = close_members(site, wanted)
    if not close:
        return f"no member {wanted!r} — expected a member id, as in content/members/<id>.yml (got {wanted!r})"
    shown = " or ".join(repr(mid) for mid in close)
    return f"no member {wanted!r} — did you mean {shown}?"


# ----------------------------------------------------------------------------- text


class Table(str):
    """A line of a table: never wrapped, or its columns would no longer line up."""

    __slots__ = ()


_LABEL = re.compile(r"^( *(?:\S+ {2,}|(?=\S)))")
"""The hanging indent of a line: its leading spaces, and a label set off by two spaces (``  totals      ``)."""


def wrap(lines: Iterable[str], width: int | None) -> list[str]:
    """Fold the prose lines at ``width`` columns, under their label; tables and ``None`` width stay as they are."""
    if width is None:
        return list(lines)
    folded: list[str] = []
    for line in lines:
        if isinstance(line, Table) or len(line) <= width:
            folded.append(str(line))
            continue
        found = _LABEL.match(line)
        indent = " " * len(found.group(1)) if found else ""
        if len(indent) > width // 2:
            indent = " " * (len(line) - len(line.lstrip()) + 2)
        folded += textwrap.wrap(
            line,
            width,
            subsequent_indent=indent,
            break_long_words=False,
            break_on_hyphens=False,
            drop_whitespace=True,
        ) or [""]
    return folded


def _n(value: float) -> str:
    return f"{value:.{DIGITS}f}"


def _outcome(item: Evidence) -> str:
    if item.statement in ("relationship", "quality"):
        return f"{item.statement} {item.outcome}/5"
    if item.days_late is not None:
        return f"{item.statement} {item.outcome} ({item.days_late} d)"
    if item.statement == "recommend":
        return "recommend" if item.outcome == "true" else "not recommend"
    return f"{item.statement} {item.outcome}"


def _header(wide: tuple[int, int]) -> str:
    return (
        f"{'date':<10}  {'engagement':<{wide[0]}}  {'counterpart':<{wide[1]}}  {'as':<8}  {'status':<11}  "
        f"{'outcome':<24}  {'share':>6}  {'sever.':>6}  {'age':>5}  {'recency':>7}  {'stat.w':>6}  {'rep':>3}  "
        f"{'divers.':>7}  {'trust':>6}  {'weight':>7}  {'positive':>8}  {'negative':>8}"
    )


def _row(item: Evidence, wide: tuple[int, int], reply_days: int) -> str:
    line = (
        f"{item.date.isoformat():<10}  {item.engagement:<{wide[0]}}  {item.counterpart:<{wide[1]}}  "
        f"{item.role:<8}  {item.status:<11}  {_outcome(item):<24}  {item.positive:>6.2f}  {item.severity:>6.2f}  "
        f"{item.age_days:>5}  {_n(item.recency):>7}  {item.status_weight:>6.2f}  "
    )
    if not item.counts:
        note = STATE_NOTES.get(item.state) or (
            "pending: the other party may still confirm" if item.status == "pending" else "does not count"
        )
        if item.state == "awaiting_reply":
            note += f" (counts from {(item.date + dt.timedelta(days=reply_days)).isoformat()})"
        return line + f"{'-':>3}  {'':>7}  {'':>6}  {_n(0.0):>7}  {'':>8}  {'':>8}  ({note})"
    line += (
        f"{item.repeat:>3}  {_n(item.diversity):>7}  {item.trust:>6.4f}  {_n(item.weight):>7}  "
        f"{_n(item.positive_weight):>8}  {_n(item.negative_weight):>8}"
    )
    note = STATE_NOTES.get(item.state, "")
    return line + (f"  ({note})" if note else "")


def _decision(side: SideScore, config: ScoringConfig) -> str:
    """The level and the comparison that led to it, with the numbers."""
    if side.level is None:
        return "no level: " + REASONS["informative"]
    n, lower, upper = side.evidence, side.lower, side.upper
    detail = {
        "few-counterparts": f"{side.counterparts} distinct counterpart(s) carry weight; "
        f"{config.min_counterparts} needed",
        "little-evidence": f"evidence {_n(n)} is below min_evidence {config.min_evidence:g}",
        "highly-reliable": f"lower bound {_n(lower)} ≥ {config.highly_reliable_threshold:g}",
        "reliable": f"lower bound {_n(lower)} ≥ {config.reliable_threshold:g} "
        f"(and < {config.highly_reliable_threshold:g})",
        "caution": f"upper bound {_n(upper)} < {config.caution_threshold:g} and negatives from "
        f"{side.negative_counterparts} counterparts (≥ {config.min_counterparts})",
        "undecided": f"lower bound {_n(lower)} < {config.reliable_threshold:g}, and no caution: upper bound "
        f"{_n(upper)} vs {config.caution_threshold:g}, negatives from {side.negative_counterparts} counterpart(s)",
    }[side.reason]
    return f"{side.level} — {REASONS[side.reason]}: {detail}"


def _side_text(name: str, side: SideScore, items: tuple[Evidence, ...], config: ScoringConfig) -> list[str]:
    title = TITLES[name]
    level = f": {side.level}" if side.level is not None else ""
    lines = [f"{title}{level} (score {_n(side.score)})", f"  from {WHAT[name]}"]
    if not items:
        lines.append("  no statement yet")
    else:
        wide = (
            max(len("engagement"), *(len(item.engagement) for item in items)),
            max(len("counterpart"), *(len(item.counterpart) for item in items)),
        )
        lines.append(Table("  " + _header(wide)))
        lines.extend(Table("  " + _row(item, wide, config.reply_window_days)) for item in items)
    z = config.confidence_z
    lines += [
        f"  totals      positive {_n(side.positive)} + negative {_n(side.negative)} = evidence {_n(side.evidence)}, "
        f"from {side.counterparts} counterpart(s), {side.negative_counterparts} with negatives",
        f"  bounds      Wilson at z = {z:g} on positive {_n(side.positive)} out of {_n(side.evidence)}: "
        f"lower {_n(side.lower)} (the score), upper {_n(side.upper)}",
    ]
    if side.level is not None:
        lines.append(
            f"  thresholds  new below evidence {config.min_evidence:g} or {config.min_counterparts} counterparts; "
            f"reliable from {config.reliable_threshold:g}; highly reliable from {config.highly_reliable_threshold:g}; "
            f"caution below upper {config.caution_threshold:g} with negatives from {config.min_counterparts}+ "
            "counterparts"
        )
    lines.append(f"  level       {_decision(side, config)}")
    return lines


def explain_text(site: Site, scores: Scores, member_id: str, width: int | None = None) -> str:
    """What ``triangle explain MEMBER`` prints: every statement, factor, total, bound and threshold.

    With a ``width``, prose lines are folded to fit it (tables are not).
    """
    member = site.members[member_id]
    score = scores.members[member_id]
    config = scores.config
    lines = [
        f"{member.name} ({member.id}), scored on {scores.today.isoformat()}",
        "",
        "How to read this: each row is one statement made about this member. A statement counts with",
        "  weight = recency × status × diversity × trust, where",
        f"  recency = 0.5 ^ (age in days / {config.half_life_days}),",
        f"  status (stat.w) = 1 when both parties attested, {config.unconfirmed_weight:g} when one-sided and older "
        f"than {config.confirm_window_days} days, 0 while pending;",
        f"  diversity = 1 / rep ^ {config.repeat_exponent:g}, rep ranking the statements of the same counterpart "
        "from the heaviest;",
        "  trust = the counterpart's trust factor (below). It adds weight × share to the positive evidence",
        "  and weight × (1 - share) × severity to the negative evidence. The score is the Wilson lower bound.",
        "",
        f"Trust {score.trust:.2f} (1.00 = a typical member; {score.trust_share:.4%} of the network's trust).",
        f"  Shared among the {score.attested} member(s) {member.name} attested, it gives their statements "
        f"trust factor {score.attester_weight:.4f}",
        f"  (= {score.trust_share:.6%} / {max(score.attested, 1)} / {scores.typical_relation:.6%} for a typical "
        "attester, at most 1).",
    ]
    for name in FIGURES:
        side = score.sides.get(name, score.recommendation)
        lines += ["", *_side_text(name, side, scores.evidence(member_id, name), config)]
    relations = _public_ids(site, score.relations)
    lines += [
        "",
        f"Professional relations ({config.relation_min_engagements}+ confirmed engagements spanning "
        f"{config.relation_min_span_days}+ days): " + (", ".join(relations) or "none yet"),
        "Proven skills (as supplier, confirmed and delivered): "
        + (", ".join(f"{k} ×{v}" for k, v in score.proven_skills.items()) or "none yet"),
        "Declared only: " + (", ".join(score.declared_only) or "none"),
    ]
    return "\n".join(wrap(lines, width)) + "\n"
