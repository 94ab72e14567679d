"""The facts and level states in plain words, in the reader's language.

Cards, member pages, badge titles and ``triangle explain`` all say the same things
("12 invoices: 10 paid on time, 2 paid late (median 18 days)", "2 more counterparts
needed"), so the sentences live here once, as gettext messages of the theme's
catalogs (extracted through ``babel.cfg``). Everything returned is plain text:
callers escape it for HTML.
"""

from __future__ import annotations

from typing import Final

from babel.support import Translations

from .facts import Facts
from .i18n import Formatter, translations

ROLE_OF_SIDE: Final = {"deadlines": "supplier", "payment": "client"}
"""The role a member must have acted in for the side to apply."""


class Phrases:
    """The plain-language sentences of one language."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.t: Translations = translations(language)
        self.fmt = Formatter(language)

    def _n(self, message: str, count: int, **values: str) -> str:
        """A message ``ngettext`` chose for ``count``, with the count in the language's notation."""
        return message % {"num": self.fmt.integer(count), **values}

    def _list(self, head: str, parts: list[str]) -> str:
        return self.t.gettext("%(what)s: %(details)s") % {"what": head, "details": ", ".join(parts)}

    def days(self, value: float) -> str:
        """``18 days``, ``17.5 days``, ``1 day``."""
        whole = int(value)
        count = whole if whole == value else 2  # "17,5 jours": a fraction reads as a plural
        return self._n(self.t.ngettext("%(num)s day", "%(num)s days", count), count, num=self.fmt.number(value, 1))

    def facts(self, side: str, facts: Facts, *, full: bool = False) -> str:
        """What a visitor can count on one side; ``full`` adds the worst delay, counterparts and confirmations."""
        if not facts.statements:
            return self.t.gettext("No statement counted yet")
        n = facts.statements
        if side == "payment":
            parts = [
                self._n(self.t.ngettext("%(num)s paid on time", "%(num)s paid on time", facts.on_time), facts.on_time),
                self._n(self.t.ngettext("%(num)s paid late", "%(num)s paid late", facts.late), facts.late),
                self._n(self.t.ngettext("%(num)s unpaid", "%(num)s unpaid", facts.failed), facts.failed),
            ]
            text = self._list(
                self._n(self.t.ngettext("%(num)s invoice", "%(num)s invoices", n), n), _nonzero(parts, facts)
            )
            text += self._delays(facts, full)
        elif side == "deadlines":
            parts = [
                self._n(
                    self.t.ngettext("%(num)s delivered on time", "%(num)s delivered on time", facts.on_time),
                    facts.on_time,
                ),
                self._n(self.t.ngettext("%(num)s delivered late", "%(num)s delivered late", facts.late), facts.late),
                self._n(self.t.ngettext("%(num)s not delivered", "%(num)s not delivered", facts.failed), facts.failed),
            ]
            text = self._list(
                self._n(self.t.ngettext("%(num)s delivery", "%(num)s deliveries", n), n), _nonzero(parts, facts)
            )
        elif side == "relationship":
            text = (
                self._n(self.t.ngettext("%(num)s rating", "%(num)s ratings", n), n)
                + ", "
                + self._average(facts.average)
            )
        else:
            text = self.t.gettext("would work with them again: %(yes)s of %(num)s") % {
                "yes": self.fmt.integer(facts.recommended),
                "num": self.fmt.integer(n),
            }
            if full and facts.ratings:
                text += "; " + self.t.gettext("quality %(average)s/5") % {
                    "average": self.fmt.number(facts.average or 0.0, 1)
                }
        if full:
            text += ". " + self._who(facts)
        return text

    def _average(self, average: float | None) -> str:
        return self.t.gettext("average %(average)s/5") % {"average": self.fmt.number(average or 0.0, 1)}

    def _delays(self, facts: Facts, full: bool) -> str:
        if not facts.days_late_known or facts.days_late_median is None or facts.days_late_max is None:
            return ""
        if facts.days_late_known == 1:
            return " (" + self.t.gettext("%(days)s after the due date") % {"days": self.days(facts.days_late_max)} + ")"
        median = self.t.gettext("median %(days)s") % {"days": self.days(facts.days_late_median)}
        if full:
            median += ", " + self.t.gettext("worst %(days)s") % {"days": self.days(facts.days_late_max)}
        return f" ({median})"

    def _who(self, facts: Facts) -> str:
        who = self._n(
            self.t.ngettext("From %(num)s member", "From %(num)s distinct members", facts.counterparts),
            facts.counterparts,
        )
        if facts.confirmed == facts.statements:
            both = self.t.gettext("all confirmed by both parties")
        else:
            both = self._n(
                self.t.ngettext(
                    "%(num)s confirmed by both parties", "%(num)s confirmed by both parties", facts.confirmed
                ),
                facts.confirmed,
            )
        return self.t.gettext("%(who)s; %(confirmed)s.") % {"who": who, "confirmed": both}

    def not_applicable(self, side: str) -> str:
        """Why a side has no level: the member never acted in its role."""
        if ROLE_OF_SIDE.get(side) == "supplier":
            return self.t.gettext("Never a supplier in the network: no deliveries to judge")
        return self.t.gettext("Never a client in the network: no invoices to judge")

    def needs(self, counterparts: int) -> str:
        """What a ``new`` side lacks before it can have a level: counterparts, else evidence."""
        if counterparts:
            return self._n(
                self.t.ngettext("%(num)s more counterpart needed", "%(num)s more counterparts needed", counterparts),
                counterparts,
            )
        return self.t.gettext("more recent, confirmed statements needed")

    def state(self, side: str, level: str, facts: Facts, needs_counterparts: int) -> str:
        """One side in a sentence, as a badge's title says it: the facts, or why there are none."""
        if level == "not_applicable":
            return self.not_applicable(side)
        text = self.facts(side, facts)
        if level == "new":
            text += " — " + self.needs(needs_counterparts)
        return text


def _nonzero(parts: list[str], facts: Facts) -> list[str]:
    """The outcome counts worth saying: every non-zero one, and "0 on time" when nothing was."""
    counts = (facts.on_time, facts.late, facts.failed)
    kept = [part for part, count in zip(parts, counts, strict=True) if count]
    return kept or parts[:1]


_CACHE: dict[str, Phrases] = {}


def phrases(language: str) -> Phrases:
    """The phrases of one language, made once."""
    found = _CACHE.get(language)
    if found is None:
        found = _CACHE[language] = Phrases(language)
    return found
