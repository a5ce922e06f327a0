"""Schema + build manifest + hand-written prose → the dataset folder's README.md; and its validator.

The YAML front matter is produced by datasets' and huggingface_hub's own serializers. The
prose comes from the repository's dataset_card.md; only the blocks between BUILDER markers
are generated. Nothing in the output depends on the clock.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import datasets
import pyarrow.parquet as pq
import yaml
from datasets.info import DatasetInfosDict
from datasets.utils.metadata import MetadataConfigs

from builder import schema
from builder.errors import BuildError, MissingInput
from builder.release.manifest import Manifest
from builder.scheme import Scheme

BLOCKS = ("FIELDS", "STATS", "PLOTS", "AGREEMENT")
TAGS = ("news", "quotation-attribution", "stance-detection", "bengali")
_SIZE_CATEGORIES = (  # Hub buckets: (exclusive upper bound, name)
    (1_000, "n<1K"),
    (10_000, "1K<n<10K"),
    (100_000, "10K<n<100K"),
    (1_000_000, "100K<n<1M"),
    (10_000_000, "1M<n<10M"),
    (100_000_000, "10M<n<100M"),
    (1_000_000_000, "100M<n<1B"),
)


class BadCardProse(BuildError):
    """dataset_card.md lacks a generated block's markers, or has them twice or out of order."""


@dataclass(frozen=True, slots=True)
class CardInputs:
    """Everything the card needs besides the schema and the manifest."""

    prose_path: Path  # dataset_card.md: hand-written prose with the BUILDER marker blocks
    license: str  # Hub license id, from [tool.builder] license
    pretty_name: str
    input_fingerprints: Mapping[str, str] = field(default_factory=dict)  # repo-relative path -> sha256 (the first ones)
    inputs_total: int = 0  # input files in all (their list: inputs.sha256 in the dataset folder)
    inputs_digest: str = ""  # sha256 of inputs.sha256
    # Settings a reader needs to reproduce the build (split salt and ratios, annotation policy, …).
    settings: Mapping[str, str] = field(default_factory=dict)
    # Problem code -> records dropped for it (non-strict builds); None leaves the section out
    # rather than claiming nothing was dropped.
    problems: Mapping[str, int] | None = None
    # Markdown of the AGREEMENT block (builder.write.plots.agreement_markdown); None: not computed.
    agreement: str | None = None
    # Attributions per source type and split (strings, so not among the ClassLabel counts).
    source_types: Mapping[str, Mapping[str, int]] = field(default_factory=dict)


def marker(block: str, end: bool = False) -> str:
    """The comment line that opens (or closes) a generated block."""
    return f"<!-- BUILDER:{block} {'END' if end else 'START'} -->"


# --- README ---------------------------------------------------------------------------------------


def render_readme(manifest: Manifest, scheme: Scheme, inputs: CardInputs) -> str:
    """The full README.md: generated YAML front matter, then the prose with its blocks filled."""
    try:
        prose = inputs.prose_path.read_text(encoding="utf-8")
    except FileNotFoundError as e:
        raise MissingInput(f"{inputs.prose_path.as_posix()}: card prose not found", "restore dataset_card.md from git") from e
    body = fill_blocks(_strip_front_matter(prose), render_blocks(manifest, scheme, inputs))
    return f"---\n{card_data(manifest, scheme, inputs).to_yaml()}\n---\n\n{body.lstrip()}"


def card_data(manifest: Manifest, scheme: Scheme, inputs: CardInputs) -> Any:
    """huggingface_hub DatasetCardData holding the Hub tags, `configs` and `dataset_info`."""
    from huggingface_hub import DatasetCardData

    data = DatasetCardData(
        annotations_creators=["expert-generated"],
        language_creators=["found"],
        language=["bn"],
        license=inputs.license,
        multilinguality=["monolingual"],
        size_categories=[_size_category(sum(manifest.rows[schema.DEFAULT_CONFIG].values()))],
        source_datasets=["original"],
        task_categories=["token-classification", "text-classification"],
        task_ids=["named-entity-recognition"],
        pretty_name=inputs.pretty_name,
        tags=list(TAGS),
    )
    configs = {
        config: {
            "data_files": [
                {"split": split, "path": f"data/{config}/{split}-*.parquet"} for split in manifest.rows[config]
            ],
            **({"default": True} if config == schema.DEFAULT_CONFIG else {}),
        }
        for config in manifest.configs
    }
    MetadataConfigs(configs).to_dataset_card_data(data)
    infos = {config: _dataset_info(manifest, scheme, config) for config in manifest.configs}
    DatasetInfosDict(infos).to_dataset_card_data(data)
    return data


def _dataset_info(manifest: Manifest, scheme: Scheme, config: str) -> datasets.DatasetInfo:
    splits = datasets.SplitDict()
    for split, rows in manifest.rows[config].items():
        splits.add(datasets.SplitInfo(name=split, num_bytes=manifest.num_bytes[config][split], num_examples=rows))
    return datasets.DatasetInfo(
        config_name=config,
        features=schema.features(config, scheme),
        splits=splits,
        download_size=sum(manifest.file_bytes[f] for files in manifest.data_files[config].values() for f in files),
        dataset_size=sum(manifest.num_bytes[config].values()),
    )


def _size_category(n: int) -> str:
    # Counted in documents, the unit a user of the corpus thinks in; ner has more rows.
    for limit, name in _SIZE_CATEGORIES:
        if n < limit:
            return name
    return "1B<n<10B"  # the corpus will not get here; keeps the function total


def _strip_front_matter(text: str) -> str:
    # The prose file may carry its own (stale) YAML; the generated one replaces it.
    if text.startswith("---\n"):
        end = text.find("\n---\n", 4)
        if end != -1:
            return text[end + 5 :]
    return text


def fill_blocks(text: str, blocks: Mapping[str, str]) -> str:
    """Replace what lies between each block's START and END markers; the markers stay."""
    for name, content in blocks.items():
        start, end = marker(name), marker(name, end=True)
        if text.count(start) != 1 or text.count(end) != 1 or text.index(start) > text.index(end):
            raise BadCardProse(
                f"card prose: expected one '{start}' followed by one '{end}'",
                "restore the marker lines in dataset_card.md; the generated content goes between them",
            )
        head, rest = text.split(start)
        _, tail = rest.split(end)
        text = f"{head}{start}\n{content.strip()}\n{end}{tail}"
    return text


def render_blocks(manifest: Manifest, scheme: Scheme, inputs: CardInputs) -> dict[str, str]:
    """Generated Markdown per block name: field tables, build statistics, figures, agreement."""
    return {
        "FIELDS": _fields_block(manifest, scheme),
        "STATS": _stats_block(manifest, inputs),
        "PLOTS": _plots_block(manifest),
        "AGREEMENT": inputs.agreement or "Inter-annotator agreement was not computed for this build.",
    }


def _plots_block(manifest: Manifest) -> str:
    # The figures are written (builder.write.plots, a release extra) before the card, so they are in manifest.files.
    from builder.write.plots import FIGURES, IMAGES_DIR

    shown = [(f"{IMAGES_DIR}/{name}", caption) for name, caption in FIGURES.items() if f"{IMAGES_DIR}/{name}" in manifest.files]
    if not shown:
        return "No figures in this build."
    return "\n\n".join(f"![{caption}]({path})" for path, caption in shown)


def _fields_block(manifest: Manifest, scheme: Scheme) -> str:
    parts = []
    for config in schema.CONFIGS:
        default = " (default config)" if config == schema.DEFAULT_CONFIG else ""
        missing = "" if config in manifest.configs else "\n\nNot in this build: the config has no rows.\n"
        parts.append(f"#### `{config}`{default}\n\n{schema.field_table(config, scheme)}{missing}")
    return "\n".join(parts)


def _stats_block(manifest: Manifest, inputs: CardInputs) -> str:
    out = ["#### Rows", "", "| config | " + " | ".join(schema.SPLITS) + " | total |", "|---" * (len(schema.SPLITS) + 2) + "|"]
    for config in schema.CONFIGS:
        rows = manifest.rows.get(config, {})
        cells = [str(rows[s]) if s in rows else "—" for s in schema.SPLITS]
        out.append(f"| `{config}` | {' | '.join(cells)} | {sum(rows.values())} |")
    out += ["", *_omitted_lines(manifest)]

    if manifest.outlets:
        out += ["", "#### Documents per outlet", "", "| outlet | documents |", "|---|---|"]
        out += [f"| `{outlet}` | {n} |" for outlet, n in manifest.outlets.items()]

    if inputs.source_types:
        splits = [s for s in schema.SPLITS if s in inputs.source_types]
        kinds = sorted({k for per in inputs.source_types.values() for k in per})
        out += ["", "#### Attributions per source type", "", "| source type | " + " | ".join(splits) + " | total |"]
        out.append("|---" * (len(splits) + 2) + "|")
        for kind in kinds:
            counts = [inputs.source_types[s].get(kind, 0) for s in splits]
            out.append(f"| `{kind}` | {' | '.join(map(str, counts))} | {sum(counts)} |")

    out += ["", "#### Labels", ""]
    out.append("Counts of each ClassLabel value, per split (empty splits left out).")
    for config in manifest.configs:
        splits = list(manifest.rows[config])
        for path, per_split in manifest.labels[config].items():
            out += ["", f"`{config}` · `{path}`", "", "| label | " + " | ".join(splits) + " | total |"]
            out.append("|---" * (len(splits) + 2) + "|")
            for label in next(iter(per_split.values())):
                counts = [per_split[s][label] for s in splits]
                out.append(f"| `{label}` | {' | '.join(map(str, counts))} | {sum(counts)} |")

    out += ["", "#### Build provenance", "", "| | |", "|---|---|"]
    out.append(f"| builder version | `{manifest.builder_version}` |")
    out.append(f"| schema version | `{manifest.schema_version}` |")
    out.append(f"| license | `{inputs.license}` |")
    out += [f"| {_cell(k)} | `{_cell(v)}` |" for k, v in inputs.settings.items()]
    if inputs.inputs_total > len(inputs.input_fingerprints):
        out += ["", f"Inputs: {inputs.inputs_total} files, each with its SHA-256 in `inputs.sha256` "
                f"(SHA-256 of that list: `{inputs.inputs_digest}`)."]
    elif inputs.input_fingerprints:
        out += ["", "Inputs (SHA-256 of each file the build read):", "", "| input | sha256 |", "|---|---|"]
        out += [f"| `{path}` | `{digest}` |" for path, digest in sorted(inputs.input_fingerprints.items(), key=lambda kv: kv[0].split("/"))]
    if inputs.problems is not None:
        out += ["", "Records dropped during the build, by problem code:", ""]
        if inputs.problems:
            out += ["| problem | records |", "|---|---|"]
            out += [f"| `{code}` | {n} |" for code, n in sorted(inputs.problems.items())]
        else:
            out.append("None.")
    return "\n".join(out)


def _omitted_lines(manifest: Manifest) -> list[str]:
    lines = []
    for config in schema.CONFIGS:
        empty = manifest.empty_splits.get(config, schema.SPLITS)
        if config not in manifest.configs:
            lines.append(f"- `{config}`: no rows in any split; the config is left out of this build.")
        elif empty:
            lines.append(f"- `{config}`: {', '.join(empty)} had no rows; no file and no YAML entry for it.")
    if not lines:
        return ["Every config has rows in every split."]
    return ["Splits without rows are omitted (— above):", "", *lines]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


# --- validation -----------------------------------------------------------------------------------


def validate_folder(folder: Path, *, scheme: Scheme | None = None) -> list[str]:
    """Problems with a dataset folder: README features vs Parquet schemas, row counts, configs.

    README features win silently at load time (HF_DATASETS.md §2), so they are compared with
    `Features.from_arrow_schema` of every Parquet file. With a scheme, they are also compared
    with `schema.features`.
    """
    folder = Path(folder)
    try:
        meta = read_front_matter(folder / "README.md")
        configs = MetadataConfigs.from_dataset_card_data(meta)
        infos = DatasetInfosDict.from_dataset_card_data(meta)
    except (OSError, ValueError, yaml.YAMLError) as e:
        return [f"README.md: {e}"]
    problems: list[str] = []
    defaults = [name for name, c in configs.items() if c.get("default")]
    if defaults != [schema.DEFAULT_CONFIG]:
        problems.append(f"configs: expected exactly one default config, {schema.DEFAULT_CONFIG!r}; got {defaults}")
    for name in sorted(set(infos) - set(configs)):
        problems.append(f"dataset_info: config {name!r} has no entry in configs")
    referenced: set[Path] = set()
    for name, config in configs.items():
        problems += _check_config(folder, name, config, infos.get(name), scheme, referenced)
    for path in sorted(folder.glob("**/*.parquet")):
        if path not in referenced:
            problems.append(f"{path.relative_to(folder).as_posix()}: not referenced by any config")
    text = (folder / "README.md").read_text(encoding="utf-8")
    for block in BLOCKS:
        if marker(block) not in text or marker(block, end=True) not in text:
            problems.append(f"README.md: generated block {block} is missing")
    return problems


def read_front_matter(readme: Path) -> dict[str, Any]:
    """The YAML front matter of a README.md as a dict."""
    text = readme.read_text(encoding="utf-8")
    match = re.match(r"---\n(.*?\n)---\n", text, flags=re.DOTALL)
    if not match:
        raise ValueError("no YAML front matter (the file must start with a '---' block)")
    meta = yaml.safe_load(match.group(1))
    if not isinstance(meta, dict):
        raise ValueError("YAML front matter is not a mapping")
    return meta


def _check_config(
    folder: Path,
    name: str,
    config: Mapping[str, Any],
    info: datasets.DatasetInfo | None,
    scheme: Scheme | None,
    referenced: set[Path],
) -> list[str]:
    where = f"config {name!r}"
    if info is None or info.features is None:
        return [f"{where}: no dataset_info features; the loader would guess them from the Parquet files"]
    problems: list[str] = []
    if scheme is not None:
        if name not in schema.CONFIGS:
            return [f"{where}: not a config of builder/schema/fields.py"]
        problems += [f"{where}: README vs builder.schema: {d}" for d in _diff(info.features, schema.features(name, scheme))]
    files_per_split: dict[str, list[Path]] = {}
    for entry in config.get("data_files") or []:
        if not isinstance(entry, dict):
            problems.append(f"{where}: data_files entry {entry!r} has no split")
            continue
        patterns = entry["path"] if isinstance(entry["path"], list) else [entry["path"]]
        files = sorted({p for pattern in patterns for p in folder.glob(pattern)})
        if not files:
            problems.append(f"{where}: split {entry['split']!r}: {patterns} match no file")
        files_per_split.setdefault(entry["split"], []).extend(files)
    expected = dict(info.splits or {})
    for split in sorted(set(expected) - set(files_per_split)):
        problems.append(f"{where}: dataset_info lists split {split!r} but data_files has none")
    download_size = 0
    for split, files in files_per_split.items():
        rows = 0
        for path in files:
            referenced.add(path)
            rel = path.relative_to(folder).as_posix()
            parquet = pq.ParquetFile(path)
            rows += parquet.metadata.num_rows
            download_size += path.stat().st_size
            actual = datasets.Features.from_arrow_schema(parquet.schema_arrow)
            problems += [f"{rel}: README vs Parquet: {d}" for d in _diff(info.features, actual)]
        if split not in expected:
            problems.append(f"{where}: split {split!r} has files but no dataset_info entry")
        elif expected[split].num_examples != rows:
            problems.append(
                f"{where}: split {split!r}: README num_examples {expected[split].num_examples}, Parquet has {rows} rows"
            )
    if info.download_size is not None and info.download_size != download_size:
        problems.append(f"{where}: README download_size {info.download_size}, files total {download_size} bytes")
    return problems


def _diff(readme: Any, actual: Any, path: str = "") -> list[str]:
    """Where two feature trees differ, as readable lines (README side first)."""
    if isinstance(readme, dict) and isinstance(actual, dict):
        lines = []
        only_readme, only_actual = sorted(set(readme) - set(actual)), sorted(set(actual) - set(readme))
        if only_readme or only_actual:
            lines.append(f"{path or 'top level'}: fields only in README {only_readme}, only in the other {only_actual}")
        for key in readme:
            if key in actual:
                lines += _diff(readme[key], actual[key], f"{path}.{key}" if path else key)
        return lines
    if isinstance(readme, datasets.List) and isinstance(actual, datasets.List) and readme.length == actual.length:
        return _diff(readme.feature, actual.feature, f"{path}[]")
    if readme != actual:
        return [f"{path}: README {readme!r} != {actual!r}"]
    return []
