"""A content-addressed cache of the map's shards under build/cache/: a rebuild redoes only changed shards.

A shard's key is the SHA-256 of everything its output depends on: the build's own key (`build_key`:
the builder's source code, schema version, labeling config, registry, pseudonym key, settings and the
versions of the libraries whose output lands in the files) and, per document, its sources row, the bytes
of its capture, text and export (as hashed for inputs.sha256) and any of its tasks found in other files.
A hit copies the shard's cached part folder and result; a miss stores them after the shard ran. Nothing
is trusted that the key does not cover, so a cached build is byte-identical to a clean one.

Inside a shard that changed, every unchanged document is reused too: each entry also keeps, per document,
its map result without its rows (`DOCS`, zstd-compressed pickles, keyed like a shard but by one document:
its problems, counts and export pieces) and where its rows are in the entry's part files. A missing shard
looks its documents up in the entries there are (`DocStore`) before it processes them, and takes a reused
document's rows from that part's Parquet as Arrow, not through Python again; the writer groups them with
fresh rows into the same batches and row groups, so the part files are the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from importlib import metadata
from pathlib import Path
from typing import Any

import builder

RESULT = "result.pkl"
PART = "part"
DOCS = "docs.pkl"  # (doc key, compressed pickle of its map result, where its rows are), one pickled triple after another
DOC_KEYS = "doc_keys"  # the entry's document keys, one per line: read to find a document without loading DOCS
HASHES = "hashes"  # builder.run.hashmemo's folder, beside the entries
PLOTS = "plots"  # builder.write.plots.Memo's folder
LAST = "last-build"  # the build key of the last build that filled the cache
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


def doc_key(build: str, source: Any, tasks: list, files: list[tuple[str, str]]) -> str:
    """What one document's map result depends on: the build, its sources row, the (path, sha256) of its
    capture, text and export, and its tasks found in other files."""
    digest = hashlib.sha256(build.encode())
    digest.update(repr(source).encode() + b"\0" + repr(files).encode() + b"\0")
    digest.update(pickle.dumps(tasks, protocol=4) if tasks else b"-")
    return digest.hexdigest()


def shard_key(build: str, doc_keys: list[str]) -> str:
    """A shard's key: its documents' keys, in order."""
    return _sha((build + "".join(doc_keys)).encode())


def keys(build: str, items: list[tuple], own: list[list[tuple[str, str]]]) -> tuple[list[str], str]:
    """The document keys and the shard key of a shard's (source, tasks, export) items and their own files."""
    doc_keys = [doc_key(build, source, tasks, files) for (source, tasks, _), files in zip(items, own)]
    return doc_keys, shard_key(build, doc_keys)


def pack(result: Any) -> bytes:
    """A document's map result as stored: its pickle's size (8 bytes), then the pickle, zstd-compressed."""
    import pyarrow as pa

    raw = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
    return len(raw).to_bytes(8, "little") + pa.compress(raw, codec="zstd", asbytes=True)


def unpack(blob: bytes) -> Any:
    import pyarrow as pa

    size = int.from_bytes(blob[:8], "little")
    return pickle.loads(pa.decompress(blob[8:], decompressed_size=size, codec="zstd", asbytes=True))


class DocWriter:
    """A shard's documents as it runs, streamed to a file (so a worker holds none of them)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file = open(path, "wb")
        self.keys: list[str] = []

    def add(self, key: str, result: Any, where: dict[str, tuple[int, int]], blob: bytes | None = None) -> None:
        """`result` without its rows (they are in the part's files, at `where`); `blob`: the result as DocStore
        read it, kept as it is (packing again would only cost time)."""
        if blob is None:
            blob = pack(replace(result, rows={}))
        pickle.dump((key, blob, where), self.file, protocol=pickle.HIGHEST_PROTOCOL)
        self.keys.append(key)

    def close(self) -> None:
        self.file.close()


@dataclass(frozen=True, slots=True)
class Found:
    """A document of a cache entry: its map result (no rows), the stored bytes, and where its rows are in
    that entry's part files (config → (first row, rows), in the files of its split)."""

    result: Any
    blob: bytes
    entry: Path
    where: dict[str, tuple[int, int]]


class DocStore:
    """The documents of every cache entry, found by key; an entry's DOCS are read once, when first needed,
    and so is each of its part's Parquet files, when a document's rows are first taken from it."""

    def __init__(self, cache: Path) -> None:
        self.cache = cache
        self.where: dict[str, Path] | None = None
        self.loaded: dict[Path, dict[str, tuple[bytes, dict]]] = {}
        self.tables: dict[tuple[Path, str, str], Any] = {}

    def _index(self) -> dict[str, Path]:
        where: dict[str, Path] = {}
        for entry in sorted(self.cache.iterdir()) if self.cache.is_dir() else ():
            if not _is_entry(entry.name):
                continue  # being written, or the hash memo
            try:
                keys = (entry / DOC_KEYS).read_text(encoding="ascii").split()
            except OSError:
                continue
            where.update(dict.fromkeys(keys, entry))
        return where

    def get(self, key: str) -> Found | None:
        """The document stored under `key`, or None."""
        if self.where is None:
            self.where = self._index()
        entry = self.where.get(key)
        if entry is None:
            return None
        if entry not in self.loaded:
            docs: dict[str, tuple[bytes, dict]] = {}
            try:
                with open(entry / DOCS, "rb") as f:
                    while True:
                        k, blob, where = pickle.load(f)
                        docs[k] = (blob, where)
            except EOFError:
                pass
            except (OSError, pickle.UnpicklingError, ValueError):
                docs = {}  # a broken entry: its documents are processed again
            self.loaded[entry] = docs
        stored = self.loaded[entry].get(key)
        return None if stored is None else Found(unpack(stored[0]), stored[0], entry, stored[1])

    def batches(self, found: Found, split: str, schema_of: Callable[[str], Any]) -> dict[str, Any] | None:
        """The document's rows, config → RecordBatch of the config's Arrow schema (`schema_of(config)`: the
        writer's, with its metadata), from its entry's part; None if a file cannot be read."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        out = {}
        for config, (start, n) in found.where.items():
            at = (found.entry, config, split)
            table = self.tables.get(at)
            if table is None:
                try:
                    # ParquetFile, not read_table: that one imports pyarrow.dataset (a quarter second) to read one file
                    read = pq.ParquetFile(found.entry / PART / "data" / config / f"{split}.parquet").read()
                    # one batch (slicing it is cheap), under the writer's schema object once, not per document
                    batches = read.combine_chunks().to_batches()
                    table = [pa.RecordBatch.from_arrays(b.columns, schema=schema_of(config)) for b in batches]
                except (OSError, ValueError, TypeError):  # gone or broken (pyarrow's errors are these): the document runs again
                    return None
                self.tables[at] = table
            if len(table) != 1 or start + n > table[0].num_rows:
                return None
            out[config] = table[0].slice(start, n)
        return out


def _is_entry(name: str) -> bool:
    return len(name) == 64 and all(c in "0123456789abcdef" for c in name)


def has(cache: Path, key: str) -> bool:
    return (cache / key / RESULT).is_file()


def _link(src: str, dst: str) -> None:
    """A cached file into a part: a hard link (no bytes copied), or a copy where links cannot go."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def load(cache: Path, key: str, part: Path | None, *, linked: bool = False) -> Any | None:
    """The cached result of shard `key` with its part files linked into `part` (None: `check`, the result
    only; `linked`: link_part did it already); None on a miss."""
    try:
        with open(cache / key / RESULT, "rb") as f:
            result = pickle.load(f)
    except (OSError, pickle.UnpicklingError, EOFError):
        return None  # absent, or half removed: the shard runs again
    if part is not None and not linked and not link_part(cache, key, part):
        return None
    return result


def link_part(cache: Path, key: str, part: Path) -> bool:
    """The part files of shard `key` linked into `part` (a fresh folder); False if the entry is gone."""
    try:
        if part.exists():
            shutil.rmtree(part)
        shutil.copytree(cache / key / PART, part, copy_function=_link)
    except OSError:
        return False
    return True


def _read_only(folder: Path) -> None:
    """A cached file is shared, by hard links, with the dataset folders built from it: no one writes it in place."""
    for path in folder.rglob("*"):
        if path.is_file():
            path.chmod(0o444)


def store(cache: Path, key: str, part: Path, result: Any, docs: DocWriter | None = None) -> None:
    """Keep a shard's part folder, result and documents under `key` (atomically: a rename; a racing twin is
    harmless)."""
    cache.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{key[:12]}-", dir=cache))
    try:
        shutil.copytree(part, tmp / PART, copy_function=_link)
        _read_only(tmp / PART)
        if docs is not None:
            shutil.move(docs.path, tmp / DOCS)
            (tmp / DOC_KEYS).write_text("".join(k + "\n" for k in docs.keys), encoding="ascii")
        with open(tmp / RESULT, "wb") as f:
            pickle.dump(result, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, cache / key)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)  # a cache that cannot be written is only a slower next build


def last_build(cache: Path) -> str | None:
    try:
        return (cache / LAST).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None


def remember_build(cache: Path, key: str) -> None:
    """Say which build filled the cache: the next build with the same key is a rebuild, most shards will hit."""
    try:
        tmp = cache / f".{LAST}.{os.getpid()}"
        tmp.write_text(key + "\n", encoding="ascii")
        os.replace(tmp, cache / LAST)
    except OSError:
        pass


def prune(cache: Path, keep: set[str]) -> None:
    """Drop every entry a build did not use: the cache holds one build's shards, not every build's."""
    if not cache.is_dir():
        return
    for entry in cache.iterdir():
        if entry.name not in keep and entry.name not in (HASHES, PLOTS, LAST):
            shutil.rmtree(entry, ignore_errors=True)
