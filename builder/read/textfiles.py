"""The committed cleaned-text store: text/<doc_id>.txt, UTF-8, exactly `Cleaned.text` (no added newline).

Annotation offsets index into these files, so they are written only by `builder clean` and compared,
never silently rewritten, when annotations exist. Refuses doc_ids that are not plain file stems.
"""

from __future__ import annotations

import csv
import hashlib
import io
from functools import lru_cache
from pathlib import Path

import regex

from builder.atomic import write_atomic
from builder.read.inputs import Refused, read_input
from builder.records import Cleaned, Problem

_DOC_ID = regex.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_SNIPPET = 30  # code points shown either side of the first difference
# Which raw bytes each committed text was cleaned from (and the text's own hash), written by `builder clean`:
# when a text drifts, this tells a changed capture from a changed cleaner from a hand edit of text/.
HASHES = "raw_sha256.csv"
_HASH_FIELDS = ("doc_id", "raw_sha256", "text_sha256")


@lru_cache(maxsize=2)  # asked for the document being mapped by its raw and documents rows
def text_sha256(text: str) -> str:
    """SHA-256 (lowercase hex) of a text as UTF-8: the `text_sha256` of the configs and the gold specs."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_hashes_cache: dict[Path, tuple[tuple[int, int], dict[str, tuple[str, str]]]] = {}


def read_hashes(text_dir: Path) -> dict[str, tuple[str, str]]:
    """doc_id → (raw sha256, text sha256) as recorded when the text was written; {} if unknown.

    Read once per state of the file (size, mtime): a check that finds many drifted texts asks per text.
    """
    path = text_dir / HASHES
    try:
        st = path.stat()
        stamp = (st.st_size, st.st_mtime_ns)
        cached = _hashes_cache.get(path)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        rows = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8")))
        found = {r["doc_id"]: (r["raw_sha256"], r["text_sha256"]) for r in rows if r.get("doc_id")}
    except (OSError, UnicodeDecodeError, KeyError, csv.Error):
        return {}
    _hashes_cache[path] = (stamp, found)
    return found


def record_hashes(text_dir: Path, cleaned: list[Cleaned]) -> None:
    """Merge the hashes of freshly written texts into text/raw_sha256.csv (sorted, atomic)."""
    known = dict(read_hashes(text_dir))
    for c in cleaned:
        if c.raw_sha256:
            known[c.doc_id] = (c.raw_sha256, text_sha256(c.text))
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(_HASH_FIELDS)
    for doc_id in sorted(known):
        w.writerow((doc_id, *known[doc_id]))
    write_atomic(text_dir / HASHES, out.getvalue())


def text_path(text_dir: Path, doc_id: str) -> Path:
    """Path of one committed text; raises ValueError for ids that could escape text_dir."""
    if not _DOC_ID.fullmatch(doc_id) or ".." in doc_id:
        raise ValueError(f"doc_id {doc_id!r} is not a plain file stem")
    return text_dir / f"{doc_id}.txt"


def read_text(text_dir: Path, doc_id: str) -> str | None:
    """The committed text, or None if there is none; raises UnicodeDecodeError on non-UTF-8."""
    try:
        data = read_input(text_path(text_dir, doc_id), text_dir.parent, "text")
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
    except Refused as r:
        return [Problem(r.code, file, record, "", f"the committed text {r.message}", r.hint)]
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
        cause, hint = drift_cause(text_dir, cleaned, committed)
        return [Problem("text-drift", file, record, f"offset {at}", f"{cause}: {message}", hint)]
    return [Problem("text-stale", file, record, f"offset {at}", message, "run `builder clean` to rewrite text/")]


def drift_cause(text_dir: Path, cleaned: Cleaned, committed: str) -> tuple[str, str]:
    """Why an annotated text no longer matches the cleaner, told apart by the hashes recorded at cleaning."""
    recorded = read_hashes(text_dir).get(cleaned.doc_id)
    if recorded is None:
        return ("the raw capture or the cleaner changed since the text was cleaned (no hash was recorded)",
                "restore raw/ from git if the capture was edited (raw/ is never edited); otherwise revert the "
                "cleaner change, or run `builder clean`, which rewrites the text only if every span re-anchors")  # fmt: skip
    raw_was, text_was = recorded
    if text_was != text_sha256(committed):
        return (f"text/{cleaned.doc_id}.txt was edited after `builder clean` wrote it",
                "never edit text/ by hand: restore it from git (`git checkout text/`), or run `builder clean`")  # fmt: skip
    if cleaned.raw_sha256 and raw_was != cleaned.raw_sha256:
        return (f"the raw capture changed since the text was cleaned (sha256 {raw_was[:12]}… then, "
                f"{cleaned.raw_sha256[:12]}… now)",
                "raw/ is never edited: restore the capture from git; for a deliberate re-capture run "
                "`builder clean`, which rewrites the text only if every span re-anchors")  # fmt: skip
    return ("the cleaner changed after annotation (same raw bytes, same committed text)",
            "revert the cleaner change, or run `builder clean`, which rewrites the text only if every span re-anchors")
