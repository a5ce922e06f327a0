"""One linear scan of a decoded HTML page → the text it shows, each character with the source range that
produced it (the character itself, or the whole entity reference such as `&zwj;`).

Comments, scripts and styles show nothing; <title> and the values of <meta content> and JSON-LD blocks are
kept as extra streams. Never raises on odd markup, and no position is scanned twice.
"""

from __future__ import annotations

import html as htmllib
import html.entities as htmlentities
import unicodedata
from array import array
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

import regex

# Characters left out when comparing a paragraph with the page: whitespace (trafilatura collapses
# it), controls and format characters other than ZWJ/ZWNJ (trafilatura deletes them), and the
# list/table markers its text output adds ("- ", "| ", "|---|", "\|").
_IGNORED_SET = r"[\s\p{Cc}\p{Cf}|\\\-\u2424]--[\u200c\u200d]"
IGNORED = regex.compile(rf"[{_IGNORED_SET}]+", regex.V1)
_KEPT = regex.compile(rf"[^{_IGNORED_SET}]+", regex.V1)
# A character reference; a name needs two letters (there are no one-letter ones), so "&a&a…" is text.
_ENTITY = regex.compile(r"&(?:#[xX][0-9A-Fa-f]++;?|#[0-9]++;?|[A-Za-z][A-Za-z0-9]{1,31}+;?)")
# A start tag: name, then attributes whose quoted values may hold '>' (possessive: linear time).
_START_TAG = regex.compile(
    r"<([A-Za-z][^\s/>]*+)"
    r"((?:\s*+(?:[^\s/>=]++(?:\s*+=\s*+(?:\"[^\"]*+\"|'[^']*+'|[^\s>]*+))?|/))*+)\s*+>"
)
_ATTR = regex.compile(r"([^\s/>=]++)(?:\s*+=\s*+(?:\"([^\"]*+)\"|'([^']*+)'|([^\s>]*+)))?")
_END_TAG = regex.compile(r"</([A-Za-z][^\s/>]*+)[^>]*+>")
_RAWTEXT = frozenset({"script", "style", "xmp", "iframe", "noembed", "noframes"})  # no text, no tags
_RCDATA = frozenset({"title", "textarea"})  # text with entities, no tags
_CLOSERS: dict[str, regex.Pattern[str]] = {}
_NAMED = frozenset(htmlentities.html5)  # "amp;", and the legacy names without ";" ("amp")


def _reference(ref: str) -> str | None:
    """What a character reference stands for (as html.unescape reads it), or None if it is text."""
    if ref[1] != "#":
        name = ref[1:]
        # html.unescape only for names that can be one: "&a&a&a…" must not cost a call each.
        if name not in _NAMED and not any(name[:k] in _NAMED for k in range(2, min(len(name), 7))):
            return None
    value = htmllib.unescape(ref)
    return None if value == ref else value


def _closer(name: str) -> regex.Pattern[str]:
    """Pattern of the end tag that closes a raw-text element."""
    if name not in _CLOSERS:
        _CLOSERS[name] = regex.compile(rf"</{name}(?=[\s/>])", regex.IGNORECASE)
    return _CLOSERS[name]


@dataclass(slots=True)
class Stream:
    """Text in document order; piece i starts at `at[i]` and came from html[src[i]:src_end[i]].

    An exact piece maps character for character; any other piece (an entity, or text NFC changed)
    maps as a whole to its source range.
    """

    parts: list[str] = field(default_factory=list)
    at: array = field(default_factory=lambda: array("q"))
    src: array = field(default_factory=lambda: array("q"))
    src_end: array = field(default_factory=lambda: array("q"))
    exact: bytearray = field(default_factory=bytearray)
    size: int = 0
    text: str = ""
    key: str = ""
    _key_at: array = field(default_factory=lambda: array("q"))  # key offset of each kept run
    _run_at: array = field(default_factory=lambda: array("q"))  # stream offset of each kept run

    def add(self, text: str, start: int, end: int, exact: bool) -> None:
        """Append one piece."""
        if not text:
            return
        self.parts.append(text)
        self.at.append(self.size)
        self.src.append(start)
        self.src_end.append(end)
        self.exact.append(exact)
        self.size += len(text)

    def add_text(self, html: str, start: int, end: int) -> None:
        """Append html[start:end] as text, decoding character references."""
        pos = start
        if "&" in html[start:end]:
            for m in _ENTITY.finditer(html, start, end):
                value = _reference(m.group())
                if value is None:
                    continue  # not a reference: literal text
                self.add(html[pos : m.start()], pos, m.start(), True)
                self.add(value, m.start(), m.end(), False)
                pos = m.end()
        self.add(html[pos:end], pos, end, True)

    def finish(self) -> Stream:
        """Join the pieces, NFC them, and build the comparison key."""
        self.text = "".join(self.parts)
        if not unicodedata.is_normalized("NFC", self.text):
            self._nfc()
        self.parts = []
        self.key = IGNORED.sub("", self.text)
        return self

    def _runs(self) -> None:
        """Index the kept runs (built on first use: most meta values are never looked up)."""
        if self._run_at or not self.key:
            return
        total = 0
        for m in _KEPT.finditer(self.text):
            self._key_at.append(total)
            self._run_at.append(m.start())
            total += m.end() - m.start()

    def _nfc(self) -> None:
        """NFC piece by piece; a word NFC changes maps as a whole (BENGALI.md §1.3: য় U+09DF etc.)."""
        old = (self.parts, self.at, self.src, self.src_end, self.exact)
        self.parts, self.at, self.src, self.src_end, self.exact = [], array("q"), array("q"), array("q"), bytearray()
        self.size = 0
        for text, start, end, exact in zip(old[0], old[2], old[3], old[4]):
            norm = unicodedata.normalize("NFC", text)
            if norm == text:
                self.add(text, start, end, bool(exact))
            elif not exact:
                self.add(norm, start, end, False)
            else:
                for m in regex.finditer(r"\s+|\S+", text):
                    chunk = m.group()
                    norm = unicodedata.normalize("NFC", chunk)
                    s, e = start + m.start(), start + m.end()
                    self.add(norm, s, e, norm == chunk)
        self.text = "".join(self.parts)

    def key_index(self, i: int) -> int:
        """Key offset of the first kept character at or after stream offset i."""
        self._runs()
        r = bisect_right(self._run_at, i) - 1
        if r < 0:
            return 0
        run_len = (self._key_at[r + 1] if r + 1 < len(self._key_at) else len(self.key)) - self._key_at[r]
        return self._key_at[r] + min(max(i - self._run_at[r], 0), run_len)

    def stream_index(self, k: int) -> int:
        """Stream offset of key character k."""
        self._runs()
        r = bisect_right(self._key_at, k) - 1
        return self._run_at[r] + (k - self._key_at[r])

    def at_source(self, pos: int) -> int:
        """Stream offset of the first text that comes from html[pos:] (size if none does)."""
        p = bisect_left(self.src, pos)
        return self.at[p] if p < len(self.at) else self.size

    def source(self, k: int, k_end: int) -> tuple[int, int]:
        """Source (html) character range of key characters [k, k_end), k_end > k."""
        first, last = self.stream_index(k), self.stream_index(k_end - 1)
        p = bisect_right(self.at, first) - 1
        start = self.src[p] + (first - self.at[p]) if self.exact[p] else self.src[p]
        q = bisect_right(self.at, last) - 1
        end = self.src[q] + (last - self.at[q]) + 1 if self.exact[q] else self.src_end[q]
        return start, end


@dataclass(slots=True)
class Scan:
    """What a page shows: its text stream, plus meta content values and JSON-LD blocks."""

    text: Stream
    body_at: int  # html offset of the <body> tag (0 if the page has none)
    extras: list[Stream]  # <meta content> values and ld+json scripts, for a title found nowhere else


def scan_html(html: str) -> Scan:
    """One pass over the page: visible text with source positions; comments and scripts skipped.

    Linear time: every construct that lacks its terminator runs to the end of the page, as in a
    browser, so no position is ever scanned twice.
    """
    text = Stream()
    extras: list[Stream] = []
    body_at = -1
    n = len(html)
    pos = run = 0  # run: start of the pending text
    while True:
        lt = html.find("<", pos)
        if lt < 0:
            text.add_text(html, run, n)
            break
        nxt = html[lt + 1 : lt + 2]
        if nxt == "!" or nxt == "?":
            if html.startswith("<!--", lt):
                if html.startswith(("<!-->", "<!--->"), lt):
                    end = html.find(">", lt + 4) + 1
                else:
                    close = html.find("-->", lt + 4)
                    end = n if close < 0 else close + 3
            else:  # doctype, CDATA, processing instruction: a bogus comment up to '>'
                close = html.find(">", lt + 2)
                end = n if close < 0 else close + 1
            text.add_text(html, run, lt)
            pos = run = end
            continue
        if nxt == "/":
            text.add_text(html, run, lt)
            m = _END_TAG.match(html, lt)
            if m is not None:
                pos = run = m.end()
                continue
            # "</" + non-letter is a bogus comment up to '>'; an unterminated end tag ends the page
            close = html.find(">", lt + 2)
            if close < 0:
                break
            pos = run = close + 1
            continue
        if not nxt.isascii() or not nxt.isalpha():
            pos = lt + 1  # "<" not starting a tag: literal text
            continue
        text.add_text(html, run, lt)
        m = _START_TAG.match(html, lt)
        if m is None:
            close = html.find(">", lt)
            if close < 0:
                break  # an unterminated tag swallows the rest of the page
            pos = run = close + 1
            continue
        name = m.group(1).lower()
        pos = run = m.end()
        if name == "body" and body_at < 0:
            body_at = lt
        elif name == "meta":
            attrs = _attrs(m)
            if "content" in attrs:
                value = Stream()
                value.add_text(html, *attrs["content"])
                extras.append(value)
        elif name in _RAWTEXT or name in _RCDATA:
            close_m = _closer(name).search(html, pos)
            close = n if close_m is None else close_m.start()
            if name in _RCDATA:
                text.add_text(html, pos, close)
            elif name == "script" and "ld+json" in html[lt : m.end()].lower():
                block = Stream()
                block.add(html[pos:close], pos, close, True)
                extras.append(block)
            pos = run = close
    return Scan(text.finish(), max(body_at, 0), [e.finish() for e in extras])


def _attrs(m: regex.Match[str]) -> dict[str, tuple[int, int]]:
    """Source ranges of a start tag's attribute values, by lower-cased name (first wins)."""
    out: dict[str, tuple[int, int]] = {}
    for a in _ATTR.finditer(m.string, m.start(2), m.end(2)):
        for g in (2, 3, 4):
            if a.group(g) is not None:
                out.setdefault(a.group(1).lower(), (a.start(g), a.end(g)))
                break
    return out
