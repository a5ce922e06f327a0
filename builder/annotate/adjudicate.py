"""Several annotations of one task → the gold annotation, by a documented policy.

1. `ground_truth`: the most recently updated annotation flagged ground truth in Label Studio;
2. `reviewer`: else the most recent annotation by a reviewer (`reviewers` in [tool.builder]);
3. `single`: else, when one person made the annotations, that person's latest one;
4. `majority`: else a merge of each annotator's latest annotation that keeps every result item
   made by a strict majority of the annotators: regions by control, label and offsets; relations
   and per-region answers by the regions they connect; document answers by value. With two
   annotators that is what both made.
Cancelled annotations never count. Two annotations by one person (Label Studio's "Create an
annotation" on a task already done) are that person's revisions, not two votes: the most recently
updated one is their answer, and the older one is kept in the `annotations` config but not in the
gold. The merge may be inconsistent (a CONTENT kept, its cue dropped); the caller checks the merged
result like any annotation and reports it. What the merge drops is counted per layer (`dropped`),
so the caller can say so.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from builder.read.export import Annotation

POLICY = (
    "cancelled annotations never count, and of several annotations by one person only the latest counts; "
    "then a ground-truth annotation (most recent), else a reviewer's (most recent), else the only annotator's, "
    "else a majority merge of result items (strict majority of annotators)"
)
MERGED_BY = "majority"


@dataclass(frozen=True, slots=True)
class Adjudication:
    gold: Annotation  # a real annotation, or a synthetic one holding the merged result
    policy: str  # ground_truth, reviewer, single or majority
    sources: tuple[Annotation, ...]  # the annotations the gold comes from
    dropped: tuple[tuple[str, int], ...] = ()  # majority merge: (layer, items some annotator made but the gold lacks)


def _recency(a: Annotation) -> tuple[str, int]:
    return (a.updated_at or a.created_at or "", a.id)


def adjudicate(annotations: Sequence[Annotation], reviewers: Sequence[str] = ()) -> Adjudication | None:
    """The gold of one task; None when every annotation was cancelled (or there is none)."""
    live = [a for a in annotations if not a.was_cancelled]
    if not live:
        return None
    flagged = [a for a in live if a.ground_truth]
    if flagged:
        best = max(flagged, key=_recency)
        return Adjudication(best, "ground_truth", (best,))
    reviewed = [a for a in live if a.annotator in reviewers]
    if reviewed:
        best = max(reviewed, key=_recency)
        return Adjudication(best, "reviewer", (best,))
    latest = latest_per_annotator(live)
    if len(latest) == 1:
        return Adjudication(latest[0], "single", (latest[0],))
    ordered = sorted(latest, key=lambda a: a.id)
    merged = replace(
        ordered[0],
        annotator=MERGED_BY,
        lead_time=None,
        ground_truth=False,
        updated_at=max(_recency(a)[0] for a in ordered) or None,
        result=merge_results([a.result for a in ordered]),
    )
    return Adjudication(merged, "majority", tuple(ordered), dropped_items([a.result for a in ordered], merged.result))


def latest_per_annotator(annotations: Sequence[Annotation]) -> list[Annotation]:
    """Each person's most recently updated annotation, in id order."""
    best: dict[str, Annotation] = {}
    for a in annotations:
        if a.annotator not in best or _recency(a) > _recency(best[a.annotator]):
            best[a.annotator] = a
    return sorted(best.values(), key=lambda a: a.id)


def _layer(key: tuple) -> str:
    if key[0] == "region":
        return "entities" if key[1] == "entity" else "attribution regions"
    return {"relation": "relations", "answer": "per-region answers", "document": "document answers"}[key[0]]


def dropped_items(results: Sequence[Sequence[dict[str, Any]]], merged: Sequence[dict[str, Any]]) -> tuple[tuple[str, int], ...]:
    """Per layer, how many distinct items some annotator made that the merged result does not hold."""
    made = {key for r in results for key in _signatures(r)}
    kept = set(_signatures(merged))
    counts = Counter(_layer(k) for k in made - kept)
    return tuple(sorted(counts.items()))


def _region_key(item: dict[str, Any]) -> tuple:
    v = item["value"]
    return ("region", item["from_name"], tuple(v.get("labels", ())), v.get("start"), v.get("end"))


def _value_key(value: dict[str, Any]) -> str:
    answer = {k: v for k, v in value.items() if k not in ("start", "end", "text")}
    return json.dumps(answer, sort_keys=True, ensure_ascii=False)


def _signatures(result: Sequence[dict[str, Any]]) -> dict[tuple, dict[str, Any]]:
    """Annotator-independent key of every item (region ids differ between annotators).

    Two regions may share control, label and offsets (sibling attributions on one CONTENT span);
    they are told apart by their order of appearance.
    """
    regions: dict[str, tuple] = {}
    seen: Counter[tuple] = Counter()
    for item in result:
        if item["type"] == "labels":
            base = _region_key(item)
            regions[item["id"]] = (*base, seen[base])
            seen[base] += 1
    out: dict[tuple, dict[str, Any]] = {}
    for item in result:
        if item["type"] == "labels":
            key = regions[item["id"]]
        elif item["type"] == "relation":
            key = ("relation", item["labels"][0], regions.get(item["from_id"]), regions.get(item["to_id"]))
        elif item["id"] in regions:  # per-region answer
            key = ("answer", item["from_name"], regions[item["id"]], _value_key(item["value"]))
        else:
            key = ("document", item["from_name"], _value_key(item["value"]))
        out.setdefault(key, item)
    return out


def merge_results(results: Sequence[Sequence[dict[str, Any]]]) -> tuple[dict[str, Any], ...]:
    """Items made by a strict majority of `results`, with region ids rewritten consistently."""
    signed = [_signatures(r) for r in results]
    votes = Counter(key for s in signed for key in s)
    need = len(results) // 2 + 1
    kept = [key for key in votes if votes[key] >= need]
    first = {key: next(s[key] for s in signed if key in s) for key in kept}
    ids: dict[tuple, str] = {}
    used: set[str] = set()
    for key in sorted((k for k in kept if k[0] == "region"), key=lambda k: (k[3], k[4], k[1], k[2])):
        rid, n = first[key]["id"], 1
        while rid in used:  # two annotators may reuse one id for different regions
            rid, n = f"{first[key]['id']}-{n}", n + 1
        ids[key] = rid
        used.add(rid)
    merged: list[dict[str, Any]] = []
    for key in sorted(kept, key=lambda k: json.dumps(k, ensure_ascii=False, default=str)):
        item = dict(first[key])
        if key[0] == "region":
            item["id"] = ids[key]
        elif key[0] == "relation":
            if key[2] not in ids or key[3] not in ids:
                continue  # an endpoint lost the vote; the check reports what that leaves behind
            item["from_id"], item["to_id"] = ids[key[2]], ids[key[3]]
        elif key[0] == "answer":
            if key[2] not in ids:
                continue
            item["id"] = ids[key[2]]
        merged.append(item)
    return tuple(merged)
