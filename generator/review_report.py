"""Print a :class:`~generator.review.Review` as Markdown (people, job summaries), JSON or GitHub annotations.

Everything shown comes from a pull request, so every name, title and message is
escaped before it reaches Markdown: a record cannot add links, images or HTML to the
coordinator's summary.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any, Final

from .diagnostics import Diagnostic
from .report import GITHUB_LIMIT, annotation, as_github, diagnostic_json
from .review import AttestationReview, EngagementReview, Phrase, RecordChange, RedFlag, Review, SideChange

MAX_SCORE_ROWS: Final = 60
"""Score changes shown in Markdown (all of them are in JSON): a change of site.yml can move thousands."""
MAX_LIST: Final = 100
"""Records, files and problems shown per section in Markdown before "and N more"."""

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~&-])")


def md_text(text: str) -> str:
    """Text shown literally in Markdown: on one line, every special character escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def md_code(text: str, *, cell: bool = False) -> str:
    """A code span that shows ``text`` literally, whatever backticks it holds.

    CommonMark: the fence is one backtick longer than the longest run inside, and a
    space pads a value that starts or ends with a backtick (or a space, which the
    padding rule would otherwise eat). Nothing inside a code span is a link or HTML.
    Line breaks become spaces: a value cannot end its list item. In a table
    ``cell``, ``|`` is escaped even inside the span: GitHub splits cells on it before
    it reads code spans (and removes the backslash); elsewhere the backslash would show.
    """
    text = " ".join(text.split())
    if cell:
        text = text.replace("|", "\\|")
    if not text:
        return "` `"
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    padding = " " if text[0] in "` " or text[-1] in "` " else ""
    return f"{fence}{padding}{text}{padding}{fence}"


def md_phrase(phrase: Phrase) -> str:
    """A sentence of the review: prose escaped as free text, quoted values as code spans."""
    return "".join(_prose(part) if isinstance(part, str) else md_code(part.text) for part in phrase)


def _prose(text: str) -> str:
    """Free text between values: escaped, keeping the space that separates it from them."""
    if not text.strip():
        return " " if text else ""
    return (" " if text[0].isspace() else "") + md_text(text) + (" " if text[-1].isspace() else "")


def _more(count: int, shown: int) -> list[str]:
    return [f"- … and {count - shown} more (see `--format json`)"] if count > shown else []


def _parties(record: RecordChange) -> str:
    return ", ".join(f"{role} {md_code(member)}" for role, member in record.parties)


def _status(status: str | None, missing: str) -> str:
    return f"*{missing}*" if status is None else status


def _attestation_line(item: AttestationReview, signatures: bool, prefix: str) -> str:
    change = f" ({item.change})" if item.change else ""
    if item.state == "missing":
        who = md_code(item.member)
        return f"  - {item.role} {who}: **missing**, {who} must add {md_code(prefix + item.path)}"
    if item.state == "invalid":
        return f"  - {item.role} {md_code(item.member)}: present but **invalid**{change}, see the errors above"
    signed = _signature_words(item.signature, item.fingerprint) if signatures else ""
    return f"  - {item.role} {md_code(item.member)}: attested{change}{signed}"


def _signature_words(state: str | None, fingerprint: str | None) -> str:
    """``; signature verified (key …)``, ``; **signature invalid** …`` or ``; **not signed**``."""
    if state == "verified":
        return f"; signature verified (key {md_code(fingerprint or '')})"
    if state == "invalid":
        return "; **signature invalid**, see the errors above"
    if state == "unsigned":
        return "; **not signed**"
    return ""


def _engagement_lines(item: EngagementReview, prefix: str) -> list[str]:
    title = f" — {md_text(item.title)}" if item.title else ""
    lines = [
        f"- {md_code(item.id)}{title}: client {md_code(item.client)}, supplier {md_code(item.supplier)}; "
        f"status {_status(item.status_before, 'new')} → {_status(item.status_after, 'removed')}"
    ]
    lines.extend(_attestation_line(a, item.signatures, prefix) for a in item.attestations)
    return lines


def _side(level: str | None, score: float | None) -> str:
    return "—" if level is None or score is None else f"{level} {score:.2f}"


def _score_row(item: SideChange) -> str:
    before, after = _side(item.level_before, item.score_before), _side(item.level_after, item.score_after)
    moved = " **level**" if item.level_before != item.level_after else ""
    return f"| {md_code(item.member, cell=True)} | {item.side} | {before} | {after}{moved} |"


def _score_lines(changes: tuple[SideChange, ...]) -> list[str]:
    """Members the change is about, then other members whose level moves, then a count of the rest."""
    shown = [c for c in changes if c.direct or c.level_changed]
    ripples = [c for c in changes if not (c.direct or c.level_changed)]
    lines: list[str] = []
    if shown:
        lines += ["| member | side | before | after |", "| --- | --- | --- | --- |"]
        lines += [_score_row(item) for item in shown[:MAX_SCORE_ROWS]]
        if len(shown) > MAX_SCORE_ROWS:
            lines += ["", f"… and {len(shown) - MAX_SCORE_ROWS} more (see `--format json`)"]
    else:
        lines.append("- no level changes, and no score changes for the members involved")
    if ripples:
        members = len({c.member for c in ripples})
        largest = max(abs((c.score_after or 0.0) - (c.score_before or 0.0)) for c in ripples)
        lines += [
            "",
            f"Through trust propagation, {members} other member{'s' if members != 1 else ''}' scores move "
            f"slightly without a level change (largest move {largest:.2f}; listed in `--format json`).",
        ]
    return lines


def _problem_line(d: Diagnostic, prefix: str) -> str:
    pos = d.position
    where = md_code(f"{prefix}{d.path}:{pos.line}:{pos.column}")
    return f"- {where} {d.severity.value}\\[{d.code}\\]: {md_text(d.message)}"


def flag_files(flag: RedFlag, prefix: str) -> list[str]:
    """The repository paths a red flag names (flags are about whole files: no line)."""
    return [path if flag.code == "outside-content" else prefix + path for path in flag.opened]


def _flag_line(flag: RedFlag, prefix: str) -> str:
    files = flag_files(flag, prefix)
    shown = ", ".join(md_code(path) for path in files[:3]) + (", …" if len(files) > 3 else "")
    where = f" in {shown}" if files else ""
    return f"- **{flag.code}**{where}: {md_phrase(flag.phrase)}"


def as_markdown(review: Review) -> str:
    """The report for people: the verdict line first, then one section per question."""
    lines = [
        "## Triangle review",
        "",
        f"**Verdict: {review.verdict}** — {md_phrase(review.why)}",
        "",
        f"Compared {md_code(review.base_ref)} ({review.compared[:12]}) with {md_code(review.head_ref)} "
        f"({review.head_commit[:12]}); levels and scores as of {review.today.isoformat()}.",
    ]
    if review.flags:
        lines += ["", f"### Red flags ({len(review.flags)})", ""]
        lines += [_flag_line(flag, review.prefix) for flag in review.flags]
    if review.errors or review.warnings or review.pre_existing_errors:
        lines += ["", "### Problems", ""]
        problems = [*review.errors, *review.warnings]
        lines += [_problem_line(d, review.prefix) for d in problems[:MAX_LIST]] + _more(len(problems), MAX_LIST)
        if review.pre_existing_errors:
            lines.append(
                f"- {review.pre_existing_errors} pre-existing error{'s' if review.pre_existing_errors != 1 else ''} "
                "in files this change does not touch (not listed; `triangle check` shows them)"
            )
    lines += ["", "### Records", ""]
    if not review.records and not review.other_files:
        lines.append("- nothing changes")
    for record in review.records[:MAX_LIST]:
        label = f" — {md_text(record.label)}" if record.label else ""
        parties = f" ({_parties(record)})" if record.parties else ""
        signed = _signature_words(record.signature, record.fingerprint) if review.signatures else ""
        lines.append(
            f"- {record.change} {record.kind} {md_code(record.id)}{label}{parties}: "
            f"{md_code(review.prefix + record.path)}{signed}"
        )
    lines += _more(len(review.records), MAX_LIST)
    for what, path in review.other_files[:MAX_LIST]:
        lines.append(f"- {what} file {md_code(path)}")
    lines += _more(len(review.other_files), MAX_LIST)
    if review.engagements:
        lines += ["", "### Engagements and attestations", ""]
        for engagement in review.engagements:
            lines += _engagement_lines(engagement, review.prefix)
    lines += ["", "### Levels and scores", ""]
    lines += _score_lines(review.score_changes)
    if review.notes:
        lines += ["", "### Notes", ""]
        lines += [f"- {md_text(note)}" for note in review.notes]
    return "\n".join(lines) + "\n"


def _side_json(level: str | None, score: float | None) -> dict[str, Any] | None:
    return None if level is None or score is None else {"level": level, "score": round(score, 4)}


def as_json(review: Review) -> str:
    """Everything the review found, for tools."""
    document = {
        "verdict": review.verdict,
        "reason": review.reason,
        "exit_code": review.exit_code,
        "base": {"ref": review.base_ref, "commit": review.base_commit, "compared": review.compared},
        "head": {"ref": review.head_ref, "commit": review.head_commit},
        "today": review.today.isoformat(),
        "flags": [
            {
                "code": f.code,
                "reason": f.reason,
                "paths": list(f.paths),
                "path": f.opened[0] if f.opened else None,
                "files": list(f.opened),
            }
            for f in review.flags
        ],
        "errors": [diagnostic_json(d) for d in review.errors],
        "warnings": [diagnostic_json(d) for d in review.warnings],
        "pre_existing_errors": review.pre_existing_errors,
        "records": [
            {
                "change": r.change,
                "kind": r.kind,
                "id": r.id,
                "path": r.path,
                "label": r.label,
                "parties": [{"role": role, "member": member} for role, member in r.parties],
                "signature": r.signature,
                "fingerprint": r.fingerprint,
            }
            for r in review.records
        ],
        "other_files": [{"change": what, "path": path} for what, path in review.other_files],
        "engagements": [
            {
                "id": e.id,
                "title": e.title,
                "client": e.client,
                "supplier": e.supplier,
                "status_before": e.status_before,
                "status_after": e.status_after,
                "attestations": [
                    {
                        "role": a.role,
                        "member": a.member,
                        "path": a.path,
                        "state": a.state,
                        "change": a.change,
                        "signed": a.signed if e.signatures else None,
                        "signature": a.signature if e.signatures else None,
                        "fingerprint": a.fingerprint,
                    }
                    for a in e.attestations
                ],
                "missing": [a.member for a in e.missing],
            }
            for e in review.engagements
        ],
        "score_changes": [
            {
                "member": s.member,
                "side": s.side,
                "before": _side_json(s.level_before, s.score_before),
                "after": _side_json(s.level_after, s.score_after),
                "direct": s.direct,
            }
            for s in review.score_changes
        ],
        "notes": list(review.notes),
    }
    return json.dumps(document, indent=2, ensure_ascii=False)


def as_annotations(review: Review) -> list[str]:
    """GitHub workflow commands: the errors (and warnings) on their lines, red flags on their files.

    Paths are made relative to the repository, where GitHub looks for them, when the
    site is in a subfolder.
    """
    problems = [replace(d, path=review.prefix + d.path) for d in (*review.errors, *review.warnings)]
    lines = as_github(problems)
    for flag in review.flags[:GITHUB_LIMIT]:
        files = flag_files(flag, review.prefix)
        path = files[0] if files else None
        lines.append(annotation("warning", flag.reason, path, f"red flag: {flag.code}"))
    lines.append(annotation("notice", review.verdict_line, None, "triangle review"))
    return lines
