"""builder.release.card: README YAML parses, has one default config, and validate_folder catches tampering."""

from __future__ import annotations

import os
import re
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # before datasets is imported anywhere in this process

import datasets
import pytest
import yaml

from builder import schema
from builder.release import card
from builder.release.card import BadCardProse, CardInputs, read_front_matter, validate_folder
from builder.release.finish import write_dataset
from builder.scheme import Scheme, load_scheme

ROOT = Path(__file__).resolve().parents[2]
TEXT = "পুতিন বলেছেন, ‘সহযোগিতা বাড়বে।’"


@pytest.fixture(scope="module")
def scheme() -> Scheme:
    return load_scheme(ROOT / "annotations" / "labeling_config.xml", ROOT / "annotations" / "registry.csv")


def _span(part: str) -> dict:
    start = TEXT.index(part)
    return {"start": start, "end": start + len(part), "text": part}


def _rows(doc_id: str) -> dict[str, dict]:
    attribution = {
        "id": f"{doc_id}:a1",
        "type": "indirect",
        "source": _span("পুতিন"),
        "source_id": "Vladimir Putin",
        "source_type": "government",
        "cue": _span("বলেছেন"),
        "content": _span("‘সহযোগিতা বাড়বে।’"),
        "parent_id": None,
        "depth": 0,
    }
    return {
        "documents": {
            "doc_id": doc_id, "outlet": "BSS", "url": None, "capture_kind": "text", "title": None,
            "published_at": None, "updated_at": None, "authors": [], "canonical_url": None, "language": None, "agencies": [], "byline": None, "dateline": None, "credit": None, "source_line": None,
            "provenance": ["BSS"], "text": TEXT, "text_sha256": "0" * 64,
            "entities": [{"id": f"{doc_id}:e1", **_span("পুতিন"), "label": "PER", "entity_id": "Vladimir Putin"}],
            "attributions": [attribution],
            "stances": [],
            "gold_policy": "single", "annotation_ids": [1], "annotators": ["annotator-0000000001"],
        },
        "ner": {
            "id": f"{doc_id}:s0000", "doc_id": doc_id, "sentence_index": 0, "start": 0, "end": 5,
            "tokens": ["পুতিন"], "token_starts": [0], "ner_tags": ["B-PER"],
        },
        "attribution": {"doc_id": doc_id, "outlet": "BSS", **attribution, "chain": ["BSS", "Vladimir Putin"]},
    }


@pytest.fixture
def folder(tmp_path: Path, scheme: Scheme) -> Path:
    """A built dataset: two train documents, one test document, no stance rows."""
    docs = {"train": ["d1", "d2"], "test": ["d3"]}
    configs = {
        config: {split: [_rows(d)[config] for d in ids] for split, ids in docs.items()}
        for config in ("documents", "ner", "attribution")
    }
    inputs = CardInputs(prose_path=ROOT / "dataset_card.md", license="cc-by-nc-4.0", pretty_name="Test corpus")
    out = tmp_path / "dataset"
    write_dataset(out, configs, scheme, card=inputs)
    return out


def _rewrite_front_matter(folder: Path, meta: dict) -> None:
    readme = folder / "README.md"
    text = readme.read_text(encoding="utf-8")
    body = text.split("\n---\n", 1)[1]
    readme.write_text(f"---\n{yaml.safe_dump(meta, sort_keys=False, allow_unicode=True)}---\n{body}", encoding="utf-8")


def _info(meta: dict, config: str) -> dict:
    return next(i for i in meta["dataset_info"] if i["config_name"] == config)


def test_yaml_parses_with_one_default_config(folder: Path) -> None:
    meta = read_front_matter(folder / "README.md")
    defaults = [c["config_name"] for c in meta["configs"] if c.get("default")]
    assert defaults == ["documents"]
    assert sorted(c["config_name"] for c in meta["configs"]) == ["attribution", "documents", "ner"]
    assert meta["language"] == ["bn"] and meta["license"] == "cc-by-nc-4.0"
    assert meta["task_categories"] == ["token-classification", "text-classification"]
    assert meta["task_ids"] == ["named-entity-recognition"]
    assert meta["tags"] == ["news", "quotation-attribution", "stance-detection", "bengali"]
    assert meta["size_categories"] == ["n<1K"]
    assert meta["annotations_creators"] == ["expert-generated"] and meta["source_datasets"] == ["original"]
    docs = _info(meta, "documents")
    assert [(s["name"], s["num_examples"]) for s in docs["splits"]] == [("train", 2), ("test", 1)]
    assert docs["dataset_size"] == sum(s["num_bytes"] for s in docs["splits"])


def test_readme_features_are_the_schema_features(folder: Path, scheme: Scheme, tmp_path: Path) -> None:
    for config in ("documents", "ner", "attribution"):
        builder = datasets.load_dataset_builder(str(folder), config, cache_dir=str(tmp_path / "hf-cache"))
        assert builder.info.features == schema.features(config, scheme)


def test_readme_body_has_prose_and_generated_blocks(folder: Path) -> None:
    text = (folder / "README.md").read_text(encoding="utf-8")
    body = text.split("\n---\n", 1)[1]
    assert body.lstrip().startswith("# Dataset Card for")
    assert "(generated when the dataset is built)" not in body
    for config in schema.CONFIGS:
        assert f"#### `{config}`" in body
    assert "`stance`: no rows in any split" in body
    assert "| builder version | `0.1.0` |" in body
    assert "Records dropped" not in body  # problems=None: no claim either way
    assert not re.search(r"/(work|home|tmp)/", text)  # no machine paths leak into the card


def test_validate_folder_accepts_a_fresh_build(folder: Path, scheme: Scheme) -> None:
    assert validate_folder(folder) == []
    assert validate_folder(folder, scheme=scheme) == []


def test_validate_folder_finds_tampered_num_examples(folder: Path) -> None:
    meta = read_front_matter(folder / "README.md")
    _info(meta, "documents")["splits"][0]["num_examples"] = 3
    _rewrite_front_matter(folder, meta)
    problems = validate_folder(folder)
    assert problems == ["config 'documents': split 'train': README num_examples 3, Parquet has 2 rows"]


def test_validate_folder_finds_tampered_class_label(folder: Path, scheme: Scheme) -> None:
    meta = read_front_matter(folder / "README.md")
    entities = next(f for f in _info(meta, "documents")["features"] if f["name"] == "entities")
    label = next(f for f in entities["list"] if f["name"] == "label")
    label["dtype"]["class_label"]["names"]["0"] = "PERSON"
    _rewrite_front_matter(folder, meta)
    problems = validate_folder(folder, scheme=scheme)
    assert any(p.startswith("config 'documents': README vs builder.schema: entities[].label:") for p in problems), problems
    parquet = [p for p in problems if p.startswith("data/documents/")]
    assert len(parquet) == 2 and all("entities[].label: README ClassLabel(names=['PERSON'" in p for p in parquet)


def test_validate_folder_finds_structural_problems(folder: Path) -> None:
    meta = read_front_matter(folder / "README.md")
    for c in meta["configs"]:
        c["default"] = True
    _rewrite_front_matter(folder, meta)
    (folder / "data" / "stance").mkdir()
    (folder / "data" / "ner" / "train-00000-of-00001.parquet").rename(folder / "data" / "stance" / "x.parquet")
    problems = validate_folder(folder)
    assert any(p.startswith("configs: expected exactly one default config") for p in problems)
    assert "config 'ner': split 'train': ['data/ner/train-*.parquet'] match no file" in problems
    assert "data/stance/x.parquet: not referenced by any config" in problems


def test_validate_folder_reports_unreadable_readme(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# no front matter\n", encoding="utf-8")
    assert validate_folder(tmp_path) == ["README.md: no YAML front matter (the file must start with a '---' block)"]


def test_fill_blocks_replaces_between_markers_and_is_idempotent() -> None:
    prose = f"intro\n{card.marker('FIELDS')}\nold\n{card.marker('FIELDS', end=True)}\noutro\n"
    once = card.fill_blocks(prose, {"FIELDS": "new table"})
    assert once == f"intro\n{card.marker('FIELDS')}\nnew table\n{card.marker('FIELDS', end=True)}\noutro\n"
    assert card.fill_blocks(once, {"FIELDS": "new table"}) == once


@pytest.mark.parametrize(
    "prose",
    ["no markers at all", "<!-- BUILDER:FIELDS END -->\n<!-- BUILDER:FIELDS START -->", "<!-- BUILDER:FIELDS START -->\n" * 2],
)
def test_fill_blocks_refuses_broken_markers(prose: str) -> None:
    with pytest.raises(BadCardProse):
        card.fill_blocks(prose, {"FIELDS": "x"})


def test_repository_prose_has_every_block() -> None:
    prose = (ROOT / "dataset_card.md").read_text(encoding="utf-8")
    for block in card.BLOCKS:
        assert prose.count(card.marker(block)) == 1 and prose.count(card.marker(block, end=True)) == 1
