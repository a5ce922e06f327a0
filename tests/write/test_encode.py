"""builder.write.encode: label strings → ClassLabel indices, counted per label path; an unknown label names its field."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

import pytest

from builder.scheme import load_scheme
from builder.write import encode

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def scheme():
    return load_scheme(REPO / "annotations/labeling_config.xml", REPO / "annotations/registry.csv")


def _encode(scheme, config: str, rows: list[dict]) -> tuple[list[dict], dict[str, Counter]]:
    counts: dict[str, Counter] = defaultdict(Counter)
    return encode.encode_rows(rows, encode.row_encoder(config, scheme), counts), counts


def test_a_list_of_labels_becomes_indices_and_is_counted(scheme) -> None:
    tags = list(scheme.bio_tags)
    rows = [{"ner_tags": [tags[0], tags[1], tags[0]], "tokens": ["a", "b", "c"]}, {"ner_tags": [], "tokens": []}]
    out, counts = _encode(scheme, "ner", rows)
    assert out[0]["ner_tags"] == [0, 1, 0] and out[1]["ner_tags"] == [] and out[0]["tokens"] == ["a", "b", "c"]
    assert counts["ner_tags"] == Counter({tags[0]: 2, tags[1]: 1})
    assert rows[0]["ner_tags"] == [tags[0], tags[1], tags[0]]  # the derived rows are left as they were


def test_a_null_in_a_list_of_labels_stays_null_and_is_not_counted(scheme) -> None:
    tag = scheme.bio_tags[0]
    out, counts = _encode(scheme, "ner", [{"ner_tags": [tag, None, tag]}])
    assert out[0]["ner_tags"] == [0, None, 0] and counts["ner_tags"] == Counter({tag: 2})


def test_an_unknown_label_in_a_list_names_the_field(scheme) -> None:
    with pytest.raises(encode.NotEncodable, match=r"ner_tags: 'B-ALIEN' is not a label of the scheme"):
        _encode(scheme, "ner", [{"ner_tags": [scheme.bio_tags[0], "B-ALIEN"]}])


def test_data_bytes_is_the_same_for_rows_made_in_python_and_read_back_from_parquet(scheme, tmp_path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from builder import schema

    arrow_schema = schema.arrow_schema("ner", scheme)
    tag = scheme.bio_tags[0]
    rows = [{"id": f"d:s{i:04d}", "doc_id": "d", "sentence_index": i, "start": 0, "end": 1, "tokens": ["ক"],
             "token_starts": [0], "ner_tags": [tag]} for i in range(3)]  # fmt: skip
    encoded, _ = _encode(scheme, "ner", rows)
    made = encode.to_batch(encoded, arrow_schema)
    pq.write_table(pa.Table.from_batches([made]), tmp_path / "x.parquet")
    read = pq.read_table(tmp_path / "x.parquet", schema=arrow_schema).combine_chunks().to_batches()[0]
    slots = encode.validity_slots(arrow_schema)
    assert encode.data_bytes(made) == encode.data_bytes(read) == encode.data_bytes(read, slots) > 0
