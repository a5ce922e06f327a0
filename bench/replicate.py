"""A corpus of n documents for benchmarks and scale tests: the repository's seeds replicated under new doc_ids."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
INPUTS = ("pyproject.toml", "dataset_card.md", "annotations/labeling_config.xml", "annotations/registry.csv", "annotations/pseudonym.key")


def make_corpus(root: Path, n: int, settings: dict[str, int | str] | None = None) -> None:
    """n documents: each seed's capture, text and export copied under doc_id <seed>-<k>.
    `settings`: keys of [tool.builder] to set in the corpus's pyproject.toml (e.g. shard_docs)."""
    for name in INPUTS:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, root / name)
    if settings:
        set_settings(root, settings)
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


def set_settings(root: Path, settings: dict[str, int | str]) -> None:
    """Set keys of [tool.builder] in root/pyproject.toml: a key already there is replaced, a new one added
    right below the section header."""
    path = root / "pyproject.toml"
    text = path.read_text(encoding="utf-8")
    for key, value in settings.items():
        line = f"{key} = {json.dumps(value)}"
        text, found = re.subn(rf"(?m)^{re.escape(key)} = .*$", line, text)
        if not found:
            text = text.replace("[tool.builder]\n", f"[tool.builder]\n{line}\n", 1)
    path.write_text(text, encoding="utf-8")
