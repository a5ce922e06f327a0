"""The repository ⇄ a running Label Studio project (SDK 2.x): setup, push, predict. Never prints.

* `setup`:   annotations/labeling_config.xml → the project found by title (created, updated, or left alone).
             A config that would orphan labels, choices, taxonomy paths, relation labels, controls or objects
             that annotations ON THE SERVER use is refused (`ConfigConflict`, naming each value and how many
             annotations use it); Label Studio 1.23 itself accepts such a config silently.
* `push`:    text/<doc_id>.txt + raw/sources.csv → one task per document, data {doc_id, text, title, outlet}
             (the same task data `builder gold` imports), keyed by data.doc_id. A changed text updates the task
             only while it has no annotation, no cancelled annotation and no draft; otherwise it is skipped
             with the reason. Tasks are looked up by data.doc_id over every page of the project's task list.
* `predict`: entity surfaces of the gold of OTHER documents (annotations/export/*.json) → a gazetteer
             (surface → majority label) → whole-word matches, longest first, never overlapping → one Label
             Studio prediction per unannotated task, model_version "gazetteer-<sha256 of the gazetteer, 12
             hex>". Re-running changes nothing; a changed gazetteer replaces the old gazetteer prediction.

Connecting, errors and task listing: builder.labelstudio.session; `pull`: builder.labelstudio.pull.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from builder.config import BuildConfig
from builder.errors import BadConfig, MissingInput
from builder.labelstudio.gazetteer import GAZETTEER_PREFIX, gazetteer, gazetteer_version, gold_surfaces, match
from builder.labelstudio.goldspec import GoldDoc, title_of
from builder.labelstudio.pull import download_export, parse_export
from builder.labelstudio.session import ConfigConflict, LabelStudioError, Project, Session, find_project, list_tasks
from builder.read.sources import read_sources
from builder.read.textfiles import read_text

DESCRIPTION = "Bengali news: entities, source attribution, stance. Managed by `builder ls` (annotations/labeling_config.xml)."


# ---------------------------------------------------------------------------------------------------------------
# connection


# ---------------------------------------------------------------------------------------------------------------
# export download and parsing (also used by builder.labelstudio.gold)


# ---------------------------------------------------------------------------------------------------------------
# setup: the labeling config, and what annotations on the server would lose


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """What a labeling config allows, in the terms of exported result items."""

    controls: dict[str, str]  # control name → result type (tag, lower case)
    values: dict[str, frozenset[str]]  # Labels/Choices name → Label/Choice values
    paths: dict[str, frozenset[tuple[str, ...]]]  # Taxonomy name → every node path
    relations: frozenset[str]
    objects: frozenset[str]  # object tags (Text, …) results point to via to_name


def vocabulary(config_xml: str, where: str = "labeling config") -> Vocabulary:
    try:
        root = ET.fromstring(config_xml)
    except ET.ParseError as e:
        raise BadConfig(f"{where}: not well-formed XML ({e})", "fix the XML; Label Studio rejects it too") from None
    controls: dict[str, str] = {}
    values: dict[str, frozenset[str]] = {}
    paths: dict[str, frozenset[tuple[str, ...]]] = {}
    objects: set[str] = set()
    for el in root.iter():
        name = el.get("name")
        if not name:
            continue
        if el.get("toName") is None:
            if (el.get("value") or "").startswith("$"):
                objects.add(name)
            continue
        controls[name] = el.tag.lower()
        if el.tag == "Taxonomy":
            paths[name] = frozenset(_tree_paths(el, ()))
        else:
            values[name] = frozenset(v for child in el.iter() if child is not el and (v := child.get("value")) is not None)
    relations = frozenset(r.get("value", "") for rel in root.iter("Relations") for r in rel.iter("Relation"))
    return Vocabulary(controls, values, paths, relations, frozenset(objects))


def _tree_paths(el: ET.Element, prefix: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    for child in el:
        if child.tag == "Choice" and child.get("value") is not None:
            path = (*prefix, child.get("value", ""))
            yield path
            yield from _tree_paths(child, path)


def _orphaned_keys(item: Mapping[str, Any], vocab: Vocabulary) -> Iterator[str]:
    """Readable names of what a result item uses that `vocab` does not allow."""
    if item.get("type") == "relation":
        yield from (f"relation label {label!r}" for label in item.get("labels") or [] if label not in vocab.relations)
        return
    name, kind, value = item.get("from_name"), item.get("type"), item.get("value") or {}
    if item.get("to_name") not in vocab.objects:
        yield f"object {item.get('to_name')!r}"
    if vocab.controls.get(name) != kind:
        yield f"control {name!r} ({kind})"  # gone, or now another kind: every value of it is lost
        return
    if kind == "taxonomy":
        yield from (f"{name}: {' → '.join(p)}" for p in value.get("taxonomy") or [] if tuple(p) not in vocab.paths[name])
    elif kind in value and name in vocab.values and kind != "textarea":
        yield from (f"{name}: {v}" for v in value[kind] if v not in vocab.values[name])


def orphans(config_xml: str, tasks: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Values used by the tasks' annotations that the config does not allow → number of annotations using each."""
    vocab = vocabulary(config_xml)
    counts: Counter[str] = Counter()
    for task in tasks:
        for ann in task.get("annotations") or []:
            counts.update({key for item in ann.get("result") or [] for key in _orphaned_keys(item, vocab)})
    return dict(sorted(counts.items()))


@dataclass(frozen=True, slots=True)
class SetupReport:
    project: Project
    action: str  # created, updated, unchanged


def setup(session: Session, title: str, config_xml: str) -> SetupReport:
    """Create the project, or bring its labeling config up to date; refuses configs that orphan used values."""
    vocabulary(config_xml)  # a malformed file fails here, before the server is touched
    project = find_project(session, title)
    ls = session.client
    if project is None:
        with session.api(f"creating project {title!r}"):
            created = ls.projects.create(title=title, label_config=config_xml, description=DESCRIPTION)
        return SetupReport(Project(created.id, title), "created")
    with session.api(f"reading project {title!r}"):
        current = ls.projects.get(project.id).label_config or ""
    if current.strip() == config_xml.strip():  # the server strips trailing whitespace off the stored config
        return SetupReport(project, "unchanged")
    with session.api(f"exporting project {title!r} to check its annotations"):
        tasks = parse_export(download_export(ls, project.id), f"the export of project {title!r}")
    lost = orphans(config_xml, tasks)
    if lost:
        listing = "\n".join(f"  {key} — used by {n} annotation(s)" for key, n in lost.items())
        raise ConfigConflict(
            f"refusing to change the labeling config of project {title!r} (id {project.id}): "
            f"{len(lost)} value(s) used by annotations on the server would be orphaned:\n{listing}",
            "keep these values in the labeling config (append new ones, never remove or rename used ones), "
            "or change those annotations in Label Studio first; nothing was changed",
        )
    with session.api(f"updating the labeling config of project {title!r}"):
        ls.projects.update(id=project.id, label_config=config_xml)
    return SetupReport(project, "updated")


# ---------------------------------------------------------------------------------------------------------------
# push: documents → tasks


@dataclass(frozen=True, slots=True)
class LocalDoc:
    doc_id: str
    data: dict[str, str]  # the task data: doc_id, text, title, outlet


def task_data(doc_id: str, text: str, outlet: str) -> dict[str, str]:
    """The same task data `builder gold` imports, so pushed and gold-seeded projects agree."""
    return GoldDoc(doc_id=doc_id, outlet=outlet, title=title_of(text), text=text, items=[]).task_data


def local_documents(cfg: BuildConfig, doc_ids: Sequence[str] = ()) -> tuple[list[LocalDoc], list[tuple[str, str]]]:
    """Documents of raw/sources.csv with a cleaned text (all, or the given ids) and (doc_id, reason) skipped."""
    sources, problems = read_sources(cfg.path(cfg.raw_dir))
    outlets = {s.doc_id: s.outlet for s in sources}
    unknown = sorted(set(doc_ids) - set(outlets))
    if unknown:
        raise MissingInput(f"not in raw/sources.csv (or its row has problems): {', '.join(unknown)}",
                           "check the ids; `builder check` lists rows with problems")  # fmt: skip
    docs, skipped = [], []
    for doc_id in doc_ids or sorted(outlets):
        text = read_text(cfg.path(cfg.text_dir), doc_id)
        if text is None:
            skipped.append((doc_id, f"no {cfg.text_dir}/{doc_id}.txt; run `builder clean`"))
        else:
            docs.append(LocalDoc(doc_id, task_data(doc_id, text, outlets[doc_id])))
    if problems and not doc_ids:
        skipped.append(("raw/sources.csv", f"{len({p.record for p in problems})} row(s) with problems left out; run `builder check`"))
    return docs, skipped


def _busy(task: Any) -> str | None:
    """Why a task's data must not change (its offsets are in use), or None."""
    done = (task.total_annotations or 0) + (task.cancelled_annotations or 0)
    if done:
        return f"task {task.id} has {done} annotation(s)"
    if task.draft_exists or task.drafts:
        return f"task {task.id} has a draft in progress"
    return None


@dataclass(slots=True)
class PushReport:
    project: Project
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (doc_id, reason)


def push(session: Session, project: Project, docs: Sequence[LocalDoc]) -> PushReport:
    """Create missing tasks, update unannotated ones whose data changed, never touch annotated ones."""
    report = PushReport(project)
    existing = list_tasks(session, project)
    new = []
    for doc in docs:
        tasks = existing.get(doc.doc_id, [])
        if len(tasks) > 1:
            ids = ", ".join(str(t.id) for t in tasks)
            report.skipped.append((doc.doc_id, f"{len(tasks)} tasks carry this doc_id (ids {ids}); delete the extra ones in Label Studio"))
        elif not tasks:
            new.append(doc)
        elif dict(tasks[0].data) == doc.data:
            report.unchanged.append(doc.doc_id)
        elif reason := _busy(tasks[0]):
            report.skipped.append((doc.doc_id, f"the text changed but {reason}; it is never overwritten"))
        else:
            with session.api(f"updating task {tasks[0].id} ({doc.doc_id})"):
                session.client.tasks.update(id=str(tasks[0].id), data=doc.data)
            report.updated.append(doc.doc_id)
    if new:
        with session.api(f"importing {len(new)} task(s) into project {project.title!r}"):
            imported = session.client.projects.import_tasks(id=project.id, request=[{"data": d.data} for d in new], return_task_ids=True)
        if len(imported.task_ids or []) != len(new):
            raise LabelStudioError(f"Label Studio imported {len(imported.task_ids or [])} task(s) for {len(new)} document(s)",
                                   "run `builder ls push` again: it never duplicates a task")  # fmt: skip
        report.created = [d.doc_id for d in new]
    return report


# ---------------------------------------------------------------------------------------------------------------
# predict: a gazetteer from the gold of other documents → predictions (builder.labelstudio.gazetteer)


@dataclass(slots=True)
class PredictReport:
    project: Project
    created: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)  # an older gazetteer prediction was deleted
    unchanged: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def predict(session: Session, project: Project, cfg: BuildConfig, docs: Sequence[LocalDoc]) -> PredictReport:
    """One gazetteer prediction per unannotated task of `docs`; idempotent (see the module docstring)."""
    report = PredictReport(project)
    surfaces = gold_surfaces(cfg)
    tasks = list_tasks(session, project)
    ls = session.client
    for doc in docs:
        found = tasks.get(doc.doc_id, [])
        if len(found) != 1:
            report.skipped.append((doc.doc_id, "no task; run `builder ls push` first" if not found else f"{len(found)} tasks carry this doc_id"))
            continue
        task = found[0]
        if reason := _busy(task):
            report.skipped.append((doc.doc_id, f"{reason}; pre-annotations are only for unannotated tasks"))
            continue
        gaz = gazetteer(surfaces, exclude=doc.doc_id)
        items, version = match(task.data["text"], gaz), gazetteer_version(gaz)
        with session.api(f"reading the predictions of task {task.id} ({doc.doc_id})"):
            ours = [p for p in ls.predictions.list(task=task.id) if (p.model_version or "").startswith(GAZETTEER_PREFIX)]
        if len(ours) == 1 and ours[0].model_version == version and ours[0].result == items:
            report.unchanged.append(doc.doc_id)
            continue
        with session.api(f"replacing the gazetteer prediction of task {task.id} ({doc.doc_id})"):
            for old in ours:
                ls.predictions.delete(id=old.id)
            if items:
                ls.predictions.create(task=task.id, result=items, model_version=version)
        if not items:
            report.skipped.append((doc.doc_id, "no gazetteer surface occurs in the text" + (" (old prediction removed)" if ours else "")))
        else:
            (report.replaced if ours else report.created).append(doc.doc_id)
    return report


# ---------------------------------------------------------------------------------------------------------------
# pull: the full export → one stable file per annotated document, all or nothing


