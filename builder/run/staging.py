"""Before the map: each shard's inputs staged for a worker, unless the cache already holds the shard.

`stage` writes `in-<rank>.pkl` per shard (builder.run.engine runs them); a shard whose files the hash
memo (builder.run.hashmemo) shows unchanged and whose cache entry is there is not staged at all: the
builder takes it from the cache itself.
"""

from __future__ import annotations

import functools
import os
import pickle
import posixpath
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from builder.read.sources import plain_relative
from builder.records import Source
from builder.run.hashmemo import HashMemo
from builder.run.mapdoc import Context


@dataclass(frozen=True, slots=True)
class Job:
    """What every shard of one run shares (picklable): where inputs and results live, what to write."""

    staging: str  # in-<rank>.pkl → out-<rank>.pkl
    parts: str | None  # folder of the part folders <rank>/ (None: encode and count, write nothing)
    keep_rows: bool = False  # send the rows back too (tests and in-process callers; memory grows with the corpus)
    cache: str | None = None  # builder.run.cache folder (a build only)
    build_key: str = ""  # builder.run.cache.build_key of this run
    ranks: tuple[int, ...] = ()  # the shards the engine runs, in order (the others were cache hits); () = all
    per_task: int = 1  # shards one engine task runs, one after the other

    def rank_of(self, position: int) -> int:
        """The shard at this position among those the engine runs."""
        return self.ranks[position] if self.ranks else position

    def shards_of(self, task: int) -> list[int]:
        """The shards an engine's task runs, in order: `per_task` consecutive ones."""
        positions = range(task * self.per_task, (task + 1) * self.per_task)
        return [self.rank_of(p) for p in positions if not self.ranks or p < len(self.ranks)]


def own_files(source: Source, export: Path | None, ctx: Context, sha: Callable[[str, os.stat_result], str | None]) -> list[tuple[str, str | None]]:
    """(repository-relative path, sha256) of a document's capture, text and own export: the card's inputs.
    Each file is looked at once (one stat, handed to `sha` with the path as a string): the cache probe does
    this for every document, so paths are strings here, not path objects."""
    out = []
    root = str(ctx.root)
    for folder, name in _own_paths(source, export, ctx):
        path = f"{folder}/{name}"
        try:
            st = os.stat(path)
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode):
            out.append((posixpath.normpath(f"{_relative(folder, root)}/{name}"), sha(path, st)))
    return out


def _own_paths(source: Source, export: Path | None, ctx: Context) -> list[tuple[str, str]]:
    """(folder, file name) of the capture, the text and the export, as str(Path(...)) spells them."""
    cap = source.capture_file
    if not plain_relative(cap):
        capture = ctx.raw_dir / cap  # not a plain relative path: let pathlib normalise it
        paths = [(str(capture.parent), capture.name)]
    else:
        sub, _, name = cap.rpartition("/")
        paths = [(f"{ctx.raw_dir}/{sub}" if sub else str(ctx.raw_dir), name)]
    paths.append((str(ctx.text_dir), f"{source.doc_id}.txt"))
    if export is not None:
        paths.append((str(export.parent), export.name))
    return paths


@functools.lru_cache(maxsize=256)
def _relative(folder: str, root: str) -> str:
    """A folder relative to the repository (os.path.relpath resolves both each time: once per folder here)."""
    return Path(os.path.relpath(folder, root)).as_posix()


def _known_hit(items: list[tuple], ctx: Context, job: Job, rank: int) -> str | None:
    """The cache key of a shard whose files the hash memo vouches for and whose entry is there, else None:
    such a shard is taken from the cache here, without a worker. Nothing is hashed: that is a worker's job."""
    from builder.run import cache

    memo = HashMemo(Path(job.cache), rank)
    own = []
    for source, _, export in items:
        files = own_files(source, export, ctx, memo.known)
        if any(sha is None for _, sha in files):
            return None
        own.append(files)
    _, key = cache.keys(job.build_key, items, own)
    return key if cache.has(Path(job.cache), key) else None


def stage(items: Iterable[tuple], shard_docs: int, ctx: Context, job: Job) -> list[tuple[int, str, str | None]]:
    """Each shard's inputs, `in-<rank>.pkl` (`shard_docs` consecutive items): what a worker on any node loads
    (run_shard). `items` is consumed as it goes, so no more than one shard's inputs are held here.
    Returns each shard's size, first doc_id and, for a shard known to be in the cache, its key (no inputs
    are staged for it)."""
    staged: list[tuple[int, str, str | None]] = []
    batch: list[tuple] = []
    probe = job.cache is not None and ctx.root is not None and not job.keep_rows and any(Path(job.cache).glob("*/result.pkl"))

    def flush() -> None:
        rank = len(staged)
        hit = _known_hit(batch, ctx, job, rank) if probe else None
        if hit is None:
            with open(Path(job.staging) / f"in-{rank:05d}.pkl", "wb") as f:
                pickle.dump((batch, ctx), f, protocol=pickle.HIGHEST_PROTOCOL)
        staged.append((len(batch), batch[0][0].doc_id, hit))

    for item in items:
        batch.append(item)
        if len(batch) == shard_docs:
            flush()
            batch = []
    if batch:
        flush()
    return staged
