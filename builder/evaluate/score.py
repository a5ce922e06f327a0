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

import copy
import hashlib
import json
import math
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from builder.atomic import write_atomic
from builder.errors import BuildError, MissingInput
from builder.records import Cleaned, Problem

EVAL_DIR = "eval"
GOLD_FILE = "eval/gold.json"
PAGES_DIR = "eval/pages"
FLOORS_FILE = "eval/floors.json"
SHARED_DIR = "../shared/realdata"  # relative to the repository root
SET_NAMES = ("ours", "trafilatura", "newspaper4k")

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
_EPS = 1e-9

Extractor = Callable[..., tuple[Cleaned, list[Problem]]]  # clean_html(raw, doc_id, *, file=…)


class BadGoldSet(BuildError):
    """A golden set cannot be read, or contradicts itself."""

    hint = "fix the golden set listed above (see eval/README.md)"


class FloorRegression(BuildError):
    """`--update` would lower a pinned floor."""

    hint = ("fix the extractor, or, if the drop is intended (say why in the commit), "
            "re-run with `builder eval --update --allow-regression`")


# ---------------------------------------------------------------------------- golden sets


@dataclass(frozen=True, slots=True)
class GoldPage:
    """One page of a golden set and what a correct extraction of it contains."""

    page_id: str
    file: str  # shown in reports, relative to the repository root
    html: bytes = field(repr=False)
    body: tuple[str, ...] | None = None  # expected body lines, normalised; None: not judged line by line
    title: str | None = None
    published: str | None = None  # ISO 8601 date or datetime
    with_: tuple[str, ...] = ()  # snippets that must appear
    without: tuple[str, ...] = ()  # snippets that must not appear


@dataclass(frozen=True, slots=True)
class PageSet:
    name: str
    origin: str  # folder, relative to the repository root
    fingerprint: str  # sha256 over the set's gold and page files
    pages: tuple[GoldPage, ...]


def normalize_line(text: str) -> str:
    """NFC with every whitespace run collapsed to one space and the ends stripped."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def fingerprint(files: dict[str, bytes]) -> str:
    """SHA-256 over (name, sha256 of bytes) of every file, in name order."""
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(f"{name}\0{hashlib.sha256(files[name]).hexdigest()}\n".encode())
    return h.hexdigest()


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise BadGoldSet(f"{what}: cannot read {path.name}: {e.strerror}") from None


def _json(raw: bytes, what: str) -> Any:
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise BadGoldSet(f"{what} is not valid UTF-8 JSON: {e}") from None


def _strings(entry: dict[str, Any], key: str, errors: list[str], where: str, *, required: bool) -> tuple[str, ...]:
    """entry[key] as a tuple of non-empty strings; an error (prefixed with the record) otherwise."""
    value = entry.get(key)
    if value is None and not required:
        return ()
    if not isinstance(value, list) or not value or not all(isinstance(s, str) and s.strip() for s in value):
        errors.append(f"{where}: {key!r} must be a non-empty list of non-empty strings")
        return ()
    return tuple(value)


def load_ours(root: Path) -> PageSet:
    """eval/gold.json and the pages it names; every inconsistency is reported at once."""
    gold_path = root / GOLD_FILE
    if not gold_path.is_file():
        raise MissingInput(f"{GOLD_FILE} not found", "restore eval/ from git")
    raw_gold = _read(gold_path, GOLD_FILE)
    doc = _json(raw_gold, GOLD_FILE)
    entries = doc.get("pages") if isinstance(doc, dict) else None
    if not isinstance(entries, dict) or not entries:
        raise BadGoldSet(f"{GOLD_FILE}: expected an object with a non-empty 'pages' object")
    files = {GOLD_FILE: raw_gold}
    pages, errors = [], []
    for page_id, entry in entries.items():
        where = f"{GOLD_FILE} › {page_id}"
        if not isinstance(entry, dict):
            errors.append(f"{where}: must be an object")
            continue
        body = _strings(entry, "body", errors, where, required=True)
        with_ = _strings(entry, "with", errors, where, required=True)
        without = _strings(entry, "without", errors, where, required=True)
        title, published, name = entry.get("title"), entry.get("published"), entry.get("file")
        for i, line in enumerate(body):
            if line != normalize_line(line):
                errors.append(f"{where}: body[{i}] is not whitespace-normalised NFC")
        if not isinstance(title, str) or title != normalize_line(title) or not title:
            errors.append(f"{where}: 'title' must be a non-empty whitespace-normalised NFC string")
        if not isinstance(published, str) or _parse_iso(published) is None:
            errors.append(f"{where}: 'published' must be an ISO 8601 date or datetime, got {published!r}")
        text = normalize_line(" ".join(body))
        errors += [f"{where}: 'with' snippet {s!r} is not in the body" for s in with_ if normalize_line(s) not in text]
        errors += [f"{where}: 'without' snippet {s!r} is in the gold body or title"
                   for s in without if normalize_line(s) in text or normalize_line(s) in normalize_line(str(title))]
        if not isinstance(name, str) or not (root / PAGES_DIR / name).is_file():
            errors.append(f"{where}: 'file' must name a page in {PAGES_DIR}/, got {name!r}")
            continue
        html = _read(root / PAGES_DIR / name, where)
        files[f"{PAGES_DIR}/{name}"] = html
        pages.append(GoldPage(page_id, f"{PAGES_DIR}/{name}", html, body, title, published, with_, without))
    named = {p.file for p in pages}
    errors += [f"{PAGES_DIR}/{p.name}: page has no entry in {GOLD_FILE}"
               for p in sorted((root / PAGES_DIR).glob("*.html")) if f"{PAGES_DIR}/{p.name}" not in named]
    if errors:
        raise BadGoldSet(f"{len(errors)} problem(s) in the golden set:\n  " + "\n  ".join(errors))
    return PageSet("ours", PAGES_DIR, fingerprint(files), tuple(pages))


def load_trafilatura(folder: Path, origin: str) -> PageSet:
    """trafilatura's eval subset: {url: {file, title, date, with, without}} plus html/<file>."""
    raw = _read(folder / "evaldata_subset.json", origin)
    doc = _json(raw, f"{origin}/evaldata_subset.json")
    files, pages, errors = {"evaldata_subset.json": raw}, [], []
    for url, entry in (doc.items() if isinstance(doc, dict) else []):
        where = f"{origin}/evaldata_subset.json › {url}"
        name = entry.get("file") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not (folder / "html" / name).is_file():
            errors.append(f"{where}: 'file' must name a page in html/, got {name!r}")
            continue
        with_ = _strings(entry, "with", errors, where, required=True)
        without = _strings(entry, "without", errors, where, required=True)
        html = _read(folder / "html" / name, where)
        files[f"html/{name}"] = html
        title = normalize_line(entry["title"]) if entry.get("title") else None
        pages.append(GoldPage(Path(name).stem, f"{origin}/html/{name}", html, None, title,
                              entry.get("date") or None, with_, without))
    if errors or not pages:
        raise BadGoldSet(f"{origin}: " + ("; ".join(errors) or "no pages"))
    return PageSet("trafilatura", origin, fingerprint(files), tuple(pages))


def load_newspaper4k(folder: Path, origin: str) -> PageSet:
    """newspaper4k's Yonhap page: html, expected text (paragraphs between blank lines), metadata json."""
    names = ("html__yna_co_kr.html", "txt__yna_co_kr.txt", "metadata__yna_co_kr.json")
    files = {n: _read(folder / n, origin) for n in names}
    meta = _json(files[names[2]], f"{origin}/{names[2]}")
    try:
        expected = files[names[1]].decode("utf-8")
    except UnicodeDecodeError as e:
        raise BadGoldSet(f"{origin}/{names[1]} is not UTF-8: {e}") from None
    body = tuple(normalize_line(ln) for ln in expected.split("\n") if ln.strip())
    title = normalize_line(meta["title"]) if isinstance(meta, dict) and meta.get("title") else None
    published = meta.get("publish_date") if isinstance(meta, dict) else None
    page = GoldPage("yna_co_kr", f"{origin}/{names[0]}", files[names[0]], body, title, published or None)
    return PageSet("newspaper4k", origin, fingerprint(files), (page,))


def load_page_sets(root: Path, names: Iterable[str] = SET_NAMES) -> tuple[list[PageSet], list[str]]:
    """The requested page sets that exist, and one 'name: reason' line per set skipped."""
    root = root.resolve()
    shared = root.parent / "shared" / "realdata"
    sets, skipped = [], []
    for name in names:
        if name == "ours":
            sets.append(load_ours(root))
            continue
        if name not in SET_NAMES:
            raise BuildError(f"unknown page set {name!r}", f"choose from {', '.join(SET_NAMES)}")
        sub, loader, marker = {
            "trafilatura": ("adbar-trafilatura", load_trafilatura, "evaldata_subset.json"),
            "newspaper4k": ("AndyTheFactory-newspaper4k", load_newspaper4k, "html__yna_co_kr.html"),
        }[name]
        origin = f"{SHARED_DIR}/{sub}"
        if not (shared / sub / marker).is_file():
            skipped.append(f"{name}: {origin} not present")
            continue
        sets.append(loader(shared / sub, origin))
    return sets, skipped


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


def _parse_iso(value: str) -> datetime | date | None:
    try:
        return date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
    except ValueError:
        return None


def date_matches(got: datetime | date | None, want: str) -> bool:
    """A gold date matches the day (in the page's own zone); a gold datetime matches the instant."""
    expected = _parse_iso(want)
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


def floor3(value: float) -> float:
    """Round down to 3 decimals (0.9637 → 0.963; 0.963 stays 0.963 despite binary floating point)."""
    return math.floor(round(value * 1000, 6)) / 1000


def load_floors(root: Path) -> dict[str, Any]:
    """eval/floors.json, or an empty pin set when the file does not exist yet."""
    path = root / FLOORS_FILE
    if not path.is_file():
        return {"sets": {}}
    doc = _json(path.read_bytes(), FLOORS_FILE)
    if not isinstance(doc, dict) or not isinstance(doc.get("sets"), dict):
        raise BadGoldSet(f"{FLOORS_FILE}: expected an object with a 'sets' object", "restore it from git")
    return doc


def check_floors(report: EvalReport, floors: dict[str, Any]) -> list[str]:
    """Every score below its pinned floor and every golden set changed since pinning; [] when all is well."""
    failures = []
    pinned_sets = floors.get("sets", {})
    for s in report.sets:
        pinned = pinned_sets.get(s.name)
        if pinned is None:
            failures.append(f"{s.name}: no floors pinned in {FLOORS_FILE}")
            continue
        if pinned.get("fingerprint") != s.fingerprint:
            failures.append(
                f"{s.name}: the golden set changed since its floors were pinned "
                f"(fingerprint {s.fingerprint[:12]}… ≠ pinned {str(pinned.get('fingerprint'))[:12]}…); "
                "the floors were measured on other data"
            )
        for metric, floor in pinned.get("floors", {}).items():
            value = s.metrics.get(metric)
            if value is None:
                failures.append(f"{s.name}: {metric} has a floor ({floor:.3f}) but was not measured")
            elif value + _EPS < floor:
                failures.append(f"{s.name}: {metric} {value:.3f} is below its floor {floor:.3f}")
    return failures


def raise_floors(report: EvalReport, floors: dict[str, Any], *, allow_regression: bool = False) -> tuple[dict[str, Any], list[str]]:
    """New pins from the scores measured now, and what changed. Raises FloorRegression before lowering any
    floor (or dropping one) unless allow_regression; a changed golden set is re-pinned under the same rule."""
    new = copy.deepcopy(floors)
    new.setdefault("sets", {})
    changes, lowered = [], []
    for s in report.sets:
        old = new["sets"].get(s.name, {})
        old_floors: dict[str, float] = old.get("floors", {})
        pins = {m: floor3(v) for m, v in s.metrics.items()}
        for metric, value in pins.items():
            before = old_floors.get(metric)
            if before is None:
                changes.append(f"{s.name}: {metric} pinned at {value:.3f}")
            elif value > before:
                changes.append(f"{s.name}: {metric} raised {before:.3f} → {value:.3f}")
            elif value < before:
                lowered.append(f"{s.name}: {metric} {before:.3f} → {value:.3f}")
        lowered += [f"{s.name}: {m} floor {f:.3f} dropped (no longer measured)" for m, f in old_floors.items() if m not in pins]
        if old and old.get("fingerprint") != s.fingerprint:
            changes.append(f"{s.name}: golden set fingerprint re-pinned ({s.fingerprint[:12]}…)")
        new["sets"][s.name] = {"fingerprint": s.fingerprint, "pages": len(s.pages), "floors": pins}
    if lowered and not allow_regression:
        raise FloorRegression(f"refusing to lower {len(lowered)} floor(s): " + "; ".join(lowered))
    changes += [f"LOWERED {x}" for x in lowered]
    new["sets"] = dict(sorted(new["sets"].items()))
    return new, changes


def update_floors(report: EvalReport, root: Path, *, allow_regression: bool = False) -> list[str]:
    """Raise the floors in eval/floors.json to this report's scores; atomic; returns what changed."""
    floors = load_floors(root)
    new, changes = raise_floors(report, floors, allow_regression=allow_regression)
    if new != floors or not (root / FLOORS_FILE).is_file():
        new = {"about": new.pop("about", _ABOUT), **new}
        write_atomic(root / FLOORS_FILE, json.dumps(new, ensure_ascii=False, indent=2) + "\n")
    return changes


_ABOUT = ("Pinned floors of `builder eval`, one entry per golden page set: the set's sha256 fingerprint and "
          "the minimum score per metric (rounded down to 3 decimals). Written by `builder eval --update`, "
          "which only raises floors; see eval/README.md.")
