"""A static, self-contained corpus browser: `browser/` in the dataset folder.

`browser/index.html` lists the pages; `browser/page-NNNNN.html` each show up to PAGE_DOCS documents (and
never more than PAGE_BYTES), with inline CSS and JS and their data embedded as JSON, so they open offline
from file:// and are byte-identical across builds (doc_id order, no timestamps). A page shows each
document with its entities, attributions (SOURCE, CUE, CONTENT; click a CONTENT to see its source and
cue), nesting and reporting chains, and stance badges; outlets and entity labels can be filtered.

The map writes one JSON line per document (`doc_record`, in builder.write.parts); `write_browser` packs those
lines into pages as it reads them, so no page and no step holds the corpus.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from datetime import datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

INDEX = Path("browser") / "index.html"
PAGE_DOCS = 200  # documents per page at most
PAGE_BYTES = 2_000_000  # and a page stays below this many bytes (a longer document gets a page of its own)

# One colour per entity label, by position in the scheme; wraps round for longer schemes.
_PALETTE = ("#ffd6a5", "#caffbf", "#9bf6ff", "#bdb2ff", "#ffc6ff", "#fdffb6", "#a0c4ff", "#ffadad", "#d0f4de", "#e4c1f9")


def page_path(number: int) -> Path:
    return Path("browser") / f"page-{number:05d}.html"


PAGE = page_path(1)  # the first page


def _span(s: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if s is None else {"start": s["start"], "end": s["end"], "text": s["text"]}


def doc_record(row: dict[str, Any], split: str, attribution_rows: list[dict[str, Any]], scheme: Any) -> dict[str, Any]:
    """One `documents` row (with its document's `attribution` rows, for the chains) as the page shows it."""
    chains = {a["id"]: list(a["chain"]) for a in attribution_rows}
    published = row["published_at"]
    stances = [
        {
            "holder_id": s["holder_id"],
            "target": s["target"],
            "target_bn": scheme.registry[s["target"]].name_bn if s["target"] in scheme.registry else "",
            "label": s["label"],
            "attribution_id": s["attribution_id"],
        }
        for s in row["stances"]
    ]
    return {
        "doc_id": row["doc_id"],
        "split": split,
        "outlet": row["outlet"],
        "title": row["title"],
        "published_at": published.isoformat() if isinstance(published, datetime) else published,
        "byline": row["byline"],
        "provenance": list(row["provenance"]),
        "text": row["text"],
        "entities": sorted(
            ({k: e[k] for k in ("id", "start", "end", "text", "label", "entity_id")} for e in row["entities"]),
            key=lambda e: (e["start"], -e["end"], e["id"]),
        ),
        "attributions": sorted(
            (
                {
                    "id": a["id"],
                    "type": a["type"],
                    "source": _span(a["source"]),
                    "source_id": a["source_id"],
                    "source_type": a["source_type"],
                    "cue": _span(a["cue"]),
                    "content": _span(a["content"]),
                    "parent_id": a["parent_id"],
                    "depth": a["depth"],
                    "chain": chains.get(a["id"], []),
                }
                for a in row["attributions"]
            ),
            key=lambda a: (a["content"]["start"], -a["content"]["end"], a["id"]),
        ),
        "stances": sorted(stances, key=lambda s: (s["attribution_id"] or "", s["target"], s["holder_id"])),
    }


def json_line(data: Any) -> str:
    """JSON safe inside <script>: no `<` at all (so no `</script>` or `<!--`), no raw U+2028/9."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def record_line(record: dict[str, Any]) -> str:
    """A document's line in a part's browser.jsonl: doc_id, outlet and the page JSON, tab-separated, so the
    reduce pages documents without parsing them again."""
    return f"{record['doc_id']}\t{record['outlet']}\t{json_line(record)}\n"


def _page(lines: list[str], outlets: list[str], number: int, last: bool, scheme: Any, title: str) -> str:
    labels = list(scheme.entity_labels)
    colours = {lab: _PALETTE[i % len(_PALETTE)] for i, lab in enumerate(labels)}
    nav = {"page": number, "index": "index.html",
           "prev": page_path(number - 1).name if number > 1 else None,
           "next": None if last else page_path(number + 1).name}  # fmt: skip
    head = {"labels": labels, "colours": colours, "stance_labels": list(scheme.stance_labels), "outlets": outlets, "nav": nav}
    # the documents are already script-safe JSON lines: spliced in as they are, not parsed and dumped again
    blob = json_line(head)[:-1] + ',"documents":[' + ",".join(lines) + "]}"
    label_css = "\n".join(f".ent-{lab} {{ background: {colour}; }}" for lab, colour in colours.items())
    return (
        _template("page").replace("@@TITLE@@", html.escape(f"{title} — page {number}"))
        .replace("@@LABEL_CSS@@", label_css)
        .replace("@@DATA@@", blob)
    )


def write_browser(folder: Path, lines: Iterable[str], scheme: Any, title: str = "Corpus browser") -> list[Path]:
    """Pack `record_line`s (doc_id order) into pages plus an index; returns the files written."""
    out = Path(folder) / "browser"
    out.mkdir(parents=True, exist_ok=True)
    pages: list[dict[str, Any]] = []  # per page: file, first and last doc_id, documents
    pending: list[tuple[str, str, str]] = []  # (doc_id, outlet, JSON)
    size = 0
    written: list[Path] = []

    def flush(last: bool) -> None:
        nonlocal pending, size
        number = len(pages) + 1
        outlets = sorted({outlet for _, outlet, _ in pending})
        text = _page([blob for _, _, blob in pending], outlets, number, last, scheme, title)
        path = Path(folder) / page_path(number)
        path.write_bytes(text.encode("utf-8"))  # one encode, one write: half the time of a text-mode write
        written.append(path)
        pages.append({"file": path.name, "first": pending[0][0], "last": pending[-1][0], "documents": len(pending)})
        pending, size = [], 0

    limit = PAGE_BYTES - _overhead()
    for line in lines:
        doc_id, outlet, blob = line.rstrip("\n").split("\t", 2)
        cost = len(blob.encode("utf-8")) + 1
        if pending and (len(pending) >= PAGE_DOCS or size + cost > limit):
            flush(last=False)  # this line goes on the next page, so the page flushed has a next
        pending.append((doc_id, outlet, blob))
        size += cost
    if pending:
        flush(last=True)
    index = Path(folder) / INDEX
    index.write_text(_index(pages, title), encoding="utf-8", newline="\n")
    return [index, *written]


def _index(pages: list[dict[str, Any]], title: str) -> str:
    rows = "\n".join(
        f'<tr><td><a href="{html.escape(p["file"])}">{i}</a></td><td>{html.escape(p["first"])}</td>'
        f'<td>{html.escape(p["last"])}</td><td>{p["documents"]}</td></tr>'
        for i, p in enumerate(pages, 1)
    )
    total = sum(p["documents"] for p in pages)
    return _template("index").replace("@@TITLE@@", html.escape(title)).replace("@@ROWS@@", rows).replace("@@TOTAL@@", f"{total} document(s) on {len(pages)} page(s)")


@cache
def _template(name: str) -> str:
    """builder/templates/browser_<name>.html after the shared head (package data, read once)."""
    folder = resources.files("builder.write").joinpath("templates")
    return folder.joinpath("browser_head.html").read_text("utf-8") + folder.joinpath(f"browser_{name}.html").read_text("utf-8")


def _overhead() -> int:
    return len(_template("page").encode("utf-8")) + 16_384  # the page around the documents, with room for the header data
