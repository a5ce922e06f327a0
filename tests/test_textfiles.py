"""Committed text store: exact round trip, atomic writes, missing / stale / drift detection."""

from pathlib import Path

import pytest

from builder.records import Cleaned
from builder.textfiles import compare, read_text, write_text

TEXT = "শিরোনাম\n\nর\u200d্যাব বলেছে।\u00a0\r\nদ্বিতীয় লাইন"


def test_round_trip_is_exact(tmp_path: Path) -> None:
    path = write_text(tmp_path / "text", "d1", TEXT)
    assert path == tmp_path / "text" / "d1.txt"
    assert path.read_bytes() == TEXT.encode("utf-8")  # no added newline, no \r\n translation
    assert read_text(tmp_path / "text", "d1") == TEXT
    assert sorted(p.name for p in (tmp_path / "text").iterdir()) == ["d1.txt"]  # no temp file left


def test_overwrite_and_missing(tmp_path: Path) -> None:
    write_text(tmp_path, "d1", "পুরনো")
    write_text(tmp_path, "d1", "নতুন")
    assert read_text(tmp_path, "d1") == "নতুন"
    assert read_text(tmp_path, "absent") is None


def test_bad_doc_id_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        write_text(tmp_path, "../escape", "x")


def test_compare_identical(tmp_path: Path) -> None:
    write_text(tmp_path, "d1", TEXT)
    assert compare(tmp_path, Cleaned("d1", TEXT), annotated=True) == []


def test_compare_missing(tmp_path: Path) -> None:
    [p] = compare(tmp_path, Cleaned("d1", TEXT), annotated=False)
    assert (p.code, p.file) == ("text-missing", "text/d1.txt")
    assert "builder clean" in p.hint


def test_compare_drift_and_stale(tmp_path: Path) -> None:
    write_text(tmp_path, "d1", TEXT)
    changed = TEXT.replace("র\u200d্যাব", "র্যাব")
    [drift] = compare(tmp_path, Cleaned("d1", changed), annotated=True)
    assert drift.code == "text-drift" and drift.pointer == "offset 10"
    assert "offset 10" in drift.message and "re-anchor" in drift.hint and "never edit text/" in drift.hint
    [stale] = compare(tmp_path, Cleaned("d1", changed), annotated=False)
    assert stale.code == "text-stale" and "builder clean" in stale.hint


def test_compare_prefix_difference(tmp_path: Path) -> None:
    write_text(tmp_path, "d1", TEXT)
    [p] = compare(tmp_path, Cleaned("d1", TEXT + "\n"), annotated=True)
    assert p.pointer == f"offset {len(TEXT)}"


def test_compare_undecodable(tmp_path: Path) -> None:
    (tmp_path / "d1.txt").write_bytes(b"\xff\xfe")
    [p] = compare(tmp_path, Cleaned("d1", TEXT), annotated=True)
    assert p.code == "text-bad-encoding"
