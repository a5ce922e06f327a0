"""The REAL inputs of this repository: check passes, the built folder loads with exact Features,
every span slices to its text, ids are unique, builds are byte-identical, inputs stay untouched."""

from __future__ import annotations

import hashlib
from pathlib import Path

import datasets
import pytest
from conftest import REPO, tree_digest

from builder import schema
from builder.config import load_config
from builder.release import build
from builder.run import pipeline
from builder.run.pipeline import CONFIGS


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pipeline.Outcome]:
    cfg = load_config(REPO)
    outcome = pipeline.check(cfg, keep_rows=True)
    out = tmp_path_factory.mktemp("build") / "dataset"
    build.build(cfg, out)
    return out, outcome


@pytest.fixture(scope="module")
def loaded(built, tmp_path_factory: pytest.TempPathFactory) -> dict[str, datasets.DatasetDict]:
    folder, _ = built
    cache = tmp_path_factory.mktemp("hf-cache")
    return {c: datasets.load_dataset(str(folder), c, cache_dir=str(cache)) for c in CONFIGS}


def test_real_corpus_has_no_problems(built) -> None:
    _, outcome = built
    assert [p.render() for p in outcome.problems] == []
    assert outcome.annotated == 2 and sorted({r["doc_id"] for rs in outcome.rows["documents"].values() for r in rs}) == [
        "000_ba2a176cc4aaac8d", "003_def7398b55f8b37b"]


@pytest.mark.parametrize("config", CONFIGS)
def test_load_dataset_gives_exact_features(loaded, built, config: str) -> None:
    _, outcome = built
    expected = schema.features(config, outcome.scheme)
    for split, ds in loaded[config].items():
        assert ds.features == expected, f"{config}/{split}"
        assert ds.num_rows > 0


def test_default_config_is_documents(built) -> None:
    folder, _ = built
    assert datasets.load_dataset_builder(str(folder)).config.name == "documents"


def _spans(doc: dict):
    for e in doc["entities"]:
        yield e
    for a in doc["attributions"]:
        yield from (s for s in (a["source"], a["cue"], a["content"]) if s is not None)


def test_every_span_slices_to_its_text(loaded) -> None:
    n = 0
    for ds in loaded["documents"].values():
        for doc in ds:
            for s in _spans(doc):
                assert doc["text"][s["start"]:s["end"]] == s["text"], (doc["doc_id"], s)
                n += 1
    texts = {d["doc_id"]: d["text"] for ds in loaded["documents"].values() for d in ds}
    for ds in loaded["attribution"].values():
        for row in ds:
            for key in ("source", "cue", "content"):
                s = row[key]
                if s is not None:
                    assert texts[row["doc_id"]][s["start"]:s["end"]] == s["text"]
    for ds in loaded["ner"].values():
        for row in ds:
            text = texts[row["doc_id"]]
            for tok, start in zip(row["tokens"], row["token_starts"]):
                assert text[start:start + len(tok)] == tok
    assert n > 100


@pytest.mark.parametrize("config", CONFIGS)
def test_ids_unique_across_splits(loaded, config: str) -> None:
    key = "doc_id" if config in ("documents", "raw") else "id"
    ids = [row[key] for ds in loaded[config].values() for row in ds]
    assert len(ids) == len(set(ids))


def test_documents_never_share_splits(loaded) -> None:
    seen: dict[str, str] = {}
    for config in CONFIGS:
        for split, ds in loaded[config].items():
            for doc_id in ds["doc_id"]:
                assert seen.setdefault(doc_id, split) == split, f"{doc_id} is in {seen[doc_id]} and {split}"


def test_attribution_sources_and_stance_holders(loaded) -> None:
    rows = [r for ds in loaded["attribution"].values() for r in ds]
    sources = {r["source_id"] for r in rows}
    must = {"KCNA", "AFP", "Kremlin", "Kim Jong Un", "Vladimir Putin", "Yang Moo-jin"}
    assert must <= sources
    assert all(r["content"]["text"] for r in rows)
    holders = {r["holder_id"] for ds in loaded["stance"].values() for r in ds}
    assert must <= holders
    assert None in sources  # the unnamed "ধারণা করা হচ্ছে"


def test_nested_attribution_chain(loaded) -> None:
    rows = [r for ds in loaded["attribution"].values() for r in ds]
    nested = [r for r in rows if r["depth"] > 0]
    assert nested, "the KCNA → Putin praise is nested"
    assert ["BSS", "AFP", "KCNA", "Vladimir Putin"] in [r["chain"] for r in nested]
    ids = {r["id"] for r in rows}
    assert all(r["parent_id"] in ids for r in nested)


def test_published_at_is_aware_dhaka_time(loaded) -> None:
    docs = {d["doc_id"]: d for ds in loaded["documents"].values() for d in ds}
    bss = docs["000_ba2a176cc4aaac8d"]["published_at"]
    amar = docs["003_def7398b55f8b37b"]["published_at"]
    assert bss.utcoffset().total_seconds() == 6 * 3600
    assert (bss.isoformat(), amar.isoformat()) == ("2025-08-13T13:21:00+06:00", "2022-08-15T13:42:00+06:00")


def test_two_builds_are_byte_identical(built, tmp_path: Path) -> None:
    folder, _ = built
    again = tmp_path / "again"
    cfg = load_config(REPO)
    build.build(cfg, again)
    assert tree_digest(again) == tree_digest(folder)


def test_check_and_build_leave_inputs_unchanged(tmp_path: Path) -> None:
    before = {name: tree_digest(REPO / name) for name in ("raw", "annotations", "text")}
    cfg = load_config(REPO)
    build.build(cfg, tmp_path / "ds")
    assert {name: tree_digest(REPO / name) for name in ("raw", "annotations", "text")} == before


def test_raw_config_traces_every_paragraph_to_the_capture(loaded) -> None:
    docs = {d["doc_id"]: d for ds in loaded["documents"].values() for d in ds}
    rows = [r for ds in loaded["raw"].values() for r in ds]
    assert {r["doc_id"] for r in rows} == set(docs)
    for row in rows:
        raw = (REPO / "raw" / row["capture_file"]).read_bytes()
        assert hashlib.sha256(raw).hexdigest() == row["raw_sha256"] and len(raw) == row["raw_bytes"]
        text = docs[row["doc_id"]]["text"]
        assert row["text_sha256"] == docs[row["doc_id"]]["text_sha256"] and row["annotated"]
        paragraphs = [p for p in text.split("\n\n") if p]
        assert len(row["map"]) == len(paragraphs)
        for entry in row["map"]:
            piece = text[entry["start"]:entry["end"]]
            source = raw[entry["raw_start"]:entry["raw_end"]].decode("utf-8")
            assert " ".join(piece.split()) in " ".join(source.split())


def test_page_credits_suggest_the_annotated_provenance(loaded) -> None:
    raw = {r["doc_id"]: r for ds in loaded["raw"].values() for r in ds}
    docs = {d["doc_id"]: d for ds in loaded["documents"].values() for d in ds}
    assert raw["000_ba2a176cc4aaac8d"]["agencies"] == ["বাসস", "বার্তা সংস্থা এএফপি"]
    assert raw["003_def7398b55f8b37b"]["agencies"] == ["বিবিসি"]
    for doc_id, row in raw.items():
        suggested = row["provenance_suggested"]
        assert docs[doc_id]["provenance"][: len(suggested)] == suggested
