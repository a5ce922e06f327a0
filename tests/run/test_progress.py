"""Progress for check and build: plain lines off a terminal, a rich bar on one, nothing with --quiet."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

from builder.cli.main import app


def test_plain_progress_lines_off_a_terminal_and_a_closing_rate(cli, corpus: Path) -> None:
    result = cli.invoke(app, ["check", "--root", str(corpus)])
    assert result.exit_code == 0, result.output
    assert "check: 2/2 documents, " in result.stderr and "docs/s" in result.stderr
    assert "checked 2 document(s) in " in result.stdout and "docs/s)" in result.stdout


def test_quiet_prints_no_progress(cli, corpus: Path, tmp_path: Path) -> None:
    for args in (["check"], ["build", "--out", str(tmp_path / "ds")]):
        result = cli.invoke(app, [*args, "--quiet", "--root", str(corpus)])
        assert result.exit_code == 0, result.output
        assert "documents, " not in result.stderr and "checked " not in result.stdout


def test_a_terminal_gets_a_rich_bar(corpus: Path) -> None:
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "builder.cli.main", "check", "--root", str(corpus)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave)  # fmt: skip
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    assert proc.wait(timeout=120) == 0
    os.close(master)
    assert b"\x1b[" in seen and b"2/2" in seen, seen[-500:]
    assert b"documents, " not in seen, "a terminal gets the bar, not the plain lines"
