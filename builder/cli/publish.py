"""`builder publish`: dry-run (default) or push the built dataset folder to the Hugging Face Hub.

Refuses when `builder check` fails or the folder is stale (differs from a fresh build of the current
inputs). Without `--push` it prints the exact commit plan (path_in_repo, size, sha256) and touches no
network. With `--push` the token is read from the HF_TOKEN environment variable only and never printed.
"""

from __future__ import annotations

import os
from pathlib import Path

import typer

from builder.config import load_config
from builder.errors import BuildError

ROOT = typer.Option(Path("."), "--root", help="Repository root (holds pyproject.toml).", file_okay=False)
REPO_ID = typer.Argument(..., help="Hub dataset repo, `<org>/<name>`.")
REVISION = typer.Option("main", "--revision", help="Branch to commit to (created when missing).")
PUSH = typer.Option(False, "--push", help="Really upload (token from HF_TOKEN); default is a dry run.")
FOLDER = typer.Option(None, "--folder", help="Dataset folder (default: out_dir in pyproject).")


def fail(e: BuildError, token: str = "") -> None:
    from builder.cli.ls import _mask

    message = _mask(str(e), token)
    typer.echo(f"Error: {message}", err=True)
    if e.hint:
        typer.echo(f"hint: {_mask(e.hint, token)}", err=True)
    raise typer.Exit(1)


def publish(
    repo_id: str = REPO_ID,
    root: Path = ROOT,
    revision: str = REVISION,
    push: bool = PUSH,
    folder: Path = FOLDER,
) -> None:
    """Print the commit plan for the dataset folder, or with --push upload it to the Hub.

    Example: builder publish my-org/bn-news --push
    """
    from builder.release import publish as P

    token = os.environ.get("HF_TOKEN", "") if push else ""
    try:
        P.check_repo_id(repo_id)
        cfg = load_config(root.resolve())
        target = folder if folder is not None else cfg.path(cfg.out_dir)
        plan = P.prepare(cfg, target)
        if not push:
            for f in plan.files:
                typer.echo(f"{f.path_in_repo}\t{f.size}\t{f.sha256}")
            typer.echo(
                f"dry run: {len(plan.files)} operation(s), {plan.total_bytes} bytes -> "
                f"create_commit(repo_id={repo_id!r}, repo_type='dataset', revision={revision!r}); nothing sent (use --push)"
            )
            typer.echo("nothing was checked against the Hub: not whether the repo exists, nor any token "
                       "(HF_TOKEN is read only with --push)")  # fmt: skip
            return
        if not token:
            raise P.PublishFailed("HF_TOKEN is not set", "export HF_TOKEN with a write token for the repo; it is read only from the environment")
        url = P.push(plan, repo_id, token=token, revision=revision)
    except BuildError as e:
        fail(e, token)
    typer.echo(f"pushed {len(plan.files)} file(s) to {repo_id}@{revision}: {url}")
