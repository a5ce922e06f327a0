"""HTML route: trafilatura with ZWJ/ZWNJ protection, charset checks, dates from JSON-LD or visible text."""

import json
import unicodedata
from datetime import datetime
from pathlib import Path

import pytest

from builder.clean import clean_source
from builder.dates import DHAKA
from builder.extract import clean_html, decode_html
from builder.records import Source

SHARED = Path(__file__).resolve().parents[2] / "shared"
TITLE = "র\u200d্যাবের অভিযানে উত্\u200dসবের আগে তিনজন গ্রেপ্তার"
PARAS = [
    "ঢাকা, ১৩ আগস্ট, ২০২৫ (বাসস) : রাজধানীর কারওয়ান বাজারে অভিযান চালিয়ে তিনজনকে গ্রেপ্তার করেছে "
    "র\u200d্যাব। বুধবার সকালে এই অভিযান চালানো হয় বলে বাহিনীর এক কর্মকর্তা সাংবাদিকদের জানিয়েছেন।",
    "গ্রেপ্তারকৃতদের কাছ থেকে বিপুল পরিমাণ মাদক উদ্ধার করা হয়েছে। তাদের বিরুদ্ধে তেজগাঁও থানায় "
    "মামলা দায়ের করা হয়েছে এবং আদালতে পাঠানোর প্রস্তুতি চলছে বলে পুলিশ জানিয়েছে।",
    "স্থানীয় ব্যবসায়ীরা বলেছেন, উৎসবের আগে এ ধরনের অভিযান বাজারে স্বস্তি ফিরিয়ে আনবে। "
    "তবে কেউ কেউ ক্\u200cষতিগ্রস্ত হওয়ার আশঙ্কাও প্রকাশ করেছেন।",
]


def _page(*, charset: str = "utf-8", jsonld: bool = True, body: list[str] | None = None,
          dateline: str = "") -> str:
    ld = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle", "headline": TITLE,
                     "datePublished": "2025-08-13T13:21:00+06:00"}, ensure_ascii=False)
    paras = "\n".join(f"<p>{p}</p>" for p in (PARAS if body is None else body))
    return f"""<!DOCTYPE html>
<html lang="bn"><head><meta charset="{charset}"><title>{TITLE}</title>
{'<script type="application/ld+json">' + ld + '</script>' if jsonld else ''}
</head><body>
<header><nav><a href="/">প্রচ্ছদ</a> <a href="/bd">বাংলাদেশ</a> <a href="/world">আন্তর্জাতিক</a></nav></header>
<article><h1>{TITLE}</h1><div class="byline">নিজস্ব প্রতিবেদক</div>{dateline}
{paras}
</article>
<footer><p>স্বত্ব © ২০২৫ সর্বস্বত্ব সংরক্ষিত</p></footer>
</body></html>"""


def test_bengali_page_body_title_date_and_zwj() -> None:
    c, problems = clean_html(_page().encode("utf-8"), "h1")
    assert problems == []
    assert c.title == unicodedata.normalize("NFC", TITLE)
    body = c.text.split("\n\n")
    assert body[0] == c.title and body[1:] == PARAS  # the <h1> is not repeated in the body
    assert "র\u200d্যাব" in c.text and "উত্\u200dসব" in c.text and "ক্\u200cষ" in c.text
    assert c.published_at == datetime(2025, 8, 13, 13, 21, tzinfo=DHAKA)
    assert unicodedata.is_normalized("NFC", c.text)
    assert "প্রচ্ছদ" not in c.text and "সর্বস্বত্ব" not in c.text


def test_zwj_entities_survive() -> None:
    page = _page().replace("\u200d", "&zwj;").replace("\u200c", "&#x200C;")
    c, problems = clean_html(page.encode("utf-8"), "h2")
    assert problems == []
    assert "র\u200d্যাব" in c.text and "ক্\u200cষ" in c.text


def test_visible_date_when_no_jsonld() -> None:
    page = _page(jsonld=False, dateline="<div class='time'>প্রকাশ: আগস্ট ১৫, ২০২২, ০১:৪২ পিএম</div>")
    c, _ = clean_html(page.encode("utf-8"), "h3")
    assert c.published_at == datetime(2022, 8, 15, 13, 42, tzinfo=DHAKA)


def test_wrong_charset_is_a_problem() -> None:
    c, problems = clean_html(_page(charset="windows-1252").encode("utf-8"), "h4")
    assert [p.code for p in problems] == ["html-bad-encoding"]
    assert c.text == ""


def test_undecodable_bytes_are_a_problem() -> None:
    data = _page().encode("utf-8").replace("অভিযান".encode("utf-8"), b"\xff\xfe", 1)
    _, problems = clean_html(data, "h5", file="raw/html/h5.html")
    assert [(p.code, p.file) for p in problems] == [("html-bad-encoding", "raw/html/h5.html")]


def test_declared_legacy_charset_is_used() -> None:
    page = "<html><head><meta http-equiv='Content-Type' content='text/html; charset=iso-8859-1'></head>" \
           "<body><p>Caf\u00e9</p></body></html>"
    text, reason = decode_html(page.encode("latin-1"))
    assert text is not None and "Caf\u00e9" in text and reason == ""


# A page rendered by JavaScript: the capture holds only the shell.
_SHELL = f"""<!DOCTYPE html><html lang="bn"><head><meta charset="utf-8"><title>{TITLE}</title>
<script src="/app.js"></script></head><body><div id="root"></div>
<noscript>জাভাস্ক্রিপ্ট চালু করুন</noscript></body></html>"""


def test_empty_body_is_a_problem() -> None:
    c, problems = clean_html(_SHELL.encode("utf-8"), "h6")
    assert [p.code for p in problems] == ["html-empty-body"]
    assert c.title == unicodedata.normalize("NFC", TITLE)


def test_placeholder_clash_is_refused() -> None:
    page = _page(body=PARAS + ["\u16ee রুনিক অক্ষর এখানে।"])
    _, problems = clean_html(page.encode("utf-8"), "h7")
    assert [p.code for p in problems] == ["html-placeholder-clash"]


def test_clean_source_dispatches_html(tmp_path: Path) -> None:
    (tmp_path / "html").mkdir()
    (tmp_path / "html" / "h8.html").write_bytes(_page().encode("utf-8"))
    source = Source("h8", "Test", None, "html", "html/h8.html", None, "test", None)
    cleaned, problems = clean_source(source, tmp_path)
    assert problems == [] and cleaned is not None and cleaned.text.split("\n\n")[1:] == PARAS
    (tmp_path / "html" / "h8.html").write_bytes(_SHELL.encode("utf-8"))
    cleaned, problems = clean_source(source, tmp_path)
    assert cleaned is None and "html-empty-body" in [p.code for p in problems]


def test_real_pages_keep_gold_snippets() -> None:
    root = SHARED / "realdata" / "adbar-trafilatura"
    if not (root / "evaldata_subset.json").is_file():
        pytest.skip("shared real data not available")
    gold = json.loads((root / "evaldata_subset.json").read_text(encoding="utf-8"))
    for entry in gold.values():
        c, problems = clean_html((root / "html" / entry["file"]).read_bytes(), "real")
        assert problems == [], entry["file"]
        missing = [s for s in entry.get("with", []) if s not in c.text]
        assert missing == [], entry["file"]
        assert unicodedata.is_normalized("NFC", c.text)
