"""Labeling config (Label Studio XML) + registry → the annotation scheme the whole build uses.

The order of labels and choices in the XML fixes ClassLabel ids. The registry maps surface
forms to canonical ids for sources, stance targets and provenance chains.
"""

from __future__ import annotations

import csv
import functools
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from builder.errors import BadConfig

# Control names the builder relies on; the XML may add others only if the builder learns them.
ENTITY = "entity"
ATTRIBUTION = "attribution"
ATTRIBUTION_TYPE = "attribution_type"
STANCE = "stance"
DOC_STANCE = "doc_stance"
PROVENANCE = "provenance"
ATTRIBUTION_LABELS = ("SOURCE", "CUE", "CONTENT")
RELATIONS = ("source", "cue", "refers-to")


@dataclass(frozen=True, slots=True)
class RegistryEntry:
    id: str
    kind: str  # PER, ORG, GPE, … or TOPIC
    source_type: str  # media, state-media, government, expert, other ("" for topics)
    name_bn: str
    aliases: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Scheme:
    entity_labels: tuple[str, ...]
    attribution_labels: tuple[str, ...]
    relation_labels: tuple[str, ...]
    attribution_types: tuple[str, ...]
    stance_targets: tuple[str, ...]
    stance_labels: tuple[str, ...]
    controls: dict[str, str]  # control name -> tag (labels, choices, taxonomy, textarea)
    registry: dict[str, RegistryEntry]
    aliases: dict[str, str]  # normalized surface -> registry id
    annotator_key: bytes = b""  # secret of the annotator pseudonyms (builder.derive.rows.pseudonym); set by the pipeline

    @property
    def bio_tags(self) -> tuple[str, ...]:
        return ("O", *(f"{p}-{lab}" for lab in self.entity_labels for p in ("B", "I")))

    def link(self, surface: str) -> str | None:
        """Registry id for a surface form, or None."""
        return self.aliases.get(surface_key(surface))


@functools.lru_cache(maxsize=4096)  # a corpus links the same surfaces again and again (about 1 MB)
def surface_key(s: str) -> str:
    """Lookup key: NFC, any run of whitespace (NBSP included) as one space, outer quotes stripped."""
    s = unicodedata.normalize("NFC", s)
    return " ".join(s.split()).strip("‘’“”'\"")


def _shown(path: Path) -> str:
    """How a path appears in messages: folder/name, never a machine's absolute path."""
    return f"{path.parent.name}/{path.name}" if path.is_absolute() else path.as_posix()


def load_scheme(config_path: Path, registry_path: Path) -> Scheme:
    config_name = _shown(config_path)
    try:
        root = ET.parse(config_path).getroot()
    except FileNotFoundError as e:
        raise BadConfig(f"{config_name}: labeling config not found", "restore it from git") from e
    except ET.ParseError as e:
        raise BadConfig(f"{config_name}: not well-formed XML ({e})", "fix the XML; Label Studio rejects it too") from e

    controls: dict[str, ET.Element] = {}
    for el in root.iter():
        name = el.get("name")
        if name and el.tag in ("Labels", "Choices", "Taxonomy", "TextArea"):
            controls[name] = el
    for required in (ENTITY, ATTRIBUTION, ATTRIBUTION_TYPE, STANCE, DOC_STANCE, PROVENANCE):
        if required not in controls:
            raise BadConfig(f"{config_name}: control name=\"{required}\" is missing", "the builder reads exactly these controls")

    def values(el: ET.Element, tag: str) -> tuple[str, ...]:
        return tuple(c.get("value", "") for c in el if c.tag == tag)

    entity_labels = values(controls[ENTITY], "Label")
    attribution_labels = values(controls[ATTRIBUTION], "Label")
    if attribution_labels != ATTRIBUTION_LABELS:
        raise BadConfig(f"{config_name}: attribution labels must be {ATTRIBUTION_LABELS}, got {attribution_labels}")
    relations = tuple(r.get("value", "") for r in root.iter("Relation"))
    if tuple(sorted(relations)) != tuple(sorted(RELATIONS)):
        raise BadConfig(f"{config_name}: relations must be {RELATIONS}, got {relations}")
    targets, stance_labels = _taxonomy(controls[STANCE], config_name)
    doc_targets, doc_labels = _taxonomy(controls[DOC_STANCE], config_name)
    if (doc_targets, doc_labels) != (targets, stance_labels):
        raise BadConfig(f"{config_name}: doc_stance must offer the same targets and labels as stance")

    registry = load_registry(registry_path)
    missing = [t for t in targets if t not in registry]
    if missing:
        raise BadConfig(
            f"{_shown(registry_path)}: stance targets {missing} have no registry row",
            "every stance target needs an id row in the registry (kind TOPIC for topics)",
        )
    aliases: dict[str, str] = {}
    for entry in registry.values():
        for alias in (entry.id, entry.name_bn, *entry.aliases):
            key = surface_key(alias)
            if key and aliases.setdefault(key, entry.id) != entry.id:
                raise BadConfig(
                    f"{_shown(registry_path)}: alias {alias!r} names both {aliases[key]!r} and {entry.id!r}",
                    "an alias must identify one entry",
                )
    return Scheme(
        entity_labels=entity_labels,
        attribution_labels=attribution_labels,
        relation_labels=relations,
        attribution_types=values(controls[ATTRIBUTION_TYPE], "Choice"),
        stance_targets=targets,
        stance_labels=stance_labels,
        controls={name: el.tag.lower() for name, el in controls.items()},
        registry=registry,
        aliases=aliases,
    )


def _taxonomy(el: ET.Element, config_name: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    targets, labels = [], None
    for target in el:
        if target.tag != "Choice":
            continue
        children = tuple(c.get("value", "") for c in target if c.tag == "Choice")
        if labels is None:
            labels = children
        elif children != labels:
            raise BadConfig(
                f"{config_name}: taxonomy {el.get('name')!r} target {target.get('value')!r} offers {children}, expected {labels}",
                "every target must list the same stance labels in the same order",
            )
        targets.append(target.get("value", ""))
    if not targets or not labels:
        raise BadConfig(f"{config_name}: taxonomy {el.get('name')!r} needs target choices with stance children")
    return tuple(targets), labels


REGISTRY_COLUMNS = ("id", "kind", "source_type", "name_bn", "aliases")


def load_registry(path: Path) -> dict[str, RegistryEntry]:
    try:
        with path.open(encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
    except FileNotFoundError as e:
        raise BadConfig(f"{_shown(path)}: registry not found", "restore it from git") from e
    except (UnicodeDecodeError, csv.Error) as e:
        raise BadConfig(f"{_shown(path)}: not a UTF-8 CSV file ({e})", "restore it from git") from None
    with path.open(encoding="utf-8", newline="") as f:
        header = next(csv.reader(f), [])
    missing = [c for c in REGISTRY_COLUMNS if c not in header]
    if missing:
        raise BadConfig(f"{_shown(path)}: column(s) {missing} missing from the header",
                        f"the header must hold: {','.join(REGISTRY_COLUMNS)}")  # fmt: skip
    entries: dict[str, RegistryEntry] = {}
    for n, row in enumerate(rows, start=2):
        rid = (row.get("id") or "").strip()
        if not rid or rid in entries:
            raise BadConfig(f"{_shown(path)}: line {n}: empty or duplicate id {rid!r}")
        entries[rid] = RegistryEntry(
            id=rid,
            kind=(row.get("kind") or "").strip(),
            source_type=(row.get("source_type") or "").strip(),
            name_bn=unicodedata.normalize("NFC", (row.get("name_bn") or "").strip()),
            aliases=tuple(a.strip() for a in (row.get("aliases") or "").split("|") if a.strip()),
        )
    return entries
