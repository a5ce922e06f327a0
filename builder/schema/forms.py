"""The declared fields (builder.schema.fields) → the three forms every part of the builder uses: datasets
Features (the card and load_dataset), a pyarrow schema (the writer, without importing datasets), and a JSON
Schema per config (explaining a row that failed the Arrow cast).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import fastjsonschema

from builder.schema.fields import SCHEMA_VERSION, Field, Label, ListOf, Scalar, Spec, Struct, fields, label_names
from builder.scheme import Scheme

if TYPE_CHECKING:
    import datasets

_INT_RANGE = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
# ISO 8601 with an explicit offset: a naive timestamp would be read as UTC wall-clock by datasets
# (HF_DATASETS.md §8.2), which silently shifts Dhaka times by six hours.
_AWARE_ISO = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$"


def features(config: str, scheme: Scheme) -> datasets.Features:
    """datasets Features for one config; ClassLabel names come from the scheme, in its order."""
    import datasets  # here, not at the top: worker processes and `check` need no datasets (~130 MB)

    def feature(spec: Spec) -> Any:
        if isinstance(spec, Scalar):
            return datasets.Value(spec.dtype)
        if isinstance(spec, Label):
            return datasets.ClassLabel(names=list(label_names(spec, scheme)))
        if isinstance(spec, ListOf):
            # List, not Sequence: Sequence({...}) would become a struct of lists (HF_DATASETS.md §3).
            return datasets.List(feature(spec.item))
        return {f.name: feature(f.spec) for f in spec.fields}

    return datasets.Features({f.name: feature(f.spec) for f in fields(config)})


_ARROW_SCALARS = {"bool": "bool_", "float64": "float64", "int32": "int32", "int64": "int64", "string": "string"}


def arrow_schema(config: str, scheme: Scheme) -> Any:
    """`features(config, scheme).arrow_schema`, built with pyarrow alone (the map's workers import no
    datasets). The `huggingface` metadata is what datasets writes: `{"info": {"features": to_dict()}}`;
    tests/test_schema.py holds the two equal, metadata bytes included."""
    import json

    import pyarrow as pa

    def typed(spec: Spec) -> tuple[Any, Any]:  # (Arrow type, datasets' dict of the feature)
        if isinstance(spec, Scalar):
            if spec.dtype.startswith("timestamp["):
                unit, tz = spec.dtype[len("timestamp["):-1].split(", tz=")
                return pa.timestamp(unit, tz=tz), {"dtype": spec.dtype, "_type": "Value"}
            return getattr(pa, _ARROW_SCALARS[spec.dtype])(), {"dtype": spec.dtype, "_type": "Value"}
        if isinstance(spec, Label):
            return pa.int64(), {"names": list(label_names(spec, scheme)), "_type": "ClassLabel"}
        if isinstance(spec, ListOf):
            item, item_dict = typed(spec.item)
            return pa.list_(item), {"feature": item_dict, "_type": "List"}
        parts = [(f.name, *typed(f.spec)) for f in spec.fields]
        return pa.struct([(name, t) for name, t, _ in parts]), {name: d for name, _, d in parts}

    top = [(f.name, *typed(f.spec)) for f in fields(config)]
    meta = json.dumps({"info": {"features": {name: d for name, _, d in top}}})
    return pa.schema([(name, t) for name, t, _ in top]).with_metadata({"huggingface": meta})


def json_schema(config: str, scheme: Scheme) -> dict[str, Any]:
    """JSON Schema (draft 7) of one output row in its JSON form (see `to_jsonable`)."""
    schema = _object_schema(fields(config), scheme)
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",  # draft 7: fastjsonschema compiles it
        "title": f"{config} row (schema version {SCHEMA_VERSION})",
        **schema,
    }


def _object_schema(struct_fields: tuple[Field, ...], scheme: Scheme) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {f.name: _field_schema(f, scheme) for f in struct_fields},
        "required": [f.name for f in struct_fields],
        "additionalProperties": False,
    }


def _field_schema(field: Field, scheme: Scheme) -> dict[str, Any]:
    schema = {"description": field.description, **_spec_schema(field.spec, scheme)}
    if field.nullable:
        schema["type"] = [schema["type"], "null"]
        if "enum" in schema:
            schema["enum"] = [*schema["enum"], None]
    return schema


def _spec_schema(spec: Spec, scheme: Scheme) -> dict[str, Any]:
    if isinstance(spec, Label):
        return {"type": "string", "enum": list(label_names(spec, scheme))}
    if isinstance(spec, ListOf):
        return {"type": "array", "items": _spec_schema(spec.item, scheme)}
    if isinstance(spec, Struct):
        return _object_schema(spec.fields, scheme)
    if spec.dtype.startswith("timestamp"):
        return {"type": "string", "format": "date-time", "pattern": _AWARE_ISO}
    if spec.dtype in _INT_RANGE:
        low, high = _INT_RANGE[spec.dtype]
        return {"type": "integer", "minimum": low if spec.minimum is None else spec.minimum, "maximum": high}
    if spec.dtype.startswith("float"):
        return {"type": "number"}
    if spec.dtype == "bool":
        return {"type": "boolean"}
    schema: dict[str, Any] = {"type": "string"}
    if spec.enum:
        schema["enum"] = list(spec.enum)
    return schema


class RowValidator:
    """Checks output rows of one config: a compiled validator for speed, jsonschema to explain failures."""

    def __init__(self, config: str, scheme: Scheme) -> None:
        spec = json_schema(config, scheme)
        import jsonschema  # only where rows are checked or explained: not on every start of the builder

        self._fast = fastjsonschema.compile(spec)
        self._explain = jsonschema.Draft7Validator(spec)

    def errors(self, row: Mapping[str, Any]) -> list[tuple[str, str]]:
        """(JSON pointer, message) for each violation of the row; [] when it is valid."""
        data = to_jsonable(row)
        try:
            self._fast(data)
            return []
        except fastjsonschema.JsonSchemaException:
            found = sorted(self._explain.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
            return [("/" + "/".join(map(str, e.absolute_path)), e.message) for e in found] or [("/", "row does not match the schema")]


def to_jsonable(value: Any) -> Any:
    """A row as JSON data: datetimes → ISO 8601 strings, tuples → lists, mappings → dicts."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {k: to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    return value
