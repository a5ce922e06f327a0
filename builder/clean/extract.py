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

import codecs
import html as htmllib
import json
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

import lxml.etree
import lxml.html
import regex
import trafilatura

from builder.clean import capture as C
from builder.clean import rawmap
from builder.clean.capture import credited_agencies, find_credits, is_credit_line, wire_name
from builder.clean.dates import DHAKA, parse_date, search_date, search_dates
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
_META_CHARSET = regex.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", regex.IGNORECASE)
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_CONTROL_BYTES = bytes([*range(0x01, 0x09), 0x0B, *range(0x0E, 0x1B), *range(0x1C, 0x20)])  # not \t\n\f\r ESC
_MARKUP = regex.compile(r"<[A-Za-z!/?]")
# UTF-8 Bengali (E0 A6 xx / E0 A7 xx) read as windows-1252 and saved again: "à¦¬à¦¾..." mojibake.
_MOJIBAKE = ("\u00e0\u00a6", "\u00e0\u00a7")
_IANA = {"utf-8-sig": "utf-8", "cp1252": "windows-1252", "iso8859-1": "iso-8859-1",
         "utf-16-le": "utf-16le", "utf-16-be": "utf-16be"}

_PUBLISHED_KEYS = ("article:published_time", "og:published_time", "datepublished", "pubdate",
                   "publishdate", "publish-date", "dc.date.issued", "dcterms.created")
_MODIFIED_KEYS = ("article:modified_time", "og:updated_time", "datemodified", "dcterms.modified")
_TITLE_KEYS = ("og:title", "twitter:title", "title", "dc.title")
_SITE_KEYS = ("og:site_name", "application-name", "publisher", "dc.publisher")
_AUTHOR_KEYS = ("author", "article:author", "dc.creator", "byl")
_ARTICLE_TYPES = frozenset({"NewsArticle", "Article", "ReportageNewsArticle", "BlogPosting",
                            "AnalysisNewsArticle", "OpinionNewsArticle", "BackgroundNewsArticle",
                            "LiveBlogPosting", "ReviewNewsArticle", "Report"})
_ORG_TYPES = frozenset({"Organization", "NewsMediaOrganization", "Corporation"})
_BYLINE_HINTS = ("byline", "author", "reporter", "writer", "contributor")
_MARK_ATTRS = ("class", "id", "itemprop", "rel")
_MARKED = lxml.etree.XPath(".//*[@class or @id or @itemprop or @rel]"
                           "[not(self::script or self::style or self::noscript or self::template or self::meta"
                           " or self::link)]")
_BYLINE_CUT = regex.compile(r"\s*(?:[|•]|প্রকাশ|প্রকাশিত|আপডেট|হালনাগাদ)")
_BYLINE_LABEL = regex.compile(r"^(?:by|author|লেখক|লিখেছেন)\s*[:：]?(?:\s+|$)", regex.IGNORECASE)
_AUTHOR_SPLIT = regex.compile(r"\s*(?:[,;،]|\s(?:ও|এবং|and)\s)\s*")
_LANG = regex.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")
_BN_DIGITS = str.maketrans("০১২৩৪৫৬৭৮৯", "0123456789")
_WORDY = regex.compile(r"[\p{L}\p{N}]")
# Lines trafilatura can keep that are page furniture, not story: the capture cleaner's classes
# for date-only lines, share buttons, bare numbers and inline "আরও পড়ুন:" boxes, plus ad labels.
_FURNITURE = frozenset({C.PUBLISHED, C.UPDATED, C.MASTHEAD_DATE, C.SOCIAL, C.NUMERIC, C.READ_MORE})
_AD_LABELS = frozenset({"বিজ্ঞাপন", "advertisement", "sponsored", "স্পন্সরড"})
_ROLE_WORDS = regex.compile(r"ডেস্ক|প্রতিবেদক|প্রতিনিধি|সংবাদদাতা|desk|correspondent|reporter", regex.IGNORECASE)


def _problem(code: str, file: str, record: str, message: str, hint: str) -> Problem:
    return Problem(code, file, record, "", message, hint)


# ---------------------------------------------------------------------------------------------
# bytes → str


def declared_charset(raw: bytes) -> str | None:
    """Charset from a BOM or a <meta charset> / http-equiv Content-Type in the first 4 KB."""
    for bom, name in _BOMS:
        if raw.startswith(bom):
            return name
    m = _META_CHARSET.search(raw[:4096])
    return m.group(1).decode("ascii") if m else None


def _decode(raw: bytes) -> tuple[str | None, str, str]:
    """(text, codec, reason): decode with the declared charset (UTF-8 if none); text is None when
    that is impossible or would give mojibake."""
    declared = declared_charset(raw) or "utf-8"
    try:
        name = codecs.lookup(declared).name
    except LookupError:
        return None, "", f"declared charset {declared!r} is unknown"
    if name.startswith(("utf-16", "utf-32")) and not raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        name = "utf-8"  # a <meta> can only be read if the bytes are ASCII-compatible (HTML spec)
    try:
        text = raw.decode(name)
    except UnicodeDecodeError as exc:
        return None, name, f"bytes are not valid {declared} (first bad byte at {exc.start})"
    if name not in ("utf-8", "utf-8-sig") and not name.startswith("utf-16") and not raw.isascii():
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            # Non-ASCII bytes that are valid UTF-8 are almost never real latin-1/cp1252 text:
            # decoding them as declared would produce mojibake.
            return None, name, f"declared charset {declared!r} but the bytes are UTF-8"
    if sum(text.count(m) for m in _MOJIBAKE) >= 3:
        return None, name, "the text is already mojibake: UTF-8 Bengali saved as windows-1252 ('à¦…')"
    return text.lstrip("\ufeff"), name, ""


def decode_html(raw: bytes) -> tuple[str | None, str]:
    """Decode with the declared charset (UTF-8 if none); (None, reason) when that is impossible or wrong."""
    text, _, reason = _decode(raw)
    return text, reason


def content_type(codec: str) -> str:
    """Media type with the charset the page was read in, e.g. `text/html; charset=utf-8`."""
    return f"text/html; charset={_IANA.get(codec, codec)}"


def _not_html(raw: bytes, text: str | None) -> str | None:
    """Why the bytes are not an HTML page (NUL or control bytes, no markup at all), or None."""
    if not raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        nul = raw.find(b"\x00")
        if nul >= 0:
            return f"NUL byte at offset {nul}: binary data, or UTF-16 without a byte-order mark"
        head = raw[:65536]
        controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
        if controls > max(8, len(head) // 200):
            return f"{controls} control bytes in the first {len(head)} bytes: binary data"
    if text is not None:
        if "\x00" in text:
            return f"NUL character at offset {text.index(chr(0))}"
        if _MARKUP.search(text) is None:
            return "no markup at all"
    return None


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


def _squash(s: str) -> str:
    """NFC, entities decoded, whitespace collapsed: how a metadata string is stored."""
    return " ".join(unicodedata.normalize("NFC", htmllib.unescape(s)).split())


# ---------------------------------------------------------------------------------------------
# metadata


@dataclass(slots=True)
class PageMeta:
    """Metadata found in one page, each field from the first source that had it."""

    title: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    authors: list[str] = field(default_factory=list)
    site: str | None = None
    canonical: str | None = None
    language: str | None = None
    byline: str | None = None
    agencies: list[str] = field(default_factory=list)  # from structured data only
    headings: set[str] = field(default_factory=set)  # every title candidate, to spot it in the body


def _parse_iso(value: str) -> datetime | None:
    """An ISO 8601 datetime (Bengali digits allowed), aware in Asia/Dhaka if the page gave no
    offset; a Bengali date string as a fallback. Date-only values give None (no time to report)."""
    v = value.strip().translate(_BN_DIGITS)
    if not v:
        return None
    try:
        dt = datetime.fromisoformat(v)
    except ValueError:
        parsed = parse_date(value)
        return parsed if isinstance(parsed, datetime) else None
    if len(v) <= 10:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=DHAKA)


def _walk_jsonld(node: object) -> Iterator[dict]:
    """Every JSON-LD object in document order (through @graph, mainEntity and lists); no recursion."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            yield item
            stack.extend(reversed([item[k] for k in ("@graph", "mainEntity", "mainEntityOfPage") if k in item]))


def _types(obj: dict) -> set[str]:
    t = obj.get("@type", [])
    return {x for x in ([t] if isinstance(t, str) else t if isinstance(t, list) else []) if isinstance(x, str)}


def _names(value: object) -> list[tuple[str, set[str]]]:
    """(name, @types) of a JSON-LD person/organisation value: string, object or list of them."""
    out = []
    for v in value if isinstance(value, list) else [value]:
        if isinstance(v, str) and v.strip():
            out.append((_squash(v), set()))
        elif isinstance(v, dict) and isinstance(v.get("name"), str) and v["name"].strip():
            out.append((_squash(v["name"]), _types(v)))
    return out


def _url(value: object) -> str | None:
    """An absolute http(s) URL from a string or an object's @id/url."""
    if isinstance(value, dict):
        value = value.get("@id") or value.get("url")
    if isinstance(value, list) and value:
        value = value[0]
    if isinstance(value, str) and value.strip().lower().startswith(("http://", "https://")):
        return value.strip()
    return None


def _lang(value: object) -> str | None:
    """A BCP-47-looking tag (`bn_BD` → `bn-BD`), or None."""
    if isinstance(value, dict):
        value = value.get("alternateName") or value.get("name")
    if not isinstance(value, str):
        return None
    v = value.strip().replace("_", "-")
    return v if _LANG.fullmatch(v) else None


def _from_jsonld(tree: lxml.html.HtmlElement, meta: PageMeta) -> None:
    """Fill meta from the page's JSON-LD article (the first object typed as one)."""
    objects: list[dict] = []
    for script in tree.iter("script"):
        if "ld+json" not in (script.get("type") or "").lower():
            continue
        try:
            objects.extend(_walk_jsonld(json.loads(script.text or "")))
        except (ValueError, RecursionError):
            continue  # broken JSON-LD is common; the meta tags still count
    article = next((o for o in objects if _types(o) & _ARTICLE_TYPES), None)
    if article is None:
        article = next((o for o in objects if isinstance(o.get("headline"), str)), None)
    if article is not None:
        for key in ("headline", "name"):
            if isinstance(article.get(key), str) and article[key].strip():
                meta.title = _squash(article[key])
                break
        if isinstance(article.get("datePublished"), str):
            meta.published = _parse_iso(article["datePublished"])
        if isinstance(article.get("dateModified"), str):
            meta.updated = _parse_iso(article["dateModified"])
        publisher = _names(article.get("publisher"))
        meta.site = publisher[0][0] if publisher else None
        for name, types in _names(article.get("author")):
            if types & _ORG_TYPES:
                if name != meta.site:  # the outlet crediting itself is not an agency
                    meta.agencies.append(name)
            else:
                meta.authors.append(name)
        meta.agencies += [n for n, _ in _names(article.get("sourceOrganization")) if n not in meta.agencies]
        meta.canonical = _url(article.get("url")) or _url(article.get("mainEntityOfPage"))
        meta.language = _lang(article.get("inLanguage"))
    if meta.site is None:
        org = next((o for o in objects if _types(o) & _ORG_TYPES and isinstance(o.get("name"), str)), None)
        meta.site = _squash(org["name"]) if org else None


def _from_meta_tags(tree: lxml.html.HtmlElement, meta: PageMeta) -> None:
    """Fill what is still missing from <meta>, <link rel=canonical>, <time> and <html lang>."""
    tags: dict[str, str] = {}
    for el in tree.iter("meta"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or el.get("http-equiv") or "").strip().lower()
        value = (el.get("content") or "").strip()
        if key and value:
            tags.setdefault(key, value)
    for el in tree.iter("time"):
        key = (el.get("itemprop") or "").strip().lower()
        if key and el.get("datetime"):
            tags.setdefault(key, el.get("datetime", ""))

    def first(keys: tuple[str, ...]) -> str | None:
        return next((tags[k] for k in keys if k in tags), None)

    meta.published = meta.published or _first_date(tags, _PUBLISHED_KEYS)
    meta.updated = meta.updated or _first_date(tags, _MODIFIED_KEYS)
    if meta.site is None and first(_SITE_KEYS):
        meta.site = _squash(first(_SITE_KEYS))  # type: ignore[arg-type]
    if meta.title is None and first(_TITLE_KEYS):
        meta.title = _trim_site(_squash(first(_TITLE_KEYS)), meta.site)  # type: ignore[arg-type]
    if not meta.authors:
        for key in _AUTHOR_KEYS:
            value = tags.get(key)
            if value and not _url(value):
                meta.authors = [a for a in _AUTHOR_SPLIT.split(_BYLINE_LABEL.sub("", _squash(value))) if a]
                break
    if meta.canonical is None:
        link = next((el.get("href") for el in tree.iter("link")
                     if "canonical" in (el.get("rel") or "").lower().split()), None)
        meta.canonical = _url(link) or _url(tags.get("og:url"))
    if meta.language is None:
        root = tree.getroottree().getroot()
        meta.language = (_lang(root.get("lang")) or _lang(root.get("{http://www.w3.org/XML/1998/namespace}lang"))
                         or _lang(tags.get("og:locale")) or _lang(tags.get("content-language"))
                         or _lang(tags.get("dc.language")))


def _first_date(tags: dict[str, str], keys: tuple[str, ...]) -> datetime | None:
    """The first of `keys` whose value parses as a datetime."""
    for key in keys:
        value = _parse_iso(tags[key]) if key in tags else None
        if value is not None:
            return value
    return None


def _trim_site(title: str, site: str | None) -> str:
    """`শিরোনাম | প্রথম আলো` → `শিরোনাম` when the site name is known; else split on ` | `."""
    if site:
        for sep in (" | ", " - ", " – ", " — ", " :: ", " : "):
            if title.endswith(sep + site):
                return title[: -len(sep + site)].strip()
            if title.startswith(site + sep):
                return title[len(site + sep):].strip()
    parts = [p.strip() for p in title.split(" | ") if p.strip()]
    return max(parts, key=len) if len(parts) > 1 else title


def _from_visible(tree: lxml.html.HtmlElement, meta: PageMeta) -> None:
    """Fill what is still missing from what the page prints: h1/<title>, byline, labelled dates."""
    body = tree.find("body")
    h1 = next((_squash(el.text_content()) for el in (body if body is not None else tree).iter("h1")
               if el.text_content().strip()), None)
    title_el = tree.find(".//title")
    doc_title = _squash(title_el.text_content()) if title_el is not None and title_el.text_content() else None
    if h1:
        meta.headings.add(h1)
    if meta.title is None:
        meta.title = h1 if h1 and len(h1) <= 300 else (_trim_site(doc_title, meta.site) if doc_title else None)
    if meta.title:
        meta.headings.add(meta.title)
    meta.byline = _visible_byline(body if body is not None else tree)
    if meta.byline is None and meta.authors:
        meta.byline = ", ".join(meta.authors)
    if not meta.authors and meta.byline and wire_name(meta.byline) is None and not _ROLE_WORDS.search(meta.byline):
        meta.authors = [a for a in _AUTHOR_SPLIT.split(meta.byline) if a]
    if meta.published is None or meta.updated is None:
        published, updated = _visible_dates(body if body is not None else tree)
        meta.published = meta.published or published
        meta.updated = meta.updated or updated


def _visible_byline(root: lxml.html.HtmlElement) -> str | None:
    """Text of the first short element marked as byline/author (class, id, itemprop or rel); of two
    nested ones the inner wins (`author-block` › `author-name`, not the place beside it), unless the
    inner one is only a label (`লিখেছেন`)."""
    found = [el for el in _MARKED(root)  # class, id, itemprop or rel says byline/author
             if any(h in " ".join(el.get(a) or "" for a in _MARK_ATTRS).lower() for h in _BYLINE_HINTS)]
    texts = {el: _byline_text(el) for el in found}
    for el in found:
        if texts[el] is None:
            continue
        inner = next((d for d in el.iterdescendants() if texts.get(d)), None)
        return texts[inner] if inner is not None else texts[el]
    return None


def _byline_text(el: lxml.html.HtmlElement) -> str | None:
    """An element's text as a byline: dates and labels cut off; None unless short and not a sentence."""
    text = _squash(" ".join(el.itertext()))
    date = search_date(text)
    if date is not None:
        text = text[: date.start]
    cut = _BYLINE_CUT.search(text)
    if cut:
        text = text[: cut.start()]
    text = _BYLINE_LABEL.sub("", text).strip(" ,:：|-–")
    if text and len(text) <= 60 and len(text.split()) <= 8 and not text.endswith("।"):
        return text
    return None


def _visible_dates(root: lxml.html.HtmlElement) -> tuple[datetime | None, datetime | None]:
    """(published, updated) from dates printed on the page, preferring `প্রকাশ:`/`আপডেট:` labels."""
    chunks = root.xpath(".//text()[not(ancestor::script or ancestor::style or ancestor::noscript"
                        " or ancestor::template)]")
    text = unicodedata.normalize("NFC", " ".join(t for t in chunks if t.strip()))
    found = [d for d in search_dates(text) if isinstance(d.value, datetime)]
    published = next((d.value for d in found if d.prefix in ("প্রকাশ", "প্রকাশিত")), None)
    updated = next((d.value for d in found if d.prefix and d.prefix not in ("প্রকাশ", "প্রকাশিত")), None)
    if published is None:
        published = next((d.value for d in found if d.prefix is None), None)
    return published, updated  # type: ignore[return-value]


def page_metadata(tree: lxml.html.HtmlElement) -> PageMeta:
    """Metadata of a parsed page: JSON-LD, then meta tags, then visible text, field by field."""
    meta = PageMeta()
    _from_jsonld(tree, meta)
    _from_meta_tags(tree, meta)
    _from_visible(tree, meta)
    return meta


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
    reason = _not_html(raw, None)
    if reason is not None:
        return empty, [_problem("html-not-html", file, record, reason, _NOT_HTML_HINT)]
    html, codec, reason = _decode(raw)
    if html is None:
        return empty, [_problem(
            "html-bad-encoding", file, record, reason,
            "re-capture the page, or fix its <meta charset>; never guess an encoding",
        )]
    if not html.strip():
        return empty, [_problem("html-empty-body", file, record, "the file is empty",
                                "re-capture the page")]
    reason = _not_html(raw, html)
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
