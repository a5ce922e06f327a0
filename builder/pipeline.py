"""The one place that knows the order of the stages.

sources → clean (+ compare with committed text/) → exports → join → derive → (write)
`check` runs every stage and collects every Problem; `build` refuses to write when there is one.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

from builder import schema, tokens
from builder.clean import clean_source
from builder.anchor import Notice, anchor
from builder.config import BuildConfig, load_pseudonym_key
from builder.derive import (
    Document,
    annotation_rows,
    attribution_rows,
    document_row,
    ner_rows,
    raw_row,
    stance_rows,
    suggested_provenance,
)
from builder.errors import InvalidCorpus
from builder.export import iter_exports
from builder.join import join
from builder.records import Problem
from builder.scheme import Scheme, load_scheme
from builder.sources import read_sources
from builder.split import assign_split, split_order
from builder.textfiles import compare, read_text

CONFIGS = schema.CONFIGS


@dataclass(slots=True)
class Outcome:
    scheme: Scheme
    documents: list[Document] = field(default_factory=list)
    rows: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)  # config → split → rows
    problems: list[Problem] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    unannotated: list[str] = field(default_factory=list)
    splits: tuple[str, ...] = ()

def check(cfg: BuildConfig) -> Outcome:
    """Run every stage; rows are derived too, because token alignment is only known then."""
    scheme = replace(load_scheme(cfg.path(cfg.labeling_config), cfg.path(cfg.registry)), annotator_key=load_pseudonym_key(cfg))
    out = Outcome(scheme=scheme, splits=tuple(split_order(cfg.split_ratios)))
    raw_dir, text_dir = cfg.path(cfg.raw_dir), cfg.path(cfg.text_dir)

    sources, found = read_sources(raw_dir)
    out.problems += found
    out.notices += [
        Notice("outlet-unregistered", "raw/sources.csv", f"doc_id={s.doc_id}",
               f"outlet {s.outlet!r} is not an id of {cfg.registry}; add it there before the page is annotated", 1)
        for s in sources if s.outlet not in scheme.registry
    ]
    tasks = []
    for file_tasks, found in iter_exports(cfg.path(cfg.export_dir), cfg.rel, cfg.root):
        tasks += file_tasks
        out.problems += found
    annotated = {t.doc_id for t in tasks if any(not a.was_cancelled for a in t.annotations)}
    by_doc = {t.doc_id: t for t in tasks}

    cleaned = {}
    for source in sources:
        clean, found = clean_source(source, raw_dir)
        out.problems += found
        if clean is None:
            continue
        drift = compare(text_dir, clean, source.doc_id in annotated)
        out.problems += [_with_lost_spans(p, by_doc.get(source.doc_id), clean.text) for p in drift]
        if not drift:
            cleaned[source.doc_id] = (clean, read_text(text_dir, source.doc_id))

    joined = join({s.doc_id: s for s in sources}, cleaned, tasks, scheme, cfg.registry, tuple(cfg.reviewers))
    out.problems += joined.problems
    out.notices += joined.notices
    out.unannotated = joined.unannotated
    for j in sorted(joined.pairs, key=lambda j: j.source.doc_id):
        split = assign_split(j.source.doc_id, salt=cfg.split_salt, ratios=cfg.split_ratios, explicit=j.source.split)
        out.documents.append(Document(j.source, j.cleaned, j.text, j.task, j.gold, split, j.adjudication, j.annotations))

    out.rows = {config: {split: [] for split in out.splits} for config in CONFIGS}
    annotated_ids = {d.source.doc_id for d in out.documents}
    for source in sources:
        if source.doc_id in cleaned:
            clean, text = cleaned[source.doc_id]
            split = assign_split(source.doc_id, salt=cfg.split_salt, ratios=cfg.split_ratios, explicit=source.split)
            out.rows["raw"][split].append(raw_row(source, clean, text, source.doc_id in annotated_ids, scheme))
    for doc, sentences in zip(out.documents, tokens.sentences_many(d.text for d in out.documents)):
        rows = out.rows
        rows["documents"][doc.split].append(document_row(doc, scheme))
        ner, found = ner_rows(doc, scheme, sentences)
        rows["ner"][doc.split] += ner
        out.problems += found
        rows["attribution"][doc.split] += attribution_rows(doc, scheme)
        rows["stance"][doc.split] += stance_rows(doc, scheme)
        rows["annotations"][doc.split] += annotation_rows(doc, scheme)
    out.notices += provenance_notices(out)
    out.problems += validate_rows(out)
    return out


def _with_lost_spans(problem: Problem, task, new_text: str) -> Problem:
    """A drifted annotated text: say which spans re-cleaning would lose, or that none would be."""
    if problem.code != "text-drift" or task is None:
        return problem
    lost = [p for ann in task.annotations if not ann.was_cancelled for p in anchor(task, ann, new_text)[2]]
    if not lost:
        extra = "; every span would re-anchor onto the re-cleaned text, so `builder clean` can rewrite it safely"
    else:
        shown = "; ".join(p.message for p in lost[:5]) + ("; …" if len(lost) > 5 else "")
        extra = f"; re-cleaning would lose {len(lost)} span(s): {shown}"
    return replace(problem, message=problem.message + extra)


def provenance_notices(out: Outcome) -> list[Notice]:
    """A credited agency the annotated chain leaves out is worth a look, not an error."""
    notices = []
    for doc in out.documents:
        missing = [a for a in suggested_provenance(doc.source, doc.cleaned, out.scheme) if a not in doc.gold.provenance]
        if missing:
            notices.append(Notice(
                "provenance-unconfirmed", doc.task.file, doc.task.record,
                f"the page credits {missing}, which the annotated chain {' > '.join(doc.gold.provenance)} leaves out", len(missing),
            ))
    return notices


def validate_rows(out: Outcome, batch_rows: int = 1_000) -> list[Problem]:
    """Every derived row through the writer's own contract: label encoding and the Arrow cast to the
    config's schema (fast); the JSON Schema only explains a row that fails."""
    import pyarrow as pa

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
                    pa.RecordBatch.from_pylist([enc(row, counts) for row in chunk], schema=arrow)
                except (encode.UnknownLabel, encode.NaiveTime, pa.ArrowException, TypeError, ValueError, AttributeError):
                    problems += _explain_rows(out, config, chunk)
    return problems


def _explain_rows(out: Outcome, config: str, rows: list[dict[str, Any]]) -> list[Problem]:
    validator = schema.RowValidator(config, out.scheme)
    tasks = {d.source.doc_id: d.task for d in out.documents}
    problems = []
    for row in rows:
        task = tasks.get(row["doc_id"])
        for pointer, message in validator.errors(row):
            problems.append(Problem(
                "output-schema-violation", task.file if task else "raw/sources.csv", f"{config} row {row.get('id', row['doc_id'])}",
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
