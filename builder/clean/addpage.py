"""Register a captured page: copy it into raw/ byte for byte, give it a doc_id, append its raw/sources.csv
row and clean it into text/ — all of it, or (on any problem) nothing.

The doc_id is `<NNN>_<16 hex of the sha256 of the bytes>`: NNN one past the highest number in use, so
ids sort in the order pages were added, and the hash makes a second copy of the same bytes detectable.
The page is cleaned from its copy in raw/ (the cleaner reads captures there) before anything else is
written; a page that does not clean without a problem is removed again and nothing stays. Files are
written in the order capture → text → sources.csv row (each atomically), so an interrupted add leaves at
worst an unlisted capture, which `builder check` names (`source-unlisted-file`). A second copy of the
same bytes is found through the raw hashes `builder clean` records (text/raw_sha256.csv).
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

from builder.atomic import write_atomic
from builder.clean.pages import clean_source
from builder.errors import BuildError, InvalidCorpus, MissingInput
from builder.read.inputs import LIMITS
from builder.read.sources import COLUMNS, KINDS, OPTIONAL, read_sources
from builder.read.textfiles import read_hashes, record_hashes, write_text
from builder.records import Cleaned, Problem, Source

HTML_SUFFIXES = (".html", ".htm", ".xhtml")


@dataclass(slots=True)
class Added:
    source: Source
    cleaned: Cleaned
    capture: Path
    text: Path
    notices: list[str] = field(default_factory=list)


def _next_number(sources: list[Source]) -> int:
    numbers = [int(s.doc_id.split("_", 1)[0]) for s in sources if s.doc_id.split("_", 1)[0].isdigit()]
    return max(numbers, default=-1) + 1


def _existing_copy(raw_dir: Path, text_dir: Path, sources: list[Source], digest: str) -> str | None:
    """The doc_id whose capture has these bytes; captures without a recorded hash are hashed here."""
    recorded = read_hashes(text_dir)
    for s in sources:
        known = recorded.get(s.doc_id)
        if known is not None:
            if known[0] == digest:
                return s.doc_id
            continue
        path = raw_dir / s.capture_file
        if path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == digest:
            return s.doc_id
    return None


def add_page(
    raw_dir: Path,
    text_dir: Path,
    page: Path,
    *,
    outlet: str,
    rights: str,
    known_outlets: frozenset[str],
    url: str | None = None,
    captured_at: str | None = None,
    title: str | None = None,
    published_at: str | None = None,
    split: str | None = None,
    kind: str | None = None,
) -> Added:
    if not page.is_file():
        raise MissingInput(f"{page.name}: not a regular file", "give the path of a saved page (.txt or .html)")
    data = page.read_bytes()
    if len(data) > LIMITS["capture"]:
        raise BuildError(f"{page.name} is {len(data):,} bytes; pages over {LIMITS['capture']:,} are refused", "save the article page only")
    kind = kind or ("html" if page.suffix.lower() in HTML_SUFFIXES else "text")
    if kind not in KINDS:
        raise BuildError(f"--kind {kind!r} is unknown", f"use one of: {', '.join(KINDS)}")
    if not outlet.strip() or not rights.strip():
        raise BuildError("--outlet and --rights must not be empty", "say who published the page and under what terms it is used")
    digest = hashlib.sha256(data).hexdigest()
    sources = read_sources(raw_dir)[0]
    twin = _existing_copy(raw_dir, text_dir, sources, digest)
    if twin:
        raise BuildError(f"{page.name} is already in raw/ as {twin} (same bytes)", "nothing was added")
    doc_id = f"{_next_number(sources):03d}_{digest[:16]}"
    folder, suffix = ("html", ".html") if kind == "html" else ("captures", ".txt")
    rel = f"{folder}/{doc_id}{suffix}"
    source = Source(doc_id, outlet.strip(), url, kind, rel, captured_at, rights.strip(), split, title, published_at)
    row = _row(source)
    problems = _check_row_alone(raw_dir, row)
    cleaned = None
    if not problems:
        staged = raw_dir / rel
        # clean_source reads raw/<capture_file>: the bytes go there first and are removed if the page does not clean
        staged.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(staged, data)
        cleaned, problems = clean_source(source, raw_dir)
        if cleaned is None or problems:
            staged.unlink()
    if problems or cleaned is None:
        raise InvalidCorpus(problems)
    text = write_text(text_dir, doc_id, cleaned.text)
    record_hashes(text_dir, [cleaned])
    _append_row(raw_dir / "sources.csv", row)
    notices = []
    if source.outlet not in known_outlets:
        notices.append(f"outlet-unregistered  raw/sources.csv › doc_id={doc_id}\n  outlet {source.outlet!r} is not an id "
                       "of annotations/registry.csv: add it there before the page is annotated")  # fmt: skip
    return Added(source, cleaned, raw_dir / rel, text, notices)


def _row(s: Source) -> dict[str, str]:
    return {"doc_id": s.doc_id, "outlet": s.outlet, "url": s.url or "", "capture_kind": s.capture_kind,
            "capture_file": s.capture_file, "captured_at": s.captured_at or "", "rights": s.rights,
            "split": s.split or "", "title": s.title or "", "published_at": s.published_at or ""}  # fmt: skip


def _check_row_alone(raw_dir: Path, row: dict[str, str]) -> list[Problem]:
    """The row's own checks (the same as `builder check` makes), before anything is written."""
    from builder.read.sources import _check_row

    found = [p for p in _check_row(row, 0, raw_dir) if p.code != "source-file-missing"]
    return [Problem(p.code, p.file, f"new row (doc_id={row['doc_id']})", p.pointer, p.message, p.hint) for p in found]


def _append_row(path: Path, row: dict[str, str]) -> None:
    """Append one row, adding the optional columns to the header if the row needs them."""
    raw = path.read_bytes() if path.exists() else b""
    content = raw.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content, newline=""))) if content else [list(COLUMNS)]
    header = rows[0]
    if content and all(col in header or not row[col] for col in OPTIONAL):
        out = io.StringIO()  # the usual case: existing bytes untouched, one line appended
        csv.writer(out, lineterminator="\n").writerow([row.get(col, "") for col in header])
        write_atomic(path, raw + (b"" if raw.endswith(b"\n") else b"\n") + out.getvalue().encode("utf-8"))
        return
    added = [col for col in OPTIONAL if row[col] and col not in header]
    lines = content.split("\n")
    if len(lines) - (lines[-1] == "") == len(rows):  # one record per line: widen each line, keep its bytes
        widened = [ln.rstrip("\r") + "," * len(added) + ("\r" if ln.endswith("\r") else "") if ln else ln for ln in lines]
        widened[0] = lines[0].rstrip("\r") + "".join("," + c for c in added) + ("\r" if lines[0].endswith("\r") else "")
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerow([row.get(col, "") for col in header + added])
        body = "\n".join(widened)
        write_atomic(path, (body if body.endswith("\n") else body + "\n") + out.getvalue())
        return
    header += added
    for r in rows[1:]:
        if any(c.strip() for c in r):
            r += [""] * len(added)
    rows.append([row.get(col, "") for col in header])
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    write_atomic(path, out.getvalue())
