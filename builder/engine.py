"""Run the per-document map (builder.mapdoc.process) on all cores through an existing engine.

* `inline`: in this process, one document after the other (also what `--workers 1` means).
* `local`: Hugging Face datatrove's LocalPipelineExecutor: `tasks` shards, each a contiguous run of
  doc_ids, processed by a pool of `workers` processes. The same pipeline step runs unchanged under
  datatrove's SlurmPipelineExecutor and RayPipelineExecutor; no scheduling is written here.

A shard's inputs (its sources rows, their export tasks, the context) are pickled into a staging folder;
the shard writes its results there, and the caller reads the shards back in rank order, so results come
in doc_id order whatever the number of workers: the output is byte-identical. A document whose
processing raises is reported as `DocCrash` naming it, and nothing is written.
"""

from __future__ import annotations

import os
import pickle
import shutil
import tempfile
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from builder.errors import BuildError
from builder.export import Task
from builder.mapdoc import Context, DocResult, process
from builder.records import Source

ENGINES = ("local", "inline")
SHARDS_PER_WORKER = 4  # small shards balance the pool; results stay ordered by rank


class DocCrash(BuildError):
    """Processing one document raised: a bug, reported with the document it happened on."""


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


@dataclass(frozen=True, slots=True)
class Shard:
    """A picklable pipeline step: process shard `rank` of the staging folder (datatrove calls it)."""

    staging: str

    def __call__(self, data: object, rank: int = 0, world_size: int = 1) -> None:
        folder = Path(self.staging)
        with open(folder / f"in-{rank:05d}.pkl", "rb") as f:
            items, ctx = pickle.load(f)
        results: list[DocResult] = []
        crash = None
        for source, tasks, export in items:
            try:
                result = process(source, tasks, ctx, export)
                result.document = None  # the rows hold what the reduce needs; the objects would only be pickled
                results.append(result)
            except Exception:  # noqa: BLE001 - a bug in one document; named, not hidden
                crash = (source.doc_id, traceback.format_exc(limit=8))
                break
        tmp = folder / f".out-{rank:05d}.pkl"
        with open(tmp, "wb") as f:
            pickle.dump((results, crash), f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, folder / f"out-{rank:05d}.pkl")


def _shards(items: Sequence, n: int) -> list[Sequence]:
    size, extra = divmod(len(items), n)
    out, start = [], 0
    for k in range(n):
        end = start + size + (1 if k < extra else 0)
        out.append(items[start:end])
        start = end
    return [s for s in out if len(s)]


def map_documents(
    sources: Sequence[Source],
    by_doc: dict[str, list[Task]],
    ctx: Context,
    *,
    workers: int,
    engine: str = "local",
    own: dict[str, Path] | None = None,
) -> Iterator[DocResult]:
    """DocResults in the order of `sources` (doc_id order). `own`: doc_id → its export file, read in the map."""
    if engine not in ENGINES:
        raise BuildError(f"unknown engine {engine!r}", f"use one of: {', '.join(ENGINES)}")
    own = own or {}
    items = [(s, by_doc.get(s.doc_id, []), own.get(s.doc_id)) for s in sources]
    if engine == "inline" or workers <= 1 or len(items) < 2:
        for source, tasks, export in items:
            try:
                yield process(source, tasks, ctx, export)
            except Exception as e:  # noqa: BLE001
                raise DocCrash(f"processing document {source.doc_id} failed: {type(e).__name__}: {e}",
                               "this is a bug in the builder; please report it with the document") from e  # fmt: skip
        return
    yield from _datatrove(items, ctx, workers)


def _datatrove(items: list, ctx: Context, workers: int) -> Iterator[DocResult]:
    from datatrove.executor import LocalPipelineExecutor

    shards = _shards(items, min(len(items), workers * SHARDS_PER_WORKER))
    staging = Path(tempfile.mkdtemp(prefix="bn-news-map-"))
    try:
        for rank, shard in enumerate(shards):
            with open(staging / f"in-{rank:05d}.pkl", "wb") as f:
                pickle.dump((list(shard), ctx), f, protocol=pickle.HIGHEST_PROTOCOL)
        executor = LocalPipelineExecutor(
            pipeline=[Shard(str(staging))], tasks=len(shards), workers=min(workers, len(shards)),
            logging_dir=str(staging / "logs"), skip_completed=False, start_method="fork",
        )  # fmt: skip
        _quiet_datatrove()
        executor.run()
        for rank in range(len(shards)):
            path = staging / f"out-{rank:05d}.pkl"
            if not path.exists():
                raise DocCrash(f"shard {rank} of {len(shards)} ended without a result (documents {shards[rank][0][0].doc_id} …)",
                               "a worker process died (out of memory?); see the logs, then build again")  # fmt: skip
            with open(path, "rb") as f:
                results, crash = pickle.load(f)
            if crash is not None:
                doc_id, trace = crash
                raise DocCrash(f"processing document {doc_id} failed in a worker:\n{trace}",
                               "this is a bug in the builder; please report it with the document")  # fmt: skip
            yield from results
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _quiet_datatrove() -> None:
    """datatrove logs every task to stderr through loguru; the builder has its own progress output."""
    from loguru import logger

    logger.disable("datatrove")  # loguru's switch for one library's messages; sinks stay as they are
