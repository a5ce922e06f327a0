"""SHA-256 of every input file of a build, streamed: `inputs.sha256` in the dataset folder and its digest.

The map's shards hash the files of their own documents (capture, text, export) while they work and
leave them, sorted, in `<part>/inputs.tsv`; here the rest of the input folders (sources.csv, the labeling
config, …) is hashed and everything is merged in path order — the order of `pathlib` paths, component by
component — without holding the list. The card shows the list when it is short and its digest always.
"""

from __future__ import annotations

import hashlib
import heapq
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from builder.config import BuildConfig

MANIFEST = "inputs.sha256"  # `sha256sum -c` format: "<hex>  <repository-relative path>"
PART_FILE = "inputs.tsv"
LISTED = 100  # inputs the card lists one by one


def key(rel: str) -> str:
    """Sorts relative paths component by component, as tuple(rel.split("/")) does, with one string
    comparison: NUL, below every character of a file name, stands for the separator."""
    return rel.replace("/", "\0")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _walk(folder: Path, rel: str) -> Iterator[tuple[str, Path]]:
    """Files below folder in `key` order (names sorted per folder, a folder's files where its name sorts)."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except FileNotFoundError:
        return
    for entry in entries:
        child = f"{rel}/{entry.name}"
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(Path(entry.path), child)
        elif entry.is_file():
            yield child, Path(entry.path)


def input_files(cfg: BuildConfig) -> Iterator[tuple[str, Path]]:
    """Every input file of a build, repository-relative, in `key` order."""
    singles = [(rel, cfg.path(rel)) for rel in (cfg.labeling_config, cfg.registry) if cfg.path(rel).is_file()]
    walks = [_walk(cfg.path(rel), rel) for rel in sorted({cfg.raw_dir, cfg.text_dir, cfg.export_dir})]
    seen = None
    for rel, path in heapq.merge(*walks, iter(sorted(singles, key=lambda x: key(x[0]))), key=lambda x: key(x[0])):
        if rel != seen:  # a single that a walk also finds
            seen = rel
            yield rel, path


def _part_lines(path: Path) -> Iterator[tuple[str, str]]:
    if not path.is_file():
        return
    with path.open(encoding="utf-8") as f:
        for line in f:
            digest, rel = line.rstrip("\n").split("\t", 1)
            yield rel, digest


def write_manifest(cfg: BuildConfig, parts: Sequence[Path], folder: Path) -> tuple[int, str, dict[str, str]]:
    """Write folder/inputs.sha256; returns (files, sha256 of the manifest, the first `LISTED` entries)."""
    known = heapq.merge(*(_part_lines(p / PART_FILE) for p in parts), key=lambda x: key(x[0]))
    head = next(known, None)
    digest, count, listed = hashlib.sha256(), 0, {}
    with (folder / MANIFEST).open("w", encoding="utf-8", newline="\n") as out:
        for rel, path in input_files(cfg):
            while head is not None and key(head[0]) < key(rel):
                head = next(known, None)  # hashed by a shard, gone since: not an input any more
            sha = head[1] if head is not None and head[0] == rel else sha256_file(path)
            line = f"{sha}  {rel}\n"
            out.write(line)
            digest.update(line.encode("utf-8"))
            count += 1
            if count <= LISTED:
                listed[rel] = sha
    return count, digest.hexdigest(), listed

