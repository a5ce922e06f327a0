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
import unicodedata
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from builder.clean.htmlscan import IGNORED, Scan, scan_html
from builder.records import MapEntry

PARAGRAPH_SEP = "\n\n"

_ANCHOR = 8  # shortest start that counts as finding a paragraph that is not there whole
_PROBE = 32  # code points of a paragraph's start and end used to place it when it is not found whole


def _key(s: str) -> str:
    """A paragraph as compared with the page: NFC, ignored characters removed."""
    return IGNORED.sub("", unicodedata.normalize("NFC", s))


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
    data = raw.encode("utf-8")  # UTF-8 is per character and line breaks are ASCII: the lines' bytes, in place
    lines = data.splitlines(keepends=True)  # bytes split on \r\n, \r and \n only: the cleaner's line breaks
    if not lines or lines[-1].endswith((b"\n", b"\r")):
        lines.append(b"")  # the empty last line after a final line break (the cleaner counts it too)
    line_start = 0
    for number, chunk in enumerate(lines, start=1):
        if number in wanted:
            line = chunk.rstrip(b"\r\n").decode("utf-8")
            lead = 1 if number == 1 and line.startswith("\ufeff") else 0  # as the cleaner does
            start = line_start + len(line[:lead].encode("utf-8"))
            spans[number] = (start, start + len(line[lead:].rstrip().encode("utf-8")))
        line_start += len(chunk)
    return tuple(
        MapEntry(s, e, *spans[n]) for (s, e), n in zip(paragraph_ranges(paragraphs), line_numbers)
    )
