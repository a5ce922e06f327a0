"""Tokenization, sentence splitting and BIO alignment on the tricky Bengali cases."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REPO, SHARED
from hypothesis import given, settings
from hypothesis import strategies as st

from builder.derive import tokens
from builder.derive.tokens import Sentence, bio_tags, bio_tags_document, sentences, sentences_many

ZWJ = "\u200d"
NBSP = "\u00a0"


def all_tokens(text: str) -> list[str]:
    return [t for s in sentences(text) for t in s.tokens]


def assert_exact(text: str, sents: list[Sentence]) -> None:
    for s in sents:
        assert len(s.tokens) == len(s.token_starts) > 0
        assert s.start == s.token_starts[0]
        assert s.end == s.token_starts[-1] + len(s.tokens[-1])
        assert list(s.token_starts) == sorted(s.token_starts)
        for tok, start in zip(s.tokens, s.token_starts):
            assert text[start : start + len(tok)] == tok
            assert tok and not any(c.isspace() for c in tok)
    for a, b in zip(sents, sents[1:]):
        assert a.end <= b.start


def test_clitic_after_curly_apostrophe_splits_off() -> None:
    assert all_tokens("কেসিএনএ’র খবর") == ["কেসিএনএ", "’", "র", "খবর"]


def test_curly_quotes_and_hyphen_suffix() -> None:
    assert all_tokens("‘মুক্তি দিবস’-এ") == ["‘", "মুক্তি", "দিবস", "’", "-এ"]


def test_double_curly_quotes_split_off() -> None:
    assert all_tokens("তিনি বলেন, “সময় এসেছে”।") == ["তিনি", "বলেন", ",", "“", "সময়", "এসেছে", "”", "।"]


def test_zwj_stays_inside_token() -> None:
    rab = "র" + ZWJ + "্যাব"
    assert all_tokens(f"{rab} জানায়") == [rab, "জানায়"]


def test_nbsp_is_neither_token_nor_inside_one() -> None:
    text = f"রাশিয়ার প্রেসিডেন্ট ভ্লাদিমির{NBSP}পুতিন বলেন।"
    sents = sentences(text)
    assert [t for s in sents for t in s.tokens] == ["রাশিয়ার", "প্রেসিডেন্ট", "ভ্লাদিমির", "পুতিন", "বলেন", "।"]
    assert_exact(text, sents)


def test_numbers_abbreviations_and_hyphenated_names() -> None:
    toks = all_tokens("১৩:২১ ৳৫০০ ২.৫ ইয়াং মু-জিন ড. ইউনূস")
    assert toks == ["১৩", ":", "২১", "৳৫০০", "২.৫", "ইয়াং", "মু", "-", "জিন", "ড.", "ইউনূস"]


def test_sentencizer_splits_on_danda_question_exclamation() -> None:
    text = "প্রথম বাক্য। দ্বিতীয় কেন? তৃতীয়! চতুর্থ"
    assert [s.tokens for s in sentences(text)] == [
        ("প্রথম", "বাক্য", "।"),
        ("দ্বিতীয়", "কেন", "?"),
        ("তৃতীয়", "!"),
        ("চতুর্থ",),
    ]


def test_closing_quote_stays_with_its_sentence_and_abbreviation_does_not_split() -> None:
    text = "তিনি বলেন, “সময় এসেছে!” ড. ইউনূস এসেছেন।"
    sents = sentences(text)
    assert [s.tokens[-1] for s in sents] == ["”", "।"]
    assert sents[1].tokens[:2] == ("ড.", "ইউনূস")


def test_paragraphs_never_share_a_sentence() -> None:
    text = "শিরোনাম\n\nপ্রথম অনুচ্ছেদ কোনো দাঁড়ি ছাড়া\nদ্বিতীয় লাইন।\n\n\n  শেষ  "
    sents = sentences(text)
    assert [s.tokens for s in sents] == [
        ("শিরোনাম",),
        ("প্রথম", "অনুচ্ছেদ", "কোনো", "দাঁড়ি", "ছাড়া"),
        ("দ্বিতীয়", "লাইন", "।"),
        ("শেষ",),
    ]
    assert_exact(text, sents)
    assert text[sents[-1].start : sents[-1].end] == "শেষ"


def test_extra_whitespace_inside_paragraph_is_never_a_token() -> None:
    text = f"ক।  {NBSP}খ\t\tগ   ।"
    sents = sentences(text)
    assert [s.tokens for s in sents] == [("ক", "।"), ("খ", "গ", "।")]
    assert_exact(text, sents)


@pytest.mark.parametrize("text", ["", "   ", "\n\n", f"{NBSP}\n \t"])
def test_blank_text_has_no_sentences(text: str) -> None:
    assert sentences(text) == []


def test_sentences_many_matches_sentences_and_keeps_empty_documents() -> None:
    texts = ["এক। দুই।", "", "তিন\n\nচার", "   ", "কেসিএনএ’র"]
    assert list(sentences_many(texts, batch_size=2)) == [sentences(t) for t in texts]


def test_offsets_on_the_seed_captures(seed_texts: list[str]) -> None:
    for text in seed_texts:
        sents = sentences(text)
        assert len(sents) > 10
        assert_exact(text, sents)


@pytest.fixture
def seed_texts() -> list[str]:
    captures = Path(__file__).resolve().parents[2] / "raw" / "captures"
    texts = [p.read_text(encoding="utf-8") for p in sorted(captures.glob("*.txt"))]
    if not texts:
        pytest.skip("no seed captures")
    return texts


# --- BIO ---------------------------------------------------------------------------------------


def span_of(text: str, surface: str, label: str, nth: int = 0) -> tuple[int, int, str]:
    start = -1
    for _ in range(nth + 1):
        start = text.index(surface, start + 1)
    return (start, start + len(surface), label)


def only(text: str) -> Sentence:
    (sent,) = sentences(text)
    return sent


def test_bio_hyphenated_person() -> None:
    text = "দক্ষিণ কোরিয়ার প্রেসিডেন্ট ইয়াং মু-জিন বলেন।"
    sent = only(text)
    tags, bad = bio_tags(sent, [span_of(text, "ইয়াং মু-জিন", "PER")])
    assert bad == []
    assert [(t, g) for t, g in zip(sent.tokens, tags) if g != "O"] == [
        ("ইয়াং", "B-PER"),
        ("মু", "I-PER"),
        ("-", "I-PER"),
        ("জিন", "I-PER"),
    ]


def test_bio_entity_before_clitic_aligns() -> None:
    text = "কেসিএনএ’র খবরে বলা হয়।"
    tags, bad = bio_tags(only(text), [span_of(text, "কেসিএনএ", "ORG")])
    assert bad == []
    assert tags == ["B-ORG", "O", "O", "O", "O", "O", "O"]


def test_bio_quoted_event_and_nbsp_name() -> None:
    text = f"‘মুক্তি দিবস’-এ ভ্লাদিমির{NBSP}পুতিন ও র{ZWJ}্যাব।"
    sent = only(text)
    spans = [
        span_of(text, "মুক্তি দিবস", "EVENT"),
        span_of(text, f"ভ্লাদিমির{NBSP}পুতিন", "PER"),
        span_of(text, f"র{ZWJ}্যাব", "ORG"),
    ]
    tags, bad = bio_tags(sent, spans)
    assert bad == []
    assert tags == ["O", "B-EVENT", "I-EVENT", "O", "O", "B-PER", "I-PER", "O", "B-ORG", "O"]


def test_bio_span_ending_mid_word_is_misaligned() -> None:
    text = "উত্তর কোরিয়ার নেতা কিম।"
    span = (0, len("উত্তর কোরিয়া"), "GPE")  # stops before the genitive ending
    tags, bad = bio_tags(only(text), [span])
    assert bad == [span]
    assert set(tags) == {"O"}


def test_bio_span_starting_mid_word_or_empty_is_misaligned() -> None:
    text = "উত্তর কোরিয়ার নেতা।"
    spans = [(1, 5, "GPE"), (6, 6, "GPE"), (6, 3, "GPE")]
    tags, bad = bio_tags(only(text), spans)
    assert bad == spans
    assert set(tags) == {"O"}


def test_bio_overlap_keeps_earlier_then_longer() -> None:
    text = "রাশিয়ার প্রেসিডেন্ট ভ্লাদিমির পুতিন বলেন।"
    full = span_of(text, "প্রেসিডেন্ট ভ্লাদিমির পুতিন", "PER")
    inner = span_of(text, "ভ্লাদিমির পুতিন", "PER")
    same_start_shorter = span_of(text, "প্রেসিডেন্ট", "PER")
    tags, bad = bio_tags(only(text), [inner, same_start_shorter, full])
    assert tags == ["O", "B-PER", "I-PER", "I-PER", "O", "O"]
    assert bad == [inner, same_start_shorter]


def test_bio_misaligned_span_does_not_block_an_aligned_one() -> None:
    text = "উত্তর কোরিয়ার নেতা।"
    broken = (0, 10, "GPE")
    good = span_of(text, "উত্তর কোরিয়ার", "GPE")
    tags, bad = bio_tags(only(text), [broken, good])
    assert bad == [broken]
    assert tags == ["B-GPE", "I-GPE", "O", "O"]


def test_bio_exact_duplicate_counts_once() -> None:
    text = "কেসিএনএ জানায়।"
    span = span_of(text, "কেসিএনএ", "ORG")
    assert bio_tags(only(text), [span, span]) == (["B-ORG", "O", "O"], [])


def test_bio_custom_outside_tag() -> None:
    text = "কেসিএনএ জানায়।"
    assert bio_tags(only(text), [], outside="-")[0] == ["-", "-", "-"]


def test_span_crossing_sentences_reported_once_where_it_starts() -> None:
    text = "প্রথম বাক্য শেষ। দ্বিতীয় বাক্য।"
    first, second = sentences(text)
    crossing = (text.index("শেষ"), text.index("দ্বিতীয়") + len("দ্বিতীয়"), "MISC")
    tags1, bad1 = bio_tags(first, [crossing])
    tags2, bad2 = bio_tags(second, [crossing])
    assert bad1 == [crossing] and bad2 == []
    assert set(tags1) == set(tags2) == {"O"}


def test_span_crossing_paragraphs_is_misaligned() -> None:
    text = "শিরোনাম\n\nকেসিএনএ জানায়।"
    span = (0, text.index("কেসিএনএ") + len("কেসিএনএ"), "ORG")
    _, bad = bio_tags_document(sentences(text), [span])
    assert bad == [span]


def test_document_bio_reports_each_bad_span_exactly_once() -> None:
    text = "কেসিএনএ জানায়। পুতিন ও কিম।\n\n  এএফপি।"
    sents = sentences(text)
    good = [span_of(text, "কেসিএনএ", "ORG"), span_of(text, "পুতিন", "PER"), span_of(text, "এএফপি", "ORG")]
    crossing = (text.index("জানায়"), text.index("পুতিন") + 2, "X")
    in_whitespace = (text.index("এএফপি") - 2, text.index("এএফপি") + len("এএফপি"), "ORG")
    past_end = (len(text) + 5, len(text) + 9, "ORG")
    tags, bad = bio_tags_document(sents, [*good, crossing, in_whitespace, past_end])
    assert len(tags) == len(sents) == 3
    assert bad == [crossing, in_whitespace, past_end]
    assert [g for sent_tags in tags for g in sent_tags if g != "O"] == ["B-ORG", "B-PER", "B-ORG"]


# --- properties --------------------------------------------------------------------------------

BENGALI_LETTERS = "অআইউএওকখগঘচছজঝটঠডঢণতথদধনপফবভমযরলশষসহড়য়ৎংঃ"
MARKS = "ািীুূৃেৈোৌ্ঁ়" + ZWJ
OTHER = " ।?!‘’“”'\"-,.\n" + NBSP
ALPHABET = BENGALI_LETTERS + MARKS + OTHER + "০১২৩৪৫৬৭৮৯\t\r"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=120))
def test_every_token_slices_exactly_and_has_no_whitespace(text: str) -> None:
    sents = sentences(text)
    assert_exact(text, sents)
    covered = {i for s in sents for tok, st_ in zip(s.tokens, s.token_starts) for i in range(st_, st_ + len(tok))}
    assert covered == {i for i, c in enumerate(text) if not c.isspace()}  # nothing dropped


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=80), st.data())
def test_bio_tags_token_spans_always_align(text: str, data: st.DataObject) -> None:
    sents = sentences(text)
    for sent in sents:
        n = len(sent.tokens)
        i = data.draw(st.integers(0, n - 1))
        j = data.draw(st.integers(i, n - 1))
        span = (sent.token_starts[i], sent.token_ends[j], "PER")
        tags, bad = bio_tags(sent, [span])
        assert bad == []
        assert tags == ["O"] * i + ["B-PER"] + ["I-PER"] * (j - i) + ["O"] * (n - j - 1)


def _with_spacys_sentencizer(text: str) -> list[tuple[tuple[str, ...], tuple[int, ...]]]:
    """The reference: each paragraph through the whole spaCy pipeline (tokenizer + sentencizer)."""
    out = []
    for offset, para in tokens.paragraphs(text):
        toks, starts = [], []
        for tok in tokens.nlp()(para):
            if tok.is_sent_start and toks:
                out.append((tuple(toks), tuple(starts)))
                toks, starts = [], []
            if not tok.is_space:
                toks.append(tok.text)
                starts.append(tok.idx + offset)
        if toks:
            out.append((tuple(toks), tuple(starts)))
    return out


def _real_texts() -> list[str]:
    texts = [p.read_text(encoding="utf-8") for p in sorted((REPO / "text").glob("*.txt"))]
    news = SHARED / "realdata" / "AndyTheFactory-newspaper4k"
    texts += [p.read_text(encoding="utf-8") for p in sorted(news.glob("txt__*_article.txt"))] if news.is_dir() else []
    return texts


@pytest.mark.parametrize("k", range(len(_real_texts())))
def test_sentence_splitting_is_spacys_sentencizer_on_real_text(k: int) -> None:
    text = _real_texts()[k]
    assert [(s.tokens, s.token_starts) for s in tokens.sentences(text)] == _with_spacys_sentencizer(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["পুতিন", "বলেন", "।", "॥", "?", "!", "!!", "“", "”", "'", ",", " ", "  ", "\n", "AFP", "৩০", ":", "-", "…"]), max_size=40))
def test_sentence_splitting_is_spacys_sentencizer_on_any_mix(parts: list[str]) -> None:
    text = "".join(parts)
    assert [(s.tokens, s.token_starts) for s in tokens.sentences(text)] == _with_spacys_sentencizer(text)
