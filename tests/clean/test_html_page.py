"""A Bengali HTML page placed in raw/ goes through clean, check, build and load_dataset like a capture,
with its metadata filled and its provenance map in the `raw` config (and, once annotated, in documents)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import datasets
from conftest import tree_digest

from builder.cli.main import app

DOC = "900_html_demo"
PAGE = Path(__file__).parents[1] / "data" / "html" / f"{DOC}.html"
ROW = f'{DOC},BSS,https://example.org/bn/news/900,html,html/{DOC}.html,2026-11-23,"written for the tests; not real news",\n'


def _place_page(corpus: Path) -> None:
    (corpus / "raw/html").mkdir(exist_ok=True)
    shutil.copy2(PAGE, corpus / f"raw/html/{DOC}.html")
    with (corpus / "raw/sources.csv").open("a", encoding="utf-8") as f:
        f.write(ROW)


def _annotate(corpus: Path, text: str) -> None:
    """A minimal Label Studio export for the page: three entities and the provenance."""
    def entity(rid: str, label: str, surface: str) -> dict:
        start = text.index(surface)
        return {"id": rid, "from_name": "entity", "to_name": "text", "type": "labels", "origin": "manual",
                "value": {"start": start, "end": start + len(surface), "text": surface, "labels": [label]}}
    result = [entity("e1", "GPE", "ঢাকায়"), entity("e2", "ORG", "বাসস"), entity("e3", "ORG", "র\u200d্যাব"),
              {"id": "p", "from_name": "provenance", "to_name": "text", "type": "textarea", "value": {"text": ["BSS"]}}]
    task = {"id": 90, "data": {"doc_id": DOC, "text": text}, "annotations": [
        {"id": 900, "completed_by": 1, "was_cancelled": False, "ground_truth": True, "lead_time": 12.0,
         "created_at": "2026-11-23T10:00:00Z", "updated_at": "2026-11-23T10:00:00Z", "result": result}]}
    (corpus / f"annotations/export/{DOC}.json").write_text(json.dumps([task], ensure_ascii=False, indent=2), encoding="utf-8")


def _load(folder: Path, config: str, cache: Path) -> list[dict]:
    ds = datasets.load_dataset(str(folder), config, cache_dir=str(cache))
    return [row for split in ds.values() for row in split]


def test_html_page_goes_through_clean_check_build_and_load(cli, corpus: Path, tmp_path: Path) -> None:
    _place_page(corpus)
    annotated_before = {p: tree_digest(corpus / p) for p in ("annotations/export",)}
    result = cli.invoke(app, ["clean", "--root", str(corpus)])
    assert result.exit_code == 0, result.output
    text = (corpus / f"text/{DOC}.txt").read_text(encoding="utf-8")
    assert text.startswith("ঢাকায় টানা বৃষ্টিতে জলাবদ্ধতা, দুর্ভোগে নগরবাসী\n\n")
    assert "র\u200d্যাব" in text and " & " in text  # ZWJ kept, entity unescaped
    for junk in ("Link copied!", "সর্বশেষ", "প্রচ্ছদ", "window.ads", "সম্পাদক"):
        assert junk not in text
    assert {p: tree_digest(corpus / p) for p in annotated_before} == annotated_before

    check = cli.invoke(app, ["check", "--root", str(corpus)])
    assert check.exit_code == 0, check.output
    assert "not yet annotated: 1" in check.stdout

    out = tmp_path / "ds"
    assert cli.invoke(app, ["build", "--root", str(corpus), "--out", str(out)]).exit_code == 0
    raw = {r["doc_id"]: r for r in _load(out, "raw", tmp_path / "c1")}
    page = raw[DOC]
    assert page["annotated"] is False and page["capture_kind"] == "html"
    assert page["content_type"].startswith("text/html") and "utf-8" in page["content_type"].lower()
    assert page["title"] == "ঢাকায় টানা বৃষ্টিতে জলাবদ্ধতা, দুর্ভোগে নগরবাসী"
    assert page["published_at"].isoformat() == "2025-07-10T14:05:00+06:00"
    assert page["updated_at"].isoformat() == "2025-07-10T16:30:00+06:00"
    assert page["authors"] == ["নিজস্ব প্রতিবেদক"]
    assert page["canonical_url"] == "https://example.org/bn/news/900"
    assert page["language"].startswith("bn")
    assert page["agencies"][:1] == ["বাসস"]
    html = PAGE.read_bytes()
    paragraphs = [p for p in text.split("\n\n") if p]
    assert len(page["map"]) == len(paragraphs)
    for entry, paragraph in zip(page["map"], paragraphs):
        assert text[entry["start"]:entry["end"]] == paragraph
        markup = html[entry["raw_start"]:entry["raw_end"]].decode("utf-8")
        assert paragraph.split()[0].replace("\u200d", "") in markup.replace("&zwj;", "")
    assert DOC not in {r["doc_id"] for r in _load(out, "documents", tmp_path / "c2")}


def test_annotated_html_page_reaches_documents_with_its_metadata(cli, corpus: Path, tmp_path: Path) -> None:
    _place_page(corpus)
    assert cli.invoke(app, ["clean", "--root", str(corpus)]).exit_code == 0
    _annotate(corpus, (corpus / f"text/{DOC}.txt").read_text(encoding="utf-8"))
    out = tmp_path / "ds"
    built = cli.invoke(app, ["build", "--root", str(corpus), "--out", str(out)])
    assert built.exit_code == 0, built.output
    doc = next(r for r in _load(out, "documents", tmp_path / "c") if r["doc_id"] == DOC)
    assert doc["capture_kind"] == "html" and doc["url"] == "https://example.org/bn/news/900"
    assert doc["published_at"].isoformat() == "2025-07-10T14:05:00+06:00"
    assert doc["authors"] == ["নিজস্ব প্রতিবেদক"] and doc["dateline"].startswith("ঢাকা, ১০ জুলাই, ২০২৫ (বাসস)")
    assert [e["text"] for e in doc["entities"]] == ["ঢাকায়", "বাসস", "র\u200d্যাব"]
    assert all(doc["text"][e["start"]:e["end"]] == e["text"] for e in doc["entities"])
