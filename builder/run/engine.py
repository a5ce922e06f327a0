"""Run the map (builder.run.mapdoc.process, then builder.write.parts.PartWriter) shard by shard on an existing engine.

A shard is a fixed run of `shard_docs` consecutive documents (doc_id order), the same whatever the number
of workers, so every part file, and so the dataset folder, is byte-identical for any worker count and engine.

* `inline`: in this process, one shard after the other (also what `--workers 1` means).
* `local`: Hugging Face datatrove's LocalPipelineExecutor: one datatrove task per shard, run by a pool of
  `workers` spawned processes. One shard alone (a rebuild) runs in this process, or in a process forked
  from it (builder.run.fork) when the last build had the same key, while this one loads the reduce's modules
  (the staging process has linked the unchanged shards' parts meanwhile).
* `ray`: datatrove's RayPipelineExecutor on the Ray cluster RAY_ADDRESS names, or on one Ray starts on
  this machine with `workers` CPUs. Staging and part folders must then be on a filesystem every node sees.
  Ray runs each task in a new process, which imports spaCy and the rest again (seconds): so a Ray task
  runs a run of consecutive shards, one task per worker, not one shard.
The step (`Shard`) is a plain picklable callable, the same for every executor (and for datatrove's
SlurmPipelineExecutor: builder.run.slurm). No scheduling is written here.

A shard's inputs (its sources rows, their export tasks from other files, the context) are pickled into a
staging folder, by a short-lived forked process (except with `inline`), so the sources do not stay in this one; the shard writes its part files (builder.write.parts) and a small result there: per document its
problems and notices (no rows unless asked), and the part's statistics. The caller reads the results in rank
order. A document whose processing raises is reported as `DocCrash` naming it.
"""

from __future__ import annotations

import atexit
import os
import pickle
import shutil
import sys
import tempfile
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from builder.config import BuildConfig
from builder.errors import BuildError
from builder.read.export import Task
from builder.records import Source
from builder.run.fork import can_fork, forked
from builder.run.hashmemo import HashMemo
from builder.run.mapdoc import Context, DocResult, process
from builder.run.process import release_memory, trim, tune_process, without_pandas
from builder.run.staging import Job, own_files, stage
from builder.write.parts import PartSummary, PartWriter

ENGINES = ("local", "inline", "ray", "slurm")
START_METHOD = "spawn"
SHARD_DOCS = BuildConfig.shard_docs  # documents per shard unless the settings say otherwise (shard_docs in [tool.builder])
TRIM_DOCS = 100  # a worker returns freed memory to the system after this many documents


class DocCrash(BuildError):
    """Processing one document raised: a bug, reported with the document it happened on."""


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


@dataclass(slots=True)
class ShardResult:
    docs: list[DocResult]  # in doc_id order; rows emptied unless Job.keep_rows
    summary: PartSummary | None
    crash: tuple[str, str] | None = None  # (doc_id, traceback)
    io_error: OSError | None = None  # writing a part failed (disk full, read-only): not a bug, re-raised as it is
    key: str | None = None  # builder.run.cache key of the shard
    cached: bool = False  # copied from the cache, not run
    reused: int = 0  # documents of a shard that ran taken from the cache (unchanged since an earlier build)


def run_shard(job: Job, rank: int, on_doc: Callable[[], None] | None = None) -> ShardResult:
    tune_process()
    folder = Path(job.staging)
    with open(folder / f"in-{rank:05d}.pkl", "rb") as f:
        items, ctx = pickle.load(f)
    part = None if job.parts is None else Path(job.parts) / f"{rank:05d}"
    hashed = ctx.root is not None and (part is not None or job.cache is not None)
    memo = HashMemo(None if job.cache is None else Path(job.cache), rank)
    own = [own_files(s, e, ctx, memo.sha) if hashed else [] for s, _, e in items]
    memo.save()
    key = None
    if job.cache is not None and not job.keep_rows:  # `check` reads the cache too (a hit had no problems)
        from builder.run import cache

        doc_keys, key = cache.keys(job.build_key, items, own)
        hit = cache.load(Path(job.cache), key, part)
        if hit is not None:
            for _ in items if on_doc is not None else ():
                on_doc()
            hit.cached = True
            return hit
    writer = PartWriter(part, ctx.scheme)
    docs: list[DocResult] = []
    # a build with a cache: the documents of this (missing) shard that an earlier build already mapped
    known = kept = None
    reused = 0
    if key is not None:
        known = cache.DocStore(Path(job.cache))
        if part is not None:
            kept = cache.DocWriter(folder / f"docs-{rank:05d}.pkl")
    try:
        for i, ((source, tasks, export), files) in enumerate(zip(items, own)):
            dkey = doc_keys[i] if known is not None else None
            found = known.get(dkey) if known is not None else None
            batches = known.batches(found, found.result.split, writer.arrow_schema) if found is not None else None
            reused += batches is not None
            try:
                if batches is None:
                    result = process(source, tasks, ctx, export)
                    result.document = None  # the rows hold what the reduce needs; the objects would only be pickled
            except Exception:  # noqa: BLE001 - a bug in one document; named, not hidden
                return ShardResult(docs, None, (source.doc_id, traceback.format_exc(limit=8)))
            try:
                if batches is None:
                    where = writer.add_document(result.doc_id, result.split, result.rows, result.task_file, result.outputs)
                else:
                    result = found.result
                    where = writer.replay_document(result.doc_id, result.split, result.task_file, result.outputs, batches)
                writer.add_inputs(files)
                if kept is not None and not result.problems:
                    kept.add(dkey, result, where, found.blob if batches is not None else None)
            except OSError:
                raise  # the disk, not the document: reported as a write error below
            except Exception:  # noqa: BLE001
                return ShardResult(docs, None, (source.doc_id, traceback.format_exc(limit=8)))
            if not job.keep_rows:
                result.rows = {}
            result.outputs = {}  # cached with the document (above); the main process has no use for them
            docs.append(result)
            if len(docs) % TRIM_DOCS == 0:
                trim()
            if on_doc is not None:
                on_doc()
        result = ShardResult(docs, writer.close(), key=key, reused=reused)
    except OSError as e:
        return ShardResult(docs, None, io_error=e)
    finally:
        if kept is not None:
            kept.close()
    if key is not None and part is not None and not result.summary.problems and not any(d.problems for d in docs):
        cache.store(Path(job.cache), key, part, result, kept)  # only what a successful build could reuse
    if kept is not None:
        kept.path.unlink(missing_ok=True)
    return result


@dataclass(frozen=True, slots=True)
class Shard:
    """The datatrove pipeline step: process the shards of task `rank` of the job (one, or `per_task` in a row),
    leave each one's result in the staging folder."""

    job: Job

    def __call__(self, data: object, rank: int = 0, world_size: int = 1) -> None:
        without_pandas()
        folder = Path(self.job.staging)
        for shard in self.job.shards_of(rank):  # `rank` is datatrove's task number
            result = run_shard(self.job, shard)
            tmp = folder / f".out-{shard:05d}.pkl"
            with open(tmp, "wb") as f:
                pickle.dump(result, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, folder / f"out-{shard:05d}.pkl")
            if result.crash is not None or result.io_error is not None:
                return  # the build stops at this shard: the task's later shards would be for nothing


def listed(sources: Sequence[Source], by_doc: Mapping[str, list[Task]], own: Mapping[str, Path]) -> tuple[Iterator[tuple], None]:
    """A `read` for map_documents when the sources are already in hand: the items in their order."""
    return ((s, by_doc.get(s.doc_id, []), own.get(s.doc_id)) for s in sources), None


def map_documents(
    read: Callable[..., tuple[Iterable[tuple], Any]],
    args: tuple,
    ctx: Context,
    *,
    workers: int,
    engine: str = "local",
    parts: Path | None = None,
    shard_docs: int = SHARD_DOCS,
    keep_rows: bool = False,
    cache: Path | None = None,
    build_key: str = "",
    on_read: Callable[[Any], None] | None = None,
    on_doc: Callable[[int], None] | None = None,
    idle: Callable[[], None] | None = None,
) -> Iterator[ShardResult]:
    """ShardResults in rank order (so documents in doc_id order).

    `read(*args)` (a module-level function, so it can be named in another process) returns the items,
    (sources row, tasks from other files, own export file or None) in doc_id order, and what else it found;
    they are staged shard by shard, and `on_read` gets that second value. Except with the inline engine this
    happens in a short-lived child process: the sources of 100k documents leave with it, where freed small
    objects would stay resident in this process for the rest of the build. `parts`: where the shards write
    their part folders; `on_doc(n)`: n more documents are done; `idle`: work for this process to do while a
    single shard runs in another (the reduce's imports)."""
    if engine not in ENGINES:
        raise BuildError(f"unknown engine {engine!r}", f"use one of: {', '.join(ENGINES)}")
    # a cluster's nodes must see the staging folder: then it lives beside the parts, not in this node's /tmp
    staging = Path(tempfile.mkdtemp(prefix=".map-", dir=parts.parent if engine == "slurm" and parts else None))
    job = Job(str(staging), None if parts is None else str(parts), keep_rows, None if cache is None else str(cache), build_key)
    try:
        if engine == "inline":
            staged, found, linked = _read_and_stage(read, args, shard_docs, ctx, job)
        elif _rebuilding(job, engine, workers):
            # most shards are hits: their parts are linked by the staging process, while this one loads spaCy
            staged, found, linked = _apart(read, args, shard_docs, ctx, job, True, idle=_warm_map)
        else:
            staged, found, linked = _apart(read, args, shard_docs, ctx, job)
        if on_read is not None:
            on_read(found)
        ran = tuple(rank for rank, (_, _, hit) in enumerate(staged) if hit is None)
        job = replace(job, ranks=ran)
        if engine == "local" and workers > 1 and len(ran) == 1 and idle is not None and can_fork():
            # one shard to run (a rebuild): in a forked process, while this one does `idle` on the other core
            results = iter([_forked_shard(job, ran[0], idle, on_doc, staged[ran[0]][0])])
        elif engine == "inline" or (engine == "local" and (workers <= 1 or len(ran) < 2)):
            results = (run_shard(job, rank, on_doc=(lambda: on_doc(1)) if on_doc else None) for rank in ran)
        else:
            if engine == "ray":  # a Ray task is a new process (its imports cost seconds): one task per worker
                job = replace(job, per_task=-(-len(ran) // workers))
            results = _datatrove(engine, job, [staged[r][0] for r in ran], [staged[r][1] for r in ran], workers, on_doc)
        for rank, (size, _, hit) in enumerate(staged):
            if hit is None:
                yield _checked(next(results))
                continue
            yield _from_cache(job, rank, hit, rank in linked)
            if on_doc is not None:
                on_doc(size)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _read_and_stage(read: Callable[..., tuple[Iterable[tuple], Any]], args: tuple, shard_docs: int, ctx: Context,
                    job: Job, link: bool = False) -> tuple[list[tuple[int, str, str | None]], Any, set[int]]:  # fmt: skip
    """The shards staged, what reading found, and (`link`) the ranks of the hits whose parts are linked already."""
    items, found = read(*args)
    staged = stage(items, shard_docs, ctx, job)
    del items
    release_memory()
    linked: set[int] = set()
    if link and job.parts is not None:
        from builder.run import cache

        linked = {rank for rank, (_, _, hit) in enumerate(staged)
                  if hit is not None and cache.link_part(Path(job.cache), hit, Path(job.parts) / f"{rank:05d}")}  # fmt: skip
    return staged, found, linked


def _apart(*args: Any, idle: Callable[[], None] | None = None) -> tuple[list[tuple[int, str, str | None]], Any, set[int]]:
    """_read_and_stage in a forked child process, where there is fork (else here)."""
    return forked(_read_and_stage, *args, idle=idle) if can_fork() else _read_and_stage(*args)


def _rebuilding(job: Job, engine: str, workers: int) -> bool:
    """The last build had this build's key: few shards will run, and one runs in a process forked from this one."""
    if engine != "local" or workers < 2 or job.cache is None or not job.build_key:
        return False
    from builder.run import cache

    return cache.last_build(Path(job.cache)) == job.build_key


def _warm_map() -> None:
    """While the shards are staged: what a shard that runs imports for a changed document (spaCy's pipeline,
    the cleaners), so a shard forked from here starts with them. Only in a rebuild: in a whole build the
    workers are spawned and this process would only hold them for nothing."""
    from builder.clean import pages  # noqa: F401
    from builder.derive import tokens

    tokens.nlp()


def _forked_shard(job: Job, rank: int, idle: Callable[[], None], on_doc: Callable[[int], None] | None, size: int) -> ShardResult:
    result = forked(_shard_apart, job, rank, idle=idle)
    if on_doc is not None:
        on_doc(size)
    return result


def _shard_apart(job: Job, rank: int) -> ShardResult:
    """run_shard in a forked child: like a worker, it loads no pandas (pyarrow's first list conversion would,
    for half a second; this builder process loads it meanwhile, for the reduce)."""
    without_pandas()
    return run_shard(job, rank)


def _from_cache(job: Job, rank: int, key: str, linked: bool = False) -> ShardResult:
    """A shard found in the cache before the map: its part linked into place (unless `linked` already), its
    result as stored."""
    from builder.run import cache

    hit = cache.load(Path(job.cache), key, None if job.parts is None else Path(job.parts) / f"{rank:05d}", linked=linked)
    if hit is None:  # the entry went between the probe and now (another build pruned it)
        raise BuildError(f"the cache entry of shard {rank} went away during the build", "build again")
    hit.cached = True
    return hit


def _checked(result: ShardResult) -> ShardResult:
    if result.io_error is not None:
        raise result.io_error
    if result.crash is not None:
        doc_id, trace = result.crash
        raise DocCrash(f"processing document {doc_id} failed:\n{trace}",
                       "this is a bug in the builder; please report it with the document")  # fmt: skip
    return result


def _executor(engine: str, job: Job, tasks: int, workers: int):
    """datatrove's executor for the engine; the pipeline (one `Shard` step) is the same for every engine."""
    _quiet_datatrove()
    logs = str(Path(job.staging) / "logs")
    if engine == "slurm":
        from builder.run.slurm import executor

        return executor([Shard(job)], tasks, workers, logs)
    if engine == "ray":
        import ray
        from datatrove.executor import RayPipelineExecutor

        if not ray.is_initialized():
            # RAY_ADDRESS names a running cluster (`ray start --head` …); without it Ray starts one on this machine
            atexit.register(ray.shutdown)
            ray.init(address=os.environ.get("RAY_ADDRESS") or None, num_cpus=None if os.environ.get("RAY_ADDRESS") else workers,
                     include_dashboard=False, log_to_driver=False, configure_logging=False)  # fmt: skip
        return RayPipelineExecutor(pipeline=[Shard(job)], tasks=tasks, workers=workers, logging_dir=logs,
                                   skip_completed=False, cpus_per_task=1, mem_per_cpu_gb=1)  # fmt: skip
    import multiprocess
    from datatrove.executor import LocalPipelineExecutor

    multiprocess.set_start_method(START_METHOD, force=True)  # datatrove's Manager() takes the default method
    return LocalPipelineExecutor(pipeline=[Shard(job)], tasks=tasks, workers=min(workers, tasks), logging_dir=logs,
                                 skip_completed=False, start_method=START_METHOD)  # fmt: skip


def _datatrove(engine: str, job: Job, sizes: list[int], firsts: list[str], workers: int,
               on_doc: Callable[[int], None] | None) -> Iterator[ShardResult]:  # fmt: skip
    staging = Path(job.staging)
    executor = _executor(engine, job, -(-len(sizes) // job.per_task), workers)
    failed: list[BaseException] = []

    def run() -> None:
        try:
            executor.run()
        except BaseException as e:  # noqa: BLE001 - handed to the caller's thread
            failed.append(e)

    runner = threading.Thread(target=run, name="datatrove", daemon=True)
    runner.start()
    seen: set[int] = set()

    def out(task: int) -> Path:
        return staging / f"out-{job.rank_of(task):05d}.pkl"

    def running() -> bool:
        if runner.is_alive():
            return True
        if engine != "slurm" or failed:
            return False
        from builder.run.slurm import job_alive  # sbatch returned at once: the job array runs on the cluster

        return len(seen) < len(sizes) and job_alive(executor.job_id)

    while running():  # progress: a shard's documents count once its result is there
        runner.join(0.25 if engine != "slurm" else 5)
        if on_doc is not None:
            for rank in range(len(sizes)):
                if rank not in seen and out(rank).exists():
                    seen.add(rank)
                    on_doc(sizes[rank])
    for rank in range(len(sizes)):
        path = out(rank)
        if not path.exists():
            why = f" ({type(failed[0]).__name__}: {failed[0]})" if failed else ""
            raise DocCrash(f"shard {job.rank_of(rank)} (documents {firsts[rank]} …) ended without a result{why}",
                           "a worker process died (out of memory?); build again with fewer --workers")  # fmt: skip
        if on_doc is not None and rank not in seen:
            on_doc(sizes[rank])
        with open(path, "rb") as f:
            yield _checked(pickle.load(f))


def _quiet_datatrove() -> None:
    """datatrove logs every task to stderr through loguru; the builder has its own progress output."""
    from loguru import logger

    logger.disable("datatrove")  # loguru's switch for one library's messages; sinks stay as they are


# On import in a worker, which has loaded datatrove to unpickle its executor and imports this module to
# unpickle `Shard`, before datatrove logs the task's start. The builder's own process does it when it makes
# an executor (_executor): a rebuild that runs its one shard without datatrove never loads loguru.
if "datatrove" in sys.modules:
    _quiet_datatrove()
