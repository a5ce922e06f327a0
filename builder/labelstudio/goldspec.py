"""One gold spec (surface text + occurrence per region) + its text → the exact result items the Label Studio UI
would produce for the labeling config, and every way those items break the builder's rules.

Occurrence counting: the n-th (1-based) WHOLE-WORD match of the surface in the cleaned text, title included.
A match is whole-word when it neither starts nor ends inside a word (letters, Bengali vowel signs, virama,
nukta, digits, ZWJ/ZWNJ are word characters; space, NBSP, punctuation, quotes and hyphens are not), so
`কিম` does not count the `কিম` inside `কিমের`, but `সোভিয়েত` counts the one inside `সোভিয়েত ইউনিয়ন`.
A space in a surface matches a space or a no-break space (the texts keep NBSP inside some names).
The occurrence may be omitted only when the surface occurs exactly once.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from builder.errors import BuildError
from builder.scheme import ATTRIBUTION, ATTRIBUTION_TYPE, DOC_STANCE, ENTITY, PROVENANCE, STANCE, Scheme

GOLD_DIR = "annotations/gold"  # relative to the repository root
LEAD_TIME = 0.0  # seconds; 0 marks annotations created from a gold spec through the API, not timed in the UI
TO_NAME = "text"
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


def problems(doc: GoldDoc, scheme: Scheme) -> list[str]:
    """Every problem of a resolved gold document, rendered; an empty list means the gold is fine.

    Runs the builder's checks on the items exactly as an export would carry them (builder.annotate.annotation:
    span slices, labels, relations, cues, sources, registry links, provenance; builder.derive.rows: token
    alignment), then the gold-only rules of `gold_rules`.
    """
    from builder.annotate.adjudicate import Adjudication
    from builder.annotate.annotation import parse_annotation
    from builder.derive import tokens  # spaCy: imported only when checking
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


def title_of(text: str) -> str:
    """The task's title: the first line of the cleaned text (shown above it by the labeling config)."""
    return text.split("\n", 1)[0].strip()
