"""Semantic checks of one annotation against its text and the labeling config."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.annotate.annotation import parse_annotation
from builder.read.export import Annotation, Task
from builder.scheme import load_scheme

REPO = Path(__file__).resolve().parents[2]
TEXT = "কিম বলেন, ‘আমরা রাশিয়ার সঙ্গে আছি।’ ধারণা করা হচ্ছে, তিনি যাবেন।"


@pytest.fixture(scope="module")
def scheme():
    return load_scheme(REPO / "annotations/labeling_config.xml", REPO / "annotations/registry.csv")


def span(rid: str, control: str, label: str, surface: str) -> dict:
    start = TEXT.index(surface)
    return {"id": rid, "from_name": control, "to_name": "text", "type": "labels",
            "value": {"start": start, "end": start + len(surface), "text": surface, "labels": [label]}}


def rel(a: str, b: str, label: str) -> dict:
    return {"from_id": a, "to_id": b, "type": "relation", "direction": "right", "labels": [label]}


def good_result() -> list[dict]:
    quote = "‘আমরা রাশিয়ার সঙ্গে আছি।’"
    start = TEXT.index(quote)
    pos = {"start": start, "end": start + len(quote), "text": quote}
    return [
        span("e1", "entity", "PER", "কিম"),
        span("e2", "entity", "GPE", "রাশিয়ার"),
        span("c1", "attribution", "CUE", "বলেন"),
        span("q1", "attribution", "CONTENT", quote),
        rel("q1", "e1", "source"),
        rel("q1", "c1", "cue"),
        {"id": "q1", "from_name": "attribution_type", "to_name": "text", "type": "choices", "value": pos | {"choices": ["direct"]}},
        {"id": "q1", "from_name": "stance", "to_name": "text", "type": "taxonomy", "value": pos | {"taxonomy": [["Russia", "FAVOR"]]}},
        span("c2", "attribution", "CUE", "ধারণা করা হচ্ছে"),
        span("q2", "attribution", "CONTENT", "তিনি যাবেন"),
        rel("q2", "c2", "cue"),
        {"id": "q2", "from_name": "attribution_type", "to_name": "text", "type": "choices",
         "value": {"start": 0, "end": 1, "choices": ["indirect"]}},
        {"id": "p", "from_name": "provenance", "to_name": "text", "type": "textarea", "value": {"text": ["BSS > AFP"]}},
        {"id": "d", "from_name": "doc_stance", "to_name": "text", "type": "taxonomy", "value": {"taxonomy": [["Russia", "NONE"]]}},
    ]


def parse(result: list[dict], scheme, text: str = TEXT):
    ann = Annotation(1, "a@example.org", None, None, None, True, False, tuple(result), "/0/annotations/0")
    task = Task("annotations/export/d.json", "/0", 9, "d", text, (ann,))
    return parse_annotation(task, ann, text, scheme)


def codes(result, scheme) -> list[str]:
    gold, problems = parse(result, scheme)
    assert (gold is None) == bool(problems)
    return sorted(p.code for p in problems)


def test_good_annotation(scheme) -> None:
    gold, problems = parse(good_result(), scheme)
    assert problems == []
    assert [e.text for e in gold.entities] == ["কিম", "রাশিয়ার"]
    named, unnamed = gold.attributions
    assert (named.source_id, named.type, named.cue.text, named.stances) == ("Kim Jong Un", "direct", "বলেন", (("Russia", "FAVOR"),))
    assert (unnamed.source, unnamed.source_id, unnamed.type) == (None, None, "indirect")
    assert gold.provenance == ("BSS", "AFP") and gold.doc_stances == (("Russia", "NONE"),)


def edit(result: list[dict], rid: str, **changes) -> list[dict]:
    for item in result:
        if item.get("id") == rid and item["type"] == "labels":
            item["value"].update(changes)
    return result


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda r: edit(r, "e1", labels=["PERSON"]), ["unknown-label"]),
        (lambda r: edit(r, "e1", labels=["PER", "ORG"]), ["many-labels"]),
        (lambda r: edit(r, "e1", text="কিমের"), ["span-text-mismatch"]),
        (lambda r: edit(r, "e1", end=999), ["span-out-of-range"]),
        (lambda r: edit(r, "e2", start=TEXT.index("রাশিয়ার") - 1, text=" রাশিয়ার"), ["span-whitespace"]),
        (lambda r: r + [rel("q1", "ghost", "source")], ["dangling-relation"]),
        (lambda r: r + [rel("q1", "e2", "said-by")], ["unknown-relation"]),
        (lambda r: r + [rel("c1", "e1", "cue")], ["bad-relation"]),
        (lambda r: [i for i in r if i.get("from_id") != "q1" or i["labels"] != ["cue"]], ["attribution-missing-cue", "orphan-region"]),
        (lambda r: [i for i in r if not (i.get("id") == "q1" and i["from_name"] == "attribution_type")], ["attribution-missing-type"]),
        (lambda r: r + [rel("q1", "e2", "source")], ["attribution-many-sources"]),
        (lambda r: r + [{"id": "x", "from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": ["a"]}}], ["unknown-control"]),
        (lambda r: r + [{"id": "e1", "from_name": "stance", "to_name": "text", "type": "taxonomy", "value": {"taxonomy": [["Russia", "FAVOR"]]}}], ["dangling-region-choice"]),
        (lambda r: r + [{"id": "q2", "from_name": "stance", "to_name": "text", "type": "taxonomy", "value": {"taxonomy": [["Mars", "FAVOR"]]}}], ["unknown-stance"]),
        (lambda r: r + [{"id": "q2", "from_name": "stance", "to_name": "text", "type": "taxonomy", "value": {"taxonomy": [["Russia", "FAVOR"], ["Russia", "AGAINST"]]}}], ["stance-conflict"]),
        (lambda r: [i for i in r if i.get("from_name") != "provenance"], ["provenance-missing"]),
        (lambda r: [i if i.get("from_name") != "provenance" else i | {"value": {"text": ["BSS > Xinhua"]}} for i in r], ["unknown-registry-id"]),
        (lambda r: r + [span("e1", "entity", "GPE", "রাশিয়ার")], ["duplicate-region-id"]),
    ],
)
def test_each_problem_has_its_code(scheme, mutate, expected) -> None:
    assert codes(mutate(good_result()), scheme) == expected


def test_unlinked_source_and_refers_to(scheme) -> None:
    result = good_result()
    result += [span("s2", "attribution", "SOURCE", "তিনি"), rel("q2", "s2", "source")]
    assert codes(result, scheme) == ["unlinked-source"]
    gold, problems = parse(result + [rel("s2", "e1", "refers-to")], scheme)
    assert problems == [] and gold.attributions[1].source_id == "Kim Jong Un"


def test_problem_names_file_record_and_pointer(scheme) -> None:
    _, (problem,) = parse(edit(good_result(), "e1", labels=["PERSON"]), scheme)
    assert problem.file == "annotations/export/d.json"
    assert problem.record == "task 9 (doc_id=d)"
    assert problem.pointer == "/0/annotations/0/result/0/value/labels/0"
    assert "PER" in problem.hint


def test_a_name_across_a_line_break_has_its_own_code(scheme) -> None:
    text = "ইউক্রেন\n\nযুদ্ধ"
    item = {"id": "e1", "from_name": "entity", "to_name": "text", "type": "labels",
            "value": {"start": 0, "end": len(text), "text": "ইউক্রেন\\n\\nযুদ্ধ", "labels": ["EVENT"]}}
    prov = {"id": "p", "from_name": "provenance", "to_name": "text", "type": "textarea", "value": {"text": ["BSS"]}}
    _, problems = parse([item, prov], scheme, text)
    assert [p.code for p in problems] == ["span-crosses-line"]
    assert "EVENT" in problems[0].message and "CONTENT" in problems[0].hint


def test_a_quote_over_two_paragraphs_is_one_content(scheme) -> None:
    # The LS UI writes value.text of a span across a line break with a literal backslash-n.
    two = "‘আমরা রাশিয়ার সঙ্গে আছি।\n\nআমরা থাকব।’"
    text = f"কিম বলেন, {two}"
    where = {"কিম": text.index("কিম"), "বলেন": text.index("বলেন"), "রাশিয়ার": text.index("রাশিয়ার"), two: text.index(two)}

    def region(rid, control, label, surface):
        start = where[surface]
        shown = surface.replace("\n", "\\n")
        return {"id": rid, "from_name": control, "to_name": "text", "type": "labels",
                "value": {"start": start, "end": start + len(surface), "text": shown, "labels": [label]}}

    pos = {"start": where[two], "end": where[two] + len(two)}
    result = [
        region("e1", "entity", "PER", "কিম"), region("e2", "entity", "GPE", "রাশিয়ার"),
        region("c1", "attribution", "CUE", "বলেন"), region("q1", "attribution", "CONTENT", two),
        rel("q1", "e1", "source"), rel("q1", "c1", "cue"),
        {"id": "q1", "from_name": "attribution_type", "to_name": "text", "type": "choices", "value": pos | {"choices": ["direct"]}},
        {"id": "p", "from_name": "provenance", "to_name": "text", "type": "textarea", "value": {"text": ["BSS"]}},
    ]
    gold, problems = parse(result, scheme, text)
    assert problems == [], [p.render() for p in problems]
    assert gold.attributions[0].content.text == two
