"""exports/attributions.jsonl: the `attribution` rows of one split → its lines (builder.write.parts streams them).

One JSON object per attribution (the `attribution` config, splits in order), field names after
PARC 3.0 / PolNeAR (source, cue, content of an attribution relation):
  doc_id            document id (documents config)
  attribution_id    corpus-wide attribution id (`attribution.id`)
  split             split of the document
  outlet            registry id of the publishing outlet
  type              `direct`, `indirect` or `mixed`
  source            {"start", "end", "text"} or null for an unnamed source
  cue               {"start", "end", "text"}
  content           {"start", "end", "text"}
  source_id         registry id of the source, null when unnamed
  source_type       registry category of the source (`unnamed` for an unnamed source)
  parent_id         attribution_id of the enclosing attribution, null at top level
  depth             nesting depth, 0 at top level
  chain             reporting chain of registry ids, outlet first, this source last
Field names are those of the `attribution` Parquet config. Offsets are code points into the document
`text`, end exclusive: text[start:end] == the span's text.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from builder.write.jsontext import compact


def _span(span: dict[str, Any] | None) -> dict[str, Any] | None:
    if span is None:
        return None
    return {"start": span["start"], "end": span["end"], "text": span["text"]}


def attribution_lines(rows: list[dict[str, Any]], split: str) -> str:
    """The lines of exports/attributions.jsonl for `attribution` rows of one split (builder.write.jsontext)."""
    return "".join(compact(record) + "\n" for record in attribution_records(rows, split))


def attribution_records(rows: list[dict[str, Any]], split: str) -> Iterator[dict[str, Any]]:
    """`attribution` rows of one split → the records of exports/attributions.jsonl."""
    for row in rows:
        yield {
            "doc_id": row["doc_id"],
            "attribution_id": row["id"],
            "split": split,
            "outlet": row["outlet"],
            "type": row["type"],
            "source": _span(row["source"]),
            "cue": _span(row["cue"]),
            "content": _span(row["content"]),
            "source_id": row["source_id"],
            "source_type": row["source_type"],
            "parent_id": row["parent_id"],
            "depth": row["depth"],
            "chain": list(row["chain"]),
        }
