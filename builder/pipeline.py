"""The one place that knows the order of the stages.

sources → exports (grouped by doc_id) → per document (builder.mapdoc): clean, compare with text/, join,
derive → merged in doc_id order → row check → (write). `check` runs every stage and collects every
Problem; `build` refuses to write when there is one.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from builder import schema
from builder.anchor import Notice, anchor
from builder.clean import clean_source
from builder.config import BuildConfig, load_pseudonym_key
from builder.errors import InvalidCorpus
from builder.export import Task, export_files, iter_exports, read_export
from builder.join import misnamed, unknown_doc
from builder.engine import default_workers, map_documents
from builder.mapdoc import Context
from builder.progress import Progress
from builder.records import Problem
from builder.scheme import Scheme, load_scheme
from builder.sources import read_sources
from builder.split import split_order
from builder.textfiles import read_text

CONFIGS = schema.CONFIGS


@dataclass(slots=True)
class Outcome:
    scheme: Scheme
    annotated: list[str] = field(default_factory=list)  # doc_ids that reached the documents config, in order
    task_files: dict[str, str] = field(default_factory=dict)  # doc_id → its export file (for messages)
    rows: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)  # config → split → rows
    problems: list[Problem] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    unannotated: list[str] = field(default_factory=list)
    splits: tuple[str, ...] = ()

def check(
    cfg: BuildConfig,
    progress: Progress | None = None,
    *,
    workers: int | None = None,
    engine: str = "local",
    validate: bool = True,
) -> Outcome:
    """`progress` is told the number of documents of raw/sources.csv, then advanced once per document.

    Run every stage; rows are derived too, because token alignment is only known then."""
    scheme = replace(load_scheme(cfg.path(cfg.labeling_config), cfg.path(cfg.registry)), annotator_key=load_pseudonym_key(cfg))
    out = Outcome(scheme=scheme, splits=tuple(split_order(cfg.split_ratios)))
    raw_dir = cfg.path(cfg.raw_dir)

    sources, found = read_sources(raw_dir)
    out.problems += found
    if progress is not None:
        progress.start(len(sources))

    out.notices += [
        Notice("outlet-unregistered", "raw/sources.csv", f"doc_id={s.doc_id}",
               f"outlet {s.outlet!r} is not an id of {cfg.registry}; add it there before the page is annotated", 1)
        for s in sources if s.outlet not in scheme.registry
    ]
    # An export named after its document (what `builder ls pull` writes) is read by that document's map
    # step, in a worker; any other export file is read here and its tasks routed by doc_id.
    known = {s.doc_id for s in sources}
    export_dir = cfg.path(cfg.export_dir)
    own: dict[str, Path] = {}
    by_doc: dict[str, list[Task]] = {}
    for path in export_files(export_dir):
        if path.parent == export_dir and path.stem in known:
            own[path.stem] = path
            continue
        file_tasks, found = read_export(path, cfg.rel(path), cfg.root)
        out.problems += found
        for task in file_tasks:
            if task.doc_id in known:
                by_doc.setdefault(task.doc_id, []).append(task)
            else:
                out.problems.append(unknown_doc(task))

    ctx = Context(raw_dir, cfg.path(cfg.text_dir), scheme, cfg.registry, tuple(cfg.reviewers), cfg.split_salt,
                  cfg.split_ratios, cfg.root)  # fmt: skip
    out.rows = {config: {split: [] for split in out.splits} for config in CONFIGS}
    results = map_documents(sources, by_doc, ctx, workers=workers or default_workers(), engine=engine, own=own)
    for result in results:  # the map's results, in doc_id order; merging them is the reduce
        if progress is not None:
            progress.advance()
        out.problems += result.problems
        for task in result.foreign:
            out.problems.append(misnamed(task, known))
        out.notices += result.notices
        if result.unannotated:
            out.unannotated.append(result.doc_id)
        if result.annotated:
            out.annotated.append(result.doc_id)
            out.task_files[result.doc_id] = result.task_file
        for config, rows in result.rows.items():
            out.rows[config][result.split] += rows
    if validate:  # `build` passes False: its writer makes the same check while it writes (rows are checked once)
        out.problems += validate_rows(out)
    return out


def validate_rows(out: Outcome, batch_rows: int = 1_000) -> list[Problem]:
    """Every derived row through the writer's own contract (builder.encode.encode_batch: label encoding and
    the Arrow cast to the config's schema); the JSON Schema only explains a batch that fails."""
    from builder import encode

    problems: list[Problem] = []
    for config, by_split in out.rows.items():
        enc = encode.row_encoder(config, out.scheme)
        arrow = schema.features(config, out.scheme).arrow_schema
        counts: dict[str, Counter] = defaultdict(Counter)
        for rows in by_split.values():
            for start in range(0, len(rows), batch_rows):
                chunk = rows[start:start + batch_rows]
                try:
                    encode.encode_batch(chunk, enc, arrow, counts)
                except encode.NotEncodable:
                    problems += _explain_rows(out, config, chunk)
    return problems


def _explain_rows(out: Outcome, config: str, rows: list[dict[str, Any]]) -> list[Problem]:
    validator = schema.RowValidator(config, out.scheme)
    problems = []
    for row in rows:
        for pointer, message in validator.errors(row):
            problems.append(Problem(
                "output-schema-violation", out.task_files.get(row["doc_id"], "raw/sources.csv"), f"{config} row {row.get('id', row['doc_id'])}",
                pointer, message, "the annotation produced a value the dataset schema cannot hold; fix the annotation or the schema",
            ))
    return problems or [Problem("output-schema-violation", "", f"{config} rows", "/", "rows do not fit the Arrow schema",
                                "a bug in the derive stage; please report it")]  # fmt: skip


@dataclass(slots=True)
class Reclean:
    """What `builder clean` may do: texts it must not rewrite, and why; what would move."""

    protected: set[str] = field(default_factory=set)  # annotated doc_ids whose spans would be lost
    notices: list[Notice] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def plan_reclean(cfg: BuildConfig) -> Reclean:
    """Re-clean every page; an annotated text may change only if all its spans re-anchor onto the new text."""
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
