"""The map step: one document's inputs → its rows for every config, its problems and notices.

Inputs are what belongs to one doc_id: its raw/sources.csv row, its capture (read here), its committed
text and the export tasks that carry its doc_id. Nothing here looks at another document, so documents
can be processed in any order, in any process, and the results merged in doc_id order (builder.run.pipeline).
What only the whole corpus can see — a task whose doc_id no row lists, one doc_id in two export files —
is found before the map, from the tasks' doc_ids alone.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builder.annotate.anchor import Notice
from builder.annotate.join import join
from builder.derive import tokens
from builder.derive.rows import (
    Document,
    annotation_rows,
    attribution_rows,
    document_row,
    ner_rows,
    raw_row,
    stance_rows,
    suggested_provenance,
)
from builder.derive.split import assign_split
from builder.read.export import Task, read_export
from builder.read.textfiles import compare
from builder.records import Problem, Source
from builder.scheme import Scheme


@dataclass(frozen=True, slots=True)
class Context:
    """Everything a document's processing needs besides its own inputs (picklable, small)."""

    raw_dir: Path
    text_dir: Path
    scheme: Scheme
    registry_file: str
    reviewers: tuple[str, ...]
    split_salt: str
    split_ratios: dict[str, int]
    root: Path | None = None  # repository root: export files are named relative to it


@dataclass(slots=True)
class DocResult:
    doc_id: str
    split: str
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # config → rows of this document
    problems: list[Problem] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    annotated: bool = False  # reached the documents config
    unannotated: bool = False  # has a text but no usable annotation yet
    task_file: str = ""  # the export file of its gold
    document: Document | None = None  # in-process callers only; not sent back from worker processes
    outputs: dict[str, Any] = field(default_factory=dict)  # its counts and export pieces, once written (builder.write.parts), for the cache
    foreign: list[Task] = field(default_factory=list)  # tasks of other doc_ids found in this document's export file


def process(source: Source, tasks: list[Task], ctx: Context, export: Path | None = None) -> DocResult:
    """`tasks`: this document's tasks found in other files; `export`: its own export file, read here."""
    # Imported on the first call: the builder's own process only stages and merges, and without the
    # cleaners (trafilatura, lxml) it stays smaller by about 30 MB while the workers run.
    from builder.clean.pages import clean_source

    split = assign_split(source.doc_id, salt=ctx.split_salt, ratios=ctx.split_ratios, explicit=source.split)
    out = DocResult(source.doc_id, split)
    if export is not None:
        root = ctx.root or export.parent
        file_tasks, found = read_export(export, Path(os.path.relpath(export, root)).as_posix(), root)
        out.problems += found
        out.foreign = [t for t in file_tasks if t.doc_id != source.doc_id]
        # the order the tasks would have in one pass over the sorted files: the first one counts
        tasks = sorted(tasks + [t for t in file_tasks if t.doc_id == source.doc_id], key=lambda t: (t.file, t.pointer))
    clean, found = clean_source(source, ctx.raw_dir)
    out.problems += found
    if clean is None:
        return out
    annotated = any(not a.was_cancelled for t in tasks for a in t.annotations)
    drift = compare(ctx.text_dir, clean, annotated)
    out.problems += [_with_lost_spans(p, tasks[0] if tasks else None, clean.text) for p in drift]
    if drift:
        return out
    text = clean.text  # compare found the committed text equal to it (read again, it would be the same string)
    joined = join({source.doc_id: source}, {source.doc_id: (clean, text)}, tasks, ctx.scheme, ctx.registry_file, ctx.reviewers)
    out.problems += joined.problems
    out.notices += joined.notices
    out.unannotated = bool(joined.unannotated)
    doc = None
    if joined.pairs:
        (j,) = joined.pairs
        doc = Document(j.source, j.cleaned, j.text, j.task, j.gold, split, j.adjudication, j.annotations)
        out.annotated, out.document, out.task_file = True, doc, j.task.file
    out.rows["raw"] = [raw_row(source, clean, text, out.annotated, ctx.scheme)]
    if doc is None:
        return out
    out.rows["documents"] = [document_row(doc, ctx.scheme)]
    out.rows["ner"], found = ner_rows(doc, ctx.scheme, tokens.sentences(doc.text))
    out.problems += found
    out.rows["attribution"] = list(attribution_rows(doc, ctx.scheme))
    out.rows["stance"] = stance_rows(doc, ctx.scheme)
    out.rows["annotations"] = list(annotation_rows(doc, ctx.scheme))
    out.notices += provenance_notices(doc, ctx.scheme)
    return out


def provenance_notices(doc: Document, scheme: Scheme) -> list[Notice]:
    """A credited agency the annotated chain leaves out is worth a look, not an error."""
    missing = [a for a in suggested_provenance(doc.source, doc.cleaned, scheme) if a not in doc.gold.provenance]
    if not missing:
        return []
    return [Notice(
        "provenance-unconfirmed", doc.task.file, doc.task.record,
        f"the page credits {missing}, which the annotated chain {' > '.join(doc.gold.provenance)} leaves out", len(missing),
    )]


def _with_lost_spans(problem: Problem, task: Task | None, new_text: str) -> Problem:
    """A drifted annotated text: say which spans re-cleaning would lose, or that none would be."""
    from dataclasses import replace

    from builder.annotate.anchor import anchor

    if problem.code != "text-drift" or task is None:
        return problem
    lost = [p for ann in task.annotations if not ann.was_cancelled for p in anchor(task, ann, new_text)[2]]
    if not lost:
        extra = "; every span would re-anchor onto the re-cleaned text, so `builder clean` can rewrite it safely"
    else:
        shown = "; ".join(p.message for p in lost[:5]) + ("; …" if len(lost) > 5 else "")
        extra = f"; re-cleaning would lose {len(lost)} span(s): {shown}"
    return replace(problem, message=problem.message + extra)
