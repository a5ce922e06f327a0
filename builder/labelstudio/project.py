"""The repository ⇄ a running Label Studio project (SDK 2.x): setup, push, predict, pull. Never prints.

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
* `pull`:    the project's full JSON export → annotations/export/<doc_id>.json, a JSON list holding one task,
             for every task with at least one annotation (cancelled ones included: the builder drops them).

Pull is all-or-nothing: the whole export is downloaded and parsed (and its task count checked against the
project's) before anything is written; changed files go to a temporary folder next to the export folder and
are then moved into place with os.replace, one atomic rename per file. Formatting is fixed for reviewable
git diffs: `json.dumps(task_list, ensure_ascii=False, indent=2, sort_keys=True) + "\\n"`.

What pull changes in the export, deliberately:
* `drafts` is dropped from every task: drafts are an annotator's unsaved work in progress; they come and go
  while someone has the task open in the UI, so a pull would differ from the next one without any annotation
  changing. They are not annotations and the builder never reads them.
* annotations are sorted by id (the server's order is not documented).
Nothing else is volatile in the plain JSON export of Label Studio 1.23.2 (checked: two exports of an unchanged
project are byte-identical; `created_ago` exists only in export snapshots, which pull does not use). Creating
a prediction bumps the task's `updated_at` and its `predictions`/`total_predictions`, so `predict` leaves tasks
with annotations alone: re-running push/predict never changes a pulled file.

The API token is only handed to the SDK; no message, report or file of this module contains it.
Seam for fault tests: `pull(..., fetch=...)` replaces the download (a callable returning the raw export bytes);
parsing, the completeness check and the atomic write are the same code either way.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from builder.labelstudio import pullplan
from builder.config import BuildConfig
from builder.errors import BadConfig, BuildError, MissingInput
from builder.read.export import check_raw_task
from builder.labelstudio.gazetteer import GAZETTEER_PREFIX, gazetteer, gazetteer_version, gold_surfaces, match
from builder.labelstudio.gold import GoldDoc, title_of
from builder.labelstudio.pullplan import PullPlan
from builder.read.sources import read_sources
from builder.read.textfiles import read_text

URL_ENV = "LABEL_STUDIO_URL"
TOKEN_ENV = "LABEL_STUDIO_API_KEY"
DEFAULT_TITLE = "bn-news"  # used unless BuildConfig carries `ls_project` ([tool.builder] in pyproject.toml)
DESCRIPTION = "Bengali news: entities, source attribution, stance. Managed by `builder ls` (annotations/labeling_config.xml)."
PAGE_SIZE = 100  # tasks per page when listing a project (tests lower it to exercise pagination)
DROPPED_TASK_FIELDS = ("drafts",)  # see the module docstring
_DOC_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


class LabelStudioError(BuildError):
    """Label Studio answered with an error, or its answer cannot be used."""


class ServerUnreachable(LabelStudioError):
    """No Label Studio answers at the URL (connection refused, DNS, timeout)."""


class AuthFailed(LabelStudioError):
    """No token, or the server rejected it (401/403)."""


class ProjectMissing(LabelStudioError):
    """No project with the title exists (push/pull/predict before setup)."""


class ConfigConflict(LabelStudioError):
    """The new labeling config would orphan values that annotations on the server use."""


class ExportIncomplete(LabelStudioError):
    """The export did not arrive complete (truncated, broken off, or fewer tasks than the project has)."""


# ---------------------------------------------------------------------------------------------------------------
# connection


@dataclass(frozen=True, slots=True)
class Project:
    id: int
    title: str


_REPEAT = "retry: setup, push, predict and pull are safe to repeat"


class Session:
    """An authenticated SDK client plus the URL for messages. repr() never shows the token."""

    def __init__(self, url: str, client: Any) -> None:
        self.url = url
        self.client = client

    def __repr__(self) -> str:
        return f"Session({self.url})"

    @contextmanager
    def api(self, what: str, *, broken: type[LabelStudioError] | None = None, hint: str = _REPEAT) -> Iterator[None]:
        """Translate SDK/httpx failures into BuildErrors with hints (messages never carry the token).

        `broken` and `hint` are what a connection that breaks off mid-answer raises and says.
        """
        from label_studio_sdk.core.api_error import ApiError

        try:
            yield
        except httpx.ConnectError as e:
            raise ServerUnreachable(f"{what}: cannot connect to Label Studio at {self.url} ({e})", _UNREACHABLE) from None
        except httpx.TimeoutException as e:
            raise ServerUnreachable(f"{what}: Label Studio at {self.url} did not answer in time ({type(e).__name__})",
                                    "the server may be overloaded; retry") from None  # fmt: skip
        except httpx.HTTPError as e:  # RemoteProtocolError, ReadError, …: the answer broke off
            raise (broken or LabelStudioError)(f"{what}: the connection to {self.url} broke off ({e})", hint) from None
        except ApiError as e:
            detail = _detail(e.body)
            if e.status_code in (401, 403):
                raise AuthFailed(f"{what}: Label Studio at {self.url} rejected the API token (HTTP {e.status_code}: {detail})",
                                 _TOKEN_HINT) from None  # fmt: skip
            raise LabelStudioError(f"{what}: Label Studio answered HTTP {e.status_code}: {detail}",
                                   "see the server log for details") from None  # fmt: skip


_UNREACHABLE = f"start the server (`builder server`, or your team's instance) and check {URL_ENV} / --url"
_TOKEN_HINT = (
    f"set {TOKEN_ENV} (or --token) to the API token shown in Label Studio under Account & Settings; "
    "a legacy token only works when legacy tokens are enabled for the organisation"
)


def _detail(body: Any) -> str:
    if isinstance(body, dict):
        parts = [str(body.get("detail") or "")]
        if body.get("validation_errors"):
            parts.append(json.dumps(body["validation_errors"], ensure_ascii=False))
        return " ".join(p for p in parts if p) or "no detail"
    return str(body)[:300] if body else "no detail"


def connect(url: str | None, token: str | None, *, timeout: float = 60.0) -> Session:
    """Check the URL answers and the token is accepted (whoami); the SDK client for everything else."""
    if not url:
        raise LabelStudioError("no Label Studio URL given", f"set {URL_ENV} or pass --url, e.g. http://127.0.0.1:8080")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        raise LabelStudioError(f"{URL_ENV} / --url must be an http(s) URL without credentials, got {parts.scheme}://{parts.hostname}",
                               "e.g. http://127.0.0.1:8080")  # fmt: skip
    if not token:
        raise AuthFailed("no Label Studio API token given", _TOKEN_HINT)
    url = url.rstrip("/")
    # A bare health probe first: the SDK retries refused connections with back-off, which only delays the error.
    try:
        httpx.get(f"{url}/health", timeout=min(timeout, 10.0))
    except httpx.HTTPError as e:
        raise ServerUnreachable(f"cannot connect to Label Studio at {url} ({e or type(e).__name__})", _UNREACHABLE) from None
    # heavy import (~1.5 s): only once a server answers
    from label_studio_sdk import LabelStudio

    session = Session(url, None)
    with session.api("authentication"):
        session.client = LabelStudio(base_url=url, api_key=token, timeout=timeout)
        session.client.users.whoami()
    return session


def default_title(cfg: BuildConfig) -> str:
    return cfg.ls_project or DEFAULT_TITLE


def find_project(session: Session, title: str) -> Project | None:
    """The project with exactly this title; several with one title is an error (which one would be meant?)."""
    with session.api(f"looking up project {title!r}"):
        found = [Project(p.id, p.title) for p in session.client.projects.list(title=title, page_size=PAGE_SIZE) if p.title == title]
    if len(found) > 1:
        raise LabelStudioError(f"{len(found)} projects are titled {title!r} (ids {', '.join(str(p.id) for p in found)})",
                               "rename or delete the extra projects in Label Studio, or pass --title")  # fmt: skip
    return found[0] if found else None


def require_project(session: Session, title: str) -> Project:
    project = find_project(session, title)
    if project is None:
        raise ProjectMissing(f"Label Studio at {session.url} has no project titled {title!r}",
                             "run `builder ls setup` first (or pass --title of an existing project)")  # fmt: skip
    return project


# ---------------------------------------------------------------------------------------------------------------
# export download and parsing (also used by builder.labelstudio.gold)


def download_export(client: Any, project_id: int) -> bytes:
    """The project's full JSON export (every task, annotations with completed_by ids), as raw bytes."""
    return b"".join(client.projects.exports.download_sync(project_id, export_type="JSON", download_all_tasks=True))


def parse_export(raw: bytes, where: str = "the export") -> list[dict[str, Any]]:
    """Raw export bytes → list of task dicts; anything but a complete list of tasks is ExportIncomplete."""
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        reason = f"{e.msg} at byte {e.pos}" if isinstance(e, json.JSONDecodeError) else e.reason
        raise ExportIncomplete(f"{where} is not complete JSON ({reason}; {len(raw)} bytes arrived)",
                               "nothing was written; retry the pull (a half-written export is never used)") from None  # fmt: skip
    if not isinstance(data, list):
        raise ExportIncomplete(f"{where} is a {type(data).__name__}, not a list of tasks", "nothing was written; retry the pull")
    for i, task in enumerate(data):
        ok = (isinstance(task, dict) and isinstance(task.get("id"), int) and isinstance(task.get("data"), dict)
              and isinstance(task["data"].get("doc_id"), str) and isinstance(task.get("annotations", []), list))  # fmt: skip
        if not ok:
            raise LabelStudioError(f"{where}: task #{i} has no integer id, data.doc_id or annotations list",
                                   "import tasks with `builder ls push`, which always sets data.doc_id")  # fmt: skip
    return data


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


def list_tasks(session: Session, project: Project) -> dict[str, list[Any]]:
    """data.doc_id → the project's tasks carrying it, over every page of the task list."""
    by_doc: dict[str, list[Any]] = defaultdict(list)
    with session.api(f"listing the tasks of project {project.title!r}"):
        for task in session.client.tasks.list(project=project.id, page_size=PAGE_SIZE):
            doc_id = (task.data or {}).get("doc_id")
            if isinstance(doc_id, str):
                by_doc[doc_id].append(task)
    return by_doc


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


def render(tasks: list[dict[str, Any]]) -> str:
    """The committed formatting: sorted keys, two-space indent, real UTF-8, final newline."""
    return json.dumps(tasks, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def normalise(task: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in task.items() if k not in DROPPED_TASK_FIELDS}
    out["annotations"] = sorted(task.get("annotations") or [], key=lambda a: a.get("id", 0))
    return out


@dataclass(slots=True)
class PullReport:
    project: Project | None
    written: list[Path] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    unannotated: int = 0  # tasks on the server without any annotation: not written
    kept: list[str] = field(default_factory=list)  # local files the export has no annotated task for: left alone
    plan: PullPlan = field(default_factory=PullPlan)  # annotation by annotation, what the pull changes
    backup: Path | None = None  # where the local files a --replace pull overwrote were saved
    dry_run: bool = False


class PullRefused(LabelStudioError):
    """The pull would remove or replace annotations that the local export has."""


def _refusal(plan: PullPlan) -> PullRefused:
    bad = plan.destructive
    resets = plan.reset
    head = (f"refusing to pull: {len(bad)} local export file(s) would lose or replace annotations; nothing was written"
            + (f"\n  the server looks reset or is another server for {len(resets)} document(s)" if resets else ""))  # fmt: skip
    return PullRefused(
        head + "\n" + "\n".join(plan.lines()),
        "if the server is the one the exports came from and its version is the one to keep, pull again with "
        f"--replace (the replaced files are saved under {pullplan.BACKUP_DIR}/); otherwise point --url at the right "
        "server, or leave annotations/export/ as it is",
    )


def write_exports(
    tasks: Sequence[Mapping[str, Any]],
    export_dir: Path,
    *,
    replace: bool = False,
    dry_run: bool = False,
    backup_root: Path | None = None,
    known: frozenset[str] | None = None,
) -> PullReport:
    """Write annotations/export/<doc_id>.json for every annotated task; untouched files stay byte-identical.

    Nothing is written when a file would lose or replace an annotation (PullRefused) unless `replace`;
    the files a replacing pull overwrites are first copied to `backup_root/<UTC time>/`.
    """
    by_doc: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    report = PullReport(None, dry_run=dry_run)
    for task in tasks:
        if task.get("annotations"):
            by_doc[task["data"]["doc_id"]].append(task)
        else:
            report.unannotated += 1
    if known is not None:
        strangers = sorted(d for d in by_doc if d not in known)
        if strangers:
            shown = ", ".join(repr(d) for d in strangers[:5]) + (" …" if len(strangers) > 5 else "")
            raise LabelStudioError(f"{len(strangers)} annotated task(s) carry a doc_id that raw/sources.csv does not list "
                                   f"({shown}); nothing was written",
                                   "the project holds tasks that are not this corpus's documents: delete them in Label "
                                   "Studio, or pull from the right project (--title)")  # fmt: skip
    # the export schema check `builder check` makes, on each task as the server sent it
    bad = [p for d in sorted(by_doc) for t in by_doc[d] for p in check_raw_task(dict(t), f"server task {t.get('id')}")] if known is not None else []
    if bad:
        raise LabelStudioError(f"{len(bad)} problem(s) in the server's tasks; nothing was written:\n"
                               + "\n".join(p.render() for p in bad[:10]),
                               "fix those tasks in Label Studio, then pull again")  # fmt: skip
    for doc_id, group in sorted(by_doc.items()):
        if len(group) > 1:
            ids = ", ".join(str(t["id"]) for t in group)
            raise LabelStudioError(f"doc_id {doc_id!r} is annotated in {len(group)} tasks (ids {ids}); nothing was written",
                                   "merge the annotations into one task in Label Studio, delete the others, pull again")  # fmt: skip
        if not _DOC_ID.fullmatch(doc_id) or ".." in doc_id:
            raise LabelStudioError(f"doc_id {doc_id!r} of task {group[0]['id']} is not a plain file stem; nothing was written",
                                   "fix data.doc_id of that task in Label Studio")  # fmt: skip
    local = sorted(p.stem for p in export_dir.glob("*.json")) if export_dir.is_dir() else []
    served = {doc_id: normalise(group[0]) for doc_id, group in by_doc.items()}
    report.plan = pullplan.plan(served, export_dir, local)
    if report.plan.destructive and not replace:
        raise _refusal(report.plan)
    changed: dict[str, bytes] = {}
    for doc_id, task in sorted(served.items()):
        content = render([task]).encode("utf-8")
        target = export_dir / f"{doc_id}.json"
        if target.is_file() and target.read_bytes() == content:
            report.unchanged.append(doc_id)
        else:
            changed[doc_id] = content
    report.kept = [d for d in local if d not in by_doc]
    if dry_run:
        report.written = [export_dir / f"{d}.json" for d in changed]  # what would be written
        return report
    if not changed:
        return report
    export_dir.mkdir(parents=True, exist_ok=True)
    overwritten = [d for d in changed if (export_dir / f"{d}.json").exists()]
    if overwritten and backup_root is not None and report.plan.destructive:
        report.backup = pullplan.backup(export_dir, overwritten, backup_root)
    # The temporary folder sits NEXT TO the export folder: same file system (os.replace is atomic), and the
    # builder, which reads export_dir/**/*.json, never sees half a pull.
    staging = Path(tempfile.mkdtemp(prefix=".ls-pull-", dir=export_dir.parent))
    try:
        for doc_id, content in changed.items():
            with open(staging / f"{doc_id}.json", "wb") as f:  # plain open: the usual umask mode
                f.write(content)
                f.flush()
                os.fsync(f.fileno())
        for doc_id in changed:
            os.replace(staging / f"{doc_id}.json", export_dir / f"{doc_id}.json")
            report.written.append(export_dir / f"{doc_id}.json")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return report


def pull(
    session: Session,
    project: Project,
    export_dir: Path,
    *,
    fetch: Callable[[], bytes] | None = None,
    replace: bool = False,
    dry_run: bool = False,
    backup_root: Path | None = None,
    known: frozenset[str] | None = None,
) -> PullReport:
    """Download the full export (or `fetch()` it: the test seam), check it is complete, then write it."""
    what = f"the export of project {project.title!r} (id {project.id})"
    with session.api(f"downloading {what}", broken=ExportIncomplete, hint="retry the pull; nothing was written"):
        raw = fetch() if fetch is not None else download_export(session.client, project.id)
    tasks = parse_export(raw, what)
    with session.api(f"counting the tasks of project {project.title!r}"):
        expected = session.client.projects.get(project.id).task_number
    if expected is not None and len(tasks) < expected:
        raise ExportIncomplete(f"{what} holds {len(tasks)} task(s), the project has {expected}; nothing was written",
                               "retry the pull")  # fmt: skip
    report = write_exports(tasks, export_dir, replace=replace, dry_run=dry_run, backup_root=backup_root, known=known)
    report.project = project
    return report
