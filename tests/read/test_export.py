"""Label Studio export files → Task records; malformed files become problems with pointers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from builder.read.export import Task, read_export


def _task(**over) -> dict:
    task = {
        "id": 7,
        "data": {"doc_id": "d1", "text": "কিম বলেন।"},
        "annotations": [
            {"id": 3, "completed_by": {"id": 1, "email": "gold@example.org"}, "was_cancelled": False,
             "ground_truth": True, "lead_time": 4.5, "created_at": "2026-11-23T09:05:54.092658Z",
             "updated_at": "2026-11-23T09:05:54.092658Z",
             "result": [{"id": "e1", "from_name": "entity", "to_name": "text", "type": "labels",
                         "value": {"start": 0, "end": 3, "text": "কিম", "labels": ["PER"]}}]},
        ],
    }
    task.update(over)
    return task


def _read(tmp_path: Path, content: str | list) -> tuple[list[Task], list]:
    path = tmp_path / "x.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content, ensure_ascii=False), encoding="utf-8")
    return read_export(path, "annotations/export/x.json")


def test_good_task_is_read_with_annotator_email(tmp_path: Path) -> None:
    tasks, problems = _read(tmp_path, [_task()])
    assert problems == []
    (task,) = tasks
    assert (task.doc_id, task.task_id, task.annotations[0].annotator) == ("d1", 7, "gold@example.org")
    assert task.annotations[0].pointer == "/0/annotations/0"


def test_numeric_completed_by_becomes_text(tmp_path: Path) -> None:
    t = _task()
    t["annotations"][0]["completed_by"] = 12
    tasks, _ = _read(tmp_path, [t])
    assert tasks[0].annotations[0].annotator == "12"


def test_malformed_json_names_line_and_column(tmp_path: Path) -> None:
    tasks, problems = _read(tmp_path, '[{"id": 1,')
    assert tasks == []
    assert [p.code for p in problems] == ["malformed-json"]
    assert "line 1" in problems[0].message and problems[0].file == "annotations/export/x.json"


def test_string_offset_is_a_schema_violation_with_pointer(tmp_path: Path) -> None:
    t = _task()
    t["annotations"][0]["result"][0]["value"]["start"] = "0"
    tasks, problems = _read(tmp_path, [_task(), t])
    assert len(tasks) == 1  # the good task survives
    assert [(p.code, p.pointer) for p in problems] == [("schema-violation", "/1/annotations/0/result/0/value/start")]
    assert problems[0].record == "task 7 (doc_id=d1)"


def test_missing_doc_id_and_legacy_completions(tmp_path: Path) -> None:
    no_id = _task(data={"text": "x"})
    legacy = _task(completions=[])
    _, problems = _read(tmp_path, [no_id, legacy])
    assert {(p.code, p.pointer) for p in problems} == {
        ("schema-violation", "/0/data"),
        ("schema-violation", "/1/completions"),
    }


def test_json_min_object_is_refused_with_hint(tmp_path: Path) -> None:
    _, problems = _read(tmp_path, {"text": "x", "ner": []})
    assert problems[0].code == "schema-violation" and "JSON_MIN" in problems[0].hint


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**80), max_value=2**80) | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)


def _typed(value):
    """The value with every scalar's type beside it: 1 and 1.0 compare equal, but an id must stay an int."""
    if isinstance(value, list):
        return [_typed(v) for v in value]
    if isinstance(value, dict):
        return {k: _typed(v) for k, v in value.items()}
    return (type(value).__name__, value)


@given(_JSON_VALUES)
@example(2**70)
@example({"a": 1, "a ": [float("inf")]})
@settings(max_examples=300, deadline=None)
def test_exports_are_read_as_the_standard_library_reads_them(value) -> None:
    from builder.read.export import _loads

    raw = json.dumps(value, ensure_ascii=False).encode("utf-8")  # inf is written as Infinity: refused by both
    try:
        expected = json.loads(raw)
    except ValueError:
        with pytest.raises(ValueError):
            _loads(raw)
        return
    if "Infinity" in raw.decode():
        with pytest.raises(ValueError):
            _loads(raw)
        return
    assert _typed(_loads(raw)) == _typed(expected)


def test_what_orjson_refuses_gets_the_standard_librarys_message() -> None:
    from builder.read.export import _loads

    assert _loads(b'["\\ud800"]') == ["\ud800"]  # a lone surrogate: json reads it
    assert _loads(b"[1e999]") == [float("inf")]
    with pytest.raises(json.JSONDecodeError, match="Expecting value: line 1 column 2"):
        _loads(b"[,]")


def test_export_files_are_what_a_sorted_rglob_finds(tmp_path: Path) -> None:
    """Every *.json below the folder (a folder so named too, links not followed), in path-component order."""
    import os

    from builder.read.export import export_files

    for rel in ["a.json", "b/c.json", "b-x.json", "b/.h.json", "x.JSON", "y.json/z.json", ".json", "a.b.json",
                "sub/deeper/q.json", "n.txt"]:  # fmt: skip
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("[]", encoding="utf-8")
    os.symlink(tmp_path / "b", tmp_path / "link.json")
    assert export_files(tmp_path) == sorted(tmp_path.rglob("*.json"))
    assert [p.relative_to(tmp_path).as_posix() for p in export_files(tmp_path)][:3] == [".json", "a.b.json", "a.json"]
