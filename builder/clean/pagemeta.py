"""A parsed HTML page → PageMeta, per field from the first source that has it: JSON-LD (NewsArticle/Article/…,
@graph included), then Open Graph and other meta tags, then what the page prints (h1/<title>, byline element,
`প্রকাশ:` dates read with builder.clean.dates). Never htmldate's guesses.
"""

from __future__ import annotations

import html as htmllib
import json
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

import lxml.etree
import lxml.html
import regex

from builder.clean.credits import wire_name
from builder.clean.dates import DHAKA, parse_date, search_date, search_dates

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


_ROLE_WORDS = regex.compile(r"ডেস্ক|প্রতিবেদক|প্রতিনিধি|সংবাদদাতা|desk|correspondent|reporter", regex.IGNORECASE)


def _squash(s: str) -> str:
    """NFC, entities decoded, whitespace collapsed: how a metadata string is stored."""
    return " ".join(unicodedata.normalize("NFC", htmllib.unescape(s)).split())
