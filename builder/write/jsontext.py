"""Compact JSON text for the dataset folder's JSONL and the browser's pages: orjson where it can, json's
text (or its error) where orjson refuses, e.g. a lone surrogate. U+2028/9 are escaped, so a reader that
splits lines as Python's str.splitlines does (or a JavaScript string) keeps the text on one line."""

from __future__ import annotations

import json
from typing import Any

import orjson


def compact(data: Any, *, sort_keys: bool = False) -> str:
    """json.dumps(data, ensure_ascii=False, sort_keys=sort_keys, separators=(",", ":")), U+2028/9 escaped."""
    try:  # the same text as json's, five to ten times faster
        text = orjson.dumps(data, option=orjson.OPT_SORT_KEYS if sort_keys else None).decode("utf-8")
    except (orjson.JSONEncodeError, TypeError):
        text = json.dumps(data, ensure_ascii=False, sort_keys=sort_keys, separators=(",", ":"))
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
