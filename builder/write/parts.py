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

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builder import schema
from builder.records import Problem
from builder.scheme import Scheme
from builder.write.plots import KEEP_AGREEMENT, DocAgreement, doc_agreement
from builder.write.table import Table

DOCBIN_DOCS = 100  # documents per spaCy DocBin file

Rows = Mapping[str, list[dict[str, Any]]]  # config → rows of one document


@dataclass(slots=True)
class Stats:
    """What the card, the plots and the manifest need, summed over documents; small and mergeable."""

    rows: dict[str, dict[str, int]] = field(default_factory=dict)  # config → split → rows
    num_bytes: dict[str, dict[str, int]] = field(default_factory=dict)  # config → split → Arrow bytes (encode.data_bytes)
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


Where = dict[str, tuple[int, int]]  # config → (first row, rows) of one document in a part's file of its split


@dataclass(frozen=True, slots=True)
class DocSummary:
    """What one document adds to a part's statistics, kept with it in the cache (so its rows need not be)."""

    labels: dict[str, dict[str, dict[str, int]]]  # config → label path → label → n
    outlets: tuple[str, ...] = ()
    source_types: dict[str, int] = field(default_factory=dict)
    stance: dict[tuple[str, str], int] = field(default_factory=dict)
    annotations: int = 0
    agreement: DocAgreement | None = None


def _summary(doc_id: str | None, rows: Rows, labels: dict[str, dict[str, dict[str, int]]]) -> DocSummary:
    """doc_id None: rows that are not one document's (no annotation statistics)."""
    annotations = rows.get("annotations", []) if doc_id is not None else []
    return DocSummary(
        labels=labels,
        outlets=tuple(row["outlet"] for row in rows.get("documents", [])),
        source_types=dict(Counter(r["source_type"] for r in rows.get("attribution", []))),
        stance=dict(Counter((r["target"], r["label"]) for r in rows.get("stance", []))),
        annotations=len(annotations),
        agreement=doc_agreement(doc_id, annotations) if annotations else None,
    )


class PartWriter:
    """Streams one shard's documents into `folder` (None: encode and count only)."""

    def __init__(self, folder: Path | None, scheme: Scheme, splits: tuple[str, ...] = schema.SPLITS, *, exports: bool = True) -> None:
        self.folder, self.scheme, self.splits = folder, scheme, splits
        self.exports = exports and folder is not None
        self.stats = Stats()
        self.problems: list[Problem] = []
        self.tables: dict[tuple[str, str], Table] = {}
        self.schemas: dict[str, Any] = {}  # config → its Arrow schema, one object for every split and cached batch
        self.file_of: dict[str, str] = {}  # doc_id → export file, for messages about its rows
        self.streams: dict[str, Any] = {}  # kind → open text file
        self.docbins: dict[str, Any] = {}  # split → the spaCy DocBin being filled
        self.docbin_files: dict[str, int] = {}  # split → DocBin files written
        self.pages: Any = None  # the shard's browser pages (builder.write.browser.PageWriter), once it has a document
        self.inputs: list[tuple[str, str]] = []  # (repository-relative path, sha256) of the shard's own files

    def _table(self, config: str, split: str) -> Table:
        table = self.tables.get((config, split))
        if table is None:
            labels = self.stats.labels.setdefault(config, empty_labels(config, self.scheme, self.splits))
            counts = {path: by_split[split] for path, by_split in labels.items()}
            path = None if self.folder is None else self.folder / "data" / config / f"{split}.parquet"
            table = self.tables[config, split] = Table(config, split, self.scheme, path, counts, self.arrow_schema(config))
        return table

    def arrow_schema(self, config: str) -> Any:
        """The config's Arrow schema; builder.run.cache.DocStore.batches gives cached rows this very object."""
        if config not in self.schemas:
            self.schemas[config] = schema.arrow_schema(config, self.scheme)
        return self.schemas[config]

    def add_rows(self, config: str, split: str, rows: list[dict[str, Any]]) -> None:
        """Rows of any number of documents (builder.release.finish.write_rows), counted as add_document counts them."""
        if rows:
            self._table(config, split).add(rows, self.problems, self.file_of)
            self._count(split, _summary(None, {config: rows}, {}))

    def add_document(self, doc_id: str, split: str, rows: Rows, task_file: str = "", outputs: dict[str, Any] | None = None) -> Where:
        """All rows of one document (config → rows), in schema order; exports follow the same rows. Returns
        where its rows are in this part's files. `outputs` is filled with what replay_document needs to add
        the document again without its rows: its counts and its export pieces."""
        self.file_of[doc_id] = task_file
        where: Where = {}
        labels: dict[str, dict[str, dict[str, int]]] = {}
        for config in schema.CONFIGS:
            config_rows = rows.get(config, [])
            if config_rows:
                start, labels[config] = self._table(config, split).add(config_rows, self.problems, self.file_of)
                where[config] = (start, len(config_rows))
        summary = _summary(doc_id, rows, labels)
        self._count(split, summary)
        pieces = None
        if self.exports and rows.get("documents"):
            pieces = self._pieces(doc_id, split, rows)
            self._export(split, pieces)
        if outputs is not None:
            outputs.update(summary=summary, pieces=pieces)
        return where

    def replay_document(self, doc_id: str, split: str, task_file: str, outputs: Mapping[str, Any], batches: Mapping[str, Any]) -> Where:
        """A document an earlier build added: its rows as RecordBatches (config → batch, read back from that
        build's part) and the `outputs` add_document filled. The part files get the same bytes."""
        self.file_of[doc_id] = task_file
        summary: DocSummary = outputs["summary"]
        where: Where = {}
        for config in schema.CONFIGS:
            batch = batches.get(config)
            if batch is not None and batch.num_rows:
                start = self._table(config, split).add_batch(batch, summary.labels.get(config, {}), self.problems, self.file_of)
                where[config] = (start, batch.num_rows)
        self._count(split, summary)
        if self.exports and outputs.get("pieces") is not None:
            self._export(split, outputs["pieces"])
        return where

    def _docbin(self, split: str) -> Any:
        """The split's DocBin being filled (spaCy is imported only where exports are written)."""
        if split not in self.docbins:
            from builder.write import exports

            self.docbins[split] = exports.new_docbin()
        return self.docbins[split]

    def _count(self, split: str, summary: DocSummary) -> None:
        _add(self.stats.outlets, Counter(summary.outlets))
        if summary.source_types:
            _add(self.stats.source_types.setdefault(split, {}), summary.source_types)
        _add(self.stats.stance, summary.stance)
        if summary.annotations:
            self.stats.annotated_docs += 1
            self.stats.annotations += summary.annotations
        agreement = summary.agreement
        if agreement is not None:
            self.stats.agreed += 1
            self.stats.agreement_f1 += agreement.f1
            if len(self.stats.agreement) < KEEP_AGREEMENT:
                self.stats.agreement.append(agreement)

    def _pieces(self, doc_id: str, split: str, rows: Rows) -> dict[str, Any]:
        """What a document adds to each export: CoNLL text, its DocBin parts, attribution lines, browser line."""
        from builder.write import attributions, browser, exports
        ner = rows.get("ner", [])
        (document,) = rows["documents"]
        attribution = rows.get("attribution", [])
        return {
            "conll": exports.conll(ner) if ner else "",
            "docbin": exports.docbin_parts(document, split, exports.sentences_of(ner).get(doc_id, [])),
            "attributions": attributions.attribution_lines(attribution, split),
            "browser": browser.record_line(browser.doc_record(document, split, attribution, self.scheme)),
        }

    def _export(self, split: str, pieces: Mapping[str, Any]) -> None:
        if pieces["conll"]:
            self._stream(f"conll/{split}.conll").write(pieces["conll"])
        self._docbin(split).add_parts(pieces["docbin"])
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
