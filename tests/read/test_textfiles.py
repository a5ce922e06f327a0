"""Committed text store: exact round trip, atomic writes, missing / stale / drift detection."""

from pathlib import Path

import pytest

from builder.read.textfiles import compare, read_text, write_text
from builder.records import Cleaned

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
    assert "offset 10" in drift.message and "re-anchor" in drift.hint and "no hash was recorded" in drift.message
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


def test_drift_says_whether_the_capture_or_the_text_changed_and_lists_lost_spans(cli, corpus) -> None:
    from builder.cli.main import app

    doc = "000_ba2a176cc4aaac8d"
    capture = corpus / "raw" / "captures" / f"{doc}.txt"
    capture.write_bytes(capture.read_bytes().replace("ফোনালাপ".encode(), "ফোনালাপে".encode(), 1))
    capture.write_bytes(capture.read_bytes().replace("কিম জং উন".encode(), "কিম জং-উন".encode(), 1))
    result = cli.invoke(app, ["check", "--root", str(corpus)])
    assert result.exit_code == 1
    assert f"text-drift  text/{doc}.txt" in result.stderr
    assert "the raw capture changed since the text was cleaned (sha256 " in result.stderr
    assert "re-cleaning would lose 1 span(s)" in result.stderr and "'কিম জং উন" in result.stderr
    assert "restore the capture from git" in result.stderr and "cleaner changed" not in result.stderr


def test_drift_of_a_hand_edited_text_is_named_as_such(cli, corpus) -> None:
    from builder.cli.main import app

    text = corpus / "text" / "000_ba2a176cc4aaac8d.txt"
    text.write_text(text.read_text(encoding="utf-8").replace("ফোনালাপ", "ফোনালাপে", 1), encoding="utf-8")
    result = cli.invoke(app, ["check", "--root", str(corpus)])
    assert result.exit_code == 1
    assert "was edited after `builder clean` wrote it" in result.stderr and "git checkout text/" in result.stderr
