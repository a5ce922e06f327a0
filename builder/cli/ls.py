"""`builder ls …`: the repository ⇄ a running Label Studio project. Thin typer wrappers over builder.labelstudio.project.

URL and token come from LABEL_STUDIO_URL / LABEL_STUDIO_API_KEY or --url / --token (the environment is
preferred: a flag shows in `ps`). The token is never printed: help does not show it, errors are built
without it, and an unexpected crash prints a plain traceback (no local variables) with the token masked.
Every failure exits 1 with a message and a hint.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer

from builder.config import BuildConfig, load_config
from builder.errors import BuildError, MissingInput
from builder.labelstudio import session as S
from builder.labelstudio.pullplan import BACKUP_DIR
from builder.read.sources import read_sources


class _Later:
    """A module imported when first used: every `builder` command loads this file, only `ls` needs these."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str):
        import importlib

        return getattr(importlib.import_module(self._name), attr)


L = _Later("builder.labelstudio.project")
P = _Later("builder.labelstudio.pull")

ls_app = typer.Typer(
    name="ls",
    help="Label Studio project: setup, push, predict, pull (a running server; URL and token from the environment).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,  # plain click help: flags show no "<bool>" placeholder that they do not take
    pretty_exceptions_show_locals=False,  # locals would include the token
)

ROOT = typer.Option(Path("."), "--root", help="Repository root (holds pyproject.toml).", file_okay=False)
URL = typer.Option(None, "--url", envvar=S.URL_ENV, help="Label Studio base URL, e.g. http://127.0.0.1:8080.")
TOKEN = typer.Option(
    None, "--token", envvar=S.TOKEN_ENV, show_default=False,
    help="API token (legacy token or personal access token). Prefer the environment variable; never printed.",
)  # fmt: skip
TITLE = typer.Option(None, "--title", help=f"Project title (default: ls_project in pyproject, else {S.DEFAULT_TITLE!r}).")
DOCS = typer.Option(None, "--doc", metavar="DOC_ID", help="doc_id to push (repeatable; default: every document with a cleaned text).")
PREDICT_DOCS = typer.Option(None, "--doc", metavar="DOC_ID",
                            help="doc_id to pre-annotate (repeatable; default: every unannotated task of a document with a cleaned text).")


@contextmanager
def _guard(token: str | None) -> Iterator[None]:
    """BuildError → message + hint, exit 1; anything else → a token-free traceback, exit 1."""
    try:
        yield
    except BuildError as e:
        typer.echo(f"Error: {_mask(str(e), token)}", err=True)
        if e.hint:
            typer.echo(f"hint: {_mask(e.hint, token)}", err=True)
        raise typer.Exit(1) from None
    except (typer.Exit, typer.Abort):
        raise
    except Exception as e:  # noqa: BLE001 - a bug: show where, never the token (plain traceback, no locals)
        typer.echo(_mask("".join(traceback.format_exception(e)), token), err=True)
        typer.echo("hint: this is a bug in `builder ls`; please report the traceback above", err=True)
        raise typer.Exit(1) from None


def _mask(text: str, token: str | None) -> str:
    """Hide the token where it stands as a whole word; a 'token' of a few letters is no secret to hide
    (and masking it would garble every word that contains it)."""
    if not token or len(token) < 8:
        return text
    return re.sub(rf"(?<![A-Za-z0-9_-]){re.escape(token)}(?![A-Za-z0-9_-])", "***", text)


def _config(root: Path) -> BuildConfig:
    return load_config(root.resolve())


def _docs_line(verb: str, ids: list[str]) -> str:
    return f"{len(ids)} {verb}" + (f" ({', '.join(ids)})" if ids and len(ids) <= 10 else "")


def _skipped(rows: list[tuple[str, str]]) -> None:
    for doc_id, reason in rows:
        typer.echo(f"  skipped {doc_id}: {reason}")


@ls_app.command()
def setup(root: Path = ROOT, title: str = TITLE, url: str = URL, token: str = TOKEN) -> None:
    """Create the project from annotations/labeling_config.xml, or update its config (idempotent).

    A config that would orphan labels, choices or stance targets used by annotations on the server is refused.

    Example: LABEL_STUDIO_URL=http://127.0.0.1:8080 LABEL_STUDIO_API_KEY=… builder ls setup
    """
    with _guard(token):
        cfg = _config(root)
        path = cfg.path(cfg.labeling_config)
        if not path.is_file():
            raise MissingInput(f"{cfg.labeling_config} not found", "restore it from git")
        session = S.connect(url, token)
        report = L.setup(session, title or S.default_title(cfg), path.read_text(encoding="utf-8"))
        p = report.project
        if report.action == "unchanged":
            typer.echo(f"project {p.title!r} (id {p.id}) already has this labeling config: nothing changed")
        else:
            typer.echo(f"project {p.title!r} (id {p.id}) {report.action} from {cfg.labeling_config} at {session.url}")


@ls_app.command()
def push(
    root: Path = ROOT,
    doc: list[str] = DOCS,
    predictions: bool = typer.Option(False, "--predictions", help="Also add gazetteer pre-annotations (see `predict`)."),
    title: str = TITLE,
    url: str = URL,
    token: str = TOKEN,
) -> None:
    """Push cleaned documents as tasks keyed by doc_id; never duplicates, never overwrites an annotated task.

    Example: builder ls push --doc 000_ba2a176cc4aaac8d --predictions
    """
    with _guard(token):
        cfg = _config(root)
        docs, skipped = L.local_documents(cfg, doc or ())
        session = S.connect(url, token)
        project = S.require_project(session, title or S.default_title(cfg))
        r = L.push(session, project, docs)
        parts = [_docs_line(v, ids) for v, ids in (("created", r.created), ("updated", r.updated), ("unchanged", r.unchanged))]
        typer.echo(f"pushed to project {project.title!r} (id {project.id}): {', '.join(parts)}, {len(r.skipped) + len(skipped)} skipped")
        _skipped(skipped + r.skipped)
        if predictions:
            _echo_predictions(L.predict(session, project, cfg, docs))


@ls_app.command()
def predict(root: Path = ROOT, doc: list[str] = PREDICT_DOCS, title: str = TITLE, url: str = URL, token: str = TOKEN) -> None:
    """Pre-annotate unannotated tasks with entity matches from a gazetteer of the OTHER documents' gold.

    Example: builder ls predict
    """
    with _guard(token):
        cfg = _config(root)
        docs, _ = L.local_documents(cfg, doc or ())
        session = S.connect(url, token)
        _echo_predictions(L.predict(session, S.require_project(session, title or S.default_title(cfg)), cfg, docs))


def _echo_predictions(r: L.PredictReport) -> None:
    parts = [_docs_line(v, ids) for v, ids in (("created", r.created), ("replaced", r.replaced), ("unchanged", r.unchanged))]
    typer.echo(f"gazetteer predictions in project {r.project.title!r}: {', '.join(parts)}, {len(r.skipped)} skipped")
    _skipped(r.skipped)


@ls_app.command()
def pull(
    root: Path = ROOT,
    replace: bool = typer.Option(False, "--replace", help=f"Allow removing or replacing annotations the local export has (the old files are saved under {BACKUP_DIR}/)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only report what would be added, updated, removed or replaced."),
    title: str = TITLE,
    url: str = URL,
    token: str = TOKEN,
) -> None:
    """Download the project's full JSON export into annotations/export/<doc_id>.json (all or nothing).

    Annotations are compared one by one with the local files: new and newer ones are pulled; one that would
    be removed or replaced makes the pull refuse (nothing written) unless --replace is given.

    Example: builder ls pull --dry-run && builder ls pull && git diff --stat annotations/export
    """
    with _guard(token):
        cfg = _config(root)
        session = S.connect(url, token)
        project = S.require_project(session, title or S.default_title(cfg))
        known = frozenset(s.doc_id for s in read_sources(cfg.path(cfg.raw_dir))[0])
        r = P.pull(session, project, cfg.path(cfg.export_dir), replace=replace, dry_run=dry_run,
                   backup_root=cfg.path(BACKUP_DIR), known=known)  # fmt: skip
        verb = "would write" if dry_run else "written"
        typer.echo(
            f"pulled project {project.title!r} (id {project.id}) into {cfg.export_dir}/: {len(r.written)} {verb}, "
            f"{len(r.unchanged)} unchanged; {r.unannotated} task(s) without annotations not written"
            + (" (dry run: nothing was written)" if dry_run else "")
        )
        for line in r.plan.lines():
            typer.echo(line)
        for path in r.written:
            typer.echo(f"  {'would write' if dry_run else 'wrote'} {cfg.rel(path)}")
        if r.backup is not None:
            typer.echo(f"  the replaced files were saved in {cfg.rel(r.backup)}/")
        if r.kept:
            typer.echo(f"  kept {len(r.kept)} local file(s) the project has no annotated task for: {', '.join(r.kept)}")
