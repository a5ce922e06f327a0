"""Hash split: deterministic, stable under growth, explicit override, proportions."""

from __future__ import annotations

import hashlib
from collections import Counter

import pytest

from builder.derive.split import assign_split, split_order
from builder.errors import BadConfig

SALT = "bn-news-v1"
RATIOS = {"train": 80, "validation": 10, "test": 10}


def test_deterministic_and_pinned() -> None:
    ids = [f"doc-{i}" for i in range(200)]
    first = [assign_split(d, salt=SALT, ratios=RATIOS) for d in ids]
    assert first == [assign_split(d, salt=SALT, ratios=RATIOS) for d in ids]
    # Pinned by hand so a silent change of the hashing scheme fails here.
    point = int.from_bytes(hashlib.sha256((SALT + "doc-0").encode()).digest()[:8], "big") % 100
    expected = "train" if point < 80 else "validation" if point < 90 else "test"
    assert first[0] == expected


def test_independent_of_ratio_key_order() -> None:
    shuffled = {"test": 10, "train": 80, "validation": 10}
    for i in range(500):
        assert assign_split(f"d{i}", salt=SALT, ratios=shuffled) == assign_split(f"d{i}", salt=SALT, ratios=RATIOS)


def test_salt_changes_assignment() -> None:
    ids = [f"d{i}" for i in range(500)]
    a = [assign_split(d, salt="a", ratios=RATIOS) for d in ids]
    b = [assign_split(d, salt="b", ratios=RATIOS) for d in ids]
    assert a != b


def test_explicit_split_wins() -> None:
    for i in range(100):
        assert assign_split(f"d{i}", salt=SALT, ratios=RATIOS, explicit="test") == "test"
    assert assign_split("d0", salt=SALT, ratios=RATIOS, explicit=None) == assign_split("d0", salt=SALT, ratios=RATIOS)


def test_adding_documents_never_moves_existing_ones() -> None:
    old = {f"old-{i}": assign_split(f"old-{i}", salt=SALT, ratios=RATIOS) for i in range(1000)}
    corpus = [*old, *(f"new-{i}" for i in range(5000))]
    new = {d: assign_split(d, salt=SALT, ratios=RATIOS) for d in reversed(corpus)}
    assert all(new[d] == s for d, s in old.items())


def test_proportions_over_10k_ids() -> None:
    n = 10_000
    counts = Counter(assign_split(f"bn-{i:05d}", salt=SALT, ratios=RATIOS) for i in range(n))
    assert set(counts) == {"train", "validation", "test"}
    # ±4 standard deviations of a binomial around each target share.
    for name, share in (("train", 0.8), ("validation", 0.1), ("test", 0.1)):
        sd = (n * share * (1 - share)) ** 0.5
        assert abs(counts[name] - n * share) < 4 * sd, counts


def test_arbitrary_ratio_sum_and_zero_weight() -> None:
    ratios = {"train": 3, "validation": 0, "test": 1}
    counts = Counter(assign_split(f"x{i}", salt=SALT, ratios=ratios) for i in range(4000))
    assert counts["validation"] == 0
    assert 2800 < counts["train"] < 3200


def test_extra_splits_come_after_the_canonical_ones_sorted() -> None:
    assert split_order({"zeta": 1, "test": 1, "alpha": 1, "train": 1}) == ["train", "test", "alpha", "zeta"]


@pytest.mark.parametrize("ratios", [{}, {"train": 0}, {"train": -1, "test": 2}, {"train": 0.5, "test": 1}])
def test_unusable_ratios_are_a_config_error(ratios: dict) -> None:
    with pytest.raises(BadConfig):
        assign_split("d", salt=SALT, ratios=ratios)
