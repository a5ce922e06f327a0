"""Golden page sets → GoldPage records, each set with a SHA-256 fingerprint of everything it was read from.

  ours         eval/pages/*.html + eval/gold.json: our own Bengali fixture pages, always present.
  trafilatura  <repo>/../shared/realdata/adbar-trafilatura: 7 real pages with `with`/`without`
               snippets (trafilatura's own eval data); title and date where its gold has them.
  newspaper4k  <repo>/../shared/realdata/AndyTheFactory-newspaper4k: one Yonhap page with its
               expected text and metadata (title, publish date).
The shared sets are skipped, with a reason, when that folder is absent (eval/README.md).

"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from builder.errors import BuildError, MissingInput

EVAL_DIR = "eval"
GOLD_FILE = "eval/gold.json"
PAGES_DIR = "eval/pages"
SHARED_DIR = "../shared/realdata"  # relative to the repository root
SET_NAMES = ("ours", "trafilatura", "newspaper4k")


class BadGoldSet(BuildError):
    """A golden set cannot be read, or contradicts itself."""

    hint = "fix the golden set listed above (see eval/README.md)"


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


def read_json(raw: bytes, what: str) -> Any:
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
    doc = read_json(raw_gold, GOLD_FILE)
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
        if not isinstance(published, str) or parse_iso(published) is None:
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
    doc = read_json(raw, f"{origin}/evaldata_subset.json")
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
    meta = read_json(files[names[2]], f"{origin}/{names[2]}")
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



def parse_iso(value: str) -> datetime | date | None:
    """A gold date: YYYY-MM-DD, or an ISO 8601 time; None when it is neither."""
    try:
        return date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
    except ValueError:
        return None
