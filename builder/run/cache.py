"""A content-addressed cache of the map's shards under build/cache/: a rebuild redoes only changed shards.

A shard's key is the SHA-256 of everything its output depends on: the build's own key (`build_key`:
the builder's source code, schema version, labeling config, registry, pseudonym key, settings and the
versions of the libraries whose output lands in the files) and, per document, its sources row, the bytes
of its capture, text and export (as hashed for inputs.sha256) and any of its tasks found in other files.
A hit copies the shard's cached part folder and result; a miss stores them after the shard ran. Nothing
is trusted that the key does not cover, so a cached build is byte-identical to a clean one.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
import tempfile
from dataclasses import asdict
from importlib import metadata
from pathlib import Path
from typing import Any

import builder

RESULT = "result.pkl"
PART = "part"
LIBRARIES = ("pyarrow", "spacy", "trafilatura", "lxml", "fastjsonschema", "srsly")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def code_digest() -> str:
    """SHA-256 over the builder package's files: any change of the code is a new key, version bump or not."""
    root = Path(builder.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".json", ".html"):
            digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def build_key(cfg: Any, schema_version: str) -> str:
    """What every shard's output depends on besides its documents."""
    files = {rel: _sha(cfg.path(rel).read_bytes()) for rel in (cfg.labeling_config, cfg.registry, cfg.pseudonym_key)}
    settings = {k: v for k, v in sorted(asdict(cfg).items()) if k != "root"}
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    blob = {"code": code_digest(), "schema": schema_version, "files": files, "settings": settings, "libraries": versions}
    return _sha(json.dumps(blob, sort_keys=True, default=str).encode())


def shard_key(build: str, items: list, own_files: list[list[tuple[str, str]]]) -> str:
    """`items`: the shard's (source, tasks from other files, own export) triples; `own_files`: per document
    the (path, sha256) of its capture, text and export."""
    digest = hashlib.sha256(build.encode())
    for (source, tasks, _export), files in zip(items, own_files):
        digest.update(repr(source).encode() + b"\0" + repr(files).encode() + b"\0")
        digest.update(pickle.dumps(tasks, protocol=4) if tasks else b"-")
    return digest.hexdigest()


def load(cache: Path, key: str, part: Path | None) -> Any | None:
    """The cached result of shard `key` with its part files copied to `part` (None: `check`, the result
    only); None on a miss."""
    entry = cache / key
    try:
        with open(entry / RESULT, "rb") as f:
            result = pickle.load(f)
        if part is not None:
            if part.exists():
                shutil.rmtree(part)
            shutil.copytree(entry / PART, part)
    except (OSError, pickle.UnpicklingError, EOFError):
        return None  # absent, or half removed: the shard runs again
    return result


def store(cache: Path, key: str, part: Path, result: Any) -> None:
    """Keep a shard's part folder and result under `key` (atomically: a rename; a racing twin is harmless)."""
    cache.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{key[:12]}-", dir=cache))
    try:
        shutil.copytree(part, tmp / PART)
        with open(tmp / RESULT, "wb") as f:
            pickle.dump(result, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, cache / key)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)  # a cache that cannot be written is only a slower next build


def prune(cache: Path, keep: set[str]) -> None:
    """Drop every entry a build did not use: the cache holds one build's shards, not every build's."""
    if not cache.is_dir():
        return
    for entry in cache.iterdir():
        if entry.name not in keep:
            shutil.rmtree(entry, ignore_errors=True)
