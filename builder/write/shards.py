"""The Hub's shard names, and the map's part files moved under them in shard order:
`data/<config>/<split>-NNNNN-of-MMMMM.parquet`, `exports/spacy/<split>-NNNNN-of-MMMMM.spacy`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from builder import schema

SPLITS = schema.SPLITS
DATA_DIR = "data"
PARTS_DIR = ".parts"  # inside the temporary folder: the map's part folders, gone before the swap


def numbered(stem: str, k: int, n: int, suffix: str) -> str:
    """The Hub's shard names: `train-00000-of-00004.parquet`."""
    return f"{stem}-{k:05d}-of-{n:05d}{suffix}"


def place_parts(root: Path, parts: Sequence[Path], kind: str, target: str, suffix: str) -> dict[str, tuple[str, ...]]:
    """Move `<part>/<kind>/<split><suffix>` (or its pieces `<split>.<k><suffix>`) of every part, in rank
    order, to `root/<target>/<split>-<k>-of-<n><suffix>`; returns split → files (relative to root)."""
    placed: dict[str, tuple[str, ...]] = {}
    for split in SPLITS:
        found = [path for p in parts for path in _pieces(p / kind, split, suffix)]
        if not found:
            continue
        (root / target).mkdir(parents=True, exist_ok=True)
        files = []
        for k, path in enumerate(found):
            rel = f"{target}/{numbered(split, k, len(found), suffix)}"
            os.replace(path, root / rel)
            files.append(rel)
        placed[split] = tuple(files)
    return placed


def _pieces(folder: Path, split: str, suffix: str) -> list[Path]:
    whole = folder / f"{split}{suffix}"
    if whole.is_file():
        return [whole]
    return sorted(folder.glob(f"{split}.[0-9]*{suffix}")) if folder.is_dir() else []


