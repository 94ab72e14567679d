"""The arithmetic behind a member's badges, as text for people and JSON for tools.

A badge nobody can check is a verdict; a badge whose every number can be redone by
hand is evidence. ``triangle explain`` prints, side by side, each statement made about
a member with each factor of its weight, the totals, the bounds, the thresholds and
the level they lead to; the evidence page shows the same data. This module only
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

from .facts import facts_json
from .i18n import Formatter, translations
from .model import Member, ScoringConfig, SigningKey, Site
from .phrases import phrases
from .score import FIGURES, REASONS, RECOMMENDATION, SIDES, Evidence, MemberScore, Scores, SideScore
from .signing import key_fingerprint, record_payload

API_SCHEMA: Final = 2
"""Version of the ``api/members.json`` shape: bump it only when a key changes meaning or goes away.

2: levels ``not_applicable`` and ``mixed`` (``new`` no longer covers them), reason
``undecided`` became ``mixed``, and each side has ``facts`` (and ``needs`` when ``new``)."""
DIGITS: Final = 4
"""Decimals shown to people: enough to redo a product or a sum by hand."""
JSON_DIGITS: Final = 6


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
    """A side's level, facts, score and weighted evidence; with ``items``, its bounds and every statement."""
    result: dict[str, Any] = {
        "level": side.level,
        "score": _r(side.score),
        "evidence": _r(side.evidence),
        "reason": side.reason,
        "facts": facts_json(side.side, side.facts),
    }
    if side.level == "new":
        result["needs"] = {"counterparts": side.needs_counterparts, "evidence": _r(side.needs_evidence)}
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


def _key_json(key: SigningKey) -> dict[str, Any]:
    """A member's public key as published, with its fingerprint, for anyone verifying their signatures."""
    retired = None if key.retired is None else key.retired.isoformat()
    return {"key": key.line, "fingerprint": key_fingerprint(key.line), "retired": retired}


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
        "keys": [_key_json(key) for key in member.keys],
        "signature": None
        if member.signature is None
        else {
            "armor": member.signature,
            "key": site.verified.get(member.source.path),
            "payload": record_payload("member", member).decode("utf-8"),
        },
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


class Words:
    """One language's words for ``triangle explain``: the site's gettext catalogues, number and date formats.

    Every block of the text is one function taking a ``Words``: adding a line means
    adding a ``_("...")`` message there, then ``pybabel extract`` (see ``babel.cfg``)
    and a translation in each ``messages.po``.
    """

    def __init__(self, language: str) -> None:
        self.language = language
        self.gettext = translations(language).gettext
        self.ngettext = translations(language).ngettext
        self.fmt = Formatter(language)

    def n(self, value: float) -> str:
        """A figure with :data:`DIGITS` decimals, in the language's notation (``0,4213``)."""
        return self.fmt.fixed(value, DIGITS).replace("\u202f", "").replace("\xa0", "")

    def g(self, value: float) -> str:
        """A parameter of the method, as short as it is (``0,5``, ``730``)."""
        return self.fmt.number(value, 6)


def _level(w: Words, level: str) -> str:
    _ = w.gettext
    return {
        "not_applicable": _("Not applicable"),
        "new": _("New"),
        "mixed": _("Mixed record"),
        "reliable": _("Reliable"),
        "highly_reliable": _("Highly reliable"),
        "caution": _("Caution"),
    }.get(level, level)


def _title(w: Words, name: str) -> str:
    _ = w.gettext
    return {
        "relationship": _("Relationship"),
        "deadlines": _("Deadlines"),
        "payment": _("Payment"),
        RECOMMENDATION: _("Recommendation (informative, no badge)"),
    }[name]


def _what(w: Words, name: str) -> str:
    _ = w.gettext
    return {
        "relationship": _("the other party’s relationship rating, in both roles"),
        "deadlines": _("the client’s `delivery`, as supplier"),
        "payment": _("the supplier’s `payment`, as client"),
        RECOMMENDATION: _("the client’s `quality` rating and both parties’ `recommend`"),
    }[name]


def _state_note(w: Words, item: Evidence, reply_days: int) -> str:
    """Why a statement does not count (or counts on a resolution's word), in a table row."""
    _ = w.gettext
    note = {
        "counted": "",
        "upheld": _("contested, upheld by a resolution"),
        "contested": _("contested, no resolution yet: does not count"),
        "withdrawn": _("withdrawn by a resolution: never counts"),
        "awaiting_reply": _("negative, waiting for a reply: does not count yet"),
    }.get(item.state, "")
    if not item.counts and not note:
        note = _("pending: the other party may still confirm") if item.status == "pending" else _("does not count")
    if item.state == "awaiting_reply":
        day = (item.date + dt.timedelta(days=reply_days)).isoformat()  # a table: dates as in its date column
        note += " " + _("(counts from %(day)s)") % {"day": day}
    return note


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


def _row(w: Words, item: Evidence, wide: tuple[int, int], reply_days: int) -> str:
    n = w.n
    line = (
        f"{item.date.isoformat():<10}  {item.engagement:<{wide[0]}}  {item.counterpart:<{wide[1]}}  "
        f"{item.role:<8}  {item.status:<11}  {_outcome(item):<24}  {w.fmt.fixed(item.positive, 2):>6}  "
        f"{w.fmt.fixed(item.severity, 2):>6}  {item.age_days:>5}  {n(item.recency):>7}  "
        f"{w.fmt.fixed(item.status_weight, 2):>6}  "
    )
    note = _state_note(w, item, reply_days)
    if not item.counts:
        return line + f"{'-':>3}  {'':>7}  {'':>6}  {n(0.0):>7}  {'':>8}  {'':>8}  ({note})"
    line += (
        f"{item.repeat:>3}  {n(item.diversity):>7}  {n(item.trust):>6}  {n(item.weight):>7}  "
        f"{n(item.positive_weight):>8}  {n(item.negative_weight):>8}"
    )
    return line + (f"  ({note})" if note else "")


def _decision(w: Words, side: SideScore, config: ScoringConfig) -> str:
    """The level and the comparison that led to it, with the numbers."""
    _, n, g = w.gettext, w.n, w.g
    if side.level is None:
        return _("no level: %(why)s") % {"why": _(REASONS["informative"])}
    values = {
        "counterparts": side.counterparts,
        "needed": config.min_counterparts,
        "evidence": n(side.evidence),
        "min_evidence": g(config.min_evidence),
        "lower": n(side.lower),
        "upper": n(side.upper),
        "highly": g(config.highly_reliable_threshold),
        "reliable": g(config.reliable_threshold),
        "caution": g(config.caution_threshold),
        "negatives": side.negative_counterparts,
    }
    detail = {
        "few-counterparts": _("%(counterparts)s distinct counterpart(s) carry weight; %(needed)s needed"),
        "little-evidence": _("evidence %(evidence)s is below min_evidence %(min_evidence)s")
        if side.evidence < config.min_evidence
        else _(
            "evidence %(evidence)s: even a spotless record this light would stay below %(reliable)s, "
            "so the record cannot be called mixed yet"
        ),
        "highly-reliable": _("lower bound %(lower)s ≥ %(highly)s"),
        "reliable": _("lower bound %(lower)s ≥ %(reliable)s (and < %(highly)s)"),
        "caution": _(
            "upper bound %(upper)s < %(caution)s and negatives from %(negatives)s counterparts (≥ %(needed)s)"
        ),
        "not-applicable": _("no engagement as supplier") if side.side == "deadlines" else _("no engagement as client"),
        "mixed": _(
            "lower bound %(lower)s < %(reliable)s, and no caution: upper bound %(upper)s vs %(caution)s, "
            "negatives from %(negatives)s counterpart(s)"
        ),
    }[side.reason]
    return _("%(level)s — %(why)s: %(detail)s") % {
        "level": _level(w, side.level),
        "why": _(REASONS[side.reason]),
        "detail": detail % values,
    }


def _side_text(w: Words, name: str, side: SideScore, items: tuple[Evidence, ...], config: ScoringConfig) -> list[str]:
    _, n, g = w.gettext, w.n, w.g
    heading = _("%(side)s: %(level)s (score %(score)s)") if side.level is not None else _("%(side)s (score %(score)s)")
    level = _level(w, side.level) if side.level is not None else ""
    lines = [
        heading % {"side": _title(w, name), "level": level, "score": n(side.score)},
        "  " + _("from %(what)s") % {"what": _what(w, name)},
        _labels(w)["facts"] + _facts_line(w, name, side),
    ]
    if not items:
        lines.append("  " + _("no statement yet"))
    else:
        wide = (
            max(len("engagement"), *(len(item.engagement) for item in items)),
            max(len("counterpart"), *(len(item.counterpart) for item in items)),
        )
        lines.append(Table("  " + _header(wide)))
        lines.extend(Table("  " + _row(w, item, wide, config.reply_window_days)) for item in items)
    values = {
        "positive": n(side.positive),
        "negative": n(side.negative),
        "evidence": n(side.evidence),
        "counterparts": side.counterparts,
        "negatives": side.negative_counterparts,
        "z": g(config.confidence_z),
        "lower": n(side.lower),
        "upper": n(side.upper),
        "min_evidence": g(config.min_evidence),
        "needed": config.min_counterparts,
        "reliable": g(config.reliable_threshold),
        "highly": g(config.highly_reliable_threshold),
        "caution": g(config.caution_threshold),
    }
    label = _labels(w)
    lines += [
        label["totals"]
        + _(
            "positive %(positive)s + negative %(negative)s = evidence %(evidence)s, "
            "from %(counterparts)s counterpart(s), %(negatives)s with negatives"
        )
        % values,
        label["bounds"]
        + _(
            "Wilson at z = %(z)s on positive %(positive)s out of %(evidence)s: "
            "lower %(lower)s (the score), upper %(upper)s"
        )
        % values,
    ]
    if side.level is not None:
        lines.append(
            label["thresholds"]
            + _(
                "new below evidence %(min_evidence)s or %(needed)s counterparts; reliable from %(reliable)s; "
                "highly reliable from %(highly)s; caution below upper %(caution)s with negatives from "
                "%(needed)s+ counterparts"
            )
            % values
        )
    lines.append(label["level"] + _decision(w, side, config))
    return lines


def _facts_line(w: Words, name: str, side: SideScore) -> str:
    """What a visitor reads beside the level: the same sentence as the member page."""
    words = phrases(w.language)
    if side.level == "not_applicable":
        return words.not_applicable(name)
    text = words.facts(name, side.facts, full=True)
    if side.level == "new":
        text += f" ({words.needs(side.needs_counterparts)})"
    return text


def _labels(w: Words) -> dict[str, str]:
    """The labels of a side's summary lines, padded to one column so their values line up."""
    _ = w.gettext
    words = {
        "facts": _("facts"),
        "totals": _("totals"),
        "bounds": _("bounds"),
        "thresholds": _("thresholds"),
        "level": _("level"),
    }
    wide = max(len(word) for word in words.values()) + 2
    return {key: f"  {word:<{wide}}" for key, word in words.items()}


def _intro(w: Words, member: Member, scores: Scores) -> list[str]:
    """Who, when, and how to read the rows."""
    _, g = w.gettext, w.g
    config = scores.config
    values = {
        "half_life": config.half_life_days,
        "unconfirmed": g(config.unconfirmed_weight),
        "window": config.confirm_window_days,
        "exponent": g(config.repeat_exponent),
    }
    return [
        _("%(name)s (%(id)s), scored on %(day)s")
        % {"name": member.name, "id": member.id, "day": w.fmt.date(scores.today)},
        "",
        _("How to read this: each row is one statement made about this member. A statement counts with"),
        "  " + _("weight = recency × status × diversity × trust, where"),
        "  " + _("recency = 0.5 ^ (age in days / %(half_life)s),") % values,
        "  "
        + _(
            "status (stat.w) = 1 when both parties attested, %(unconfirmed)s when one-sided and older than "
            "%(window)s days, 0 while pending;"
        )
        % values,
        "  "
        + _("diversity = 1 / rep ^ %(exponent)s, rep ranking the statements of the same counterpart from the heaviest;")
        % values,
        "  " + _("trust = the counterpart’s trust factor (below). It adds weight × share to the positive evidence"),
        "  " + _("and weight × (1 - share) × severity to the negative evidence. The score is the Wilson lower bound."),
    ]


def _trust(w: Words, member: Member, score: MemberScore, scores: Scores) -> list[str]:
    """The member's trust, and the weight it gives their own statements about others."""
    _ = w.gettext
    values = {
        "trust": w.fmt.fixed(score.trust, 2),
        "share": w.fmt.fixed(score.trust_share * 100, 4) + "%",
        "precise": w.fmt.fixed(score.trust_share * 100, 6) + "%",
        "typical": w.fmt.fixed(scores.typical_relation * 100, 6) + "%",
        "attested": score.attested,
        "divisor": max(score.attested, 1),
        "name": member.name,
        "factor": w.n(score.attester_weight),
    }
    return [
        _("Trust %(trust)s (1.00 = a typical member; %(share)s of the network’s trust).") % values,
        "  "
        + _(
            "Shared among the %(attested)s member(s) %(name)s attested, it gives their statements "
            "trust factor %(factor)s"
        )
        % values,
        "  " + _("(= %(precise)s / %(divisor)s / %(typical)s for a typical attester, at most 1).") % values,
    ]


def _relations(w: Words, site: Site, score: MemberScore, config: ScoringConfig) -> list[str]:
    """Professional relations and skills: what the page lists beside the badges."""
    _ = w.gettext
    relations = _public_ids(site, score.relations)
    proven = ", ".join(f"{k} ×{v}" for k, v in score.proven_skills.items())
    return [
        _("Professional relations (%(engagements)s+ confirmed engagements spanning %(days)s+ days): %(list)s")
        % {
            "engagements": config.relation_min_engagements,
            "days": config.relation_min_span_days,
            "list": ", ".join(relations) or _("none yet"),
        },
        _("Proven skills (as supplier, confirmed and delivered): %(list)s") % {"list": proven or _("none yet")},
        _("Declared only: %(list)s") % {"list": ", ".join(score.declared_only) or _("none")},
    ]


def explain_text(site: Site, scores: Scores, member_id: str, width: int | None = None, language: str = "en") -> str:
    """What ``triangle explain MEMBER`` prints: every statement, factor, total, bound and threshold.

    In ``language`` (the site's catalogues); with a ``width``, prose lines are folded
    to fit it (tables are not).
    """
    w = Words(language)
    member = site.members[member_id]
    score = scores.members[member_id]
    config = scores.config
    lines = [*_intro(w, member, scores), "", *_trust(w, member, score, scores)]
    for name in FIGURES:
        side = score.sides.get(name, score.recommendation)
        lines += ["", *_side_text(w, name, side, scores.evidence(member_id, name), config)]
    lines += ["", *_relations(w, site, score, config)]
    return "\n".join(wrap(lines, width)) + "\n"
