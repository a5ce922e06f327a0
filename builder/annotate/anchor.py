"""Exported annotation + the text it was made on + the committed text → offsets in the committed text.

Two steps, both only where the text proves the position:
1. repair: offsets written in another convention (UTF-16 code units, CRLF counted differently)
   are converted when the claimed span text sits exactly at the converted position;
2. re-anchor: when the committed cleaned text differs from the task's text (the text was
   re-cleaned after annotation), every span is carried over by an alignment of the two texts.
A span that cannot be carried over is a Problem (`span-lost`) for review, never dropped; what
was repaired or moved is a Notice, printed by `check` and counted in the card.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

from builder.annotate.offsets import convention_and_repairs, repair
from builder.annotate.reanchor import reanchor
from builder.read.export import Annotation, Task
from builder.records import Problem


@dataclass(frozen=True, slots=True)
class Notice:
    """Something the build changed on the way in; not an error."""

    code: str  # offsets-repaired, spans-reanchored
    file: str
    record: str
    message: str
    count: int  # how many spans it concerns

    def render(self) -> str:
        return f"{self.code}  {self.file} › {self.record}\n  {self.message}"


def _is_span(item: dict[str, Any]) -> bool:
    v = item.get("value", {})
    return item.get("type") == "labels" and isinstance(v.get("start"), int) and isinstance(v.get("end"), int)


def anchor(task: Task, ann: Annotation, committed: str) -> tuple[Annotation, list[Notice], list[Problem]]:
    """`ann` with every span's offsets in `committed` code points, plus notices and problems."""
    items = list(ann.result)  # _move puts new dicts in; the export's own are never changed
    spans = [k for k, i in enumerate(items) if _is_span(i)]
    record = f"{task.record} › annotation {ann.id}"
    notices: list[Notice] = []
    problems: list[Problem] = []

    claimed = [(items[k]["value"]["start"], items[k]["value"]["end"], _claimed(items[k])) for k in spans]
    convention, repairs = convention_and_repairs(task.text, claimed)
    if convention != "exact":  # the detected convention is tried first for every span
        repairs = [repair(task.text, start, end, text, prefer=convention) for start, end, text in claimed]
    hows: Counter[str] = Counter()
    for k, (start, end, _), fixed in zip(spans, claimed, repairs):
        if fixed is not None and (fixed.start, fixed.end) != (start, end):
            _move(items, k, fixed.start, fixed.end)
            hows[fixed.how] += 1
    if hows:
        detail = ", ".join(f"{how} {n}" for how, n in sorted(hows.items()))
        notices.append(Notice("offsets-repaired", task.file, record,
                              f"{sum(hows.values())} span offsets were in another convention and were converted ({detail})",
                              sum(hows.values())))

    if task.text != committed:
        result = reanchor(task.text, committed, [(str(k), items[k]["value"]["start"], items[k]["value"]["end"]) for k in spans])
        for n, (key, start, end, old_text, reason) in enumerate(result.lost):
            problems.append(Problem(
                "span-lost", task.file, record, f"{ann.pointer}/result/{key}/value",
                f"{_label(items[int(key)])} {old_text!r} at [{start}:{end}] of the annotated text is not in the committed text "
                f"({reason}); {result.context.get(n, '')}".rstrip("; "),
                "review it: revert the text change, or re-annotate the span in Label Studio on the new text and pull",
            ))
        for key, _, _, new_start, new_end in result.moved:
            _move(items, int(key), new_start, new_end)
        if result.moved and not result.lost:
            notices.append(Notice("spans-reanchored", task.file, record,
                                  f"the text changed after annotation; {result.report().splitlines()[0]}", len(result.moved)))
    return replace(ann, result=tuple(items)), notices, problems


def _claimed(item: dict[str, Any]) -> str | None:
    text = item["value"].get("text")
    return text if isinstance(text, str) else None


def _label(item: dict[str, Any]) -> str:
    labels = item["value"].get("labels") or ["?"]
    return str(labels[0])


def _move(items: list[dict[str, Any]], k: int, start: int, end: int) -> None:
    """New offsets for span k and for the per-region answers that repeat its offsets."""
    rid = items[k].get("id")
    items[k] = {**items[k], "value": {**items[k]["value"], "start": start, "end": end}}
    for j, other in enumerate(items):
        if j != k and other.get("id") == rid and other.get("type") in ("choices", "taxonomy", "textarea") and "start" in other.get("value", {}):
            items[j] = {**other, "value": {**other["value"], "start": start, "end": end}}
