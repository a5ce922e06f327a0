"""Output rows per config and split → a Hugging Face dataset folder (Parquet + README.md), atomically.

Rows are checked against `schema.json_schema`, encoded with `schema.features` and streamed to
`data/<config>/<split>-00000-of-00001.parquet` in fixed-size batches. Everything is written to a
temporary folder next to `out_dir` and swapped in only when complete, so a failed build leaves
the previous folder as it was.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

import builder
from builder import card as card_module
from builder import encode, outfolder
from builder.outfolder import UnsafeOutput  # noqa: F401 - re-exported: callers catch it from here
from builder import schema
from builder.card import CardInputs
from builder.errors import BuildError
from builder.scheme import Scheme

SPLITS = schema.SPLITS
BATCH_ROWS = 1_000
README = "README.md"
DATA_DIR = "data"

# Every option pinned, so the bytes depend only on the rows and the pyarrow version (which is
# recorded in the file's `created_by`). No option here writes a time or a random id.
PARQUET_OPTIONS: dict[str, Any] = {
    "version": "2.6",
    "compression": "zstd",
    "compression_level": 9,
    "use_dictionary": True,
    "write_statistics": True,
    "data_page_version": "1.0",
    "store_schema": True,  # keeps tz=Asia/Dhaka; Parquet itself only knows "adjusted to UTC"
    "write_page_index": False,
    "write_page_checksum": False,
    "use_content_defined_chunking": False,
}


class InvalidRow(BuildError):
    """A row handed to the writer does not match the output schema."""


class EmptyDataset(BuildError):
    """The default config has no rows, so there is no dataset to write."""


@dataclass(frozen=True, slots=True)
class Manifest:
    """What a build wrote: files with hashes, rows and Arrow bytes per split, label counts."""

    schema_version: str
    builder_version: str
    files: tuple[str, ...]  # paths relative to the dataset folder, POSIX, sorted
    sha256: dict[str, str]  # file -> hex digest
    file_bytes: dict[str, int]  # file -> size on disk
    rows: dict[str, dict[str, int]]  # config -> split -> rows; only written (non-empty) splits
    num_bytes: dict[str, dict[str, int]]  # config -> split -> Arrow in-memory bytes
    data_files: dict[str, dict[str, str]]  # config -> split -> Parquet file
    empty_splits: dict[str, tuple[str, ...]]  # config -> splits that had no rows and were omitted
    # config -> label path (schema.label_fields) -> split -> label -> count, all labels in scheme order
    labels: dict[str, dict[str, dict[str, dict[str, int]]]]
    outlets: dict[str, int] = field(default_factory=dict)  # documents per outlet registry id
    notes: tuple[str, ...] = ()  # what the write did besides writing (leftovers removed, clone files kept)

    @property
    def configs(self) -> tuple[str, ...]:
        """Configs with at least one row, in schema order."""
        return tuple(c for c in schema.CONFIGS if self.rows.get(c))


def write_dataset(
    out_dir: Path,
    configs: Mapping[str, Mapping[str, Iterable[dict]]],
    scheme: Scheme,
    *,
    card: CardInputs,
    extras: Sequence[Callable[[Path], None]] = (),
    show: str | None = None,
) -> Manifest:
    """Write rows per config and split plus README.md into out_dir, replacing it safely (builder.outfolder)."""
    out_dir = Path(out_dir)
    show = show or out_dir.name or str(out_dir)
    _check_names(configs)
    try:
        with outfolder.locked(out_dir) as notes:
            target = outfolder.classify(out_dir, show)
            # Same parent as out_dir, so the final rename never crosses a filesystem.
            tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
            try:
                os.chmod(tmp, 0o755)  # mkdtemp makes it 0700; the published folder should be readable
                for extra in extras:  # artefacts beside the data (browser, plots, exports): swapped in together
                    extra(tmp)
                manifest = _write_into(tmp, configs, scheme, card)
                outfolder.write_marker(tmp)
                notes += outfolder.swap_in(tmp, target)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
    except OSError as e:
        raise outfolder.write_error(e, show) from None
    return replace(manifest, notes=tuple(notes))


def _check_names(configs: Mapping[str, Mapping[str, Iterable[dict]]]) -> None:
    unknown = [c for c in configs if c not in schema.CONFIGS]
    if unknown:
        raise ValueError(f"unknown config(s) {unknown}; expected some of {schema.CONFIGS}")
    for config, splits in configs.items():
        bad = [s for s in splits if s not in SPLITS]
        if bad:
            raise ValueError(f"config {config!r}: unknown split(s) {bad}; expected some of {SPLITS}")


def _write_into(
    root: Path, configs: Mapping[str, Mapping[str, Iterable[dict]]], scheme: Scheme, inputs: CardInputs
) -> Manifest:
    rows: dict[str, dict[str, int]] = {}
    num_bytes: dict[str, dict[str, int]] = {}
    data_files: dict[str, dict[str, str]] = {}
    empty: dict[str, tuple[str, ...]] = {}
    labels: dict[str, dict[str, dict[str, dict[str, int]]]] = {}
    outlets: dict[str, int] = {}
    for config in schema.CONFIGS:
        writer = _ConfigWriter(root, config, scheme)
        splits = configs.get(config, {})
        for split in SPLITS:
            if split in splits:
                writer.write_split(split, splits[split], outlets if config == "documents" else None)
        rows[config], num_bytes[config], data_files[config] = writer.rows, writer.num_bytes, writer.files
        empty[config] = tuple(s for s in SPLITS if s not in writer.rows)
        labels[config] = writer.labels
    if not rows["documents"]:
        raise EmptyDataset("no documents to write", "the documents config is the default config and needs rows")
    manifest = Manifest(
        schema_version=schema.SCHEMA_VERSION,
        builder_version=builder.__version__,
        files=(),
        sha256={},
        file_bytes={},
        rows=rows,
        num_bytes=num_bytes,
        data_files=data_files,
        empty_splits=empty,
        labels=labels,
        outlets=dict(sorted(outlets.items())),
    )
    manifest = _with_files(root, manifest)  # the card needs the Parquet sizes
    readme = card_module.render_readme(manifest, scheme, inputs)
    (root / README).write_text(readme, encoding="utf-8", newline="\n")
    return _with_files(root, manifest)


def _with_files(root: Path, manifest: Manifest) -> Manifest:
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    return replace(
        manifest,
        files=tuple(files),
        sha256={f: _sha256(root / f) for f in files},
        file_bytes={f: (root / f).stat().st_size for f in files},
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class _ConfigWriter:
    """Streams the splits of one config to Parquet, counting rows, bytes and labels on the way."""

    def __init__(self, root: Path, config: str, scheme: Scheme) -> None:
        self.root, self.config = root, config
        self.features = schema.features(config, scheme)
        self.arrow_schema = self.features.arrow_schema
        self.validator = schema.RowValidator(config, scheme)  # only to explain a row that fails
        self.encode = encode.row_encoder(config, scheme)
        self.rows: dict[str, int] = {}
        self.num_bytes: dict[str, int] = {}
        self.files: dict[str, str] = {}
        self.labels = {
            path: {s: dict.fromkeys(getattr(scheme, names), 0) for s in SPLITS}
            for path, names in schema.label_fields(config).items()
        }

    def write_split(self, split: str, rows: Iterable[dict], outlets: dict[str, int] | None) -> None:
        """Write one split; a split without rows gets no file."""
        rel = f"{DATA_DIR}/{self.config}/{split}-00000-of-00001.parquet"
        writer: pq.ParquetWriter | None = None
        batch: list[dict] = []
        count = nbytes = 0
        try:
            counts = self.labels_of(split)
            for row in rows:
                batch.append(row)
                if outlets is not None:
                    outlets[row["outlet"]] = outlets.get(row["outlet"], 0) + 1
                if len(batch) == BATCH_ROWS:
                    writer = writer or self._open(rel)
                    nbytes += self._flush(writer, batch, counts, split, count)
                    count += len(batch)
                    batch = []
            if batch:
                writer = writer or self._open(rel)
                nbytes += self._flush(writer, batch, counts, split, count)
                count += len(batch)
        finally:
            if writer is not None:
                writer.close()
        if count:
            self.rows[split], self.num_bytes[split], self.files[split] = count, nbytes, rel

    def _open(self, rel: str) -> pq.ParquetWriter:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        return pq.ParquetWriter(path, self.arrow_schema, **PARQUET_OPTIONS)

    def labels_of(self, split: str) -> dict[str, dict[str, int]]:
        return {path: by_split[split] for path, by_split in self.labels.items()}

    def _flush(self, writer: pq.ParquetWriter, batch: list[dict], counts, split: str, first: int) -> int:
        # One row group per batch keeps groups far below the ~100 MB the dataset viewer expects.
        try:
            record_batch = encode.encode_batch(batch, self.encode, self.arrow_schema, counts)
        except encode.NotEncodable as e:
            for k, row in enumerate(batch):  # the JSON Schema says which row and field
                self._explain(row, split, first + k)
            raise InvalidRow(f"{self.config}/{split}: rows {first}-{first + len(batch) - 1} do not fit the schema: {e}",
                             "the stage that derives output rows produced a row outside builder/schema.py; fix it there") from None  # fmt: skip
        writer.write_batch(record_batch)
        return record_batch.nbytes

    def _explain(self, row: dict, split: str, n: int) -> None:
        """Raise InvalidRow naming the row and field, if the JSON Schema finds what is wrong with it."""
        errors = self.validator.errors(row)
        if not errors:
            return
        pointer, message = errors[0]
        doc = f" (doc_id={row.get('doc_id')})" if isinstance(row, Mapping) and "doc_id" in row else ""
        raise InvalidRow(
            f"{self.config}/{split} row {n}{doc}: at {pointer}: {message}",
            "the stage that derives output rows produced a row outside builder/schema.py; fix it there",
        )
