"""One Label Studio annotation + the committed document text + the scheme → Gold, or Problems.

Offsets are the truth and index the committed text (code points); `value.text` must agree with
the slice. Every result item the builder cannot place becomes a Problem; nothing is skipped
silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from builder import scheme as S
from builder.read.export import Annotation, Task
from builder.records import Problem
from builder.scheme import Scheme

MAX_RESULT_ITEMS = 5_000  # per annotation; documented in the card. Beyond it nesting costs grow quadratically.
MAY_CROSS_LINES = frozenset({"CONTENT"})  # a multi-paragraph quote is common in news; names and cues never are
_TAG_OF_TYPE = {"labels": "labels", "choices": "choices", "taxonomy": "taxonomy", "textarea": "textarea"}


@dataclass(frozen=True, slots=True)
class Region:
    id: str
    control: str  # "entity" or "attribution"
    label: str
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Attribution:
    content: Region
    cue: Region
    source: Region | None  # what the `source` relation points at (entity or SOURCE region)
    source_id: str | None  # registry id of the source; None for an unnamed source
    type: str
    stances: tuple[tuple[str, str], ...]  # (target, label)


@dataclass(frozen=True, slots=True)
class Gold:
    annotation: Annotation
    entities: tuple[Region, ...]
    attributions: tuple[Attribution, ...]
    provenance: tuple[str, ...]
    doc_stances: tuple[tuple[str, str], ...]


class _Collector:
    """Builds Problems that all name the same file and task."""

    def __init__(self, task: Task) -> None:
        self.task = task
        self.problems: list[Problem] = []

    def add(self, code: str, pointer: str, message: str, hint: str = "") -> None:
        self.problems.append(Problem(code, self.task.file, self.task.record, pointer, message, hint))


def parse_annotation(task: Task, ann: Annotation, text: str, scheme: Scheme) -> tuple[Gold | None, list[Problem]]:
    """Check every result item of `ann` against `text` and `scheme`; Gold only when nothing is wrong."""
    out = _Collector(task)
    regions: dict[str, Region] = {}
    relations: list[tuple[str, str, str, str]] = []  # from, to, label, pointer
    per_region: list[tuple[str, str, dict[str, Any], str]] = []  # control, region id, value, pointer
    provenance: tuple[str, ...] | None = None
    provenance_seen = False
    rejected: set[str] = set()  # regions already reported; links to them are not reported again
    doc_stances: tuple[tuple[str, str], ...] = ()

    if len(ann.result) > MAX_RESULT_ITEMS:
        out.add("annotation-too-large", f"{ann.pointer}/result",
                f"{len(ann.result):,} result items; one annotation may hold at most {MAX_RESULT_ITEMS:,}",
                "a news story has hundreds of items at most: split the document, or check the export")
        return None, out.problems
    spans_seen: dict[tuple[str, str, int, int], str] = {}
    for k, item in enumerate(ann.result):
        ptr = f"{ann.pointer}/result/{k}"
        if item["type"] == "relation":
            relations.append(_relation(item, ptr))
            continue
        control = item["from_name"]
        tag = scheme.controls.get(control)
        if tag is None:
            out.add("unknown-control", f"{ptr}/from_name", f"control {control!r} is not in the labeling config",
                    f"known controls: {sorted(scheme.controls)}; was the export made with another config?")
            continue
        if _TAG_OF_TYPE[item["type"]] != tag:
            out.add("schema-violation", f"{ptr}/type", f"item type {item['type']!r} does not fit control {control!r} (a {tag})",
                    "re-export from Label Studio")
            continue
        value = item["value"]
        if control in (S.ENTITY, S.ATTRIBUTION):
            region = _region(item, ptr, text, scheme, out)
            if region is None:
                rejected.add(item["id"])
            else:
                key = (region.control, region.label, region.start, region.end)
                if region.id in regions:
                    out.add("duplicate-region-id", f"{ptr}/id", f"region id {region.id!r} is used twice", "give every region its own id")
                elif region.control == S.ENTITY and key in spans_seen:
                    # Attribution regions may repeat (sibling attributions share a CONTENT); an entity may not.
                    out.add("duplicate-span", f"{ptr}/value", f"{region.label} {_short(region.text)} [{region.start}:{region.end}] "
                            f"is marked twice (regions {spans_seen[key]!r} and {region.id!r})", "delete the copy")
                    rejected.add(region.id)
                else:
                    spans_seen.setdefault(key, region.id)
                    regions[region.id] = region
        elif control in (S.ATTRIBUTION_TYPE, S.STANCE):
            per_region.append((control, item["id"], value, ptr))
        elif control == S.DOC_STANCE:
            doc_stances += _stance_paths(value, ptr, scheme, out)
        elif control == S.PROVENANCE:
            provenance_seen = True
            provenance = _provenance(value, ptr, scheme, out)

    links = _check_relations(relations, regions, rejected, scheme, out)
    types, stances = _per_region(per_region, regions, rejected, scheme, out)
    attributions = _attributions(regions, links, types, stances, scheme, ann, out)
    if not provenance_seen:
        out.add("provenance-missing", f"{ann.pointer}/result", "the document has no provenance chain",
                "fill the Provenance box, e.g. 'BSS > AFP > KCNA' (registry ids, outlet first)")
    if out.problems:
        return None, out.problems
    entities = tuple(sorted((r for r in regions.values() if r.control == S.ENTITY), key=lambda r: (r.start, r.end, r.label)))
    return Gold(ann, entities, attributions, provenance or (), doc_stances), []


def _relation(item: dict[str, Any], ptr: str) -> tuple[str, str, str, str]:
    src, dst = item["from_id"], item["to_id"]
    if item.get("direction") == "left":  # the arrow was drawn backwards; meaning is to → from
        src, dst = dst, src
    return src, dst, item["labels"][0], ptr


def _region(item: dict[str, Any], ptr: str, text: str, scheme: Scheme, out: _Collector) -> Region | None:
    value, control = item["value"], item["from_name"]
    if "start" not in value or "labels" not in value:
        out.add("schema-violation", f"{ptr}/value", "a span needs start, end and labels", "re-export from Label Studio")
        return None
    labels = value["labels"]
    allowed = scheme.entity_labels if control == S.ENTITY else scheme.attribution_labels
    if len(labels) != 1:
        out.add("many-labels", f"{ptr}/value/labels", f"span carries {len(labels)} labels {labels}", "one label per region; draw a second region for a second label")
        return None
    if labels[0] not in allowed:
        out.add("unknown-label", f"{ptr}/value/labels/0", f"label {labels[0]!r} is not in control {control!r} of the labeling config",
                f"allowed: {', '.join(allowed)}")
        return None
    start, end = value["start"], value["end"]
    if type(start) is not int or type(end) is not int:  # JSON Schema's "integer" lets 5.0 through
        out.add("span-bad-offset", f"{ptr}/value/start", f"offsets [{start!r}:{end!r}] are not whole numbers",
                "offsets are integer code-point positions; re-export from Label Studio")
        return None
    if not 0 <= start < end <= len(text):
        out.add("span-out-of-range", f"{ptr}/value/start", f"[{start}:{end}] is outside the text (length {len(text)}) or empty",
                "the export belongs to another version of the text? re-export, or re-anchor the spans")
        return None
    found = text[start:end]
    claimed = value.get("text")
    # The LS UI writes a literal backslash-n for spans that cross a line break; the offsets stay right.
    if isinstance(claimed, str) and found != claimed and found != claimed.replace("\\n", "\n"):
        out.add("span-text-mismatch", f"{ptr}/value", f"expected {claimed!r} at [{start}:{end}], found {found!r}",
                "the cleaned text changed after annotation, or offsets are UTF-16; re-export or re-anchor")
        return None
    if found != found.strip():
        out.add("span-whitespace", f"{ptr}/value", f"span {found!r} starts or ends with white space", "trim the region to the word boundaries")
        return None
    if "\n" in found and labels[0] not in MAY_CROSS_LINES:
        out.add("span-crosses-line", f"{ptr}/value", f"{labels[0]} {_short(found)} [{start}:{end}] runs across a line break",
                "only a CONTENT (a quote may run over several paragraphs) may cross a line break; "
                "split the region, or mark each part (guidelines §1)")
        return None
    return Region(item["id"], control, labels[0], start, end, found)


def _stance_paths(value: dict[str, Any], ptr: str, scheme: Scheme, out: _Collector) -> tuple[tuple[str, str], ...]:
    pairs = []
    for j, path in enumerate(value.get("taxonomy", [])):
        if len(path) != 2 or path[0] not in scheme.stance_targets or path[1] not in scheme.stance_labels:
            out.add("unknown-stance", f"{ptr}/value/taxonomy/{j}", f"stance path {path} is not target → label from the config",
                    f"pick a leaf: a target, then one of {', '.join(scheme.stance_labels)}")
            continue
        pairs.append((path[0], path[1]))
    targets = [t for t, _ in pairs]
    dupes = sorted({t for t in targets if targets.count(t) > 1})
    if dupes:
        out.add("stance-conflict", f"{ptr}/value/taxonomy", f"targets {dupes} have more than one label", "one label per target")
    return tuple(pairs)


def _provenance(value: dict[str, Any], ptr: str, scheme: Scheme, out: _Collector) -> tuple[str, ...] | None:
    texts = value.get("text")
    line = texts[0] if isinstance(texts, list) and len(texts) == 1 else texts if isinstance(texts, str) else None
    if not line:
        out.add("provenance-missing", f"{ptr}/value/text", "provenance box is empty", "write e.g. 'BSS > AFP > KCNA'")
        return None
    chain = tuple(part.strip() for part in line.split(">"))
    unknown = [c for c in chain if c not in scheme.registry]
    if unknown:
        out.add("unknown-registry-id", f"{ptr}/value/text/0", f"provenance names {unknown}, not ids of annotations/registry.csv",
                "use registry ids separated by '>', or add the agency to the registry")
        return None
    return chain


def _check_relations(relations, regions: dict[str, Region], rejected: set[str], scheme: Scheme, out: _Collector) -> dict[str, dict[str, list[Region]]]:
    """Validated links: from-region id → relation label → target regions."""
    links: dict[str, dict[str, list[Region]]] = {}
    for src, dst, label, ptr in relations:
        if src in rejected or dst in rejected:
            continue
        missing = [i for i in (src, dst) if i not in regions]
        if missing:
            out.add("dangling-relation", ptr, f"relation {label!r} {src} → {dst} points at missing region(s) {missing}",
                    "delete the relation or restore the region it connects")
            continue
        if label not in scheme.relation_labels:
            out.add("unknown-relation", f"{ptr}/labels/0", f"relation label {label!r} is not in the labeling config",
                    f"allowed: {', '.join(scheme.relation_labels)}")
            continue
        a, b = regions[src], regions[dst]
        ok = {
            "source": a.label == "CONTENT" and (b.control == S.ENTITY or b.label == "SOURCE"),
            "cue": a.label == "CONTENT" and b.label == "CUE",
            "refers-to": a.label == "SOURCE" and b.control == S.ENTITY,
        }[label]
        if not ok:
            out.add("bad-relation", ptr, f"relation {label!r} may not go from {a.label} {a.text!r} to {b.label} {b.text!r}",
                    "source: CONTENT → entity or SOURCE; cue: CONTENT → CUE; refers-to: SOURCE → entity")
            continue
        links.setdefault(src, {}).setdefault(label, []).append(b)
    return links


def _per_region(items, regions: dict[str, Region], rejected: set[str], scheme: Scheme, out: _Collector):
    types: dict[str, str] = {}
    stances: dict[str, tuple[tuple[str, str], ...]] = {}
    for control, rid, value, ptr in items:
        if rid in rejected:
            continue
        region = regions.get(rid)
        if region is None or region.label != "CONTENT":
            out.add("dangling-region-choice", f"{ptr}/id", f"{control} answer belongs to region {rid!r}, which is not a CONTENT region",
                    "select the CONTENT region and answer again")
            continue
        if control == S.ATTRIBUTION_TYPE:
            choices = value.get("choices", [])
            if len(choices) != 1 or choices[0] not in scheme.attribution_types:
                out.add("unknown-choice", f"{ptr}/value/choices", f"attribution type {choices} is not one of {scheme.attribution_types}",
                        "choose exactly one type")
                continue
            types[rid] = choices[0]
        else:
            stances[rid] = stances.get(rid, ()) + _stance_paths(value, ptr, scheme, out)
    return types, stances


def _attributions(regions, links, types, stances, scheme: Scheme, ann: Annotation, out: _Collector) -> tuple[Attribution, ...]:
    used: set[str] = set()
    result: list[Attribution] = []
    where = f"{ann.pointer}/result"
    for region in sorted(regions.values(), key=lambda r: (r.start, r.end)):
        if region.label != "CONTENT":
            continue
        own = links.get(region.id, {})
        cues, sources = own.get("cue", []), own.get("source", [])
        used.update(r.id for r in cues + sources)
        if len(cues) != 1:
            out.add("attribution-missing-cue" if not cues else "attribution-many-cues", where,
                    f"CONTENT {region.id!r} {_short(region.text)} has {len(cues)} cue relations", "link exactly one CUE to every CONTENT")
            continue
        if len(sources) > 1:
            out.add("attribution-many-sources", where, f"CONTENT {region.id!r} has {len(sources)} source relations",
                    "one source per attribution; for joint sources mark one SOURCE region covering both")
            continue
        if region.id not in types:
            out.add("attribution-missing-type", where, f"CONTENT {region.id!r} {_short(region.text)} has no attribution type",
                    "select the CONTENT region and choose direct, indirect or mixed")
            continue
        source = sources[0] if sources else None
        source_id = None
        if source is not None:
            denoted = links.get(source.id, {}).get("refers-to", [])
            used.update(r.id for r in denoted)
            surface = denoted[0].text if denoted else source.text
            source_id = scheme.link(surface)
            if source_id is None:
                out.add("unlinked-source", where, f"source {surface!r} of CONTENT {region.id!r} is not in the registry",
                        "add the source (or this spelling as an alias) to annotations/registry.csv, or link a pronoun with refers-to")
                continue
        result.append(Attribution(region, cues[0], source, source_id, types[region.id], stances.get(region.id, ())))
    for region in regions.values():
        if region.label in ("CUE", "SOURCE") and region.id not in used:
            out.add("orphan-region", where, f"{region.label} {region.id!r} {_short(region.text)} is not linked to any CONTENT",
                    "link it with a 'cue'/'source' relation from its CONTENT, or delete it")
    return tuple(result)


def _short(s: str, n: int = 40) -> str:
    return repr(s if len(s) <= n else s[: n - 1] + "…")
