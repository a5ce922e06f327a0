"""A listed source's page → Cleaned, by its capture kind (text: builder.clean.capture, HTML: builder.clean.extract);
every listed page → text/<doc_id>.txt, never overwriting an annotated text.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from builder.clean import extract
from builder.clean.capture import clean_capture
from builder.clean.dates import DHAKA
from builder.read.inputs import Refused, read_input
from builder.read.sources import read_sources
from builder.read.textfiles import compare, record_hashes, write_text
from builder.records import Cleaned, Problem, Source


def clean_source(source: Source, raw_dir: Path) -> tuple[Cleaned | None, list[Problem]]:
    """Read one source's capture file and clean it; None when there is no usable text."""
    file = f"raw/{source.capture_file}"
    record = f"doc_id={source.doc_id}"
    path = raw_dir / source.capture_file
    try:
        data = read_input(path, raw_dir.parent, "capture")
    except Refused as r:
        return None, [Problem(r.code, file, record, "", f"the capture file {r.message}", r.hint)]
    except OSError as exc:
        return None, [Problem(
            "capture-unreadable", file, record, "", f"cannot read the capture file: {exc.strerror or 'it does not exist'}",
            "check raw/sources.csv capture_file and that the file is committed",
        )]
    if source.capture_kind == "html":
        cleaned, problems = extract.clean_html(data, source.doc_id, file=file)
    elif source.capture_kind == "text":
        try:
            raw = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            return None, [Problem(
                "capture-bad-encoding", file, record, f"byte {exc.start}",
                f"not valid UTF-8 at byte {exc.start} ({data[exc.start:exc.start + 4]!r})",
                "re-save the capture as UTF-8; do not guess the encoding",
            )]
        cleaned, problems = clean_capture(raw, source.doc_id, file=file, title=source.title)
    else:
        return None, [Problem(
            "source-bad-kind", file, record, "capture_kind",
            f"unknown capture_kind {source.capture_kind!r}", "use 'text' or 'html'",
        )]
    unusable = {"capture-empty-body", "html-empty-body", "html-bad-encoding", "html-placeholder-clash",
                "html-too-large", "html-too-deep", "html-not-html", "html-extract-error"}
    if any(p.code in unusable for p in problems):
        return None, problems
    if source.published_at:
        cleaned = replace(cleaned, published_at=given_time(source.published_at))
        problems = [p for p in problems if p.code != "capture-date-only"]
    # Hash here, where the bytes are in hand, so the raw config never reads the file again.
    return replace(cleaned, raw_sha256=hashlib.sha256(data).hexdigest(), raw_size=len(data)), problems


def given_time(value: str) -> datetime:
    """published_at of raw/sources.csv: ISO 8601; a naive time or a bare date is read in Asia/Dhaka."""
    stamp = datetime.fromisoformat(value)
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=DHAKA)


def clean_all(
    raw_dir: Path, text_dir: Path, *, annotated: Collection[str] = frozenset()
) -> tuple[list[Cleaned], list[Problem]]:
    """Clean every listed source and write text/<doc_id>.txt; never writes into raw/.

    A committed text of a doc_id in `annotated` is never overwritten: if it differs, a
    `text-drift` Problem is returned instead, because its annotation offsets point into it.
    """
    if text_dir.resolve().is_relative_to(raw_dir.resolve()):
        raise ValueError(f"text_dir {text_dir} is inside raw_dir; raw/ is read-only")
    sources, problems = read_sources(raw_dir)
    done: list[Cleaned] = []
    for source in sources:
        cleaned, found = clean_source(source, raw_dir)
        problems.extend(found)
        if cleaned is None or found:
            continue  # one behaviour on failure: a page with a problem gets no text until it is fixed
        if source.doc_id in annotated:
            drift = [p for p in compare(text_dir, cleaned, annotated=True) if p.code != "text-missing"]
            if drift:
                problems.extend(drift)
                continue
        write_text(text_dir, cleaned.doc_id, cleaned.text)
        done.append(cleaned)
    if done:
        record_hashes(text_dir, done)
    return done, problems
