"""Joined document → one row per config (documents, ner, attribution, stance), as plain dicts.

Rows carry ClassLabel values as label strings; the writer encodes them with the Features of
builder.schema. Token alignment problems surface here, so `check` runs this stage too.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from builder.annotate.adjudicate import Adjudication
from builder.annotate.annotation import Attribution, Gold
from builder.derive import tokens
from builder.read.export import Task
from builder.read.textfiles import text_sha256
from builder.records import Cleaned, Problem, Source
from builder.scheme import Scheme

UNNAMED = "unnamed"


@dataclass(frozen=True, slots=True)
class Document:
    source: Source
    cleaned: Cleaned
    text: str  # committed text (== cleaned.text once check passes)
    task: Task
    gold: Gold
    split: str
    adjudication: Adjudication
    annotations: tuple[Gold, ...]  # every non-cancelled annotation, parsed


def gid(doc_id: str, region_id: str) -> str:
    """Corpus-wide id of a region: unique across documents and splits."""
    return f"{doc_id}:{region_id}"


@lru_cache(maxsize=4096)  # a corpus has few annotators, each named in every document they annotated
def pseudonym(annotator: str, key: bytes) -> str:
    """Stable, non-identifying annotator id: HMAC-SHA256 of the Label Studio user under the corpus's secret key.

    An unkeyed hash of a small integer user id is reversed by trying 1, 2, 3, …; with the key (kept in the
    source repository, never in the released dataset) nobody can tie a pseudonym to a user id or e-mail.
    """
    if not key:
        raise ValueError("no annotator pseudonym key: the pipeline loads it from pseudonym_key in [tool.builder]")
    return "annotator-" + hmac.new(key, annotator.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:10]


def _span(region) -> dict[str, Any] | None:
    return None if region is None else {"start": region.start, "end": region.end, "text": region.text}


def _utc(stamp: str | None) -> datetime | None:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")) if stamp else None


_LAST_NESTING: list[Any] = [None, None]  # (attributions, parents) of the last call: a tuple held, so its id stays its own


def nesting(attributions: tuple[Attribution, ...]) -> dict[str, Attribution | None]:
    """Parent of each attribution: the smallest other CONTENT that contains its CONTENT. The documents,
    attribution and annotations rows of one document ask for the same gold's: it is worked out once
    (pairwise, so quadratic in the attributions). Callers read the dict, never change it."""
    if _LAST_NESTING[0] is attributions:
        return _LAST_NESTING[1]
    parents: dict[str, Attribution | None] = {}
    for a in attributions:
        outer = [
            b for b in attributions
            if b is not a and b.content.start <= a.content.start and a.content.end <= b.content.end
            and (b.content.start, b.content.end) != (a.content.start, a.content.end)
        ]
        parents[a.content.id] = min(outer, key=lambda b: b.content.end - b.content.start) if outer else None
    _LAST_NESTING[:] = [attributions, parents]
    return parents


def _ancestors(a: Attribution, parents: dict[str, Attribution | None]) -> list[Attribution]:
    chain, seen = [], {a.content.id}
    node = parents[a.content.id]
    while node is not None and node.content.id not in seen:
        chain.append(node)
        seen.add(node.content.id)
        node = parents[node.content.id]
    return chain[::-1]


def chain_of(a: Attribution, parents, provenance: tuple[str, ...]) -> list[str]:
    """Reporting path: outlet and credited agencies, then the nesting path of sources, outer first.

    The provenance's original source appears only when a statement's source (or an ancestor's) is
    that source, so the Kremlin in an AFP story reads BSS > AFP > Kremlin, not … > KCNA > Kremlin.
    """
    layers = list(provenance[:-1]) if len(provenance) > 1 else list(provenance)
    for node in [*_ancestors(a, parents), a]:
        layers.append(node.source_id or UNNAMED)
    deduped: list[str] = []
    for x in layers:
        if not deduped or deduped[-1] != x:
            deduped.append(x)
    return deduped


def layers(doc_id: str, gold: Gold, outlet: str, scheme: Scheme, prefix: str = "") -> dict[str, Any]:
    """Entities, attributions and stances of one annotation as nested rows; ids get `prefix`."""
    parents = nesting(gold.attributions)
    key = f"{doc_id}:{prefix}" if prefix else doc_id
    return {
        "entities": [
            {"id": gid(key, e.id), "start": e.start, "end": e.end, "text": e.text, "label": e.label, "entity_id": scheme.link(e.text)}
            for e in gold.entities
        ],
        "attributions": [_attribution_fields(key, a, parents, scheme) for a in gold.attributions],
        "stances": [
            {"holder_id": a.source_id or UNNAMED, "target": t, "label": lab, "attribution_id": gid(key, a.content.id)}
            for a in gold.attributions for t, lab in a.stances
        ] + [{"holder_id": outlet, "target": t, "label": lab, "attribution_id": None} for t, lab in gold.doc_stances],
    }


def page_metadata(c: Cleaned) -> dict[str, Any]:
    """Metadata the page itself gives (same fields in documents and raw)."""
    return {
        "title": c.title,
        "published_at": c.published_at,
        "updated_at": c.updated_at,
        "authors": list(c.authors),
        "canonical_url": c.canonical_url,
        "language": c.language,
        "agencies": list(c.agencies),
    }


def suggested_provenance(source: Source, c: Cleaned, scheme: Scheme) -> list[str]:
    """Outlet, then the credited agencies the registry can link, each once, in the page's order."""
    chain = [source.outlet]
    for agency in c.agencies:
        rid = scheme.link(agency)
        if rid is not None and rid not in chain:
            chain.append(rid)
    return chain


def raw_row(source: Source, c: Cleaned, text: str, annotated: bool, scheme: Scheme) -> dict[str, Any]:
    """One captured page: what was read, how, and where each paragraph of the text came from."""
    return {
        "doc_id": source.doc_id,
        "outlet": source.outlet,
        "url": source.url,
        "capture_kind": source.capture_kind,
        "capture_file": source.capture_file,
        "captured_at": source.captured_at,
        "rights": source.rights,
        "content_type": c.content_type,
        "raw_sha256": c.raw_sha256,
        "raw_bytes": c.raw_size,
        **page_metadata(c),
        "provenance_suggested": suggested_provenance(source, c, scheme),
        "text_sha256": text_sha256(text),
        "annotated": annotated,
        "map": [{"start": m.start, "end": m.end, "raw_start": m.raw_start, "raw_end": m.raw_end} for m in c.raw_map],
    }


def document_row(doc: Document, scheme: Scheme) -> dict[str, Any]:
    c, g, doc_id = doc.cleaned, doc.gold, doc.source.doc_id
    sources = doc.adjudication.sources
    return {
        "doc_id": doc_id,
        "outlet": doc.source.outlet,
        "url": doc.source.url,
        "capture_kind": doc.source.capture_kind,
        **page_metadata(c),
        "byline": c.byline,
        "dateline": c.dateline.text if c.dateline else None,
        "credit": c.credit,
        "source_line": c.source_line.text if c.source_line else None,
        "provenance": list(g.provenance),
        "text": doc.text,
        "text_sha256": text_sha256(doc.text),
        **layers(doc_id, g, doc.source.outlet, scheme),
        "gold_policy": doc.adjudication.policy,
        "annotation_ids": sorted(a.id for a in sources),
        "annotators": sorted({pseudonym(a.annotator, scheme.annotator_key) for a in sources}),
    }


def annotation_rows(doc: Document, scheme: Scheme) -> Iterator[dict[str, Any]]:
    """One row per non-cancelled annotation, so disagreement between annotators can be studied."""
    doc_id = doc.source.doc_id
    in_gold = {a.id for a in doc.adjudication.sources}
    for g in doc.annotations:
        a = g.annotation
        prefix = f"annotation-{a.id}"
        yield {
            "id": f"{doc_id}:{prefix}",
            "doc_id": doc_id,
            "annotation_id": a.id,
            "annotator": pseudonym(a.annotator, scheme.annotator_key),
            "annotated_at": _utc(a.updated_at or a.created_at),
            "lead_time": a.lead_time,
            "ground_truth": a.ground_truth,
            "in_gold": a.id in in_gold,
            **layers(doc_id, g, doc.source.outlet, scheme, prefix),
            "provenance": list(g.provenance),
        }


def _attribution_fields(doc_id: str, a: Attribution, parents, scheme: Scheme) -> dict[str, Any]:
    parent = parents[a.content.id]
    return {
        "id": gid(doc_id, a.content.id),
        "type": a.type,
        "source": _span(a.source),
        "source_id": a.source_id,
        "source_type": scheme.registry[a.source_id].source_type if a.source_id else UNNAMED,
        "cue": _span(a.cue),
        "content": _span(a.content),
        "parent_id": gid(doc_id, parent.content.id) if parent else None,
        "depth": len(_ancestors(a, parents)),
    }


def attribution_rows(doc: Document, scheme: Scheme) -> Iterator[dict[str, Any]]:
    doc_id, g = doc.source.doc_id, doc.gold
    parents = nesting(g.attributions)
    for a in g.attributions:
        row = {"id": gid(doc_id, a.content.id), "doc_id": doc_id, "outlet": doc.source.outlet}
        row |= _attribution_fields(doc_id, a, parents, scheme)
        row["chain"] = chain_of(a, parents, g.provenance)
        yield row


def stance_rows(doc: Document, scheme: Scheme) -> list[dict[str, Any]]:
    """One row per (attributed statement, target), then one per target of the outlet's own voice.

    A holder may take different stances toward one target in different statements; each statement
    is judged on its own, so the rows never force one label per holder.
    """
    doc_id, g = doc.source.doc_id, doc.gold
    rows = [
        _stance_row(doc_id, "statement", a.source_id or UNNAMED, target, label, a.content.text, gid(doc_id, a.content.id), scheme)
        for a in g.attributions
        for target, label in a.stances
    ]
    rows += [_stance_row(doc_id, "document", doc.source.outlet, t, lab, doc.text, None, scheme) for t, lab in g.doc_stances]
    return rows


def _stance_row(doc_id, level, holder, target, label, text, attribution_id, scheme: Scheme) -> dict[str, Any]:
    holder_type = "outlet" if level == "document" else (scheme.registry[holder].source_type if holder in scheme.registry else UNNAMED)
    return {
        "id": f"{attribution_id or doc_id + ':document'}:{target}",
        "doc_id": doc_id,
        "level": level,
        "holder_id": holder,
        "holder_type": holder_type,
        "target": target,
        "target_bn": scheme.registry[target].name_bn,
        "text": text,
        "label": label,
        "attribution_id": attribution_id,
    }


def ner_rows(doc: Document, scheme: Scheme, sentences: list[tokens.Sentence]) -> tuple[list[dict[str, Any]], list[Problem]]:
    """Sentence rows with BIO tags; an entity that does not fall on token boundaries is a Problem.

    BIO cannot nest: an entity inside another one (GPE উত্তর কোরিয়ার inside an ORG name) is kept in
    the documents config and left out of the tags, which follow the outermost mention.
    """
    doc_id, g = doc.source.doc_id, doc.gold
    all_tags, gold_problems = _aligned_tags(doc, g, sentences)
    # the gold is one of the annotations below unless it is a majority merge: report it once, there
    problems = list(gold_problems) if doc.adjudication.policy == "majority" else []
    for other in doc.annotations:  # every published annotation is held to the same rule as the gold
        problems += gold_problems if other is g else _aligned_tags(doc, other, sentences)[1]
    rows = [
        {
            "id": f"{doc_id}:s{i:04d}",
            "doc_id": doc_id,
            "sentence_index": i,
            "start": sent.start,
            "end": sent.end,
            "tokens": list(sent.tokens),
            "token_starts": list(sent.token_starts),
            "ner_tags": tags,
        }
        for i, (sent, tags) in enumerate(zip(sentences, all_tags))
    ]
    return rows, problems


def _aligned_tags(doc: Document, g: Gold, sentences: list[tokens.Sentence]) -> tuple[list[list[str]], list[Problem]]:
    spans = [(e.start, e.end, e.label) for e in outermost(g.entities)]
    by_offsets = {(e.start, e.end, e.label): e for e in g.entities}
    all_tags, misaligned = tokens.bio_tags_document(sentences, spans)
    problems = []
    for start, end, label in misaligned:
        e = by_offsets.get((start, end, label))
        problems.append(Problem(
            "span-not-token-aligned", doc.task.file, doc.task.record, f"{g.annotation.pointer}/result",
            f"{label} {doc.text[start:end]!r} [{start}:{end}] ({e.id if e else '?'}) does not start and end on token boundaries",
            "spans cover whole words with their suffixes (guidelines, entities); widen or trim the region",
        ))
    return all_tags, problems


def outermost(entities) -> list:
    """Entities not strictly inside another entity (ties: both kept, so a duplicate is still reported).

    One sort and one sweep: in (start, -end) order, a span is strictly inside another exactly when some
    earlier span with other offsets reaches at least as far.
    """
    order = sorted(range(len(entities)), key=lambda i: (entities[i].start, -entities[i].end))
    inside: set[int] = set()
    reach, k = -1, 0
    while k < len(order):
        first = entities[order[k]]
        group = [order[k]]
        while k + 1 < len(order) and (entities[order[k + 1]].start, entities[order[k + 1]].end) == (first.start, first.end):
            k += 1
            group.append(order[k])
        if reach >= first.end:
            inside.update(group)
        reach = max(reach, first.end)
        k += 1
    return [e for i, e in enumerate(entities) if i not in inside]
