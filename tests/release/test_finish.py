"""builder.write.shards: a synthetic four-config dataset loads with exactly the schema's Features, reproducibly."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # before datasets is imported anywhere in this process

import datasets
import pyarrow.parquet as pq
import pytest

from builder import schema
from builder.release.card import CardInputs, read_front_matter
from builder.release.finish import InvalidRow, write_dataset
from builder.scheme import Scheme, load_scheme
from builder.write import table
from builder.write.outfolder import MARKER, UnsafeOutput

ROOT = Path(__file__).resolve().parents[2]
DHAKA = ZoneInfo("Asia/Dhaka")
TEXT = "রাশিয়ার প্রেসিডেন্ট ভ্লাদিমির পুতিন বলেছেন, ‘উত্তর কোরিয়ার সঙ্গে সহযোগিতা বাড়বে।’ কিম জং উন চিঠি পাঠিয়েছেন।"


@pytest.fixture(scope="module")
def scheme() -> Scheme:
    return load_scheme(ROOT / "annotations" / "labeling_config.xml", ROOT / "annotations" / "registry.csv")


@pytest.fixture
def offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep the datasets cache in tmp_path and the Hub unreachable; returns the cache folder."""
    cache = tmp_path / "hf-cache"
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_CACHE", str(cache))
    # datasets reads both at import time, so the module attributes must follow the environment.
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", cache)
    return cache


def card_inputs() -> CardInputs:
    return CardInputs(
        prose_path=ROOT / "dataset_card.md",
        license="cc-by-nc-4.0",
        pretty_name="Bengali news attribution (test)",
        input_fingerprints={"annotations/registry.csv": "ab" * 32},
        settings={"split salt": "test"},
        problems={},
    )


def span(part: str) -> dict:
    start = TEXT.index(part)
    return {"start": start, "end": start + len(part), "text": part}


def document(doc_id: str, outlet: str, published: datetime | None) -> dict:
    putin, kim = span("ভ্লাদিমির পুতিন"), span("কিম জং উন")
    return {
        "doc_id": doc_id,
        "outlet": outlet,
        "url": None if outlet == "BSS" else f"https://example.org/{doc_id}",
        "capture_kind": "text",
        "title": "পুতিনের চিঠি",
        "published_at": published,
        "updated_at": None,
        "authors": ["আন্তর্জাতিক ডেস্ক"] if outlet != "BSS" else [],
        "canonical_url": None,
        "language": "bn",
        "agencies": ["বাসস"] if outlet == "BSS" else [],
        "byline": "আন্তর্জাতিক ডেস্ক",
        "dateline": None,
        "credit": None,
        "source_line": "বিবিসি" if outlet != "BSS" else None,
        "provenance": [outlet, "AFP", "KCNA"],
        "text": TEXT,
        "text_sha256": hashlib.sha256(TEXT.encode()).hexdigest(),
        "entities": [
            {"id": f"{doc_id}:e1", **span("রাশিয়ার"), "label": "GPE", "entity_id": "Russia"},
            {"id": f"{doc_id}:e2", **putin, "label": "PER", "entity_id": "Vladimir Putin"},
            {"id": f"{doc_id}:e3", **kim, "label": "PER", "entity_id": "Kim Jong Un"},
        ],
        "attributions": [
            {
                "id": f"{doc_id}:a1",
                "type": "direct",
                "source": putin,
                "source_id": "Vladimir Putin",
                "source_type": "government",
                "cue": span("বলেছেন"),
                "content": span("‘উত্তর কোরিয়ার সঙ্গে সহযোগিতা বাড়বে।’"),
                "parent_id": None,
                "depth": 0,
            }
        ],
        "stances": [
            {"holder_id": "Vladimir Putin", "target": "North Korea", "label": "FAVOR", "attribution_id": f"{doc_id}:a1"},
            {"holder_id": outlet, "target": "Russia", "label": "NONE", "attribution_id": None},
        ],
        "gold_policy": "ground_truth",
        "annotation_ids": [100 + int(doc_id[-1])],
        "annotators": ["annotator-0000000001"],
    }


def ner_row(doc_id: str, i: int) -> dict:
    words = TEXT.split(" ")[:4]
    starts = [TEXT.index(w) for w in words]
    return {
        "id": f"{doc_id}:s{i:04d}",
        "doc_id": doc_id,
        "sentence_index": i,
        "start": 0,
        "end": starts[-1] + len(words[-1]),
        "tokens": words,
        "token_starts": starts,
        "ner_tags": ["B-GPE", "O", "B-PER", "I-PER"],
    }


def attribution_row(doc_id: str) -> dict:
    a = document(doc_id, "BSS", None)["attributions"][0]
    return {"doc_id": doc_id, "outlet": "BSS", **a, "chain": ["BSS", "AFP", "Vladimir Putin"]}


def stance_row(doc_id: str) -> dict:
    return {
        "id": f"{doc_id}:stance:statement:Vladimir Putin:North Korea",
        "doc_id": doc_id,
        "level": "statement",
        "holder_id": "Vladimir Putin",
        "holder_type": "government",
        "target": "North Korea",
        "target_bn": "উত্তর কোরিয়া",
        "text": "‘উত্তর কোরিয়ার সঙ্গে সহযোগিতা বাড়বে।’",
        "label": "FAVOR",
        "attribution_id": f"{doc_id}:a1",
    }


def synthetic() -> dict[str, dict[str, list[dict]]]:
    """Train has two documents, test one, validation none (so it must be omitted)."""
    train_docs = [document("doc1", "BSS", datetime(2025, 8, 13, 13, 21, tzinfo=DHAKA)), document("doc2", "Amar Sangbad", None)]
    test_docs = [document("doc3", "Amar Sangbad", datetime(2022, 8, 15, 13, 42, tzinfo=DHAKA))]
    return {
        "documents": {"train": train_docs, "validation": [], "test": test_docs},
        "ner": {"train": [ner_row("doc1", 0), ner_row("doc1", 1), ner_row("doc2", 0)], "validation": [], "test": [ner_row("doc3", 0)]},
        "attribution": {"train": [attribution_row("doc1"), attribution_row("doc2")], "test": [attribution_row("doc3")]},
        "stance": {"train": [stance_row("doc1")], "test": [stance_row("doc3")]},
        "annotations": {
            "train": [annotation_row(d) for d in train_docs],
            "test": [annotation_row(d) for d in test_docs],
        },
        "raw": {"train": [raw_row(d) for d in train_docs], "test": [raw_row(d) for d in test_docs]},
    }


def raw_row(doc: dict) -> dict:
    meta = ("title", "published_at", "updated_at", "authors", "canonical_url", "language", "agencies")
    return {
        "doc_id": doc["doc_id"], "outlet": doc["outlet"], "url": doc["url"], "capture_kind": "text",
        "capture_file": f"captures/{doc['doc_id']}.txt", "captured_at": None, "rights": "test",
        "content_type": "text/plain; charset=utf-8", "raw_sha256": "1" * 64, "raw_bytes": 3000,
        **{k: doc[k] for k in meta}, "provenance_suggested": [doc["outlet"]], "text_sha256": doc["text_sha256"], "annotated": True,
        "map": [{"start": 0, "end": 5, "raw_start": 0, "raw_end": 15}],
    }


def annotation_row(doc: dict) -> dict:
    return {
        "id": f"{doc['doc_id']}:annotation-1", "doc_id": doc["doc_id"], "annotation_id": 1,
        "annotator": "annotator-0000000001", "annotated_at": None, "lead_time": None,
        "ground_truth": True, "in_gold": True,
        "entities": doc["entities"], "attributions": doc["attributions"], "stances": doc["stances"],
        "provenance": doc["provenance"],
    }


def tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_every_config_loads_with_exact_features(tmp_path: Path, offline: Path, scheme: Scheme) -> None:
    folder = tmp_path / "dataset"
    # What README's own `load_dataset("build/dataset")` leaves in a user's cache must not matter here.
    (Path.home() / ".cache" / "huggingface" / "datasets" / folder.name).mkdir(parents=True, exist_ok=True)
    manifest = write_dataset(folder, synthetic(), scheme, card=card_inputs())
    for config in schema.CONFIGS:
        loaded = datasets.load_dataset(str(folder), config, cache_dir=str(offline))
        assert list(loaded) == ["train", "test"]
        for split, ds in loaded.items():
            assert ds.features == schema.features(config, scheme), (config, split)
            assert ds.num_rows == manifest.rows[config][split] == len(synthetic()[config][split])
    default = datasets.load_dataset(str(folder), cache_dir=str(offline))
    assert default["train"].features == schema.features("documents", scheme)
    assert any(offline.iterdir()), "load_dataset must cache into the test's own folder"


def test_values_round_trip(tmp_path: Path, offline: Path, scheme: Scheme) -> None:
    folder = tmp_path / "dataset"
    write_dataset(folder, synthetic(), scheme, card=card_inputs())
    docs = datasets.load_dataset(str(folder), "documents", cache_dir=str(offline))["train"]
    first, second = docs[0], docs[1]
    published = first["published_at"]
    assert published.tzinfo is not None
    assert published == datetime(2025, 8, 13, 13, 21, tzinfo=DHAKA)
    assert published.utcoffset().total_seconds() == 6 * 3600
    assert second["published_at"] is None
    assert first["annotation_ids"] == [100 + int(first["doc_id"][-1])]
    label = docs.features["entities"].feature["label"]
    assert [label.int2str(e["label"]) for e in first["entities"]] == ["GPE", "PER", "PER"]
    assert first["attributions"][0]["source"]["text"] == "ভ্লাদিমির পুতিন"
    assert first["stances"][1]["attribution_id"] is None
    e = first["entities"][1]
    assert first["text"][e["start"] : e["end"]] == e["text"]
    ner = datasets.load_dataset(str(folder), "ner", cache_dir=str(offline))["train"]
    assert ner.features["ner_tags"].feature.int2str(ner[0]["ner_tags"]) == ["B-GPE", "O", "B-PER", "I-PER"]


def test_two_builds_are_byte_identical(tmp_path: Path, scheme: Scheme) -> None:
    a, b = tmp_path / "a" / "dataset", tmp_path / "b" / "dataset"
    manifest_a = write_dataset(a, synthetic(), scheme, card=card_inputs())
    manifest_b = write_dataset(b, synthetic(), scheme, card=card_inputs())
    assert tree(a) == tree(b)
    assert manifest_a == manifest_b
    files = tree(a)
    marker = json.loads((a / MARKER).read_text(encoding="utf-8"))
    assert marker["files"] == sorted(f for f in files if f != MARKER), "the marker lists every file the build wrote"
    assert manifest_a.sha256 == {k: v for k, v in files.items() if k != MARKER}
    write_dataset(a, synthetic(), scheme, card=card_inputs())  # rebuilding in place changes nothing either
    assert tree(a) == tree(b)


def test_parquet_files_carry_no_build_specific_metadata(tmp_path: Path, scheme: Scheme) -> None:
    folder = tmp_path / "dataset"
    manifest = write_dataset(folder, synthetic(), scheme, card=card_inputs())
    for (rel,) in manifest.data_files["documents"].values():
        meta = pq.read_metadata(folder / rel)
        assert set(meta.metadata) == {b"huggingface", b"ARROW:schema"}
        assert meta.created_by.startswith("parquet-cpp-arrow")
        assert meta.row_group(0).column(0).compression == "ZSTD"
        assert pq.read_schema(folder / rel).remove_metadata() == schema.features("documents", scheme).arrow_schema.remove_metadata()


def test_batches_stream_into_row_groups(tmp_path: Path, scheme: Scheme, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(table, "BATCH_ROWS", 2)
    rows = synthetic()
    rows["ner"]["train"] = iter([ner_row("doc1", i) for i in range(5)])  # a generator, read once
    manifest = write_dataset(tmp_path / "dataset", rows, scheme, card=card_inputs())
    meta = pq.read_metadata(tmp_path / "dataset" / manifest.data_files["ner"]["train"][0])
    assert (meta.num_rows, meta.num_row_groups) == (5, 3)
    assert manifest.rows["ner"]["train"] == 5
    assert manifest.labels["ner"]["ner_tags"]["train"]["B-PER"] == 5


def test_counts_in_manifest(tmp_path: Path, scheme: Scheme) -> None:
    manifest = write_dataset(tmp_path / "dataset", synthetic(), scheme, card=card_inputs())
    assert manifest.rows["documents"] == {"train": 2, "test": 1}
    assert manifest.empty_splits["documents"] == ("validation",)
    assert manifest.outlets == {"Amar Sangbad": 2, "BSS": 1}
    assert list(manifest.labels["documents"]["entities[].label"]["train"]) == list(scheme.entity_labels)
    assert manifest.labels["documents"]["entities[].label"]["train"]["PER"] == 4
    assert manifest.labels["documents"]["stances[].label"]["test"] == {"FAVOR": 1, "AGAINST": 0, "NONE": 1}
    assert "README.md" in manifest.files and all(len(h) == 64 for h in manifest.sha256.values())


def test_empty_split_is_omitted_and_mentioned(tmp_path: Path, scheme: Scheme) -> None:
    folder = tmp_path / "dataset"
    write_dataset(folder, synthetic(), scheme, card=card_inputs())
    assert sorted(p.name for p in (folder / "data" / "documents").iterdir()) == [
        "test-00000-of-00001.parquet",
        "train-00000-of-00001.parquet",
    ]
    meta = read_front_matter(folder / "README.md")
    for entry in meta["configs"]:
        assert [f["split"] for f in entry["data_files"]] == ["train", "test"]
    for info in meta["dataset_info"]:
        assert [s["name"] for s in info["splits"]] == ["train", "test"]
    readme = (folder / "README.md").read_text(encoding="utf-8")
    assert "`documents`: validation had no rows" in readme


def test_config_without_rows_is_left_out(tmp_path: Path, offline: Path, scheme: Scheme) -> None:
    rows = synthetic()
    rows["stance"] = {"train": [], "test": []}
    folder = tmp_path / "dataset"
    manifest = write_dataset(folder, rows, scheme, card=card_inputs())
    assert manifest.configs == ("documents", "ner", "attribution", "annotations", "raw")
    assert not (folder / "data" / "stance").exists()
    meta = read_front_matter(folder / "README.md")
    assert [c["config_name"] for c in meta["configs"]] == ["annotations", "attribution", "documents", "ner", "raw"]
    assert "`stance`: no rows in any split" in (folder / "README.md").read_text(encoding="utf-8")
    assert datasets.load_dataset(str(folder), "ner", cache_dir=str(offline))["train"].num_rows == 3


def test_failure_mid_write_keeps_previous_folder(tmp_path: Path, scheme: Scheme) -> None:
    folder = tmp_path / "out" / "dataset"
    write_dataset(folder, synthetic(), scheme, card=card_inputs())
    before = tree(folder)

    def exploding() -> Iterator[dict]:
        yield ner_row("doc1", 0)
        yield ner_row("doc1", 1)
        raise RuntimeError("derive stage crashed")

    rows = synthetic()
    rows["ner"]["train"] = exploding()
    with pytest.raises(RuntimeError, match="derive stage crashed"):
        write_dataset(folder, rows, scheme, card=card_inputs())
    assert [p.name for p in folder.parent.iterdir()] == ["dataset"]
    assert tree(folder) == before


def test_invalid_row_is_refused_with_its_location(tmp_path: Path, scheme: Scheme) -> None:
    rows = synthetic()
    rows["documents"]["test"][0]["entities"][1]["label"] = "PERSON"
    with pytest.raises(InvalidRow, match=r"documents/test row 0 \(doc_id=doc3\): at /entities/1/label: 'PERSON' is not one of"):
        write_dataset(tmp_path / "dataset", rows, scheme, card=card_inputs())
    assert list(tmp_path.iterdir()) == []


def test_naive_datetime_is_refused(tmp_path: Path, scheme: Scheme) -> None:
    rows = synthetic()
    rows["documents"]["train"][0]["published_at"] = datetime(2025, 8, 13, 13, 21)  # would be read as UTC
    with pytest.raises(InvalidRow, match="/published_at"):
        write_dataset(tmp_path / "dataset", rows, scheme, card=card_inputs())


def test_refuses_to_replace_a_folder_that_is_not_a_build(tmp_path: Path, scheme: Scheme) -> None:
    (tmp_path / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(UnsafeOutput):
        write_dataset(tmp_path, synthetic(), scheme, card=card_inputs())
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_unknown_split_or_config_is_a_bug(tmp_path: Path, scheme: Scheme) -> None:
    with pytest.raises(ValueError, match="unknown split"):
        write_dataset(tmp_path / "d", {"documents": {"dev": []}}, scheme, card=card_inputs())
    with pytest.raises(ValueError, match="unknown config"):
        write_dataset(tmp_path / "d", {"sentiment": {}}, scheme, card=card_inputs())
