"""The pipeline's row check: the writer's contract (label encoding + Arrow cast), explained by JSON Schema."""

from __future__ import annotations

import copy
from pathlib import Path

from builder import pipeline
from builder.config import load_config


def test_a_row_outside_the_schema_is_a_problem_naming_row_and_field(corpus: Path) -> None:
    out = pipeline.check(load_config(corpus))
    assert out.problems == [] and pipeline.validate_rows(out) == []
    split = next(s for s, rows in out.rows["documents"].items() if rows)
    bad = copy.deepcopy(out.rows["documents"][split][0])
    bad["entities"][0]["label"] = "PERSON"  # not a label of the scheme
    bad["entities"][1]["start"] = "seven"  # not an int32
    out.rows["documents"][split].append(bad)
    problems = pipeline.validate_rows(out)
    assert {p.code for p in problems} == {"output-schema-violation"}
    pointers = sorted(p.pointer for p in problems)
    assert "/entities/0/label" in pointers and "/entities/1/start" in pointers
    assert all(p.record == f"documents row {bad['doc_id']}" and p.hint for p in problems)
