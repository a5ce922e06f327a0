"""A static, self-contained corpus browser: `browser/` in the dataset folder.

`browser/index.html` lists the pages; `browser/page-NNNNN.html` each show up to PAGE_DOCS documents (and
never more than PAGE_BYTES), with inline CSS and JS and their data embedded as JSON, so they open offline
from file:// and are byte-identical across builds (doc_id order, no timestamps). A page shows each
document with its entities, attributions (SOURCE, CUE, CONTENT; click a CONTENT to see its source and
cue), nesting and reporting chains, and stance badges; outlets and entity labels can be filtered.

The map writes one JSON line per document (`doc_record`, in builder.parts); `write_browser` packs those
lines into pages as it reads them, so no page and no step holds the corpus.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from datetime import datetime
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
        _TEMPLATE.replace("@@TITLE@@", html.escape(f"{title} — page {number}"))
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
        path.write_text(text, encoding="utf-8", newline="\n")
        written.append(path)
        pages.append({"file": path.name, "first": pending[0][0], "last": pending[-1][0], "documents": len(pending)})
        pending, size = [], 0

    limit = PAGE_BYTES - _OVERHEAD
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
    return _INDEX.replace("@@TITLE@@", html.escape(title)).replace("@@ROWS@@", rows).replace("@@TOTAL@@", f"{total} document(s) on {len(pages)} page(s)")


_HEAD = """<!DOCTYPE html>
<html lang="bn">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>@@TITLE@@</title>
<style>
"""  # both kinds of page start alike

_INDEX = _HEAD + """body { font-family: sans-serif; margin: 1em 2em; color: #222; }
table { border-collapse: collapse; }
td, th { border: 1px solid #ddd; padding: 0.25em 0.7em; text-align: left; }
</style>
</head>
<body>
<h1>@@TITLE@@</h1>
<p>@@TOTAL@@, in doc_id order.</p>
<table>
<thead><tr><th>page</th><th>first doc_id</th><th>last doc_id</th><th>documents</th></tr></thead>
<tbody>
@@ROWS@@
</tbody>
</table>
</body>
</html>
"""


_TEMPLATE = _HEAD + """body { font-family: "Noto Sans Bengali", "Lohit Bengali", "Kalpurush", "SolaimanLipi", sans-serif; margin: 0; color: #222; background: #fafafa; }
header { background: #263238; color: #fff; padding: 0.6em 1em; }
header h1 { font-size: 1.2em; margin: 0; display: inline-block; }
#pages { display: inline-block; margin-left: 2em; }
#pages a { color: #bbdefb; margin-right: 1em; }
#layout { display: flex; align-items: flex-start; }
#filters { position: sticky; top: 0; width: 15em; flex: none; padding: 1em; border-right: 1px solid #ddd; background: #fff; min-height: 100vh; box-sizing: border-box; }
#filters fieldset { border: 1px solid #ccc; margin: 0 0 1em 0; }
#filters label { display: block; margin: 0.15em 0; cursor: pointer; }
.swatch { display: inline-block; width: 0.9em; height: 0.9em; border: 1px solid #999; vertical-align: middle; margin-right: 0.3em; }
#docs { flex: 1; padding: 1em; min-width: 0; }
article.doc { background: #fff; border: 1px solid #ddd; border-radius: 4px; padding: 1em 1.2em; margin-bottom: 1.5em; }
article.doc.hidden { display: none; }
.doc h2 { margin: 0 0 0.3em 0; font-size: 0.95em; color: #555; font-weight: normal; }
.doc .text::first-line { font-weight: bold; font-size: 1.2em; }
.meta { color: #555; font-size: 0.9em; margin-bottom: 0.5em; }
.meta span { margin-right: 1em; }
.chain .hop { background: #eceff1; border-radius: 3px; padding: 0 0.35em; }
.text { white-space: pre-wrap; line-height: 2.1; font-size: 1.05em; }
.ent { border-radius: 2px; }
@@LABEL_CSS@@
.ent.label-off { background: none !important; }
.src { outline: 1.5px solid #c62828; outline-offset: -1px; font-weight: 600; }
.cue { text-decoration: underline double #2e7d32; text-underline-offset: 3px; }
.content { border-bottom: 2px solid #1565c0; cursor: pointer; }
.content .content { border-bottom: 2px dashed #6a1b9a; }
.legend-box { display: inline-block; padding: 0 0.3em; margin-right: 0.5em; }
.active-source { background: #ffeb3b !important; outline: 2px solid #f57f17; }
.active-cue { background: #b9f6ca !important; }
.active-source .ent, .active-cue .ent { background: transparent !important; }
.active-content { background: #e3f2fd !important; }
.attrs { margin-top: 1em; font-size: 0.92em; }
.attrs ul { list-style: none; padding-left: 1.4em; margin: 0.2em 0; border-left: 2px solid #e0e0e0; }
.attrs > ul { padding-left: 0; border-left: none; }
.attr { padding: 0.25em 0.4em; border-radius: 3px; cursor: pointer; }
.attr.active { background: #fff8e1; }
.attr .depth { color: #777; font-size: 0.85em; }
.badge { display: inline-block; font-size: 0.78em; padding: 0 0.45em; border-radius: 0.7em; margin: 0 0.2em; color: #fff; white-space: nowrap; }
.badge.FAVOR { background: #2e7d32; }
.badge.AGAINST { background: #c62828; }
.badge.NONE { background: #757575; }
.ents { font-size: 0.9em; margin-top: 0.6em; }
.ents li.label-off { display: none; }
details { margin-top: 0.6em; }
</style>
</head>
<body>
<header><h1>@@TITLE@@</h1><nav id="pages"></nav></header>
<div id="layout">
<aside id="filters">
<fieldset id="outlet-filter"><legend>Outlet</legend></fieldset>
<fieldset id="label-filter"><legend>Entity label</legend></fieldset>
<fieldset><legend>Attribution</legend>
<div><span class="legend-box src">SOURCE</span></div>
<div><span class="legend-box cue">CUE</span></div>
<div><span class="legend-box content">CONTENT</span> (click)</div>
</fieldset>
<fieldset><legend>Stance</legend>
<span class="badge FAVOR">FAVOR</span><span class="badge AGAINST">AGAINST</span><span class="badge NONE">NONE</span>
</fieldset>
</aside>
<main id="docs"></main>
</div>
<script type="application/json" id="corpus-data">@@DATA@@</script>
<script>
"use strict";
(function () {
  var DATA = JSON.parse(document.getElementById("corpus-data").textContent);
  var KIND_ORDER = { content: 0, src: 1, cue: 2, ent: 3 };

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "class") node.className = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return node;
  }

  // Offsets count code points; JS strings count UTF-16 units, so map through an array of code points.
  function codePoints(s) { return Array.from(s); }

  // All spans of a document, same (kind, start, end) merged so a source shared by two attributions is one span.
  function spansOf(doc) {
    var byKey = {}, list = [];
    function add(kind, s, extra) {
      if (!s) return;
      var key = kind + ":" + s.start + ":" + s.end + (kind === "ent" ? ":" + extra.label : "");
      var span = byKey[key];
      if (!span) {
        span = byKey[key] = { kind: kind, start: s.start, end: s.end, attrs: [], label: extra.label || "", eid: extra.eid || "" };
        list.push(span);
      }
      if (extra.attr) span.attrs.push(extra.attr);
    }
    doc.entities.forEach(function (e) { add("ent", e, { label: e.label, eid: e.id }); });
    doc.attributions.forEach(function (a) {
      add("content", a.content, { attr: a.id });
      add("src", a.source, { attr: a.id });
      add("cue", a.cue, { attr: a.id });
    });
    // Outer first: earlier start, then longer, then attribution layers around entities.
    list.sort(function (x, y) {
      return x.start - y.start || y.end - x.end || KIND_ORDER[x.kind] - KIND_ORDER[y.kind] || (x.label < y.label ? -1 : x.label > y.label ? 1 : 0);
    });
    list.forEach(function (s, i) { s.order = i; });
    return list;
  }

  // Properly nested <span>s from a sorted boundary list: a span crossing an enclosing one is split.
  function renderText(doc, container) {
    var cps = codePoints(doc.text), spans = spansOf(doc);
    var bounds = [0, cps.length];
    spans.forEach(function (s) { bounds.push(s.start, s.end); });
    bounds = Array.from(new Set(bounds)).sort(function (a, b) { return a - b; });
    var stack = [{ span: null, node: container }];
    for (var i = 0; i + 1 < bounds.length; i++) {
      var a = bounds[i], b = bounds[i + 1];
      var covering = spans.filter(function (s) { return s.start <= a && s.end >= b; });
      covering.sort(function (x, y) { return x.order - y.order; });
      var keep = 0;
      while (keep < covering.length && keep + 1 < stack.length && stack[keep + 1].span === covering[keep]) keep++;
      stack.length = keep + 1;
      for (var j = keep; j < covering.length; j++) {
        var s = covering[j];
        var cls = "sp " + s.kind + (s.kind === "ent" ? " ent-" + s.label : "");
        var node = el("span", { "class": cls, "data-kind": s.kind });
        if (s.kind === "ent") { node.setAttribute("data-label", s.label); node.setAttribute("title", s.label); }
        else node.setAttribute("data-attrs", s.attrs.join(" "));
        stack[stack.length - 1].node.appendChild(node);
        stack.push({ span: s, node: node });
      }
      stack[stack.length - 1].node.appendChild(document.createTextNode(cps.slice(a, b).join("")));
    }
  }

  function badge(st) {
    return el("span", { "class": "badge " + st.label, title: st.target_bn || st.target, "data-target": st.target }, [st.target + ": " + st.label]);
  }

  function hasAttr(node, id) { return (node.getAttribute("data-attrs") || "").split(" ").indexOf(id) >= 0; }

  function activate(article, ids) {
    ["active-source", "active-cue", "active-content"].forEach(function (c) {
      article.querySelectorAll("." + c).forEach(function (n) { n.classList.remove(c); });
    });
    article.querySelectorAll(".attr.active").forEach(function (n) { n.classList.remove("active"); });
    var map = { src: "active-source", cue: "active-cue", content: "active-content" };
    article.querySelectorAll(".text [data-attrs]").forEach(function (n) {
      if (ids.some(function (id) { return hasAttr(n, id); })) n.classList.add(map[n.getAttribute("data-kind")]);
    });
    article.querySelectorAll(".attr").forEach(function (n) {
      if (ids.indexOf(n.getAttribute("data-id")) >= 0) n.classList.add("active");
    });
  }

  function renderAttributions(doc, article) {
    var stancesBy = {};
    doc.stances.forEach(function (s) { (stancesBy[s.attribution_id] = stancesBy[s.attribution_id] || []).push(s); });
    var children = {};
    doc.attributions.forEach(function (a) { (children[a.parent_id || ""] = children[a.parent_id || ""] || []).push(a); });
    function list(parent) {
      var ul = el("ul");
      (children[parent] || []).forEach(function (a) {
        var who = a.source ? a.source.text + " (" + (a.source_id || "?") + ", " + a.source_type + ")" : "unnamed source";
        var li = el("li", { "class": "attr", "data-id": a.id }, [
          el("span", { "class": "depth", text: "depth " + a.depth + " · " + a.type + " · " }),
          el("b", { text: who }),
          " — ",
          el("span", { "class": "cue", text: a.cue.text }),
          ": ",
          el("span", { text: "«" + a.content.text + "»" }),
          el("div", { "class": "chain" }, [el("span", { "class": "depth", text: "chain: " }), a.chain.join(" → ")]),
          el("div", {}, (stancesBy[a.id] || []).map(badge))
        ]);
        li.addEventListener("click", function (ev) { ev.stopPropagation(); activate(article, [a.id]); });
        ul.appendChild(li);
        if (children[a.id]) li.appendChild(list(a.id));
      });
      return ul;
    }
    return el("details", { "class": "attrs", open: "" }, [el("summary", { text: "Attributions (" + doc.attributions.length + ")" }), list("")]);
  }

  function renderDoc(doc) {
    var article = el("article", { "class": "doc", id: "doc-" + doc.doc_id, "data-doc-id": doc.doc_id, "data-outlet": doc.outlet });
    // The headline is the first line of the annotated text itself (shown once, with its entities).
    article.appendChild(el("h2", { "class": "doc-head", text: doc.outlet + " · " + doc.doc_id }));
    var chain = el("span", { "class": "chain" }, ["provenance: "]);
    doc.provenance.forEach(function (p, i) {
      if (i) chain.appendChild(document.createTextNode(" → "));
      chain.appendChild(el("span", { "class": "hop", text: p }));
    });
    article.appendChild(el("div", { "class": "meta" }, [
      el("span", { "class": "outlet", text: "outlet: " + doc.outlet }),
      el("span", { "class": "published", text: "published: " + (doc.published_at ? doc.published_at.replace("T", " ") : "unknown") }),
      el("span", { text: "doc_id: " + doc.doc_id + " · " + doc.split }),
      chain
    ]));
    var docStances = doc.stances.filter(function (s) { return !s.attribution_id; });
    if (docStances.length) article.appendChild(el("div", { "class": "meta doc-stance" }, ["document stance (" + doc.outlet + "): "].concat(docStances.map(badge))));
    var text = el("div", { "class": "text" });
    renderText(doc, text);
    text.addEventListener("click", function (ev) {
      var content = ev.target.closest(".content");
      if (content && text.contains(content)) activate(article, content.getAttribute("data-attrs").split(" "));
    });
    article.appendChild(text);
    article.appendChild(renderAttributions(doc, article));
    var ents = el("ul", { "class": "ents" });
    doc.entities.forEach(function (e) {
      ents.appendChild(el("li", { "class": "ent-item", "data-label": e.label }, [
        el("span", { "class": "ent ent-" + e.label, "data-label": e.label, text: e.text }), " " + e.label + (e.entity_id ? " → " + e.entity_id : "")
      ]));
    });
    article.appendChild(el("details", {}, [el("summary", { text: "Entities (" + doc.entities.length + ")" }), ents]));
    return article;
  }

  function checkbox(fieldset, name, value, swatch, onChange) {
    var box = el("input", { type: "checkbox", name: name, value: value, checked: "" });
    box.addEventListener("change", function () { onChange(value, box.checked); });
    var kids = [box];
    if (swatch) kids.push(el("span", { "class": "swatch ent-" + value }));
    kids.push(value);
    fieldset.appendChild(el("label", { "data-value": value }, kids));
  }

  var nav = document.getElementById("pages");
  [["index", "all pages"], ["prev", "← previous"], ["next", "next →"]].forEach(function (link) {
    if (DATA.nav[link[0]]) nav.appendChild(el("a", { href: DATA.nav[link[0]], rel: link[0], text: link[1] }));
  });
  var docs = document.getElementById("docs");
  DATA.documents.forEach(function (d) { docs.appendChild(renderDoc(d)); });
  DATA.outlets.forEach(function (o) {
    checkbox(document.getElementById("outlet-filter"), "outlet", o, false, function (value, on) {
      docs.querySelectorAll("article.doc").forEach(function (a) {
        if (a.getAttribute("data-outlet") === value) a.classList.toggle("hidden", !on);
      });
    });
  });
  DATA.labels.forEach(function (lab) {
    checkbox(document.getElementById("label-filter"), "label", lab, true, function (value, on) {
      docs.querySelectorAll('[data-label="' + value + '"]').forEach(function (n) { n.classList.toggle("label-off", !on); });
    });
  });
  document.body.setAttribute("data-ready", "1");
})();
</script>
</body>
</html>
"""
_OVERHEAD = len(_TEMPLATE.encode("utf-8")) + 16_384  # the page around the documents, with room for the header data
