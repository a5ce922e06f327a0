"""The map's output: one shard of documents → its part of every file of the dataset folder, and statistics.

A shard is a fixed run of consecutive documents (doc_id order), so what it writes depends only on the
inputs, never on the number of workers. `PartWriter` takes the shard's documents one by one and streams:

    <part>/data/<config>/<split>.parquet   rows encoded and cast to the config's Arrow schema (once)
    <part>/conll/<split>.conll             the ner rows as CoNLL-2003
    <part>/spacy/<split>.<k>.spacy         DocBins of the shard's documents, DOCBIN_DOCS each
    <part>/attributions/<split>.jsonl      the attribution records
    <part>/browser/NNNNN.html, pages.tsv   the shard's pages of the corpus browser (builder.write.browser)
    <part>/inputs.tsv                      sha256 of the shard's captures, texts and exports (builder.write.fingerprint)

and keeps only counts (`Stats`). With no folder (`builder check`), rows are still encoded — the encoding
is the row check — but nothing is written. builder.write.assemble merges the parts of all shards in rank order.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builder import schema
from builder.records import Problem
from builder.scheme import Scheme
from builder.write import encode
from builder.write.plots import KEEP_AGREEMENT, DocAgreement, doc_agreement

BATCH_ROWS = 1_000  # rows per Parquet row group: far below the ~100 MB the dataset viewer expects
SUB_DOCS = 8  # documents whose rows are held as Python objects before they are encoded to Arrow
DOCBIN_DOCS = 100  # documents per spaCy DocBin file
GROUP_BYTES = 1 << 20  # a row group is written once its rows hold this many Arrow bytes (or BATCH_ROWS rows)

# Every option pinned, so the bytes depend only on the rows and the pyarrow version (which is
# recorded in the file's `created_by`). No option here writes a time or a random id.
PARQUET_OPTIONS: dict[str, Any] = {
    "version": "2.6",
    "compression": "zstd",
    "compression_level": 3,  # zstd's default: as small as 9 on these files (within 0.1 %), 40 % less time
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
    agreement: list[DocAgreement] = field(default_factory=list)  # the first KEEP_AGREEMENT documents with two or more annotators
    agreed: int = 0  # documents with two or more annotators
    agreement_f1: float = 0.0  # the sum of their mean pairwise F1
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
        self.agreement += other.agreement[: max(0, KEEP_AGREEMENT - len(self.agreement))]
        self.agreed += other.agreed
        self.agreement_f1 += other.agreement_f1
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
    """One config and split of one shard: rows → Arrow (every SUB_DOCS documents, so few rows are held as
    Python objects) → Parquet row groups of BATCH_ROWS rows, or fewer once they hold GROUP_BYTES."""

    def __init__(self, config: str, split: str, scheme: Scheme, path: Path | None, counts) -> None:
        self.config, self.split, self.scheme, self.path = config, split, scheme, path
        self.arrow_schema = schema.arrow_schema(config, scheme)
        self.encode = encode.row_encoder(config, scheme)
        self.counts = counts
        self.buffer: list[dict[str, Any]] = []
        self.index: list[int] = []  # each buffered row's position among its document's rows
        self.docs = 0  # documents in the buffer
        self.pending: list[Any] = []  # encoded RecordBatches not yet written
        self.pending_rows = self.pending_bytes = 0
        self.writer = None
        self.rows = self.nbytes = 0
        self.failed = False

    def add(self, rows: list[dict[str, Any]], problems: list[Problem], file_of: Mapping[str, str]) -> None:
        self.buffer += rows
        self.index += range(len(rows))
        self.docs += 1
        if self.docs >= SUB_DOCS or len(self.buffer) >= BATCH_ROWS:
            self._encode(problems, file_of)

    def _encode(self, problems: list[Problem], file_of: Mapping[str, str]) -> None:
        batch, index = self.buffer, self.index
        self.buffer, self.index, self.docs = [], [], 0
        if not batch:
            return
        try:
            record_batch = encode.encode_batch(batch, self.encode, self.arrow_schema, self.counts)
        except encode.NotEncodable as e:
            problems += explain_rows(f"{self.config}/{self.split}", self.config, self.scheme, batch, index, file_of, str(e))
            self.failed = True
            return
        self.rows += len(batch)
        self.nbytes += record_batch.nbytes
        if self.path is None or self.failed:
            return  # `check`: encoded (that is the check) and counted, not written
        self.pending.append(record_batch)
        self.pending_rows += len(batch)
        self.pending_bytes += record_batch.nbytes
        while self.pending_rows >= BATCH_ROWS:
            self._write(BATCH_ROWS)
        if self.pending_bytes >= GROUP_BYTES:  # long documents: a smaller row group, not more memory
            self._write(self.pending_rows)

    def _write(self, n: int) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_batches(self.pending, schema=self.arrow_schema)
        if self.writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.writer = pq.ParquetWriter(self.path, self.arrow_schema, **PARQUET_OPTIONS)
        # one contiguous batch per row group: pages and bytes as if the rows had been encoded at once
        self.writer.write_table(table.slice(0, n).combine_chunks(), row_group_size=n)
        rest = table.slice(n)
        self.pending, self.pending_rows = rest.to_batches(), rest.num_rows
        self.pending_bytes = sum(b.nbytes for b in self.pending)

    def flush(self, problems: list[Problem], file_of: Mapping[str, str]) -> None:
        self._encode(problems, file_of)
        if self.pending_rows and self.path is not None and not self.failed:
            self._write(self.pending_rows)

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

    def __init__(self, folder: Path | None, scheme: Scheme, splits: tuple[str, ...] = schema.SPLITS, *, exports: bool = True) -> None:
        self.folder, self.scheme, self.splits = folder, scheme, splits
        self.exports = exports and folder is not None
        self.stats = Stats()
        self.problems: list[Problem] = []
        self.tables: dict[tuple[str, str], _Table] = {}
        self.file_of: dict[str, str] = {}  # doc_id → export file, for messages about its rows
        self.streams: dict[str, Any] = {}  # kind → open text file
        self.docbins: dict[str, Any] = {}  # split → the spaCy DocBin being filled
        self.docbin_files: dict[str, int] = {}  # split → DocBin files written
        self.pages: Any = None  # the shard's browser pages (builder.write.browser.PageWriter), once it has a document
        self.inputs: list[tuple[str, str]] = []  # (repository-relative path, sha256) of the shard's own files

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

    def add_document(self, doc_id: str, split: str, rows: Rows, task_file: str = "", outputs: dict[str, Any] | None = None) -> None:
        """All rows of one document (config → rows), in schema order; exports follow the same rows.
        `outputs`: the document's export pieces, filled here on its first build and taken from there when it
        comes back from the cache (the same rows give the same pieces, so the files are the same bytes)."""
        self.file_of[doc_id] = task_file
        for config in schema.CONFIGS:
            self.add_rows(config, split, rows.get(config, []))
        annotations = rows.get("annotations", [])
        if annotations:
            self.stats.annotated_docs += 1
            self.stats.annotations += len(annotations)
            agreement = doc_agreement(doc_id, annotations)
            if agreement is not None:
                self.stats.agreed += 1
                self.stats.agreement_f1 += agreement.f1
                if len(self.stats.agreement) < KEEP_AGREEMENT:
                    self.stats.agreement.append(agreement)
        if self.exports and rows.get("documents"):
            from builder.write import exports  # spaCy: only where exports are written

            if split not in self.docbins:
                self.docbins[split] = exports.new_docbin()
            if not outputs:
                pieces = self._pieces(doc_id, split, rows, self.docbins[split])
                if outputs is not None:
                    outputs.update(pieces)
            self._export(split, outputs or pieces)

    def _pieces(self, doc_id: str, split: str, rows: Rows, docbin: Any) -> dict[str, Any]:
        """What a document adds to each export: CoNLL text, its DocBin parts, attribution lines, browser line."""
        from builder.write import browser, exports
        ner = rows.get("ner", [])
        (document,) = rows["documents"]
        attribution = rows.get("attribution", [])
        return {
            "conll": exports.conll(ner) if ner else "",
            "docbin": docbin.parts_of(exports.docbin_doc(document, split, exports.sentences_of(ner).get(doc_id, []))),
            "attributions": "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in exports.attribution_records(attribution, split)),
            "browser": browser.record_line(browser.doc_record(document, split, attribution, self.scheme)),
        }

    def _export(self, split: str, pieces: Mapping[str, Any]) -> None:
        if pieces["conll"]:
            self._stream(f"conll/{split}.conll").write(pieces["conll"])
        self.docbins[split].add_parts(pieces["docbin"])
        if len(self.docbins[split]) >= DOCBIN_DOCS:
            self._write_docbin(split)
        if pieces["attributions"]:
            self._stream(f"attributions/{split}.jsonl").write(pieces["attributions"])
        if self.pages is None:
            from builder.write.browser import PageWriter

            self.pages = PageWriter(self.folder / "browser", self.scheme)
        self.pages.add(pieces["browser"])

    def _stream(self, kind: str):
        stream = self.streams.get(kind)
        if stream is None:
            path = self.folder / kind
            path.parent.mkdir(parents=True, exist_ok=True)
            stream = self.streams[kind] = path.open("w", encoding="utf-8", newline="\n")
        return stream

    def _write_docbin(self, split: str) -> None:
        """A DocBin serialises all its Docs at once (several copies in memory): a file per DOCBIN_DOCS keeps it small."""
        k = self.docbin_files.get(split, 0)
        self.docbin_files[split] = k + 1
        path = self.folder / "spacy" / f"{split}.{k:05d}.spacy"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self.docbins.pop(split).to_bytes())

    def add_inputs(self, files: list[tuple[str, str]]) -> None:
        if self.folder is not None:  # `check` hashes them for the cache key only
            self.inputs += files

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
        if self.pages is not None:
            self.pages.close()
        for split in list(self.docbins):
            self._write_docbin(split)
        if self.inputs:
            from builder.write.fingerprint import PART_FILE, key

            lines = sorted(set(self.inputs), key=lambda x: key(x[0]))
            (self.folder / PART_FILE).write_text("".join(f"{sha}\t{rel}\n" for rel, sha in lines), encoding="utf-8")
        return PartSummary(self.stats, self.problems)
