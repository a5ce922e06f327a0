"""The declared fields → the card's field table and the label paths whose counts the card shows."""

from __future__ import annotations

from collections.abc import Iterator

from builder.schema.fields import Field, Label, ListOf, Scalar, Spec, Struct, fields, label_names
from builder.scheme import Scheme


def label_fields(config: str) -> dict[str, str]:
    """Path of every ClassLabel field (`entities[].label`, `ner_tags`) → the Scheme attribute naming it."""
    found: dict[str, str] = {}
    for field in fields(config):
        found.update(_label_paths(field.name, field.spec))
    return found


def _label_paths(path: str, spec: Spec) -> dict[str, str]:
    if isinstance(spec, Label):
        return {path: spec.names}
    if isinstance(spec, ListOf):
        return _label_paths(path if isinstance(spec.item, Label) else f"{path}[]", spec.item)
    if isinstance(spec, Struct):
        return {k: v for f in spec.fields for k, v in _label_paths(f"{path}.{f.name}", f.spec).items()}
    return {}


def type_name(spec: Spec, scheme: Scheme) -> str:
    """Short type for the card: `string`, `list<string>`, `ClassLabel(PER, ORG)`, `span`."""
    if isinstance(spec, Scalar):
        return f"{spec.dtype} ∈ {{{', '.join(spec.enum)}}}" if spec.enum else spec.dtype
    if isinstance(spec, Label):
        return f"ClassLabel({', '.join(label_names(spec, scheme))})"
    if isinstance(spec, ListOf):
        return f"list<{type_name(spec.item, scheme)}>"
    return spec.name or "struct"


def field_table(config: str, scheme: Scheme) -> str:
    """Markdown table of one config's fields, nested ones as `a[].b`, then the named struct types."""
    lines = ["| field | type | null | description |", "|---|---|---|---|"]
    named: dict[str, str] = {}
    for path, field in _table_rows(fields(config)):
        null = "yes" if field.nullable else ""
        lines.append(f"| `{path}` | {_cell(type_name(field.spec, scheme))} | {null} | {_cell(field.description)} |")
        spec = field.spec.item if isinstance(field.spec, ListOf) else field.spec
        if isinstance(spec, Struct) and spec.name:
            named.setdefault(spec.name, spec.description)
    for name, description in sorted(named.items()):
        lines += ["", f"`{name}` = {description}"]
    return "\n".join(lines) + "\n"


def _table_rows(struct_fields: tuple[Field, ...], prefix: str = "") -> Iterator[tuple[str, Field]]:
    # Unnamed structs are expanded field by field; named ones (span) are explained once below the table.
    for f in struct_fields:
        path = f"{prefix}{f.name}"
        yield path, f
        if isinstance(f.spec, ListOf) and isinstance(f.spec.item, Struct) and not f.spec.item.name:
            yield from _table_rows(f.spec.item.fields, f"{path}[].")
        elif isinstance(f.spec, Struct) and not f.spec.name:
            yield from _table_rows(f.spec.fields, f"{path}.")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
