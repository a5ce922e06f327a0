"""Captured page (plain text or HTML) → `Cleaned`: the NFC text annotators see, plus page metadata.

Text captures go through line rules written for the seed layout (BENGALI.md §2.3); HTML goes to
`builder.clean.extract`. Kept lines are never rewritten beyond NFC and trailing-whitespace stripping.
Both routes share the credit rules of `builder.clean.credits` (dateline, `সূত্র:` line, credited agencies) and map every
paragraph back to the raw bytes it came from (`builder.clean.rawmap`).
Refuses undecodable bytes and pages without a body (a Problem each, no text).
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date, datetime

import regex

from builder.clean import rawmap
from builder.clean.credits import credited_agencies, find_credits, is_credit_line, nfc_set
from builder.clean.dates import WEEKDAYS, YEAR_DIGITS, parse_date, parse_labelled
from builder.records import Cleaned, Problem

# Line classes; their names are also the keys of `Cleaned.dropped`.
BLANK = "blank"
SOCIAL = "social"
UI_LATIN = "ui-latin"
LIST_HEAD = "list-head"
NUMERIC = "numeric"
PUBLISHED = "published"
UPDATED = "updated"
MASTHEAD_DATE = "masthead-date"
CREDIT = "credit"
TEXT = "text"
# Roles a TEXT line can be given later.
REPEATED_TITLE = "repeated-title"
BYLINE = "byline"
READ_MORE = "read-more"  # inline "আরও পড়ুন: <headline>" box; dropped without ending the body
HEADER_TEXT = "header-text"  # unrecognised text above the body (menus, kickers)
AFTER_CUT = "after-cut"  # link-list headlines below a list head or credit line


SOCIAL_WORDS = nfc_set([
    "ফেসবুক", "ইউটিউব", "টিকটক", "ইনস্টাগ্রাম", "এক্স", "লিংকডইন", "লিঙ্কডইন", "পিন্টারেস্ট",
    "গুগল নিউজ", "হোয়াটস অ্যাপ", "হোয়াটসঅ্যাপ", "টেলিগ্রাম", "মেসেঞ্জার গ্রুপ", "মেসেঞ্জার",
    "ফিড", "টুইটার", "ইমেইল", "ই-মেইল", "শেয়ার", "প্রিন্ট",
])
LIST_HEADS = nfc_set([
    "সর্বশেষ", "জনপ্রিয়", "আরও পড়ুন", "আরো পড়ুন", "সর্বাধিক পঠিত", "সর্বাধিক পঠিত খবর",
    "সম্পর্কিত খবর", "সংশ্লিষ্ট খবর", "আরও খবর", "আরো খবর", "এই বিভাগের আরও খবর",
    "এই বিভাগের আরো খবর", "পাঠকপ্রিয়", "মন্তব্য করুন",
])

_BENGALI = regex.compile(r"[\p{Bengali}]")
_NUMERIC = regex.compile(r"[\p{N}\p{P}\p{S}\s]*\p{N}[\p{N}\p{P}\p{S}\s]*")
_WEEKDAY_ALT = "|".join(WEEKDAYS)
_MASTHEAD = regex.compile(rf"(?P<place>[\p{{L}}\p{{M}}]+)\s*,?\s+(?:{_WEEKDAY_ALT})\s*,?\s*(?P<date>.+)")
_DANDA_END = regex.compile(r"[।?!]\s*$")
_READ_MORE = regex.compile(unicodedata.normalize("NFC", r"(?:আরও|আরো) পড়ুন\s*[:：]\s*\S"))
PUBLISHED_PREFIXES = ("প্রকাশ", "প্রকাশিত")
CAPTURE_CONTENT_TYPE = "text/plain; charset=utf-8"


@dataclass(slots=True)
class _Line:
    """One raw line after NFC and right-stripping; `number` is 1-based in the raw file."""

    number: int
    text: str
    kind: str
    value: date | None = None  # published (or masthead) date carried by the line
    updated: date | None = None


def _date_line(s: str) -> tuple[date | None, date | None] | None:
    """(published, updated) if the line is only dates, e.g. `প্রকাশ: … | আপডেট: …`; else None."""
    published = updated = None
    for segment in s.split("|"):
        labelled = parse_labelled(segment)
        if labelled is None:
            return None
        prefix, value = labelled
        if prefix is None or prefix in PUBLISHED_PREFIXES:
            published = published or value
        else:
            updated = updated or value
    return published, updated


def _classify(text: str) -> _Line:
    """Class of one stripped line, with the dates it carries (line number filled in by the caller)."""
    s = text.strip()
    if not s:
        return _Line(0, text, BLANK)
    if s in SOCIAL_WORDS:
        return _Line(0, text, SOCIAL)
    if s.startswith("•") or s.rstrip(" :：") in LIST_HEADS:
        return _Line(0, text, LIST_HEAD)
    if _READ_MORE.match(s):
        return _Line(0, text, READ_MORE)
    if _NUMERIC.fullmatch(s):
        return _Line(0, text, NUMERIC)
    if not _BENGALI.search(s) and len(s.split()) <= 5:
        return _Line(0, text, UI_LATIN)
    if YEAR_DIGITS.search(s):  # every date either check below accepts has a four-digit year
        dates = _date_line(s)
        if dates is not None:
            return _Line(0, text, PUBLISHED if dates[0] else UPDATED, *dates)
        m = _MASTHEAD.fullmatch(s)
        if m:
            value = parse_date(m["date"])
            if value is not None and not isinstance(value, datetime):
                return _Line(0, text, MASTHEAD_DATE, value)
    if is_credit_line(s):
        return _Line(0, text, CREDIT)
    return _Line(0, text, TEXT)


def line_kind(text: str) -> str:
    """The class of one line (`published`, `social`, `read-more`, `text`, …), for other routes."""
    return _classify(text).kind


def _is_title(text: str) -> bool:
    """A headline: 3–25 words and no sentence-final danda."""
    return 3 <= len(text.split()) <= 25 and not _DANDA_END.search(text)


def _is_byline(text: str) -> bool:
    """A desk, agency or author line: short and not a sentence."""
    return len(text.split()) <= 6 and len(text) <= 60 and not _DANDA_END.search(text)


def _split_lines(raw: str) -> list[_Line]:
    """NFC, split on any newline convention, strip trailing whitespace, classify."""
    text = unicodedata.normalize("NFC", raw)
    if text.startswith("\ufeff"):
        text = text[1:]
    out = []
    # CRLF, then a lone CR, then LF: what regex.split(r"\r\n|\r|\n") does, four times faster
    for i, line in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1):
        classified = _classify(line.rstrip())
        classified.number = i
        out.append(classified)
    return out


def _find_header(lines: list[_Line]) -> tuple[int | None, int | None, int | None]:
    """Indexes of the published line, the title line and the byline line (each may be None)."""
    pub = next((i for i, ln in enumerate(lines) if ln.kind == PUBLISHED), None)
    limit = pub if pub is not None else len(lines)
    title = next((i for i in range(limit) if lines[i].kind == TEXT and _is_title(lines[i].text)), None)
    byline = None
    if pub is not None:
        # The byline sits within 3 non-blank lines above the published line, or right below it;
        # looking further below would risk taking a short first paragraph for a byline.
        near = [i for i in range(len(lines)) if lines[i].kind != BLANK]
        k = near.index(pub)
        for i in near[max(0, k - 3) : k][::-1] + near[k + 1 : k + 2]:
            if i != title and lines[i].kind == TEXT and _is_byline(lines[i].text):
                if title is None or i > title:
                    byline = i
                    break
    return pub, title, byline


def clean_capture(
    raw: str, doc_id: str, *, file: str | None = None, title: str | None = None
) -> tuple[Cleaned, list[Problem]]:
    """Clean one plain-text capture; `file` names it in Problems (default raw/captures/<doc_id>.txt).

    `title` (from raw/sources.csv) is the headline when the layout does not show one: the capture line
    that reads exactly so, else it heads the text without coming from the capture (no raw map entry).
    """
    file = file or f"raw/captures/{doc_id}.txt"
    record = f"doc_id={doc_id}"
    problems: list[Problem] = []
    lines = _split_lines(raw)
    dropped: Counter[str] = Counter()
    pub, title_i, byline_i = _find_header(lines)
    given = unicodedata.normalize("NFC", title).strip() if title else None
    if given is not None:
        title_i = next((i for i, ln in enumerate(lines) if ln.kind == TEXT and ln.text.strip() == given), None)
        if byline_i is not None and byline_i == title_i:
            byline_i = None
    title = given if given is not None else (lines[title_i].text if title_i is not None else None)
    header_end = max(i for i in (pub, title_i, byline_i, -1) if i is not None)

    published = updated = None
    masthead = credit = None
    latin: Counter[str] = Counter()
    paragraphs: list[str] = []
    para_lines: list[int] = []  # raw line number of each paragraph, for the provenance map
    cut = False
    for i, ln in enumerate(lines):
        kind = ln.kind
        if kind == BLANK:
            continue
        if kind == UI_LATIN:
            latin[ln.text.strip()] += 1
        if i == title_i:
            continue
        if cut:
            dropped[AFTER_CUT if kind == TEXT else kind] += 1
            continue
        if kind == TEXT:
            if title is not None and ln.text.strip() == title.strip():
                kind = REPEATED_TITLE
            elif i == byline_i:
                kind = BYLINE
            elif i < header_end:
                kind = HEADER_TEXT
            else:
                paragraphs.append(ln.text)
                para_lines.append(ln.number)
                continue
        elif kind in (PUBLISHED, UPDATED):
            published = published or ln.value
            updated = updated or ln.updated
        elif kind == MASTHEAD_DATE and masthead is None and isinstance(ln.value, date):
            masthead = ln.value.isoformat()
        elif kind == CREDIT:
            credit = credit or ln.text.strip()
            cut = bool(paragraphs)
        elif kind == LIST_HEAD:
            # A list head above the body is page chrome; below the body it starts the link lists.
            cut = bool(paragraphs)
        dropped[kind] += 1

    if pub is not None and not isinstance(published, datetime):
        problems.append(Problem(
            "capture-date-only", file, record, f"line {lines[pub].number}",
            f"published line {lines[pub].text.strip()!r} has a date but no time; published_at left empty",
            "check the capture; if the page shows a time, re-capture it",
        ))

    head = [title] if title is not None else []
    text = "\n\n".join(head + paragraphs)
    body_start = len(title) + 2 if title is not None else 0

    if title is None:
        problems.append(Problem(
            "capture-no-title", file, record, "",
            "no headline line (3–25 words, no final ।) found above the published line",
            "give the headline: `builder add --title …` for a new page, or the title column of raw/sources.csv "
            "(never edit the capture)",
        ))
    if not paragraphs:
        problems.append(Problem(
            "capture-empty-body", file, record, "",
            f"no body paragraphs left after cleaning ({sum(dropped.values())} lines dropped: "
            f"{dict(sorted(dropped.items()))})",
            "check the capture file; it may be truncated or in an unknown layout",
        ))

    dateline, place, agency, source_line = find_credits(text, body_start, paragraphs)
    byline = lines[byline_i].text.strip() if byline_i is not None else None
    agencies = credited_agencies(text, body_start, dateline_agency=agency, dateline=dateline,
                                 source_line=source_line, byline=byline)

    # A Latin line repeated across the page is the logo alt text, i.e. the outlet's own name.
    repeated_latin = [w for w, n in latin.most_common() if n >= 2]
    outlet = repeated_latin[0] if repeated_latin else agency

    cleaned = Cleaned(
        doc_id=doc_id,
        text=text,
        title=title,
        outlet_evidence=outlet,
        published_at=published if isinstance(published, datetime) else None,
        updated_at=updated if isinstance(updated, datetime) else None,
        masthead_date=masthead,
        byline=byline,
        dateline=dateline,
        dateline_place=place,
        dateline_agency=agency,
        credit=credit,
        source_line=source_line,
        dropped=dict(sorted(dropped.items())),
        agencies=agencies,
        content_type=CAPTURE_CONTENT_TYPE,
        raw_map=_raw_map(raw, title, title_i, lines, para_lines, paragraphs),
    )
    return cleaned, problems


def _raw_map(raw, title, title_i, lines, para_lines, paragraphs):
    """Paragraphs (and the title, when the capture holds it) → raw bytes; a given title maps to none."""
    if title is None or title_i is not None:
        head = [title] if title is not None else []
        return rawmap.map_lines(raw, ([lines[title_i].number] if title_i is not None else []) + para_lines, head + paragraphs)
    shift = len(title) + 2
    return tuple(replace(m, start=m.start + shift, end=m.end + shift) for m in rawmap.map_lines(raw, para_lines, paragraphs))


