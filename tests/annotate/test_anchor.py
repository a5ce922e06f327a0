"""Offsets in another convention and texts that changed after annotation, end to end on a corpus copy.

The texts carry an emoji (astral: UTF-16 differs from code points), a ZWJ word, CRLF line ends and
precomposed য় (U+09DF, which NFC decomposes) — the cases Label Studio users lose annotations to.
"""

from __future__ import annotations

import json
from pathlib import Path

import datasets
from conftest import apply_edits

from builder.annotate.offsets import cp_to_utf16
from builder.cli.main import app
from builder.config import load_config
from builder.release import build
from builder.run import pipeline

DOC = "003_def7398b55f8b37b"
EXPORT = f"annotations/export/{DOC}.json"
ZWJ_WORD = "র\u200d্যাব"
INSERT = f"😀 {ZWJ_WORD} "
FIRST_BODY = "উত্তর কোরিয়ার সঙ্গে দ্বিপক্ষীয়"


def _export(corpus: Path) -> list[dict]:
    return json.loads((corpus / EXPORT).read_text(encoding="utf-8"))


def _save(corpus: Path, data: list[dict]) -> None:
    (corpus / EXPORT).write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")


def _remap(data: list[dict], new_text: str, offset_of) -> None:
    """Rewrite the task as if it had been annotated on `new_text`, offsets through `offset_of`."""
    task = data[0]
    task["data"]["text"] = new_text
    for ann in task["annotations"]:
        for item in ann["result"]:
            v = item.get("value", {})
            if "start" in v:
                v["start"], v["end"] = offset_of(v["start"]), offset_of(v["end"])


def _edit_raw_and_clean(cli, corpus: Path) -> str:
    """Insert an emoji and a ZWJ word before the first body paragraph of the capture, then re-clean."""
    apply_edits(corpus, [{"file": f"raw/captures/{DOC}.txt", "replace_text": [FIRST_BODY, INSERT + FIRST_BODY]}])
    result = cli.invoke(app, ["clean", "--root", str(corpus)])
    assert result.exit_code == 0, result.output
    assert "spans-reanchored" in result.stdout
    return (corpus / f"text/{DOC}.txt").read_text(encoding="utf-8")


def _slices_hold(corpus: Path, tmp_path: Path) -> dict:
    cfg = load_config(corpus)
    outcome = pipeline.check(cfg, keep_rows=True)
    assert outcome.problems == [], [p.render() for p in outcome.problems]
    build.build(cfg, tmp_path / "ds")
    docs = datasets.load_dataset(str(tmp_path / "ds"), "documents", cache_dir=str(tmp_path / "cache"))
    doc = next(d for split in docs.values() for d in split if d["doc_id"] == DOC)
    for e in doc["entities"]:
        assert doc["text"][e["start"]:e["end"]] == e["text"]
    for a in doc["attributions"]:
        assert doc["text"][a["content"]["start"]:a["content"]["end"]] == a["content"]["text"]
    return doc


def test_text_changed_after_annotation_is_reanchored(cli, corpus: Path, tmp_path: Path) -> None:
    before = _export(corpus)[0]["data"]["text"]
    text = _edit_raw_and_clean(cli, corpus)
    assert text.count(ZWJ_WORD) == 1 and "😀" in text  # ZWJ kept by the cleaner
    assert text != before and _export(corpus)[0]["data"]["text"] == before  # exports untouched
    result = cli.invoke(app, ["check", "--root", str(corpus)])
    assert result.exit_code == 0, result.output
    assert "spans-reanchored" in result.stdout
    doc = _slices_hold(corpus, tmp_path)
    assert len(doc["entities"]) == 37 and len(doc["attributions"]) == 9


def test_edit_inside_an_entity_is_lost_and_clean_refuses(cli, corpus: Path) -> None:
    committed = (corpus / f"text/{DOC}.txt").read_bytes()
    apply_edits(corpus, [{"file": f"raw/captures/{DOC}.txt", "replace_text": ["রুশ প্রেসিডেন্ট ভ্লাদিমির", "রুশ প্রেসিডেন্ট ভ্লাদিমির-ভি"]}])
    result = cli.invoke(app, ["clean", "--root", str(corpus)])
    assert result.exit_code == 1
    assert "span-lost" in result.stderr and "ভ্লাদিমির" in result.stderr and "hint:" in result.stderr
    assert (corpus / f"text/{DOC}.txt").read_bytes() == committed
    check = cli.invoke(app, ["check", "--root", str(corpus)])
    assert check.exit_code == 1 and "text-drift" in check.stderr


def _document(cfg, doc_id: str):
    """One document's joined record, from the map step run in this process."""
    from builder.read.export import iter_exports
    from builder.read.sources import read_sources
    from builder.run.mapdoc import Context, process

    scheme = pipeline.check(cfg, engine="inline").scheme
    source = next(s for s in read_sources(cfg.path(cfg.raw_dir))[0] if s.doc_id == doc_id)
    tasks = [t for file_tasks, _ in iter_exports(cfg.path(cfg.export_dir), cfg.rel, cfg.root) for t in file_tasks if t.doc_id == doc_id]
    ctx = Context(cfg.path(cfg.raw_dir), cfg.path(cfg.text_dir), scheme, cfg.registry, tuple(cfg.reviewers), cfg.split_salt, cfg.split_ratios)
    return process(source, tasks, ctx).document


def test_utf16_offsets_are_repaired(cli, corpus: Path, tmp_path: Path) -> None:
    text = _edit_raw_and_clean(cli, corpus)
    cfg = load_config(corpus)
    # Bring the export onto the new text first (what a re-annotation would give), then write its
    # offsets the way JavaScript counts them: the emoji is 2 UTF-16 units.
    doc = _document(cfg, DOC)
    data = _export(corpus)
    anchored = {(a.id, i.get("id"), i.get("from_name")): i for a in doc.task.annotations for i in a.result}
    for ann in data[0]["annotations"]:
        for item in ann["result"]:
            if "start" in item.get("value", {}):
                new = anchored[(ann["id"], item.get("id"), item.get("from_name"))]["value"]
                item["value"]["start"], item["value"]["end"] = new["start"], new["end"]
    _remap(data, text, lambda i: cp_to_utf16(text, i))
    _save(corpus, data)
    result = cli.invoke(app, ["check", "--root", str(corpus)])
    assert result.exit_code == 0, result.output
    assert "offsets-repaired" in result.stdout and "utf16" in result.stdout
    _slices_hold(corpus, tmp_path)


def test_crlf_task_text_is_reanchored(cli, corpus: Path, tmp_path: Path) -> None:
    data = _export(corpus)
    text = data[0]["data"]["text"]
    crlf = text.replace("\n", "\r\n")
    _remap(data, crlf, lambda i: i + text[:i].count("\n"))
    _save(corpus, data)
    result = cli.invoke(app, ["check", "--root", str(corpus)])
    assert result.exit_code == 0, result.output
    assert "spans-reanchored" in result.stdout
    _slices_hold(corpus, tmp_path)


def test_precomposed_ya_spans_are_lost_not_guessed(cli, corpus: Path) -> None:
    data = _export(corpus)
    text = data[0]["data"]["text"]
    decomposed = "\u09af\u09bc"
    old = text.replace(decomposed, "\u09df")  # annotated on a text that was not NFC
    _remap(data, old, lambda i: i - text[:i].count(decomposed))
    _save(corpus, data)
    result = cli.invoke(app, ["check", "--root", str(corpus), "--quiet"])
    assert result.exit_code == 1
    lost = [line for line in result.stderr.splitlines() if line.startswith("span-lost")]
    assert lost and all(EXPORT in line for line in lost)
    assert "কোরিয়ার" in result.stderr or "\u09df" in result.stderr
    codes = {line.split("  ")[0] for line in result.stderr.splitlines() if line and not line.startswith((" ", "Error", "hint"))}
    assert {c for c in codes if "problem(s)" not in c} == {"span-lost"}


def _task_with(text: str, spans: list[tuple[int, int, str]]):
    import copy

    from builder.read.export import Annotation, Task

    result = [{"id": f"r{k}", "type": "labels", "from_name": "entity", "to_name": "text",
               "value": {"start": s, "end": e, "text": t, "labels": ["PER"]}} for k, (s, e, t) in enumerate(spans)]
    ann = Annotation(id=1, annotator="a", created_at=None, updated_at=None, lead_time=None, ground_truth=False,
                     was_cancelled=False, result=tuple(result), pointer="/0/annotations/0")
    return Task("annotations/export/x.json", "/0", 1, "x", text, (ann,)), ann, copy.deepcopy(result)


def test_anchor_applies_the_detected_convention_and_leaves_the_export_items_alone() -> None:
    from builder.annotate.anchor import anchor

    text = "😀 আমিনুল বলেন। 😀 রহিম ও করিম।"
    names = ["আমিনুল", "রহিম", "করিম"]
    # UTF-16 offsets: every name after an emoji is off by one unit per emoji before it
    spans = [(cp_to_utf16(text, text.index(n)), cp_to_utf16(text, text.index(n) + len(n)), n) for n in names]
    task, ann, before = _task_with(text, spans)
    fixed, notices, problems = anchor(task, ann, text)
    assert problems == [] and [n.code for n in notices] == ["offsets-repaired"] and notices[0].count == 3
    assert [text[i["value"]["start"]:i["value"]["end"]] for i in fixed.result] == names
    assert list(ann.result) == before  # the export's own items are not changed in place

    exact = [(text.index(n), text.index(n) + len(n), n) for n in names]
    task, ann, before = _task_with(text, exact)
    fixed, notices, problems = anchor(task, ann, text)
    assert (notices, problems) == ([], []) and list(fixed.result) == before
