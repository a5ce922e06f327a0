"""The Slurm engine: the job script datatrove's SlurmPipelineExecutor would submit, and what a task runs."""

from __future__ import annotations

import pickle
import re
import shutil
import sys
from pathlib import Path

import pytest

from builder.config import load_config
from builder.errors import BuildError
from builder.read.sources import read_sources
from builder.run import engine, pipeline, slurm
from builder.run.engine import Job, Shard


@pytest.fixture
def staged(corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The seeds staged as two shards of one document, as `builder build --engine slurm` stages them."""
    monkeypatch.setenv("BN_NEWS_SLURM_PARTITION", "cpu")
    monkeypatch.setenv("BN_NEWS_SLURM_TIME", "00:30:00")
    cfg = load_config(corpus)
    outcome = pipeline.check(cfg, workers=1)  # the scheme and context the build would pass
    sources, _ = read_sources(cfg.path(cfg.raw_dir))
    ctx = engine.Context(cfg.path(cfg.raw_dir), cfg.path(cfg.text_dir), outcome.scheme, cfg.registry, (), cfg.split_salt,
                         cfg.split_ratios, cfg.root)  # fmt: skip
    export = cfg.path(cfg.export_dir)
    items = [(s, [], export / f"{s.doc_id}.json") for s in sources]
    staging = tmp_path / "staging"
    staging.mkdir()
    job = Job(str(staging), str(tmp_path / "parts"))
    engine.stage(items, 1, ctx, job)
    return job, len(items)


def test_the_job_script_is_an_array_of_one_task_per_shard(staged) -> None:
    job, n = staged
    logs = str(Path(job.staging) / "logs")
    script = slurm.job_script([Shard(job)], n, 2, logs)
    assert script.startswith("#!/bin/bash\n")
    directives = dict(re.findall(r"^#SBATCH --([\w-]+)=?(.*)$", script, re.M))
    assert directives["array"] == f"0-{n - 1}%2"  # one task per shard, two at a time
    assert directives["partition"] == "cpu" and directives["time"] == "00:30:00"
    assert directives["cpus-per-task"] == "1" and directives["job-name"] == "bn-news-map"
    assert f"source {Path(sys.executable).parent.parent}/bin/activate" in script
    assert re.search(rf"^srun -l -n 1 launch_pickled_pipeline {re.escape(logs)}/executor.pik$", script, re.M)
    assert shutil.which("launch_pickled_pipeline", path=str(Path(sys.executable).parent))  # what the task runs


def test_a_task_of_the_array_runs_its_shard(staged) -> None:
    """What array task i runs: the executor the submitting node saved, unpickled, calls its step for rank i
    (datatrove's `_run_for_rank` around it only adds logging and Slurm's host list)."""
    import dill

    job, n = staged
    ex = slurm.executor([Shard(job)], n, 2, str(Path(job.staging) / "logs"))
    ex = dill.loads(dill.dumps(ex))  # launch_job saves it with dill; launch_pickled_pipeline loads it
    (step,) = ex.pipeline
    step(None, rank=1, world_size=ex.world_size)
    with open(Path(job.staging) / "out-00001.pkl", "rb") as f:
        result = pickle.load(f)
    assert result.crash is None and [d.doc_id for d in result.docs] == ["003_def7398b55f8b37b"]
    assert (Path(job.parts) / "00001" / "data" / "documents").is_dir()


def test_without_a_partition_the_slurm_engine_says_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BN_NEWS_SLURM_PARTITION", raising=False)
    with pytest.raises(BuildError, match="needs a partition") as e:
        slurm.settings()
    assert "BN_NEWS_SLURM_PARTITION" in e.value.hint
