"""Gold spec (annotations/gold/<doc_id>.yaml) → Label Studio result items → a real server → full JSON export.

A gold spec names every region by SURFACE TEXT + OCCURRENCE instead of offsets, so reviewers can read it;
it records the sha256 of the text it was checked against and refuses a changed text until re-checked.
`resolve` turns a spec into the exact result items the Label Studio UI would produce for the labeling config;
`seed_gold` pushes them to a server as ground-truth annotations and writes the server's own full JSON export,
one file per document, to annotations/export/ (what the builder reads). `builder gold` does all of
it with a local server; every run gives the exports new server ids and timestamps, the results stay equal.

Occurrence counting: the n-th (1-based) WHOLE-WORD match of the surface in the cleaned text, title included.
A match is whole-word when it neither starts nor ends inside a word (letters, Bengali vowel signs, virama,
nukta, digits, ZWJ/ZWNJ are word characters; space, NBSP, punctuation, quotes and hyphens are not), so
`কিম` does not count the `কিম` inside `কিমের`, but `সোভিয়েত` counts the one inside `সোভিয়েত ইউনিয়ন`.
A space in a surface matches a space or a no-break space (the texts keep NBSP inside some names).
The occurrence may be omitted only when the surface occurs exactly once.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from builder.atomic import write_atomic
from builder.config import BuildConfig
from builder.errors import BuildError, MissingInput
from builder.read.textfiles import text_sha256
from builder.scheme import (
    ATTRIBUTION,
    ATTRIBUTION_TYPE,
    DOC_STANCE,
    ENTITY,
    PROVENANCE,
    STANCE,
    Scheme,
)

GOLD_DIR = "annotations/gold"  # relative to the repository root
TO_NAME = "text"
LEAD_TIME = 0.0  # seconds; 0 marks annotations created from a gold spec through the API, not timed in the UI
_HSPACE = "[ \u00a0\u2000-\u200a\u202f\u205f\u3000]"


class GoldSpecError(BuildError):
    """A gold spec cannot be resolved against its text, or its items break the scheme."""


@dataclass(frozen=True, slots=True)
class GoldDoc:
    """One resolved gold document: the task data to import and the result items of its annotation."""

    doc_id: str
    outlet: str
    title: str
    text: str
    items: list[dict[str, Any]]

    @property
    def task_data(self) -> dict[str, str]:
        return {"doc_id": self.doc_id, "text": self.text, "title": self.title, "outlet": self.outlet}


# ---------------------------------------------------------------------------------------------------------------
# surface + occurrence → offsets


def _is_word_char(ch: str) -> bool:
    return ch in "\u200c\u200d" or unicodedata.category(ch)[0] in "LMN"


def find_all(surface: str, text: str) -> list[tuple[int, int]]:
    """(start, end) of every whole-word match of `surface` in `text`, in text order (overlaps included)."""
    pattern = re.compile("".join(_HSPACE if ch == " " else re.escape(ch) for ch in surface))
    out: list[tuple[int, int]] = []
    pos = 0
    while (m := pattern.search(text, pos)) is not None:
        s, e = m.span()
        starts_ok = not _is_word_char(surface[0]) or s == 0 or not _is_word_char(text[s - 1])
        ends_ok = not _is_word_char(surface[-1]) or e == len(text) or not _is_word_char(text[e])
        if starts_ok and ends_ok:
            out.append((s, e))
        pos = s + 1
    return out


def locate(ref: Any, text: str, where: str) -> tuple[int, int]:
    """Offsets of a span reference: `surface`, `[surface]` or `[surface, occurrence]`."""
    if isinstance(ref, str):
        surface, occurrence = ref, None
    elif isinstance(ref, list) and len(ref) in (1, 2) and isinstance(ref[0], str):
        surface, occurrence = ref[0], (ref[1] if len(ref) == 2 else None)
    else:
        raise GoldSpecError(f"{where}: span must be `surface` or `[surface, occurrence]`, got {ref!r}")
    surface = unicodedata.normalize("NFC", surface)
    if not surface or surface != surface.strip() or "\n" in surface:
        raise GoldSpecError(f"{where}: surface {surface!r} is empty, has outer whitespace or a line break")
    if occurrence is not None and (not isinstance(occurrence, int) or isinstance(occurrence, bool) or occurrence < 1):
        raise GoldSpecError(f"{where}: occurrence of {surface!r} must be an integer >= 1, got {occurrence!r}")
    matches = find_all(surface, text)
    if not matches:
        raise GoldSpecError(
            f"{where}: surface {surface!r} not found (as whole words) in the text",
            "copy the surface from the cleaned text; it was maybe re-cleaned since the spec was written",
        )
    if occurrence is None:
        if len(matches) > 1:
            raise GoldSpecError(
                f"{where}: surface {surface!r} occurs {len(matches)} times; give the occurrence: [{surface}, n]"
            )
        return matches[0]
    if occurrence > len(matches):
        raise GoldSpecError(
            f"{where}: surface {surface!r} occurrence {occurrence} not found: it occurs {len(matches)} time(s)"
        )
    return matches[occurrence - 1]


def _region(rid: str, control: str, label: str, span: tuple[int, int], text: str) -> dict[str, Any]:
    start, end = span
    return {
        "id": rid,
        "from_name": control,
        "to_name": TO_NAME,
        "type": "labels",
        "origin": "manual",
        "value": {"start": start, "end": end, "text": text[start:end], "labels": [label]},
    }


def _per_region(rid: str, control: str, kind: str, value: Any, span: tuple[int, int], text: str) -> dict[str, Any]:
    """A per-region result (same id as its region); Label Studio keeps the region's span in its value."""
    start, end = span
    return {
        "id": rid,
        "from_name": control,
        "to_name": TO_NAME,
        "type": kind,
        "origin": "manual",
        "value": {"start": start, "end": end, "text": text[start:end], kind: value},
    }


def _relation(from_id: str, to_id: str, label: str) -> dict[str, Any]:
    return {"from_id": from_id, "to_id": to_id, "type": "relation", "direction": "right", "labels": [label]}


def _taxonomy(mapping: Any, where: str) -> list[list[str]]:
    if not isinstance(mapping, dict) or not mapping:
        raise GoldSpecError(f"{where}: stance must be a non-empty mapping `target: FAVOR|AGAINST|NONE`")
    return [[str(target), str(label)] for target, label in mapping.items()]


def resolve(spec: Mapping[str, Any], text: str) -> list[dict[str, Any]]:
    """Result items (Label Studio annotation `result`) for a gold spec, with offsets into `text`.

    Raises GoldSpecError naming the document, the item and the surface when a span cannot be found.
    Labels are not checked against the labeling config here; `problems` does that.
    """
    doc = str(spec.get("doc_id") or "?")
    items: list[dict[str, Any]] = []
    entity_ids: set[str] = set()

    entities = spec.get("entities") or {}
    if not isinstance(entities, dict):
        raise GoldSpecError(f"{doc}: `entities` must be a mapping id: [LABEL, surface, occurrence]")
    for eid, entry in entities.items():
        where = f"{doc} › entity {eid}"
        if not isinstance(entry, list) or len(entry) not in (2, 3):
            raise GoldSpecError(f"{where}: expected [LABEL, surface] or [LABEL, surface, occurrence], got {entry!r}")
        items.append(_region(str(eid), ENTITY, str(entry[0]), locate(entry[1:], text, where), text))
        entity_ids.add(str(eid))

    attributions = spec.get("attributions") or {}
    if not isinstance(attributions, dict):
        raise GoldSpecError(f"{doc}: `attributions` must be a mapping id: {{source, cue, content, type, stance}}")
    for aid, att in attributions.items():
        where = f"{doc} › attribution {aid}"
        if not isinstance(att, dict):
            raise GoldSpecError(f"{where}: expected a mapping with cue, content, type, stance")
        unknown = set(att) - {"source", "cue", "content", "type", "stance", "note"}
        if unknown:
            raise GoldSpecError(f"{where}: unknown keys {sorted(unknown)}")
        for key in ("cue", "content", "type", "stance"):
            if key not in att:
                raise GoldSpecError(f"{where}: `{key}` is missing")
        content_id, cue_id, src_id = f"{aid}-content", f"{aid}-cue", f"{aid}-src"
        content = locate(att["content"], text, f"{where} › content")
        relations = []
        source = att.get("source")
        if isinstance(source, str):
            if source not in entity_ids:
                raise GoldSpecError(f"{where}: source {source!r} is not an entity id of this spec")
            relations.append(_relation(content_id, source, "source"))
        elif isinstance(source, dict):
            if set(source) - {"span", "refers_to"} or "span" not in source:
                raise GoldSpecError(
                    f"{where}: a SOURCE is {{span: [surface, n], refers_to: [entity ids]}}, got {source!r}"
                )
            items.append(
                _region(src_id, ATTRIBUTION, "SOURCE", locate(source["span"], text, f"{where} › source"), text)
            )
            relations.append(_relation(content_id, src_id, "source"))
            refers = source.get("refers_to") or []
            for target in [refers] if isinstance(refers, str) else refers:
                if target not in entity_ids:
                    raise GoldSpecError(f"{where}: refers_to {target!r} is not an entity id of this spec")
                relations.append(_relation(src_id, target, "refers-to"))
        elif source is not None:
            raise GoldSpecError(f"{where}: source must be an entity id, a SOURCE mapping, or omitted (unnamed)")
        items.append(_region(cue_id, ATTRIBUTION, "CUE", locate(att["cue"], text, f"{where} › cue"), text))
        items.append(_region(content_id, ATTRIBUTION, "CONTENT", content, text))
        stance = _taxonomy(att["stance"], f"{where} › stance")
        items.append(_per_region(content_id, ATTRIBUTION_TYPE, "choices", [str(att["type"])], content, text))
        items.append(_per_region(content_id, STANCE, "taxonomy", stance, content, text))
        items.append(_relation(content_id, cue_id, "cue"))
        items.extend(relations)

    if "provenance" not in spec or "doc_stance" not in spec:
        raise GoldSpecError(f"{doc}: `provenance` and `doc_stance` are required")
    items.append({
        "id": "doc-provenance", "from_name": PROVENANCE, "to_name": TO_NAME, "type": "textarea", "origin": "manual",
        "value": {"text": [str(spec["provenance"])]},
    })  # fmt: skip
    items.append({
        "id": "doc-stance", "from_name": DOC_STANCE, "to_name": TO_NAME, "type": "taxonomy", "origin": "manual",
        "value": {"taxonomy": _taxonomy(spec["doc_stance"], f"{doc} › doc_stance")},
    })  # fmt: skip
    return items


# ---------------------------------------------------------------------------------------------------------------
# checks: the builder's own (what `builder check` would report) plus the rules only the gold enforces


def problems(doc: GoldDoc, scheme: Scheme) -> list[str]:
    """Every problem of a resolved gold document, rendered; an empty list means the gold is fine.

    Runs the builder's checks on the items exactly as an export would carry them (builder.annotate.annotation:
    span slices, labels, relations, cues, sources, registry links, provenance; builder.derive.rows: token
    alignment), then the gold-only rules of `gold_rules`.
    """
    from builder.derive import tokens  # spaCy: imported only when checking
    from builder.annotate.adjudicate import Adjudication
    from builder.annotate.annotation import parse_annotation
    from builder.derive.rows import Document, ner_rows
    from builder.read.export import Annotation, Task
    from builder.records import Cleaned, Source

    where = f"{GOLD_DIR}/{doc.doc_id}.yaml"
    ann = Annotation(0, "gold", None, None, LEAD_TIME, True, False, tuple(doc.items), "/annotations/0")
    task = Task(where, "", 0, doc.doc_id, doc.text, (ann,))
    gold, found = parse_annotation(task, ann, doc.text, scheme)
    if gold is not None:
        source = Source(doc.doc_id, doc.outlet, None, "text", "", None, "", None)
        document = Document(source, Cleaned(doc.doc_id, doc.text), doc.text, task, gold, "train",
                            Adjudication(ann, "single", (ann,)), (gold,))
        found += ner_rows(document, scheme, tokens.sentences(doc.text))[1]
    return [p.render() for p in found] + [f"{where}: {m}" for m in gold_rules(doc.items)]


def gold_rules(items: Sequence[Mapping[str, Any]]) -> list[str]:
    """Rules of the guidelines that the builder does not enforce: every CONTENT has exactly one
    attribution_type and one non-empty stance, both on the CONTENT's own span; entities do not nest
    or overlap; exactly one provenance and one doc_stance."""
    errs: list[str] = []
    answers: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for i in items:
        if i.get("from_name") in (ATTRIBUTION_TYPE, STANCE):
            answers.setdefault((i["id"], i["from_name"]), []).append(i["value"])
    for i in items:
        if i.get("from_name") != ATTRIBUTION or i["value"].get("labels") != ["CONTENT"]:
            continue
        span = {k: i["value"][k] for k in ("start", "end", "text")}
        for control in (ATTRIBUTION_TYPE, STANCE):
            found = answers.get((i["id"], control), [])
            if len(found) != 1:
                errs.append(f"CONTENT {i['id']}: {len(found)} {control!r} results, expected exactly 1")
            elif {k: found[0].get(k) for k in span} != span:
                errs.append(f"CONTENT {i['id']}: the {control!r} result is not on the CONTENT's span")
            elif control == STANCE and not found[0].get("taxonomy"):
                errs.append(f"CONTENT {i['id']}: stance names no target (every statement gets at least one)")
    entities = sorted((i["value"]["start"], i["value"]["end"], i["id"]) for i in items if i.get("from_name") == ENTITY)
    for (s1, e1, r1), (s2, e2, r2) in zip(entities, entities[1:]):
        if s2 < e1:
            errs.append(f"entities {r1} [{s1}:{e1}] and {r2} [{s2}:{e2}] overlap; entities never nest")
    for control in (PROVENANCE, DOC_STANCE):
        n = sum(1 for i in items if i.get("from_name") == control)
        if n != 1:
            errs.append(f"{n} {control!r} results, expected exactly 1")
    return errs


# ---------------------------------------------------------------------------------------------------------------
# loading specs and pushing them to a server


def title_of(text: str) -> str:
    """The task's title: the first line of the cleaned text (shown above it by the labeling config)."""
    return text.split("\n", 1)[0].strip()


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

    # builder.labelstudio.project imports this module, so not at the top
    from builder.labelstudio.project import download_export, normalise, parse_export, render

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
