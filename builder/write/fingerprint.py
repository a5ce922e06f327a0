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


def sha256_file(path: Path | str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


Keyed = tuple[str, str, str]  # (key(rel), rel, path or digest): plain tuples compare in key order, in C


def _walk(folder: str, rel: str) -> Iterator[Keyed]:
    """Files below folder in `key` order (names sorted per folder, a folder's files where its name sorts)."""
    try:
        with os.scandir(folder) as it:
            entries = sorted((e.name, e.path, _kind(e)) for e in it)
    except FileNotFoundError:
        return
    for name, path, kind in entries:
        child = f"{rel}/{name}"
        if kind == "dir":
            yield from _walk(path, child)
        elif kind == "file":
            yield key(child), child, path


def _kind(entry: os.DirEntry) -> str:
    """"dir" (not through a link), "file" (a link to one too) or "other"."""
    return "dir" if entry.is_dir(follow_symlinks=False) else "file" if entry.is_file() else "other"


def _inputs(cfg: BuildConfig) -> Iterator[Keyed]:
    """Every input file of a build (repository-relative path, and its path) in `key` order."""
    singles = sorted((key(rel), rel, str(cfg.path(rel))) for rel in (cfg.labeling_config, cfg.registry) if cfg.path(rel).is_file())
    walks = [_walk(str(cfg.path(rel)), rel) for rel in sorted({cfg.raw_dir, cfg.text_dir, cfg.export_dir})]
    seen = None
    for item in heapq.merge(*walks, iter(singles)):
        if item[1] != seen:  # a single that a walk also finds
            seen = item[1]
            yield item


def _part_lines(path: Path) -> Iterator[Keyed]:
    if not path.is_file():
        return
    with path.open(encoding="utf-8") as f:
        for line in f:
            digest, rel = line.rstrip("\n").split("\t", 1)
            yield key(rel), rel, digest


def write_manifest(cfg: BuildConfig, parts: Sequence[Path], folder: Path) -> tuple[int, str, dict[str, str]]:
    """Write folder/inputs.sha256; returns (files, sha256 of the manifest, the first `LISTED` entries)."""
    known = heapq.merge(*(_part_lines(p / PART_FILE) for p in parts))
    head = next(known, None)
    digest, count, listed = hashlib.sha256(), 0, {}
    lines: list[str] = []
    with (folder / MANIFEST).open("w", encoding="utf-8", newline="\n") as out:

        def flush() -> None:
            text = "".join(lines)
            out.write(text)
            digest.update(text.encode("utf-8"))
            lines.clear()

        for k, rel, path in _inputs(cfg):
            while head is not None and head[0] < k:
                head = next(known, None)  # hashed by a shard, gone since: not an input any more
            sha = head[2] if head is not None and head[0] == k else sha256_file(path)
            lines.append(f"{sha}  {rel}\n")
            count += 1
            if count <= LISTED:
                listed[rel] = sha
            if len(lines) == 4096:
                flush()
        flush()
    return count, digest.hexdigest(), listed
