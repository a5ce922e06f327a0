"""Command line: thin typer wrappers over the library. Only this module prints or exits."""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

import typer

from builder.config import BuildConfig, load_config
from builder.errors import BuildError, InvalidCorpus
from builder.records import Problem

app = typer.Typer(name="builder", help="Build the Bengali news attribution corpus.", no_args_is_help=True, add_completion=False)

ROOT = typer.Option(Path("."), "--root", help="Repository root (holds pyproject.toml).", file_okay=False)


def _config(root: Path, **overrides: object) -> BuildConfig:
    return load_config(root.resolve()).with_overrides(**overrides)


def _report(problems: list[Problem]) -> None:
    for p in sorted(problems, key=lambda p: (p.file, p.record, p.pointer, p.code)):
        typer.echo(p.render(), err=True)
    counts = Counter(p.code for p in problems)
    summary = ", ".join(f"{code} {n}" for code, n in sorted(counts.items()))
    typer.echo(f"{len(problems)} problem(s): {summary}", err=True)


def _fail(e: BuildError) -> None:
    if isinstance(e, InvalidCorpus):
        _report(e.problems)
    typer.echo(f"Error: {e}", err=True)
    if e.hint:
        typer.echo(f"hint: {e.hint}", err=True)
    raise typer.Exit(1)


@app.command()
def check(root: Path = ROOT) -> None:
    """Validate raw/, text/ and annotations/ and print every problem. Writes nothing.

    Example: builder check
    """
    from builder import pipeline

    try:
        outcome = pipeline.check(_config(root))
        pipeline.require_clean(outcome)
    except BuildError as e:
        _fail(e)
    n = {c: sum(len(r) for r in by_split.values()) for c, by_split in outcome.rows.items()}
    typer.echo(
        f"ok: {len(outcome.documents)} annotated document(s), {n['ner']} sentences, {n['attribution']} attributions, "
        f"{n['stance']} stance rows; not yet annotated: {len(outcome.unannotated)}"
    )


@app.command()
def clean(root: Path = ROOT) -> None:
    """Re-clean every page in raw/ into text/<doc_id>.txt; a text that has annotations is never rewritten.

    Example: builder clean
    """
    from builder.clean import clean_all
    from builder.export import iter_exports

    cfg = _config(root)
    try:
        annotated = {
            t.doc_id
            for tasks, _ in iter_exports(cfg.path(cfg.export_dir), cfg.rel)
            for t in tasks
            if any(not a.was_cancelled for a in t.annotations)
        }
        done, problems = clean_all(cfg.path(cfg.raw_dir), cfg.path(cfg.text_dir), annotated=annotated)
    except BuildError as e:
        _fail(e)
    if problems:
        _report(problems)
    typer.echo(f"cleaned {len(done)} document(s) into {cfg.text_dir}/")
    if problems:
        raise typer.Exit(1)


@app.command()
def build(
    root: Path = ROOT,
    out: Path = typer.Option(None, "--out", help="Dataset folder to write (default: out_dir in pyproject)."),
) -> None:
    """Check everything, then write the Hugging Face dataset folder atomically.

    Example: builder build --out build/dataset
    """
    from builder import pipeline, release

    cfg = _config(root)
    started = time.perf_counter()
    try:
        outcome = pipeline.check(cfg)
        pipeline.require_clean(outcome)
        target = out if out is not None else cfg.path(cfg.out_dir)
        manifest = release.write(cfg, outcome, target)
    except BuildError as e:
        _fail(e)
    seconds = time.perf_counter() - started
    rows = ", ".join(f"{c} {sum(n.values())}" for c, n in manifest.rows.items())
    typer.echo(f"wrote {cfg.rel(target)} in {seconds:.1f}s: {rows}")


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
