"""`builder server` as an annotator runs it: a real process, a real Label Studio, real signals.

Each test starts `python -m builder.cli.main server` in a corpus copy and reads its output; the server is a
template copy (a few seconds). Marked `server`; they fail, never skip, when Label Studio cannot start.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from builder.labelstudio.server import CREDENTIALS_FILE, LabelStudioServer
from builder.labelstudio.template import free_port

pytestmark = pytest.mark.server


class Running:
    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.lines: list[str] = []

    def wait_for(self, needle: str, timeout: float = 240.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self._line(deadline)
            if line is None:
                break
            if needle in line:
                return line
        raise AssertionError(f"{needle!r} never came; output so far:\n" + "".join(self.lines))

    def _line(self, deadline: float) -> str | None:
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.5)
            if ready:
                line = self.proc.stdout.readline()
                if not line:
                    return None
                self.lines.append(line)
                return line
        return None

    def finish(self, timeout: float = 120.0) -> str:
        out, _ = self.proc.communicate(timeout=timeout)
        self.lines.append(out)
        return "".join(self.lines)


@contextmanager
def builder_server(corpus: Path, *args: str) -> Iterator[Running]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "builder.cli.main", "server", "--root", str(corpus), *args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=corpus, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        yield Running(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        # a failed test must not leave its Label Studio running (it has its own session, so kill() missed it)
        for pid in _label_studios_under(corpus):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


def _label_studios_under(corpus: Path) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmd = (entry / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if "label-studio" in cmd and "start" in cmd and str(corpus) in cmd:
                pids.append(int(entry.name))
    return pids


def label_studio_pids(data_dir: Path) -> list[int]:
    """Processes whose command line names this data folder (the label-studio child)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmd = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if any(part.decode(errors="replace") == str(data_dir) for part in cmd) and b"start" in cmd:
                pids.append(int(entry.name))
    return pids


def _gone(pids: list[int], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = [p for p in pids if Path(f"/proc/{p}").exists() and "Z" not in _state(p)]
        if not alive:
            return True
        time.sleep(0.2)
    return False


def _state(pid: int) -> str:
    try:
        return (Path(f"/proc/{pid}") / "stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return "Z"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_stops_the_whole_server_and_the_default_folder_persists(corpus: Path, sig) -> None:
    port = free_port()
    with builder_server(corpus, "--port", str(port)) as run:
        up = run.wait_for("is up after")
        assert f"http://127.0.0.1:{port} " in up and "data in .label-studio (kept between runs)" in up
        data_dir = (corpus / ".label-studio").resolve()
        pids = label_studio_pids(data_dir)
        assert pids, "the label-studio child should be running"
        run.proc.send_signal(sig)
        out = run.finish()
    assert run.proc.returncode == 0, out
    assert f"stopping ({sig.name})" in out and "every annotation on this server is in annotations/export/" in out
    assert _gone(pids), f"label-studio outlived `builder server` after {sig.name}"
    assert (data_dir / "label_studio.sqlite3").is_file(), "the default data folder is kept"
    # it restarts on the same data
    with builder_server(corpus, "--port", str(port)) as run:
        run.wait_for("is up after")
        run.proc.send_signal(signal.SIGTERM)
        run.finish()


def test_a_temporary_folder_is_removed_on_sigterm_unless_work_was_not_pulled(corpus: Path, cli) -> None:
    from label_studio_sdk import LabelStudio

    from builder.cli.ls import ls_app

    with builder_server(corpus, "--temporary", "--port", str(free_port())) as run:
        up = run.wait_for("is up after")
        data_dir = Path(up.split("data in ", 1)[1].split(" (", 1)[0])
        assert "temporary" in up and data_dir.is_dir()
        pids = label_studio_pids(data_dir)
        run.proc.send_signal(signal.SIGTERM)
        out = run.finish()
    assert _gone(pids) and not data_dir.exists(), out

    with builder_server(corpus, "--temporary", "--port", str(free_port())) as run:
        up = run.wait_for("is up after")
        url = up.split("Label Studio ", 1)[1].split(" ", 1)[0]
        data_dir = Path(up.split("data in ", 1)[1].split(" (", 1)[0])
        token = json.loads((data_dir / CREDENTIALS_FILE).read_text())["token"]
        env = {"LABEL_STUDIO_URL": url, "LABEL_STUDIO_API_KEY": token}
        for verb in ("setup", "push"):
            result = cli.invoke(ls_app, [verb, "--root", str(corpus)], env=env)
            assert result.exit_code == 0, result.output
        ls = LabelStudio(base_url=url, api_key=token)
        project = next(iter(ls.projects.list()))
        task = next(iter(ls.tasks.list(project=project.id)))
        ls.annotations.create(id=task.id, result=[], was_cancelled=False)
        run.proc.send_signal(signal.SIGTERM)
        out = run.finish()
    assert "1 annotation(s) on this server are not pulled yet" in out and task.data["doc_id"] in out, out
    assert "kept the temporary data folder" in out and (data_dir / "label_studio.sqlite3").is_file()
    assert token not in out
    import shutil

    shutil.rmtree(data_dir.parent, ignore_errors=True)


def test_a_busy_port_is_refused_not_reported_as_up(corpus: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with builder_server(corpus, "--port", str(port)) as run:
            out = run.finish(timeout=120)
    assert run.proc.returncode == 1, out
    assert f"port {port} on 127.0.0.1 is already in use" in out and "hint: " in out
    assert "is up" not in out


def test_every_template_copy_has_its_own_password_token_and_secret(tmp_path: Path) -> None:
    from label_studio_sdk import LabelStudio

    from builder.labelstudio.session import AuthFailed, connect

    with LabelStudioServer(tmp_path / "a") as a, LabelStudioServer(tmp_path / "b") as b:
        assert a.from_template and b.from_template
        creds = [json.loads((d / CREDENTIALS_FILE).read_text()) for d in (tmp_path / "a", tmp_path / "b")]
        assert creds[0]["token"] != creds[1]["token"] and creds[0]["password"] != creds[1]["password"]
        for d in (tmp_path / "a", tmp_path / "b"):
            assert stat.S_IMODE(os.stat(d / CREDENTIALS_FILE).st_mode) == 0o600
            assert stat.S_IMODE(os.stat(d / ".env").st_mode) == 0o600
        secrets = [next(ln for ln in (d / ".env").read_text().splitlines() if ln.startswith("SECRET_KEY="))
                   for d in (tmp_path / "a", tmp_path / "b")]  # fmt: skip
        assert secrets[0] != secrets[1]
        assert LabelStudio(base_url=a.url, api_key=a.api_key).users.whoami().email
        with pytest.raises(AuthFailed):
            connect(b.url, a.api_key)  # one folder's token opens no other server
        assert a.api_key not in repr(a)
