"""Record types passed between stages. Frozen, slotted, no behaviour beyond small helpers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the inputs. Collected across all stages, never raised one by one."""

    code: str  # stable kebab-case id, e.g. "span-text-mismatch"
    file: str  # repository-relative path of the offending input
    record: str  # which record inside the file: "task 12 (doc_id=…) › annotation 3 › result abc"
    pointer: str  # JSON pointer (or column name) of the offending field inside the file
    message: str  # what is wrong, with the offending values
    hint: str = ""  # what to do about it

    def render(self) -> str:
        where = f"{self.file} › {self.record}" if self.record else self.file
        lines = [f"{self.code}  {where}", f"  at {self.pointer or '/'}: {self.message}"]
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Source:
    """One row of raw/sources.csv: a captured page and what we know about it."""

    doc_id: str
    outlet: str
    url: str | None
    capture_kind: str  # "text" or "html"
    capture_file: str  # path relative to raw/
    captured_at: str | None
    rights: str
    split: str | None  # explicit split overrides the hash split
    title: str | None = None  # headline given in sources.csv (captures whose layout the cleaner cannot read it from)
    published_at: str | None = None  # ISO 8601 given in sources.csv; wins over what the page says


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class MapEntry:
    """A stretch of the cleaned text and the bytes of the raw file it came from."""

    start: int  # code points in the cleaned text
    end: int
    raw_start: int  # byte offsets in the raw file as captured
    raw_end: int


@dataclass(frozen=True, slots=True)
class Cleaned:
    """Cleaner output for one page: the text annotators see plus metadata found in the page."""

    doc_id: str
    text: str  # NFC; title, blank line, paragraphs separated by blank lines
    title: str | None = None
    outlet_evidence: str | None = None  # outlet name as printed on the page, if any
    published_at: datetime | None = None  # aware, Asia/Dhaka unless the page says otherwise
    updated_at: datetime | None = None
    masthead_date: str | None = None  # ISO date of the page render; NOT the publish date
    byline: str | None = None  # desk or author line, e.g. "আন্তর্জাতিক ডেস্ক"
    dateline: Span | None = None  # e.g. "ঢাকা, ১৩ আগস্ট, ২০২৫ (বাসস) : " inside text
    dateline_place: str | None = None
    dateline_agency: str | None = None
    credit: str | None = None  # e.g. "আমারসংবাদ/টিএইচ" (dropped from text)
    source_line: Span | None = None  # the "X" of "সূত্র: X" inside text
    dropped: dict[str, int] = field(default_factory=dict)  # line class -> count
    # Page metadata beyond the seed captures (HTML: JSON-LD, then Open Graph/meta, then visible text).
    authors: tuple[str, ...] = ()
    canonical_url: str | None = None
    language: str | None = None  # BCP-47 as declared by the page, e.g. "bn" or "bn-BD"
    agencies: tuple[str, ...] = ()  # credited agencies as printed, in order of appearance ("বাসস", "এএফপি", …)
    content_type: str | None = None  # e.g. "text/html; charset=utf-8", "text/plain; charset=utf-8"
    raw_map: tuple[MapEntry, ...] = ()  # every paragraph of `text` (title included) → its bytes in the raw file
    raw_sha256: str | None = None  # of the raw file's bytes, taken when they were read for cleaning
    raw_size: int = 0
