"""The extraction quality gate (`builder eval`): the gate itself on every golden set present, and the gate's
own machinery: a worse extractor fails it, --update never lowers a floor unasked, a changed golden set is caught."""

from __future__ import annotations

import json
import shutil
import unicodedata
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import lxml.html
import pytest
from typer.testing import CliRunner

from builder.clean.dates import DHAKA
from builder.clean.extract import clean_html
from builder.cli.main import app
from builder.evaluate import score as E
from builder.evaluate import floors as F
from builder.evaluate import goldsets as G

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "realdata"


def _explain(report: E.EvalReport) -> str:
    """Every imperfect page and what went wrong on it, for an assertion message."""
    out = []
    for s in report.sets:
        out += [f"{s.name}/{p.page_id}: {n}" for p in s.pages for n in p.notes()]
    return "\n".join(out)


# ------------------------------------------------------------------ the gate


def test_gate_our_pages() -> None:
    report = E.evaluate_sets(REPO, ["ours"])
    failures = F.check_floors(report, F.load_floors(REPO))
    assert failures == [], "\n".join(failures) + "\n" + _explain(report)


@pytest.mark.parametrize("name", ["trafilatura", "newspaper4k"])
def test_gate_shared_pages(name: str) -> None:
    report = E.evaluate_sets(REPO, [name])
    if not report.sets:
        pytest.skip(f"shared real data not available ({', '.join(report.skipped)})")
    failures = F.check_floors(report, F.load_floors(REPO))
    assert failures == [], "\n".join(failures) + "\n" + _explain(report)


def test_every_present_set_has_floors() -> None:
    sets, _ = G.load_page_sets(REPO)
    pinned = F.load_floors(REPO)["sets"]
    for s in sets:
        assert s.name in pinned and set(pinned[s.name]["floors"]) >= {"title", "date"}, s.name
    assert set(pinned["ours"]["floors"]) == set(E.METRICS)


# ------------------------------------------------------------------ the golden set itself


def _visible(html: bytes) -> str:
    tree = lxml.html.document_fromstring(html)
    for bad in tree.xpath("//script | //style | //head"):
        bad.drop_tree()
    return G.normalize_line(tree.text_content())


def test_our_golden_set_matches_its_pages() -> None:
    ours = G.load_ours(REPO)
    assert len(ours.pages) >= 6
    words = set()
    for page in ours.pages:
        visible = _visible(page.html)
        assert page.body, page.page_id
        for line in page.body:  # the gold was copied from the page, not invented
            assert line in visible, f"{page.page_id}: gold line not on the page: {line[:60]}"
        assert page.title in visible, page.page_id
        assert any(s in visible for s in page.without), page.page_id  # boilerplate really is on the page
        assert unicodedata.is_normalized("NFC", visible), page.page_id
        words |= {w for line in page.body for w in line.split() if "\u200d" in w or "\u200c" in w}
    assert any(w.startswith("র\u200d্যাব") for w in words)  # র‍্যাব with its ZWJ
    assert any("\u200c" in w for w in words)  # and a ZWNJ word
    html = b"".join(p.html for p in ours.pages).decode("utf-8")
    for boilerplate in ("Link copied!", "সর্বশেষ", "জনপ্রিয়", "বিজ্ঞাপন", "আরও পড়ুন", "comment-list", "<br><br>"):
        assert boilerplate in html, boilerplate


def test_gold_json_errors_name_the_page(tmp_path: Path) -> None:
    root = _eval_copy(tmp_path)
    gold = json.loads((root / G.GOLD_FILE).read_text(encoding="utf-8"))
    page = gold["pages"]["t1-semantic-bss"]
    page["body"][0] = page["body"][0] + "  "
    page["with"] = ["এই কথাটি কোথাও নেই"]
    gold["pages"]["t3-jsonld-rab"]["published"] = "২১ সেপ্টেম্বর"
    (root / G.GOLD_FILE).write_text(json.dumps(gold, ensure_ascii=False), encoding="utf-8")
    (root / G.PAGES_DIR / "stray.html").write_text("<p>x</p>", encoding="utf-8")
    with pytest.raises(G.BadGoldSet) as err:
        G.load_ours(root)
    msg = str(err.value)
    assert "t1-semantic-bss: body[0] is not whitespace-normalised NFC" in msg
    assert "t1-semantic-bss: 'with' snippet 'এই কথাটি কোথাও নেই' is not in the body" in msg
    assert "t3-jsonld-rab: 'published' must be an ISO 8601" in msg
    assert "eval/pages/stray.html: page has no entry" in msg


# ------------------------------------------------------------------ scoring


def _drop_last_paragraph(raw: bytes, doc_id: str, *, file: str | None = None):
    """A deliberately worse extractor: the real one, minus each page's last paragraph."""
    cleaned, problems = clean_html(raw, doc_id, file=file)
    return replace(cleaned, text=cleaned.text.rsplit("\n\n", 1)[0]), problems


def test_worse_extractor_falls_below_the_floor() -> None:
    report = E.evaluate_sets(REPO, ["ours"], extractor=_drop_last_paragraph)
    failures = F.check_floors(report, F.load_floors(REPO))
    assert any(f.startswith("ours: recall ") and "below its floor" in f for f in failures), failures
    t1 = next(p for p in report.sets[0].pages if p.page_id == "t1-semantic-bss")
    assert t1.missing and t1.recall == pytest.approx(12 / 13) and t1.precision == 1.0
    assert any(n.startswith("missing line: উত্তর কোরিয়া এপ্রিল মাসে") for n in t1.notes())


def test_line_scores_count_duplicates_and_drop_the_title() -> None:
    page = G.GoldPage("p", "p.html", b"", body=("ক খ", "গ ঘ", "গ ঘ"), title="শিরোনাম", published="2025-08-13")

    def fake(raw, doc_id, *, file=None):
        text = "শিরোনাম\n\nক  খ\n\nগ ঘ\n\nবিজ্ঞাপন"
        return E.Cleaned(doc_id, text, title="শিরোনাম", published_at=datetime(2025, 8, 13, 1, 0, tzinfo=DHAKA)), []

    s = E.score_page(page, fake)
    assert (s.matched, s.got_lines, s.gold_lines) == (2, 3, 3)
    assert s.missing == () and s.extra == ("বিজ্ঞাপন",)  # "গ ঘ" was found, once of twice
    assert s.precision == pytest.approx(2 / 3) and s.recall == pytest.approx(2 / 3)
    assert s.title_ok and s.date_ok


def test_a_crash_scores_zero_and_says_why() -> None:
    page = G.GoldPage("p", "p.html", b"", body=("ক",), title="খ")

    def boom(raw, doc_id, *, file=None):
        raise ValueError("bad page")

    s = E.score_page(page, boom)
    assert s.recall == 0.0 and s.problems == ("crash ValueError: bad page",) and s.title_ok is False


def test_zwj_words_must_survive() -> None:
    rab = "র\u200d্যাবের"
    page = G.GoldPage("p", "p.html", b"", body=(f"{rab} অভিযান", f"আবার {rab}"), title="ক")

    def stripped(raw, doc_id, *, file=None):  # the ZWJ of the first র‍্যাবের is gone
        return E.Cleaned(doc_id, f"ক\n\nর্যাবের অভিযান\n\nআবার {rab}", title="ক"), []

    s = E.score_page(page, stripped)
    assert (s.zwj_kept, s.zwj_total) == (1, 2)
    assert E.set_metrics([s])["zwj"] == 0.5


def test_dates_compare_instants_or_days() -> None:
    assert E.date_matches(datetime(2025, 7, 3, 12, 30, tzinfo=UTC), "2025-07-03T18:30:00+06:00")
    assert not E.date_matches(datetime(2025, 7, 3, 12, 30, tzinfo=DHAKA), "2025-07-03T18:30:00+06:00")
    assert E.date_matches(datetime(2020, 2, 19, 23, 0, tzinfo=timezone(timedelta(hours=8))), "2020-02-19")
    assert E.date_matches(date(2020, 2, 19), "2020-02-19")
    assert not E.date_matches(date(2025, 7, 3), "2025-07-03T18:30:00+06:00")  # a day is not a time
    assert not E.date_matches(None, "2020-02-19")


def test_floor3_rounds_down() -> None:
    assert F.floor3(0.963) == 0.963 and F.floor3(0.9639) == 0.963 and F.floor3(2 / 3) == 0.666 and F.floor3(1.0) == 1.0


# ------------------------------------------------------------------ floors: check, update, fingerprint


def _eval_copy(tmp_path: Path) -> Path:
    """A repository root holding only a copy of eval/ (no ../shared next to it)."""
    root = tmp_path / "repo"
    shutil.copytree(REPO / "eval", root / "eval")
    return root


def _report(metrics: dict[str, float], fp: str = "f" * 64) -> E.EvalReport:
    return E.EvalReport((E.SetScore("ours", "eval/pages", fp, (), metrics),))


def test_update_raises_floors_rounded_down(tmp_path: Path) -> None:
    floors = {"sets": {"ours": {"fingerprint": "f" * 64, "floors": {"recall": 0.5}}}}
    new, changes = F.raise_floors(_report({"recall": 0.83379, "f1": 0.9}), floors)
    assert new["sets"]["ours"]["floors"] == {"recall": 0.833, "f1": 0.9}
    assert changes == ["ours: recall raised 0.500 → 0.833", "ours: f1 pinned at 0.900"]
    assert floors["sets"]["ours"]["floors"] == {"recall": 0.5}  # the input is not modified


def test_update_refuses_to_lower_a_floor(tmp_path: Path) -> None:
    root = _eval_copy(tmp_path)
    before = (root / F.FLOORS_FILE).read_bytes()
    pinned = F.load_floors(root)["sets"]["ours"]
    worse = dict(pinned["floors"], recall=pinned["floors"]["recall"] - 0.1, f1=1.0)
    with pytest.raises(F.FloorRegression) as err:
        F.update_floors(_report(worse, pinned["fingerprint"]), root)
    assert "ours: recall" in str(err.value) and "f1" not in str(err.value)
    assert (root / F.FLOORS_FILE).read_bytes() == before  # nothing written, not even the raised f1

    changes = F.update_floors(_report(worse, pinned["fingerprint"]), root, allow_regression=True)
    after = F.load_floors(root)["sets"]["ours"]["floors"]
    assert after["recall"] == F.floor3(worse["recall"]) and after["f1"] == 1.0
    assert any(c.startswith("LOWERED ours: recall") for c in changes)
    assert [p.name for p in (root / "eval").iterdir() if p.name.startswith(".")] == []  # no temp file left


def test_dropping_a_metric_counts_as_lowering() -> None:
    floors = {"sets": {"ours": {"fingerprint": "f" * 64, "floors": {"recall": 0.5, "zwj": 1.0}}}}
    with pytest.raises(F.FloorRegression, match="zwj floor 1.000 dropped"):
        F.raise_floors(_report({"recall": 0.9}), floors)


def test_check_lists_every_failure() -> None:
    floors = {"sets": {"ours": {"fingerprint": "a" * 64, "floors": {"recall": 0.9, "zwj": 1.0, "title": 1.0}}}}
    failures = F.check_floors(_report({"recall": 0.8, "title": 1.0}, "b" * 64), floors)
    assert failures[0].startswith("ours: the golden set changed since its floors were pinned")
    assert failures[1:] == ["ours: recall 0.800 is below its floor 0.900", "ours: zwj has a floor (1.000) but was not measured"]
    assert F.check_floors(_report({"recall": 0.9, "zwj": 1.0, "title": 1.0}, "a" * 64), floors) == []
    assert F.check_floors(_report({}), {"sets": {}}) == ["ours: no floors pinned in eval/floors.json"]


def test_changed_golden_set_is_caught_until_acknowledged(tmp_path: Path) -> None:
    root = _eval_copy(tmp_path)
    gold = json.loads((root / G.GOLD_FILE).read_text(encoding="utf-8"))
    gold["pages"]["t4-wordpress-comments"]["without"].append("উত্তর দিন")
    (root / G.GOLD_FILE).write_text(json.dumps(gold, ensure_ascii=False, indent=1), encoding="utf-8")
    report = E.evaluate_sets(root)
    assert report.skipped == ("trafilatura: ../shared/realdata/adbar-trafilatura not present",
                              "newspaper4k: ../shared/realdata/AndyTheFactory-newspaper4k not present")
    failures = F.check_floors(report, F.load_floors(root))
    assert len(failures) == 1 and "golden set changed" in failures[0], failures
    F.update_floors(report, root)
    assert F.check_floors(report, F.load_floors(root)) == []
    assert F.load_floors(root)["sets"]["ours"]["fingerprint"] == report.sets[0].fingerprint


def test_page_bytes_are_part_of_the_fingerprint(tmp_path: Path) -> None:
    root = _eval_copy(tmp_path)
    before = G.load_ours(root).fingerprint
    page = root / G.PAGES_DIR / "t3-jsonld-rab.html"
    page.write_bytes(page.read_bytes().replace(b"</body>", b"<!-- edited --></body>"))
    assert G.load_ours(root).fingerprint != before


# ------------------------------------------------------------------ the command


def test_command_passes_on_the_repository(cli: CliRunner, tmp_path: Path) -> None:
    root = _eval_copy(tmp_path)  # without ../shared: only our set, so the test is quick
    result = cli.invoke(app, ["eval", "--root", str(root)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:6] == ["set", "pages", "P", "R", "F1", "title"]
    assert lines[1].split()[:2] == ["ours", "6"]
    assert "skipped trafilatura: ../shared/realdata/adbar-trafilatura not present" in result.output
    assert "ok: every score is at or above its floor" in result.output
    assert str(tmp_path) not in result.output  # no machine paths in what we print


def test_command_exits_1_below_a_floor(cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _eval_copy(tmp_path)
    monkeypatch.setattr("builder.clean.extract.clean_html", _drop_last_paragraph)
    result = cli.invoke(app, ["eval", "--root", str(root)])
    assert result.exit_code == 1
    assert "FAIL ours: recall" in result.output and "BELOW" in result.output
    assert "hint: the pages above show where extraction went wrong" in result.output


def test_command_update_refuses_then_allows(cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _eval_copy(tmp_path)
    before = (root / F.FLOORS_FILE).read_bytes()
    monkeypatch.setattr("builder.clean.extract.clean_html", _drop_last_paragraph)
    result = cli.invoke(app, ["eval", "--root", str(root), "--update"])
    assert result.exit_code == 1 and "refusing to lower" in result.output
    assert (root / F.FLOORS_FILE).read_bytes() == before
    result = cli.invoke(app, ["eval", "--root", str(root), "--allow-regression"])
    assert result.exit_code == 2  # only with --update
    result = cli.invoke(app, ["eval", "--root", str(root), "--update", "--allow-regression"])
    assert result.exit_code == 0 and "LOWERED ours: recall" in result.output
    assert cli.invoke(app, ["eval", "--root", str(root)]).exit_code == 0


def test_command_asks_to_acknowledge_a_changed_set(cli: CliRunner, tmp_path: Path) -> None:
    root = _eval_copy(tmp_path)
    page = root / G.PAGES_DIR / "t1-semantic-bss.html"
    page.write_bytes(page.read_bytes() + b"\n")
    result = cli.invoke(app, ["eval", "--root", str(root)])
    assert result.exit_code == 1 and "golden set changed" in result.output
    assert "run `builder eval --update`" in result.output
    assert cli.invoke(app, ["eval", "--root", str(root), "--update"]).exit_code == 0
    assert cli.invoke(app, ["eval", "--root", str(root)]).exit_code == 0
