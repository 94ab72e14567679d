"""The Atom feed: newly confirmed engagements and new members, newest first.

A feed reader (or a network's chat bot) should learn about trust as it is
established, not about claims: an engagement enters the feed only once both parties
attested it and nothing is left open (*confirmed*, or *resolved* by a coordinator),
dated by the later of the two attestations. New members enter on the day they joined.

Everything is a pure function of the site and its build date: entry ids are tag URIs
that never change (``tag:<host>,<year>:engagement/<id>``, the year being the one in the
engagement's folder, the year it started), the feed's ``updated`` is its newest entry's
date, and ties are broken by id, so that two builds give the same bytes. Withdrawn
members never appear: an engagement with one is told with "former member" and links
to the other party's page; one between two former members is left out.

Interface words come from :data:`STRINGS` (French and English): the theme's message
catalogs do not carry feed strings yet. Member text is reduced to plain text
(:func:`~generator.markup.plain_text`) and XML-escaped, never embedded as markup.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Callable, Iterator
from typing import Final, NamedTuple
from urllib.parse import urlsplit

from .badges import xml_attribute, xml_text
from .diagnostics import UsageError
from .markup import plain_text
from .model import Engagement, Member, Site
from .score import Scores
from .vocabulary import Vocabulary
from .write import Output

MAX_ENTRIES: Final = 50
ATOM_NS: Final = "http://www.w3.org/2005/Atom"

STRINGS: Final[dict[str, dict[str, str]]] = {
    "en": {
        "feed_title": "{site}: confirmed engagements and new members",
        "engagement_title": "Confirmed engagement: {title}",
        "engagement_summary": "{supplier} for {client}, attested by both parties. Skills: {skills}.",
        "member_title": "New member: {name}",
        "former_member": "former member",
    },
    "fr": {
        "feed_title": "{site}\u00a0: engagements confirmés et nouveaux membres",
        "engagement_title": "Engagement confirmé\u00a0: {title}",
        "engagement_summary": "{supplier} pour {client}, attesté par les deux parties. Compétences\u00a0: {skills}.",
        "member_title": "Nouveau membre\u00a0: {name}",
        "former_member": "ancien membre",
    },
}
"""The feed's interface words, by language (``site.yml`` allows ``fr`` and ``en``)."""


class Entry(NamedTuple):
    """One feed entry, ready to be written."""

    day: dt.date
    id: str
    title: str
    link: str
    summary: str
    category: str


def strings(language: str) -> dict[str, str]:
    """The feed's words in ``language``; a language without them is a configuration mistake."""
    try:
        return STRINGS[language]
    except KeyError:
        raise UsageError(
            f"the feed has no translation for language {language!r}; expected one of: {', '.join(sorted(STRINGS))}"
        ) from None


def tag_parts(base_url: str) -> tuple[str, str]:
    """``tag:<host>``, and the site's path (if any) to put before the kind, so that two
    networks on one host never share ids."""
    parts = urlsplit(base_url)
    if not parts.hostname:
        raise UsageError(
            f"base_url {base_url!r} has no host name; expected an absolute URL like 'https://example.org/'"
        )
    path = parts.path.strip("/")
    return f"tag:{parts.hostname}", (path + "/" if path else "")


def tag_uri(base_url: str, year: int, kind: str, ident: str) -> str:
    """A stable entry id: ``tag:<host>,<year>:<kind>/<id>`` (RFC 4151)."""
    authority, path = tag_parts(base_url)
    return f"{authority},{year}:{path}{kind}/{ident}"


def atom_time(day: dt.date) -> str:
    """An Atom date-time for a day: midnight UTC, since records carry dates only."""
    return f"{day.isoformat()}T00:00:00Z"


def one_line(text: str) -> str:
    """A name or title on one line, whitespace collapsed."""
    return " ".join(text.split())


def confirmed_on(engagement: Engagement) -> dt.date:
    """When an engagement became confirmed: the later of its two attestations."""
    return max(a.date for a in engagement.attestations)


def engagement_entry(
    site: Site, engagement: Engagement, base_url: str, pages: str, words: dict[str, str], skill: Callable[[str], str]
) -> Entry | None:
    """The entry of a confirmed engagement, or None when both parties withdrew.

    ``base_url`` (the site's) makes the id, ``pages`` (the language's root) the link;
    ``skill`` names a skill in the feed's language.
    """
    published = {m: site.members[m].status != "withdrawn" for m in engagement.parties}
    if not any(published.values()):
        return None

    def name(member_id: str) -> str:
        return one_line(site.members[member_id].name) if published[member_id] else words["former_member"]

    page = engagement.supplier if published[engagement.supplier] else engagement.client
    summary = words["engagement_summary"].format(
        supplier=name(engagement.supplier),
        client=name(engagement.client),
        skills=", ".join(skill(s) for s in engagement.skills),
    )
    if not published[engagement.supplier]:
        summary = summary[:1].upper() + summary[1:]  # the sentence starts with "former member"
    if engagement.summary and all(published.values()):  # possibly a forgotten member's words
        summary += " " + plain_text(engagement.summary)
    day = confirmed_on(engagement)
    return Entry(
        day=day,
        id=tag_uri(base_url, engagement.started.year, "engagement", engagement.id),
        title=words["engagement_title"].format(title=one_line(engagement.title)),
        link=f"{pages}members/{page}/#e-{engagement.id}",
        summary=summary,
        category="engagement",
    )


def member_entry(member: Member, base_url: str, pages: str, words: dict[str, str]) -> Entry:
    """The entry of a new member, dated the day they joined."""
    summary = one_line(member.headline)
    if member.bio:
        summary += " — " + plain_text(member.bio)
    return Entry(
        day=member.joined,
        id=tag_uri(base_url, member.joined.year, "member", member.id),
        title=words["member_title"].format(name=one_line(member.name)),
        link=f"{pages}members/{member.id}/",
        summary=summary,
        category="member",
    )


def newest(site: Site, scores: Scores) -> list[tuple[int, int, str]]:
    """Sort keys ``(-ordinal, rank, id)`` of the :data:`MAX_ENTRIES` newest entries, newest first.

    Only dates and ids are compared here; the entries themselves (whose summaries
    render Markdown) are built for the few that are kept, so a network of half a
    million engagements costs one pass over dates.
    """

    def candidates() -> Iterator[tuple[int, int, str]]:
        for eid in scores.engagements:
            engagement = site.engagements[eid]
            if engagement.by_client is None or engagement.by_supplier is None:
                continue  # cheap test first: a status is derived only for two-sided engagements
            if not scores.engagements[eid].counted:
                continue
            if all(site.members[m].status == "withdrawn" for m in engagement.parties):
                continue  # nobody left to name or link to
            yield (-confirmed_on(engagement).toordinal(), 0, eid)
        for member in site.members.values():
            if member.status != "withdrawn":
                yield (-member.joined.toordinal(), 1, member.id)

    return heapq.nsmallest(MAX_ENTRIES, candidates())


def feed_entries(
    site: Site, scores: Scores, base_url: str, pages: str, words: dict[str, str], skill: Callable[[str], str]
) -> list[Entry]:
    """The :data:`MAX_ENTRIES` newest entries, newest first; on one day engagements
    come before members, each kind by id."""
    entries: list[Entry] = []
    for _, rank, key in newest(site, scores):
        if rank == 1:
            entries.append(member_entry(site.members[key], base_url, pages, words))
            continue
        entry = engagement_entry(site, site.engagements[key], base_url, pages, words, skill)
        assert entry is not None, "engagements between former members are never selected"
        entries.append(entry)
    return entries


def entry_xml(entry: Entry) -> str:
    """One ``<entry>``: id, title, updated, link, summary and its kind as a category."""
    return (
        "  <entry>\n"
        f"    <id>{xml_text(entry.id)}</id>\n"
        f"    <title>{xml_text(entry.title)}</title>\n"
        f"    <updated>{atom_time(entry.day)}</updated>\n"
        f'    <link rel="alternate" type="text/html" href={xml_attribute(entry.link)}/>\n'
        f"    <category term={xml_attribute(entry.category)}/>\n"
        f"    <summary>{xml_text(entry.summary)}</summary>\n"
        "  </entry>\n"
    )


def feed_outputs(site: Site, scores: Scores, base_url: str, language: str) -> Iterator[Output]:
    """``feed.xml`` of one language: at the root for the default language, else under ``<language>/``.

    ``base_url`` is the site's absolute URL (the language folder is added here, as the
    pages are laid out), so the feed links to the member pages of its own language.
    """
    words = strings(language)
    prefix = "" if language == site.config.languages[0] else f"{language}/"
    site_url = base_url.rstrip("/") + "/"
    root = site_url + prefix
    vocabulary = Vocabulary.of(site.config)
    entries = feed_entries(site, scores, site_url, root, words, lambda slug: vocabulary.skill(slug, language))
    updated = entries[0].day if entries else site.today
    head = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<feed xmlns="{ATOM_NS}" xml:lang={xml_attribute(language)}>\n'
        f"  <id>{xml_text(root + 'feed.xml')}</id>\n"
        f"  <title>{xml_text(words['feed_title'].format(site=one_line(site.config.title)))}</title>\n"
        f"  <updated>{atom_time(updated)}</updated>\n"
        f'  <link rel="self" type="application/atom+xml" href={xml_attribute(root + "feed.xml")}/>\n'
        f'  <link rel="alternate" type="text/html" href={xml_attribute(root)}/>\n'
        f"  <author><name>{xml_text(one_line(site.config.title))}</name></author>\n"
        "  <generator>Triangle</generator>\n"
    )
    body = "".join(entry_xml(e) for e in entries)
    yield Output(f"{prefix}feed.xml", (head + body + "</feed>\n").encode("utf-8"))
