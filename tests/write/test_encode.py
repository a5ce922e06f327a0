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
