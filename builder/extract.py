"""Captured HTML page (bytes) → `Cleaned` via trafilatura, with the fixes from BENGALI.md §1.3/§2.2.

ZWJ/ZWNJ survive (placeholder swap around trafilatura), the title is not repeated in the body,
and dates come from JSON-LD/meta or the Bengali month table, never from htmldate's guesses.
Refuses pages whose bytes do not match their charset and pages with no extractable body.
"""

from __future__ import annotations

import codecs
import json
import unicodedata
from collections.abc import Iterator
from datetime import datetime

import lxml.etree
import lxml.html
import regex
import trafilatura

from builder.dates import DHAKA, search_dates
from builder.records import Cleaned, Problem

# ZWJ/ZWNJ are category Cf, which trafilatura's printable-character filter deletes.
# Runic letters are never in a Bengali page, so they can stand in for them during extraction.
_SWAP = {"\u200d": "\u16ee", "\u200c": "\u16ef"}
_ENTITIES = {
    "\u16ee": regex.compile(r"&(?:zwj|#0*8205|#x0*200d);", regex.IGNORECASE),
    "\u16ef": regex.compile(r"&(?:zwnj|#0*8204|#x0*200c);", regex.IGNORECASE),
}
_PLACEHOLDER_REFS = regex.compile(r"&#(?:0*587[01]|x0*16e[ef]);", regex.IGNORECASE)
_META_CHARSET = regex.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", regex.IGNORECASE)
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))

_PUBLISHED_KEYS = ("article:published_time", "og:published_time", "datepublished", "pubdate",
                   "publishdate", "publish-date", "dc.date.issued", "dcterms.created")
_MODIFIED_KEYS = ("article:modified_time", "og:updated_time", "datemodified", "dcterms.modified")
_ARTICLE_TYPES = ("NewsArticle", "Article", "ReportageNewsArticle", "BlogPosting", "AnalysisNewsArticle")


def declared_charset(raw: bytes) -> str | None:
    """Charset from a BOM or a <meta charset> / http-equiv Content-Type in the first 4 KB."""
    for bom, name in _BOMS:
        if raw.startswith(bom):
            return name
    m = _META_CHARSET.search(raw[:4096])
    return m.group(1).decode("ascii") if m else None


def decode_html(raw: bytes) -> tuple[str | None, str]:
    """Decode with the declared charset (UTF-8 if none); (None, reason) when that is impossible or wrong."""
    declared = declared_charset(raw) or "utf-8"
    try:
        name = codecs.lookup(declared).name
    except LookupError:
        return None, f"declared charset {declared!r} is unknown"
    try:
        text = raw.decode(name)
    except UnicodeDecodeError as exc:
        return None, f"bytes are not valid {declared} (first bad byte at {exc.start})"
    if name not in ("utf-8", "utf-8-sig") and not raw.isascii():
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            # Non-ASCII bytes that are valid UTF-8 are almost never real latin-1/cp1252 text:
            # decoding them as declared would produce mojibake.
            return None, f"declared charset {declared!r} but the bytes are UTF-8"
    return text.lstrip("\ufeff"), ""


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


def _parse_iso(value: str) -> datetime | None:
    """An ISO 8601 datetime, made aware in Asia/Dhaka if the page gave no offset."""
    try:
        dt = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if len(value.strip()) <= 10:  # date only: no publish time to report
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=DHAKA)


def _walk_jsonld(node: object) -> Iterator[dict]:
    """Every JSON-LD object, articles first in document order (handles @graph and lists)."""
    if isinstance(node, list):
        for item in node:
            yield from _walk_jsonld(item)
    elif isinstance(node, dict):
        yield node
        for key in ("@graph", "mainEntity", "mainEntityOfPage"):
            if key in node:
                yield from _walk_jsonld(node[key])


def _is_article(obj: dict) -> bool:
    """True for a JSON-LD object typed as a news article (sorted first: its date is the page's)."""
    types = obj.get("@type", [])
    return any(t in _ARTICLE_TYPES for t in ([types] if isinstance(types, str) else types))


def _structured_dates(tree: lxml.html.HtmlElement) -> tuple[datetime | None, datetime | None]:
    """(published, modified) from JSON-LD, then meta tags and <time itemprop> elements."""
    published = modified = None
    objects: list[dict] = []
    for script in tree.xpath('//script[contains(translate(@type, "LDJSON", "ldjson"), "ld+json")]'):
        try:
            objects.extend(_walk_jsonld(json.loads(script.text_content())))
        except (json.JSONDecodeError, RecursionError):
            continue
    for obj in sorted(objects, key=lambda o: not _is_article(o)):
        if published is None and isinstance(obj.get("datePublished"), str):
            published = _parse_iso(obj["datePublished"])
        if modified is None and isinstance(obj.get("dateModified"), str):
            modified = _parse_iso(obj["dateModified"])
    for el in tree.xpath("//meta[@content] | //time[@datetime]"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip().lower()
        value = el.get("content") or el.get("datetime") or ""
        if published is None and key in _PUBLISHED_KEYS:
            published = _parse_iso(value)
        elif modified is None and key in _MODIFIED_KEYS:
            modified = _parse_iso(value)
    return published, modified


def _visible_dates(tree: lxml.html.HtmlElement) -> tuple[datetime | None, datetime | None]:
    """(published, updated) from dates printed on the page, preferring `প্রকাশ:`/`আপডেট:` labels."""
    for bad in tree.xpath("//script | //style | //noscript | //template"):
        bad.drop_tree()
    body = tree.find("body")
    text = unicodedata.normalize("NFC", (body if body is not None else tree).text_content())
    found = [d for d in search_dates(text) if isinstance(d.value, datetime)]
    published = next((d.value for d in found if d.prefix in ("প্রকাশ", "প্রকাশিত")), None)
    updated = next((d.value for d in found if d.prefix and d.prefix not in ("প্রকাশ", "প্রকাশিত")), None)
    if published is None:
        published = next((d.value for d in found if d.prefix is None), None)
    return published, updated  # type: ignore[return-value]


def clean_html(raw: bytes, doc_id: str, *, file: str | None = None) -> tuple[Cleaned, list[Problem]]:
    """Extract one HTML page; on a refusal the Cleaned text is empty and a Problem says why."""
    file = file or f"raw/html/{doc_id}.html"
    record = f"doc_id={doc_id}"
    html, reason = decode_html(raw)
    if html is None:
        return Cleaned(doc_id, ""), [Problem(
            "html-bad-encoding", file, record, "", reason,
            "re-capture the page, or fix its <meta charset>; never guess an encoding",
        )]
    if any(ph in html for ph in _SWAP.values()) or _PLACEHOLDER_REFS.search(html):
        return Cleaned(doc_id, ""), [Problem(
            "html-placeholder-clash", file, record, "",
            "page contains U+16EE/U+16EF, the placeholders used to protect ZWJ/ZWNJ",
            "choose other placeholder characters in builder/extract.py",
        )]
    doc = trafilatura.bare_extraction(
        _protect(html), with_metadata=True, include_comments=False, include_tables=True,
        deduplicate=False, url=None,
        prune_xpath="//noscript",  # "enable JavaScript" notices are never article text
    )
    if doc is None:  # no main text; still report the page title with the problem
        doc_title = trafilatura.extract_metadata(_protect(html), extensive=False).title
    else:
        doc_title = doc.title
    title = _restore(doc_title).strip() if doc_title else None
    lines = [ln.rstrip() for ln in _restore(doc.text or "").split("\n")] if doc is not None else []
    paragraphs = [ln for ln in lines if ln.strip()]
    if paragraphs and title is not None and paragraphs[0].strip() == title:
        paragraphs = paragraphs[1:]  # trafilatura keeps an <h1> inside <article> as the first line

    problems: list[Problem] = []
    if not paragraphs:
        problems.append(Problem(
            "html-empty-body", file, record, "", "trafilatura found no main text in the page",
            "check the capture; it may be a paywall, an index page or rendered by JavaScript",
        ))
    elif title is None:
        problems.append(Problem(
            "html-no-title", file, record, "", "the page has no title trafilatura can find",
            "check the capture's <title>/<h1>/og:title",
        ))

    published = updated = None
    try:
        tree = lxml.html.document_fromstring(html.encode("utf-8"), parser=lxml.html.HTMLParser(encoding="utf-8"))
    except (lxml.etree.ParserError, ValueError):
        tree = None  # an empty document: html-empty-body already says so
    if tree is not None:
        published, updated = _structured_dates(tree)
        if published is None:
            published, seen_updated = _visible_dates(tree)
            updated = updated or seen_updated

    text = "\n\n".join(([title] if title else []) + paragraphs)
    return Cleaned(doc_id=doc_id, text=text, title=title, published_at=published, updated_at=updated), problems
