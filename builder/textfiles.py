"""The committed cleaned-text store: text/<doc_id>.txt, UTF-8, exactly `Cleaned.text` (no added newline).

Annotation offsets index into these files, so they are written only by `builder clean` and compared,
never silently rewritten, when annotations exist. Refuses doc_ids that are not plain file stems.
"""

from __future__ import annotations

from pathlib import Path

import regex

from builder.atomic import write_atomic
from builder.records import Cleaned, Problem

_DOC_ID = regex.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_SNIPPET = 30  # code points shown either side of the first difference


def text_path(text_dir: Path, doc_id: str) -> Path:
    """Path of one committed text; raises ValueError for ids that could escape text_dir."""
    if not _DOC_ID.fullmatch(doc_id) or ".." in doc_id:
        raise ValueError(f"doc_id {doc_id!r} is not a plain file stem")
    return text_dir / f"{doc_id}.txt"


def read_text(text_dir: Path, doc_id: str) -> str | None:
    """The committed text, or None if there is none; raises UnicodeDecodeError on non-UTF-8."""
    try:
        data = text_path(text_dir, doc_id).read_bytes()
    except FileNotFoundError:
        return None
    # Bytes, not read_text(): no newline translation may touch the offsets.
    return data.decode("utf-8")


def write_text(text_dir: Path, doc_id: str, text: str) -> Path:
    """Write one text atomically (temp file in the same folder, then os.replace)."""
    return write_atomic(text_path(text_dir, doc_id), text)


def first_difference(a: str, b: str) -> int:
    """Offset of the first code point where a and b differ (len of the shorter if one is a prefix)."""
    n = min(len(a), len(b))
    return next((i for i in range(n) if a[i] != b[i]), n)


def compare(text_dir: Path, cleaned: Cleaned, annotated: bool) -> list[Problem]:
    """Check the committed text against fresh cleaner output; [] when they are identical."""
    doc_id = cleaned.doc_id
    file = f"text/{doc_id}.txt"
    record = f"doc_id={doc_id}"
    try:
        committed = read_text(text_dir, doc_id)
    except UnicodeDecodeError as exc:
        return [Problem(
            "text-bad-encoding", file, record, f"byte {exc.start}",
            "the committed text is not valid UTF-8",
            "text/ files are written by `builder clean`; restore this one from git",
        )]
    if committed is None:
        return [Problem(
            "text-missing", file, record, "", "no committed cleaned text for this document",
            "run `builder clean` and commit text/",
        )]
    if committed == cleaned.text:
        return []
    at = first_difference(committed, cleaned.text)
    lo = max(0, at - _SNIPPET)
    message = (
        f"committed text ({len(committed)} chars) differs from the cleaner output "
        f"({len(cleaned.text)} chars) first at offset {at}: "
        f"committed {committed[lo:at + _SNIPPET]!r} vs cleaner {cleaned.text[lo:at + _SNIPPET]!r}"
    )
    if annotated:
        return [Problem(
            "text-drift", file, record, f"offset {at}", message,
            "the cleaner changed after annotation: revert the cleaner change or re-anchor the "
            "annotations; never edit text/ by hand",
        )]
    return [Problem("text-stale", file, record, f"offset {at}", message, "run `builder clean` to rewrite text/")]
