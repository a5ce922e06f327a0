"""Captured HTML page (bytes) → `Cleaned`: trafilatura's body plus metadata read from the page itself.

Body: trafilatura with the fixes from BENGALI.md §1.3/§2.2. ZWJ/ZWNJ survive (placeholder swap
around trafilatura), the text is NFC, paragraphs are kept, a first body line repeating the title
is dropped, and a trailing credit line (`আমারসংবাদ/টিএইচ`) goes to `credit`. Two measured fixes
on the eval pages (eval/README.md): layout tables become divs before trafilatura sees them, and
lines the capture cleaner calls furniture (date-only lines, share buttons, "আরও পড়ুন:" boxes, the
byline, ad labels) are dropped. text = title + "\n\n" + paragraphs, as for captures.
Metadata, per field, the first source that has it: JSON-LD (NewsArticle/Article/…, @graph
included), then Open Graph and other meta tags, then what the page prints (h1/<title>, byline
element, `প্রকাশ:` dates read with builder.clean.dates). Never htmldate's guesses.
Refuses, with one named Problem and no text: pages over MAX_HTML_BYTES, binary data, bytes that
do not match their charset (or would turn into mojibake), markup nested deeper than the parser
keeps, and pages with no extractable body. No page makes clean_html raise.
"""

from __future__ import annotations

import unicodedata
from collections import Counter

import lxml.etree
import lxml.html
import regex

from builder.clean import capture as C
from builder.clean import rawmap
from builder.clean.credits import credited_agencies, find_credits, is_credit_line
from builder.clean.decode import content_type, decode_with_codec, not_html
from builder.clean.pagemeta import PageMeta, page_metadata
from builder.records import Cleaned, Problem

MAX_HTML_BYTES = 5 * 1024 * 1024  # a news page is 50–500 KB; beyond this it is not one article
# libxml2 builds at most 256 levels of elements and silently drops everything deeper, text and
# later siblings included (measured with lxml: 253 nested <div>s keep their text, 254 lose it).
MAX_DEPTH = 256

# ZWJ/ZWNJ are category Cf, which trafilatura's printable-character filter deletes.
# Runic letters are never in a Bengali page, so they can stand in for them during extraction.
_SWAP = {"\u200d": "\u16ee", "\u200c": "\u16ef"}
_ENTITIES = {
    "\u16ee": regex.compile(r"&(?:zwj|#0*8205|#x0*200d);", regex.IGNORECASE),
    "\u16ef": regex.compile(r"&(?:zwnj|#0*8204|#x0*200c);", regex.IGNORECASE),
}
_PLACEHOLDER_REFS = regex.compile(r"&#(?:0*587[01]|x0*16e[ef]);", regex.IGNORECASE)

_WORDY = regex.compile(r"[\p{L}\p{N}]")
# Lines trafilatura can keep that are page furniture, not story: the capture cleaner's classes
# for date-only lines, share buttons, bare numbers and inline "আরও পড়ুন:" boxes, plus ad labels.
_FURNITURE = frozenset({C.PUBLISHED, C.UPDATED, C.MASTHEAD_DATE, C.SOCIAL, C.NUMERIC, C.READ_MORE})
_AD_LABELS = frozenset({"বিজ্ঞাপন", "advertisement", "sponsored", "স্পন্সরড"})


def _problem(code: str, file: str, record: str, message: str, hint: str) -> Problem:
    return Problem(code, file, record, "", message, hint)


# ---------------------------------------------------------------------------------------------
# bytes → str


# ---------------------------------------------------------------------------------------------
# ZWJ/ZWNJ protection around trafilatura


def _protect(html: str) -> str:
    """Swap ZWJ/ZWNJ (characters and entity references) for placeholders."""
    for ch, ph in _SWAP.items():
        html = html.replace(ch, ph)
    for ph, pattern in _ENTITIES.items():
        html = pattern.sub(ph, html)
    return html


def _restore(text: str) -> str:
    """Reverse `_protect`, then NFC."""
    for ch, ph in _SWAP.items():
        text = text.replace(ph, ch)
    return unicodedata.normalize("NFC", text)


# ---------------------------------------------------------------------------------------------
# metadata


def _body(lines: list[str], meta: PageMeta) -> tuple[list[str], Counter[str]]:
    """trafilatura's lines → body paragraphs, without the title line, the byline and page furniture."""
    dropped: Counter[str] = Counter()
    headings = {" ".join(h.split()) for h in meta.headings}
    paragraphs = []
    for ln in lines:
        if not _WORDY.search(ln):  # blank lines, "|---|" table rules
            continue
        if not paragraphs and not dropped[C.REPEATED_TITLE] and ln in headings:
            kind = C.REPEATED_TITLE  # trafilatura keeps an <h1> inside <article> as the first line
        elif ln in meta.authors or (meta.byline and ln.startswith(meta.byline) and _only_dates(ln[len(meta.byline):])):
            kind = C.BYLINE  # "নিজস্ব প্রতিবেদক", or "নিজস্ব প্রতিবেদক | প্রকাশ: …" as one line
        elif ln.lower() in _AD_LABELS:
            kind = "advert"
        else:
            kind = C.line_kind(ln)
            if kind not in _FURNITURE:
                paragraphs.append(ln)
                continue
        dropped[kind] += 1
    return paragraphs, dropped


def _only_dates(rest: str) -> bool:
    """True when what follows a byline on its line is nothing or just dates."""
    rest = rest.strip(" |,:-–•")
    return not rest or C.line_kind(rest) in (C.PUBLISHED, C.UPDATED)


def _parse(html: str) -> lxml.html.HtmlElement:
    """Parse a decoded page with lxml (bytes in, so a <meta charset> inside cannot mislead it)."""
    return lxml.html.document_fromstring(html.encode("utf-8"), parser=lxml.html.HTMLParser(encoding="utf-8"))


def _for_trafilatura(html: str) -> str | lxml.html.HtmlElement:
    """The page as trafilatura should see it: layout tables turned into divs, else unchanged.

    A legacy layout that puts the whole story in one <td> with <br> runs comes out of trafilatura
    as a single "| … |" table row (eval page t5: recall 0); as divs, its paragraphs come out whole.
    """
    if "<td" not in html and "<TD" not in html:
        return html
    tree = _parse(html)
    changed = False
    for table in list(tree.iter("table")):
        rows = table.xpath("./tr | ./thead/tr | ./tbody/tr | ./tfoot/tr")
        cells = [c for r in rows for c in r if c.tag in ("td", "th")]
        # a data table has short cells; a layout table holds paragraphs, <br> runs or blocks
        if any(len(c.xpath(".//br")) >= 2 or c.xpath(".//p | .//div | .//table") or len(c.text_content()) > 300
               for c in cells):
            for el in [table, *table.xpath("./thead | ./tbody | ./tfoot"), *rows, *cells]:
                el.tag = "div"
            changed = True
    return tree if changed else html


# True when some element sits MAX_DEPTH levels down: one child step per level, in C, O(elements).
_TOO_DEEP = lxml.etree.XPath("boolean(/" + "/".join(["*"] * MAX_DEPTH) + ")")


# ---------------------------------------------------------------------------------------------
# the page


def clean_html(raw: bytes, doc_id: str, *, file: str | None = None) -> tuple[Cleaned, list[Problem]]:
    """Extract one HTML page; on a refusal the Cleaned text is empty and a Problem says why."""
    file = file or f"raw/html/{doc_id}.html"
    record = f"doc_id={doc_id}"
    try:
        return _clean_html(raw, doc_id, file, record)
    except Exception as exc:  # noqa: BLE001 - whatever a hostile page does, the build goes on
        return Cleaned(doc_id, ""), [_problem(
            "html-extract-error", file, record, f"extraction failed: {type(exc).__name__}: {exc}"[:300],
            "keep the page out of the corpus, or report it with this message as a builder bug",
        )]


_NOT_HTML_HINT = "the capture is not an HTML page; re-capture it"


def _clean_html(raw: bytes, doc_id: str, file: str, record: str) -> tuple[Cleaned, list[Problem]]:
    empty = Cleaned(doc_id, "")
    if len(raw) > MAX_HTML_BYTES:
        return empty, [_problem(
            "html-too-large", file, record, f"{len(raw):,} bytes, over the {MAX_HTML_BYTES:,}-byte limit",
            "capture the article page itself, not a feed, archive or single-page dump",
        )]
    reason = not_html(raw, None)
    if reason is not None:
        return empty, [_problem("html-not-html", file, record, reason, _NOT_HTML_HINT)]
    html, codec, reason = decode_with_codec(raw)
    if html is None:
        return empty, [_problem(
            "html-bad-encoding", file, record, reason,
            "re-capture the page, or fix its <meta charset>; never guess an encoding",
        )]
    if not html.strip():
        return empty, [_problem("html-empty-body", file, record, "the file is empty",
                                "re-capture the page")]
    reason = not_html(raw, html)
    if reason is not None:
        return empty, [_problem("html-not-html", file, record, reason, _NOT_HTML_HINT)]
    if any(ph in html for ph in _SWAP.values()) or _PLACEHOLDER_REFS.search(html):
        return empty, [_problem(
            "html-placeholder-clash", file, record,
            "page contains U+16EE/U+16EF, the placeholders used to protect ZWJ/ZWNJ",
            "choose other placeholder characters in builder/extract.py",
        )]
    try:
        tree = _parse(html)
    except (lxml.etree.ParserError, ValueError):
        tree = None  # nothing parseable: reported as an empty body below
    if tree is not None and _TOO_DEEP(tree):
        return empty, [_problem(
            "html-too-deep", file, record,
            f"elements nest {MAX_DEPTH} levels deep; the HTML parser drops everything deeper",
            "re-capture the page; a real article nests a few dozen levels",
        )]
    meta = page_metadata(tree) if tree is not None else PageMeta()
    import trafilatura  # here, not on import: a corpus of text captures (and a rebuild of one) never loads it

    doc = trafilatura.bare_extraction(
        _for_trafilatura(_protect(html)), with_metadata=False, include_comments=False, include_tables=True,
        deduplicate=False, url=None,
        prune_xpath=["//noscript", "//template"],  # "enable JavaScript" notices are never article text
    ) if tree is not None else None
    lines = [" ".join(_restore(ln).split()) for ln in (doc.text or "").split("\n")] if doc is not None else []
    paragraphs, dropped = _body(lines, meta)
    credit = None
    if paragraphs and is_credit_line(paragraphs[-1]):
        credit = paragraphs.pop()  # desk credit such as "আমারসংবাদ/টিএইচ" (BENGALI.md §2.2)
        dropped[C.CREDIT] += 1

    problems: list[Problem] = []
    title = meta.title
    if not paragraphs:
        return Cleaned(doc_id, "", title=title), [_problem(
            "html-empty-body", file, record, "trafilatura found no main text in the page",
            "check the capture; it may be a paywall, an index page or rendered by JavaScript",
        )]
    if title is None:
        problems.append(_problem(
            "html-no-title", file, record, "the page has no title in JSON-LD, meta tags, <h1> or <title>",
            "check the capture's <title>/<h1>/og:title",
        ))

    head = [title] if title else []
    text = rawmap.PARAGRAPH_SEP.join(head + paragraphs)
    body_start = len(title) + len(rawmap.PARAGRAPH_SEP) if title else 0
    dateline, place, agency, source_line = find_credits(text, body_start, paragraphs)
    agencies = credited_agencies(text, body_start, dateline_agency=agency, dateline=dateline,
                                 source_line=source_line, byline=meta.byline, structured=tuple(meta.agencies))
    raw_map, inexact = rawmap.map_html(raw, html, codec, head + paragraphs, title_first=bool(title))
    if inexact:
        problems.append(_problem(
            "html-map-inexact", file, record,
            f"paragraphs {inexact[:10]} could not be found verbatim in the page; their raw ranges are approximate",
            "nothing to fix in the text; report the page if the map matters for it",
        ))
    return Cleaned(
        doc_id=doc_id,
        text=text,
        title=title,
        outlet_evidence=meta.site or agency,
        published_at=meta.published,
        updated_at=meta.updated,
        byline=meta.byline,
        dateline=dateline,
        dateline_place=place,
        dateline_agency=agency,
        credit=credit,
        source_line=source_line,
        dropped=dict(sorted(dropped.items())),
        authors=tuple(meta.authors),
        canonical_url=meta.canonical,
        language=meta.language,
        agencies=agencies,
        content_type=content_type(codec),
        raw_map=raw_map,
    ), problems
