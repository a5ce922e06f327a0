"""Gold of the other documents → a gazetteer of entity surfaces → pre-annotation result items.

Used by `builder ls predict`: annotators start from suggestions taken from what was already
annotated elsewhere. Whole-word matches only, longest surface first, never overlapping.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import Any

from builder.config import BuildConfig
from builder.labelstudio.goldspec import find_all
from builder.read.export import read_export
from builder.scheme import ENTITY

GAZETTEER_PREFIX = "gazetteer-"
MIN_SURFACE = 2  # code points; one-letter surfaces match everywhere


def gold_surfaces(cfg: BuildConfig) -> dict[str, Counter[tuple[str, str]]]:
    """doc_id → Counter of (surface, label) over the entity regions of its gold in the export folder.

    Gold: the annotations flagged ground truth, else every non-cancelled one. Surfaces are sliced from the
    task text (value.text is unreliable across line breaks); a NBSP counts as a space, as in gold specs.
    """
    export_dir = cfg.path(cfg.export_dir)
    out: dict[str, Counter[tuple[str, str]]] = defaultdict(Counter)
    for path in sorted(export_dir.rglob("*.json")) if export_dir.is_dir() else []:
        tasks, _ = read_export(path, cfg.rel(path))  # broken files are `builder check`'s business
        for task in tasks:
            live = [a for a in task.annotations if not a.was_cancelled]
            for ann in [a for a in live if a.ground_truth] or live:
                for item in ann.result:
                    v = item.get("value") or {}
                    if item.get("from_name") != ENTITY or not v.get("labels") or "start" not in v:
                        continue
                    surface = task.text[v["start"] : v["end"]].replace("\u00a0", " ")
                    if len(surface) >= MIN_SURFACE and surface == surface.strip() and "\n" not in surface:
                        out[task.doc_id][(surface, v["labels"][0])] += 1
    return out


def gazetteer(surfaces: Mapping[str, Counter[tuple[str, str]]], exclude: str) -> dict[str, str]:
    """surface → label from every document but `exclude`; the majority label wins, a tie drops the surface."""
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for doc_id, counts in surfaces.items():
        if doc_id != exclude:
            for (surface, label), n in counts.items():
                votes[surface][label] += n
    out = {}
    for surface, labels in votes.items():
        ranked = labels.most_common(2)
        if len(ranked) == 1 or ranked[0][1] > ranked[1][1]:
            out[surface] = ranked[0][0]
    return dict(sorted(out.items()))


def gazetteer_version(gaz: Mapping[str, str]) -> str:
    blob = json.dumps(sorted(gaz.items()), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return GAZETTEER_PREFIX + hashlib.sha256(blob).hexdigest()[:12]


def match(text: str, gaz: Mapping[str, str]) -> list[dict[str, Any]]:
    """Entity result items: whole-word matches, longest surface first, none overlapping a match already taken."""
    taken = bytearray(len(text))
    spans = []
    for surface in sorted(gaz, key=lambda s: (-len(s), s)):
        for s, e in find_all(surface, text):
            if not any(taken[s:e]):
                taken[s:e] = b"\x01" * (e - s)
                spans.append((s, e, gaz[surface]))
    return [
        {"id": f"gz{i:03d}", "from_name": ENTITY, "to_name": "text", "type": "labels",
         "value": {"start": s, "end": e, "text": text[s:e], "labels": [label]}}
        for i, (s, e, label) in enumerate(sorted(spans))
    ]  # fmt: skip
