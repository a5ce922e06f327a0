"""Staging helpers: the paths of a document's own files, spelled as pathlib spells them."""

from __future__ import annotations

import itertools
from pathlib import Path

from builder.run.mapdoc import Context
from builder.run.staging import _own_paths
from builder.records import Source


def test_own_paths_are_what_pathlib_makes_of_every_capture_file() -> None:
    """The probe builds a document's paths from strings; they must be the ones Path joins give (the hash
    memo is keyed by them), for plain paths and for the odd ones pathlib normalises."""
    ctx = Context(raw_dir=Path("/repo/raw"), text_dir=Path("/repo/text"), scheme=None, registry_file="", reviewers=(),
                  split_salt="", split_ratios={}, root=Path("/repo"))  # fmt: skip
    parts = ["captures", "x.txt", ".", "..", "a b", "", "sub"]
    caps = {pre + "/".join(c) for n in range(1, 4) for c in itertools.product(parts, repeat=n) for pre in ("", "./", "/")}
    export = Path("/repo/annotations/export/d.json")
    for cap in sorted(caps - {""}):
        source = Source(doc_id="d", outlet="o", url=None, capture_kind="text", capture_file=cap, captured_at=None,
                        rights="r", split=None)  # fmt: skip
        joined = ctx.raw_dir / cap
        assert _own_paths(source, export, ctx) == [
            (str(joined.parent), joined.name), ("/repo/text", "d.txt"), ("/repo/annotations/export", "d.json"),
        ], cap


def test_a_task_runs_per_task_consecutive_shards_of_those_that_run() -> None:
    from builder.run.staging import Job

    job = Job("s", None, ranks=(2, 5, 6, 9, 11), per_task=3)
    assert [job.shards_of(t) for t in range(2)] == [[2, 5, 6], [9, 11]]
    assert [Job("s", None, ranks=(4, 7)).shards_of(t) for t in range(2)] == [[4], [7]]
    assert Job("s", None).shards_of(3) == [3]  # no list: every shard runs, one a task
