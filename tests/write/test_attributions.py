"""builder.write.attributions: the lines of exports/attributions.jsonl."""

from __future__ import annotations

import json

from builder.write import attributions


def test_attribution_lines_are_json_compact_text_even_where_orjson_refuses() -> None:
    span = {"start": 0, "end": 3, "text": "বলেন\n\t\"x\"\u2028"}
    row = {"doc_id": "d-1", "id": "a-1", "outlet": "bss", "type": "direct", "source": span, "cue": None, "content": span,
           "source_id": None, "source_type": "unknown", "parent_id": None, "depth": 0, "chain": ["a", "b"]}
    lonely = {**row, "id": "a-2", "content": {**span, "text": "\ud800"}}  # a lone surrogate: orjson refuses it
    lines = attributions.attribution_lines([row, lonely], "train").splitlines(keepends=True)  # splits at U+2028 too
    expected = [json.dumps(r, ensure_ascii=False, separators=(",", ":")).replace("\u2028", "\\u2028") + "\n"
                for r in attributions.attribution_records([row, lonely], "train")]
    assert lines == expected and len(lines) == 2
    assert json.loads(lines[0])["content"]["text"] == span["text"] and json.loads(lines[1])["content"]["text"] == "\ud800"
