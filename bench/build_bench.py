"""Benchmark: a corpus of N documents (the seeds replicated under new doc_ids) → check → build.

Prints seconds per stage, documents per second and peak memory. Not a test: numbers to compare
between commits on the same machine. Usage: .venv/bin/python bench/build_bench.py --docs 1000
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from builder import pipeline, release  # noqa: E402
from builder.config import load_config  # noqa: E402

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bn-news-bench-") as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        make_corpus(root, args.docs)
        t1 = time.perf_counter()
        cfg = load_config(root)
        outcome = pipeline.check(cfg)
        t2 = time.perf_counter()
        assert not outcome.problems, outcome.problems[:3]
        release.write(cfg, outcome, root / "out")
        t3 = time.perf_counter()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    n = args.docs
    print(f"documents            {n}")
    print(f"make corpus          {t1 - t0:7.2f} s")
    print(f"check                {t2 - t1:7.2f} s   {n / (t2 - t1):8.1f} docs/s")
    print(f"write (+ artefacts)  {t3 - t2:7.2f} s   {n / (t3 - t2):8.1f} docs/s")
    print(f"check + write        {t3 - t1:7.2f} s   {n / (t3 - t1):8.1f} docs/s")
    print(f"peak RSS             {rss:7.0f} MB")


if __name__ == "__main__":
    main()
