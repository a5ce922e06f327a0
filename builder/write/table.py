"""One config and split of one shard → its Parquet file: rows (or a cached document's Arrow rows) in batches
of SUB_DOCS documents, written in row groups of BATCH_ROWS rows. Used by builder.write.parts.PartWriter."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from builder import schema
from builder.records import Problem
from builder.scheme import Scheme
from builder.write import encode

BATCH_ROWS = 1_000  # rows per Parquet row group: far below the ~100 MB the dataset viewer expects
# Documents whose rows are held as Python objects before they are encoded to Arrow. A conversion costs
# ~8 us per field besides its rows; 32 documents saved 0.2 ms a document but added 45 MB to a 10k build's
# summed peak RSS (16: 17 MB), which has a 600 MB budget.
SUB_DOCS = 8
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


class Table:
    """One config and split of one shard: rows → Arrow (every SUB_DOCS documents, so few rows are held as
    Python objects) → Parquet row groups of BATCH_ROWS rows, or fewer once they hold GROUP_BYTES.

    A document comes either as rows (encoded here) or, reused from the cache, as its RecordBatch read back
    from an earlier part; either way the SUB_DOCS-document batches are the same rows in the same row groups,
    so the Parquet file is the same bytes."""

    def __init__(self, config: str, split: str, scheme: Scheme, path: Path | None, counts, arrow_schema: Any = None) -> None:
        self.config, self.split, self.scheme, self.path = config, split, scheme, path
        self.arrow_schema = arrow_schema if arrow_schema is not None else schema.arrow_schema(config, scheme)
        self.encode = encode.row_encoder(config, scheme)
        self.slots = encode.validity_slots(self.arrow_schema)
        self.counts = counts
        self.buffer: list[Any] = []  # per document: its encoded rows (a list) or its RecordBatch
        self.raw: list[list[dict[str, Any]]] = []  # per document: its rows as derived ([] for a RecordBatch)
        self.buffered = 0  # rows in the buffer
        self.pending: list[Any] = []  # encoded RecordBatches not yet written
        self.pending_bytes: list[int] = []  # builder.write.encode.data_bytes of each
        self.pending_rows = 0
        self.writer = None
        self.rows = self.nbytes = 0
        self.added = 0  # rows taken so far: where the next document's rows start in this file
        self.failed = False

    def add(self, rows: list[dict[str, Any]], problems: list[Problem], file_of: Mapping[str, str]) -> tuple[int, dict[str, dict[str, int]]]:
        """A document's rows; returns where they start and the labels they hold (path → label → n)."""
        counts: dict[str, Counter] = defaultdict(Counter)
        try:
            encoded = encode.encode_rows(rows, self.encode, counts)
        except encode.NotEncodable as e:
            problems += explain_rows(f"{self.config}/{self.split}", self.config, self.scheme, rows, list(range(len(rows))), file_of, str(e))
            self.failed = True
            return self.added, {}
        labels = {path: dict(c) for path, c in counts.items()}
        self._take(encoded, rows, len(rows), labels, problems, file_of)
        return self.added - len(rows), labels

    def add_batch(self, batch: Any, labels: Mapping[str, Mapping[str, int]], problems: list[Problem], file_of: Mapping[str, str]) -> int:
        """A document's rows as a RecordBatch of this table's Arrow schema (builder.run.cache.DocStore.batches
        gives them so) with the labels they hold; returns where they start."""
        if batch.schema is not self.arrow_schema and not batch.schema.equals(self.arrow_schema, check_metadata=True):
            raise ValueError(f"{self.config}/{self.split}: a cached batch of another schema")
        self._take(batch, [], batch.num_rows, labels, problems, file_of)
        return self.added - batch.num_rows

    def _take(self, item: Any, raw: list[dict[str, Any]], n: int, labels: Mapping[str, Mapping[str, int]],
              problems: list[Problem], file_of: Mapping[str, str]) -> None:  # fmt: skip
        for path, c in labels.items():
            mine = self.counts[path]
            for label, k in c.items():
                mine[label] += k
        self.buffer.append(item)
        self.raw.append(raw)
        self.buffered += n
        self.added += n
        if len(self.buffer) >= SUB_DOCS or self.buffered >= BATCH_ROWS:
            self._encode(problems, file_of)

    def _encode(self, problems: list[Problem], file_of: Mapping[str, str]) -> None:
        items, raw = self.buffer, self.raw
        self.buffer, self.raw, self.buffered = [], [], 0
        if not items:
            return
        try:
            record_batch = self._batch(items)
        except encode.NotEncodable as e:
            fresh = [(row, k) for rows in raw for k, row in enumerate(rows)]
            problems += explain_rows(f"{self.config}/{self.split}", self.config, self.scheme, [r for r, _ in fresh],
                                     [k for _, k in fresh], file_of, str(e))  # fmt: skip
            self.failed = True
            return
        size = encode.data_bytes(record_batch, self.slots)
        self.rows += record_batch.num_rows
        self.nbytes += size
        if self.path is None or self.failed:
            return  # `check`: encoded (that is the check) and counted, not written
        self.pending.append(record_batch)
        self.pending_bytes.append(size)
        self.pending_rows += record_batch.num_rows
        while self.pending_rows >= BATCH_ROWS:
            self._write(BATCH_ROWS)
        if sum(self.pending_bytes) >= GROUP_BYTES:  # long documents: a smaller row group, not more memory
            self._write(self.pending_rows)

    def _batch(self, items: list[Any]) -> Any:
        """The buffer's documents as one RecordBatch: runs of rows converted at once, cached batches as they are."""
        import pyarrow as pa

        pieces, run = [], []
        for item in items:
            if isinstance(item, list):
                run += item
                continue
            if run:
                pieces.append(encode.to_batch(run, self.arrow_schema))
                run = []
            pieces.append(item)
        if run:
            pieces.append(encode.to_batch(run, self.arrow_schema))
            if len(pieces) == 1:
                return pieces[0]
        # also for one cached batch alone: a slice of its part's table, concatenated into buffers of its own
        return pa.concat_batches(pieces)

    def _write(self, n: int) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_batches(self.pending, schema=self.arrow_schema)
        if self.writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.writer = pq.ParquetWriter(self.path, self.arrow_schema, **PARQUET_OPTIONS)
        # one contiguous batch per row group: pages and bytes as if the rows had been encoded at once
        self.writer.write_table(table.slice(0, n).combine_chunks(), row_group_size=n)
        # what is left of the batches, with their sizes in proportion to the rows left (a slice's buffers
        # are its whole batch's, so measuring it again would count rows already written)
        left, rest_bytes, rest = n, [], []
        for batch, size in zip(self.pending, self.pending_bytes):
            if left >= batch.num_rows:
                left -= batch.num_rows
                continue
            keep = batch.num_rows - left
            rest.append(batch.slice(left))
            rest_bytes.append(size * keep // batch.num_rows)
            left = 0
        self.pending, self.pending_bytes = rest, rest_bytes
        self.pending_rows -= n

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
