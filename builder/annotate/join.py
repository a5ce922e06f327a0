"""Sources + cleaned texts + export tasks → joined Documents, by doc_id. Refuses orphans.

Offsets are first brought onto the committed text (builder.annotate.anchor: convention repair, then
re-anchoring when the text changed after annotation).

The gold policy lives in builder.annotate.adjudicate. Every non-cancelled annotation is validated and
kept (the `annotations` config), so a broken second opinion is reported, not hidden.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass, field, replace

from builder.annotate.adjudicate import Adjudication, adjudicate
from builder.annotate.anchor import Notice, anchor
from builder.annotate.annotation import Gold, parse_annotation
from builder.read.export import Task
from builder.records import Cleaned, Problem, Source
from builder.scheme import Scheme


@dataclass(frozen=True, slots=True)
class Joined1:
    """One document with everything the derive stage needs."""

    source: Source
    cleaned: Cleaned
    text: str
    task: Task
    gold: Gold
    adjudication: Adjudication
    annotations: tuple[Gold, ...]  # every non-cancelled annotation, parsed, in id order


@dataclass(slots=True)
class Joined:
    pairs: list[Joined1] = field(default_factory=list)
    unannotated: list[str] = field(default_factory=list)  # doc_ids without a usable annotation
    problems: list[Problem] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)  # offsets repaired, spans re-anchored


def unknown_doc(task: Task) -> Problem:
    return Problem(
        "annotation-unknown-doc", task.file, task.record, f"{task.pointer}/data/doc_id",
        f"no document {task.doc_id!r} in raw/sources.csv (or its row has a problem, listed above)",
        "add the page to raw/ and raw/sources.csv, or delete the stale export",
    )


def misnamed(task: Task, known: Container[str]) -> Problem:
    """A task found in the export file named after another document."""
    if task.doc_id not in known:
        return unknown_doc(task)
    return Problem(
        "export-misnamed", task.file, task.record, f"{task.pointer}/data/doc_id",
        f"the file is named after another document but holds the task of {task.doc_id!r}",
        f"an export file is named <doc_id>.json after its own task: move this task to {task.doc_id}.json "
        "(`builder ls pull` writes them so)",
    )


def join(
    sources: dict[str, Source],
    cleaned: dict[str, tuple[Cleaned, str]],
    tasks: list[Task],
    scheme: Scheme,
    registry_file: str,
    reviewers: tuple[str, ...] = (),
) -> Joined:
    """`cleaned` maps doc_id → (cleaner output, committed text); tasks come from every export file."""
    out = Joined()
    seen: dict[str, Task] = {}
    for task in tasks:
        if task.doc_id not in sources:
            out.problems.append(unknown_doc(task))
            continue
        if task.doc_id in seen:
            first = seen[task.doc_id]
            out.problems.append(Problem(
                "duplicate-task", task.file, task.record, f"{task.pointer}/data/doc_id",
                f"doc_id {task.doc_id!r} is also annotated in {first.file} ({first.record})",
                "keep one task per document; merge the annotations in Label Studio and pull again",
            ))
            continue
        seen[task.doc_id] = task
        if task.doc_id not in cleaned:
            continue  # the cleaning stage already reported why this document has no text
        source = sources[task.doc_id]
        clean, text = cleaned[task.doc_id]
        anchored, problems_before = [], len(out.problems)
        for ann in task.annotations:
            fixed, notices, found = anchor(task, ann, text)
            anchored.append(fixed)
            out.notices += notices
            out.problems += found
        if len(out.problems) > problems_before:
            continue  # spans lost in re-anchoring are listed above, for review
        task = replace(task, annotations=tuple(anchored))
        parsed: list[Gold] = []
        for ann in sorted(task.annotations, key=lambda a: a.id):
            if ann.was_cancelled:
                continue
            gold, found = parse_annotation(task, ann, text, scheme)
            out.problems += found
            if gold is not None:
                parsed.append(gold)
        verdict = adjudicate(task.annotations, reviewers)
        if verdict is None:
            out.unannotated.append(task.doc_id)
            continue
        if len(parsed) != sum(1 for a in task.annotations if not a.was_cancelled):
            continue  # a broken annotation was reported above; its document waits for the fix
        if verdict.policy == "majority":
            gold, found = parse_annotation(task, verdict.gold, text, scheme)
            if gold is None:
                ids = ", ".join(str(a.id) for a in verdict.sources)
                out.problems.append(Problem(
                    "merge-inconsistent", task.file, task.record, f"{task.pointer}/annotations",
                    f"the majority merge of annotations {ids} is not a valid annotation: {found[0].code}: {found[0].message}",
                    "the annotators disagree on linked regions; adjudicate in Label Studio (mark one annotation ground truth) and pull again",
                ))
                continue
            if verdict.dropped:
                ids = ", ".join(str(a.id) for a in verdict.sources)
                counts = ", ".join(f"{layer} {n}" for layer, n in verdict.dropped)
                out.notices.append(Notice(
                    "merge-dropped", task.file, task.record,
                    f"the majority merge of annotations {ids} left out what fewer than a majority made: {counts}; "
                    "mark one annotation ground truth in Label Studio to choose instead",
                    sum(n for _, n in verdict.dropped),
                ))
        else:
            gold = next(g for g in parsed if g.annotation.id == verdict.gold.id)
        if not (gold.entities or gold.attributions or gold.doc_stances):
            ids = ", ".join(str(a.id) for a in verdict.sources)
            out.problems.append(Problem(
                "gold-empty", task.file, task.record, f"{task.pointer}/annotations",
                f"the gold ({verdict.policy} of annotations {ids}) has no entity, attribution or stance although "
                f"the task has {len(parsed)} annotation(s)",
                "the annotators agree on nothing, or the annotation is blank: mark the right annotation ground truth "
                "in Label Studio (or cancel the blank one) and pull again",
            ))
            continue
        if source.outlet not in scheme.registry:
            out.problems.append(Problem(
                "unknown-registry-id", "raw/sources.csv", f"doc_id={source.doc_id}", "outlet",
                f"outlet {source.outlet!r} is not an id in {registry_file}", "add the outlet to the registry or fix the spelling",
            ))
            continue
        if gold.provenance and gold.provenance[0] != source.outlet:
            out.problems.append(Problem(
                "provenance-outlet-mismatch", task.file, task.record, f"{gold.annotation.pointer}/result",
                f"provenance starts with {gold.provenance[0]!r} but raw/sources.csv says the outlet is {source.outlet!r}",
                "the chain starts with the publishing outlet, e.g. 'BSS > AFP > KCNA'",
            ))
            continue
        out.pairs.append(Joined1(source, clean, text, task, gold, verdict, tuple(parsed)))
    for doc_id in sorted(set(cleaned) - set(seen)):
        out.unannotated.append(doc_id)
    out.unannotated.sort()
    return out
