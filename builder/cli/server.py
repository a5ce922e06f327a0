"""`builder server`: a local Label Studio for annotators, whose work survives the server.

* The data folder is persistent by default (`.label-studio/` in the repository, ignored by git); a
  temporary one only with --temporary, and even then it is kept when it holds annotations not pulled yet.
* The URL printed is the server's own: a busy --port is refused before Label Studio starts (it would
  silently move to the next port while /health on the busy one answers for another server).
* Ctrl-C, SIGTERM and SIGHUP all stop the server's whole process group and clean up the same way.
* Before stopping, the project's annotations are compared with annotations/export/ and the number not
  pulled yet is said (with the `builder ls pull` to run).
The admin password and API token live in the data folder's credentials file (mode 0600), never on screen.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer

from builder.config import load_config
from builder.errors import BuildError

DEFAULT_DATA_DIR = ".label-studio"  # repository-relative, git-ignored
DEFAULT_PORT = 8080


class _Stopped(Exception):
    """A termination signal arrived."""


@contextmanager
def _signals_stop() -> Iterator[None]:
    """SIGTERM/SIGHUP end the wait like Ctrl-C does; the first one also holds further ones off, so the
    clean-up after it (compare with the exports, stop the server) is not cut short."""
    def stop(signum: int, frame: object) -> None:
        for sig in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        raise _Stopped(signal.Signals(signum).name)

    old = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)


def unpulled(url: str, token: str, title: str, export_dir: Path) -> tuple[int, list[str]]:
    """(annotations on the server that annotations/export/ lacks, their doc_ids); (0, []) without a project.

    It is the plan of a pull that writes nothing (dry run; --replace so a conflict does not stop the count).
    """
    from builder.labelstudio import pull as P
    from builder.labelstudio import session as S

    session = S.connect(url, token)
    project = S.find_project(session, title)
    if project is None:
        return 0, []
    plan = P.pull(session, project, export_dir, dry_run=True, replace=True).plan
    return plan.unpulled, [d.doc_id for d in plan.docs if d.unpulled]


def server(
    root: Path = typer.Option(Path("."), "--root", help="Repository root (holds pyproject.toml).", file_okay=False),
    data_dir: Path = typer.Option(None, "--data-dir", help=f"Data folder, kept between runs [default: {DEFAULT_DATA_DIR}/ in the repository]."),
    temporary: bool = typer.Option(False, "--temporary", help="Use a temporary data folder, deleted on exit (kept if it holds unpulled annotations)."),
    port: int = typer.Option(DEFAULT_PORT, "--port", help="Port on 127.0.0.1; refused when something already listens there."),
    fresh: bool = typer.Option(False, "--fresh", help="Do not start from the pre-migrated template (20-55 s of migrations)."),
) -> None:
    """Run a local Label Studio server on 127.0.0.1 until Ctrl-C or SIGTERM (annotators, debugging).

    Example: builder server --port 8080
    """
    from builder.labelstudio.server import CREDENTIALS_FILE, USERNAME, LabelStudioServer
    from builder.labelstudio.session import LabelStudioError, default_title

    try:
        cfg = load_config(root.resolve())
        if temporary and data_dir is not None:
            raise BuildError("--temporary and --data-dir exclude each other", "pass one of them")
        folder = None if temporary else (data_dir or cfg.path(DEFAULT_DATA_DIR))
        srv = LabelStudioServer(folder, use_template=not fresh, port=port)
        with _signals_stop():
            srv.start()
            try:
                where = "temporary, deleted on exit" if srv.temporary else "kept between runs"
                typer.echo(f"Label Studio {srv.url} is up after {srv.start_seconds:.1f}s; data in {cfg.rel(srv.data_dir)} ({where})")
                typer.echo(f"log in as {USERNAME}; the password and API token are in {cfg.rel(srv.data_dir / CREDENTIALS_FILE)}")
                typer.echo("Ctrl-C (or SIGTERM) stops it.", nl=True)
                while srv.running:
                    time.sleep(0.5)
                typer.echo("Label Studio exited by itself; see its log", err=True)
            except (KeyboardInterrupt, _Stopped) as e:
                typer.echo(f"stopping ({type(e).__name__ if isinstance(e, KeyboardInterrupt) else e})")
            finally:
                keep = False
                if srv.url and srv.running:
                    try:
                        n, docs = unpulled(srv.url, srv.api_key, default_title(cfg), cfg.path(cfg.export_dir))
                    except LabelStudioError as e:
                        typer.echo(f"could not compare the server with {cfg.export_dir}/: {e}", err=True)
                        n, docs = -1, []
                    if n > 0:
                        keep = srv.temporary
                        typer.echo(f"{n} annotation(s) on this server are not pulled yet ({', '.join(docs)}): "
                                   f"run `builder ls pull` against it next time", err=True)  # fmt: skip
                    elif n == 0:
                        typer.echo(f"every annotation on this server is in {cfg.export_dir}/")
                srv.stop(keep_data=keep)
                if keep:
                    typer.echo(f"kept the temporary data folder {srv.data_dir} because of them; "
                               f"restart with `builder server --data-dir {srv.data_dir}`", err=True)  # fmt: skip
    except BuildError as e:
        typer.echo(f"Error: {e}", err=True)
        if e.hint:
            typer.echo(f"hint: {e.hint}", err=True)
        raise typer.Exit(1) from None
