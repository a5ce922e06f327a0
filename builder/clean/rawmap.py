"""Provenance map: every paragraph of a cleaned text → the byte range of the raw capture it came from.

HTML: one linear scan of the decoded page records where each visible character came from (the
character itself, or the whole entity reference such as `&zwj;` that produced it). A paragraph is
then looked up in that stream ignoring whitespace and the few characters trafilatura adds or
drops, and its first and last characters become byte offsets in the raw file, so the range runs
from the first to the last byte of the markup that produced the paragraph, inner tags included.
Text captures: each paragraph is one kept line, mapped to that line's bytes.
Never raises on odd markup: a paragraph that cannot be found exactly is placed as well as
possible and reported back, so the caller can say so.
"""

from __future__ import annotations

import codecs
import html as htmllib
import html.entities as htmlentities
import unicodedata
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import regex

from builder.records import MapEntry

PARAGRAPH_SEP = "\n\n"

# Characters left out when comparing a paragraph with the page: whitespace (trafilatura collapses
# it), controls and format characters other than ZWJ/ZWNJ (trafilatura deletes them), and the
# list/table markers its text output adds ("- ", "| ", "|---|", "\|").
_IGNORED_SET = r"[\s\p{Cc}\p{Cf}|\\\-\u2424]--[\u200c\u200d]"
_IGNORED = regex.compile(rf"[{_IGNORED_SET}]+", regex.V1)
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
_ANCHOR = 8  # shortest start that counts as finding a paragraph that is not there whole
_PROBE = 32  # code points of a paragraph's start and end used to place it when it is not found whole


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
        self.key = _IGNORED.sub("", self.text)
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


def _key(s: str) -> str:
    """A paragraph as compared with the page: NFC, ignored characters removed."""
    return _IGNORED.sub("", unicodedata.normalize("NFC", s))


def _longest(pk: str, found: Callable[[int], int]) -> int:
    """Largest L in [0, len(pk)] with found(L) >= 0 (found is monotone in L)."""
    lo, hi = 0, len(pk)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if found(mid) >= 0:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _place(key: str, pk: str, lo: int) -> tuple[int, int, bool]:
    """Key range [start, end) of paragraph key pk, searching from lo; exact flag.

    Not found whole: from where its longest findable prefix starts to where its longest findable
    suffix ends (or, failing that, everything from lo on).
    """
    i = key.find(pk, lo)
    if i < 0:
        i = key.find(pk)
    if i >= 0:
        return i, i + len(pk), True
    head = pk[:_PROBE]
    for origin in (lo, 0):
        n = _longest(head, lambda L: key.find(head[:L], origin))  # noqa: B023 - called right here
        if n >= min(_ANCHOR, len(head)):
            break
    else:
        return lo, len(key), False
    start = key.find(head[:n], origin)
    tail = pk[-_PROBE:]
    m = _longest(tail, lambda L: key.find(tail[len(tail) - L :], start))
    end = key.find(tail[len(tail) - m :], start) + m
    return start, max(end, start + n), False


@dataclass(frozen=True, slots=True)
class ByteOffsets:
    """Character offsets in the decoded page → byte offsets in the raw file."""

    raw: bytes
    html: str
    encoding: str  # the codec the page was decoded with

    def convert(self, positions: Sequence[int]) -> dict[int, int]:
        """Byte offset of each character position (positions may repeat, any order)."""
        wanted = sorted(set(positions))
        enc = _plain_codec(self.encoding, self.raw)
        try:
            body = self.html.encode(enc)
        except (UnicodeError, LookupError):
            body = None
        if body is not None and self.raw.endswith(body):
            out, prev, acc = {}, 0, len(self.raw) - len(body)  # acc starts after any BOM
            for p in wanted:
                acc += len(self.html[prev:p].encode(enc))
                out[p], prev = acc, p
            return out
        return self._by_decoding(wanted)

    def _by_decoding(self, wanted: list[int]) -> dict[int, int]:
        """Slow path for codecs that do not round-trip: decode byte by byte, noting where each
        character's bytes begin."""
        plain = _plain_codec(self.encoding, self.raw)
        begin = _bom_length(self.encoding, self.raw)
        decoder = codecs.getincrementaldecoder(plain)(errors="replace")
        starts = array("q")
        for b in range(begin, len(self.raw)):
            got = decoder.decode(self.raw[b : b + 1])
            if got:
                starts.extend([begin] * len(got))
                begin = b + 1
        lead = max(0, len(starts) - len(self.html))  # U+FEFFs the caller stripped from the front
        return {p: starts[p + lead] if p + lead < len(starts) else len(self.raw) for p in wanted}


def _bom_length(encoding: str, raw: bytes) -> int:
    """Bytes of the byte-order mark the codec consumes at the start of raw."""
    name = codecs.lookup(encoding).name
    if name == "utf-8-sig" and raw.startswith(codecs.BOM_UTF8):
        return 3
    if name == "utf-16" and raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return 2
    if name == "utf-32" and raw.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return 4
    return 0


def _plain_codec(encoding: str, raw: bytes) -> str:
    """The codec without BOM handling, so a slice encodes to exactly its bytes."""
    name = codecs.lookup(encoding).name
    if name == "utf-8-sig":
        return "utf-8"
    if name in ("utf-16", "utf-32"):
        return f"{name}-be" if raw.startswith((b"\xfe\xff", b"\x00\x00\xfe\xff")) else f"{name}-le"
    return name


def paragraph_ranges(paragraphs: Sequence[str]) -> list[tuple[int, int]]:
    """Code-point range of each paragraph in PARAGRAPH_SEP.join(paragraphs)."""
    out, at = [], 0
    for p in paragraphs:
        out.append((at, at + len(p)))
        at += len(p) + len(PARAGRAPH_SEP)
    return out


def map_html(
    raw: bytes, html: str, encoding: str, paragraphs: Sequence[str], *, title_first: bool = True
) -> tuple[tuple[MapEntry, ...], list[int]]:
    """Map every paragraph of the cleaned text (the title first, if title_first) into the raw page.

    Returns the entries, one per paragraph in order, and the indexes of paragraphs that could only
    be placed approximately. `html` is the decoded page and `encoding` the codec that decoded it.
    """
    scan = scan_html(html)
    stream = scan.text
    body_k = stream.key_index(stream.at_source(scan.body_at))
    cursor = body_k
    placed: list[tuple[int, int]] = []  # source character ranges
    inexact: list[int] = []
    for idx, para in enumerate(paragraphs):
        pk = _key(para)
        if not pk:
            placed.append((0, 0))
            inexact.append(idx)
            continue
        if idx == 0 and title_first:
            found = _place_title(scan, pk, body_k)
            if found is not None:
                rng, k_end = found
                placed.append(rng)
                if k_end is not None:
                    cursor = k_end
                continue
        if not stream.key:
            placed.append((0, 0))
            inexact.append(idx)
            continue
        start, end, exact = _place(stream.key, pk, cursor)
        if not exact:
            inexact.append(idx)
        if end <= start:
            end = min(start + 1, len(stream.key))
            start = end - 1
        placed.append(stream.source(start, end))
        cursor = end
    to_bytes = ByteOffsets(raw, html, encoding).convert([p for rng in placed for p in rng])
    entries = tuple(
        MapEntry(s, e, to_bytes[a], max(to_bytes[a], to_bytes[b]))
        for (s, e), (a, b) in zip(paragraph_ranges(paragraphs), placed)
    )
    return entries, inexact


def _place_title(scan: Scan, pk: str, body_k: int) -> tuple[tuple[int, int], int | None] | None:
    """Where the title shows: in the body (an <h1>), else <title>, else a meta value or JSON-LD."""
    stream = scan.text
    i = stream.key.find(pk, body_k)
    if i >= 0:
        return stream.source(i, i + len(pk)), i + len(pk)
    i = stream.key.find(pk)
    if i >= 0:
        return stream.source(i, i + len(pk)), None
    for extra in scan.extras:
        i = extra.key.find(pk)
        if i >= 0:
            return extra.source(i, i + len(pk)), None
    return None


def map_lines(raw: str, line_numbers: Sequence[int], paragraphs: Sequence[str]) -> tuple[MapEntry, ...]:
    """Map each paragraph of a text capture to the bytes (UTF-8) of the 1-based raw line it came from.

    The range covers the line without its line break and without the trailing whitespace the
    cleaner strips; a BOM before the first line is left out.
    """
    wanted = set(line_numbers)
    spans: dict[int, tuple[int, int]] = {}
    byte_at = 0
    number = 1
    line_start = 0
    for m in regex.finditer(r"\r\n|\r|\n|\Z", raw):
        if number in wanted:
            line = raw[line_start : m.start()]
            lead = 1 if number == 1 and line.startswith("\ufeff") else 0  # as the cleaner does
            start = byte_at + len(line[:lead].encode("utf-8"))
            spans[number] = (start, start + len(line[lead:].rstrip().encode("utf-8")))
        byte_at += len(raw[line_start : m.end()].encode("utf-8"))
        line_start = m.end()
        number += 1
        if m.group() == "":
            break
    return tuple(
        MapEntry(s, e, *spans[n]) for (s, e), n in zip(paragraph_ranges(paragraphs), line_numbers)
    )
