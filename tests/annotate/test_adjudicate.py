"""Gold policy over several annotations: ground truth, reviewer, single, majority merge."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from pathlib import Path

from builder.annotate.adjudicate import adjudicate, merge_results
from builder.config import load_config
from builder.read.export import Annotation
from builder.run import pipeline


def region(rid: str, label: str, start: int, end: int, control: str = "entity") -> dict:
    return {"id": rid, "from_name": control, "to_name": "text", "type": "labels",
            "value": {"start": start, "end": end, "text": "x" * (end - start), "labels": [label]}}


def ann(aid: int, result: list[dict], *, who: str = "u", gt: bool = False, cancelled: bool = False, at: str = "2026-01-01") -> Annotation:
    return Annotation(aid, who, at, at, 1.0, gt, cancelled, tuple(result), f"/0/annotations/{aid}")


def test_ground_truth_wins_over_newer_annotations() -> None:
    a, b = ann(1, [], gt=True, at="2026-01-01"), ann(2, [], at="2026-05-01")
    verdict = adjudicate([a, b])
    assert (verdict.policy, verdict.gold.id, [s.id for s in verdict.sources]) == ("ground_truth", 1, [1])


def test_reviewer_then_single_then_cancelled() -> None:
    a, b = ann(1, [], who="ann@x"), ann(2, [], who="rev@x")
    assert adjudicate([a, b], reviewers=["rev@x"]).gold.id == 2
    assert adjudicate([a, replace(b, was_cancelled=True)]).policy == "single"
    assert adjudicate([replace(a, was_cancelled=True)]) is None
    assert adjudicate([]) is None


def test_majority_keeps_what_most_annotators_made_with_consistent_ids() -> None:
    # Three annotators with their own region ids; two of them agree on each kept item.
    one = [region("a", "PER", 0, 3), region("b", "GPE", 5, 9),
           {"from_id": "a", "to_id": "b", "type": "relation", "direction": "right", "labels": ["refers-to"]}]
    two = [region("x", "PER", 0, 3), region("y", "GPE", 5, 9),
           {"from_id": "x", "to_id": "y", "type": "relation", "direction": "right", "labels": ["refers-to"]}]
    three = [region("a", "ORG", 0, 3), region("q", "LOC", 11, 14)]
    merged = merge_results([one, two, three])
    regions = {(i["value"]["labels"][0], i["value"]["start"]): i["id"] for i in merged if i["type"] == "labels"}
    assert regions == {("PER", 0): "a", ("GPE", 5): "b"}  # ORG and LOC lost the vote
    (rel,) = [i for i in merged if i["type"] == "relation"]
    assert (rel["from_id"], rel["to_id"]) == ("a", "b")


def test_two_annotators_keep_only_what_both_made() -> None:
    a = ann(1, [region("e1", "PER", 0, 3), region("e2", "GPE", 5, 9)], who="a")
    b = ann(2, [region("r9", "PER", 0, 3)], who="b")
    verdict = adjudicate([a, b])
    assert verdict.policy == "majority" and [s.id for s in verdict.sources] == [1, 2]
    assert [(i["id"], i["value"]["labels"]) for i in verdict.gold.result] == [("e1", ["PER"])]


def test_reused_region_ids_do_not_collide() -> None:
    merged = merge_results([[region("e1", "PER", 0, 3), region("e2", "GPE", 5, 9)],
                            [region("e2", "PER", 0, 3), region("e1", "GPE", 5, 9)]])
    assert sorted(i["id"] for i in merged) == ["e1", "e2"]
    assert len({i["id"] for i in merged}) == 2


def _second_annotator(corpus: Path, *, ground_truth: bool, drop_entity: str | None) -> None:
    """Add a second, non-cancelled annotation by another user to the BSS export."""
    path = corpus / "annotations/export/000_ba2a176cc4aaac8d.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    first = data[0]["annotations"][0]
    first["ground_truth"] = ground_truth
    second = copy.deepcopy(first)
    second.update(id=first["id"] + 1000, completed_by=first["completed_by"] + 1, ground_truth=False, lead_time=99.0)
    second["result"] = [i for i in second["result"] if i.get("id") != drop_entity]
    data[0]["annotations"].append(second)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")


def test_pipeline_keeps_both_annotators_and_flags_the_gold(corpus: Path) -> None:
    _second_annotator(corpus, ground_truth=True, drop_entity="e02")
    out = pipeline.check(load_config(corpus), keep_rows=True)
    assert out.problems == []
    rows = [r for rows in out.rows["annotations"].values() for r in rows if r["doc_id"] == "000_ba2a176cc4aaac8d"]
    assert len(rows) == 2 and len({r["annotator"] for r in rows}) == 2
    assert [r["in_gold"] for r in rows] == [True, False]
    assert len(rows[0]["entities"]) == len(rows[1]["entities"]) + 1
    assert all(not r["annotator"].count("@") for r in rows)  # pseudonyms only
    doc = next(r for rows in out.rows["documents"].values() for r in rows if r["doc_id"] == "000_ba2a176cc4aaac8d")
    assert doc["gold_policy"] == "ground_truth" and len(doc["annotation_ids"]) == 1


def test_pipeline_majority_merge_of_two_drops_the_disputed_entity(corpus: Path) -> None:
    _second_annotator(corpus, ground_truth=False, drop_entity="e02")
    out = pipeline.check(load_config(corpus), keep_rows=True)
    assert out.problems == []
    doc = next(r for rows in out.rows["documents"].values() for r in rows if r["doc_id"] == "000_ba2a176cc4aaac8d")
    assert doc["gold_policy"] == "majority" and len(doc["annotation_ids"]) == 2 and len(doc["annotators"]) == 2
    assert "000_ba2a176cc4aaac8d:e02" not in {e["id"] for e in doc["entities"]}
    assert len(doc["entities"]) == 66 and len(doc["attributions"]) == 16


def test_inconsistent_merge_is_a_problem_with_a_hint(corpus: Path) -> None:
    # Both annotators mark a01's CONTENT, but the second one's cue is one word longer: each
    # annotation is valid, yet the merge keeps the CONTENT and loses its cue.
    path = corpus / "annotations/export/000_ba2a176cc4aaac8d.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    first = data[0]["annotations"][0]
    first["ground_truth"] = False
    second = copy.deepcopy(first)
    second.update(id=first["id"] + 1000, completed_by=first["completed_by"] + 1)
    text = data[0]["data"]["text"]
    cue = next(i for i in second["result"] if i.get("id") == "a01-cue")
    start = text.rfind(" ", 0, cue["value"]["start"] - 1) + 1  # take in the word before the cue
    cue["value"].update(start=start, text=text[start:cue["value"]["end"]])
    data[0]["annotations"].append(second)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    out = pipeline.check(load_config(corpus), keep_rows=True)
    assert [p.code for p in out.problems] == ["merge-inconsistent"]
    problem = out.problems[0]
    assert "attribution-missing-cue" in problem.message and "ground truth" in problem.hint
    assert problem.file == "annotations/export/000_ba2a176cc4aaac8d.json"


def test_two_annotations_by_one_person_are_revisions_the_latest_wins() -> None:
    old = ann(1, [region("e1", "PER", 0, 3)], who="7", at="2026-01-01")
    new = ann(2, [region("e1", "PER", 0, 3), region("e2", "GPE", 5, 9)], who="7", at="2026-02-01")
    verdict = adjudicate([new, old])
    assert (verdict.policy, verdict.gold.id, [s.id for s in verdict.sources]) == ("single", 2, [2])
    # an older annotation edited last is the person's latest answer
    assert adjudicate([replace(old, updated_at="2026-03-01"), new]).gold.id == 1


def test_a_person_with_two_annotations_counts_once_in_the_majority() -> None:
    a1 = ann(1, [region("e1", "PER", 0, 3)], who="a", at="2026-01-01")
    a2 = ann(2, [region("e1", "PER", 0, 3), region("e2", "GPE", 5, 9)], who="a", at="2026-02-01")
    b = ann(3, [region("x", "PER", 0, 3), region("y", "GPE", 5, 9)], who="b")
    verdict = adjudicate([a1, a2, b])
    assert verdict.policy == "majority" and [s.id for s in verdict.sources] == [2, 3]
    assert len(verdict.gold.result) == 2 and verdict.dropped == ()


def test_the_majority_merge_counts_what_it_drops_per_layer() -> None:
    a = ann(1, [region("e1", "PER", 0, 3), region("e2", "GPE", 5, 9), region("c", "CONTENT", 11, 20, "attribution")], who="a")
    b = ann(2, [region("r9", "PER", 0, 3)], who="b")
    assert adjudicate([a, b]).dropped == (("attribution regions", 1), ("entities", 1))


def test_same_user_second_annotation_through_the_cli_is_not_an_empty_merge(cli, corpus: Path) -> None:
    # The UI's "Create an annotation" on a done task: a second annotation by the same user, with less in it.
    from builder.cli.main import app

    path = corpus / "annotations/export/000_ba2a176cc4aaac8d.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    first = data[0]["annotations"][0]
    first["ground_truth"] = False
    second = copy.deepcopy(first)
    second.update(id=first["id"] + 1000, updated_at="2030-01-01T00:00:00Z", unique_id="second")
    second["result"] = [i for i in second["result"] if i.get("id") != "e02"]
    data[0]["annotations"].append(second)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    result = cli.invoke(app, ["check", "--root", str(corpus)])
    assert result.exit_code == 0, result.output
    out = pipeline.check(load_config(corpus), keep_rows=True)
    doc = next(r for rows in out.rows["documents"].values() for r in rows if r["doc_id"] == "000_ba2a176cc4aaac8d")
    assert doc["gold_policy"] == "single" and doc["annotation_ids"] == [second["id"]]
    assert len(doc["entities"]) == 66 and len(doc["attributions"]) == 16


def test_a_merge_that_drops_items_is_a_notice_and_an_empty_gold_a_problem(cli, corpus: Path) -> None:
    from builder.cli.main import app

    _second_annotator(corpus, ground_truth=False, drop_entity="e02")
    result = cli.invoke(app, ["check", "--root", str(corpus)])
    assert result.exit_code == 0, result.output
    assert "merge-dropped" in result.output and "entities 1" in result.output

    # Two people, no item in common except the provenance: the merge keeps nothing.
    path = corpus / "annotations/export/000_ba2a176cc4aaac8d.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    anns = data[0]["annotations"]
    keep = [i for i in anns[0]["result"] if i.get("from_name") == "provenance"]
    anns[1]["result"] = keep + [i for i in anns[1]["result"] if i.get("from_name") == "entity"][:1]
    anns[0]["result"] = keep + [i for i in anns[0]["result"] if i.get("from_name") == "entity"][1:2]
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    result = cli.invoke(app, ["check", "--root", str(corpus)])
    assert result.exit_code == 1
    assert "gold-empty  annotations/export/000_ba2a176cc4aaac8d.json" in result.output
    assert "hint: " in result.output


def test_a_second_opinion_is_checked_like_the_gold(cli, corpus: Path) -> None:
    # A non-gold annotation whose GPE covers part of a word (ইউক্রেন inside ইউক্রেনের) must not reach
    # the annotations config: the same span as the only annotation is rejected too.
    from builder.cli.main import app

    path = corpus / "annotations/export/000_ba2a176cc4aaac8d.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    text = data[0]["data"]["text"]
    first = data[0]["annotations"][0]
    second = copy.deepcopy(first)
    second.update(id=first["id"] + 1000, completed_by=first["completed_by"] + 1, ground_truth=False)
    item = next(i for i in second["result"] if i.get("from_name") == "entity" and len(i["value"]["text"]) > 4
                and text[i["value"]["end"]:i["value"]["end"] + 1] in (" ", ","))
    item["value"]["end"] -= 1
    item["value"]["text"] = text[item["value"]["start"]:item["value"]["end"]]
    data[0]["annotations"].append(second)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    result = cli.invoke(app, ["check", "--root", str(corpus)])
    assert result.exit_code == 1, result.output
    assert "span-not-token-aligned  annotations/export/000_ba2a176cc4aaac8d.json" in result.output
    assert "/0/annotations/1/result" in result.output


def test_pseudonyms_are_stable_and_not_a_hash_of_the_user_id(corpus: Path) -> None:
    import hashlib

    _second_annotator(corpus, ground_truth=True, drop_entity="e02")
    cfg = load_config(corpus)

    def annotators() -> list[str]:
        out = pipeline.check(cfg, keep_rows=True)
        return sorted(r["annotator"] for rows in out.rows["annotations"].values() for r in rows)

    names = annotators()
    assert names == annotators(), "stable across builds"
    guesses = {"annotator-" + hashlib.sha256(str(i).encode()).hexdigest()[:10] for i in range(100_000)}
    assert not guesses & set(names), "an unkeyed hash of the user id is reversible by trying ids"
    (corpus / cfg.pseudonym_key).write_text("f" * 64, encoding="utf-8")
    assert set(annotators()).isdisjoint(names), "the key, not the user id alone, makes the pseudonym"


def test_a_missing_pseudonym_key_is_a_clear_error(cli, corpus: Path) -> None:
    from builder.cli.main import app

    (corpus / "annotations" / "pseudonym.key").unlink()
    result = cli.invoke(app, ["check", "--root", str(corpus)])
    assert result.exit_code == 1
    assert "annotations/pseudonym.key not found" in result.stderr and "secrets.token_hex" in result.stderr
