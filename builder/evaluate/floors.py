"""Pinned floors in eval/floors.json, with a SHA-256 fingerprint of each golden set: `check_floors` lists every
score below its floor and every golden set that changed since the floors were pinned; `update_floors` raises
floors to the scores measured now (rounded down to 3 decimals), refuses to lower one unless told to, and writes
the file atomically.

"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

from builder.atomic import write_atomic
from builder.errors import BuildError
from builder.evaluate.goldsets import BadGoldSet, read_json
from builder.evaluate.score import EvalReport

FLOORS_FILE = "eval/floors.json"
_EPS = 1e-9


class FloorRegression(BuildError):
    """`--update` would lower a pinned floor."""

    hint = ("fix the extractor, or, if the drop is intended (say why in the commit), "
            "re-run with `builder eval --update --allow-regression`")


def floor3(value: float) -> float:
    """Round down to 3 decimals (0.9637 → 0.963; 0.963 stays 0.963 despite binary floating point)."""
    return math.floor(round(value * 1000, 6)) / 1000


def load_floors(root: Path) -> dict[str, Any]:
    """eval/floors.json, or an empty pin set when the file does not exist yet."""
    path = root / FLOORS_FILE
    if not path.is_file():
        return {"sets": {}}
    doc = read_json(path.read_bytes(), FLOORS_FILE)
    if not isinstance(doc, dict) or not isinstance(doc.get("sets"), dict):
        raise BadGoldSet(f"{FLOORS_FILE}: expected an object with a 'sets' object", "restore it from git")
    return doc


def check_floors(report: EvalReport, floors: dict[str, Any]) -> list[str]:
    """Every score below its pinned floor and every golden set changed since pinning; [] when all is well."""
    failures = []
    pinned_sets = floors.get("sets", {})
    for s in report.sets:
        pinned = pinned_sets.get(s.name)
        if pinned is None:
            failures.append(f"{s.name}: no floors pinned in {FLOORS_FILE}")
            continue
        if pinned.get("fingerprint") != s.fingerprint:
            failures.append(
                f"{s.name}: the golden set changed since its floors were pinned "
                f"(fingerprint {s.fingerprint[:12]}… ≠ pinned {str(pinned.get('fingerprint'))[:12]}…); "
                "the floors were measured on other data"
            )
        for metric, floor in pinned.get("floors", {}).items():
            value = s.metrics.get(metric)
            if value is None:
                failures.append(f"{s.name}: {metric} has a floor ({floor:.3f}) but was not measured")
            elif value + _EPS < floor:
                failures.append(f"{s.name}: {metric} {value:.3f} is below its floor {floor:.3f}")
    return failures


def raise_floors(report: EvalReport, floors: dict[str, Any], *, allow_regression: bool = False) -> tuple[dict[str, Any], list[str]]:
    """New pins from the scores measured now, and what changed. Raises FloorRegression before lowering any
    floor (or dropping one) unless allow_regression; a changed golden set is re-pinned under the same rule."""
    new = copy.deepcopy(floors)
    new.setdefault("sets", {})
    changes, lowered = [], []
    for s in report.sets:
        old = new["sets"].get(s.name, {})
        old_floors: dict[str, float] = old.get("floors", {})
        pins = {m: floor3(v) for m, v in s.metrics.items()}
        for metric, value in pins.items():
            before = old_floors.get(metric)
            if before is None:
                changes.append(f"{s.name}: {metric} pinned at {value:.3f}")
            elif value > before:
                changes.append(f"{s.name}: {metric} raised {before:.3f} → {value:.3f}")
            elif value < before:
                lowered.append(f"{s.name}: {metric} {before:.3f} → {value:.3f}")
        lowered += [f"{s.name}: {m} floor {f:.3f} dropped (no longer measured)" for m, f in old_floors.items() if m not in pins]
        if old and old.get("fingerprint") != s.fingerprint:
            changes.append(f"{s.name}: golden set fingerprint re-pinned ({s.fingerprint[:12]}…)")
        new["sets"][s.name] = {"fingerprint": s.fingerprint, "pages": len(s.pages), "floors": pins}
    if lowered and not allow_regression:
        raise FloorRegression(f"refusing to lower {len(lowered)} floor(s): " + "; ".join(lowered))
    changes += [f"LOWERED {x}" for x in lowered]
    new["sets"] = dict(sorted(new["sets"].items()))
    return new, changes


def update_floors(report: EvalReport, root: Path, *, allow_regression: bool = False) -> list[str]:
    """Raise the floors in eval/floors.json to this report's scores; atomic; returns what changed."""
    floors = load_floors(root)
    new, changes = raise_floors(report, floors, allow_regression=allow_regression)
    if new != floors or not (root / FLOORS_FILE).is_file():
        new = {"about": new.pop("about", _ABOUT), **new}
        write_atomic(root / FLOORS_FILE, json.dumps(new, ensure_ascii=False, indent=2) + "\n")
    return changes


_ABOUT = ("Pinned floors of `builder eval`, one entry per golden page set: the set's sha256 fingerprint and "
          "the minimum score per metric (rounded down to 3 decimals). Written by `builder eval --update`, "
          "which only raises floors; see eval/README.md.")
