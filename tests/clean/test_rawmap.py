"""Provenance map: every paragraph of a cleaned text points at the raw bytes that produced it.

Property checked everywhere: decoding raw[raw_start:raw_end], removing tags and comments and
unescaping entities, contains the paragraph's text once whitespace is ignored (and NFC applied,
since the cleaned text is NFC and the page may not be). The "- " and "|" that trafilatura writes
before list items and between table cells are not in the page, so they are ignored too.
"""

import html
import json
import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builder.clean import rawmap
from builder.clean.capture import clean_capture
from builder.clean.extract import clean_html
from builder.clean.htmlscan import scan_html
from builder.clean.pages import clean_source
from builder.records import Cleaned, MapEntry, Source

REPO = Path(__file__).resolve().parents[2]
SEEDS = ("000_ba2a176cc4aaac8d", "003_def7398b55f8b37b")
ZWJ, ZWNJ = "\u200d", "\u200c"
RAB = f"র{ZWJ}্যাব"  # র‍্যাব: not the same word as র্যাব (BENGALI.md §1.3)
TITLE = f"{RAB}ের অভিযানে উত্{ZWJ}সবের আগে তিনজন গ্রেপ্তার"
PARAS = [
    (f"ঢাকা, ১৩ আগস্ট, ২০২৫ (বাসস) : রাজধানীর কারওয়ান বাজারে অভিযান চালিয়ে তিনজনকে গ্রেপ্তার করেছে {RAB}। "
     "বুধবার সকালে এই অভিযান চালানো হয় বলে বাহিনীর এক কর্মকর্তা সাংবাদিকদের জানিয়েছেন।"),
    ("গ্রেপ্তারকৃতদের কাছ থেকে বিপুল পরিমাণ মাদক উদ্ধার করা হয়েছে বলে বার্তা সংস্থা এএফপি জানিয়েছে। "
     "তাদের বিরুদ্ধে তেজগাঁও থানায় মামলা দায়ের করা হয়েছে এবং আদালতে পাঠানোর প্রস্তুতি চলছে।"),
    (f"স্থানীয় ব্যবসায়ীরা বলেছেন, উৎসবের আগে এ ধরনের অভিযান বাজারে স্বস্তি ফিরিয়ে আনবে। "
     f"তবে কেউ কেউ ক্{ZWNJ}ষতিগ্রস্ত হওয়ার আশঙ্কাও প্রকাশ করেছেন। সূত্র: রয়টার্স"),
]


def _squeeze(s: str) -> str:
    return "".join(unicodedata.normalize("NFC", s).split()).replace("-", "").replace("|", "")


def _shown(raw: bytes, encoding: str = "utf-8") -> str:
    """What a stretch of raw page shows: comments and tags removed, entities decoded, no whitespace."""
    s = raw.decode(encoding)
    s = re.sub(r"<!--.*?-->", "", s, flags=re.DOTALL)
    s = re.sub(r"<[^>]*>", "", s)
    return _squeeze(html.unescape(s))


def assert_map_property(c: Cleaned, raw: bytes, encoding: str = "utf-8") -> None:
    """One entry per paragraph, in order, each pointing at bytes that show the paragraph."""
    paragraphs = c.text.split("\n\n")
    assert [(m.start, m.end) for m in c.raw_map] == rawmap.paragraph_ranges(paragraphs)
    for m in c.raw_map:
        assert 0 <= m.raw_start <= m.raw_end <= len(raw)
        para = c.text[m.start : m.end]
        assert _squeeze(para) in _shown(raw[m.raw_start : m.raw_end], encoding), (para, raw[m.raw_start : m.raw_end])


# --- text captures ---------------------------------------------------------------------------


def test_seed_captures_map_to_their_lines() -> None:
    for doc_id in SEEDS:
        source = Source(doc_id, "x", None, "text", f"captures/{doc_id}.txt", None, "test", None)
        c, problems = clean_source(source, REPO / "raw")
        assert problems == [] and c is not None
        raw = (REPO / "raw" / "captures" / f"{doc_id}.txt").read_bytes()
        assert_map_property(c, raw)
        for m in c.raw_map:  # a kept line is the paragraph itself: the map is exact
            assert unicodedata.normalize("NFC", raw[m.raw_start : m.raw_end].decode("utf-8")) == c.text[m.start : m.end]
        assert c.content_type == "text/plain; charset=utf-8"


def test_seed_capture_agencies() -> None:
    got = {}
    for doc_id in SEEDS:
        raw = (REPO / "raw" / "captures" / f"{doc_id}.txt").read_text(encoding="utf-8")
        got[doc_id] = clean_capture(raw, doc_id)[0].agencies
    # BSS: the dateline's (বাসস), then the AFP credit; KCNA is the reported source, not a credit.
    assert got[SEEDS[0]] == ("বাসস", "বার্তা সংস্থা এএফপি")
    assert got[SEEDS[1]] == ("বিবিসি",)  # the সূত্র: line


def test_capture_map_with_bom_crlf_and_non_nfc_lines() -> None:
    body = "\r\n".join([
        "\ufeffপ্রচ্ছদ", "", f"{TITLE}   ", "প্রকাশ: ১৩ আগস্ট ২০২৫, ১৩:২১", "",
        PARAS[0].replace("য়", "\u09df"), "", PARAS[1] + " \t", "সর্বশেষ", "অন্য খবর",
    ])
    raw = body.encode("utf-8")
    c, problems = clean_capture(body, "crlf")
    assert problems == [] and len(c.raw_map) == 3
    assert_map_property(c, raw)
    first = c.raw_map[1]
    assert raw[first.raw_start : first.raw_end].decode("utf-8") == PARAS[0].replace("য়", "\u09df")


# --- HTML fixture pages ----------------------------------------------------------------------


def jsonld_page() -> str:
    ld = {"@context": "https://schema.org", "@graph": [
        {"@type": "WebSite", "name": "দৈনিক পরীক্ষা"},
        {"@type": "NewsArticle", "headline": TITLE, "datePublished": "2025-08-13T13:21:00+06:00",
         "author": {"@type": "Person", "name": "রহিম উদ্দিন"},
         "publisher": {"@type": "NewsMediaOrganization", "name": "দৈনিক পরীক্ষা"}}]}
    body = "".join(f'<div class="story-element"><p>{p}</p></div>' + ('<div class="ad">বিজ্ঞাপন</div>' if i == 0 else "")
                   for i, p in enumerate(PARAS))
    return f"""<!DOCTYPE html><html lang="bn"><head><meta charset="utf-8"><title>{TITLE} | দৈনিক পরীক্ষা</title>
<script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script>
<script>var s = "<p>স্ক্রিপ্টের লেখা</p>";</script></head>
<body><nav><a href="/">প্রচ্ছদ</a> <a href="/bd">বাংলাদেশ</a></nav>
<article><h1>{TITLE}</h1><div class="author">রহিম উদ্দিন</div><div class="time">প্রকাশ: ১৩ আগস্ট ২০২৫, ১৩:২১</div>
{body}</article><aside><h3>সর্বাধিক পঠিত</h3><ul><li><a href="/1">অন্য খবরের শিরোনাম এক</a></li></ul></aside>
<footer><p>স্বত্ব © ২০২৫ সর্বস্বত্ব সংরক্ষিত</p></footer></body></html>"""


def og_page() -> str:
    paras = "\n".join(f"<p>{p}</p>" for p in PARAS)
    return f"""<html lang="bn-BD"><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>{TITLE} - পরীক্ষা নিউজ</title><meta property="og:title" content="{TITLE}">
<meta property="og:site_name" content="পরীক্ষা নিউজ"><meta property="og:url" content="https://news.example/a/9">
<meta property="article:published_time" content="2025-08-13T13:21:00"><meta name="author" content="করিম হাসান">
</head><body><div class="menu"><a href="/">হোম</a></div>
<div class="content"><h1 class="headline">{TITLE}</h1>{paras}</div></body></html>"""


def divsoup_page() -> str:
    body = "<br><br>\n".join(PARAS[:2]) + '<br><br>\n' + PARAS[2]
    return f"""<html><head><meta charset="UTF-8"><title>আমার পরীক্ষা | {TITLE}</title></head><body>
<div class="social"><a>ফেসবুক</a><a>ইউটিউব</a></div><div class="masthead">ঢাকা শুক্রবার, ০১ আগস্ট, ২০২৫</div>
<div class="news"><h2>{TITLE}</h2><div class="reporter">আন্তর্জাতিক ডেস্ক</div>
<div class="date">আগস্ট ১৫, ২০২২, ০১:৪২ পিএম</div>
<div class="details">{body}</div><div class="credit">আমারসংবাদ/টিএইচ</div></div>
<div class="comments"><form><textarea>মন্তব্য লিখুন</textarea></form></div></body></html>"""


def entity_page() -> str:
    paras = [p.replace(ZWJ, "&zwj;").replace(ZWNJ, "&#x200C;") for p in PARAS]
    paras[1] = paras[1].replace("মামলা", "মামলা &amp; অভিযোগ&nbsp;দায়ের")
    paras[2] = paras[2].replace("উৎসবের", "উৎস<b>বের</b> <!-- মন্তব্য --> &quot;আগে&quot;")
    body = "\n".join(f"<p>{p}</p>" for p in paras)
    return f"""<!doctype html><html lang="bn"><head><meta charset="utf-8"><title>{TITLE.replace(ZWJ, "&zwj;")}</title></head>
<body><article><h1>{TITLE.replace(ZWJ, "&#8205;")}</h1>{body}</article></body></html>"""


def zwj_page() -> str:
    """Raw ZWJ/ZWNJ characters, a precomposed য় (U+09DF: NFC changes the length) and ে + া typed apart."""
    paras = [p.replace("য়", "\u09df") for p in PARAS]
    paras[0] = paras[0].replace("কো", "কে\u09be")
    body = "\n".join(f"<p>{p}</p>" for p in paras)
    return f"""<html><head><meta charset="utf-8"><title>{TITLE}</title></head>
<body><article><h1>{TITLE}</h1>{body}</article></body></html>"""


PAGES = {"jsonld": jsonld_page, "og": og_page, "divsoup": divsoup_page, "entity": entity_page, "zwj": zwj_page}


def test_fixture_pages_map_every_paragraph() -> None:
    for name, page in PAGES.items():
        raw = page().encode("utf-8")
        c, problems = clean_html(raw, name)
        assert problems == [], name
        assert c.text.split("\n\n")[0] == unicodedata.normalize("NFC", TITLE), name
        assert len(c.text.split("\n\n")) == 1 + len(PARAS), (name, c.text)
        assert RAB in c.text, name
        assert_map_property(c, raw)


def test_entity_paragraph_range_covers_the_references() -> None:
    raw = entity_page().encode("utf-8")
    c, _ = clean_html(raw, "e")
    first = c.raw_map[1]
    stretch = raw[first.raw_start : first.raw_end].decode("utf-8")
    assert stretch.startswith("ঢাকা") and stretch.endswith("জানিয়েছেন।")
    assert "&zwj;" in stretch  # the reference, not a decoded character, is what the page holds
    third = raw[c.raw_map[3].raw_start : c.raw_map[3].raw_end].decode("utf-8")
    assert "<b>বের</b>" in third and "&quot;" in third  # inner markup is inside the range


def test_title_maps_into_the_body_heading_when_there_is_one() -> None:
    raw = og_page().encode("utf-8")
    c, _ = clean_html(raw, "og")
    title = c.raw_map[0]
    before = raw[: title.raw_start].decode("utf-8")
    assert before.endswith('<h1 class="headline">')


def test_title_only_in_a_meta_tag_maps_to_its_value() -> None:
    page = f"""<html><head><meta charset="utf-8"><meta property="og:title" content="{TITLE}"></head>
<body><article>{''.join(f'<p>{p}</p>' for p in PARAS)}</article></body></html>"""
    raw = page.encode("utf-8")
    c, problems = clean_html(raw, "m")
    assert problems == [] and c.title == TITLE
    assert_map_property(c, raw)
    assert raw[: c.raw_map[0].raw_start].endswith(b'content="')


def test_utf16_page_maps_to_byte_offsets() -> None:
    raw = jsonld_page().replace('<meta charset="utf-8">', "").encode("utf-16")  # BOM + UTF-16 LE
    c, problems = clean_html(raw, "u16")
    assert problems == [] and c.content_type == "text/html; charset=utf-16"
    assert_map_property(c, raw, "utf-16-le")


def test_legacy_charset_page_maps_to_byte_offsets() -> None:
    page = ("<html><head><meta charset='windows-1252'><title>Caf\u00e9 news today</title></head><body><article>"
            + "".join(f"<p>Paragraph {i}: the caf\u00e9 &amp; the na\u00efve r\u00e9sum\u00e9 were discussed at length "
                      "by the committee members, who met on Tuesday morning.</p>" for i in range(4))
            + "</article></body></html>")
    raw = page.encode("cp1252")
    c, problems = clean_html(raw, "cp")
    assert problems == [] and c.content_type == "text/html; charset=windows-1252"
    assert_map_property(c, raw, "cp1252")


def test_byte_offsets_slow_path_agrees_with_fast_path() -> None:
    page = entity_page()
    raw = b"\xef\xbb\xbf" + page.encode("utf-8")
    offsets = rawmap.ByteOffsets(raw, page, "utf-8-sig")
    wanted = [0, 1, 5, 100, 250, len(page) - 1, len(page)]
    assert offsets.convert(wanted) == offsets._by_decoding(sorted(wanted))


def test_unfindable_paragraph_is_reported_not_raised() -> None:
    page = entity_page()
    raw = page.encode("utf-8")
    changed = PARAS[1].replace("বিপুল পরিমাণ", "প্রচুর")  # as if an extractor had rewritten a word
    paragraphs = [TITLE, PARAS[0], "এই অনুচ্ছেদটি পাতায় কোথাও নেই", changed, PARAS[0][:40] + " বদলে গেছে"]
    entries, inexact = rawmap.map_html(raw, page, "utf-8", paragraphs)
    assert len(entries) == 5 and inexact == [2, 3, 4]
    assert all(0 <= e.raw_start <= e.raw_end <= len(raw) for e in entries)
    # placed from where its start is found to where its end is found
    stretch = raw[entries[3].raw_start : entries[3].raw_end].decode("utf-8")
    assert stretch.startswith("গ্রেপ্তারকৃতদের") and stretch.endswith("চলছে।")
    # a start seen only earlier in the page is still found there
    assert raw[entries[4].raw_start : entries[4].raw_end].decode("utf-8").startswith("ঢাকা")


def test_scan_skips_scripts_styles_comments_and_keeps_rcdata() -> None:
    page = ("<html><head><title>শিরোনাম &amp; আরও</title><style>p::before{content:'স্টাইল'}</style></head>"
            "<body><!-- মন্তব্য <p>লুকানো</p> --><script>document.write('<p>স্ক্রিপ্ট</p>')</script>"
            "<p>দৃশ্যমান<br>লেখা</p><textarea>ফর্মের &lt;লেখা&gt;</textarea> a < b <3 </ p> শেষ</body></html>")
    scan = scan_html(page)
    assert scan.text.key == "শিরোনাম&আরওদৃশ্যমানলেখাফর্মের<লেখা>a<b<3শেষ"


# --- properties on generated pages -----------------------------------------------------------

_WORDS = ["রাজধানী", "অভিযান", RAB, f"উত্{ZWJ}সব", f"ক্{ZWNJ}ষতি", "সময়", "কোরিয়া", "২০২৫", "১৩:২১",
          "‘উষ্ণ’", "AFP", "R&D", "a<b", 'বলেন,"', "মু-জিন", "।"]
_ENTITY_FOR = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", ZWJ: "&zwj;", ZWNJ: "&#8204;"}


@st.composite
def _word(draw: st.DrawFn) -> tuple[str, str]:
    """(text, markup) of one word: plain, with references, or inside an inline element."""
    text = draw(st.sampled_from(_WORDS))
    if draw(st.booleans()):
        markup = "".join(_ENTITY_FOR.get(ch, ch) for ch in text)
    else:
        markup = text.replace("&", "&amp;").replace("<", "&lt;")
    if draw(st.integers(0, 3)) == 0:
        tag = draw(st.sampled_from(["b", "i", "span", 'a href="/x?a=1&amp;b=2"', 'span class="x"']))
        markup = f"<{tag}>{markup}</{tag.split()[0]}>"
    return text, markup


@st.composite
def _page(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A page of paragraphs in <p>/<div>/<br> containers with noise between; its paragraph texts."""
    parts = ["<html><head><meta charset='utf-8'><title>পাতা</title><script>var x = '<p>না</p>';</script></head><body>"]
    texts = []
    for _ in range(draw(st.integers(1, 5))):
        words = draw(st.lists(_word(), min_size=1, max_size=12))
        spaces = draw(st.lists(st.sampled_from([" ", "\n", "  ", "&nbsp;", " <!-- x --> "]),
                               min_size=len(words), max_size=len(words)))
        markup = "".join(m + s for (_, m), s in zip(words, spaces)).strip()
        texts.append(" ".join(t for t, _ in words))
        container = draw(st.sampled_from(["p", "div", "br"]))
        parts.append(f"{markup}<br><br>" if container == "br" else f"<{container}>{markup}</{container}>")
        parts.append(draw(st.sampled_from(["", "\n", "<!-- বিজ্ঞাপন -->", "<style>.a{}</style>", "<hr>"])))
    parts.append("</body></html>")
    return "".join(parts), texts


@settings(max_examples=200, deadline=None)
@given(_page())
def test_map_html_property_on_generated_pages(case: tuple[str, list[str]]) -> None:
    page, texts = case
    raw = page.encode("utf-8")
    paragraphs = [unicodedata.normalize("NFC", t) for t in texts]
    entries, inexact = rawmap.map_html(raw, page, "utf-8", paragraphs, title_first=False)
    assert inexact == []
    c = Cleaned("g", "\n\n".join(paragraphs), raw_map=entries)
    assert_map_property(c, raw)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(_word(), min_size=12, max_size=25), min_size=2, max_size=5),
       st.sampled_from(["p", "div"]))
def test_clean_html_map_property_on_generated_articles(paras: list[list[tuple[str, str]]], tag: str) -> None:
    body = "".join(f"<{tag}>{' '.join(m for _, m in words)}</{tag}>\n" for words in paras)
    page = (f"<html lang='bn'><head><meta charset='utf-8'><title>{TITLE}</title></head><body>"
            f"<nav><a href='/'>প্রচ্ছদ</a></nav><article><h1>{TITLE}</h1>{body}</article></body></html>")
    raw = page.encode("utf-8")
    c, problems = clean_html(raw, "g")
    assert "html-map-inexact" not in [p.code for p in problems]
    if c.text:
        assert_map_property(c, raw)
        assert all(isinstance(m, MapEntry) for m in c.raw_map)


def test_shared_real_pages_map_every_paragraph() -> None:
    root = REPO.parent / "shared" / "realdata" / "adbar-trafilatura" / "html"
    if not root.is_dir():
        pytest.skip("shared real data not available")
    for path in sorted(root.glob("*.html")):
        raw = path.read_bytes()
        c, problems = clean_html(raw, "real")
        assert problems == [], path.name
        assert_map_property(c, raw, c.content_type.split("charset=")[1])


def test_eval_pages_map_every_paragraph() -> None:
    for path in sorted((REPO / "eval" / "pages").glob("*.html")):
        raw = path.read_bytes()
        c, problems = clean_html(raw, path.stem)
        assert problems == [], path.name
        assert_map_property(c, raw)


def _line_bytes_reference(raw: str, wanted: set[int]) -> dict[int, tuple[int, int]]:
    """The byte range of each wanted 1-based line, the slow obvious way: every line encoded on its own."""
    spans, byte_at, line_start = {}, 0, 0
    for number, m in enumerate(re.finditer(r"\r\n|\r|\n|\Z", raw), start=1):
        if number in wanted:
            line = raw[line_start : m.start()]
            lead = 1 if number == 1 and line.startswith("\ufeff") else 0
            start = byte_at + len(line[:lead].encode("utf-8"))
            spans[number] = (start, start + len(line[lead:].rstrip().encode("utf-8")))
        byte_at += len(raw[line_start : m.end()].encode("utf-8"))
        line_start = m.end()
        if m.start() == m.end():
            break
    return spans


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["\r\n", "\r", "\n", "\ufeff", "\u00a0", "\u2028", " ", "ক", "য়", "a", "।", "😀"]), max_size=40))
def test_map_lines_gives_each_lines_bytes_as_the_slow_way_does(pieces: list[str]) -> None:
    raw = "".join(pieces)
    count = len(re.findall(r"\r\n|\r|\n", raw)) + 1
    numbers = list(range(1, count + 1))
    expected = _line_bytes_reference(raw, set(numbers))
    got = rawmap.map_lines(raw, numbers, ["x"] * len(numbers))
    assert [(m.raw_start, m.raw_end) for m in got] == [expected[n] for n in numbers]
