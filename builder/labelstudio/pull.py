"""The project's full JSON export → annotations/export/<doc_id>.json, a JSON list holding one task, for every
task with at least one annotation (cancelled ones included: the builder drops them). Never prints.

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

Seam for fault tests: `pull(..., fetch=...)` replaces the download (a callable returning the raw export bytes);
parsing, the completeness check and the atomic write are the same code either way.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builder.labelstudio import pullplan
from builder.labelstudio.pullplan import PullPlan
from builder.labelstudio.session import ExportIncomplete, LabelStudioError, Project, Session
from builder.read.export import check_raw_task

DROPPED_TASK_FIELDS = ("drafts",)  # see the module docstring
_DOC_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


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
