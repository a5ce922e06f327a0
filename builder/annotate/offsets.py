"""Span offsets written in a foreign convention → code-point offsets into the committed text, or None.

Input: the committed text, a span's `start`/`end` as found in an export, and the span's claimed
surface (`value.text`). Output: a `Repair` with code-point offsets whose slice IS the claimed text,
and `how` names the convention the offsets were written in:

  exact        offsets are code points already (what Label Studio stores)
  backslash-n  offsets are right; `value.text` carries a literal backslash-n where the text has a
               line break (the LS UI does this for spans that cross a newline)
  utf16        offsets count UTF-16 code units: every astral character (emoji, 𝔸) counts twice
  crlf         offsets were counted on the text with CRLF collapsed to LF, or with every bare LF
               written as CRLF (Windows tools, issues #1347 #539 #4929)
  utf16+crlf   both at once

Refuses to guess: a reading is accepted only when the slice at the converted offsets equals the
claimed text (line ends compared CR-insensitively only under a line-end convention). A claimed
text found under no reading → None; it is never searched for in the text, and neither side is
Unicode-normalised (precomposed য় U+09DF does not match য + nukta). No claimed text → the offsets
as given if they are in range ("exact"; nothing can prove a shift), else None.

One annotation uses one convention: `detect_convention` names it from the spans that needed a
repair, and `repair(..., prefer=that)` tries it first, so a surface that by chance also sits at
the unconverted offsets resolves like its neighbours.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

HOWS = ("exact", "backslash-n", "utf16", "crlf", "utf16+crlf")

# A reading = (count astral chars as 2, line-end mode). "keep" leaves line ends alone, "collapse"
# counts CRLF as one unit, "expand" counts a bare LF as two.
_Reading = tuple[bool, str]
_READINGS: dict[str, tuple[_Reading, ...]] = {
    "utf16": ((True, "keep"),),
    "crlf": ((False, "collapse"), (False, "expand")),
    "utf16+crlf": ((True, "collapse"), (True, "expand")),
}
_ORDER = ("utf16", "crlf", "utf16+crlf")
_NAME = {r: how for how, rs in _READINGS.items() for r in rs} | {(True, "keep"): "utf16"}


@dataclass(frozen=True, slots=True)
class Repair:
    start: int  # code points into the committed text
    end: int
    how: str  # one of HOWS


class OffsetMap:
    """Boundary tables for one text, built lazily per reading; each lookup is O(1).

    A table maps a boundary in the foreign count to a code-point boundary; a foreign boundary
    with no code-point counterpart (inside a surrogate pair, between CR and LF) maps to -1.
    """

    __slots__ = ("_from_cp", "_to_cp", "has_astral", "has_bare_lf", "has_crlf", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        # astral characters take two UTF-16 units; encoding is C-speed, a Python loop is not
        self.has_astral = len(text.encode("utf-16-le", "surrogatepass")) != 2 * len(text)
        self.has_crlf = "\r\n" in text
        # a LF not preceded by CR; str.count is C-speed, so this stays cheap for LF-only texts
        self.has_bare_lf = text.count("\n") > text.count("\r\n")
        self._to_cp: dict[_Reading, list[int]] = {}
        self._from_cp: dict[_Reading, list[int]] = {}

    def effective(self, reading: _Reading) -> _Reading:
        """The reading with its no-op parts dropped for this text: (True, "keep") on a text without
        emoji counts like (False, "keep"), so it has nothing new to prove."""
        utf16, lines = reading
        changes_lines = (lines == "collapse" and self.has_crlf) or (lines == "expand" and self.has_bare_lf)
        return (utf16 and self.has_astral, lines if changes_lines else "keep")

    def is_identity(self, reading: _Reading) -> bool:
        """True when the reading counts exactly like code points on this text."""
        return self.effective(reading) == (False, "keep")

    def to_cp(self, i: int, reading: _Reading) -> int | None:
        """Foreign boundary i → code-point boundary, None when i is no boundary in this text."""
        if self.is_identity(reading):
            return i if 0 <= i <= len(self.text) else None
        table = self._tables(reading)[0]
        if not 0 <= i < len(table):
            return None
        cp = table[i]
        return None if cp < 0 else cp

    def from_cp(self, i: int, reading: _Reading) -> int | None:
        """Code-point boundary i → foreign boundary, None when i has no foreign counterpart."""
        if self.is_identity(reading):
            return i if 0 <= i <= len(self.text) else None
        table = self._tables(reading)[1]
        if not 0 <= i < len(table):
            return None
        f = table[i]
        return None if f < 0 else f

    def _tables(self, reading: _Reading) -> tuple[list[int], list[int]]:
        if reading not in self._to_cp:
            self._to_cp[reading], self._from_cp[reading] = _build(self.text, *reading)
        return self._to_cp[reading], self._from_cp[reading]


def _build(text: str, utf16: bool, lines: str) -> tuple[list[int], list[int]]:
    """One pass over the text: widths per code point in the foreign count, then both tables."""
    n = len(text)
    to_cp: list[int] = []
    from_cp = [-1] * (n + 1)
    f = 0
    for i, c in enumerate(text):
        if lines == "collapse" and c == "\n" and i and text[i - 1] == "\r":
            continue  # the LF of a CRLF pair: the pair was one unit, counted at the CR
        from_cp[i] = f
        to_cp.append(i)
        # a CR that starts a CRLF pair under "collapse" keeps width 1: the boundary between CR and
        # LF stays -1, no foreign offset points there
        astral = utf16 and ord(c) > 0xFFFF
        bare_lf = lines == "expand" and c == "\n" and not (i and text[i - 1] == "\r")
        width = 2 if astral or bare_lf else 1
        to_cp.extend([-1] * (width - 1))
        f += width
    from_cp[n] = f
    to_cp.append(n)
    return to_cp, from_cp


@lru_cache(maxsize=64)
def offset_map(text: str) -> OffsetMap:
    """Shared, cached OffsetMap: repairing many spans of one document builds its tables once."""
    return OffsetMap(text)


def utf16_to_cp(text: str, i: int) -> int:
    """UTF-16 code-unit offset → code-point offset; ValueError inside a surrogate pair or out of range."""
    cp = offset_map(text).to_cp(i, (True, "keep"))
    if cp is None:
        raise ValueError(f"UTF-16 offset {i} is not a character boundary of a text of {len(text)} code points")
    return cp


def cp_to_utf16(text: str, i: int) -> int:
    """Code-point offset → UTF-16 code-unit offset (what JavaScript's String indices count)."""
    u = offset_map(text).from_cp(i, (True, "keep"))
    if u is None:
        raise ValueError(f"code-point offset {i} is outside a text of {len(text)} code points")
    return u


def _unescape(claimed: str) -> str:
    return claimed.replace("\\r", "\r").replace("\\n", "\n")


def _lf(s: str) -> str:
    return s.replace("\r\n", "\n")


def _proves(found: str, claimed: str, lines: str) -> bool:
    if lines == "keep":
        return found == claimed or ("\\" in claimed and _lf(found) == _lf(_unescape(claimed)))
    # Under a line-end reading the claimed text was cut from the other tool's copy of the text,
    # so it differs from ours exactly in CR: compare with CRLF folded on both sides.
    return _lf(found) == _lf(claimed) or ("\\" in claimed and _lf(found) == _lf(_unescape(claimed)))


def repair(text: str, start: int, end: int, claimed: str | None, *, prefer: str | None = None,
           omap: OffsetMap | None = None) -> Repair | None:
    """Code-point offsets proven by `claimed`, or None. `prefer` (e.g. from `detect_convention`) is
    tried first, so a surface that also occurs at the unconverted offsets resolves consistently."""
    n = len(text)
    if not (isinstance(start, int) and isinstance(end, int)):
        return None  # a malformed export; the schema check reports it
    if claimed is None:
        return Repair(start, end, "exact") if 0 <= start < end <= n else None
    if not claimed:
        return None
    if prefer not in _READINGS and 0 <= start < end <= n and text[start:end] == claimed:
        return Repair(start, end, "exact")  # what the first reading below finds, without building its map
    order = ["exact", *_ORDER]
    if prefer in _READINGS:
        order.remove(prefer)
        order.insert(0, prefer)
    omap = omap if omap is not None and omap.text is text else offset_map(text)
    tried: set[_Reading] = set()
    for how in order:
        for reading in _READINGS.get(how, ((False, "keep"),)):
            # On this text a reading may count like a simpler one (no emoji → utf16 is a no-op);
            # name it by what it really does, and skip it when that was tried already.
            reading = omap.effective(reading)
            if reading in tried:
                continue
            tried.add(reading)
            s, e = omap.to_cp(start, reading), omap.to_cp(end, reading)
            if s is None or e is None or s >= e:
                continue
            if (s, e) == (start, end):
                # the reading leaves these offsets alone (the span lies before the first emoji or
                # CRLF): they are right or wrong as they stand, so ask the exact check
                found = _exact(text, start, end, claimed)
                if found is not None:
                    return found
                if reading[1] != "keep" and _proves(text[s:e], claimed, reading[1]):
                    return Repair(s, e, "exact")  # offsets right; only the claimed text has LF for CRLF
            elif _proves(text[s:e], claimed, reading[1]):
                return Repair(s, e, _NAME[reading])
    return None


def _exact(text: str, start: int, end: int, claimed: str) -> Repair | None:
    found = text[start:end]
    if found == claimed:
        return Repair(start, end, "exact")
    # LS writes a literal backslash-n for spans across a line break; CR may be dropped as well
    if "\\" in claimed and _lf(found) == _lf(_unescape(claimed)):
        return Repair(start, end, "backslash-n")
    return None


def detect_convention(text: str, spans: Iterable[tuple[int, int, str | None]]) -> str:
    """The convention most spans of one annotation needed ("exact" when none needed one).

    Spans already right ("exact", or only a backslash-n in their text) and spans nothing proves
    do not vote, so one document written in UTF-16 is reported once, not once per span after the
    first emoji. Ties go to the simpler convention (order of HOWS).
    """
    return convention_and_repairs(text, spans)[0]


def convention_and_repairs(text: str, spans: Iterable[tuple[int, int, str | None]]) -> tuple[str, list[Repair | None]]:
    """detect_convention's answer, and each span's `repair` with no preference: under "exact" these are
    the repairs to apply (repairing again with prefer=None would find the same)."""
    omap = offset_map(text)
    votes: Counter[str] = Counter()
    repairs = []
    for start, end, claimed in spans:
        r = repair(text, start, end, claimed, omap=omap)
        repairs.append(r)
        if r is not None and r.how not in ("exact", "backslash-n"):
            votes[r.how] += 1
    if not votes:
        return "exact", repairs
    best = max(votes.values())
    return next(h for h in HOWS if votes[h] == best), repairs


def survey(text: str, spans: Sequence[tuple[int, int, str | None]]) -> Counter[str]:
    """How many spans each convention repairs ("none" = nothing proves them): for reports."""
    omap = offset_map(text)
    out: Counter[str] = Counter()
    for start, end, claimed in spans:
        r = repair(text, start, end, claimed, omap=omap)
        out[r.how if r else "none"] += 1
    return out
