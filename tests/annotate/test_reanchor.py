"""Re-anchoring spans after the cleaned text changed: shifts move spans, edits lose them, loudly."""

from __future__ import annotations

import itertools
import re
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from builder.annotate.reanchor import Reanchored, align, reanchor

YA_NUKTA = "\u09df"  # precomposed য়; NFC turns it into য (U+09AF) + nukta (U+09BC)
OLD = (
    "ঢাকা, ১৩ আগস্ট (বাসস) : রহিম বলেন, ‘শান্তি চাই।’\n\n"
    "দ্বিতীয় অনুচ্ছেদে রহিম আবার বলেন, কিম জং উন আসবেন।\n\n"
    "শেষ অনুচ্ছেদ।"
)


def span(text: str, surface: str, nth: int = 0) -> tuple[int, int]:
    start = -1
    for _ in range(nth + 1):
        start = text.index(surface, start + 1)
    return start, start + len(surface)


def spans_of(text: str, *named: tuple[str, str, int]) -> list[tuple[str, int, int]]:
    return [(sid, *span(text, surface, nth)) for sid, surface, nth in named]


SPANS = spans_of(OLD, ("rahim1", "রহিম", 0), ("quote", "শান্তি চাই।", 0), ("rahim2", "রহিম", 1),
                 ("kim", "কিম জং উন", 0), ("last", "শেষ অনুচ্ছেদ", 0))


def new_offsets(r: Reanchored, spans: list[tuple[str, int, int]]) -> dict[str, tuple[int, int]]:
    out = {sid: (s, e) for sid, s, e in spans if sid in r.unchanged}
    out.update({sid: (ns, ne) for sid, _, _, ns, ne in r.moved})
    return out


def accounted(r: Reanchored, spans: list[tuple[str, int, int]]) -> None:
    ids = [m[0] for m in r.moved] + list(r.unchanged) + [x[0] for x in r.lost]
    assert sorted(ids) == sorted(sid for sid, _, _ in spans)  # never silently dropped


def test_identical_text_leaves_everything_unchanged() -> None:
    r = reanchor(OLD, OLD, SPANS)
    assert r.unchanged == [s[0] for s in SPANS] and not r.moved and not r.lost
    assert r.report().startswith("5 spans: 5 unchanged, 0 moved, 0 lost")


def test_insertion_before_spans_shifts_them() -> None:
    new = "আজ " + OLD
    r = reanchor(OLD, new, SPANS)
    accounted(r, SPANS)
    assert not r.lost and not r.unchanged
    assert all(ns - os == 3 and ne - oe == 3 for _, os, oe, ns, ne in r.moved)
    assert "5 spans moved by +3" in r.report()


def test_deletion_before_some_spans() -> None:
    new = OLD.replace("ঢাকা, ১৩ আগস্ট (বাসস) : ", "")
    r = reanchor(OLD, new, SPANS)
    accounted(r, SPANS)
    assert not r.lost
    got = new_offsets(r, SPANS)
    for sid, s, e in SPANS:
        assert new[slice(*got[sid])] == OLD[s:e]
    assert {m[3] - m[1] for m in r.moved} == {-len("ঢাকা, ১৩ আগস্ট (বাসস) : ")}


def test_paragraph_inserted() -> None:
    extra = "নতুন অনুচ্ছেদ: রহিম এবং কিম জং উন দেখা করেন।\n\n"
    cut = OLD.index("দ্বিতীয়")
    new = OLD[:cut] + extra + OLD[cut:]
    r = reanchor(OLD, new, SPANS)
    accounted(r, SPANS)
    assert set(r.unchanged) == {"rahim1", "quote"}
    got = new_offsets(r, SPANS)
    for sid in ("rahim2", "kim", "last"):
        s, e = {x[0]: x[1:] for x in SPANS}[sid]
        assert got[sid] == (s + len(extra), e + len(extra))  # not the copies in the new paragraph


def test_word_edited_inside_span_is_lost_with_context() -> None:
    new = "আজ " + OLD.replace("কিম জং উন", "কিম জন উন")
    r = reanchor(OLD, new, SPANS)
    accounted(r, SPANS)
    assert [(x[0], x[3], x[4]) for x in r.lost] == [("kim", "কিম জং উন", "text changed")]
    report = r.report()
    assert "LOST kim" in report and "'কিম জং উন'" in report and "text changed" in report
    assert "⟦কিম জং উন⟧" in report and "কিম জন উন" in report  # what it was, and what is there now
    assert "4 spans moved by +3" in report


def test_whitespace_change_inside_span_is_lost() -> None:
    for new, reason in ((OLD.replace("কিম জং উন", "কিম  জং উন"), "split"),
                        (OLD.replace("কিম জং উন", "কিম\u00a0জং উন"), "text changed"),
                        (OLD.replace("কিম জং উন", "কিম জং\nউন"), "text changed")):
        r = reanchor(OLD, new, SPANS)
        accounted(r, SPANS)
        assert [(x[0], x[4]) for x in r.lost] == [("kim", reason)]


def test_same_surface_twice_follows_the_alignment() -> None:
    old = "রহিম এলেন। রহিম গেলেন।"
    spans = spans_of(old, ("a", "রহিম", 0), ("b", "রহিম", 1))
    # a third রহিম inserted in front: a search would put "a" there
    new = "রহিম বললেন। " + old
    r = reanchor(old, new, spans)
    assert new_offsets(r, spans) == {"a": (12, 16), "b": (23, 27)}
    # the first sentence deleted: "a" is lost, not moved onto the second রহিম
    new = "রহিম গেলেন।"
    r = reanchor(old, new, spans)
    assert [(x[0], x[4]) for x in r.lost] == [("a", "deleted")]
    assert r.moved == [("b", 11, 15, 0, 4)]


def test_ambiguous_deletion_keeps_the_annotated_twin() -> None:
    # which "রহিম " went is not visible in the texts; the greedy matcher keeps the first, but an
    # equally good alignment keeps the annotated second one, so the span moves instead of being lost
    old = "রহিম রহিম বলেন।"
    r = reanchor(old, "রহিম বলেন।", [("second", 5, 9)])
    assert r.moved == [("second", 5, 9, 0, 4)] and not r.lost


def test_span_across_a_paragraph_break_moves() -> None:
    spans = spans_of(OLD, ("cross", "চাই।’\n\nদ্বিতীয়", 0))
    new = OLD.replace("রহিম বলেন", "রহিম সাহেব বলেন", 1)
    r = reanchor(OLD, new, spans)
    assert r.moved == [("cross", *spans[0][1:], spans[0][1] + 6, spans[0][2] + 6)]


def test_nfc_recomposition_loses_only_the_span_that_changed() -> None:
    old = f"সম{YA_NUKTA} হয়েছে। রহিম বলেন, সম{YA_NUKTA}মতো আসবেন।"
    new = unicodedata.normalize("NFC", old)
    assert new != old and len(new) == len(old) + 2
    spans = spans_of(old, ("t1", f"সম{YA_NUKTA}", 0), ("pre", "হয়েছে", 0), ("rahim", "রহিম", 0),
                     ("t2", f"সম{YA_NUKTA}মতো", 0), ("end", "আসবেন", 0))
    r = reanchor(old, new, spans)
    accounted(r, spans)
    assert [(x[0], x[4]) for x in r.lost] == [("t1", "text changed"), ("t2", "text changed")]
    assert {m[0]: m[3] - m[1] for m in r.moved} == {"pre": 1, "rahim": 1, "end": 2}


def test_span_deleted_and_bad_offsets() -> None:
    new = OLD.replace("শেষ অনুচ্ছেদ।", "")
    spans = SPANS + [("bad", 5, 9999), ("empty", 4, 4)]
    r = reanchor(OLD, new, spans)
    accounted(r, spans)
    assert {x[0]: x[4] for x in r.lost} == {"last": "deleted", "bad": "bad offsets", "empty": "bad offsets"}


def test_characters_moved_across_a_span_lose_it() -> None:
    # "। " deleted after the emoji and "অঅ। " inserted before it: the best alignment keeps the two
    # separator characters, which leaves no room for the one-character span; it is lost, loudly.
    r = reanchor("😀। ", "অঅ। 😀", [("e", 0, 1)])
    assert [(x[0], x[4]) for x in r.lost] == [("e", "deleted")]
    # a longer span outweighs them and moves
    r = reanchor("রহিম। ", "অঅ। রহিম", [("r", 0, 4)])
    assert r.moved == [("r", 0, 4, 4, 8)]


def test_alignment_runs_are_monotonic_and_equal() -> None:
    new = "আজ " + OLD.replace("কিম জং উন", "কিম জন উন").replace("শেষ", "শেষ শেষ")
    runs = align(OLD, new)
    for (o1, n1, k1), (o2, n2, _) in itertools.pairwise(runs):
        assert o1 + k1 <= o2 and n1 + k1 <= n2
    for o, n, k in runs:
        assert OLD[o : o + k] == new[n : n + k]


# ---- property: edits outside every span move all spans and lose none -------------------------

# News-like text: distinct words, separators, emoji, ZWJ and precomposed য়.
LETTERS = "কখগচজটডতদনপবমরলসহািীুেো্ং"
SPECIAL = ["😀", "🇧🇩", "র\u200d্যাব", f"সম{YA_NUKTA}", "রহিম"]
SEPS = [" ", " ", " ", ", ", "। ", "\n\n"]


def prose(letters: str, special: list[str]) -> st.SearchStrategy[str]:
    words = st.one_of(st.text(letters, min_size=2, max_size=6), st.sampled_from(special))
    pairs = st.lists(st.tuples(words, st.sampled_from(SEPS)), min_size=1, max_size=40, unique_by=lambda wp: wp[0])
    return pairs.map(lambda ws: "".join(w + p for w, p in ws))


OLD_TEXTS = prose(LETTERS, SPECIAL)
# Inserted text must not copy the old text: "ab" + an inserted "ab" is genuinely ambiguous (which
# copy is the old one?), and an honest aligner calls such a span ambiguous. So new words use other
# letters. When insertions and deletions mix, inserted text carries no separators either: inserting
# ", " before a span and deleting ", " after it moves those characters ACROSS the span, and the
# best alignment keeps the two separator characters rather than a one-character span (see
# test_characters_moved_across_a_span_lose_it).
FRESH = "অআইঈউএওঘঙঞণথধফভশষয়"
FRESH_TEXTS = prose(FRESH, ["🙂", "ঢাকা"])
FRESH_WORDS = st.text(FRESH, min_size=1, max_size=8)


@st.composite
def edited(draw: st.DrawFn, inserts: st.SearchStrategy[str] | None = None) -> tuple[str, str, list[tuple[str, int, int]]]:
    old = draw(OLD_TEXTS)
    mode = draw(st.sampled_from(["insert", "delete", "both"]))
    if inserts is None:
        inserts = FRESH_WORDS if mode == "both" else FRESH_TEXTS
    # Spans cover one to three whole words, as annotations do; edits land on any code point.
    words = [(m.start(), m.end()) for m in re.finditer(r"[^ ,।\n]+", old)]
    spans: list[tuple[str, int, int]] = []
    for k in range(draw(st.integers(1, 6))):
        i = draw(st.integers(0, len(words) - 1))
        j = draw(st.integers(i, min(len(words) - 1, i + 2)))
        spans.append((f"s{k}", words[i][0], words[j][1]))

    def inside(p: int) -> bool:  # an insertion at p would land inside a span
        return any(s < p < e for _, s, e in spans)

    def touches(a: int, b: int) -> bool:  # deleting [a, b) would remove span text
        return any(a < e and s < b for _, s, e in spans)

    edits: list[tuple[int, int, str]] = []  # (start, end, replacement) in old
    for _ in range(draw(st.integers(1, 5))):
        if mode == "insert" or (mode == "both" and draw(st.booleans())):
            p = draw(st.integers(0, len(old)))
            if not inside(p):
                edits.append((p, p, draw(inserts)))
        else:
            a = draw(st.integers(0, len(old) - 1))
            b = draw(st.integers(a + 1, min(len(old), a + 10)))
            if not touches(a, b):
                edits.append((a, b, ""))
    new, last = [], 0
    for a, b, ins in sorted(edits):
        if a < last:
            continue  # overlaps an earlier edit
        new.append(old[last:a] + ins)
        last = b
    new.append(old[last:])
    return old, "".join(new), spans


def placed_consistently(r: Reanchored, old: str, new: str, spans: list[tuple[str, int, int]]) -> None:
    got = new_offsets(r, spans)
    for sid, s, e in spans:
        if sid in got:
            ns, ne = got[sid]
            assert new[ns:ne] == old[s:e]
    where = [(s, e, got[sid][0]) for sid, s, e in spans if sid in got]
    for s, e, p in where:  # overlapping spans shift alike, disjoint ones keep their order
        for s2, e2, q in where:
            if s < e2 and s2 < e:
                assert p - s == q - s2
            elif e <= s2:
                assert p + (e - s) <= q


@settings(max_examples=300, deadline=None)
@given(edited())
def test_property_edits_outside_spans_lose_nothing(case: tuple[str, str, list[tuple[str, int, int]]]) -> None:
    old, new, spans = case
    r = reanchor(old, new, spans)
    accounted(r, spans)
    assert r.lost == [], r.report()
    placed_consistently(r, old, new, spans)


@settings(max_examples=200, deadline=None)
@given(edited(inserts=OLD_TEXTS))
def test_property_any_edits_never_misplace(case: tuple[str, str, list[tuple[str, int, int]]]) -> None:
    """Inserted text may copy old words: spans may then be lost as ambiguous, never misplaced."""
    old, new, spans = case
    r = reanchor(old, new, spans)
    accounted(r, spans)
    placed_consistently(r, old, new, spans)
    assert {x[4] for x in r.lost} <= {"ambiguous", "split", "deleted", "text changed"}
