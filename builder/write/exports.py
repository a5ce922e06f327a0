"""Checked rows → other tools' formats in `exports/` of the dataset folder (croissant.json: builder.write.croissant).

Each map shard writes its part of every export as its rows stream by (builder.write.parts); the reduce
(builder.write.assemble) joins the parts in shard order. Nothing has a time or a random id, so two builds of
the same inputs give byte-identical files.

exports/conll/<split>.conll
    CoNLL-2003 style, from the `ner` config: `-DOCSTART- -X- -X- O` then a blank line at the start of
    every document, one token per line as `TOKEN POS CHUNK TAG` with `_ _` placeholders for POS and
    CHUNK, the BIO tag names of the scheme (`bio_tags`), a blank line after every sentence.

exports/spacy/<split>-NNNNN-of-MMMMM.spacy
    spaCy DocBins, one per map shard (`spacy train` and `DocBin().from_disk` read each; a folder of them is a
    corpus), one Doc per document of the `documents` config, in doc_id order. The Doc text is the
    document `text` exactly; tokens are those of builder.derive.tokens (whitespace between them becomes
    spaCy whitespace tokens / trailing spaces), sentence starts are set from the same sentencizer.
    `doc.ents` are the entities of the document, built with `Doc.char_span`; of nested or overlapping
    entities only the outermost is kept (earlier start, then longer), as in the `ner` config.
    `doc.user_data` holds `doc_id` and `split`.

exports/attributions.jsonl
    One JSON object per attribution: builder.write.attributions.
"""

from __future__ import annotations

from bisect import bisect_left
from functools import cache
from typing import Any

from builder.derive import tokens

EXPORTS = "exports"
DOCSTART = "-DOCSTART- -X- -X- O"
# --- CoNLL -----------------------------------------------------------------------------------


def conll(ner_rows: list[dict[str, Any]]) -> str:
    """CoNLL-2003 text for the sentence rows of one split (rows of a document are consecutive)."""
    out: list[str] = []
    current = None
    for row in ner_rows:
        if row["doc_id"] != current:
            current = row["doc_id"]
            out += [DOCSTART, ""]
        for tok, tag in zip(row["tokens"], row["ner_tags"]):
            out.append(f"{tok} _ _ {tag}")
        out.append("")
    return "".join(line + "\n" for line in out)


def read_conll(text: str) -> list[tuple[list[str], list[str]]]:
    """(tokens, tags) per sentence of a CoNLL file written by `conll` (document markers skipped)."""
    sentences: list[tuple[list[str], list[str]]] = []
    toks: list[str] = []
    tags: list[str] = []
    for line in text.split("\n"):
        if not line or line == DOCSTART:
            if toks:
                sentences.append((toks, tags))
                toks, tags = [], []
            continue
        parts = line.split(" ")
        toks.append(parts[0])
        tags.append(parts[-1])
    return sentences


# --- spaCy -----------------------------------------------------------------------------------


def outermost(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Entities without nesting: earlier start first, then the longer; overlapped ones dropped."""
    kept: list[dict[str, Any]] = []
    end = -1
    for e in sorted(entities, key=lambda e: (e["start"], -e["end"])):
        if e["start"] >= end:
            kept.append(e)
            end = e["end"]
    return kept


def _doc_words(text: str, sentences: list[tokens.Sentence]) -> tuple[list[str], list[bool], list[bool], list[int]]:
    """The Doc's words, trailing spaces and sentence starts, and the character offset where each word starts."""
    words: list[str] = []
    spaces: list[bool] = []
    starts: list[bool] = []
    pos = 0
    # Between two tokens: nothing, one space (the earlier token's trailing space) or a whitespace token.
    for sentence in sentences:
        first = True
        for tok, start in zip(sentence.tokens, sentence.token_starts):
            if start > pos:
                _gap(text[pos:start], words, spaces, starts)
            words.append(tok)
            spaces.append(False)
            starts.append(first)
            first = False
            pos = start + len(tok)
    if pos < len(text):
        _gap(text[pos:], words, spaces, starts)
    if starts:
        starts[0] = True
    # The Doc's text is words joined with their trailing spaces; checked on the lists, because asking the Doc
    # (doc.text) walks every token object and cost more than building the Doc.
    if "".join(w + (" " if sp else "") for w, sp in zip(words, spaces)) != text:
        raise ValueError("spaCy Doc text would differ from the document text")
    offsets, at = [], 0
    for w, sp in zip(words, spaces):
        offsets.append(at)
        at += len(w) + sp
    return words, spaces, starts, offsets


def _gap(between: str, words: list[str], spaces: list[bool], starts: list[bool]) -> None:
    if between == " " and words and not spaces[-1]:
        spaces[-1] = True
        return
    words.append(between)
    spaces.append(False)
    starts.append(len(words) == 1)


def sentences_of(ner_rows: list[dict[str, Any]]) -> dict[str, list[tokens.Sentence]]:
    """The tokenisation the `ner` rows already hold, per document: a document is tokenised once."""
    out: dict[str, list[tokens.Sentence]] = {}
    for row in sorted(ner_rows, key=lambda r: (r["doc_id"], r["sentence_index"])):
        out.setdefault(row["doc_id"], []).append(
            tokens.Sentence(row["start"], row["end"], tuple(row["tokens"]), tuple(row["token_starts"]))
        )
    return out


def _bin_header(n: int) -> bytes:
    """msgpack's bin 8/16/32 header for n bytes (what Packer(use_bin_type=True) writes before bytes)."""
    if n < 1 << 8:
        return b"\xc4" + n.to_bytes(1, "big")
    if n < 1 << 16:
        return b"\xc5" + n.to_bytes(2, "big")
    return b"\xc6" + n.to_bytes(4, "big")


def new_docbin():
    return _fast_docbin()(store_user_data=True)


@cache
def _fast_docbin() -> type:
    """spaCy's DocBin with an `add` that gives the same bytes at a fraction of the cost: the strings of a Doc
    come from its attribute arrays (one numpy.unique) instead of nine Token properties per token, and
    user_data is packed by one reused msgpack Packer instead of a new one per Doc (each of which scans the
    installed packages' entry points). tests/test_exports.py compares the bytes with spaCy's own add."""
    import zlib

    import numpy
    from spacy.attrs import DEP, ENT_ID, ENT_KB_ID, ENT_TYPE, LEMMA, MORPH, NORM, ORTH, SPACY, TAG
    from spacy.tokens import DocBin
    from srsly.msgpack import Packer

    string_attrs = [ORTH, TAG, LEMMA, NORM, MORPH, DEP, ENT_TYPE, ENT_KB_ID, ENT_ID]
    packer = Packer(use_bin_type=True)  # what srsly.msgpack_dumps makes per call; user_data is plain str → str

    class FastDocBin(DocBin):
        def add(self, doc) -> None:
            self.add_parts(self.parts_of(doc))

        def parts_of(self, doc) -> tuple:
            """What one Doc adds to the bin (picklable: a document's cached writer output)."""
            array = doc.to_array(self.attrs)
            if len(array.shape) == 1:
                array = array.reshape((array.shape[0], 1))
            spaces = doc.to_array(SPACY)
            names: set[str] = set()
            strings = doc.vocab.strings
            if len(doc):
                for h in numpy.unique(doc.to_array(string_attrs)).tolist():
                    names.add(strings[h])
            for group in doc.spans.values():
                for span in group:
                    names.add(span.label_)
                    if span.kb_id in span.doc.vocab.strings:
                        names.add(span.kb_id_)
                    if span.id in span.doc.vocab.strings:
                        names.add(span.id_)
            user_data = packer.pack(doc.user_data) if self.store_user_data else None
            return (array, numpy.asarray(spaces.reshape((spaces.shape[0], 1)), dtype=bool), doc.has_unknown_spaces,
                    sorted(names), doc.cats, user_data, doc.spans.to_bytes())  # fmt: skip

        def add_parts(self, parts: tuple) -> None:
            array, spaces, unknown_spaces, names, cats, user_data, span_groups = parts
            self.tokens.append(array)
            self.spaces.append(spaces)
            self.flags.append({"has_unknown_spaces": unknown_spaces})
            self.strings.update(names)
            self.cats.append(cats)
            if self.store_user_data:
                self.user_data.append(user_data)
            self.span_groups.append(span_groups)

        def to_bytes(self) -> bytes:
            """spaCy's to_bytes, the same bytes, without its copies of every token array (vstack, tobytes,
            msgpack, then zlib: four at once, ~50 MB for 100 long documents): the msgpack map is written piece
            by piece into one zlib stream, the token arrays straight from where they are."""
            packer = Packer(use_bin_type=True)
            lengths = [len(tokens) for tokens in self.tokens]
            msg = {
                "version": self.version,
                "attrs": self.attrs,
                "tokens": self.tokens,
                "spaces": numpy.vstack(self.spaces).tobytes("C") if self.spaces else b"",
                "lengths": numpy.asarray(lengths, dtype="int32").tobytes("C"),
                "strings": sorted(self.strings),
                "cats": self.cats,
                "flags": self.flags,
                "span_groups": self.span_groups,
            }
            if self.store_user_data:
                msg["user_data"] = self.user_data
            z = zlib.compressobj()
            out = [z.compress(packer.pack_map_header(len(msg)))]
            for key, value in msg.items():
                out.append(z.compress(packer.pack(key)))
                if key == "tokens":  # vstack of 2-D arrays with one width: their C-order bytes, one after another
                    chunks = [numpy.ascontiguousarray(a) for a in value] if value else []
                    out.append(z.compress(_bin_header(sum(c.nbytes for c in chunks))))
                    out += [z.compress(memoryview(c).cast("B")) for c in chunks]
                else:
                    out.append(z.compress(packer.pack(value)))
            out.append(z.flush())
            return b"".join(out)

    return FastDocBin


def add_to_docbin(bin_, row: dict[str, Any], split: str, sentences: list[tokens.Sentence]) -> None:
    """One `documents` row as a Doc; `sentences`: the tokenisation of its `ner` rows (nothing is tokenised twice)."""
    bin_.add(docbin_doc(row, split, sentences))


def _word_span(words: list[str], offsets: list[int], start: int, end: int) -> tuple[int, int] | None:
    """The first and last word of [start:end), as Doc.char_span(..., alignment_mode="strict") finds them: it
    must start at a word's start and end at a word's end. Words are never empty and never overlap, so both
    are found by bisection on the start offsets."""
    i = bisect_left(offsets, start)
    j = bisect_left(offsets, end) - 1
    if i < len(words) and offsets[i] == start and j >= i and offsets[j] + len(words[j]) == end:
        return i, j
    return None


def docbin_doc(row: dict[str, Any], split: str, sentences: list[tokens.Sentence]):
    """The spaCy Doc of one `documents` row, as the DocBin export holds it."""
    from spacy.tokens import Doc

    words, spaces, starts, offsets = _doc_words(row["text"], sentences)
    # Entities go in as IOB tags, which set the same token attributes as `doc.ents = [Span, ...]` (O where
    # there is none).
    iob = ["O"] * len(words)
    for e in outermost(row["entities"]):
        bounds = _word_span(words, offsets, e["start"], e["end"])
        if bounds is not None:
            i, j = bounds
            iob[i] = f"B-{e['label']}"
            iob[i + 1:j + 1] = [f"I-{e['label']}"] * (j - i)
    doc = Doc(tokens.nlp().vocab, words=words, spaces=spaces, sent_starts=starts, ents=iob)
    doc.user_data["doc_id"] = row["doc_id"]
    doc.user_data["split"] = split
    return doc


def docbin_parts(row: dict[str, Any], split: str, sentences: list[tokens.Sentence]) -> tuple:
    """What `docbin_doc(row, split, sentences)` adds to a DocBin (FastDocBin.parts_of), built from the words
    without a Doc: a Doc made from words creates a Python-level object per token and a lexeme lookup per word,
    which cost more than tokenising. The arrays are the ones Doc.to_array gives for such a Doc (only ORTH,
    NORM, ENT_IOB, ENT_TYPE and SENT_START are set; the rest are 0). tests/write/test_exports.py compares
    both ways on the corpus and on words spaCy treats specially (symbols, norm exceptions, whitespace)."""
    import numpy

    words, spaces, starts, offsets = _doc_words(row["text"], sentences)
    if not words:
        return new_docbin().parts_of(docbin_doc(row, split, sentences))  # an empty Doc: spaCy says what it holds
    lexemes, strings, span_groups = _docbin_vocab()
    n = len(words)
    array = numpy.zeros((n, len(DOCBIN_ATTRS)), dtype="uint64")
    names = {""}  # the zeros of the attributes no Doc here sets are the empty string's id
    orth, norm = [], []
    for word in words:
        lex = lexemes.get(word)
        if lex is None:
            lex = _lexeme(word)
        orth.append(lex[0])
        norm.append(lex[1])
        names.add(word)
        names.add(lex[2])
    array[:, _COL["ORTH"]] = orth
    array[:, _COL["NORM"]] = norm
    iob = [2] * n  # O
    types = [0] * n
    for e in outermost(row["entities"]):  # the same entities, by the same rule, as docbin_doc's IOB tags
        bounds = _word_span(words, offsets, e["start"], e["end"])
        if bounds is not None:
            i, j = bounds
            label = strings.add(e["label"])
            names.add(e["label"])
            iob[i], types[i] = 3, label
            iob[i + 1:j + 1] = [1] * (j - i)
            types[i + 1:j + 1] = [label] * (j - i)
    array[:, _COL["ENT_IOB"]] = iob
    array[:, _COL["ENT_TYPE"]] = types
    array[:, _COL["SENT_START"]] = numpy.where(numpy.asarray(starts, dtype=bool), numpy.uint64(1), numpy.uint64(2**64 - 1))
    user_data = _packer().pack({"doc_id": row["doc_id"], "split": split})
    return (array, numpy.asarray(spaces, dtype=bool).reshape((n, 1)), False, sorted(names), {}, user_data, span_groups)


# A DocBin's attributes in its order (spaCy's DocBin default), and the column of each.
DOCBIN_ATTRS = ("ORTH", "NORM", "LEMMA", "POS", "TAG", "DEP", "ENT_IOB", "ENT_TYPE", "HEAD", "SENT_START", "ENT_KB_ID", "MORPH", "ENT_ID")
_COL = {name: i for i, name in enumerate(DOCBIN_ATTRS)}
_LEXEMES = 200_000  # words remembered per process (then forgotten, to keep a worker's memory flat)


@cache
def _docbin_vocab() -> tuple[dict[str, tuple[int, int, str]], Any, bytes]:
    """word → (ORTH, NORM, norm string), filled as words come; the shared StringStore; an empty Doc's span groups."""
    from spacy.attrs import IDS
    from spacy.tokens import Doc, DocBin

    if tuple(DocBin().attrs) != tuple(IDS[name] for name in DOCBIN_ATTRS):
        raise RuntimeError("spaCy's DocBin attributes changed: update exports.DOCBIN_ATTRS")
    vocab = tokens.nlp().vocab
    return {}, vocab.strings, Doc(vocab, words=["x"], spaces=[False]).spans.to_bytes()


def _lexeme(word: str) -> tuple[int, int, str]:
    lexemes = _docbin_vocab()[0]
    if len(lexemes) >= _LEXEMES:
        lexemes.clear()
    lex = tokens.nlp().vocab[word]  # adds the word (and its norm) to the StringStore, as Doc(words=...) does
    out = lexemes[word] = (lex.orth, lex.norm, lex.norm_)
    return out


@cache
def _packer() -> Any:
    from srsly.msgpack import Packer

    return Packer(use_bin_type=True)
