"""Bengali date strings → aware datetimes in Asia/Dhaka (or a bare `date` when no time is given).

A small month-name table instead of dateparser, which cannot read `পিএম` (BENGALI.md §4).
Refuses anything that is not a real calendar date or clock time (`৩১ ফেব্রুয়ারি`, `২৫:০০`): None.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import regex

DHAKA = ZoneInfo("Asia/Dhaka")


def _nfc(words: list[str]) -> list[str]:
    """NFC every word."""
    # Keys must be NFC: U+09DF য় is a composition exclusion, so a key typed with it never matches.
    return [unicodedata.normalize("NFC", w) for w in words]


_MONTH_WORDS: dict[int, list[str]] = {
    1: ["জানুয়ারি", "জানুয়ারী", "জানুআরি", "জানু", "january", "jan"],
    2: ["ফেব্রুয়ারি", "ফেব্রুয়ারী", "ফেব্রু", "february", "feb"],
    3: ["মার্চ", "march", "mar"],
    4: ["এপ্রিল", "april", "apr"],
    5: ["মে", "may"],
    6: ["জুন", "june", "jun"],
    7: ["জুলাই", "july", "jul"],
    8: ["আগস্ট", "আগষ্ট", "অগাস্ট", "অগস্ট", "আগ", "august", "aug"],
    9: ["সেপ্টেম্বর", "সেপ্টে", "september", "sept", "sep"],
    10: ["অক্টোবর", "অক্টো", "october", "oct"],
    11: ["নভেম্বর", "নভে", "november", "nov"],
    12: ["ডিসেম্বর", "ডিসে", "december", "dec"],
}
MONTHS: dict[str, int] = {k: m for m, words in _MONTH_WORDS.items() for k in _nfc(words)}

WEEKDAYS: tuple[str, ...] = tuple(
    _nfc(["শনিবার", "রবিবার", "রোববার", "সোমবার", "মঙ্গলবার", "বুধবার",
          "বৃহস্পতিবার", "বৃহষ্পতিবার", "শুক্রবার"])
)

# Meridiem words → rule applied to a 1–12 hour. "night"/"evening" words move 6–11 to the evening
# but leave 1–4 (after midnight) alone, which is how রাত ২টা is used.
_MERIDIEM: dict[str, str] = {
    **{k: "pm" for k in _nfc(["পিএম", "অপরাহ্ণ", "অপরাহ্ন", "বিকাল", "বিকেল", "pm", "p.m."])},
    **{k: "am" for k in _nfc(["এএম", "পূর্বাহ্ণ", "পূর্বাহ্ন", "সকাল", "ভোর", "am", "a.m."])},
    **{k: "night" for k in _nfc(["রাত", "সন্ধ্যা"])},
    **{k: "noon" for k in _nfc(["দুপুর"])},
}

PREFIXES: tuple[str, ...] = tuple(_nfc(["প্রকাশ", "প্রকাশিত", "আপডেট", "হালনাগাদ", "সর্বশেষ আপডেট"]))


def _alt(words: Iterable[str]) -> str:
    """Regex alternation of literal words, longest first so "আগস্ট" wins over "আগ"."""
    return "|".join(regex.escape(w) for w in sorted(words, key=len, reverse=True))


_D = r"[0-9০-৯]"
_END = r"(?![\p{L}\p{M}\p{N}])"  # a month word must not run on into a longer word
_MONTH = rf"(?P<month>{_alt(MONTHS)}){_END}"
_TIME = (
    rf"(?:(?P<mer1>{_alt(_MERIDIEM)}){_END}\s*)?"
    rf"(?P<hour>{_D}{{1,2}})[:：](?P<minute>{_D}{{2}})(?:[:：](?P<second>{_D}{{2}}))?"
    r"(?:\s*(?:টা|মি\.?|মিনিট))?"
    rf"(?:\s*(?P<mer2>{_alt(_MERIDIEM)}){_END})?"
)
_YEAR = rf"(?P<year>{_D}{{4}})(?!{_D})"
YEAR_DIGITS = regex.compile(rf"{_D}{{4}}")  # in every string a date pattern here matches: a quick test before one
_DMY = rf"(?P<day>{_D}{{1,2}})(?:\s*(?:ই|শে|লা|রা|ঠা))?\s*[-/.]?\s*{_MONTH}\s*[,.]?\s*[-/]?\s*{_YEAR}"
_MDY = rf"{_MONTH}\.?\s*(?P<day>{_D}{{1,2}})\s*,?\s*{_YEAR}"
_TAIL = rf"(?:\s*(?:,|\||-|–)?\s*{_TIME})?"
_WEEKDAY = rf"(?:(?P<weekday>{_alt(WEEKDAYS)})\s*,?\s*)?"
_PREFIX = rf"(?:(?P<prefix>{_alt(PREFIXES)})\s*[:：]\s*)?"

DATE_RE = regex.compile(
    rf"(?<![\p{{L}}\p{{M}}\p{{N}}]){_WEEKDAY}(?:{_DMY}|{_MDY}){_TAIL}",
    regex.IGNORECASE,
)
_WHOLE_RE = regex.compile(
    rf"\s*{_PREFIX}{_WEEKDAY}(?:{_DMY}|{_MDY}){_TAIL}\s*", regex.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class DateMatch:
    """A date found inside a longer string, with its code-point span and optional prefix word."""

    value: datetime | date
    start: int
    end: int
    prefix: str | None = None


def _hour24(hour: int, meridiem: str | None) -> int | None:
    """Apply a meridiem word to a clock hour; None when the pair makes no sense."""
    if meridiem is None:
        return hour if hour <= 23 else None
    if hour > 12:
        # "১৩:২১ পিএম" is redundant but unambiguous; "১৩:২১ এএম" is not.
        return hour if meridiem != "am" and hour <= 23 else None
    if meridiem == "am":
        return 0 if hour == 12 else hour
    if meridiem == "pm":
        return hour if hour == 12 else hour + 12
    if meridiem == "noon":
        return hour if hour in (11, 12) else hour + 12
    # night/evening: ৬–১১ are evening hours, ১২ is midnight, ১–৫ are after midnight
    if hour == 12:
        return 0
    return hour + 12 if hour >= 6 else hour


def _build(m: regex.Match[str]) -> datetime | date | None:
    """Turn a regex match into a date/datetime, or None when it is not a real date."""
    try:
        day = date(int(m["year"]), MONTHS[unicodedata.normalize("NFC", m["month"]).lower()], int(m["day"]))
    except (ValueError, KeyError):
        return None
    if m["hour"] is None:
        return day
    mer_word = m["mer1"] or m["mer2"]
    meridiem = _MERIDIEM.get(unicodedata.normalize("NFC", mer_word).lower()) if mer_word else None
    hour = _hour24(int(m["hour"]), meridiem)
    minute, second = int(m["minute"]), int(m["second"] or 0)
    if hour is None or minute > 59 or second > 59:
        return None
    return datetime.combine(day, time(hour, minute, second), tzinfo=DHAKA)


def parse_date(text: str) -> datetime | date | None:
    """Parse a string that is exactly one date (optional `প্রকাশ:`-style prefix and weekday)."""
    m = _WHOLE_RE.fullmatch(unicodedata.normalize("NFC", text))
    return _build(m) if m else None


def parse_labelled(text: str) -> tuple[str | None, datetime | date] | None:
    """Like parse_date, but also return the prefix word (`প্রকাশ`, `আপডেট`, …) if there was one."""
    m = _WHOLE_RE.fullmatch(unicodedata.normalize("NFC", text))
    value = _build(m) if m else None
    if m is None or value is None:
        return None
    return m["prefix"], value


def search_date(text: str) -> DateMatch | None:
    """Find the first valid date inside `text` (which must already be NFC, so offsets hold)."""
    for m in DATE_RE.finditer(text):
        value = _build(m)
        if value is not None:
            prefix = _prefix_before(text, m.start())
            return DateMatch(value, m.start(), m.end(), prefix)
    return None


def search_dates(text: str) -> list[DateMatch]:
    """All valid dates inside `text` (NFC), in order."""
    found = []
    for m in DATE_RE.finditer(text):
        value = _build(m)
        if value is not None:
            found.append(DateMatch(value, m.start(), m.end(), _prefix_before(text, m.start())))
    return found


_PREFIX_BEFORE_RE = regex.compile(rf"(?:{_alt(PREFIXES)})\s*[:：]?\s*$")


def _prefix_before(text: str, start: int) -> str | None:
    """The `প্রকাশ:`-style label immediately before a date, if any."""
    m = _PREFIX_BEFORE_RE.search(text[max(0, start - 30) : start])
    return m.group(0).rstrip(" :：\t") if m else None
