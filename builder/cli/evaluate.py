"""`builder eval`: the extraction quality gate. A thin typer wrapper over builder.evaluate.score.

Prints one summary table over the page sets, every place an extraction goes wrong, and each score
against its floor in eval/floors.json. Exits 1 when a score is below its floor or a golden set
changed since the floors were pinned; `--update` raises the floors instead (never lowers them
without `--allow-regression`).
"""

from __future__ import annotations

import math
from pathlib import Path

import typer

from builder.errors import BuildError
from builder.evaluate import score as E
from builder.evaluate import floors as F

ROOT = typer.Option(Path("."), "--root", help="Repository root (holds eval/).", file_okay=False)
UPDATE = typer.Option(
    False, "--update",
    help="Raise the floors in eval/floors.json to the scores measured now, and acknowledge a changed golden set.",
)  # fmt: skip
ALLOW_REGRESSION = typer.Option(
    False, "--allow-regression", help="With --update: also lower floors that the new scores fall below (say why in the commit).",
)  # fmt: skip


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _summary(report: E.EvalReport) -> list[str]:
    """One row per page set: pages, every metric, pages/second."""
    cols = list(E.METRICS)
    head = f"{'set':<12} {'pages':>5}  " + " ".join(f"{E.METRICS[m]:>6}" for m in cols) + f"  {'pages/s':>7}"
    rows = [head]
    for s in report.sets:
        speed = "-" if math.isinf(s.pages_per_second) else f"{s.pages_per_second:.1f}"
        rows.append(f"{s.name:<12} {len(s.pages):>5}  " + " ".join(f"{_num(s.metrics.get(m)):>6}" for m in cols)
                    + f"  {speed:>7}")
    return rows


def _pages(s: E.SetScore) -> list[str]:
    """Per-page scores of one set, and where each imperfect page fails."""
    rows = [f"{s.name} ({s.origin}): {len(s.pages)} page(s) in {s.seconds:.2f}s"]
    for p in s.pages:
        flags = " ".join(f"{label} {'ok' if ok else 'WRONG'}" for label, ok in (("title", p.title_ok), ("date", p.date_ok))
                         if ok is not None)
        lines = f"P {_num(p.precision)} R {_num(p.recall)} F1 {_num(p.f1)}  " if p.gold_lines is not None else ""
        rows.append(f"  {p.page_id:<38} {lines}{flags}")
        rows += [f"      {n}" for n in p.notes()]
    return rows


def _floors(report: E.EvalReport, floors: dict) -> list[str]:
    rows = [f"floors ({F.FLOORS_FILE}):"]
    for s in report.sets:
        pinned = floors.get("sets", {}).get(s.name, {})
        changed = pinned and pinned.get("fingerprint") != s.fingerprint
        rows.append(f"  {s.name}" + (": golden set CHANGED since pinning" if changed else "") + ("" if pinned else ": none pinned"))
        for metric, floor in pinned.get("floors", {}).items():
            value = s.metrics.get(metric)
            ok = value is not None and value + 1e-9 >= floor
            rows.append(f"    {metric:<18} {_num(value):>6}  floor {floor:.3f}  {'ok' if ok else 'BELOW'}")
    return rows


def evaluate(root: Path = ROOT, update: bool = UPDATE, allow_regression: bool = ALLOW_REGRESSION) -> None:
    """Score HTML extraction on the golden page sets; fail when a score is below its pinned floor.

    Example: builder eval            (then, after an improvement: builder eval --update)
    """
    if allow_regression and not update:
        raise typer.BadParameter("only applies together with --update", param_hint="--allow-regression")
    root = root.resolve()
    try:
        report = E.evaluate_sets(root)
        floors = F.load_floors(root)
    except BuildError as e:
        typer.echo(f"Error: {e}", err=True)
        if e.hint:
            typer.echo(f"hint: {e.hint}", err=True)
        raise typer.Exit(1) from None
    for row in _summary(report):
        typer.echo(row)
    for s in report.sets:
        typer.echo("")
        for row in _pages(s):
            typer.echo(row)
    for reason in report.skipped:
        typer.echo(f"\nskipped {reason}")
    typer.echo("")
    if update:
        try:
            changes = F.update_floors(report, root, allow_regression=allow_regression)
        except F.FloorRegression as e:
            for row in _floors(report, floors):
                typer.echo(row)
            typer.echo(f"Error: {e}", err=True)
            typer.echo(f"hint: {e.hint}; {F.FLOORS_FILE} was not changed", err=True)
            raise typer.Exit(1) from None
        for row in _floors(report, F.load_floors(root)):
            typer.echo(row)
        typer.echo("\n".join(changes) if changes else f"{F.FLOORS_FILE}: floors unchanged")
        return
    for row in _floors(report, floors):
        typer.echo(row)
    failures = F.check_floors(report, floors)
    if failures:
        for f in failures:
            typer.echo(f"FAIL {f}", err=True)
        if any("golden set changed" in f or "no floors pinned" in f for f in failures):
            typer.echo("hint: a golden set changed or is new: check the scores above, then run "
                       "`builder eval --update` to pin its fingerprint and floors", err=True)
        if any("below its floor" in f or "not measured" in f for f in failures):
            typer.echo("hint: the pages above show where extraction went wrong: fix builder/clean/extract.py; if the drop "
                       "is intended, run `builder eval --update --allow-regression` and say why in the commit", err=True)
        raise typer.Exit(1)
    typer.echo(f"ok: every score is at or above its floor ({len(report.sets)} page set(s))")
