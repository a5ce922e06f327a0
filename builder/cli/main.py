"""Command line: thin typer wrappers over the library. Only this module prints or exits."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import typer

from builder.cli.report import fail, report
from builder.config import BuildConfig, load_config
from builder.errors import BuildError
from builder.labelstudio.pullplan import BACKUP_DIR

app = typer.Typer(
    name="builder",
    help="Build the Bengali news attribution corpus.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,  # plain click help: flags show no "<bool>" placeholder that they do not take
    pretty_exceptions_show_locals=False,  # locals could hold a Label Studio token
)


ROOT = typer.Option(Path("."), "--root", help="Repository root (holds pyproject.toml).", file_okay=False)


def _config(root: Path, **overrides: object) -> BuildConfig:
    return load_config(root.resolve()).with_overrides(**overrides)


QUIET = typer.Option(False, "--quiet", "-q", help="No progress output (problems and the result are still printed).")


WORKERS = typer.Option(None, "--workers", "-w", min=1, help="Processes for the per-document work [default: all cores].")
ENGINE = typer.Option("local", "--engine", help="local: datatrove's LocalPipelineExecutor on this machine; ray: datatrove's RayPipelineExecutor (RAY_ADDRESS, or a Ray started here); slurm: a job array (BN_NEWS_SLURM_*); inline: this process only.")


NO_CACHE = typer.Option(False, "--no-cache", help="Run every shard again instead of reusing unchanged ones from build/cache/.")


@app.command()
def check(root: Path = ROOT, quiet: bool = QUIET, workers: int = WORKERS, engine: str = ENGINE, no_cache: bool = NO_CACHE) -> None:
    """Validate raw/, text/ and annotations/ and print every problem. Writes nothing.

    Example: builder check
    """
    from builder.run import pipeline, progress
    started = time.perf_counter()
    try:
        cfg = _config(root)
        with progress.documents("check", quiet=quiet) as shown:
            # unchanged shards of the last build are not checked again: a cached shard had no problem
            outcome = pipeline.check(cfg, shown, workers=workers, engine=engine, cache=None if no_cache else cfg.path(cfg.cache_dir))
        pipeline.require_clean(outcome)
    except BuildError as e:
        fail(e)
    for notice in outcome.notices:
        typer.echo(notice.render())
    n = {c: sum(outcome.stats.rows.get(c, {}).values()) for c in ("ner", "attribution", "stance")}
    typer.echo(
        f"ok: {outcome.annotated} annotated document(s), {n['ner']} sentences, {n['attribution']} attributions, "
        f"{n['stance']} stance rows; not yet annotated: {outcome.unannotated}"
    )
    if not quiet:
        seconds = time.perf_counter() - started
        total = outcome.documents
        typer.echo(f"checked {total} document(s) in {seconds:.1f}s ({total / max(seconds, 1e-9):.1f} docs/s)")


@app.command()
def clean(root: Path = ROOT) -> None:
    """Re-clean every page in raw/ into text/<doc_id>.txt. An annotated text is rewritten only when
    every span re-anchors onto the new text; otherwise the lost spans are listed and it is kept.

    Example: builder clean
    """
    from builder.clean.pages import clean_all
    from builder.run import pipeline

    try:
        cfg = _config(root)
        plan = pipeline.plan_reclean(cfg)
        done, problems = clean_all(cfg.path(cfg.raw_dir), cfg.path(cfg.text_dir), annotated=plan.protected)
    except BuildError as e:
        fail(e)
    for notice in plan.notices:
        typer.echo(notice.render())
    problems = plan.problems + problems
    if problems:
        report(problems)
    typer.echo(f"cleaned {len(done)} document(s) into {cfg.text_dir}/; kept {len(plan.protected)} annotated text(s) unchanged")
    if problems:
        raise typer.Exit(1)


@app.command()
def build(
    root: Path = ROOT,
    out: Path = typer.Option(None, "--out", help="Dataset folder to write (default: out_dir in pyproject)."),
    quiet: bool = QUIET,
    workers: int = WORKERS,
    engine: str = ENGINE,
    no_cache: bool = NO_CACHE,
) -> None:
    """Check everything, then write the Hugging Face dataset folder atomically.

    Example: builder build --out build/dataset
    """
    from builder.release.build import build as build_release
    from builder.run import progress

    started = time.perf_counter()
    try:
        cfg = _config(root)
        target = out if out is not None else cfg.path(cfg.out_dir)
        with progress.documents("build", quiet=quiet) as shown:
            outcome, manifest = build_release(cfg, target, shown, workers=workers, engine=engine, cache=not no_cache)
    except BuildError as e:
        fail(e)
    seconds = time.perf_counter() - started
    for note in manifest.notes:
        typer.echo(note)
    rows = ", ".join(f"{c} {sum(n.values())}" for c, n in manifest.rows.items())
    docs = outcome.documents
    reused = (f" ({outcome.cached} of {outcome.shards} shard(s) unchanged, {outcome.reused} of {docs} document(s) reused, "
              f"from {cfg.cache_dir}/)") if outcome.reused else ""  # fmt: skip
    typer.echo(f"wrote {cfg.rel(target)} in {seconds:.1f}s: {rows}; {docs} document(s), {docs / max(seconds, 1e-9):.1f} docs/s{reused}")


@app.command()
def card(root: Path = ROOT, check_only: bool = typer.Option(False, "--check", help="Exit 1 if dataset_card.md is stale; write nothing.")) -> None:
    """Regenerate the generated parts of dataset_card.md (YAML, field tables, counts, plots, agreement).

    Example: builder card --check
    """
    from builder.release import cardfile

    try:
        cfg = _config(root)
        state = cardfile.card_state(cfg) if check_only else cardfile.refresh_card(cfg)
    except BuildError as e:
        fail(e)
    if check_only and state.stale:
        typer.echo(f"Error: {cfg.card_prose} is stale: it differs from the card a build of the current inputs makes", err=True)
        typer.echo(state.diff(), err=True)
        typer.echo("hint: run `builder card` and commit dataset_card.md", err=True)
        raise typer.Exit(1)
    size = len(state.fresh.encode("utf-8"))
    verb = "is up to date" if not state.stale else ("would change" if check_only else "rewritten")
    typer.echo(f"{cfg.card_prose} {verb} ({size:,} bytes); YAML passes the Hub vocabularies offline")


@app.command()
def gold(
    root: Path = ROOT,
    doc: list[str] = typer.Option(None, "--doc", help="doc_id to seed (repeatable; default: every spec in annotations/gold)."),
    out: Path = typer.Option(None, "--out", help="Export folder to write (default: export_dir in pyproject)."),
    check_only: bool = typer.Option(False, "--check", help="Only resolve and check the specs; no server."),
    show: bool = typer.Option(False, "--show", help="Print every resolved region in context; no server."),
    replace: bool = typer.Option(False, "--replace", help=f"Overwrite exports holding annotations the specs do not (saved under {BACKUP_DIR}/ first)."),
) -> None:
    """Seed annotations/gold/*.yaml into a local Label Studio as ground truth and write its exports.

    Example: builder gold --check
    """
    from builder.labelstudio import gold as G
    from builder.labelstudio.server import LabelStudioServer
    from builder.scheme import load_scheme

    try:
        cfg = _config(root)
        scheme = load_scheme(cfg.path(cfg.labeling_config), cfg.path(cfg.registry))
        docs = G.load_docs(cfg, doc)
        if show:
            for d in docs:
                typer.echo(f"== {d.doc_id}\n" + "\n".join(G.show(d)))
        G.check_docs(docs, scheme)
        typer.echo("\n".join(G.summary(docs)))
        if check_only or show:
            return
        export_dir = out or cfg.path(cfg.export_dir)
        lost = G.would_lose(docs, export_dir)
        if lost and not replace:
            raise BuildError(
                f"refusing to seed: {len(lost)} export file(s) hold annotations the gold specs do not; nothing was changed\n  "
                + "\n  ".join(lost),
                f"pull those annotations into the specs first, or pass --replace (the old files are saved under {BACKUP_DIR}/)",
            )
        if lost:
            from builder.labelstudio.pullplan import backup

            saved = backup(export_dir, [d.doc_id for d in docs if (export_dir / f"{d.doc_id}.json").exists()], cfg.path(BACKUP_DIR))
            typer.echo(f"saved the exports it replaces in {cfg.rel(saved)}/")
        started = time.perf_counter()
        with LabelStudioServer() as server:
            how = "template copy" if server.from_template else "fresh data dir"
            typer.echo(f"Label Studio up in {server.start_seconds:.1f}s ({how})")
            config_xml = cfg.path(cfg.labeling_config).read_text(encoding="utf-8")
            paths = G.seed_gold(server.url, server.api_key, docs, export_dir, label_config=config_xml)
    except BuildError as e:
        fail(e)
    for p in paths:
        typer.echo(f"wrote {cfg.rel(p)}")
    typer.echo(f"done in {time.perf_counter() - started:.1f}s")


# Sub-commands live in their own modules, registered here after `app` exists; none imports this module.
from builder.cli.add import add  # noqa: E402
from builder.cli.evaluate import evaluate  # noqa: E402
from builder.cli.ls import ls_app  # noqa: E402
from builder.cli.publish import publish  # noqa: E402
from builder.cli.server import server  # noqa: E402

app.add_typer(ls_app, name="ls")
app.command("eval")(evaluate)
app.command("publish")(publish)
app.command("server")(server)
app.command("add")(add)


def main() -> None:
    """The console entry point: the app, then an exit that skips tearing down the interpreter.

    A build has imported datasets, pyarrow, spaCy and matplotlib; freeing their modules one by one takes
    about half a second after the work is done. The exit handlers still run (multiprocessing, logging,
    temporary folders) and the streams are flushed; only the module teardown is skipped."""
    import atexit
    import os

    try:
        app()
        code: object = 0
    except SystemExit as e:
        code = e.code
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)  # what the interpreter does with a non-integer exit code
        code = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing left to say
            pass
    os._exit(code or 0)


if __name__ == "__main__":  # pragma: no cover
    main()
