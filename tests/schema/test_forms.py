"""builder.schema: Features per config survive YAML; the JSON Schema accepts good rows and rejects bad ones."""

from __future__ import annotations

import copy
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import datasets
import jsonschema
import pytest
import yaml
from datasets.info import DatasetInfosDict
from huggingface_hub import DatasetCardData

from builder import schema
from builder.scheme import Scheme, load_scheme

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def scheme() -> Scheme:
    return load_scheme(ROOT / "annotations" / "labeling_config.xml", ROOT / "annotations" / "registry.csv")


def span(text: str, part: str) -> dict:
    start = text.index(part)
    return {"start": start, "end": start + len(part), "text": part}


TEXT = "রাশিয়ার প্রেসিডেন্ট ভ্লাদিমির পুতিন বলেছেন, ‘সহযোগিতা বাড়বে।’"


def good_rows() -> dict[str, dict]:
    """One valid row per config, as the deriving stage produces them."""
    putin, cue, content = span(TEXT, "ভ্লাদিমির পুতিন"), span(TEXT, "বলেছেন"), span(TEXT, "‘সহযোগিতা বাড়বে।’")
    rows = {
        "documents": {
            "doc_id": "d1",
            "outlet": "BSS",
            "url": None,
            "capture_kind": "text",
            "title": "শিরোনাম",
            "published_at": datetime(2025, 8, 13, 13, 21, tzinfo=ZoneInfo("Asia/Dhaka")),
            "updated_at": None,
            "authors": [],
            "canonical_url": None,
            "language": "bn",
            "agencies": ["বাসস", "এএফপি"],
            "byline": None,
            "dateline": None,
            "credit": None,
            "source_line": None,
            "provenance": ["BSS", "AFP", "KCNA"],
            "text": TEXT,
            "text_sha256": "0" * 64,
            "entities": [{"id": "d1:e1", **putin, "label": "PER", "entity_id": "Vladimir Putin"}],
            "attributions": [
                {
                    "id": "d1:a1",
                    "type": "direct",
                    "source": putin,
                    "source_id": "Vladimir Putin",
                    "source_type": "government",
                    "cue": cue,
                    "content": content,
                    "parent_id": None,
                    "depth": 0,
                }
            ],
            "stances": [{"holder_id": "Vladimir Putin", "target": "North Korea", "label": "FAVOR", "attribution_id": "d1:a1"}],
            "gold_policy": "majority",
            "annotation_ids": [7, 8],
            "annotators": ["annotator-0000000001", "annotator-0000000002"],
        },
        "ner": {
            "id": "d1:s0000",
            "doc_id": "d1",
            "sentence_index": 0,
            "start": 0,
            "end": 8,
            "tokens": ["রাশিয়ার"],
            "token_starts": [0],
            "ner_tags": ["B-GPE"],
        },
        "attribution": {
            "id": "d1:a1",
            "doc_id": "d1",
            "outlet": "BSS",
            "type": "indirect",
            "source": None,
            "source_id": None,
            "source_type": "unnamed",
            "cue": cue,
            "content": content,
            "parent_id": None,
            "depth": 0,
            "chain": ["BSS", "unnamed"],
        },
        "stance": {
            "id": "d1:stance:document:BSS:Russia",
            "doc_id": "d1",
            "level": "document",
            "holder_id": "BSS",
            "holder_type": "outlet",
            "target": "Russia",
            "target_bn": "রাশিয়া",
            "text": TEXT,
            "label": "NONE",
            "attribution_id": None,
        },
    }
    rows["annotations"] = annotation_row(rows["documents"])
    rows["raw"] = raw_row(rows["documents"])
    return rows


def raw_row(doc: dict) -> dict:
    """The capture behind a documents row, with its provenance map."""
    meta = ("title", "published_at", "updated_at", "authors", "canonical_url", "language", "agencies")
    return {
        "doc_id": doc["doc_id"], "outlet": doc["outlet"], "url": None, "capture_kind": "html",
        "capture_file": "html/d1.html", "captured_at": "2025-08-13", "rights": "test page",
        "content_type": "text/html; charset=utf-8", "raw_sha256": "0" * 64, "raw_bytes": 5000,
        **{k: doc[k] for k in meta}, "provenance_suggested": ["BSS", "AFP"], "text_sha256": doc["text_sha256"], "annotated": True,
        "map": [{"start": 0, "end": 10, "raw_start": 120, "raw_end": 180}],
    }


def annotation_row(doc: dict) -> dict:
    """A per-annotator row: the gold layers of the documents row plus who made them."""
    return {
        "id": "d1:annotation-7", "doc_id": "d1", "annotation_id": 7, "annotator": "annotator-0000000001",
        "annotated_at": datetime(2025, 9, 1, 8, 0, tzinfo=timezone.utc), "lead_time": 12.5,
        "ground_truth": False, "in_gold": True,
        "entities": doc["entities"], "attributions": doc["attributions"], "stances": doc["stances"],
        "provenance": ["BSS"],
    }


@pytest.mark.parametrize("config", schema.CONFIGS)
def test_features_round_trip_through_readme_yaml(config: str, scheme: Scheme) -> None:
    features = schema.features(config, scheme)
    card = DatasetCardData()
    DatasetInfosDict({config: datasets.DatasetInfo(config_name=config, features=features)}).to_dataset_card_data(card)
    parsed = yaml.safe_load(card.to_yaml())
    assert DatasetInfosDict.from_dataset_card_data(parsed)[config].features == features
    assert datasets.Features.from_arrow_schema(features.arrow_schema) == features


def test_configs_and_field_order() -> None:
    assert schema.CONFIGS == ("documents", "ner", "attribution", "stance", "annotations", "raw")
    assert schema.DEFAULT_CONFIG == "documents"
    assert [f.name for f in schema.fields("ner")] == [
        "id", "doc_id", "sentence_index", "start", "end", "tokens", "token_starts", "ner_tags"
    ]
    assert [f.name for f in schema.fields("documents")][-3:] == ["gold_policy", "annotation_ids", "annotators"]
    assert [f.name for f in schema.fields("annotations")][:8] == [
        "id", "doc_id", "annotation_id", "annotator", "annotated_at", "lead_time", "ground_truth", "in_gold"
    ]
    assert all(f.description.strip() for config in schema.CONFIGS for f in schema.fields(config))


def test_features_types(scheme: Scheme) -> None:
    docs = schema.features("documents", scheme)
    entities = docs["entities"]
    assert type(entities) is datasets.List and isinstance(entities.feature, dict)  # list of structs, not Sequence
    assert entities.feature["label"].names == list(scheme.entity_labels)
    assert entities.feature["start"] == datasets.Value("int32")
    assert docs["attributions"].feature["type"].names == list(scheme.attribution_types)
    assert docs["attributions"].feature["cue"] == {"start": datasets.Value("int32"), "end": datasets.Value("int32"), "text": datasets.Value("string")}
    assert docs["stances"].feature["label"].names == list(scheme.stance_labels)
    assert docs["published_at"] == datasets.Value("timestamp[us, tz=Asia/Dhaka]")
    assert docs["annotation_ids"] == datasets.List(datasets.Value("int64"))
    anns = schema.features("annotations", scheme)
    assert anns["annotated_at"] == datasets.Value("timestamp[us, tz=UTC]")
    assert anns["in_gold"] == datasets.Value("bool")
    assert anns["entities"] == docs["entities"]
    ner = schema.features("ner", scheme)
    assert ner["ner_tags"].feature.names == list(scheme.bio_tags)
    assert ner["token_starts"] == datasets.List(datasets.Value("int32"))
    assert schema.label_fields("documents") == {
        "entities[].label": "entity_labels",
        "attributions[].type": "attribution_types",
        "stances[].label": "stance_labels",
    }


def test_unknown_config_is_refused(scheme: Scheme) -> None:
    with pytest.raises(ValueError, match="unknown config"):
        schema.features("sentiment", scheme)


@pytest.mark.parametrize("config", schema.CONFIGS)
def test_json_schema_accepts_good_row(config: str, scheme: Scheme) -> None:
    js = schema.json_schema(config, scheme)
    jsonschema.Draft202012Validator.check_schema(js)
    jsonschema.Draft202012Validator(js).validate(schema.to_jsonable(good_rows()[config]))


def _errors(config: str, scheme: Scheme, row: dict) -> list[str]:
    validator = jsonschema.Draft202012Validator(schema.json_schema(config, scheme))
    return [e.message for e in validator.iter_errors(schema.to_jsonable(row))]


BAD = {
    "wrong label": ("documents", lambda r: r["entities"][0].update(label="PERSON"), "'PERSON' is not one of"),
    "wrong BIO tag": ("ner", lambda r: r["ner_tags"].__setitem__(0, "B-MISC"), "'B-MISC' is not one of"),
    "wrong stance label": ("stance", lambda r: r.update(label="favor"), "'favor' is not one of"),
    "missing field": ("attribution", lambda r: r.pop("chain"), "'chain' is a required property"),
    "missing nested field": ("documents", lambda r: r["attributions"][0]["cue"].pop("end"), "'end' is a required property"),
    "extra field": ("stance", lambda r: r.update(confidence=0.9), "Additional properties are not allowed"),
    "extra nested field": ("documents", lambda r: r["entities"][0].update(kind="x"), "Additional properties are not allowed"),
    "null in non-nullable": ("documents", lambda r: r.update(text=None), "None is not of type 'string'"),
    "negative offset": ("ner", lambda r: r["token_starts"].__setitem__(0, -1), "less than the minimum"),
    "naive timestamp": ("documents", lambda r: r.update(published_at=datetime(2025, 8, 13, 13, 21)), "does not match"),
    "bad capture kind": ("documents", lambda r: r.update(capture_kind="pdf"), "'pdf' is not one of"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_json_schema_rejects(case: str, scheme: Scheme) -> None:
    config, breaks, message = BAD[case]
    row = copy.deepcopy(good_rows()[config])
    breaks(row)
    errors = _errors(config, scheme, row)
    assert any(message in e for e in errors), errors


def test_nullable_fields_take_null(scheme: Scheme) -> None:
    row = good_rows()["documents"]
    row.update(published_at=None, url=None)
    row["attributions"][0].update(source=None, source_id=None)
    row["entities"][0]["entity_id"] = None
    assert _errors("documents", scheme, row) == []


def test_field_table_lists_every_field(scheme: Scheme) -> None:
    table = schema.field_table("documents", scheme)
    for path in ("`doc_id`", "`entities[].label`", "`attributions[].source`", "`stances[].attribution_id`", "`gold_policy`"):
        assert path in table
    assert "ClassLabel(PER, ORG, GPE, LOC, NORP, EVENT)" in table
    assert "`span` = struct{start: int32, end: int32, text: string}" in table
    for config in schema.CONFIGS:
        table = schema.field_table(config, scheme)
        assert all(f"`{f.name}`" in table for f in schema.fields(config))


@pytest.mark.parametrize("config", schema.CONFIGS)
def test_the_workers_arrow_schema_is_the_one_datasets_makes(config: str, scheme: Scheme) -> None:
    """The map's workers build Arrow schemas without datasets; a Parquet file they write must carry exactly
    the schema and `huggingface` metadata that `load_dataset` reads as the config's Features."""
    ours, theirs = schema.arrow_schema(config, scheme), schema.features(config, scheme).arrow_schema
    assert ours.equals(theirs, check_metadata=True)
    assert ours.metadata == theirs.metadata
    assert datasets.Features.from_arrow_schema(ours) == schema.features(config, scheme)
