"""raw/sources.csv reader: good rows, one Problem per bad field, unlisted capture files."""

from pathlib import Path

import pytest

from builder.errors import MissingInput
from builder.read.sources import COLUMNS, read_sources

REPO = Path(__file__).resolve().parents[2]
HEADER = ",".join(COLUMNS)


def _raw(tmp_path: Path, rows: list[str], files: tuple[str, ...] = ()) -> Path:
    raw = tmp_path / "raw"
    (raw / "captures").mkdir(parents=True)
    (raw / "html").mkdir()
    for name in files:
        (raw / name).write_text("x", encoding="utf-8")
    (raw / "sources.csv").write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return raw


def _row(doc_id: str = "a1", outlet: str = "BSS", url: str = "", kind: str = "text",
         file: str = "captures/a1.txt", captured_at: str = "", rights: str = "fair dealing",
         split: str = "") -> str:
    return ",".join([doc_id, outlet, url, kind, file, captured_at, f'"{rights}"', split])


def test_committed_sources_are_clean() -> None:
    sources, problems = read_sources(REPO / "raw")
    assert problems == []
    assert [s.doc_id for s in sources] == ["000_ba2a176cc4aaac8d", "003_def7398b55f8b37b"]
    assert sources[0].outlet == "BSS" and sources[0].url is None and sources[0].split is None
    assert sources[1].capture_file == "captures/003_def7398b55f8b37b.txt"


def test_good_rows_sorted(tmp_path: Path) -> None:
    raw = _raw(tmp_path, [
        _row("b2", file="captures/b2.txt", split="test", url="https://example.com/x",
             captured_at="2025-08-13T13:21:00+06:00", rights="a, b"),
        _row("a1"),
    ], files=("captures/a1.txt", "captures/b2.txt"))
    sources, problems = read_sources(raw)
    assert problems == []
    assert [s.doc_id for s in sources] == ["a1", "b2"]
    assert sources[1].split == "test" and sources[1].rights == "a, b"


@pytest.mark.parametrize(("row", "code", "pointer"), [
    (_row(outlet=""), "source-missing-field", "outlet"),
    (_row(rights=""), "source-missing-field", "rights"),
    (_row(kind="pdf"), "source-bad-kind", "capture_kind"),
    (_row(split="dev"), "source-bad-split", "split"),
    (_row(file="captures/nope.txt"), "source-file-missing", "capture_file"),
    (_row(file="../secrets.txt"), "source-bad-path", "capture_file"),
    (_row(url="example.com"), "source-bad-url", "url"),
    (_row(captured_at="13/08/2025"), "source-bad-date", "captured_at"),
    (_row(doc_id="a/1"), "source-bad-id", "doc_id"),
])
def test_bad_row(tmp_path: Path, row: str, code: str, pointer: str) -> None:
    raw = _raw(tmp_path, [row], files=("captures/a1.txt",))
    sources, problems = read_sources(raw)
    bad = [p for p in problems if p.code != "source-unlisted-file"]
    assert [(p.code, p.pointer) for p in bad] == [(code, pointer)]
    assert bad[0].file == "raw/sources.csv" and bad[0].record.startswith("row 2 (doc_id=")
    assert bad[0].message and bad[0].hint
    assert sources == []


def test_duplicate_id_keeps_first(tmp_path: Path) -> None:
    raw = _raw(tmp_path, [_row("a1"), _row("a1", file="captures/a2.txt")],
               files=("captures/a1.txt", "captures/a2.txt"))
    sources, problems = read_sources(raw)
    assert [(p.code, p.record) for p in problems] == [("source-duplicate-id", "row 3 (doc_id=a1)")]
    assert [s.capture_file for s in sources] == ["captures/a1.txt"]


def test_unlisted_files(tmp_path: Path) -> None:
    raw = _raw(tmp_path, [_row("a1")], files=("captures/a1.txt", "captures/extra.txt", "html/page.html",
                                               "captures/.gitkeep"))
    _, problems = read_sources(raw)
    assert sorted((p.code, p.file) for p in problems) == [
        ("source-unlisted-file", "raw/captures/extra.txt"),
        ("source-unlisted-file", "raw/html/page.html"),
    ]


def test_header_problems(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "sources.csv").write_text("doc_id,outlet,url,kind,capture_file,captured_at,rights,split\n",
                                     encoding="utf-8")
    sources, problems = read_sources(raw)
    assert sources == []
    assert [(p.code, p.pointer) for p in problems] == [
        ("source-missing-column", "capture_kind"), ("source-unknown-column", "kind")]


def test_short_row_and_blank_lines(tmp_path: Path) -> None:
    raw = _raw(tmp_path, ["", "a1,BSS,,text"], files=())
    _, problems = read_sources(raw)
    assert [(p.code, p.record) for p in problems] == [("source-bad-row", "row 3 (doc_id=a1)")]


def test_missing_csv_is_fatal(tmp_path: Path) -> None:
    with pytest.raises(MissingInput):
        read_sources(tmp_path)
