"""A static, self-contained corpus browser: `browser/` in the dataset folder.

`browser/index.html` lists the pages; `browser/page-<shard>-NNNNN.html` each show up to PAGE_DOCS documents
(and never more than PAGE_BYTES), with inline CSS and JS and their data embedded as JSON, so they open offline
from file:// and are byte-identical across builds (doc_id order, no timestamps). A page shows each
document with its entities, attributions (SOURCE, CUE, CONTENT; click a CONTENT to see its source and
cue), nesting and reporting chains, and stance badges; outlets and entity labels can be filtered.

The map packs each shard's documents (`doc_record` lines) into that shard's pages (`PageWriter`, in
builder.write.parts), so pages are cached with their shard; the reduce only moves them into place and writes
the index and `pages.js`, the list of page files from which each page draws its previous and next links
(`place_pages`). No page and no step holds the corpus.
"""

from __future__ import annotations

import html
import os
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from builder.write.jsontext import compact

INDEX = Path("browser") / "index.html"
PAGES_JS = Path("browser") / "pages.js"  # the page files in order, for each page's previous/next links
PAGE_LIST = "pages.tsv"  # in a part's browser/ folder: first doc_id, last doc_id, documents, per page
TITLE = "Corpus browser"
PAGE_DOCS = 200  # documents per page at most
PAGE_BYTES = 2_000_000  # and a page stays below this many bytes (a longer document gets a page of its own)

# One colour per entity label, by position in the scheme; wraps round for longer schemes.
_PALETTE = ("#ffd6a5", "#caffbf", "#9bf6ff", "#bdb2ff", "#ffc6ff", "#fdffb6", "#a0c4ff", "#ffadad", "#d0f4de", "#e4c1f9")




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
    return compact(data, sort_keys=True).replace("<", "\\u003c")


def record_line(record: dict[str, Any]) -> str:
    """A document's line for its shard's PageWriter: doc_id, outlet and the page JSON, tab-separated, so the
    pages are packed without parsing the documents again."""
    return f"{record['doc_id']}\t{record['outlet']}\t{json_line(record)}\n"


def _page(lines: list[str], outlets: list[str], scheme: Any, title: str) -> str:
    labels = list(scheme.entity_labels)
    colours = {lab: _PALETTE[i % len(_PALETTE)] for i, lab in enumerate(labels)}
    # prev/next come from pages.js (written with the index), so a page does not depend on its neighbours
    nav = {"index": INDEX.name, "pages": PAGES_JS.name}
    head = {"labels": labels, "colours": colours, "stance_labels": list(scheme.stance_labels), "outlets": outlets, "nav": nav}
    # the documents are already script-safe JSON lines: spliced in as they are, not parsed and dumped again
    blob = json_line(head)[:-1] + ',"documents":[' + ",".join(lines) + "]}"
    label_css = "\n".join(f".ent-{lab} {{ background: {colour}; }}" for lab, colour in colours.items())
    return (
        _template("page").replace("@@TITLE@@", html.escape(title))
        .replace("@@LABEL_CSS@@", label_css)
        .replace("@@DATA@@", blob)
    )


class PageWriter:
    """One shard's pages: `record_line`s (doc_id order) packed into `folder/NNNNN.html` as they come, at most
    PAGE_DOCS documents and PAGE_BYTES each; `folder/pages.tsv` lists them (first, last doc_id, documents)."""

    def __init__(self, folder: Path, scheme: Any, title: str = TITLE) -> None:
        self.folder, self.scheme, self.title = Path(folder), scheme, title
        self.pending: list[tuple[str, str, str]] = []  # (doc_id, outlet, JSON)
        self.size = 0
        self.pages: list[tuple[str, str, int]] = []
        self.limit = PAGE_BYTES - _overhead()

    def add(self, line: str) -> None:
        doc_id, outlet, blob = line.rstrip("\n").split("\t", 2)
        cost = len(blob.encode("utf-8")) + 1
        if self.pending and (len(self.pending) >= PAGE_DOCS or self.size + cost > self.limit):
            self._flush()
        self.pending.append((doc_id, outlet, blob))
        self.size += cost

    def _flush(self) -> None:
        first, last = self.pending[0][0], self.pending[-1][0]
        outlets = sorted({outlet for _, outlet, _ in self.pending})
        text = _page([blob for _, _, blob in self.pending], outlets, self.scheme, f"{self.title} — {first} … {last}")
        self.folder.mkdir(parents=True, exist_ok=True)
        # one encode, one write: half the time of a text-mode write
        (self.folder / f"{len(self.pages) + 1:05d}.html").write_bytes(text.encode("utf-8"))
        self.pages.append((first, last, len(self.pending)))
        self.pending, self.size = [], 0

    def close(self) -> None:
        if self.pending:
            self._flush()
        if self.pages:
            lines = "".join(f"{first}\t{last}\t{n}\n" for first, last, n in self.pages)
            (self.folder / PAGE_LIST).write_text(lines, encoding="utf-8", newline="\n")


def page_path(shard: str, number: int) -> Path:
    """Page `number` (from 1) of the shard whose part folder is named `shard`."""
    return Path("browser") / f"page-{shard}-{number:05d}.html"


FIRST_PAGE = page_path("00000", 1)  # the first shard's part folder is 00000


def place_pages(root: Path, parts: Sequence[Path], title: str = TITLE) -> list[Path]:
    """Every part's pages (rank order) moved to root/browser/, then the index and the page list the pages'
    navigation reads; returns the files written, the index first."""
    out = Path(root) / "browser"
    out.mkdir(parents=True, exist_ok=True)
    pages: list[dict[str, Any]] = []
    written: list[Path] = []
    for part in parts:
        listing = part / "browser" / PAGE_LIST
        if not listing.is_file():
            continue
        for number, line in enumerate(listing.read_text(encoding="utf-8").splitlines(), 1):
            first, last, n = line.split("\t")
            path = Path(root) / page_path(part.name, number)
            os.replace(part / "browser" / f"{number:05d}.html", path)
            written.append(path)
            pages.append({"file": path.name, "first": first, "last": last, "documents": int(n)})
    (Path(root) / PAGES_JS).write_text(f"var PAGES = {json_line([p['file'] for p in pages])};\n", encoding="utf-8", newline="\n")
    index = Path(root) / INDEX
    index.write_text(_index(pages, title), encoding="utf-8", newline="\n")
    return [index, Path(root) / PAGES_JS, *written]


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
