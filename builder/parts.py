"""The map's output: one shard of documents → its part of every file of the dataset folder, and statistics.

A shard is a fixed run of consecutive documents (doc_id order), so what it writes depends only on the
inputs, never on the number of workers. `PartWriter` takes the shard's documents one by one and streams:

    <part>/data/<config>/<split>.parquet   rows encoded and cast to the config's Arrow schema (once)
    <part>/conll/<split>.conll             the ner rows as CoNLL-2003
    <part>/spacy/<split>.spacy             a DocBin of the shard's documents
    <part>/attributions/<split>.jsonl      the attribution records
    <part>/browser.jsonl                   one browser record per document

and keeps only counts (`Stats`). With no folder (`builder check`), rows are still encoded — the encoding
is the row check — but nothing is written. builder.assemble merges the parts of all shards in rank order.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builder import encode, schema
from builder.plots import DocAgreement, doc_agreement
from builder.records import Problem
from builder.scheme import Scheme

BATCH_ROWS = 1_000  # rows per Parquet row group: far below the ~100 MB the dataset viewer expects

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

Rows = Mapping[str, list[dict[str, Any]]]  # config → rows of one document


@dataclass(slots=True)
class Stats:
    """What the card, the plots and the manifest need, summed over documents; small and mergeable."""

    rows: dict[str, dict[str, int]] = field(default_factory=dict)  # config → split → rows
    num_bytes: dict[str, dict[str, int]] = field(default_factory=dict)  # config → split → Arrow bytes
    labels: dict[str, dict[str, dict[str, dict[str, int]]]] = field(default_factory=dict)  # config → path → split → label → n
    outlets: dict[str, int] = field(default_factory=dict)  # documents per outlet
    source_types: dict[str, dict[str, int]] = field(default_factory=dict)  # split → source_type → attributions
    stance: dict[tuple[str, str], int] = field(default_factory=dict)  # (target, label) → stance rows
    agreement: list[DocAgreement] = field(default_factory=list)  # documents with two or more annotators
    annotated_docs: int = 0  # documents with rows in the annotations config
    annotations: int = 0

    def merge(self, other: Stats) -> None:
        for mine, theirs in ((self.rows, other.rows), (self.num_bytes, other.num_bytes)):
            for config, by_split in theirs.items():
                _add(mine.setdefault(config, {}), by_split)
        for config, paths in other.labels.items():
            for path, by_split in paths.items():
                for split, counts in by_split.items():
                    _add(self.labels.setdefault(config, {}).setdefault(path, {}).setdefault(split, dict.fromkeys(counts, 0)), counts)
        _add(self.outlets, other.outlets)
        for split, counts in other.source_types.items():
            _add(self.source_types.setdefault(split, {}), counts)
        _add(self.stance, other.stance)
        self.agreement += other.agreement
        self.annotated_docs += other.annotated_docs
        self.annotations += other.annotations


def _add(into: dict, counts: Mapping) -> None:
    for k, n in counts.items():
        into[k] = into.get(k, 0) + n


def empty_labels(config: str, scheme: Scheme, splits: tuple[str, ...]) -> dict[str, dict[str, dict[str, int]]]:
    return {path: {s: dict.fromkeys(getattr(scheme, names), 0) for s in splits}
            for path, names in schema.label_fields(config).items()}  # fmt: skip


@dataclass(slots=True)
class PartSummary:
    stats: Stats
    problems: list[Problem]  # rows that do not fit the schema, named by the JSON Schema


class _Table:
    """One config and split of one shard: rows buffered, encoded and written a row group at a time."""

    def __init__(self, config: str, split: str, scheme: Scheme, path: Path | None, counts) -> None:
        self.config, self.split, self.scheme, self.path = config, split, scheme, path
        self.arrow_schema = schema.features(config, scheme).arrow_schema
        self.encode = encode.row_encoder(config, scheme)
        self.counts = counts
        self.buffer: list[dict[str, Any]] = []
        self.index: list[int] = []  # each buffered row's position among its document's rows
        self.writer = None
        self.rows = self.nbytes = 0
        self.failed = False

    def add(self, rows: list[dict[str, Any]], problems: list[Problem], file_of: Mapping[str, str]) -> None:
        self.buffer += rows
        self.index += range(len(rows))
        if len(self.buffer) >= BATCH_ROWS:
            self.flush(problems, file_of)

    def flush(self, problems: list[Problem], file_of: Mapping[str, str]) -> None:
        while self.buffer:
            batch, self.buffer = self.buffer[:BATCH_ROWS], self.buffer[BATCH_ROWS:]
            index, self.index = self.index[:BATCH_ROWS], self.index[BATCH_ROWS:]
            try:
                record_batch = encode.encode_batch(batch, self.encode, self.arrow_schema, self.counts)
            except encode.NotEncodable as e:
                problems += explain_rows(f"{self.config}/{self.split}", self.config, self.scheme, batch, index, file_of, str(e))
                self.failed = True
                continue
            self.rows += len(batch)
            self.nbytes += record_batch.nbytes
            if self.path is not None and not self.failed:
                if self.writer is None:
                    import pyarrow.parquet as pq

                    self.path.parent.mkdir(parents=True, exist_ok=True)
                    self.writer = pq.ParquetWriter(self.path, self.arrow_schema, **PARQUET_OPTIONS)
                self.writer.write_batch(record_batch)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def explain_rows(where: str, config: str, scheme: Scheme, rows: list[dict[str, Any]], index: list[int],
                 file_of: Mapping[str, str], why: str) -> list[Problem]:
    """Rows the Arrow cast refused: the JSON Schema names the row and field. `index`: each row's position
    among its document's rows (the same in any shard layout)."""
    validator = schema.RowValidator(config, scheme)
    problems = []
    for row, k in zip(rows, index):
        doc_id = row.get("doc_id") if isinstance(row, Mapping) else None
        for pointer, message in validator.errors(row):
            problems.append(Problem(
                "output-schema-violation", file_of.get(doc_id, "raw/sources.csv"), f"{where} row {k} (doc_id={doc_id})",
                pointer, message, "the annotation produced a value the dataset schema cannot hold; fix the annotation or the schema",
            ))
    return problems or [Problem("output-schema-violation", "", f"{where} rows", "/", f"rows do not fit the Arrow schema: {why}",
                                "a bug in the derive stage; please report it")]  # fmt: skip


class PartWriter:
    """Streams one shard's documents into `folder` (None: encode and count only)."""

    def __init__(self, folder: Path | None, scheme: Scheme, splits: tuple[str, ...], *, exports: bool = True) -> None:
        self.folder, self.scheme, self.splits = folder, scheme, splits
        self.exports = exports and folder is not None
        self.stats = Stats()
        self.problems: list[Problem] = []
        self.tables: dict[tuple[str, str], _Table] = {}
        self.file_of: dict[str, str] = {}  # doc_id → export file, for messages about its rows
        self.streams: dict[str, Any] = {}  # kind → open text file
        self.docbins: dict[str, Any] = {}  # split → spaCy DocBin

    def add_rows(self, config: str, split: str, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        table = self.tables.get((config, split))
        if table is None:
            labels = self.stats.labels.setdefault(config, empty_labels(config, self.scheme, self.splits))
            counts = {path: by_split[split] for path, by_split in labels.items()}
            path = None if self.folder is None else self.folder / "data" / config / f"{split}.parquet"
            table = self.tables[config, split] = _Table(config, split, self.scheme, path, counts)
        table.add(rows, self.problems, self.file_of)
        if config == "documents":
            for row in rows:
                self.stats.outlets[row["outlet"]] = self.stats.outlets.get(row["outlet"], 0) + 1
        elif config == "attribution":
            _add(self.stats.source_types.setdefault(split, {}), Counter(r["source_type"] for r in rows))
        elif config == "stance":
            _add(self.stats.stance, Counter((r["target"], r["label"]) for r in rows))

    def add_document(self, doc_id: str, split: str, rows: Rows, task_file: str = "") -> None:
        """All rows of one document (config → rows), in schema order; exports follow the same rows."""
        self.file_of[doc_id] = task_file
        for config in schema.CONFIGS:
            self.add_rows(config, split, rows.get(config, []))
        annotations = rows.get("annotations", [])
        if annotations:
            self.stats.annotated_docs += 1
            self.stats.annotations += len(annotations)
            agreement = doc_agreement(doc_id, annotations)
            if agreement is not None:
                self.stats.agreement.append(agreement)
        if self.exports and rows.get("documents"):
            self._export(doc_id, split, rows)

    def _export(self, doc_id: str, split: str, rows: Rows) -> None:
        from builder import browser, exports

        ner = rows.get("ner", [])
        if ner:
            self._stream(f"conll/{split}.conll").write(exports.conll(ner))
        (document,) = rows["documents"]
        if split not in self.docbins:
            self.docbins[split] = exports.new_docbin()
        exports.add_to_docbin(self.docbins[split], document, split, exports.sentences_of(ner).get(doc_id, []))
        attribution = rows.get("attribution", [])
        if attribution:
            self._stream(f"attributions/{split}.jsonl").write(
                "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in exports.attribution_records(attribution, split)))
        self._stream("browser.jsonl").write(browser.json_line(browser.doc_record(document, split, attribution, self.scheme)) + "\n")

    def _stream(self, kind: str):
        stream = self.streams.get(kind)
        if stream is None:
            path = self.folder / kind
            path.parent.mkdir(parents=True, exist_ok=True)
            stream = self.streams[kind] = path.open("w", encoding="utf-8", newline="\n")
        return stream

    def close(self) -> PartSummary:
        order = {name: i for i, name in enumerate(schema.CONFIGS + schema.SPLITS)}
        for (config, split), table in sorted(self.tables.items(), key=lambda kv: (order[kv[0][0]], order[kv[0][1]])):
            table.flush(self.problems, self.file_of)
            table.close()
            if table.rows:
                self.stats.rows.setdefault(config, {})[split] = table.rows
                self.stats.num_bytes.setdefault(config, {})[split] = table.nbytes
        for stream in self.streams.values():
            stream.close()
        for split, docbin in self.docbins.items():
            path = self.folder / "spacy" / f"{split}.spacy"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(docbin.to_bytes())
        return PartSummary(self.stats, self.problems)
