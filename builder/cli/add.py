"""`builder add`: a contributor's way to bring a new page into the corpus (see builder.clean.addpage)."""

from __future__ import annotations

from pathlib import Path

import typer

from builder.config import load_config
from builder.errors import BuildError, InvalidCorpus


def add(
    page: Path = typer.Argument(..., help="The saved page: a text capture (.txt) or HTML (.html).", dir_okay=False),
    outlet: str = typer.Option(..., "--outlet", help="Publishing outlet: its id in annotations/registry.csv, e.g. 'BSS'."),
    rights: str = typer.Option(..., "--rights", help="Who owns the text and on what terms the corpus uses it."),
    url: str = typer.Option(None, "--url", help="The page's URL (http or https)."),
    captured_at: str = typer.Option(None, "--captured-at", help="When the page was saved, ISO 8601."),
    title: str = typer.Option(None, "--title", help="The headline, when the capture has no headline line the cleaner recognises."),
    published_at: str = typer.Option(None, "--published-at", help="Publication time, ISO 8601 (Asia/Dhaka when naive), when the page shows none."),
    split: str = typer.Option(None, "--split", help="train, validation or test (default: the hash split)."),
    kind: str = typer.Option(None, "--kind", help="text or html (default: from the file name)."),
    root: Path = typer.Option(Path("."), "--root", help="Repository root (holds pyproject.toml).", file_okay=False),
) -> None:
    """Copy a page into raw/ byte for byte, give it a doc_id, add its raw/sources.csv row and clean it
    into text/. On any problem nothing is written.

    Example: builder add saved/article.txt --outlet BSS --rights "BSS wire story; research use" --title "…"
    """
    from builder.clean.addpage import add_page
    from builder.cli.report import fail
    from builder.scheme import load_scheme

    try:
        cfg = load_config(root.resolve())
        scheme = load_scheme(cfg.path(cfg.labeling_config), cfg.path(cfg.registry))
        done = add_page(
            cfg.path(cfg.raw_dir), cfg.path(cfg.text_dir), page, outlet=outlet, rights=rights,
            known_outlets=frozenset(scheme.registry), url=url, captured_at=captured_at, title=title,
            published_at=published_at, split=split, kind=kind,
        )  # fmt: skip
    except InvalidCorpus as e:
        fail(InvalidCorpus(e.problems) if e.problems else e)
        return
    except BuildError as e:
        fail(e)
        return
    for notice in done.notices:
        typer.echo(notice)
    c = done.cleaned
    typer.echo(f"added {done.source.doc_id}: {cfg.rel(done.capture)} (copied byte for byte), a row in raw/sources.csv, "
               f"{cfg.rel(done.text)} ({len(c.text):,} characters, title {c.title!r})")  # fmt: skip
    typer.echo("next: commit raw/ and text/, then `builder ls push` to annotate it")
