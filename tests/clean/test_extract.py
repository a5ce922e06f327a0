"""HTML route: trafilatura with ZWJ/ZWNJ protection, charset checks, metadata (JSON-LD, then meta
tags, then visible text), credits, and hostile pages that must end in a named Problem.
"""

import json
import random
import time
import unicodedata
from datetime import datetime
from pathlib import Path

import pytest

from builder.clean import extract
from builder.clean.dates import DHAKA
from builder.clean.decode import decode_html
from builder.clean.extract import MAX_HTML_BYTES, clean_html
from builder.clean.pages import clean_source
from builder.records import Source

SHARED = Path(__file__).resolve().parents[3] / "shared"
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


# --- metadata: JSON-LD, then Open Graph / meta tags, then what the page prints --------------

AFP_PARAS = [PARAS[0], PARAS[1] + " বার্তা সংস্থা এএফপির খবরে একথা বলা হয়।", PARAS[2] + " সূত্র: বিবিসি, রয়টার্স"]


def _article(head: str, *, html_attrs: str = 'lang="bn"', top: str = "", paras: list[str] | None = None) -> bytes:
    body = "\n".join(f"<p>{p}</p>" for p in (AFP_PARAS if paras is None else paras))
    return f"""<!DOCTYPE html><html {html_attrs}><head><meta charset="utf-8">{head}</head><body>
<nav><a href="/">প্রচ্ছদ</a> <a href="/bd">বাংলাদেশ</a></nav>
<article>{top}{body}</article><footer><p>স্বত্ব © ২০২৫ সর্বস্বত্ব সংরক্ষিত</p></footer></body></html>""".encode("utf-8")


def test_jsonld_graph_fills_metadata_first() -> None:
    ld = {"@context": "https://schema.org", "@graph": [
        {"@type": "WebSite", "name": "ভুল নাম", "url": "https://example.com/"},
        {"@type": ["ReportageNewsArticle"], "headline": TITLE, "inLanguage": "bn-BD",
         "datePublished": "২০২৫-০৮-১৩T১৩:২১:০০+০৬:০০", "dateModified": "2025-08-13T15:00:00",
         "author": [{"@type": "Person", "name": "রহিম উদ্দিন"}, {"@type": "Organization", "name": "ইউএনবি"},
                    {"@type": "Organization", "name": "দৈনিক পরীক্ষা"}],
         "sourceOrganization": {"@type": "Organization", "name": "এএফপি"},
         "publisher": {"@type": "NewsMediaOrganization", "name": "দৈনিক পরীক্ষা"},
         "mainEntityOfPage": {"@type": "WebPage", "@id": "https://example.com/bd/123"}}]}
    head = (f'<title>অন্য শিরোনাম | দৈনিক পরীক্ষা</title><meta property="og:title" content="OG শিরোনাম">'
            '<meta property="article:published_time" content="2020-01-01T00:00:00+00:00">'
            '<meta property="og:site_name" content="OG সাইট"><meta name="author" content="মেটা লেখক">'
            '<link rel="canonical" href="https://example.com/canonical">'
            f'<script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script>')
    c, problems = clean_html(_article(head, html_attrs='lang="en"'), "ld")
    assert problems == []
    assert c.title == unicodedata.normalize("NFC", TITLE)
    assert c.published_at == datetime(2025, 8, 13, 13, 21, tzinfo=DHAKA)  # Bengali digits read
    assert c.updated_at == datetime(2025, 8, 13, 15, 0, tzinfo=DHAKA)  # no zone given: Asia/Dhaka
    assert c.published_at.utcoffset() is not None and c.updated_at.utcoffset() is not None
    assert c.authors == ("রহিম উদ্দিন",)
    assert c.outlet_evidence == "দৈনিক পরীক্ষা"
    assert c.canonical_url == "https://example.com/bd/123"
    assert c.language == "bn-BD"
    assert c.byline == "রহিম উদ্দিন"  # no byline printed: the structured authors
    # structured credits first (the publisher crediting itself is not one), then the text's
    assert c.agencies == ("ইউএনবি", "এএফপি", "বাসস", "বিবিসি", "রয়টার্স")
    assert c.content_type == "text/html; charset=utf-8"


def test_open_graph_and_meta_tags_when_there_is_no_jsonld() -> None:
    head = (f'<title>{TITLE} - পরীক্ষা নিউজ</title><meta property="og:title" content="{TITLE} | পরীক্ষা নিউজ">'
            '<meta property="og:site_name" content="পরীক্ষা নিউজ"><meta property="og:url" content="https://news.example/og">'
            '<link rel="canonical" href="https://news.example/a/9"><meta property="og:locale" content="bn_BD">'
            '<meta property="article:published_time" content="2025-08-13T07:21:00Z">'
            '<meta property="article:modified_time" content="2025-08-14T09:05:00">'
            '<meta name="author" content="করিম হাসান, সালমা বেগম">')
    c, problems = clean_html(_article(head, html_attrs=""), "og")
    assert problems == []
    assert c.title == unicodedata.normalize("NFC", TITLE)  # the site name is trimmed off og:title
    assert c.published_at == datetime(2025, 8, 13, 13, 21, tzinfo=DHAKA)  # same instant, UTC given
    assert c.updated_at == datetime(2025, 8, 14, 9, 5, tzinfo=DHAKA)
    assert c.authors == ("করিম হাসান", "সালমা বেগম")
    assert c.outlet_evidence == "পরীক্ষা নিউজ"
    assert c.canonical_url == "https://news.example/a/9"  # <link rel=canonical> before og:url
    assert c.language == "bn-BD"  # og:locale when <html> has no lang


def test_visible_byline_dateline_and_credits() -> None:
    top = ('<h1>' + TITLE + '</h1><div class="reporter-name">নিজস্ব প্রতিবেদক | প্রকাশ: আগস্ট ১৫, ২০২২, ০১:৪২ পিএম</div>'
           '<div class="time">আপডেট: আগস্ট ১৫, ২০২২, ০৩:০৫ পিএম</div>')
    paras = [*AFP_PARAS[:2], "বিজ্ঞাপন", AFP_PARAS[2], "আমারসংবাদ/টিএইচ"]
    c, problems = clean_html(_article(f"<title>{TITLE}</title>", top=top, paras=paras), "vis")
    assert problems == []
    assert c.published_at == datetime(2022, 8, 15, 13, 42, tzinfo=DHAKA)  # পিএম read, not dropped
    assert c.updated_at == datetime(2022, 8, 15, 15, 5, tzinfo=DHAKA)
    assert c.byline == "নিজস্ব প্রতিবেদক" and c.authors == ()  # a desk, not a person
    body = c.text.split("\n\n")[1:]
    assert body == [unicodedata.normalize("NFC", p) for p in AFP_PARAS]  # no ad label, no credit
    assert c.credit == "আমারসংবাদ/টিএইচ"
    assert c.dateline is not None and c.text[c.dateline.start : c.dateline.end] == c.dateline.text
    assert (c.dateline_place, c.dateline_agency) == ("ঢাকা", "বাসস")
    assert c.source_line is not None and c.text[c.source_line.start : c.source_line.end] == "বিবিসি, রয়টার্স"
    # in order of appearance, each agency once (এএফপির is the same AFP as বার্তা সংস্থা এএফপি)
    assert c.agencies == ("বাসস", "বার্তা সংস্থা এএফপি", "বিবিসি", "রয়টার্স")
    assert c.outlet_evidence == "বাসস"  # no site name anywhere: the dateline agency, as for captures
    assert c.dropped == {"advert": 1, "byline": 1, "credit": 1, "repeated-title": 1, "updated": 1}


def test_published_line_in_the_body_is_dropped() -> None:
    paras = ["প্রকাশ: ১৩ আগস্ট ২০২৫, ১৩:২১", *PARAS]
    c, problems = clean_html(_article(f"<title>{TITLE}</title>", top=f"<h1>{TITLE}</h1>", paras=paras), "pub")
    assert problems == [] and c.text.split("\n\n")[1:] == PARAS
    assert c.dateline is not None and c.published_at == datetime(2025, 8, 13, 13, 21, tzinfo=DHAKA)


def test_scripts_styles_noscript_and_templates_never_in_text() -> None:
    hidden = ["স্ক্রিপ্টের গোপন বাক্য", "স্টাইলের গোপন বাক্য", "নোস্ক্রিপ্টের গোপন বাক্য", "টেমপ্লেটের গোপন বাক্য"]
    top = (f"<script>document.write('<p>{hidden[0]}</p>')</script><style>p:after{{content:'{hidden[1]}'}}</style>"
           f"<noscript><p>{hidden[2]} যা দীর্ঘ এবং অনুচ্ছেদের মতো দেখায়।</p></noscript>"
           f"<template><p>{hidden[3]} যা দীর্ঘ এবং অনুচ্ছেদের মতো দেখায়।</p></template>")
    c, problems = clean_html(_article(f"<title>{TITLE}</title>", top=top), "hid")
    assert problems == [] and c.text
    assert not any(h in c.text for h in hidden)


# --- hostile input: every case a named Problem, bounded time, never an exception --------------

GENEROUS = 60.0  # seconds; these inputs are megabytes built to make naive code quadratic or recursive


def _timed(raw: bytes) -> tuple[list[str], float, str]:
    start = time.perf_counter()
    c, problems = clean_html(raw, "hostile")
    return [p.code for p in problems], time.perf_counter() - start, c.text


def test_too_large_is_refused_before_parsing() -> None:
    raw = b"<html><body><p>" + "সংবাদ ".encode() * 400_000 + b"</p></body></html>"
    assert len(raw) > MAX_HTML_BYTES
    codes, _, text = _timed(raw)
    assert codes == ["html-too-large"] and text == ""


def test_deep_nesting_is_bounded() -> None:
    for n in (5_000, 200_000):
        raw = ("<html><body>" + "<div>" * n + "<p>" + "সংবাদ " * 80 + "</p>" + "</div>" * n + "</body></html>").encode()
        codes, seconds, text = _timed(raw)
        assert codes == ["html-too-deep"] and text == "" and seconds < GENEROUS
    unclosed = ("<html><body>" + "<b>" * 500_000 + "সংবাদ " * 80).encode()
    codes, seconds, _ = _timed(unclosed)
    assert codes == ["html-too-deep"] and seconds < GENEROUS
    # shallow enough for the parser: extracted as usual
    ok = ("<html><body><article>" + "<div>" * 100 + "".join(f"<p>{p}</p>" for p in PARAS) + "</div>" * 100
          + "</article></body></html>").encode()
    codes, _, text = _timed(ok)
    assert "html-too-deep" not in codes and PARAS[1] in text


def test_binary_and_nul_bytes_are_not_html() -> None:
    assert _timed(random.Random(0).randbytes(1_000_000))[0] == ["html-not-html"]
    assert _timed(_page().encode("utf-8").replace(b"</p>", b"\x00</p>", 1))[0] == ["html-not-html"]
    assert _timed("শুধু লেখা, কোনো মার্কআপ নেই।".encode())[0] == ["html-not-html"]
    assert _timed(_page().encode("utf-16-le"))[0] == ["html-not-html"]  # UTF-16 without a BOM


def test_empty_inputs_are_empty_bodies() -> None:
    for raw in (b"", b"  \n ", b"<html><head><title>t</title></head><body></body></html>",
                b"<html><body><script>var a = 1;</script><!-- x --></body></html>"):
        assert _timed(raw)[0] == ["html-empty-body"], raw


def test_wrong_or_unknown_charsets_never_give_mojibake() -> None:
    cases = {
        "unknown": _page(charset="x-no-such-charset").encode("utf-8"),
        "utf8-declared-cp1252-bytes": "<html><head><meta charset='utf-8'></head><body><p>caf\u00e9</p></body></html>".encode("cp1252"),
        "already-mojibake": _page().encode("utf-8").decode("cp1252", errors="replace").encode("utf-8"),
    }
    for name, raw in cases.items():
        codes, _, text = _timed(raw)
        assert codes == ["html-bad-encoding"] and text == "", name
    # a <meta> naming UTF-16 cannot be right for bytes that could be read to find it: UTF-8
    c, problems = clean_html(_page(charset="utf-16").encode("utf-8"), "u16meta")
    assert problems == [] and "র\u200d্যাব" in c.text


@pytest.mark.parametrize("name,raw", [
    ("lt", b"<html><body><p>" + b"<" * 4_500_000 + b"</p></body></html>"),
    ("open-tags", b"<html><body><p>" + b"<a " * 1_500_000 + b"</p></body></html>"),
    ("open-quotes", b"<html><body><p>" + b'<a b="' * 750_000),
    ("open-comments", b"<html><body><p>x</p>" + b"<!--" * 1_100_000),
    ("open-end-tags", b"<html><body><p>" + b"</a" * 1_500_000),
    ("open-scripts", b"<html><body>" + b"<script>" * 550_000),
    ("ampersands", b"<html><body><p>" + b"&ab" * 1_500_000 + b"</p></body></html>"),
    ("references", b"<html><body><p>" + b"&amp;" * 900_000 + b"</p></body></html>"),
    ("one-paragraph", b"<html><body><article><p>" + "সংবাদ ".encode() * 250_000 + b"</p></article></body></html>"),
])
def test_pathological_pages_finish(name: str, raw: bytes) -> None:
    assert len(raw) <= MAX_HTML_BYTES
    codes, seconds, text = _timed(raw)
    assert seconds < GENEROUS, name
    assert set(codes) <= {"html-empty-body", "html-no-title"}, (name, codes)
    assert ("html-empty-body" in codes) == (text == ""), name


def test_a_crash_inside_extraction_is_a_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    import trafilatura  # extract imports it where it extracts

    monkeypatch.setattr(trafilatura, "bare_extraction", boom)
    c, problems = clean_html(_page().encode("utf-8"), "boom")
    assert [p.code for p in problems] == ["html-extract-error"] and c.text == ""
    assert "RecursionError" in problems[0].message


def test_the_cleaners_load_trafilatura_only_to_extract_html() -> None:
    """A rebuild of text captures warms the cleaners without trafilatura's import (a quarter second)."""
    import subprocess
    import sys

    code = "import sys, builder.clean.pages; print('trafilatura' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
