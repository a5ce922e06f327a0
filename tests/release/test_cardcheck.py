"""Offline validation of the dataset card's YAML against the Hub's vocabularies."""

from __future__ import annotations

import pytest
from conftest import REPO

from builder.config import load_config
from builder.release import build
from builder.release.card import read_front_matter
from builder.release.cardcheck import check_front_matter


@pytest.fixture(scope="module")
def meta(tmp_path_factory: pytest.TempPathFactory) -> dict:
    cfg = load_config(REPO)
    out = tmp_path_factory.mktemp("card") / "ds"
    build.build(cfg, out)
    return read_front_matter(out / "README.md")


def test_built_card_passes(meta: dict) -> None:
    assert check_front_matter(meta) == []


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("language", ["bangla"], "language: 'bangla'"),
        ("license", "cc-by", "license: 'cc-by'"),
        ("size_categories", ["10k"], "size_categories: '10k'"),
        ("task_categories", ["ner"], "task_categories: 'ner'"),
        ("annotations_creators", ["experts"], "annotations_creators: 'experts'"),
        ("license", "other", "license: 'other' needs"),
    ],
)
def test_bad_tags_are_named(meta: dict, key: str, value, expected: str) -> None:
    problems = check_front_matter({**meta, key: value})
    assert any(p.startswith(expected) for p in problems), problems


def test_two_default_configs_are_refused(meta: dict) -> None:
    configs = [dict(c, default=True) for c in meta["configs"]]
    assert any("exactly one default" in p for p in check_front_matter({**meta, "configs": configs}))


def test_config_without_features_is_refused(meta: dict) -> None:
    infos = [i for i in meta["dataset_info"] if i["config_name"] != "ner"]
    assert any("'ner' has no features" in p for p in check_front_matter({**meta, "dataset_info": infos}))
