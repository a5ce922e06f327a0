"""Canonical document text → sentences of tokens with code-point offsets, and entity spans → BIO tags.

Tokenizer: spaCy `blank("bn")` plus an infix rule that splits curly quotes and apostrophes off words
(`কেসিএনএ’র` → `কেসিএনএ` `’` `র`), so entities glued to a clitic still align. Sentences come from
spaCy's `sentencizer`, run on each line separately (a paragraph never spans a line break).
Whitespace (spaces, NBSP, newlines) is never a token and never inside one.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # spaCy is imported by nlp(), in the process that tokenises (a worker), not on import
    from spacy.language import Language
    from spacy.tokens import Doc

SENTENCE_END = ("।", "॥", "?", "!")
_ENDS = frozenset(SENTENCE_END)
# ASCII ' and " too: sources mix them with curly ones (`বিএনপি'র`), and splitting only adds boundaries.
QUOTE_INFIX = r"[‘’“”'\"]"
# Line breaks as str.splitlines() knows them; each line is a paragraph.
_LINE = re.compile(r"[^\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]+")

LabeledSpan = tuple[int, int, str]


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence: document offsets of its first and last token, and its tokens."""

    start: int
    end: int
    tokens: tuple[str, ...]
    token_starts: tuple[int, ...]

    @property
    def token_ends(self) -> tuple[int, ...]:
        """End offset (exclusive) of each token."""
        return tuple(s + len(t) for s, t in zip(self.token_starts, self.tokens))


@cache
def nlp() -> Language:
    """The shared pipeline, built once per process (no model download: blank language only)."""
    from builder.imports import paused_collector

    with paused_collector():
        import spacy
        from spacy.util import compile_infix_regex

        pipeline = spacy.blank("bn")
    pipeline.tokenizer.infix_finditer = compile_infix_regex([*pipeline.Defaults.infixes, QUOTE_INFIX]).finditer
    pipeline.add_pipe("sentencizer", config={"punct_chars": list(SENTENCE_END)})
    return pipeline


def paragraphs(text: str) -> Iterator[tuple[int, str]]:
    """(offset, paragraph) for each line that has non-whitespace content, outer whitespace trimmed."""
    for m in _LINE.finditer(text):
        line = m.group()
        stripped = line.strip()
        if stripped:
            yield m.start() + len(line) - len(line.lstrip()), stripped


def sentences(text: str) -> list[Sentence]:
    """Sentences of one document, in text order."""
    return next(sentences_many([text]))


def sentences_many(texts: Iterable[str], *, batch_size: int = 256) -> Iterator[list[Sentence]]:
    """Sentences of each document, in input order: paragraphs through spaCy's tokenizer, then the
    sentencizer's rule on the token arrays (`_doc_sentences`)."""

    def feed() -> Iterator[tuple[int, bool, str]]:
        for text in texts:
            paras = list(paragraphs(text))
            if not paras:
                yield 0, True, ""  # placeholder so an empty document still yields its (empty) list
                continue
            for i, (offset, para) in enumerate(paras):
                yield offset, i == len(paras) - 1, para

    current: list[Sentence] = []
    queue = feed()
    tokenizer = nlp().tokenizer
    while True:
        batch = [item for _, item in zip(range(batch_size), queue)]
        if not batch:
            return
        for (offset, last, para), doc in zip(batch, tokenizer.pipe(para for _, _, para in batch)):
            current.extend(_doc_sentences(doc, para, offset))
            if last:
                yield current
                current = []


def _doc_sentences(doc: Doc, text: str, offset: int) -> list[Sentence]:
    """`text`: the paragraph `doc` was made from (doc.text would rebuild it from a Token object per token).

    Sentence starts as spaCy's `sentencizer` (punct_chars=SENTENCE_END) sets them: the first token, and after
    a sentence end the first token that is neither punctuation nor a sentence end."""
    from spacy.attrs import IDX, IS_PUNCT, IS_SPACE, LENGTH

    # One array call instead of a Token object per token (the objects cost more than the tokenizer).
    out: list[Sentence] = []
    toks: list[str] = []
    starts: list[int] = []
    seen_end = False
    first = True
    for idx, length, space, punct in doc.to_array([IDX, LENGTH, IS_SPACE, IS_PUNCT]).tolist():
        word = text[idx:idx + length]
        end = word in _ENDS
        if seen_end and not punct and not end:
            sent_start, seen_end = True, False
        else:
            sent_start = first
            seen_end = seen_end or end
        first = False
        if sent_start and toks:
            out.append(_sentence(toks, starts))
            toks, starts = [], []
        if space:
            continue
        toks.append(word)
        starts.append(idx + offset)
    if toks:
        out.append(_sentence(toks, starts))
    return out


def _sentence(toks: list[str], starts: list[int]) -> Sentence:
    return Sentence(start=starts[0], end=starts[-1] + len(toks[-1]), tokens=tuple(toks), token_starts=tuple(starts))


def bio_tags(
    sentence: Sentence, spans: Sequence[LabeledSpan], outside: str = "O"
) -> tuple[list[str], list[LabeledSpan]]:
    """BIO tag per token, and the spans starting in this sentence that could not be tagged.

    A span aligns when its start is a token start and its end a token end, both in this sentence.
    Of two overlapping aligned spans the earlier-starting (then longer, then first given) one wins;
    the other is reported. Spans starting outside the sentence are ignored; exact duplicates count once.
    """
    if not spans:
        return [outside] * len(sentence.tokens), []
    index_of_start = {s: i for i, s in enumerate(sentence.token_starts)}
    index_of_end = {e: i for i, e in enumerate(sentence.token_ends)}
    tags = [outside] * len(sentence.tokens)
    rejected: list[tuple[int, LabeledSpan]] = []  # (input order, span)
    candidates: list[tuple[int, int, int, LabeledSpan]] = []  # (first token, last token, input order, span)
    seen: set[LabeledSpan] = set()
    for n, raw in enumerate(spans):
        span = (raw[0], raw[1], raw[2])
        if not sentence.start <= span[0] < sentence.end or span in seen:
            continue
        seen.add(span)
        first, last = index_of_start.get(span[0]), index_of_end.get(span[1])
        if first is None or last is None or last < first:
            rejected.append((n, span))
        else:
            candidates.append((first, last, n, span))
    candidates.sort(key=lambda c: (c[0], -c[1], c[2]))
    covered_until = -1  # last token index inside a kept span
    for first, last, n, span in candidates:
        if first <= covered_until:
            rejected.append((n, span))
            continue
        tags[first] = f"B-{span[2]}"
        for i in range(first + 1, last + 1):
            tags[i] = f"I-{span[2]}"
        covered_until = last
    rejected.sort(key=lambda r: r[0])
    return tags, [span for _, span in rejected]


def bio_tags_document(
    sents: Sequence[Sentence], spans: Sequence[LabeledSpan], outside: str = "O"
) -> tuple[list[list[str]], list[LabeledSpan]]:
    """`bio_tags` for each sentence of one document; every unaligned span is reported exactly once.

    Spans that start outside every sentence (in whitespace, or past the text) are reported last.
    """
    starts = [s.start for s in sents]
    buckets: list[list[LabeledSpan]] = [[] for _ in sents]
    stray: list[LabeledSpan] = []
    for raw in spans:
        span = (raw[0], raw[1], raw[2])
        i = bisect_right(starts, span[0]) - 1
        if i >= 0 and span[0] < sents[i].end:
            buckets[i].append(span)
        elif span not in stray:
            stray.append(span)
    all_tags: list[list[str]] = []
    misaligned: list[LabeledSpan] = []
    for sentence, bucket in zip(sents, buckets):
        tags, bad = bio_tags(sentence, bucket, outside)
        all_tags.append(tags)
        misaligned.extend(bad)
    return all_tags, misaligned + stray
