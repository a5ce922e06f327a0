"""Benchmark: a corpus of N documents (the seeds replicated under new doc_ids) → `builder build`.

Prints seconds, documents per second and peak memory. Not a test: numbers to compare between commits
on the same machine.

    .venv/bin/python bench/build_bench.py --docs 10000 [--workers W] [--engine E] [--baseline] [--json] [--keep DIR]

--keep DIR   leave the generated corpus in DIR (a full repository layout: `builder build --root DIR`)
--baseline   also run, in this run and on the same corpus exported as one file, the naive script a
             researcher would write (bench/naive_baseline.py, its own process), and print the ratio
--rebuild    then change one export and time the rebuild (the incremental path; its memory is not sampled)
--json       print one JSON object instead of the table
The build runs as `builder build` in a child process; peak RSS is sampled every 20 ms and summed over
that process and all of its children (workers, datatrove's manager), as a machine's memory sees them. The
sampler reads /proc's children files (tree_rss), which costs the measured build little CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

from replicate import make_corpus  # noqa: E402

BUILDER = Path(sys.executable).with_name("builder")


PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def tree_rss(pid: int) -> int | None:
    """RSS summed over pid and all its descendants, read from /proc: each task's `children` file, then each
    process's `statm`. psutil finds descendants by reading every process of the machine (about 4.5 ms a sample
    here, 17 % of a core at one sample per 20 ms, taken from the build being measured); this takes about 0.9 ms.
    None where /proc has no `children` files (not Linux, or a kernel built without them)."""
    if not os.path.exists(f"/proc/{pid}/task/{pid}/children"):
        return None
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{p}/task")
            with open(f"/proc/{p}/statm", encoding="ascii") as f:
                total += int(f.read().split()[1]) * PAGE
        except (OSError, ValueError, IndexError):
            continue  # it ended meanwhile
        for task in tasks:
            try:
                with open(f"/proc/{p}/task/{task}/children", encoding="ascii") as f:
                    todo += [int(child) for child in f.read().split()]
            except (OSError, ValueError):
                pass
    return total


def psutil_rss(pid: int) -> int | None:
    """The same sum through psutil (any system); None once pid is gone."""
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return None
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def run_measured(cmd: list[str], *, memory: bool = True) -> dict[str, float]:
    """Run cmd; seconds and the peak of RSS summed over it and its descendants, every 20 ms. The sampling takes
    CPU from a build on two cores (with psutil's walk, 0.7 s of a 5.6 s rebuild): `memory=False` times only."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            total = tree_rss(proc.pid)
            if total is None:
                total = psutil_rss(proc.pid)
                if total is None:
                    break
            peak[0] = max(peak[0], total)
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    if memory:
        sampler.start()
    out, err = proc.communicate()
    seconds = time.perf_counter() - started
    done.set()
    if memory:
        sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:2])} failed:\n{err.decode(errors='replace')[-3000:]}")
    return {"seconds": seconds, "peak_rss_mb": peak[0] / 2**20, "stdout": out.decode(errors="replace")}


def baseline(root: Path, work: Path) -> dict[str, float]:
    """The naive script on the corpus's exports concatenated into one file (in `work`), in a child process."""
    merged = work / "one-export.json"
    tasks = [t for p in sorted((root / "annotations/export").glob("*.json")) for t in json.loads(p.read_text(encoding="utf-8"))]
    merged.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    run = run_measured([sys.executable, str(REPO / "bench" / "naive_baseline.py"), str(merged),
                        str(root / "annotations/labeling_config.xml"), str(work / "naive-out")])  # fmt: skip
    return {"seconds": run["seconds"], "peak_rss_mb": run["peak_rss_mb"]}


def change_one_export(root: Path) -> None:
    """Edit one annotation the way an annotator would: relabel the first entity of the first export."""
    path = sorted((root / "annotations/export").glob("*.json"))[0]
    tasks = json.loads(path.read_text(encoding="utf-8"))
    for result in tasks[0]["annotations"][0]["result"]:
        if result.get("type") == "labels" and "labels" in result.get("value", {}):
            labels = result["value"]["labels"]
            result["value"]["labels"] = ["ORG"] if labels != ["ORG"] else ["PER"]
            break
    path.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=500)
    parser.add_argument("--keep", type=Path, help="leave the generated corpus in this (new or empty) folder")
    parser.add_argument("--baseline", action="store_true", help="also time the naive script on the same corpus")
    parser.add_argument("--rebuild", action="store_true", help="then change one export and time the rebuild")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--workers", type=int, default=None, help="processes for the per-document map (default: all cores)")
    parser.add_argument("--engine", default="local", help="the builder's --engine")
    args = parser.parse_args()
    if args.keep is not None and args.keep.exists() and any(args.keep.iterdir()):
        raise SystemExit(f"--keep {args.keep}: the folder is not empty")
    with tempfile.TemporaryDirectory(prefix="bn-news-bench-") as tmp:
        root = args.keep.resolve() if args.keep is not None else Path(tmp) / "corpus"
        root.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        make_corpus(root, args.docs)
        t1 = time.perf_counter()
        cmd = [str(BUILDER), "build", "--root", str(root), "--out", str(Path(tmp) / "out"), "--quiet", "--engine", args.engine]
        cmd += ["--workers", str(args.workers)] if args.workers else []
        build = run_measured(cmd)
        rebuild = None
        if args.rebuild:
            change_one_export(root)
            rebuild = run_measured(cmd, memory=False)  # its memory is not reported
        naive = baseline(root, Path(tmp)) if args.baseline else None
    n = args.docs
    result = {
        "docs": n, "seconds": {"make_corpus": round(t1 - t0, 3), "build": round(build["seconds"], 3)},
        "docs_per_s": round(n / build["seconds"], 1), "peak_rss_mb": round(build["peak_rss_mb"]),
        "workers": args.workers or "all cores", "engine": args.engine,
    }  # fmt: skip
    if rebuild:
        result["seconds"]["rebuild_one_export_changed"] = round(rebuild["seconds"], 3)
    if naive:
        result["baseline"] = {k: round(v, 3) for k, v in naive.items()}
        result["speedup_vs_baseline"] = round(naive["seconds"] / build["seconds"], 2)
    if args.json:
        print(json.dumps(result))
        return
    print(f"documents            {n}")
    print(f"make corpus          {t1 - t0:7.2f} s")
    print(f"builder build        {build['seconds']:7.2f} s   {n / build['seconds']:8.1f} docs/s   peak RSS (summed) {build['peak_rss_mb']:.0f} MB")
    if rebuild:
        print(f"rebuild, 1 changed   {rebuild['seconds']:7.2f} s")
    if naive:
        print(f"naive script         {naive['seconds']:7.2f} s   {n / naive['seconds']:8.1f} docs/s   peak RSS {naive['peak_rss_mb']:.0f} MB")
        print(f"builder vs naive     {naive['seconds'] / build['seconds']:7.2f}x")


if __name__ == "__main__":
    main()
