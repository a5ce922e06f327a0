"""exports/: CoNLL, spaCy DocBin, attributions JSONL and croissant.json, written by every build."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import copy_inputs, tree_digest

from builder.config import load_config
from builder.release import build
from builder.run import pipeline
from builder.derive import tokens
from builder.write import croissant, exports


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[pipeline.Outcome, Path]:
    root = copy_inputs(tmp_path_factory.mktemp("exports-corpus"))
    cfg = load_config(root)
    outcome = pipeline.check(cfg, keep_rows=True)
    pipeline.require_clean(outcome)
    out = root / "build" / "dataset"
    build.build(cfg, out)
    return outcome, out


def _splits(outcome: pipeline.Outcome, config: str) -> list[str]:
    return [s for s in outcome.splits if outcome.rows[config][s]]


def test_conll_equals_ner_config(built) -> None:
    outcome, out = built
    for split in _splits(outcome, "ner"):
        text = (out / "exports" / "conll" / f"{split}.conll").read_text(encoding="utf-8")
        rows = outcome.rows["ner"][split]
        assert exports.read_conll(text) == [(list(r["tokens"]), list(r["ner_tags"])) for r in rows]
        assert text.count(exports.DOCSTART) == len({r["doc_id"] for r in rows})
        tags = set(outcome.scheme.bio_tags)
        for line in text.splitlines():
            if line and line != exports.DOCSTART:
                _token, pos, chunk, tag = line.split(" ")
                assert (pos, chunk) == ("_", "_") and tag in tags


def test_docbin_entities_equal_documents_outermost(built) -> None:
    from spacy.tokens import DocBin

    from builder.derive import tokens

    outcome, out = built
    for split in _splits(outcome, "documents"):
        docs = [d for path in sorted((out / "exports" / "spacy").glob(f"{split}-*-of-*.spacy"))
                for d in DocBin().from_disk(path).get_docs(tokens.nlp().vocab)]
        rows = outcome.rows["documents"][split]
        assert [d.user_data["doc_id"] for d in docs] == [r["doc_id"] for r in rows]
        for doc, row in zip(docs, rows):
            assert doc.text == row["text"]
            ents = sorted(row["entities"], key=lambda e: (e["start"], -e["end"]))
            outer = [e for e in ents if not any(o is not e and o["start"] <= e["start"] and e["end"] <= o["end"]
                                                and (o["start"], -o["end"]) < (e["start"], -e["end"]) for o in ents)]
            assert [(e.start_char, e.end_char, e.text, e.label_) for e in doc.ents] == [
                (e["start"], e["end"], e["text"], e["label"]) for e in outer
            ]
            sent_tokens = [[t.text for t in s if not t.is_space] for s in doc.sents]
            assert sent_tokens == [list(s.tokens) for s in tokens.sentences(row["text"])]


def test_the_fast_docbin_writes_the_bytes_spacy_writes(built) -> None:
    """exports.new_docbin replaces DocBin.add for speed; the file must be the one spaCy's own add makes."""
    from spacy.tokens import DocBin

    outcome, _ = built
    for split in _splits(outcome, "documents"):
        rows = outcome.rows["documents"][split]
        sentences = exports.sentences_of(outcome.rows["ner"][split])
        ours, theirs = exports.new_docbin(), DocBin(store_user_data=True)
        assert type(ours) is not DocBin
        for row in rows:
            for bin_ in (ours, theirs):
                exports.add_to_docbin(bin_, row, split, sentences.get(row["doc_id"], []))
        assert ours.strings == theirs.strings and ours.user_data == theirs.user_data
        assert ours.to_bytes() == theirs.to_bytes()
    assert exports.new_docbin().to_bytes() == DocBin(store_user_data=True).to_bytes()  # an empty bin too


def _same_parts(ours: tuple, spacys: tuple) -> None:
    import numpy

    assert len(ours) == len(spacys)
    for a, b in zip(ours, spacys):
        if isinstance(b, numpy.ndarray):
            assert (a.dtype, a.shape) == (b.dtype, b.shape) and numpy.array_equal(a, b)
        else:
            assert (type(a), a) == (type(b), b)


def test_docbin_parts_are_what_a_spacy_doc_gives(built) -> None:
    """exports.docbin_parts builds a document's DocBin arrays without a Doc: the same as the Doc's, for the corpus."""
    outcome, _ = built
    for split in _splits(outcome, "documents"):
        sentences = exports.sentences_of(outcome.rows["ner"][split])
        for row in outcome.rows["documents"][split]:
            sents = sentences.get(row["doc_id"], [])
            _same_parts(exports.docbin_parts(row, split, sents), exports.new_docbin().parts_of(exports.docbin_doc(row, split, sents)))


@pytest.mark.parametrize("text", [
    "X ORG PER । ? Apple APPLE 123 কেসিএনএ’র \"quoted\" e-mail:a@b.c",  # symbols' names, norm exceptions, case
    "  leading\n\n\u00a0 trailing  \n",  # whitespace tokens, NBSP
    "এক।দুই",  # a sentence end inside a word-run
    "",  # an empty document
])
def test_docbin_parts_match_spacy_on_words_spacy_treats_specially(text: str) -> None:
    sents = tokens.sentences(text)
    words = [(s, t) for sent in sents for s, t in zip(sent.token_starts, sent.tokens)]
    entities = [{"start": s, "end": s + len(t), "label": label} for (s, t), label in zip(words, ["ORG", "X", "PER"])]
    if len(words) > 5:  # a multi-token entity, one inside it (dropped), one that is not on token bounds (dropped)
        entities += [{"start": words[3][0], "end": words[5][0] + len(words[5][1]), "label": "LOC"},
                     {"start": words[4][0], "end": words[4][0] + len(words[4][1]), "label": "PER"},
                     {"start": words[6][0] + 1, "end": words[6][0] + len(words[6][1]), "label": "ORG"}]
    row = {"doc_id": "d-1", "text": text, "entities": entities}
    _same_parts(exports.docbin_parts(row, "test", sents), exports.new_docbin().parts_of(exports.docbin_doc(row, "test", sents)))


def test_attributions_jsonl_uses_the_parquet_field_names(built) -> None:
    from builder import schema

    _, out = built
    rec = json.loads((out / "exports" / "attributions.jsonl").read_text(encoding="utf-8").splitlines()[0])
    parquet = {f.name for f in schema.fields("attribution")}
    assert {"type", "parent_id", "source", "cue", "content", "depth"} <= set(rec) and set(rec) - {"attribution_id", "split"} <= parquet
    assert set(rec["content"]) == {"start", "end", "text"}


def test_attributions_jsonl_offsets_slice_text(built) -> None:
    outcome, out = built
    texts = {r["doc_id"]: r["text"] for rows in outcome.rows["documents"].values() for r in rows}
    lines = (out / "exports" / "attributions.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == sum(len(r) for r in outcome.rows["attribution"].values()) > 0
    ids = set()
    for line in lines:
        rec = json.loads(line)
        ids.add(rec["attribution_id"])
        text = texts[rec["doc_id"]]
        for part in ("source", "cue", "content"):
            span = rec[part]
            if span is not None:
                assert text[span["start"]:span["end"]] == span["text"]
        assert rec["parent_id"] is None or rec["parent_id"] in {json.loads(x)["attribution_id"] for x in lines}
        assert rec["depth"] == 0 if rec["parent_id"] is None else rec["depth"] > 0
        assert rec["chain"][-1] == (rec["source_id"] or "unnamed")


def test_croissant_validates_offline(built) -> None:
    import mlcroissant as mlc

    outcome, out = built
    meta = json.loads((out / "croissant.json").read_text(encoding="utf-8"))
    assert meta["datePublished"] and meta["citeAs"]
    license = load_config(out.parents[1]).license  # the card's license
    assert meta["license"] == croissant._LICENSES.get(license, license)
    dataset = mlc.Dataset(jsonld=str(out / "croissant.json"))  # raises on validation errors
    issues = dataset.metadata.ctx.issues
    assert not issues.errors and not issues.warnings, issues.report()
    assert {rs["name"] for rs in meta["recordSet"]} == {c for c in outcome.rows if any(outcome.rows[c].values())}
    assert {fs["includes"] for fs in meta["distribution"]} == {f"data/{rs['name']}/*.parquet" for rs in meta["recordSet"]}
    records = list(dataset.records("ner"))
    assert len(records) == sum(len(r) for r in outcome.rows["ner"].values())


def test_two_builds_byte_identical(built, tmp_path: Path) -> None:
    outcome, out = built
    cfg = load_config(out.parents[1])
    again = tmp_path / "dataset"
    build.build(cfg, again)
    first, second = tree_digest(out), tree_digest(again)
    assert {f for f in first if f.startswith("exports/") or f == "croissant.json"} == {
        "croissant.json", "exports/attributions.jsonl",
        *(f"exports/conll/{s}.conll" for s in _splits(outcome, "ner")),
        *(f"exports/spacy/{s}-00000-of-00001.spacy" for s in _splits(outcome, "documents")),
    }
    assert first == second

