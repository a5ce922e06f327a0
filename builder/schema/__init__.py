"""The one output contract, used by the writer, the validator and the card alike.

fields.py declares, per config, the fields of an output row; forms.py turns them into datasets Features,
a pyarrow schema and a JSON Schema; table.py into the card's field table. Import from here.
"""

from builder.schema.fields import (
    CONFIGS,
    DEFAULT_CONFIG,
    SCHEMA_VERSION,
    SPLITS,
    Field,
    Label,
    ListOf,
    Scalar,
    Spec,
    Struct,
    fields,
    label_names,
)
from builder.schema.forms import RowValidator, arrow_schema, features, json_schema, to_jsonable
from builder.schema.table import field_table, label_fields, type_name

__all__ = [
    "CONFIGS", "DEFAULT_CONFIG", "SCHEMA_VERSION", "SPLITS", "Field", "Label", "ListOf", "Scalar", "Spec", "Struct",
    "fields", "label_names", "RowValidator", "arrow_schema", "features", "json_schema", "to_jsonable",
    "field_table", "label_fields", "type_name",
]  # fmt: skip
