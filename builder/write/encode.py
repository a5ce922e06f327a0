"""Output rows → Arrow-ready rows in one walk: ClassLabel strings become their indices and are counted.

This replaces `datasets.Features.encode_example` (a generic, per-value walk that was a third of the
write time) and the writer's second JSON-Schema pass. The types are then checked by the Arrow cast to
`features.arrow_schema`; a label outside the scheme fails here, naming the row and field. When either
fails, the JSON Schema validator explains the row (builder.schema.RowValidator), so messages stay precise.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any

from builder import schema
from builder.schema import Label, ListOf, Struct
from builder.scheme import Scheme

Counts = dict[str, Counter[str]]  # label path → label → count (one split)
Encoder = Callable[[Any, Counts], Any]


class NaiveTime(ValueError):
    def __init__(self, path: str, value: Any) -> None:
        super().__init__(f"{path}: {value!r} has no time zone")


class UnknownLabel(ValueError):
    def __init__(self, path: str, value: Any) -> None:
        super().__init__(f"{path}: {value!r} is not a label of the scheme")
        self.path, self.value = path, value


def _make(spec: schema.Spec, scheme: Scheme, path: str) -> Encoder | None:
    """An encoder for one value, or None where the value passes unchanged (no label below)."""
    if isinstance(spec, Label):
        index = {name: i for i, name in enumerate(getattr(scheme, spec.names))}

        def label(value: Any, counts: Counts) -> Any:
            if value is None:
                return None
            try:
                i = index[value]
            except (KeyError, TypeError):
                raise UnknownLabel(path, value) from None
            counts[path][value] += 1
            return i

        return label
    if isinstance(spec, ListOf):
        item = _make(spec.item, scheme, path if isinstance(spec.item, Label) else f"{path}[]")
        if item is None:
            return None
        if isinstance(spec.item, Label):
            return _label_list(item, {name: i for i, name in enumerate(getattr(scheme, spec.item.names))}, path)
        return lambda value, counts: None if value is None else [item(v, counts) for v in value]
    if isinstance(spec, schema.Scalar) and spec.dtype.startswith("timestamp") and "tz=" in spec.dtype:
        def aware(value: Any, counts: Counts) -> Any:
            # Arrow would read a naive datetime as UTC without a word: a wrong time, silently.
            if isinstance(value, datetime) and value.tzinfo is None:
                raise NaiveTime(path, value)
            return value

        return aware
    if isinstance(spec, Struct):
        parts = [(f.name, _make(f.spec, scheme, f"{path}.{f.name}")) for f in spec.fields]
        labelled = [(name, enc) for name, enc in parts if enc is not None]
        return _struct(labelled) if labelled else None
    return None


def _label_list(item: Encoder, index: dict[str, int], path: str) -> Encoder:
    """A list of labels (a sentence's BIO tags: most of the labels a document has): looked up and counted in
    one pass each; a list with a null or an unknown label goes through `item` one by one, which says which."""

    def labels(value: Any, counts: Counts) -> Any:
        if value is None:
            return None
        try:
            out = [index[v] for v in value]
        except (KeyError, TypeError):
            return [item(v, counts) for v in value]
        counts[path].update(value)
        return out

    return labels


def _struct(labelled: list[tuple[str, Encoder]]) -> Encoder:
    """A struct with labels below: a copy with those fields encoded. The other fields stay as they are; the
    Arrow conversion takes a struct's fields by name, a missing one as null, and ignores any other key."""

    def struct(value: Any, counts: Counts) -> Any:
        if value is None:
            return None
        if not hasattr(value, "keys"):  # dict() would also take a list of pairs
            raise TypeError(f"a struct must be a mapping, not {type(value).__name__}")
        out = dict(value)
        for name, enc in labelled:
            out[name] = enc(value.get(name), counts)
        return out

    return struct


def row_encoder(config: str, scheme: Scheme) -> Callable[[dict[str, Any], Counts], dict[str, Any]]:
    """encode(row, counts) → the row with label indices; counts[path][label] is incremented."""
    labelled = [(f.name, enc) for f in schema.fields(config) if (enc := _make(f.spec, scheme, f.name)) is not None]
    return _struct(labelled)


class NotEncodable(ValueError):
    """A batch of rows does not fit the config's Arrow schema; the JSON Schema validator says why."""


def encode_rows(rows: list[dict[str, Any]], encode: Callable[[dict[str, Any], Counts], dict[str, Any]], counts: Counts) -> list[dict[str, Any]]:
    """rows → Arrow-ready rows, labels counted into `counts`; NotEncodable for a label outside the scheme,
    a naive time, or a value of the wrong shape."""
    try:
        return [encode(row, counts) for row in rows]
    except (UnknownLabel, NaiveTime, TypeError, ValueError, AttributeError) as e:
        raise NotEncodable(str(e)) from None


def to_batch(rows: list[dict[str, Any]], arrow_schema: Any) -> Any:
    """encode_rows' rows → one pyarrow RecordBatch of `arrow_schema`; NotEncodable if they do not fit it."""
    import pyarrow as pa

    try:
        return pa.RecordBatch.from_pylist(rows, schema=arrow_schema)
    except (pa.ArrowException, TypeError, ValueError, AttributeError, OverflowError) as e:
        raise NotEncodable(str(e)) from None


def data_bytes(batch: Any, slots: list[tuple[bool, ...]] | None = None) -> int:
    """The bytes of a contiguous RecordBatch's values and offsets, validity bitmaps left out.

    RecordBatch.nbytes counts bitmaps, and whether an array has one depends on how it was made: rows
    converted from Python get none where nothing is null, the same rows read back from Parquet get one under
    every nullable struct. This figure is the same for the same rows however they were made, so the card's
    num_bytes and the row groups do not depend on whether a document came from the cache. `slots`:
    validity_slots(batch.schema), which a caller writing many batches of one schema computes once."""
    total = 0
    for column, kinds in zip(batch.columns, validity_slots(batch.schema) if slots is None else slots):
        total += sum(b.size for b, validity in zip(column.buffers(), kinds) if b is not None and not validity)
    return total


def validity_slots(arrow_schema: Any) -> list[tuple[bool, ...]]:
    return [_slots(field.type) for field in arrow_schema]


def _slots(t: Any) -> tuple[bool, ...]:
    """Per buffer of Array.buffers() (this node's, then its children's, depth first): is it a validity bitmap."""
    own = (True,) + (False,) * (t.num_buffers - 1)
    return own + tuple(slot for i in range(t.num_fields) for slot in _slots(t.field(i).type))
