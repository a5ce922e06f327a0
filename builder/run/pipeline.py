"""The one place that knows the order of the stages.

sources → exports (grouped by doc_id) → shards of documents (builder.run.engine), per document
(builder.run.mapdoc): clean, compare with text/, join, derive; per shard (builder.write.parts): encode, write the
part files, count → results merged in doc_id order (here) → (builder.write.assemble: the dataset folder).
`check` runs every stage and collects every Problem; `build` refuses to write when there is one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from builder import schema
from builder.annotate.anchor import Notice, anchor
from builder.annotate.join import misnamed, unknown_doc
from builder.config import BuildConfig, load_pseudonym_key
from builder.derive.split import split_order
from builder.errors import InvalidCorpus
from builder.read.export import Task, export_files, iter_exports, read_export
from builder.read.sources import read_sources
from builder.read.textfiles import read_text
from builder.records import Problem
from builder.run.engine import default_workers, map_documents
from builder.run.idset import IdSet
from builder.run.mapdoc import Context
from builder.run.progress import Progress
from builder.scheme import Scheme, load_scheme
from builder.write.parts import Stats

CONFIGS = schema.CONFIGS


@dataclass(slots=True)
class Outcome:
    scheme: Scheme
    annotated: int = 0  # documents that reached the documents config
    unannotated: int = 0  # documents with a text but no usable annotation yet
    stats: Stats = field(default_factory=Stats)  # the parts' statistics, merged (builder.write.parts)
    parts: list[Path] = field(default_factory=list)  # part folders in rank order (a build), for builder.write.assemble
    rows: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)  # config → split → rows, with keep_rows
    problems: list[Problem] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    splits: tuple[str, ...] = ()
    shards: int = 0
    cached: int = 0  # shards taken from the cache
    reused: int = 0  # documents taken from the cache (in those shards, or unchanged in a shard that ran)
    cache_keys: set[str] = field(default_factory=set)
    build_key: str = ""  # builder.run.cache.build_key, when the build has a cache

    @property
    def documents(self) -> int:
        return self.annotated + self.unannotated


def check(
    cfg: BuildConfig,
    progress: Progress | None = None,
    *,
    workers: int | None = None,
    engine: str = "local",
    parts: Path | None = None,
    keep_rows: bool = False,
    cache: Path | None = None,
    idle: Callable[[], None] | None = None,
) -> Outcome:
    """`progress` is told the number of documents of raw/sources.csv, then advanced as documents are done.

    Run every stage; rows are derived and encoded too (token alignment and the Arrow cast are checks).
    `parts`: a folder the shards write their part files into (what `build` assembles); `keep_rows`: also
    collect every row in `Outcome.rows` (tests; memory then grows with the corpus); `cache`: the shard cache
    folder (builder.run.cache) a build reads and fills; `idle`: see builder.run.engine.map_documents."""
    scheme = replace(load_scheme(cfg.path(cfg.labeling_config), cfg.path(cfg.registry)), annotator_key=load_pseudonym_key(cfg))
    out = Outcome(scheme=scheme, splits=tuple(split_order(cfg.split_ratios)))
    raw_dir = cfg.path(cfg.raw_dir)

    ctx = Context(raw_dir, cfg.path(cfg.text_dir), scheme, cfg.registry, tuple(cfg.reviewers), cfg.split_salt,
                  cfg.split_ratios, cfg.root)  # fmt: skip
    if keep_rows:
        out.rows = {config: {split: [] for split in out.splits} for config in CONFIGS}
    read: list[_Read] = []

    def on_read(found: _Read) -> None:
        out.problems += found.problems
        out.notices += found.notices
        read.append(found)
        if progress is not None:
            progress.start(found.documents)

    out.build_key = _build_key(cfg) if cache is not None else ""
    results = map_documents(_read_inputs, (cfg, scheme), ctx, workers=workers or default_workers(), engine=engine,
                            parts=parts, shard_docs=cfg.shard_docs, keep_rows=keep_rows, on_read=on_read,
                            on_doc=progress.advance if progress is not None else None, cache=cache,
                            build_key=out.build_key, idle=idle)  # fmt: skip
    for rank, shard in enumerate(results):  # the map's results, in doc_id order; merging them is the reduce
        for result in shard.docs:
            out.problems += result.problems
            for task in result.foreign:
                out.problems.append(misnamed(task, read[0].known))
            out.notices += result.notices
            out.unannotated += result.unannotated
            out.annotated += result.annotated
            for config, rows in result.rows.items():
                out.rows[config][result.split] += rows
        out.problems += shard.summary.problems
        out.stats.merge(shard.summary.stats)
        out.shards += 1
        out.cached += shard.cached
        out.reused += len(shard.docs) if shard.cached else shard.reused
        if shard.key is not None:
            out.cache_keys.add(shard.key)
        if parts is not None:
            out.parts.append(parts / f"{rank:05d}")
    return out


@dataclass(slots=True)
class _Read:
    """What reading the inputs found besides the documents' items: sent back from the process that staged them."""

    documents: int  # rows of raw/sources.csv
    problems: list[Problem]
    notices: list[Notice]
    known: IdSet  # every doc_id of raw/sources.csv: a task in another document's file is named against them


def _read_inputs(cfg: BuildConfig, scheme: Scheme) -> tuple[Iterator[tuple], _Read]:
    """raw/sources.csv and the export files → the map's items in doc_id order (source, its tasks from other
    files, its own export file), and what the reading found."""
    sources, problems = read_sources(cfg.path(cfg.raw_dir))
    notices = [
        Notice("outlet-unregistered", "raw/sources.csv", f"doc_id={s.doc_id}",
               f"outlet {s.outlet!r} is not an id of {cfg.registry}; add it there before the page is annotated", 1)
        for s in sources if s.outlet not in scheme.registry
    ]
    # An export named after its document (what `builder ls pull` writes) is read by that document's map
    # step, in a worker; any other export file is read here and its tasks routed by doc_id.
    # a plain set for the lookups here (this runs in a short-lived child); the compact IdSet for the builder
    ids = {s.doc_id for s in sources}
    export_dir = cfg.path(cfg.export_dir)
    named: set[str] = set()
    by_doc: dict[str, list[Task]] = {}
    top = str(export_dir)
    for path in export_files(export_dir):
        folder, _, name = str(path).rpartition("/")
        stem = name[:-len(".json")]  # path.stem, but for the name ".json" (no doc_id either way)
        if folder == top and stem in ids:
            named.add(stem)
            continue
        file_tasks, found = read_export(path, cfg.rel(path), cfg.root)
        problems += found
        for task in file_tasks:
            if task.doc_id in ids:
                by_doc.setdefault(task.doc_id, []).append(task)
            else:
                problems.append(unknown_doc(task))
    own = _OwnExports(export_dir, named)
    items = ((s, by_doc.get(s.doc_id, []), own.get(s.doc_id)) for s in sources)
    return items, _Read(len(sources), problems, notices, IdSet(ids))


@dataclass(slots=True)
class _OwnExports:
    """doc_id → its own export file, `<export_dir>/<doc_id>.json`, for the doc_ids that have one (ids, not paths)."""

    folder: Path
    ids: set[str]

    def get(self, doc_id: str) -> Path | None:
        return self.folder / f"{doc_id}.json" if doc_id in self.ids else None


def _build_key(cfg: BuildConfig) -> str:
    from builder.run.cache import build_key

    return build_key(cfg, schema.SCHEMA_VERSION)


@dataclass(slots=True)
class Reclean:
    """What `builder clean` may do: texts it must not rewrite, and why; what would move."""

    protected: set[str] = field(default_factory=set)  # annotated doc_ids whose spans would be lost
    notices: list[Notice] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def plan_reclean(cfg: BuildConfig) -> Reclean:
    """Re-clean every page; an annotated text may change only if all its spans re-anchor onto the new text."""
    from builder.clean.pages import clean_source  # see builder.run.mapdoc.process
    raw_dir, text_dir = cfg.path(cfg.raw_dir), cfg.path(cfg.text_dir)
    tasks = {t.doc_id: t for file_tasks, _ in iter_exports(cfg.path(cfg.export_dir), cfg.rel, cfg.root) for t in file_tasks}
    sources, _ = read_sources(raw_dir)
    plan = Reclean()
    for source in sources:
        task = tasks.get(source.doc_id)
        if task is None or not task.annotations:
            continue
        clean, _ = clean_source(source, raw_dir)
        if clean is None or clean.text == read_text(text_dir, source.doc_id):
            continue
        lost = []
        for ann in task.annotations:
            _, notices, found = anchor(task, ann, clean.text)
            plan.notices += notices
            lost += found
        if lost:
            plan.protected.add(source.doc_id)
            plan.problems += lost
    return plan


def require_clean(outcome: Outcome) -> None:
    if outcome.problems:
        raise InvalidCorpus(outcome.problems)
