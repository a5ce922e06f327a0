"""The row check of the map (label encoding + Arrow cast in builder.write.parts), explained by JSON Schema."""

from __future__ import annotations

import copy
from pathlib import Path

from builder import schema
from builder.config import load_config
from builder.run import pipeline
from builder.write import parts


def test_a_row_outside_the_schema_is_a_problem_naming_row_and_field(corpus: Path) -> None:
    out = pipeline.check(load_config(corpus), keep_rows=True)
    assert out.problems == []
    split = next(s for s, rows in out.rows["documents"].items() if rows)
    bad = copy.deepcopy(out.rows["documents"][split][0])
    bad["entities"][0]["label"] = "PERSON"  # not a label of the scheme
    bad["entities"][1]["start"] = "seven"  # not an int32
    writer = parts.PartWriter(None, out.scheme, schema.SPLITS)  # the check every shard of the map makes
    writer.add_document(bad["doc_id"], split, {"documents": [bad]}, "annotations/export/x.json")
    problems = writer.close().problems
    assert {p.code for p in problems} == {"output-schema-violation"}
    pointers = sorted(p.pointer for p in problems)
    assert "/entities/0/label" in pointers and "/entities/1/start" in pointers
    assert all(p.record == f"documents/{split} row 0 (doc_id={bad['doc_id']})" and p.hint for p in problems)
    assert all(p.file == "annotations/export/x.json" for p in problems)


def test_check_counts_what_the_rows_hold(corpus: Path) -> None:
    out = pipeline.check(load_config(corpus), keep_rows=True, workers=1)
    assert out.problems == [] and out.annotated == 2 and out.parts == []
    for config, by_split in out.rows.items():
        held = {split: len(rows) for split, rows in by_split.items() if rows}
        assert held == out.stats.rows.get(config, {}), config
    assert sum(out.stats.outlets.values()) == out.annotated
