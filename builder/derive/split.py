"""doc_id (+ salt, ratios, optional explicit split) → dataset split name.

The hash split depends on nothing but the salt, the doc_id and the ratios, so adding documents never
moves existing ones. Changing the salt or the ratios does move them: treat both as part of the release.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_right
from collections.abc import Mapping
from itertools import accumulate

from builder.errors import BadConfig

CANONICAL_ORDER = ("train", "validation", "test")


def split_order(ratios: Mapping[str, int]) -> list[str]:
    """Split names in bucket order: train, validation, test, then any others sorted."""
    known = [name for name in CANONICAL_ORDER if name in ratios]
    return known + sorted(name for name in ratios if name not in CANONICAL_ORDER)


def assign_split(doc_id: str, *, salt: str, ratios: Mapping[str, int], explicit: str | None = None) -> str:
    """The explicit split if given, else the bucket that sha256(salt + doc_id) falls into."""
    if explicit:
        return explicit
    order = split_order(ratios)
    weights = [ratios[name] for name in order]
    if any(not isinstance(w, int) or isinstance(w, bool) or w < 0 for w in weights) or sum(weights) <= 0:
        raise BadConfig(
            f"split ratios must be non-negative integers with a positive sum, got {dict(ratios)}",
            "fix split_ratios under [tool.builder] in pyproject.toml",
        )
    digest = hashlib.sha256((salt + doc_id).encode("utf-8")).digest()
    # 64 bits mod a small total: the modulo bias (about total / 2**64) is negligible.
    point = int.from_bytes(digest[:8], "big") % sum(weights)
    return order[bisect_right(list(accumulate(weights)), point)]  # zero-weight splits get nothing
