"""builder.run.fork: one call in a forked child; its result or exception comes back, and it dies with its parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from builder.errors import BuildError
from builder.run import fork

pytestmark = pytest.mark.skipif(not fork.can_fork(), reason="no fork on this platform")


def _pid_and(value: int) -> tuple[int, int]:
    return os.getpid(), value * 2


def _fails() -> None:
    raise BuildError("broken in the child", "a hint that survives")


def test_the_call_runs_in_another_process_while_this_one_works() -> None:
    done = []
    pid, value = fork.forked(_pid_and, 21, idle=lambda: done.append(os.getpid()))
    assert value == 42 and pid != os.getpid() and done == [os.getpid()]


def test_an_exception_in_the_child_is_raised_here_with_its_hint() -> None:
    with pytest.raises(BuildError, match="broken in the child") as e:
        fork.forked(_fails)
    assert e.value.hint == "a hint that survives"


def test_a_child_killed_from_outside_is_a_build_error() -> None:
    with pytest.raises(BuildError, match="ended without a result"):
        fork.forked(_kill_self)


def _kill_self() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_the_child_dies_with_its_parent() -> None:
    code = ("import os, sys, time; from builder.run import fork; "
            "fork.forked(time.sleep, 60, idle=lambda: (print(os.getpid(), flush=True), time.sleep(60)))")  # fmt: skip
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout.readline().strip() == str(parent.pid)
        children = _children(parent.pid)
        assert len(children) == 1
        time.sleep(1)  # well into its call: past the check for a parent that died while it started
        parent.kill()
        parent.wait(timeout=10)
        deadline = time.monotonic() + 10
        while _alive(children[0]) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(children[0])
    finally:
        parent.kill()


def _children(pid: int) -> list[int]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = [int(p) for p in os.listdir("/proc") if p.isdigit() and _ppid(int(p)) == pid]
        if found:
            return found
        time.sleep(0.05)
    return []


def _ppid(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_failing_idle_stops_the_child_and_is_raised() -> None:
    def broken() -> None:
        raise ValueError("idle failed")

    started = time.monotonic()
    with pytest.raises(ValueError, match="idle failed"):
        fork.forked(time.sleep, 30, idle=broken)
    assert time.monotonic() - started < 10  # the child was stopped, not waited for


def _unpicklable() -> object:
    return lambda: None


def test_a_result_that_cannot_be_sent_back_says_so() -> None:
    with pytest.raises(RuntimeError, match="unpicklable function"):
        fork.forked(_unpicklable)
