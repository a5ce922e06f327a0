"""The Ray engine on a real local Ray cluster (127.0.0.1, 2 CPUs) gives the bytes of the default engine."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import tree_digest

BIN = Path(sys.executable).parent
SETUP = "the Ray test needs the `ray` extra: run the test setup from README.md (.venv/bin/pip install -e '.[test,ray]')"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def ray_cluster(tmp_path_factory: pytest.TempPathFactory):
    if not (BIN / "ray").exists():
        pytest.fail(SETUP)
    port = _free_port()
    temp = Path("/tmp") / f"ray-{os.getpid()}"  # Ray's socket paths must stay short: not under pytest's tmp
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    start = [str(BIN / "ray"), "start", "--head", "--node-ip-address=127.0.0.1", f"--port={port}", "--num-cpus=2",
             "--include-dashboard=false", "--disable-usage-stats", f"--temp-dir={temp}"]  # fmt: skip
    subprocess.run(start, check=True, env=env, capture_output=True, timeout=180)
    try:
        yield f"127.0.0.1:{port}", env
    finally:
        subprocess.run([str(BIN / "ray"), "stop", "--force"], env=env, capture_output=True, timeout=120)
        shutil.rmtree(temp, ignore_errors=True)


def test_ray_and_the_default_engine_write_the_same_bytes(ray_cluster, tmp_path: Path) -> None:
    from replicate import make_corpus

    address, env = ray_cluster
    root = tmp_path / "corpus"
    make_corpus(root, 7, {"shard_docs": 2})
    outs = {}
    for engine in ("ray", "local"):
        outs[engine] = tmp_path / engine
        run = subprocess.run([str(BIN / "builder"), "build", "--root", str(root), "--out", str(outs[engine]), "--quiet",
                              "--no-cache", "--engine", engine], env={**env, "RAY_ADDRESS": address},
                             capture_output=True, text=True, timeout=600)  # fmt: skip
        assert run.returncode == 0, run.stderr[-3000:]
    assert tree_digest(outs["ray"]) == tree_digest(outs["local"])
    assert len(list((outs["ray"] / "data" / "ner").iterdir())) > 3  # several shards really ran
