"""Extraction quality gate: score `builder.clean.extract.clean_html` on golden page sets against pinned floors.

Page sets (see eval/README.md):
  ours         eval/pages/*.html + eval/gold.json: our own Bengali fixture pages, always present.
               Line-level precision/recall/F1 of the body, title, date, ZWJ/ZWNJ kept, snippets.
  trafilatura  <repo>/../shared/realdata/adbar-trafilatura: 7 real pages with `with`/`without`
               snippets (trafilatura's own eval data); title and date where its gold has them.
  newspaper4k  <repo>/../shared/realdata/AndyTheFactory-newspaper4k: one Yonhap page with its
               expected text (line-level P/R) and metadata (title, publish date).
The shared sets are skipped, with a reason, when that folder is absent.

Floors live in eval/floors.json with a SHA-256 fingerprint of each golden set. `check_floors` lists
every score below its floor and every golden set that changed since the floors were pinned;
`update_floors` raises floors to the scores measured now (rounded down to 3 decimals), refuses to
lower one unless told to, and writes the file atomically.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from builder.evaluate.goldsets import SET_NAMES, GoldPage, PageSet, load_page_sets, normalize_line, parse_iso
from builder.records import Cleaned, Problem

# Metric names as they appear in reports and in eval/floors.json, with their column labels.
METRICS: dict[str, str] = {
    "precision": "P",  # body lines extracted that are gold lines (mean over pages)
    "recall": "R",  # gold body lines that were extracted (mean over pages)
    "f1": "F1",
    "title": "title",  # share of pages whose title is exactly right
    "date": "date",  # share of pages whose publish date is right
    "zwj": "ZWJ",  # share of gold words with ZWJ/ZWNJ found intact
    "snippet_recall": "snip-R",  # `with` snippets found
    "snippet_precision": "snip-P",  # `without` snippets absent
}
_JOINERS = ("\u200c", "\u200d")
Extractor = Callable[..., tuple[Cleaned, list[Problem]]]  # clean_html(raw, doc_id, *, file=…)


# ---------------------------------------------------------------------------- golden sets


# ---------------------------------------------------------------------------- scoring


@dataclass(frozen=True, slots=True)
class PageScore:
    """What the extractor got right and wrong on one page."""

    page_id: str
    file: str
    gold_lines: int | None  # None: the page has no line-level gold
    got_lines: int
    matched: int
    missing: tuple[str, ...] = ()  # gold lines not extracted
    extra: tuple[str, ...] = ()  # extracted lines that are not gold
    title_ok: bool | None = None  # None: no gold title
    title_got: str | None = None
    date_ok: bool | None = None
    date_got: str | None = None
    with_total: int = 0
    with_missing: tuple[str, ...] = ()
    without_total: int = 0
    leaked: tuple[str, ...] = ()  # `without` snippets that were extracted
    zwj_total: int = 0
    zwj_kept: int = 0
    problems: tuple[str, ...] = ()  # problem codes from the extractor, or a crash
    seconds: float = 0.0

    @property
    def precision(self) -> float | None:
        if self.gold_lines is None:
            return None
        return self.matched / self.got_lines if self.got_lines else 0.0

    @property
    def recall(self) -> float | None:
        if self.gold_lines is None:
            return None
        return self.matched / self.gold_lines if self.gold_lines else 1.0

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None:
            return None
        return 2 * p * r / (p + r) if p + r else 0.0

    def notes(self, width: int = 60) -> list[str]:
        """Where this page fails, one short line each (empty when it is perfect)."""

        def cut(s: str) -> str:
            return s if len(s) <= width else s[: width - 1] + "…"

        out = [f"problem {p}" for p in self.problems]
        out += [f"missing line: {cut(s)}" for s in self.missing]
        out += [f"extra line: {cut(s)}" for s in self.extra]
        if self.title_ok is False:
            out.append(f"title: got {self.title_got or 'nothing'}")  # in full: the difference is often a suffix
        if self.date_ok is False:
            out.append(f"date: got {self.date_got or 'nothing'}")
        if self.zwj_kept < self.zwj_total:
            out.append(f"ZWJ/ZWNJ words kept {self.zwj_kept}/{self.zwj_total}")
        out += [f"'with' snippet missing: {cut(s)}" for s in self.with_missing]
        out += [f"'without' snippet leaked: {cut(s)}" for s in self.leaked]
        return out


@dataclass(frozen=True, slots=True)
class SetScore:
    """Scores of one page set; `metrics` holds only the metrics that apply to it."""

    name: str
    origin: str
    fingerprint: str
    pages: tuple[PageScore, ...]
    metrics: dict[str, float]

    @property
    def seconds(self) -> float:
        return sum(p.seconds for p in self.pages)

    @property
    def pages_per_second(self) -> float:
        return len(self.pages) / self.seconds if self.seconds > 0 else math.inf


@dataclass(frozen=True, slots=True)
class EvalReport:
    sets: tuple[SetScore, ...]
    skipped: tuple[str, ...] = ()  # "name: reason" for page sets that are not present

    def get(self, name: str) -> SetScore | None:
        return next((s for s in self.sets if s.name == name), None)


def body_lines(cleaned: Cleaned) -> list[str]:
    """The extracted body as normalised non-empty lines; the leading title line is not body."""
    lines = [n for n in (normalize_line(ln) for ln in cleaned.text.split("\n")) if n]
    if lines and cleaned.title and lines[0] == normalize_line(cleaned.title):
        lines = lines[1:]
    return lines


def _joiner_words(lines: Iterable[str]) -> Counter[str]:
    """Whitespace-separated words that contain ZWJ or ZWNJ, with their counts."""
    return Counter(w for ln in lines for w in ln.split() if any(j in w for j in _JOINERS))


def date_matches(got: datetime | date | None, want: str) -> bool:
    """A gold date matches the day (in the page's own zone); a gold datetime matches the instant."""
    expected = parse_iso(want)
    if got is None or expected is None:
        return False
    if not isinstance(expected, datetime):
        return (got.date() if isinstance(got, datetime) else got) == expected
    if not isinstance(got, datetime):
        return False  # a bare day is not the publication time
    if got.tzinfo is None or expected.tzinfo is None:
        return got.replace(tzinfo=None) == expected.replace(tzinfo=None)
    return got == expected


def score_page(page: GoldPage, extractor: Extractor) -> PageScore:
    """Run the extractor on one page and compare with its gold."""
    started = time.perf_counter()
    try:
        cleaned, problems = extractor(page.html, f"eval-{page.page_id}", file=page.file)
        codes = tuple(p.code for p in problems)
    except Exception as e:  # noqa: BLE001 - a crash on a gold page is a failure to score, not to hide
        cleaned, codes = Cleaned(f"eval-{page.page_id}", ""), (f"crash {type(e).__name__}: {e}",)
    seconds = time.perf_counter() - started

    got = body_lines(cleaned)
    matched, missing, extra = 0, (), ()
    if page.body is not None:
        want_c, got_c = Counter(page.body), Counter(got)
        matched = sum((want_c & got_c).values())
        missing = tuple(ln for ln in page.body if ln not in got_c)
        extra = tuple(ln for ln in got if ln not in want_c)
    text = normalize_line(cleaned.text)
    title_got = normalize_line(cleaned.title) if cleaned.title else None
    zwj_want = _joiner_words(([page.title] if page.title else []) + list(page.body or ()))
    zwj_got = _joiner_words(normalize_line(ln) for ln in cleaned.text.split("\n"))
    published = cleaned.published_at
    return PageScore(
        page_id=page.page_id,
        file=page.file,
        gold_lines=len(page.body) if page.body is not None else None,
        got_lines=len(got),
        matched=matched,
        missing=missing,
        extra=extra,
        title_ok=None if page.title is None else title_got == page.title,
        title_got=title_got,
        date_ok=None if page.published is None else date_matches(published, page.published),
        date_got=published.isoformat() if published is not None else None,
        with_total=len(page.with_),
        with_missing=tuple(s for s in page.with_ if normalize_line(s) not in text),
        without_total=len(page.without),
        leaked=tuple(s for s in page.without if normalize_line(s) in text),
        zwj_total=sum(zwj_want.values()),
        zwj_kept=sum((zwj_want & zwj_got).values()),
        problems=codes,
        seconds=seconds,
    )


def _mean(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def _share(flags: list[bool | None]) -> float | None:
    present = [f for f in flags if f is not None]
    return sum(present) / len(present) if present else None


def set_metrics(pages: Iterable[PageScore]) -> dict[str, float]:
    """Macro means for line scores, shares for title/date, micro ratios for ZWJ and snippets."""
    pages = list(pages)
    with_total = sum(p.with_total for p in pages)
    without_total = sum(p.without_total for p in pages)
    zwj_total = sum(p.zwj_total for p in pages)
    values: dict[str, float | None] = {
        "precision": _mean([p.precision for p in pages]),
        "recall": _mean([p.recall for p in pages]),
        "f1": _mean([p.f1 for p in pages]),
        "title": _share([p.title_ok for p in pages]),
        "date": _share([p.date_ok for p in pages]),
        "zwj": sum(p.zwj_kept for p in pages) / zwj_total if zwj_total else None,
        "snippet_recall": 1 - sum(len(p.with_missing) for p in pages) / with_total if with_total else None,
        "snippet_precision": 1 - sum(len(p.leaked) for p in pages) / without_total if without_total else None,
    }
    return {k: v for k, v in values.items() if v is not None}


def score_set(page_set: PageSet, extractor: Extractor | None = None) -> SetScore:
    """Score every page of a set with `extractor` (default: builder.clean.extract.clean_html, looked up now)."""
    if extractor is None:  # looked up per call, so a test can swap the extractor
        from builder.clean import extract

        extractor = extract.clean_html
    pages = tuple(score_page(p, extractor) for p in page_set.pages)
    return SetScore(page_set.name, page_set.origin, page_set.fingerprint, pages, set_metrics(pages))


def evaluate_sets(root: Path, names: Iterable[str] = SET_NAMES, extractor: Extractor | None = None) -> EvalReport:
    """Load the page sets that are present and score each one."""
    sets, skipped = load_page_sets(root, names)
    if extractor is None:
        from builder.clean import extract

        extractor = extract.clean_html
    if sets and sets[0].pages:
        # One untimed extraction first: the first page in a process pays ~1 s of one-off set-up
        # (htmldate → dateparser loading its locales), which would swamp pages/second.
        first = sets[0].pages[0]
        try:
            extractor(first.html, "eval-warm-up", file=first.file)
        except Exception:  # noqa: BLE001,S110 - a crash is reported on that page below
            pass
    return EvalReport(tuple(score_set(s, extractor) for s in sets), tuple(skipped))


# ---------------------------------------------------------------------------- floors


