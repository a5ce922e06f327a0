"""Gold spec (annotations/gold/<doc_id>.yaml) → Label Studio result items → a real server → full JSON export.

A gold spec names every region by SURFACE TEXT + OCCURRENCE instead of offsets, so reviewers can read it;
it records the sha256 of the text it was checked against and refuses a changed text until re-checked.
`resolve` turns a spec into the exact result items the Label Studio UI would produce for the labeling config;
`seed_gold` pushes them to a server as ground-truth annotations and writes the server's own full JSON export,
one file per document, to annotations/export/ (what the builder reads). `builder gold` does all of
it with a local server; every run gives the exports new server ids and timestamps, the results stay equal.

Resolving and checking one spec: builder.labelstudio.goldspec.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import yaml

from builder.atomic import write_atomic
from builder.config import BuildConfig
from builder.errors import BuildError, MissingInput
from builder.labelstudio.goldspec import GOLD_DIR, LEAD_TIME, GoldDoc, GoldSpecError, problems, resolve, title_of
from builder.labelstudio.pull import download_export, normalise, parse_export, render
from builder.read.textfiles import text_sha256
from builder.scheme import ENTITY, Scheme

# ---------------------------------------------------------------------------------------------------------------
# surface + occurrence → offsets


# ---------------------------------------------------------------------------------------------------------------
# checks: the builder's own (what `builder check` would report) plus the rules only the gold enforces


# ---------------------------------------------------------------------------------------------------------------
# loading specs and pushing them to a server


def load_doc(cfg: BuildConfig, doc_id: str) -> GoldDoc:
    """Read annotations/gold/<doc_id>.yaml and text/<doc_id>.txt and resolve the spec."""
    spec_path = cfg.path(GOLD_DIR) / f"{doc_id}.yaml"
    text_path = cfg.path(cfg.text_dir) / f"{doc_id}.txt"
    if not spec_path.is_file():
        raise MissingInput(f"{cfg.rel(spec_path)}: gold spec not found")
    if not text_path.is_file():
        raise MissingInput(f"{cfg.rel(text_path)}: cleaned text not found", "run the cleaning step first")
    try:
        spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise GoldSpecError(
            f"{cfg.rel(spec_path)}: not valid YAML ({e})", "quote surfaces that contain ': ' or commas"
        ) from e
    if not isinstance(spec, dict) or spec.get("doc_id") != doc_id:
        raise GoldSpecError(f"{cfg.rel(spec_path)}: not a mapping with doc_id: {doc_id}")
    text = text_path.read_text(encoding="utf-8")
    expected = spec.get("text_sha256")
    if expected != text_sha256(text):
        raise GoldSpecError(
            f"{cfg.rel(spec_path)}: written for a text with sha256 {expected}, but {cfg.rel(text_path)} has {text_sha256(text)}",
            "the text was re-cleaned: re-check every occurrence number against the new text, then update text_sha256",
        )
    return GoldDoc(doc_id=doc_id, outlet=str(spec["outlet"]), title=title_of(text), text=text, items=resolve(spec, text))


def gold_doc_ids(cfg: BuildConfig) -> list[str]:
    return sorted(p.stem for p in cfg.path(GOLD_DIR).glob("*.yaml"))


def check_docs(docs: Sequence[GoldDoc], scheme: Scheme) -> None:
    """Raise GoldSpecError listing every problem of every document (see `problems`)."""
    errs = [e for d in docs for e in problems(d, scheme)]
    if errs:
        raise GoldSpecError(f"{len(errs)} problem(s) in the gold:\n" + "\n".join(errs), "fix the gold specs")


def seed_gold(
    server_url: str,
    api_key: str,
    docs: Sequence[GoldDoc],
    out_dir: Path,
    *,
    label_config: str,
    title: str = "bn-news gold",
) -> list[Path]:
    """Create a project, import one task per doc, add its ground-truth annotation, export the project's
    full JSON and write out_dir/<doc_id>.json (a list holding that one task, exactly as exported)."""
    from label_studio_sdk import LabelStudio  # heavy import (~1.5 s); only needed here

    ls = LabelStudio(base_url=server_url, api_key=api_key)
    project = ls.projects.create(
        title=title, label_config=label_config, description="Gold annotations seeded from annotations/gold/*.yaml"
    )
    imported = ls.projects.import_tasks(
        id=project.id, request=[{"data": d.task_data} for d in docs], return_task_ids=True
    )
    task_ids = list(imported.task_ids or [])
    if len(task_ids) != len(docs):
        raise BuildError(f"Label Studio imported {len(task_ids)} task(s) for {len(docs)} document(s)")
    tasks = {t.data["doc_id"]: t.id for t in ls.tasks.list(project=project.id)}
    for d in docs:
        ls.annotations.create(
            id=tasks[d.doc_id], result=d.items, was_cancelled=False, ground_truth=True, lead_time=LEAD_TIME
        )
    exported = {task["data"]["doc_id"]: task for task in parse_export(download_export(ls, project.id))}
    written = []
    for d in docs:
        task = exported.get(d.doc_id)
        if task is None or len(task.get("annotations") or []) != 1:
            raise BuildError(f"the export of project {project.id} lacks the annotated task for {d.doc_id}")
        if task["data"]["text"] != d.text or task["annotations"][0]["result"] != d.items:
            raise BuildError(
                f"{d.doc_id}: the exported task differs from what was sent (text or result changed on the server)"
            )
        path = out_dir / f"{d.doc_id}.json"
        write_atomic(path, render([normalise(task)]))
        written.append(path)
    return written


def would_lose(docs: Sequence[GoldDoc], out_dir: Path) -> list[str]:
    """Local exports that seeding would replace with less than they hold: annotations other than the spec's.

    Re-seeding an export whose only annotation is the spec itself changes ids and times, never work.
    """
    lost = []
    for d in docs:
        path = out_dir / f"{d.doc_id}.json"
        if not path.exists():
            continue
        try:
            (task,) = json.loads(path.read_bytes())
            anns = task.get("annotations") or []
        except (OSError, ValueError, TypeError):
            lost.append(f"{d.doc_id}: the local export cannot be read, so what it holds is unknown")
            continue
        others = [a for a in anns if not isinstance(a, dict) or a.get("result") != d.items]
        if others:
            lost.append(f"{d.doc_id}: {len(others)} of {len(anns)} local annotation(s) differ from the gold spec "
                        f"(ids {', '.join(str(a.get('id')) for a in others if isinstance(a, dict))})")  # fmt: skip
    return lost


def show(doc: GoldDoc, width: int = 25) -> Iterator[str]:
    """One line per region, with context: for reviewing a spec against its text."""
    for item in doc.items:
        v = item.get("value") or {}
        if item.get("type") == "relation":
            yield f"    {item['from_id']} --{item['labels'][0]}--> {item['to_id']}"
        elif item.get("type") == "labels":
            s, e = v["start"], v["end"]
            left = doc.text[max(0, s - width) : s].replace("\n", "⏎")
            right = doc.text[e : e + width].replace("\n", "⏎")
            yield f"{item['id']:>12} {v['labels'][0]:<7} [{s}:{e}] …{left}【{doc.text[s:e]}】{right}…"
        else:
            shown = v.get("choices") or v.get("taxonomy") or v.get("text")
            yield f"{item['id']:>12} {item['from_name']:<16} {shown}"


def summary(docs: Sequence[GoldDoc]) -> list[str]:
    """One line per checked document: how many mentions and attributions its gold holds."""
    lines = []
    for d in docs:
        n = sum(1 for i in d.items if i.get("from_name") == ENTITY)
        a = sum(1 for i in d.items if i.get("value", {}).get("labels") == ["CONTENT"])
        lines.append(f"{d.doc_id}: {n} entity mentions, {a} attributions, all checks pass")
    return lines


def load_docs(cfg: BuildConfig, doc_ids: Sequence[str] | None = None) -> list[GoldDoc]:
    docs = [load_doc(cfg, doc_id) for doc_id in (doc_ids or gold_doc_ids(cfg))]
    if not docs:
        raise MissingInput(f"no gold specs in {GOLD_DIR}", "write annotations/gold/<doc_id>.yaml (format: annotations/guidelines.md)")
    return docs
