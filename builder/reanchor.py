"""Spans annotated on an old version of a document's text → offsets into its new version, or lost.

Input: the old text, the new text and spans (id, start, end) in code points of the old text.
Output: `Reanchored` — spans that kept their offsets (`unchanged`), spans that MOVED (their exact
text sits at the new offsets) and spans that are LOST, each with the reason.

How: old and new are aligned (lines first, then characters inside changed lines, both with
difflib.SequenceMatcher, autojunk off). A span moves to where the alignment carries its characters,
and only if the new slice there equals its old text. Refuses to: search the text for the surface
(a name that occurs twice would land on the wrong occurrence), accept a slice that differs in any
code point (an edited word, a whitespace change, NFC recomposing য় U+09DF into U+09AF U+09BC), or
drop a span silently — every span ends up in exactly one of the three lists.
"""

from __future__ import annotations

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
    "ambiguous": "its text fits more than one place between the same unchanged neighbours",
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
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    ao, bo = _starts(a), _starts(b)
    runs: list[Run] = []
    # Lines first: unchanged paragraphs align in O(lines), and a character-level match can never
    # pair a word with its twin in another paragraph.
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            runs.append((ao[i1], bo[j1], ao[i2] - ao[i1]))
        elif tag == "replace":
            x, y = old[ao[i1] : ao[i2]], new[bo[j1] : bo[j2]]
            for m in SequenceMatcher(None, x, y, autojunk=False).get_matching_blocks():
                if m.size:
                    runs.append((ao[i1] + m.a, bo[j1] + m.b, m.size))
    merged: list[Run] = []
    for r in runs:
        if merged and merged[-1][0] + merged[-1][2] == r[0] and merged[-1][1] + merged[-1][2] == r[1]:
            o, n, size = merged[-1]
            merged[-1] = (o, n, size + r[2])
        else:
            merged.append(r)
    return merged


def _starts(lines: list[str]) -> list[int]:
    out = [0]
    for line in lines:
        out.append(out[-1] + len(line))
    return out


def reanchor(old: str, new: str, spans: Sequence[tuple[str, int, int]]) -> Reanchored:
    """Place every span of `old` in `new`; see the module docstring for what moves and what is lost."""
    runs = align(old, new)
    olds = [r[0] for r in runs]
    moved: list[tuple[str, int, int, int, int]] = []
    unchanged: list[str] = []
    lost: list[tuple[str, int, int, str, str]] = []
    context: dict[int, str] = {}
    for sid, s, e in spans:
        if not 0 <= s < e <= len(old):
            lost.append((sid, s, e, old[max(s, 0) : max(e, 0)], "bad offsets"))
            continue
        text = old[s:e]
        placed, reason, window = _place(runs, olds, s, e, text, new)
        if placed is None:
            context[len(lost)] = _context(old, s, e, new, window)
            lost.append((sid, s, e, text, reason))
        elif placed == s:
            unchanged.append(sid)
        else:
            moved.append((sid, s, e, placed, placed + (e - s)))
    return Reanchored(moved, unchanged, lost, context)


def _place(runs: list[Run], olds: list[int], s: int, e: int, text: str, new: str) -> tuple[int | None, str, tuple[int, int]]:
    """New start of old[s:e], or None with the reason; also the new-text window between its anchors."""
    # Votes: how many of the span's characters each shift (new - old) carries.
    votes: Counter[int] = Counter()
    i = max(bisect_right(olds, s) - 1, 0)
    while i < len(runs) and runs[i][0] < e:
        o, n, size = runs[i]
        overlap = min(e, o + size) - max(s, o)
        if overlap > 0:
            votes[n - o] += overlap
        i += 1
    lo, hi = _window(runs, olds, s, e, len(new))
    verified = [(d, v) for d, v in votes.most_common() if lo <= s + d and e + d <= hi and new[s + d : e + d] == text]
    if verified:
        if len(verified) > 1 and verified[0][1] == verified[1][1]:
            return None, "ambiguous", (lo, hi)
        return s + verified[0][0], "", (lo, hi)
    # The greedy matcher can pair an unchanged span's characters with inserted text next to it
    # that repeats them ("ab" + inserted "b"), splitting or even unmatching the span. Its exact
    # text between the same two aligned neighbours is still the span: one occurrence there moves
    # it, several are ambiguous. Nothing outside the neighbours is ever searched.
    hits = _occurrences(new, text, lo, hi)
    if len(hits) == 1:
        return hits[0], "", (lo, hi)
    if hits:
        return None, "ambiguous", (lo, hi)
    if not votes:
        return None, "deleted", (lo, hi)
    return None, "split" if sum(votes.values()) == e - s else "text changed", (lo, hi)


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
