"""bench/build_bench.py's memory sampler: the /proc walk sums what psutil sums, over the same processes."""

from __future__ import annotations

import subprocess
import sys
import time

import psutil
from build_bench import psutil_rss, run_measured, tree_rss

# a parent whose two children (one forked by a thread of it) sleep: RSS that does not move while it is read
TREE = """
import subprocess, sys, threading, time
kids = [subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])]
t = threading.Thread(target=lambda: kids.append(subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])))
t.start(); t.join()
print("ready", flush=True)
time.sleep(30)
"""


def test_the_proc_walk_sums_the_same_processes_as_psutil() -> None:
    proc = subprocess.Popen([sys.executable, "-c", TREE], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        assert len(psutil.Process(proc.pid).children(recursive=True)) == 2
        for _ in range(5):  # a reading between two allocations of the interpreters settling down may differ once
            ours, theirs = tree_rss(proc.pid), psutil_rss(proc.pid)
            if ours == theirs:
                break
            time.sleep(0.2)
        assert ours == theirs and ours > psutil.Process(proc.pid).memory_info().rss  # the children are counted
    finally:
        for child in psutil.Process(proc.pid).children(recursive=True):
            child.kill()
        proc.kill()
        proc.wait()
    assert psutil_rss(proc.pid) is None  # gone


def test_a_measured_run_reports_its_peak_and_a_timed_one_none() -> None:
    cmd = [sys.executable, "-c", "b = bytearray(64 << 20); import time; time.sleep(0.3)"]
    assert run_measured(cmd)["peak_rss_mb"] >= 64
    assert run_measured(cmd, memory=False)["peak_rss_mb"] == 0
