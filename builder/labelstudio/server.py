"""Start and stop a real local Label Studio server (for seeding the gold, tooling and tests).

The server lives in its own virtual environment (`.venv-ls`, ~1 GB, pins its own numpy/pyarrow);
the builder only needs `label-studio-sdk`. The executable is `$LABEL_STUDIO_BIN`, or
`<repository root>/.venv-ls/bin/label-studio` when the variable is unset.

    with LabelStudioServer() as server:          # temporary data dir, copied from the template cache
        ls = LabelStudio(base_url=server.url, api_key=server.api_key)

Why it looks like this (see the Label Studio probe notes):

* A fresh data dir runs every migration (20-55 s on 2 cores). `label-studio init` is therefore run
  once into a *template* data dir in the user cache (`$BN_NEWS_LS_CACHE`, else
  `$XDG_CACHE_HOME/bn-news-builder`, else `~/.cache/bn-news-builder`); each server gets a copy
  (`shutil.copytree`), which starts in 2-7 s. The copy keeps the user, the legacy API token and the
  organisation flag that enables legacy tokens, because `.env` (SECRET_KEY) and the SQLite DB travel together.
* Authentication uses a preset *legacy* token: `LABEL_STUDIO_USER_TOKEN` +
  `LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN=true`, which must be set when the organisation is created
  (first start / init), so it is baked into the template. The token and password are random, live only in
  `<data dir>/.builder-credentials.json` (mode 0600) and the server's DB, are passed to the server through
  the environment (never on the command line, where `ps` would show them) and are never printed.
* Label Studio reads `LABEL_STUDIO_X`, then `HEARTEX_X`, then the bare `X` for every setting, so a stray
  `USERNAME`, `PASSWORD`, `HOST`, `PORT`, `USER_TOKEN`, `DATABASE_NAME`, ... in the caller's environment
  would be picked up. All `LABEL_STUDIO_*`/`HEARTEX_*` variables and those bare names are removed.
* `HOME` is set to the data dir: every CLI call writes `~/.config/label-studio` and
  `~/.local/share/label-studio` otherwise.
* If its port is taken, Label Studio silently moves to the next one; we pick a free port on 127.0.0.1 and
  check that the server really listens there.
* The server runs in its own session (`start_new_session=True`) and is stopped with `os.killpg`.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

from builder.labelstudio.credentials import (
    CREDENTIALS_FILE,
    USERNAME,
    new_credentials,
    read_credentials,
    rotate,
    write_credentials,
)
from builder.labelstudio.template import (
    LOG_FILE,
    SETUP_HINT,
    TEMPLATE_MARKER,
    ServerError,
    ensure_template,
    free_port,
    label_studio_bin,
    log_tail,
    port_in_use,
    server_env,
)

__all__ = ["CREDENTIALS_FILE", "USERNAME", "LabelStudioServer"]  # the credentials names: re-exported for callers


class LabelStudioServer:
    """A local Label Studio server as a context manager.

    data_dir: None → a temporary folder, deleted on stop (kept when start fails, for the log).
              A given folder is reused if it holds a previous server's data (restart, ~4 s); an empty or
              missing folder is filled from the template. Another non-empty folder is refused (its token is unknown).
    use_template: False → fresh `label-studio start` that migrates a new DB (20-55 s).
    """

    def __init__(
        self,
        data_dir: Path | str | None = None,
        *,
        use_template: bool = True,
        executable: Path | str | None = None,
        port: int | None = None,
        startup_timeout: float | None = None,
    ) -> None:
        self._given_dir = Path(data_dir) if data_dir is not None else None
        self.use_template = use_template
        self._executable = Path(executable) if executable is not None else None
        self._port = port
        self.startup_timeout = startup_timeout
        self.data_dir: Path | None = None
        self.url: str | None = None
        self.start_seconds: float | None = None  # process start → /health answers
        self.from_template: bool | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._credentials: dict[str, str] | None = None
        self._temporary = False

    def __repr__(self) -> str:  # never shows the token
        state = "running" if self.running else "stopped"
        return f"LabelStudioServer({self.url or 'not started'}, {state})"

    @property
    def api_key(self) -> str:
        """The legacy API token (for `LabelStudio(base_url=..., api_key=...)`). Do not print it."""
        if self._credentials is None:
            raise ServerError("the Label Studio server has not been started")
        return self._credentials["token"]

    @property
    def log_path(self) -> Path | None:
        return self.data_dir / LOG_FILE if self.data_dir else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def __enter__(self) -> LabelStudioServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _prepare_data_dir(self, executable: Path) -> Path:
        if self._given_dir is None:
            parent = Path(tempfile.mkdtemp(prefix="bn-news-ls-"))
            self._temporary = True
            data_dir = parent / "data"
        else:
            data_dir = self._given_dir.expanduser().resolve()
        if data_dir.exists() and any(data_dir.iterdir()):
            self._credentials = read_credentials(data_dir)
            if self._credentials is None or not (data_dir / "label_studio.sqlite3").is_file():
                raise ServerError(
                    f"{data_dir} is not empty and holds no data of a server started by builder.labelstudio.server",
                    "pass an empty or new folder (it is filled from the template), or omit data_dir",
                )
            self.from_template = False
            return data_dir
        if self.use_template:
            template = ensure_template(executable)
            if data_dir.exists():
                data_dir.rmdir()
            shutil.copytree(template, data_dir, symlinks=True)
            (data_dir / TEMPLATE_MARKER).unlink(missing_ok=True)
            (data_dir / LOG_FILE).unlink(missing_ok=True)
            try:  # the copy's own password, token and SECRET_KEY: no two folders share them
                self._credentials = rotate(data_dir)
            except (LookupError, OSError, sqlite3.Error) as e:
                shutil.rmtree(data_dir, ignore_errors=True)
                raise ServerError(f"template {template} could not be given new credentials ({e})",
                                  "delete the template folder; it is rebuilt") from None  # fmt: skip
            self.from_template = True
        else:
            data_dir.mkdir(parents=True, exist_ok=True)
            self._credentials = new_credentials()
            write_credentials(data_dir, self._credentials)
            self.from_template = False
        os.chmod(data_dir, 0o700)
        return data_dir

    def start(self) -> LabelStudioServer:
        if self.running:
            return self
        executable = self._executable or label_studio_bin()
        if not executable.is_file():
            raise ServerError(f"Label Studio server executable not found: {executable}", SETUP_HINT)
        self.data_dir = self._prepare_data_dir(executable)
        assert self._credentials is not None
        port = self._port or free_port()
        if port_in_use(port):
            raise ServerError(
                f"port {port} on 127.0.0.1 is already in use (another Label Studio, or another program)",
                "stop what listens there, or pass another --port (Label Studio itself would silently move to "
                f"port {port + 1} and the URL would point at the wrong server)",
            )
        self.url = f"http://127.0.0.1:{port}"
        migrated = (self.data_dir / "label_studio.sqlite3").is_file()
        timeout = self.startup_timeout or (120.0 if migrated else 400.0)
        log = self.data_dir / LOG_FILE
        started = time.monotonic()
        with open(log, "ab") as out:
            self._proc = subprocess.Popen(
                [str(executable), "start", "--no-browser", "--internal-host", "127.0.0.1", "-p", str(port),
                 "--data-dir", str(self.data_dir), "--enable-legacy-api-token"],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                env=server_env(self.data_dir, self._credentials), cwd=self.data_dir, start_new_session=True,
            )  # fmt: skip
        try:
            self._wait_healthy(timeout, log)
        except BaseException:
            self._kill()
            raise
        self.start_seconds = time.monotonic() - started
        return self

    def _wait_healthy(self, timeout: float, log: Path) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + timeout
        while True:
            code = self._proc.poll()
            if code is not None:
                raise ServerError(
                    f"Label Studio exited with code {code} before answering /health; log {log}:\n{log_tail(log)}",
                    "read the log above; " + SETUP_HINT,
                )
            said = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
            if "is in use" in said:  # Label Studio moved to another port: /health here is someone else's
                raise ServerError(f"port {self.url} was taken while Label Studio started; log {log}",
                                  "retry, or pass another --port")  # fmt: skip
            try:
                # Only once Django says it serves OUR port is a /health answer ours.
                if f"127.0.0.1:{self.url.rsplit(':', 1)[1]}/" in said:
                    with urllib.request.urlopen(f"{self.url}/health", timeout=2) as r:
                        if r.status == 200 and json.loads(r.read() or b"{}").get("status") == "UP":
                            break
            except (urllib.error.URLError, OSError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise ServerError(
                    f"Label Studio did not answer {self.url}/health within {timeout:.0f} s; log {log}:\n{log_tail(log)}",
                    "the machine may be overloaded (a fresh data dir migrates for 20-55 s); retry or raise startup_timeout",
                )
            time.sleep(0.25)

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)

    @property
    def temporary(self) -> bool:
        return self._temporary

    def stop(self, *, keep_data: bool = False) -> None:
        """Stop the server (SIGTERM to its process group, SIGKILL after 15 s); delete a temporary data dir
        unless `keep_data`."""
        self._kill()
        if self._temporary and self.data_dir is not None and not keep_data:
            shutil.rmtree(self.data_dir.parent, ignore_errors=True)
            self._temporary = False
