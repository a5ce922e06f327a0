"""raw/sources.csv → `Source` records sorted by doc_id, plus a Problem for every bad row.

Also reports capture files under raw/captures or raw/html that no row lists. A row with any problem
is left out of the result. A missing sources.csv is fatal (`MissingInput`).
"""

from __future__ import annotations

import csv
import io
import os
from datetime import date, datetime
from pathlib import Path, PurePosixPath

import regex

from builder.errors import MissingInput
from builder.read.inputs import Refused, read_input
from builder.records import Problem, Source

FILE = "raw/sources.csv"
COLUMNS = ("doc_id", "outlet", "url", "capture_kind", "capture_file", "captured_at", "rights", "split")
# Optional columns for pages the cleaner cannot read everything from (an unknown outlet's capture with no
# headline line, or no date): the headline, and the publication time as ISO 8601 (Asia/Dhaka when naive).
OPTIONAL = ("title", "published_at")
REQUIRED = ("doc_id", "outlet", "capture_kind", "capture_file", "rights")
KINDS = ("text", "html")
SPLITS = ("train", "validation", "test")
CAPTURE_DIRS = ("captures", "html")
_DOC_ID = regex.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_URL = regex.compile(r"https?://\S+$")


def _problem(code: str, line: int, doc_id: str, column: str, message: str, hint: str) -> Problem:
    """A Problem located at one row of sources.csv (`row N` is the file line number)."""
    return Problem(code, FILE, f"row {line} (doc_id={doc_id or '?'})", column, message, hint)


def _is_iso(value: str) -> bool:
    """True for an ISO 8601 date or datetime."""
    for parse in (datetime.fromisoformat, date.fromisoformat):
        try:
            parse(value)
            return True
        except ValueError:
            continue
    return False


def plain_relative(path: str) -> bool:
    """A relative POSIX path that pathlib leaves as it is (no empty or "." part, no trailing slash): string
    operations on it give what path objects would."""
    return bool(path) and path[0] != "/" and path[-1] != "/" and "//" not in path and "/./" not in f"/{path}/"


def _posix(path: str) -> str:
    """PurePosixPath(path).as_posix(), without making a path object for the usual plain path."""
    return path if plain_relative(path) else PurePosixPath(path).as_posix()


def _check_row(row: dict[str, str], line: int, raw_dir: Path, on_disk: frozenset[str] | set[str] = frozenset()) -> list[Problem]:
    """Every problem with one row, checked field by field. `on_disk`: files known to be under raw/'s capture
    folders (relative to raw/); a capture_file not among them is looked up on disk."""
    doc_id = row["doc_id"]
    out = [
        _problem("source-missing-field", line, doc_id, col, f"{col} is empty",
                 f"fill in {col}; it is required for every row")
        for col in REQUIRED if not row[col]
    ]
    if doc_id and (not _DOC_ID.fullmatch(doc_id) or ".." in doc_id):
        out.append(_problem("source-bad-id", line, doc_id, "doc_id", f"doc_id {doc_id!r} is not a plain file stem",
                            "use letters, digits, '_', '-' and '.' only; it names text/<doc_id>.txt"))
    kind = row["capture_kind"]
    if kind and kind not in KINDS:
        out.append(_problem("source-bad-kind", line, doc_id, "capture_kind", f"capture_kind {kind!r} is unknown",
                            f"use one of: {', '.join(KINDS)}"))
    split = row["split"]
    if split and split not in SPLITS:
        out.append(_problem("source-bad-split", line, doc_id, "split", f"split {split!r} is unknown",
                            f"use one of {', '.join(SPLITS)}, or leave it empty for the hash split"))
    url = row["url"]
    if url and not _URL.match(url):
        out.append(_problem("source-bad-url", line, doc_id, "url", f"url {url!r} is not an http(s) URL",
                            "give the full page URL, or leave it empty"))
    if row["published_at"] and not _is_iso(row["published_at"]):
        out.append(_problem("source-bad-date", line, doc_id, "published_at",
                            f"published_at {row['published_at']!r} is not an ISO 8601 date or datetime",
                            "write it like 2025-08-13T13:21:00+06:00"))
    if row["captured_at"] and not _is_iso(row["captured_at"]):
        out.append(_problem("source-bad-date", line, doc_id, "captured_at",
                            f"captured_at {row['captured_at']!r} is not an ISO 8601 date or datetime",
                            "write it like 2025-08-13 or 2025-08-13T13:21:00+06:00"))
    cap = row["capture_file"]
    if cap:
        if cap.startswith("/") or ".." in cap.split("/") or "\\" in cap:
            out.append(_problem("source-bad-path", line, doc_id, "capture_file",
                                f"capture_file {cap!r} is not a relative path inside raw/",
                                "write it relative to raw/, e.g. captures/<doc_id>.txt"))
        elif _posix(cap) not in on_disk and not (raw_dir / cap).exists() and not (raw_dir / cap).is_symlink():  # a FIFO or link out is named by the reader
            out.append(_problem("source-file-missing", line, doc_id, "capture_file",
                                f"raw/{cap} does not exist",
                                "add the capture file under raw/, or fix capture_file"))
    return out


def _capture_files(raw_dir: Path) -> list[str]:
    """Regular files (links followed) under raw/'s capture folders, relative to raw/, in path order."""
    out = []
    for sub in CAPTURE_DIRS:
        folder = raw_dir / sub
        if not folder.is_dir():
            continue
        for top, dirs, files in os.walk(folder):
            rel_top = Path(top).relative_to(raw_dir).as_posix()
            out += [f"{rel_top}/{name}" for name in files if os.path.isfile(os.path.join(top, name))]
    # the order sorted(Path.rglob()) gives: by path components
    return sorted(out, key=lambda rel: rel.split("/"))


def _unlisted(on_disk: list[str], listed: set[str]) -> list[Problem]:
    """Capture files on disk that no row of sources.csv mentions."""
    return [
        Problem("source-unlisted-file", f"raw/{rel}", "", "", "capture file is not listed in raw/sources.csv",
                "add a row for it to raw/sources.csv, or delete the file")
        for rel in on_disk if not rel.rpartition("/")[2].startswith(".") and rel not in listed
    ]


def read_sources(raw_dir: Path) -> tuple[list[Source], list[Problem]]:
    """Read and check raw/sources.csv; returns the good rows sorted by doc_id and all problems."""
    path = raw_dir / "sources.csv"
    if not path.is_file():
        raise MissingInput(f"{FILE} not found", "create it with the header: " + ",".join(COLUMNS))
    try:
        content = read_input(path, raw_dir.parent, "table").decode("utf-8-sig")
    except Refused as r:
        return [], [Problem(r.code, FILE, "", "", f"sources.csv {r.message}", r.hint)]
    except UnicodeDecodeError as exc:
        return [], [Problem("source-bad-encoding", FILE, "", f"byte {exc.start}",
                            "sources.csv is not valid UTF-8", "re-save it as UTF-8")]
    reader = csv.reader(io.StringIO(content, newline=""))
    header = [h.strip() for h in next(reader, [])]
    problems = [
        Problem("source-missing-column", FILE, "header", col, f"column {col!r} is missing",
                "the header must be: " + ",".join(COLUMNS))
        for col in COLUMNS if col not in header
    ]
    problems += [
        Problem("source-unknown-column", FILE, "header", col, f"column {col!r} is not known",
                "the header must be: " + ",".join(COLUMNS) + f" (optional: {', '.join(OPTIONAL)})")
        for col in header if col not in COLUMNS + OPTIONAL
    ]
    if problems:
        return [], problems

    files = _capture_files(raw_dir)
    on_disk = set(files)
    sources: dict[str, Source] = {}
    seen: set[str] = set()
    listed: set[str] = set()
    line = reader.line_num + 1
    for cells in reader:
        start, line = line, reader.line_num + 1
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            problems.append(_problem("source-bad-row", start, cells[0].strip() if cells else "", "",
                                     f"row has {len(cells)} cells, the header has {len(header)}",
                                     "quote fields that contain commas"))
            continue
        row = {h: c.strip() for h, c in zip(header, cells)}
        for col in OPTIONAL:
            row.setdefault(col, "")
        if row["capture_file"]:
            listed.add(_posix(row["capture_file"]))
        found = _check_row(row, start, raw_dir, on_disk)
        if row["doc_id"] in seen:
            found.append(_problem("source-duplicate-id", start, row["doc_id"], "doc_id",
                                  f"doc_id {row['doc_id']!r} is already used by an earlier row",
                                  "give every captured page its own doc_id"))
        seen.add(row["doc_id"])
        problems += found
        if found:
            continue
        sources[row["doc_id"]] = Source(
            doc_id=row["doc_id"], outlet=row["outlet"], url=row["url"] or None,
            capture_kind=row["capture_kind"], capture_file=row["capture_file"],
            captured_at=row["captured_at"] or None, rights=row["rights"], split=row["split"] or None,
            title=row["title"] or None, published_at=row["published_at"] or None,
        )
    problems += _unlisted(files, listed)
    return [sources[k] for k in sorted(sources)], problems
