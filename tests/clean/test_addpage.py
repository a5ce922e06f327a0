"""`builder add`: a contributor registers a new page; all of it is written, or nothing."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from conftest import SHARED, tree_digest

from builder.cli.main import app

# An original test page in the plainest layout a contributor pastes: no headline line, one body
# paragraph that ends with a danda (not real news).
PAGE = "ঢাকা: পরীক্ষার জন্য লেখা এই অনুচ্ছেদে কোনো শিরোনাম নেই। এটি কেবল একটি উদাহরণ, কোনো সত্যিকারের খবর নয়।\n"
SAMPLE = SHARED / "realdata" / "AndyTheFactory-newspaper4k" / "txt__bengali_article.txt"


def _inputs(corpus: Path) -> dict[str, bytes]:
    return {k: v for k, v in tree_digest(corpus).items() if k.startswith(("raw/", "text/"))}


def test_a_page_without_a_headline_is_refused_whole_then_added_with_title(cli, corpus: Path, tmp_path: Path) -> None:
    page = tmp_path / "saved.txt"
    page.write_text(PAGE, encoding="utf-8")
    before = _inputs(corpus)
    args = ["add", str(page), "--root", str(corpus), "--outlet", "Test Outlet", "--rights", "written for the tests"]
    refused = cli.invoke(app, args)
    assert refused.exit_code == 1
    assert "capture-no-title" in refused.stderr and "--title" in refused.stderr and "nothing was written" in refused.stderr
    assert _inputs(corpus) == before, "a refused page leaves raw/ and text/ as they were"

    done = cli.invoke(app, [*args, "--title", "পরীক্ষার একটি পাতা", "--published-at", "2026-11-30T10:15:00"])
    assert done.exit_code == 0, done.output
    assert "outlet-unregistered" in done.stdout
    rows = list(csv.DictReader(io.StringIO((corpus / "raw/sources.csv").read_text(encoding="utf-8"))))
    new = rows[-1]
    assert new["doc_id"].startswith("004_") and new["title"] == "পরীক্ষার একটি পাতা"
    assert (corpus / "raw" / new["capture_file"]).read_bytes() == page.read_bytes(), "copied byte for byte"
    text = (corpus / "text" / f"{new['doc_id']}.txt").read_text(encoding="utf-8")
    assert text.startswith("পরীক্ষার একটি পাতা\n\nঢাকা: পরীক্ষার")
    old_lines = before["raw/sources.csv"].decode().splitlines()
    assert [ln.rstrip(",") for ln in (corpus / "raw/sources.csv").read_text(encoding="utf-8").splitlines()[1:3]] == \
        [ln.rstrip(",") for ln in old_lines[1:3]], "existing rows keep their bytes"

    checked = cli.invoke(app, ["check", "--root", str(corpus)])
    assert checked.exit_code == 0, checked.output
    assert "not yet annotated: 1" in checked.stdout and "outlet-unregistered" in checked.stdout
    again = cli.invoke(app, args + ["--title", "x y z"])
    assert again.exit_code == 1 and "already in raw/ as " + new["doc_id"] in again.stderr

    built = cli.invoke(app, ["build", "--root", str(corpus), "--out", str(tmp_path / "ds")])
    assert built.exit_code == 0, built.output
    from datasets import load_dataset

    raw = {r["doc_id"]: r for split in load_dataset(str(tmp_path / "ds"), "raw", cache_dir=str(tmp_path / "c")).values() for r in split}
    row = raw[new["doc_id"]]
    assert row["title"] == "পরীক্ষার একটি পাতা" and row["published_at"].timestamp() == 1796012100
    for m in row["map"]:  # the given title comes from no raw bytes; the body maps back exactly
        assert text[m["start"]:m["end"]].encode() == page.read_bytes()[m["raw_start"]:m["raw_end"]]


def test_clean_writes_no_text_for_a_page_with_a_problem(cli, corpus: Path) -> None:
    (corpus / "raw/captures/009_test.txt").write_text(PAGE, encoding="utf-8")
    with open(corpus / "raw/sources.csv", "a", encoding="utf-8") as f:
        f.write("009_test,Test Outlet,,text,captures/009_test.txt,,written for the tests,\n")
    result = cli.invoke(app, ["clean", "--root", str(corpus)])
    assert result.exit_code == 1 and "capture-no-title" in result.stderr
    assert not (corpus / "text/009_test.txt").exists()


@pytest.mark.skipif(not SAMPLE.is_file(), reason="shared real data absent")
def test_the_real_bengali_sample_is_added_with_a_title(cli, corpus: Path) -> None:
    args = ["add", str(SAMPLE), "--root", str(corpus), "--outlet", "Unknown", "--rights", "newspaper4k test data (MIT)"]
    assert cli.invoke(app, args).exit_code == 1
    done = cli.invoke(app, [*args, "--title", "লোকসভা নির্বাচনে তৃণমূলের নজরে বীরভূম"])
    assert done.exit_code == 0, done.output
    assert cli.invoke(app, ["check", "--root", str(corpus)]).exit_code == 0
