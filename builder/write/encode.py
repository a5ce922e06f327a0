"""Output rows → Arrow-ready rows in one walk: ClassLabel strings become their indices and are counted.

This replaces `datasets.Features.encode_example` (a generic, per-value walk that was a third of the
write time) and the writer's second JSON-Schema pass. The types are then checked by the Arrow cast to
`features.arrow_schema`; a label outside the scheme fails here, naming the row and field. When either
fails, the JSON Schema validator explains the row (builder.schema.RowValidator), so messages stay precise.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from builder import schema
from builder.schema import Label, ListOf, Struct
from builder.scheme import Scheme

Counts = dict[str, dict[str, int]]  # label path → label → count (one split)
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
        if all(enc is None for _, enc in parts):
            return None
        return lambda value, counts: None if value is None else {
            name: (enc(value.get(name), counts) if enc is not None else value.get(name)) for name, enc in parts
        }
    return None


def row_encoder(config: str, scheme: Scheme) -> Callable[[dict[str, Any], Counts], dict[str, Any]]:
    """encode(row, counts) → the row with label indices; counts[path][label] is incremented."""
    parts = [(f.name, _make(f.spec, scheme, f.name)) for f in schema.fields(config)]
    labelled = [(name, enc) for name, enc in parts if enc is not None]
    plain = [name for name, enc in parts if enc is None]

    def encode(row: dict[str, Any], counts: Counts) -> dict[str, Any]:
        out = {name: row.get(name) for name in plain}
        for name, enc in labelled:
            out[name] = enc(row.get(name), counts)
        return out

    return encode


class NotEncodable(ValueError):
    """A batch of rows does not fit the config's Arrow schema; the JSON Schema validator says why."""


def encode_batch(rows: list[dict[str, Any]], encode: Callable[[dict[str, Any], Counts], dict[str, Any]],
                 arrow_schema: Any, counts: Counts) -> Any:
    """rows → one pyarrow RecordBatch of `arrow_schema`, labels counted into `counts`; NotEncodable otherwise."""
    import pyarrow as pa

    try:
        return pa.RecordBatch.from_pylist([encode(row, counts) for row in rows], schema=arrow_schema)
    except (UnknownLabel, NaiveTime, pa.ArrowException, TypeError, ValueError, AttributeError, OverflowError) as e:
        raise NotEncodable(str(e)) from None
