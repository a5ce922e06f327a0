"""What a pull would do to annotations/export/, annotation by annotation, before anything is written.

A local export file is the committed record of annotators' work; a pull must never shrink or replace it
silently. Annotations are matched by Label Studio's `unique_id` (a UUID made when the annotation is
created; the numeric id restarts at 1 on a new server, so it cannot tell two servers apart), falling back
to the numeric id for exports that lack it. Per document:

* added:     on the server, not in the local file                         → safe
* updated:   same annotation, other content, newer `updated_at` on the server → safe (the annotator's newer answer)
* unchanged: same annotation, same content                                → nothing to do
* removed:   in the local file, not on the server                         → needs --replace
* replaced:  same annotation, other content, NOT newer on the server       → needs --replace
* orphaned:  the local file has annotations, the server's task has none   → the file is kept; reported

A server whose data was reset (or another server, same project title) shows up as local annotations it
does not have — under the same numeric ids, often — and as a task id or project id that differs from the
local file's. That is named as such (`reset`), so the user knows why a pull wants to remove work.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BACKUP_DIR = ".builder/replaced"  # repository-relative; where --replace saves what it overwrites (git-ignored)

# Fields of an annotation that Label Studio changes without the annotation's content changing.
_VOLATILE = frozenset({"created_ago", "draft_created_at", "last_action", "last_created_by"})


def _key(ann: Mapping[str, Any]) -> str:
    return str(ann.get("unique_id") or f"id:{ann.get('id')}")


def _content(ann: Mapping[str, Any]) -> str:
    return json.dumps({k: v for k, v in ann.items() if k not in _VOLATILE}, sort_keys=True, ensure_ascii=False)


def describe(ann: Mapping[str, Any]) -> str:
    """`annotation 12 by user 3, updated 2026-11-23T11:26` — enough to find it in Label Studio or git."""
    who = ann.get("completed_by")
    if isinstance(who, dict):
        who = who.get("email") or who.get("id")
    when = str(ann.get("updated_at") or ann.get("created_at") or "?")[:16]
    n = len(ann.get("result") or [])
    return f"annotation {ann.get('id')} by user {who}, {n} result item(s), updated {when}"


@dataclass(slots=True)
class DocChange:
    doc_id: str
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    reset: str | None = None  # why the server's task looks like another task than the local file's
    orphaned: int = 0  # local annotations whose task has none on the server (file kept)
    unreadable: str | None = None  # the local file could not be read as an export

    @property
    def destructive(self) -> bool:
        return bool(self.removed or self.replaced or self.unreadable)

    @property
    def unpulled(self) -> int:
        """Annotations on the server that the local file lacks (new or newer)."""
        return len(self.added) + len(self.updated)

    def summary(self) -> str:
        parts = [f"{len(v)} {name}" for name, v in (("added", self.added), ("updated", self.updated),
                                                   ("removed", self.removed), ("replaced", self.replaced)) if v]  # fmt: skip
        if self.unchanged:
            parts.append(f"{self.unchanged} unchanged")
        if self.orphaned:
            parts.append(f"{self.orphaned} local annotation(s) kept: the server's task has none")
        if self.unreadable:
            parts.append(f"local file unreadable ({self.unreadable})")
        return f"{self.doc_id}: " + (", ".join(parts) or "task fields only")


@dataclass(slots=True)
class PullPlan:
    docs: list[DocChange] = field(default_factory=list)

    @property
    def destructive(self) -> list[DocChange]:
        return [d for d in self.docs if d.destructive]

    @property
    def reset(self) -> list[DocChange]:
        return [d for d in self.docs if d.reset]

    @property
    def unpulled(self) -> int:
        return sum(d.unpulled for d in self.docs)

    def lines(self) -> list[str]:
        out = []
        for d in self.docs:
            if not (d.added or d.updated or d.removed or d.replaced or d.orphaned or d.unreadable or d.reset):
                continue
            out.append("  " + d.summary())
            if d.reset:
                out.append(f"    {d.reset}")
            out += [f"    + {a}" for a in d.added] + [f"    ~ {a} (newer on the server)" for a in d.updated]
            out += [f"    - {a} (only in the local file)" for a in d.removed]
            out += [f"    ! {a} (the local copy is newer or the same age, and differs)" for a in d.replaced]
        return out


def _local_task(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError) as e:
        return None, f"{type(e).__name__}: {e}"[:200]
    if not (isinstance(data, list) and len(data) == 1 and isinstance(data[0], dict)):
        return None, "not a list holding one task"
    if not isinstance(data[0].get("annotations", []), list):
        return None, "annotations is not a list"
    return data[0], None


def compare(doc_id: str, server: Mapping[str, Any] | None, path: Path) -> DocChange:
    """How the server's task (None: no annotated task) differs from the local file at `path`."""
    change = DocChange(doc_id)
    local, why = _local_task(path) if path.exists() else (None, None)
    if why:
        change.unreadable = why
        if server:
            change.added = [describe(a) for a in server.get("annotations") or []]
        return change
    mine = {_key(a): a for a in (local or {}).get("annotations") or [] if isinstance(a, dict)}
    if server is None:
        change.orphaned = len(mine)
        return change
    theirs = {_key(a): a for a in server.get("annotations") or []}
    for key, ann in theirs.items():
        old = mine.get(key)
        if old is None:
            change.added.append(describe(ann))
        elif _content(old) == _content(ann):
            change.unchanged += 1
        elif str(ann.get("updated_at") or "") > str(old.get("updated_at") or ""):
            change.updated.append(describe(ann))
        else:
            change.replaced.append(describe(ann))
    change.removed = [describe(a) for key, a in mine.items() if key not in theirs]
    if local is not None and change.removed:
        change.reset = _reset_reason(local, server, len(change.removed), len(mine))
    return change


def _reset_reason(local: Mapping[str, Any], server: Mapping[str, Any], missing: int, total: int) -> str | None:
    signs = []
    for name in ("project", "id"):
        if local.get(name) is not None and local.get(name) != server.get(name):
            signs.append(f"{'project' if name == 'project' else 'task'} id {server.get(name)} on the server, "
                         f"{local.get(name)} in the local file")  # fmt: skip
    if missing == total:
        signs.append(f"none of the {total} local annotation(s) exist on the server")
    if not signs:
        return None
    return "the server looks reset, or is another server: " + "; ".join(signs)


def plan(by_doc: Mapping[str, Mapping[str, Any]], export_dir: Path, known_local: Sequence[str]) -> PullPlan:
    """`by_doc`: doc_id → the server's annotated task; `known_local`: doc_ids with a local file."""
    out = PullPlan()
    for doc_id in sorted(set(by_doc) | set(known_local)):
        out.docs.append(compare(doc_id, by_doc.get(doc_id), export_dir / f"{doc_id}.json"))
    return out


def backup(export_dir: Path, doc_ids: Sequence[str], backup_root: Path) -> Path:
    """Copy export files about to be overwritten into backup_root/<UTC time>/; the names sort by time."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    folder, n = backup_root / stamp, 1
    while folder.exists():
        folder, n = backup_root / f"{stamp}-{n}", n + 1
    folder.mkdir(parents=True)
    for doc_id in doc_ids:
        shutil.copy2(export_dir / f"{doc_id}.json", folder / f"{doc_id}.json")
    return folder
