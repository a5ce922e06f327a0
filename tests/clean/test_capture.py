"""Text-capture cleaner on the two seed captures, on synthetic captures, and `clean_all`."""

import hashlib
import shutil
import unicodedata
from datetime import datetime
from pathlib import Path

import pytest

from builder.clean.capture import clean_capture
from builder.clean.dates import DHAKA
from builder.clean.pages import clean_all, clean_source
from builder.records import Source

REPO = Path(__file__).resolve().parents[2]
RAW = REPO / "raw"
SHARED = Path(__file__).resolve().parents[3] / "shared"
BSS = "000_ba2a176cc4aaac8d"
AMAR = "003_def7398b55f8b37b"


def _clean(doc_id: str):
    raw = (RAW / "captures" / f"{doc_id}.txt").read_text(encoding="utf-8")
    cleaned, problems = clean_capture(raw, doc_id)
    assert problems == []
    return cleaned


def _paragraphs(text: str) -> list[str]:
    return text.split("\n\n")[1:]


def test_bss_seed() -> None:
    c = _clean(BSS)
    assert c.title == "ট্রাম্পের সঙ্গে আলাস্কা সম্মেলনের আগে ফোনে পুতিন ও কিমের ফোনালাপ"
    assert c.text.startswith(c.title + "\n\n")
    paras = _paragraphs(c.text)
    assert len(paras) == 13
    assert paras[4].startswith("জবাবে কিম বলেন") and paras[5].startswith("ক্রেমলিন এক বিবৃতিতে")
    assert paras[-1].startswith("উত্তর কোরিয়া এপ্রিল মাসে")
    assert c.published_at == datetime(2025, 8, 13, 13, 21, tzinfo=DHAKA)
    assert c.published_at.isoformat() == "2025-08-13T13:21:00+06:00"
    assert c.byline == "বাসস" and c.outlet_evidence == "বাসস"
    assert c.dateline is not None
    assert c.text[c.dateline.start : c.dateline.end] == c.dateline.text == "ঢাকা, ১৩ আগস্ট, ২০২৫ (বাসস) : "
    assert (c.dateline.start, c.dateline.end) == (66, 96)
    assert (c.dateline_place, c.dateline_agency) == ("ঢাকা", "বাসস")
    assert c.source_line is None and c.credit is None and c.masthead_date is None
    assert len(c.text) == 2149
    assert c.dropped == {"after-cut": 10, "byline": 1, "list-head": 2, "numeric": 1, "published": 1}


def test_amar_seed() -> None:
    c = _clean(AMAR)
    assert c.title == "উত্তর কোরিয়ার সঙ্গে সম্পর্ক বাড়ানোর অঙ্গীকারে পুতিনের চিঠি"
    assert c.text.count(c.title) == 1  # the repeated title is dropped
    paras = _paragraphs(c.text)
    assert len(paras) == 8
    assert paras[3].startswith("এরইমধ্যে") and paras[4].startswith("শত্রুপক্ষ কে")
    assert c.published_at == datetime(2022, 8, 15, 13, 42, tzinfo=DHAKA)
    assert c.published_at.isoformat() == "2022-08-15T13:42:00+06:00"
    # The masthead is the page render date, not the publish date.
    assert c.masthead_date == "2025-08-01"
    assert c.published_at.date().isoformat() != c.masthead_date
    assert c.byline == "আন্তর্জাতিক ডেস্ক"
    assert c.outlet_evidence == "Amar Sangbad"
    assert c.credit == "আমারসংবাদ/টিএইচ" and c.credit not in c.text
    assert c.source_line is not None
    assert c.text[c.source_line.start : c.source_line.end] == c.source_line.text == "বিবিসি"
    assert c.text.endswith("সূত্র: বিবিসি")
    assert c.dateline is None
    assert len(c.text) == 1689
    assert c.dropped["social"] == 12 and c.dropped["ui-latin"] == 12


@pytest.mark.parametrize("doc_id", [BSS, AMAR])
def test_no_boilerplate_and_nfc(doc_id: str) -> None:
    c = _clean(doc_id)
    for junk in ("Link copied!", "Amar Sangbad", "ফেসবুক", "ইউটিউব", "সর্বশেষ", "জনপ্রিয়", "•",
                 "প্রকাশ:", "ঢাকা শুক্রবার", "আমারসংবাদ/টিএইচ", "রোহিঙ্গা যুবক"):
        assert junk not in c.text
    assert unicodedata.is_normalized("NFC", c.text)
    assert "\n\n\n" not in c.text
    assert all(line == line.rstrip() and line for line in c.text.split("\n\n"))
    assert not c.text.endswith("\n")


@pytest.mark.parametrize("doc_id", [BSS, AMAR])
def test_kept_lines_are_verbatim(doc_id: str) -> None:
    raw_lines = {ln.rstrip() for ln in (RAW / "captures" / f"{doc_id}.txt").read_text(encoding="utf-8").split("\n")}
    c = _clean(doc_id)
    assert all(p in raw_lines for p in c.text.split("\n\n"))


def _capture(body: str) -> str:
    return (
        "ঢাকায় নতুন উড়ালসড়কের উদ্বোধন আজ\n\nনিজস্ব প্রতিবেদক\nপ্রকাশ: ১৩ আগস্ট ২০২৫, ১৩:২১\n\n"
        + body
        + "\n\n  • সর্বশেষ\nঅন্য একটি শিরোনাম এখানে আছে\n"
    )


def test_zwj_and_nbsp_survive() -> None:
    body = "র\u200d্যাব জানিয়েছে, অভিযান\u00a0চলছে। উত্\u200dসব ক্\u200cষ বাতিল হয়নি।"
    c, problems = clean_capture(_capture(body), "x1")
    assert problems == []
    assert "র\u200d্যাব" in c.text and "উত্\u200dসব" in c.text and "ক্\u200cষ" in c.text
    assert "\u00a0" in c.text
    assert c.byline == "নিজস্ব প্রতিবেদক"


def test_precomposed_ya_is_decomposed() -> None:
    body = "সম\u09df এখন দুপুর, ঢাকা শহরে বৃষ্টি হচ্ছে।"
    c, _ = clean_capture(_capture(body), "x2")
    assert "\u09df" not in c.text
    assert "সম\u09af\u09bc এখন" in c.text
    assert c.text.split("\n\n")[1] == unicodedata.normalize("NFC", body)


def test_crlf_capture_gives_same_text() -> None:
    body = "প্রথম অনুচ্ছেদ এখানে।\n\nদ্বিতীয় অনুচ্ছেদ এখানে।"
    lf, _ = clean_capture(_capture(body), "x3")
    crlf, _ = clean_capture(_capture(body).replace("\n", "\r\n"), "x3")
    assert lf.text == crlf.text
    assert len(_paragraphs(lf.text)) == 2


def test_empty_body_is_a_problem() -> None:
    c, problems = clean_capture("ফেসবুক\n\nLink copied!\nশিরোনাম আছে কিন্তু লেখা নেই\n", "x4",
                                file="raw/captures/x4.txt")
    codes = [p.code for p in problems]
    assert "capture-empty-body" in codes
    p = problems[codes.index("capture-empty-body")]
    assert p.file == "raw/captures/x4.txt" and p.record == "doc_id=x4"


def test_date_only_published_line_is_reported() -> None:
    raw = "ঢাকায় নতুন উড়ালসড়কের উদ্বোধন আজ\n\nপ্রকাশ: ১৩ আগস্ট ২০২৫\n\nএকটি অনুচ্ছেদ এখানে।\n"
    c, problems = clean_capture(raw, "x5")
    assert c.published_at is None
    assert [(p.code, p.pointer) for p in problems] == [("capture-date-only", "line 3")]


def _source(doc_id: str, capture_file: str, kind: str = "text") -> Source:
    return Source(doc_id, "Test", None, kind, capture_file, None, "test", None)


def test_clean_source_bad_encoding(tmp_path: Path) -> None:
    (tmp_path / "captures").mkdir()
    good = "শিরোনাম এখানে আছে ঠিক\n\nএকটি অনুচ্ছেদ।\n".encode("utf-8")
    (tmp_path / "captures" / "b.txt").write_bytes(good[:5] + b"\xff\xfe" + good[5:])
    cleaned, problems = clean_source(_source("b", "captures/b.txt"), tmp_path)
    assert cleaned is None
    assert [p.code for p in problems] == ["capture-bad-encoding"]
    assert problems[0].file == "raw/captures/b.txt"


def test_clean_source_dispatches_text(tmp_path: Path) -> None:
    shutil.copytree(RAW / "captures", tmp_path / "captures")
    cleaned, problems = clean_source(_source(BSS, f"captures/{BSS}.txt"), tmp_path)
    assert problems == [] and cleaned is not None and len(cleaned.text) == 2149


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_clean_all_reproduces_committed_texts(tmp_path: Path) -> None:
    before = _digest(RAW)
    cleaned, problems = clean_all(RAW, tmp_path / "text")
    assert problems == []
    assert _digest(RAW) == before  # raw/ is read, never written
    assert sorted(c.doc_id for c in cleaned) == [BSS, AMAR]
    for doc_id in (BSS, AMAR):
        committed = (REPO / "text" / f"{doc_id}.txt").read_bytes()
        assert (tmp_path / "text" / f"{doc_id}.txt").read_bytes() == committed
    assert sorted(p.name for p in (tmp_path / "text").iterdir()) == [f"{BSS}.txt", f"{AMAR}.txt", "raw_sha256.csv"]
    assert (tmp_path / "text" / "raw_sha256.csv").read_bytes() == (REPO / "text" / "raw_sha256.csv").read_bytes()


def test_clean_all_refuses_text_dir_inside_raw(tmp_path: Path) -> None:
    shutil.copytree(RAW, tmp_path / "raw")
    with pytest.raises(ValueError):
        clean_all(tmp_path / "raw", tmp_path / "raw" / "text")


def test_real_bengali_article_text() -> None:
    path = SHARED / "realdata" / "AndyTheFactory-newspaper4k" / "txt__bengali_article.txt"
    if not path.is_file():
        pytest.skip("shared real data not available")
    raw = path.read_text(encoding="utf-8")
    c, problems = clean_capture(raw, "bn-real")
    # A bare article body: no headline found, but every paragraph is kept verbatim.
    assert "capture-empty-body" not in [p.code for p in problems]
    assert unicodedata.is_normalized("NFC", c.text)
    kept = [ln.rstrip() for ln in unicodedata.normalize("NFC", raw).splitlines() if ln.strip()]
    assert c.text.split("\n\n") == kept


def test_published_and_updated_on_one_line() -> None:
    raw = ("ঢাকায় নতুন উড়ালসড়কের উদ্বোধন আজ\n\nনিজস্ব প্রতিবেদক\n"
           "প্রকাশ: ১৩ আগস্ট ২০২৫, ১৩:২১ | আপডেট: ১৩ আগস্ট ২০২৫, ১৫:০৫\n\nএকটি অনুচ্ছেদ এখানে।\n")
    c, problems = clean_capture(raw, "x6")
    assert problems == []
    assert c.published_at == datetime(2025, 8, 13, 13, 21, tzinfo=DHAKA)
    assert c.updated_at == datetime(2025, 8, 13, 15, 5, tzinfo=DHAKA)
    assert c.text == "ঢাকায় নতুন উড়ালসড়কের উদ্বোধন আজ\n\nএকটি অনুচ্ছেদ এখানে।"


def test_inline_read_more_is_dropped_without_ending_the_body() -> None:
    body = "প্রথম অনুচ্ছেদ এখানে।\nআরও পড়ুন: অন্য খবরের শিরোনাম\nদ্বিতীয় অনুচ্ছেদ এখানে।"
    c, _ = clean_capture(_capture(body), "x7")
    assert _paragraphs(c.text) == ["প্রথম অনুচ্ছেদ এখানে।", "দ্বিতীয় অনুচ্ছেদ এখানে।"]
    assert c.dropped["read-more"] == 1 and c.dropped["after-cut"] == 1


def test_dateline_without_date() -> None:
    c, _ = clean_capture(_capture("চট্টগ্রাম (বাসস) : বন্দরে নতুন জেটি চালু হয়েছে।"), "x8")
    assert c.dateline is not None and c.dateline.text == "চট্টগ্রাম (বাসস) : "
    assert c.text[c.dateline.start : c.dateline.end] == c.dateline.text
    assert (c.dateline_place, c.dateline_agency) == ("চট্টগ্রাম", "বাসস")
    plain, _ = clean_capture(_capture("মন্ত্রী বলেছেন: কাজ চলছে।"), "x9")
    assert plain.dateline is None


def test_clean_all_keeps_annotated_texts(tmp_path: Path) -> None:
    text_dir = tmp_path / "text"
    text_dir.mkdir()
    (text_dir / f"{BSS}.txt").write_bytes("পুরনো লেখা".encode("utf-8"))
    (text_dir / f"{AMAR}.txt").write_bytes("পুরনো লেখা".encode("utf-8"))
    _, problems = clean_all(RAW, text_dir, annotated={BSS})
    assert [(p.code, p.file) for p in problems] == [("text-drift", f"text/{BSS}.txt")]
    assert (text_dir / f"{BSS}.txt").read_bytes() == "পুরনো লেখা".encode("utf-8")
    assert (text_dir / f"{AMAR}.txt").read_bytes() == (REPO / "text" / f"{AMAR}.txt").read_bytes()
