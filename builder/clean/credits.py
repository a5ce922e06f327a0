"""Credit rules shared by the capture and HTML routes: the dateline, the `সূত্র:` line, wire names, desk credits.

News agencies whose name in a story credits them as a wire are linked to registry ids later; here they
are found as printed.
"""

from __future__ import annotations

import unicodedata

import regex

from builder.clean.dates import search_date
from builder.records import Span


def nfc_set(words: list[str]) -> frozenset[str]:
    """NFC every word into a lookup set."""
    return frozenset(unicodedata.normalize("NFC", w) for w in words)


_CREDIT = regex.compile(r"[\p{L}\p{M}.]+\s*/\s*[\p{L}\p{M}.]+")


_DATELINE = regex.compile(
    r"(?P<place>[\p{L}\p{M}]+(?: [\p{L}\p{M}]+){0,2})\s*,?\s*"
    r"(?:(?P<date>[^()\n:]{4,40}?)\s*)?"
    r"(?:\((?P<agency>[^()\n]{1,40})\)\s*)?"
    r"[:：]\s*"
)
_SOURCE = regex.compile(r"সূত্র\s*[:：]\s*(?P<src>[^\n।]*[^\s।])\s*$")

# News agencies whose name in a story credits them as a wire (the builder links the printed
# names to registry ids). Broadcasters and state media (বিবিসি, কেসিএনএ) are left out on purpose:
# in a story they are usually the source reported on, and count as credited only on a `সূত্র:`
# line, in the dateline or in the page's structured data.
WIRE_NAMES = nfc_set([
    "বাসস", "ইউএনবি", "এএফপি", "রয়টার্স", "এপি", "অ্যাসোসিয়েটেড প্রেস", "এসোসিয়েটেড প্রেস",
    "আনাদোলু", "সিনহুয়া", "শিনহুয়া", "পিটিআই", "এএনআই", "আইএএনএস", "ডিপিএ", "কিয়োদো", "ইয়োনহাপ",
    "ইন্টারফ্যাক্স", "ব্লুমবার্গ", "বার্নামা",
    "BSS", "UNB", "AFP", "Reuters", "AP", "Anadolu", "Xinhua", "PTI", "ANI", "IANS", "dpa", "Kyodo",
    "Yonhap", "Interfax", "Bloomberg", "Bernama",
])


_WIRE_ALT = "|".join(regex.escape(w) for w in sorted(WIRE_NAMES, key=len, reverse=True))


# "বার্তা সংস্থা এএফপি", "রয়টার্সের", "এএফপিকে": the printed name, then an optional case ending.
_WIRE = regex.compile(
    rf"(?<![\p{{L}}\p{{M}}\p{{N}}])(?P<credit>(?:(?:বার্তা|সংবাদ)\s?সংস্থা\s+)?(?P<name>{_WIRE_ALT}))"
    r"(?:[’'-]?(?:য়ের|এর|ের|র|কে|ও|ই))?(?![\p{L}\p{M}\p{N}])"
)


_WIRE_STARTS = tuple(sorted(WIRE_NAMES | {"বার্তা", "সংবাদ"}))  # a _WIRE match begins with one of these


def wire_mentions(text: str, start: int = 0) -> list[regex.Match[str]]:
    """_WIRE.finditer(text, start), tried only where one of the words a match begins with is printed: the
    regex alone tries every position of the body (a third of a millisecond a story), str.find skips there."""
    at: set[int] = set()
    for word in _WIRE_STARTS:
        i = text.find(word, start)
        while i != -1:
            at.add(i)
            i = text.find(word, i + 1)
    found, end = [], start
    for i in sorted(at):
        if i >= end:
            m = _WIRE.match(text, i)
            if m is not None:
                found.append(m)
                end = m.end()
    return found


_SOURCE_SPLIT = regex.compile(r"\s*(?:[,/;]|\s(?:ও|এবং)\s)\s*")


def find_credits(
    text: str, body_start: int, paragraphs: list[str]
) -> tuple[Span | None, str | None, str | None, Span | None]:
    """(dateline span, its place, its agency, `সূত্র:` span) of a cleaned text whose body starts
    at body_start and ends with paragraphs[-1]; shared by the capture and HTML routes."""
    dateline = place = agency = None
    if paragraphs:
        m = _DATELINE.match(text, body_start)
        if m and (m["agency"] or (m["date"] and search_date(m["date"]))):
            dateline = Span(m.start(), m.end(), m.group(0))
            place, agency = m["place"], (m["agency"].strip() if m["agency"] else None)

    source_line = None
    if paragraphs:
        last_start = len(text) - len(paragraphs[-1])
        m = _SOURCE.search(text, last_start)
        if m:
            source_line = Span(m.start("src"), m.end("src"), m["src"])
    return dateline, place, agency, source_line


def credited_agencies(
    text: str,
    body_start: int,
    *,
    dateline_agency: str | None = None,
    dateline: Span | None = None,
    source_line: Span | None = None,
    byline: str | None = None,
    structured: tuple[str, ...] = (),
) -> tuple[str, ...]:
    """Credited agencies as printed, in order of appearance, each once.

    Order: `structured` (the page's own data, e.g. JSON-LD sourceOrganization, which precedes the
    body), a byline that is a wire name, then in the body the dateline agency, wire names (with
    `বার্তা সংস্থা` kept when printed; a case ending such as -কে/-এর dropped) and the names on a
    `সূত্র:` line. A second mention of the same agency is skipped.
    """
    found: list[tuple[int, str, str]] = []  # (position, as printed, identity for de-duplication)
    for name in structured:
        found.append((-2, name, name))
    if byline:
        m = _WIRE.fullmatch(byline)
        if m:
            found.append((-1, m["credit"], m["name"]))
    if dateline is not None and dateline_agency:
        found.append((dateline.start, dateline_agency, wire_name(dateline_agency) or dateline_agency))
    for m in wire_mentions(text, body_start):
        found.append((m.start(), m["credit"], m["name"]))
    if source_line is not None:
        at = source_line.start
        for part in _SOURCE_SPLIT.split(source_line.text):
            if part:
                found.append((at, part, wire_name(part) or part))
    out: list[str] = []
    seen: set[str] = set()
    for _, printed, identity in sorted(found, key=lambda f: f[0]):
        if identity not in seen:
            seen.add(identity)
            out.append(printed)
    return tuple(out)


def wire_name(s: str) -> str | None:
    """The agency if `s` is just a wire service's name (`বাসস`, `বার্তা সংস্থা এএফপির`), else None."""
    m = _WIRE.fullmatch(s.strip())
    return m["name"] if m else None


def is_credit_line(s: str) -> bool:
    """A desk credit such as `আমারসংবাদ/টিএইচ` (dropped from the text, kept as `credit`)."""
    return len(s) <= 40 and _CREDIT.fullmatch(s) is not None
