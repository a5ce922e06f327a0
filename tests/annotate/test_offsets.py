"""Offset conventions: code points, UTF-16 units, CRLF shifts, backslash-n — repaired only when proven."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from builder.annotate.offsets import (
    OffsetMap,
    Repair,
    cp_to_utf16,
    detect_convention,
    offset_map,
    repair,
    survey,
    utf16_to_cp,
)

ZWJ = "\u200d"
YA_NUKTA = "\u09df"  # precomposed য়: one code point, one UTF-16 unit; NFC would make it two
RAB = "র" + ZWJ + "্যাব"
FLAG = "🇧🇩"  # two astral code points, four UTF-16 units
# The rendering probe text of the LS note: পুতিন is (12, 17) in code points, (16, 21) in UTF-16.
PROBE = "😀🇧🇩 ঢাকা 𝔸: পুতিন বলেন, শান্তি চাই।"
TEXT = f"😀 {RAB} সম{YA_NUKTA} {FLAG} পুতিন বলেন।\r\nশেষ লাইন কিম 😀 জং"


def cp_span(text: str, surface: str, nth: int = 0) -> tuple[int, int]:
    start = -1
    for _ in range(nth + 1):
        start = text.index(surface, start + 1)
    return start, start + len(surface)


def u16_span(text: str, surface: str, nth: int = 0) -> tuple[int, int]:
    s, e = cp_span(text, surface, nth)
    return cp_to_utf16(text, s), cp_to_utf16(text, e)


def lf_span(text: str, surface: str) -> tuple[int, int]:
    """Offsets of `surface` counted on `text` with every CRLF collapsed to LF."""
    s, e = cp_span(text, surface)
    return s - text[:s].count("\r\n"), e - text[:e].count("\r\n")


def test_probe_numbers_from_the_label_studio_note() -> None:
    assert cp_span(PROBE, "পুতিন") == (12, 17)
    assert u16_span(PROBE, "পুতিন") == (16, 21)
    assert repair(PROBE, 12, 17, "পুতিন") == Repair(12, 17, "exact")
    assert repair(PROBE, 16, 21, "পুতিন") == Repair(12, 17, "utf16")


@pytest.mark.parametrize("surface", [RAB, f"সম{YA_NUKTA}", "পুতিন বলেন", "কিম", "জং", f"{RAB} সম{YA_NUKTA}"])
def test_utf16_offsets_after_emoji_flag_zwj_and_precomposed_ya(surface: str) -> None:
    s, e = cp_span(TEXT, surface)
    us, ue = u16_span(TEXT, surface)
    assert (us, ue) != (s, e)
    assert repair(TEXT, us, ue, surface) == Repair(s, e, "utf16")
    assert repair(TEXT, s, e, surface) == Repair(s, e, "exact")


def test_precomposed_ya_is_one_unit_and_never_normalised() -> None:
    word = f"সম{YA_NUKTA}"
    assert len(word) == 3 and cp_to_utf16(word, 3) == 3
    s, e = cp_span(TEXT, word)
    # The NFC spelling (য + nukta) is another string: no reading proves it, and repair does not normalise.
    assert repair(TEXT, s, e, "সময\u09bc") is None
    assert repair(TEXT, *u16_span(TEXT, word), "সময\u09bc") is None


def test_crlf_collapsed_offsets_are_repaired() -> None:
    for surface in ("শেষ লাইন", "কিম", "জং"):
        s, e = cp_span(TEXT, surface)
        # counted on the LF text AND in UTF-16: the emoji before them count twice as well
        ls, le = lf_span(TEXT, surface)
        omap = OffsetMap(TEXT)
        us, ue = omap.from_cp(s, (True, "collapse")), omap.from_cp(e, (True, "collapse"))
        assert repair(TEXT, us, ue, surface) == Repair(s, e, "utf16+crlf")
        assert (ls, le) == (s - 1, e - 1)
    plain = "প্রথম লাইন\r\nদ্বিতীয় লাইন\r\nকিম জং উন"
    s, e = cp_span(plain, "কিম জং")
    assert repair(plain, *lf_span(plain, "কিম জং"), "কিম জং") == Repair(s, e, "crlf")


def test_crlf_claimed_text_from_the_lf_copy_crosses_the_line_end() -> None:
    text = "এক\r\nদুই তিন\r\nচার"
    s, e = cp_span(text, "দুই তিন\r\nচার")
    ls, le = lf_span(text, "দুই তিন\r\nচার")
    assert repair(text, ls, le, "দুই তিন\nচার") == Repair(s, e, "crlf")


def test_lf_text_with_offsets_counted_as_crlf() -> None:
    text = "এক\nদুই\nতিন চার"
    s, e = cp_span(text, "তিন")
    assert repair(text, s + 2, e + 2, "তিন") == Repair(s, e, "crlf")  # two LF counted as CR+LF before it


def test_claimed_text_found_nowhere_is_not_repaired() -> None:
    s, e = cp_span(TEXT, "পুতিন")
    assert repair(TEXT, s, e, "মোদি") is None
    assert repair(TEXT, 9999, 10005, "পুতিন") is None  # out of range under every reading, and never searched


def test_utf16_reading_on_another_word_is_not_accepted() -> None:
    text = "😀😀 রহিম করিম সালাম"
    s, e = cp_span(text, "করিম")
    us, ue = cp_to_utf16(text, s), cp_to_utf16(text, e)
    assert text[us:ue] != "করিম"
    # the UTF-16 reading of these offsets is করিম, but the annotation claims সালাম (which does occur)
    assert repair(text, us, ue, "সালাম") is None
    assert repair(text, us, ue, "করিম") == Repair(s, e, "utf16")


def test_backslash_n_in_claimed_text() -> None:
    text = "😀 প্রথম অনুচ্ছেদ।\n\nভ্লাদিমির\u00a0পুতিন বলেন"
    s, e = cp_span(text, "অনুচ্ছেদ।\n\nভ্লাদিমির")
    claimed = "অনুচ্ছেদ।\\n\\nভ্লাদিমির"
    assert repair(text, s, e, claimed) == Repair(s, e, "backslash-n")
    # the same span written in UTF-16: the convention is what gets named
    assert repair(text, s + 1, e + 1, claimed) == Repair(s, e, "utf16")
    crlf = text.replace("\n", "\r\n")
    s, e = cp_span(crlf, "অনুচ্ছেদ।\r\n\r\nভ্লাদিমির")
    assert repair(crlf, s, e, claimed) == Repair(s, e, "backslash-n")


def test_offsets_inside_a_surrogate_pair_or_between_cr_and_lf_prove_nothing() -> None:
    text = "a😀b\r\nc"  # UTF-16 units: a=0, emoji=1-2, b=3, CR=4, LF=5
    # boundary 2 is inside the emoji: neither rounding down ("😀b") nor up ("b") is accepted
    assert repair(text, 2, 4, "b") is None
    assert repair(text, 2, 4, "😀b") is None
    with pytest.raises(ValueError):
        utf16_to_cp(text, 2)
    assert OffsetMap(text).from_cp(4, (False, "collapse")) is None  # between CR and LF


def test_missing_claimed_text() -> None:
    assert repair(TEXT, 2, 4, None) == Repair(2, 4, "exact")
    assert repair(TEXT, 2, 999, None) is None
    assert repair(TEXT, 2, 4, "") is None


def test_helpers_round_trip() -> None:
    for i in range(len(TEXT) + 1):
        assert utf16_to_cp(TEXT, cp_to_utf16(TEXT, i)) == i
    assert cp_to_utf16(TEXT, len(TEXT)) == len(TEXT.encode("utf-16-le")) // 2
    assert cp_to_utf16("কিম", 2) == 2  # BMP-only text: the numbers are the same
    assert offset_map(TEXT) is offset_map(TEXT)


def test_detect_convention_reports_a_document_once() -> None:
    names = ["পুতিন", "কিম", "জং", RAB]
    utf16_spans = [(*u16_span(TEXT, n), n) for n in names] + [(0, 1, "😀")]  # the first span is right either way
    assert detect_convention(TEXT, utf16_spans) == "utf16"
    assert detect_convention(TEXT, [(*cp_span(TEXT, n), n) for n in names]) == "exact"
    assert detect_convention(TEXT, [(0, 3, "nowhere")]) == "exact"
    assert survey(TEXT, utf16_spans + [(0, 3, "nowhere")]) == {"utf16": 4, "exact": 1, "none": 1}


def test_prefer_resolves_a_surface_that_also_sits_at_the_raw_offsets() -> None:
    text = "😀aaaa"
    # the real span is "aa" at (2, 4) written in UTF-16 as (3, 5); (3, 5) also reads "aa"
    assert repair(text, 3, 5, "aa") == Repair(3, 5, "exact")
    assert repair(text, 3, 5, "aa", prefer="utf16") == Repair(2, 4, "utf16")


PIECES = ["কিম", "জং", "উন", " ", "।", "😀", FLAG, "𝔸", "\r\n", "\n", RAB, f"সম{YA_NUKTA}", "\u00a0", "a"]
texts = st.lists(st.sampled_from(PIECES), min_size=1, max_size=40).map("".join)


@st.composite
def text_and_span(draw: st.DrawFn, crlf: bool = False) -> tuple[str, int, int]:
    text = draw(texts)
    if crlf:  # a CRLF somewhere, so collapsing line ends is not a no-op
        text = text + "\r\n" + draw(texts)
    s = draw(st.integers(0, len(text) - 1))
    e = draw(st.integers(s + 1, len(text)))
    return text, s, e


@settings(max_examples=300, deadline=None)
@given(text_and_span())
def test_property_utf16_round_trip(case: tuple[str, int, int]) -> None:
    text, s, e = case
    claimed = text[s:e]
    us, ue = cp_to_utf16(text, s), cp_to_utf16(text, e)
    want = Repair(s, e, "exact" if (us, ue) == (s, e) else "utf16")
    assert repair(text, us, ue, claimed, prefer="utf16") == want
    # without the document's convention, raw offsets that happen to read the same surface win
    if not (ue <= len(text) and text[us:ue] == claimed) or (us, ue) == (s, e):
        assert repair(text, us, ue, claimed) == want


@settings(max_examples=300, deadline=None)
@given(text_and_span(crlf=True))
def test_property_crlf_round_trip(case: tuple[str, int, int]) -> None:
    text, s, e = case
    omap = OffsetMap(text)
    for reading, how in (((False, "collapse"), "crlf"), ((True, "collapse"), "utf16+crlf")):
        fs, fe = omap.from_cp(s, reading), omap.from_cp(e, reading)
        if fs is None or fe is None:
            continue  # starts or ends between CR and LF: no LF-counted offset points there
        got = repair(text, fs, fe, text[s:e].replace("\r\n", "\n"), prefer=how)
        assert got is not None and (got.start, got.end) == (s, e)
