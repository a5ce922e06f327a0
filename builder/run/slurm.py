"""The map on a Slurm cluster: datatrove's SlurmPipelineExecutor runs the same `Shard` step as a job array.

`builder build --engine slurm` (on a node that can `sbatch`, with the repository on a filesystem the
compute nodes share) submits one array task per shard, waits for their results, then does the reduce
itself. The job's resources come from the environment, so no site detail lives in the repository:

    BN_NEWS_SLURM_PARTITION (required), BN_NEWS_SLURM_TIME (default 01:00:00), BN_NEWS_SLURM_CPUS (1),
    BN_NEWS_SLURM_MEM_GB (4), BN_NEWS_SLURM_ENV (a shell line that activates the environment; default:
    `source <this venv>/bin/activate`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from builder.errors import BuildError


def settings() -> dict[str, str]:
    partition = os.environ.get("BN_NEWS_SLURM_PARTITION", "")
    if not partition:
        raise BuildError("--engine slurm needs a partition", "set BN_NEWS_SLURM_PARTITION (and BN_NEWS_SLURM_TIME, …; see builder/slurm.py)")
    venv = Path(sys.executable).parent.parent
    return {
        "partition": partition,
        "time": os.environ.get("BN_NEWS_SLURM_TIME", "01:00:00"),
        "cpus": os.environ.get("BN_NEWS_SLURM_CPUS", "1"),
        "mem_gb": os.environ.get("BN_NEWS_SLURM_MEM_GB", "4"),
        "env": os.environ.get("BN_NEWS_SLURM_ENV", f"source {venv}/bin/activate"),
    }


def executor(pipeline: list[Callable], tasks: int, workers: int, logs: str):
    from datatrove.executor import SlurmPipelineExecutor

    s = settings()
    return SlurmPipelineExecutor(
        pipeline=pipeline, tasks=tasks, workers=workers, time=s["time"], partition=s["partition"],
        cpus_per_task=int(s["cpus"]), mem_per_cpu_gb=int(s["mem_gb"]), job_name="bn-news-map", env_command=s["env"],
        logging_dir=logs, skip_completed=False, requeue=False, mail_type="NONE",
    )  # fmt: skip


def job_script(pipeline: list[Callable], tasks: int, workers: int, logs: str) -> str:
    """The sbatch script `executor(...).launch_job()` would submit, from the executor's own methods."""
    ex = executor(pipeline, tasks, workers, logs)
    run = f"srun -l -n {ex.nodes_per_task} launch_pickled_pipeline {ex.logging_dir.resolve_paths('executor.pik')}"
    return ex.get_launch_file_contents(ex.get_sbatch_args(min(tasks, ex.max_array_size)), run)


def job_alive(job_id: str | None) -> bool:
    """Whether the array job is still queued or running (squeue knows it)."""
    if not job_id or job_id == -1 or shutil.which("squeue") is None:
        return False
    out = subprocess.run(["squeue", "-h", "-j", str(job_id)], capture_output=True, text=True, check=False)
    return out.returncode == 0 and bool(out.stdout.strip())
