"""Spans annotated on an old version of a document's text → offsets into its new version, or lost.

Input: the old text, the new text and spans (id, start, end) in code points of the old text.
Output: `Reanchored` — spans that kept their offsets (`unchanged`), spans that MOVED (their exact
text sits at the new offsets) and spans that are LOST, each with the reason.

How: old and new are aligned coarse to fine (lines, then words inside changed lines, then code
points inside changed words; difflib.SequenceMatcher, autojunk off). A span moves where one aligned stretch carries all of its
characters. The greedy matcher can break an unchanged span when equal text is ambiguous (which of
two "রহিম " was deleted?); such a span gets a second chance where its exact text lies, if an
optimal alignment (longest common subsequence) keeps it whole there, the place is the only such
one, and it keeps the order of every span already placed. In every case new[s:e] == old[s:e].

Refuses to: take the first occurrence of the surface (a name that occurs twice would land on the
wrong one), accept a slice that differs in any code point (an edited word, a whitespace change,
NFC recomposing য় U+09DF into U+09AF U+09BC), or drop a span silently — every span ends up in
exactly one of the three lists, a lost one with its reason (a key of REASONS).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

Run = tuple[int, int, int]  # old_start, new_start, length of an aligned stretch of equal text

# Lost reasons: a short stable key (for code and tests) and what it means (for the report).
REASONS = {
    "text changed": "some of its characters were edited or deleted",
    "split": "every character survives, but text was inserted inside it",
    "deleted": "none of its characters is in the new text",
    "ambiguous": "its exact text sits in several places that an optimal alignment allows",
    "bad offsets": "its offsets are outside the old text or empty",
}


@dataclass(frozen=True, slots=True)
class Reanchored:
    moved: list[tuple[str, int, int, int, int]]  # id, old_start, old_end, new_start, new_end
    unchanged: list[str]  # ids whose offsets and text are the same in the new text
    lost: list[tuple[str, int, int, str, str]]  # id, old_start, old_end, old_text, reason (a key of REASONS)
    context: dict[int, str] = field(default_factory=dict, repr=False)  # index into `lost` → old and new surroundings

    def report(self) -> str:
        """Human-readable summary: counts, shifts grouped by size, every lost span with context."""
        total = len(self.moved) + len(self.unchanged) + len(self.lost)
        lines = [f"{total} spans: {len(self.unchanged)} unchanged, {len(self.moved)} moved, {len(self.lost)} lost"]
        shifts = Counter(ns - os for _, os, _, ns, _ in self.moved)
        for delta, count in sorted(shifts.items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"  {count} span{'s' if count != 1 else ''} moved by {delta:+d}")
        for k, (sid, s, e, text, reason) in enumerate(self.lost):
            lines.append(f"  LOST {sid} [{s}:{e}] {text!r}: {reason} ({REASONS.get(reason, '')})")
            if k in self.context:
                lines.append(f"       {self.context[k]}")
        return "\n".join(lines)


def align(old: str, new: str) -> list[Run]:
    """Equal stretches of old and new, increasing in both texts, adjacent stretches merged."""
    if old == new:
        return [(0, 0, len(old))] if old else []
    runs: list[Run] = []
    _align(old, new, 0, 0, 0, runs)
    merged: list[Run] = []
    for r in runs:
        if merged and merged[-1][0] + merged[-1][2] == r[0] and merged[-1][1] + merged[-1][2] == r[1]:
            o, n, size = merged[-1]
            merged[-1] = (o, n, size + r[2])
        else:
            merged.append(r)
    return merged


# Coarse to fine: lines, then words and the gaps between them, then code points. Unchanged
# paragraphs align in O(lines), a word cannot pair with its twin in another paragraph, and the
# quadratic character matcher only sees the few words that changed.
_SPLITTERS = (lambda t: t.splitlines(keepends=True), lambda t: _TOKEN.findall(t))
_TOKEN = re.compile(r"\s+|[^\s]+")


def _align(x: str, y: str, ox: int, oy: int, level: int, runs: list[Run]) -> None:
    if level == len(_SPLITTERS):
        for m in SequenceMatcher(None, x, y, autojunk=False).get_matching_blocks():
            if m.size:
                runs.append((ox + m.a, oy + m.b, m.size))
        return
    a, b = _SPLITTERS[level](x), _SPLITTERS[level](y)
    ao, bo = _starts(a), _starts(b)
    # Blank lines are junk (they may not start a match, or "\n" would pair paragraph breaks at
    # random); spaces between words are not: junk cannot sit inside a match, so multi-word
    # matches would shrink to single words and a name would pair with its first twin.
    junk = _blank if level == 0 else None
    for tag, i1, i2, j1, j2 in SequenceMatcher(junk, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            runs.append((ox + ao[i1], oy + bo[j1], ao[i2] - ao[i1]))
        elif tag == "replace":
            _align(x[ao[i1] : ao[i2]], y[bo[j1] : bo[j2]], ox + ao[i1], oy + bo[j1], level + 1, runs)


def _blank(unit: str) -> bool:
    return not unit.strip()


def _starts(lines: list[str]) -> list[int]:
    out = [0]
    for line in lines:
        out.append(out[-1] + len(line))
    return out


def reanchor(old: str, new: str, spans: Sequence[tuple[str, int, int]]) -> Reanchored:
    """Place every span of `old` in `new`; see the module docstring for what moves and what is lost."""
    runs = align(old, new)
    olds = [r[0] for r in runs]
    placed: dict[int, int] = {}  # index into spans → new start
    pending: dict[int, tuple[str, tuple[int, int]]] = {}  # index → (reason, new-text window)
    for k, (_, s, e) in enumerate(spans):
        if not 0 <= s < e <= len(old):
            pending[k] = ("bad offsets", (0, 0))
            continue
        start, reason, window = _place(runs, olds, s, e, old[s:e], new)
        if start is None:
            pending[k] = (reason, window)
        else:
            placed[k] = start
    if pending:
        _rescue(old, new, spans, placed, pending)
    moved: list[tuple[str, int, int, int, int]] = []
    unchanged: list[str] = []
    lost: list[tuple[str, int, int, str, str]] = []
    context: dict[int, str] = {}
    for k, (sid, s, e) in enumerate(spans):
        if k in placed:
            if placed[k] == s:
                unchanged.append(sid)
            else:
                moved.append((sid, s, e, placed[k], placed[k] + e - s))
            continue
        reason, window = pending[k]
        if reason != "bad offsets":
            context[len(lost)] = _context(old, s, e, new, window)
        lost.append((sid, s, e, old[max(s, 0) : max(e, 0)], reason))
    return Reanchored(moved, unchanged, lost, context)


def _place(runs: list[Run], olds: list[int], s: int, e: int, text: str, new: str) -> tuple[int | None, str, tuple[int, int]]:
    """New start of old[s:e] when one aligned stretch carries the whole span, else None with the
    reason; also the new-text window between the span's aligned neighbours (for the report)."""
    votes: Counter[int] = Counter()  # shift (new - old) → how many of the span's characters it carries
    i = max(bisect_right(olds, s) - 1, 0)
    while i < len(runs) and runs[i][0] < e:
        o, n, size = runs[i]
        overlap = min(e, o + size) - max(s, o)
        if overlap > 0:
            votes[n - o] += overlap
        i += 1
    window = _window(runs, olds, s, e, len(new))
    if len(votes) == 1 and sum(votes.values()) == e - s:
        (delta,) = votes
        assert new[s + delta : e + delta] == text  # aligned stretches are equal text by construction
        return s + delta, "", window
    if not votes:
        return None, "deleted", window
    return None, "split" if sum(votes.values()) == e - s else "text changed", window


def _rescue(old: str, new: str, spans: Sequence[tuple[str, int, int]], placed: dict[int, int],
            pending: dict[int, tuple[str, tuple[int, int]]]) -> None:
    """Second chance for spans the greedy alignment broke: place a span where its exact text lies
    if SOME optimal alignment (longest common subsequence of old and new) keeps it whole there,
    and the place agrees with every span already placed.

    The greedy matcher pairs equal text arbitrarily when a deletion is ambiguous ("রহিম রহিম" →
    "রহিম": which one went?); an optimal alignment that keeps the span is as good an explanation
    as the one that drops it. An edited span never occurs in the new text, and a far-away copy of
    its text costs the alignment everything in between, so neither is rescued.
    """
    best: int | None = None  # LCS(old, new), computed once and only if some span has candidates
    rnew = new[::-1]
    for k in sorted(pending, key=lambda k: spans[k][1]):
        reason, _ = pending[k]
        if reason == "bad offsets":
            continue
        _, s, e = spans[k]
        text, n = old[s:e], len(new)
        hits = _occurrences(new, text, 0, n)
        if not hits:
            continue
        if best is None:
            best = _lcs_prefixes(old, new)[-1]
        size = e - s
        left = _lcs_prefixes(old[:s], new[: hits[-1]])  # left[p] = LCS(old[:s], new[:p])
        right = _lcs_prefixes(old[e:][::-1], rnew[: n - hits[0] - size])  # right[q] = LCS(old[e:], new[n-q:])
        fits = [p for p in hits if left[p] + size + right[n - p - size] == best
                and _agrees(spans, placed, s, e, p)]
        if len(fits) == 1:
            placed[k] = fits[0]
            del pending[k]
        elif fits:
            pending[k] = ("ambiguous", pending[k][1])


def _agrees(spans: Sequence[tuple[str, int, int]], placed: dict[int, int], s: int, e: int, p: int) -> bool:
    """Old order and overlaps survive: overlapping spans shift alike, disjoint ones keep their order."""
    for k, q in placed.items():
        _, s2, e2 = spans[k]
        if s < e2 and s2 < e:
            if p - s != q - s2:
                return False
        elif e <= s2:
            if p + (e - s) > q:
                return False
        elif q + (e2 - s2) > p:
            return False
    return True


def _lcs_prefixes(a: str, b: str) -> list[int]:
    """[LCS(a, b[:j]) for j in 0..len(b)] by the bit-parallel recurrence (Hyyrö 2004): one big-int
    step per character of b, so 3,000 × 3,000 code points take about 2 ms."""
    m = len(a)
    if m == 0:
        return [0] * (len(b) + 1)
    masks: dict[str, int] = {}
    for i, c in enumerate(a):
        masks[c] = masks.get(c, 0) | (1 << i)
    full = (1 << m) - 1
    v, out = full, [0]
    for c in b:
        u = v & masks.get(c, 0)
        v = ((v + u) | (v - u)) & full
        out.append(m - v.bit_count())
    return out


def _window(runs: list[Run], olds: list[int], s: int, e: int, n_new: int) -> tuple[int, int]:
    """New-text stretch between the last aligned character before s and the first at or after e."""
    lo, hi = 0, n_new
    j = bisect_right(olds, s - 1) - 1
    if s > 0 and j >= 0:
        o, n, size = runs[j]
        lo = min(s - 1, o + size - 1) - o + n + 1
    j = bisect_right(olds, e) - 1
    if j >= 0 and runs[j][0] + runs[j][2] > e:
        hi = e - runs[j][0] + runs[j][1]
    elif j + 1 < len(runs):
        hi = runs[j + 1][1]
    return lo, hi


def _occurrences(new: str, text: str, lo: int, hi: int) -> list[int]:
    hits, k = [], new.find(text, lo, hi)
    while k >= 0:
        hits.append(k)
        k = new.find(text, k + 1, hi)
    return hits


def _context(old: str, s: int, e: int, new: str, window: tuple[int, int], width: int = 24) -> str:
    was = f"{old[max(0, s - width):s]}⟦{old[s:e]}⟧{old[e:e + width]}"
    lo, hi = window
    now = new[lo:hi]
    now = now if len(now) <= 3 * width else now[: 3 * width] + "…"
    return f"was: {was!r}  now between the same neighbours: {now!r}"
