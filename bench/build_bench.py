"""Benchmark: a corpus of N documents (the seeds replicated under new doc_ids) → check → build.

Prints seconds per stage, documents per second and peak memory. Not a test: numbers to compare
between commits on the same machine.

    .venv/bin/python bench/build_bench.py --docs 1000 [--baseline] [--json] [--keep DIR]

--keep DIR   leave the generated corpus in DIR (a full repository layout: `builder build --root DIR`)
--baseline   also run, in this run and on the same corpus exported as one file, the naive script a
             researcher would write (bench/naive_baseline.py, its own process), and print the ratio
--json       print one JSON object instead of the table
Peak RSS: this process (the build runs in it) and, for the baseline, its child process.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from builder import pipeline, release  # noqa: E402
from builder.config import load_config  # noqa: E402
from builder.engine import default_workers  # noqa: E402

INPUTS = ("pyproject.toml", "dataset_card.md", "annotations/labeling_config.xml", "annotations/registry.csv", "annotations/pseudonym.key")


def make_corpus(root: Path, n: int) -> None:
    """n documents: each seed's capture, text and export copied under doc_id <seed>-<k>."""
    for name in INPUTS:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, root / name)
    for sub in ("raw/captures", "text", "annotations/export"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    seeds = sorted(p.stem for p in (REPO / "annotations/export").glob("*.json"))
    header, *rows = (REPO / "raw/sources.csv").read_text(encoding="utf-8").splitlines()
    by_id = {r.split(",", 1)[0]: r for r in rows}
    lines = [header]
    for k in range(n):
        seed = seeds[k % len(seeds)]
        doc_id = f"{seed}-{k:06d}"
        shutil.copy2(REPO / f"raw/captures/{seed}.txt", root / f"raw/captures/{doc_id}.txt")
        shutil.copy2(REPO / f"text/{seed}.txt", root / f"text/{doc_id}.txt")
        lines.append(by_id[seed].replace(seed, doc_id))
        task = json.loads((REPO / f"annotations/export/{seed}.json").read_text(encoding="utf-8"))
        task[0]["data"]["doc_id"] = doc_id
        (root / f"annotations/export/{doc_id}.json").write_text(json.dumps(task, ensure_ascii=False), encoding="utf-8")
    (root / "raw/sources.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def baseline(root: Path) -> dict[str, float]:
    """The naive script on the corpus's exports concatenated into one file, in a child process."""
    merged = root / "one-export.json"
    tasks = [t for p in sorted((root / "annotations/export").glob("*.json")) for t in json.loads(p.read_text(encoding="utf-8"))]
    merged.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(REPO / "bench" / "naive_baseline.py"), str(merged),
                             str(root / "annotations/labeling_config.xml"), str(root / "naive-out")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"the naive baseline failed: {proc.stderr.read().decode(errors='replace')[-2000:]}")
    return {"seconds": seconds, "peak_rss_mb": usage.ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=500)
    parser.add_argument("--keep", type=Path, help="leave the generated corpus in this (new or empty) folder")
    parser.add_argument("--baseline", action="store_true", help="also time the naive script on the same corpus")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--workers", type=int, default=None, help="processes for the per-document map (default: all cores)")
    parser.add_argument("--engine", default="local", help="local (datatrove) or inline")
    args = parser.parse_args()
    if args.keep is not None and args.keep.exists() and any(args.keep.iterdir()):
        raise SystemExit(f"--keep {args.keep}: the folder is not empty")
    with tempfile.TemporaryDirectory(prefix="bn-news-bench-") as tmp:
        root = args.keep.resolve() if args.keep is not None else Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        make_corpus(root, args.docs)
        t1 = time.perf_counter()
        cfg = load_config(root)
        outcome = pipeline.check(cfg, workers=args.workers, engine=args.engine, validate=False)  # as `builder build`
        t2 = time.perf_counter()
        assert not outcome.problems, outcome.problems[:3]
        release.write(cfg, outcome, Path(tmp) / "out")
        t3 = time.perf_counter()
        # this process plus the largest worker (worker processes run side by side: their sum is bounded by workers × it)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        worker_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        naive = baseline(Path(tmp) if args.keep is None else root) if args.baseline else None
        if args.keep is not None:
            for name in ("one-export.json", "naive-out"):
                shutil.rmtree(root / name, ignore_errors=True) if (root / name).is_dir() else (root / name).unlink(missing_ok=True)
    n = args.docs
    result = {
        "docs": n, "seconds": {"make_corpus": round(t1 - t0, 3), "check": round(t2 - t1, 3), "write": round(t3 - t2, 3),
                               "total": round(t3 - t1, 3)},
        "docs_per_s": round(n / (t3 - t1), 1), "peak_rss_mb": round(rss), "largest_worker_rss_mb": round(worker_rss),
        "workers": args.workers or default_workers(), "engine": args.engine,
    }  # fmt: skip
    if naive:
        result["baseline"] = {k: round(v, 3) for k, v in naive.items()}
        result["speedup_vs_baseline"] = round(naive["seconds"] / (t3 - t1), 2)
    if args.json:
        print(json.dumps(result))
        return
    print(f"documents            {n}")
    print(f"make corpus          {t1 - t0:7.2f} s")
    print(f"check                {t2 - t1:7.2f} s   {n / (t2 - t1):8.1f} docs/s")
    print(f"write (+ artefacts)  {t3 - t2:7.2f} s   {n / (t3 - t2):8.1f} docs/s")
    print(f"check + write        {t3 - t1:7.2f} s   {n / (t3 - t1):8.1f} docs/s")
    print(f"peak RSS             {rss:7.0f} MB (largest worker {worker_rss:.0f} MB)")
    if naive:
        print(f"naive script         {naive['seconds']:7.2f} s   {n / naive['seconds']:8.1f} docs/s   peak RSS {naive['peak_rss_mb']:.0f} MB")
        print(f"builder vs naive     {naive['seconds'] / (t3 - t1):7.2f}x")


if __name__ == "__main__":
    main()
