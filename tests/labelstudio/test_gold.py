"""Gold specs → result items (offline), and the real round trip through a local Label Studio server.

The server test is marked `server`; it fails (never skips) when the server cannot start.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from builder.config import load_config
from builder.labelstudio.gold import check_docs, gold_doc_ids, load_doc, seed_gold
from builder.labelstudio.goldspec import GoldSpecError, find_all, problems, resolve
from builder.scheme import load_scheme

ROOT = Path(__file__).resolve().parents[2]
DOC_IDS = ("000_ba2a176cc4aaac8d", "003_def7398b55f8b37b")
# Fields of the export the server makes up on every run; everything else must match the committed export.
SERVER_TASK_FIELDS = {"id", "created_at", "updated_at", "project", "inner_id", "updated_by", "annotations"}
SERVER_ANNOTATION_FIELDS = {
    "id",
    "created_at",
    "updated_at",
    "unique_id",
    "task",
    "project",
    "completed_by",
    "updated_by",
}

TEXT = "কিমের সঙ্গে কিম কথা বলেন।\n\nপরে কিম জং\u00a0উন এলেন। তিনি বলেন, ‘কিম আসবেন।’"


def spec(**parts: Any) -> dict[str, Any]:
    return {"doc_id": "t1", "provenance": "BSS > AFP", "doc_stance": {"Russia": "NONE"}, **parts}


def span_of(items: list[dict[str, Any]], rid: str, control: str = "entity") -> tuple[int, int, str]:
    item = next(i for i in items if i.get("id") == rid and i.get("from_name") == control)
    return item["value"]["start"], item["value"]["end"], item["value"]["text"]


@pytest.fixture(scope="module")
def cfg():
    return load_config(ROOT)


@pytest.fixture(scope="module")
def scheme(cfg):
    return load_scheme(cfg.path(cfg.labeling_config), cfg.path(cfg.registry))


def committed_export(cfg, doc_id: str) -> dict[str, Any]:
    tasks = json.loads((cfg.path(cfg.export_dir) / f"{doc_id}.json").read_text(encoding="utf-8"))
    assert isinstance(tasks, list) and len(tasks) == 1
    return tasks[0]


# --- offline: resolve --------------------------------------------------------------------------------------------


def test_occurrences_count_whole_words_only():
    # `কিম` inside `কিমের` is not an occurrence; `কিম` inside `কিম জং উন` is; quotes are word boundaries.
    assert [TEXT[s:e] for s, e in find_all("কিম", TEXT)] == ["কিম"] * 3
    starts = [s for s, _ in find_all("কিম", TEXT)]
    assert starts == [TEXT.index("কিম কথা"), TEXT.index("কিম জং"), TEXT.index("কিম আসবেন")]
    items = resolve(spec(entities={"e1": ["PER", "কিম", 2], "e2": ["PER", "কিমের"], "e3": ["PER", "কিম", 3]}), TEXT)
    assert span_of(items, "e1")[0] == TEXT.index("কিম জং")
    assert span_of(items, "e2") == (0, 5, "কিমের")
    assert span_of(items, "e3")[0] == TEXT.index("কিম আসবেন")


def test_space_in_a_surface_matches_a_no_break_space():
    items = resolve(spec(entities={"e1": ["PER", "কিম জং উন"]}), TEXT)
    s, e, text = span_of(items, "e1")
    assert text == "কিম জং\u00a0উন" == TEXT[s:e]


def test_attribution_items_and_relations():
    att = {
        "source": {"span": "তিনি", "refers_to": "e1"},
        "cue": ["বলেন", 2],
        "content": "‘কিম আসবেন।’",
        "type": "direct",
        "stance": {"North Korea": "NONE"},
    }
    items = resolve(spec(entities={"e1": ["PER", "কিম জং উন"]}, attributions={"a1": att}), TEXT)
    assert span_of(items, "a1-content", "attribution")[2] == "‘কিম আসবেন।’"
    assert span_of(items, "a1-content", "stance")[2] == "‘কিম আসবেন।’"
    relations = {(i["from_id"], i["to_id"], i["labels"][0]) for i in items if i["type"] == "relation"}
    assert relations == {
        ("a1-content", "a1-cue", "cue"),
        ("a1-content", "a1-src", "source"),
        ("a1-src", "e1", "refers-to"),
    }
    assert [i["from_name"] for i in items[-2:]] == ["provenance", "doc_stance"]


@pytest.mark.parametrize(
    ("entities", "message"),
    [
        ({"e1": ["PER", "পুতিন"]}, "t1 › entity e1: surface 'পুতিন' not found"),
        ({"e1": ["PER", "কিম"]}, "t1 › entity e1: surface 'কিম' occurs 3 times"),
        ({"e1": ["PER", "কিম", 4]}, "t1 › entity e1: surface 'কিম' occurrence 4 not found: it occurs 3 time(s)"),
        ({"e1": ["PER", "কি"]}, "t1 › entity e1: surface 'কি' not found"),  # only inside words
    ],
    ids=["not-found", "ambiguous", "occurrence-too-high", "inside-a-word"],
)
def test_unresolvable_spans_name_doc_item_and_surface(entities, message):
    with pytest.raises(GoldSpecError) as err:
        resolve(spec(entities=entities), TEXT)
    assert str(err.value).startswith(message)


def test_unknown_source_entity_is_an_error():
    att = {
        "source": "e9",
        "cue": ["বলেন", 2],
        "content": "‘কিম আসবেন।’",
        "type": "direct",
        "stance": {"Russia": "NONE"},
    }
    with pytest.raises(GoldSpecError, match=r"t1 › attribution a1: source 'e9' is not an entity id"):
        resolve(spec(attributions={"a1": att}), TEXT)


# --- offline: the committed gold --------------------------------------------------------------------------------


def test_committed_specs_pass_every_check(cfg, scheme):
    assert tuple(gold_doc_ids(cfg)) == DOC_IDS
    check_docs([load_doc(cfg, d) for d in DOC_IDS], scheme)  # raises with the full problem list


def _first(items, **match):
    return next(i for i in items if all(i.get(k) == v for k, v in match.items()))


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        (lambda items: items[0]["value"].update(start=items[0]["value"]["start"] + 1), "span-text-mismatch"),
        (lambda items: items[0]["value"].update(labels=["DATE"]), "unknown-label"),
        (lambda items: _first(items, type="relation").update(to_id="nope"), "dangling-relation"),
        (lambda items: _first(items, from_name="stance")["value"].update(taxonomy=[["Mars", "FAVOR"]]), "unknown-stance"),
        (lambda items: _first(items, id="a14-content", from_name="stance")["value"].update(
            taxonomy=[["US–North Korea dialogue", "AGAINST"], ["US–North Korea dialogue", "FAVOR"]]), "stance-conflict"),
        (lambda items: items.remove(_first(items, from_name="attribution_type")), "0 'attribution_type' results"),
        (lambda items: items.append(dict(_first(items, id="e22"), id="e99", value=dict(
            _first(items, id="e22")["value"], end=_first(items, id="e22")["value"]["start"] + 7, text="ইউক্রেন",
            labels=["GPE"]))), "entities never nest"),
    ],
    ids=["offsets-shifted", "unknown-label", "dangling-relation", "unknown-target", "stance-conflict", "missing-type",
         "nested-entity"],
)  # fmt: skip
def test_problems_reports_broken_items(cfg, scheme, breakage, message):
    doc = load_doc(cfg, DOC_IDS[0])
    items = json.loads(json.dumps(doc.items))
    assert problems(doc, scheme) == []
    breakage(items)
    found = problems(dataclasses.replace(doc, items=items), scheme)
    assert any(message in p for p in found), found


@pytest.mark.parametrize("doc_id", DOC_IDS)
def test_committed_export_is_the_resolved_spec(cfg, doc_id):
    doc = load_doc(cfg, doc_id)
    task = committed_export(cfg, doc_id)
    assert task["data"] == doc.task_data
    assert task["annotations"][0]["result"] == doc.items, "re-run `builder gold` after editing a spec"


# --- real server ------------------------------------------------------------------------------------------------


def test_missing_server_executable_names_the_setup_step(monkeypatch, tmp_path):
    from builder.labelstudio.server import LabelStudioServer
    from builder.labelstudio.template import ServerError

    monkeypatch.setenv("LABEL_STUDIO_BIN", str(tmp_path / "no-such-label-studio"))
    with pytest.raises(ServerError, match="executable not found") as err:
        LabelStudioServer().start()
    assert "README setup command" in err.value.hint


@pytest.mark.server
def test_seeding_a_real_server_reproduces_the_committed_exports(cfg, scheme, tmp_path):
    from builder.labelstudio.server import LabelStudioServer

    docs = [load_doc(cfg, d) for d in DOC_IDS]
    with LabelStudioServer() as server:  # template copy; raises ServerError (test fails) if it cannot start
        written = seed_gold(
            server.url, server.api_key, docs, tmp_path,
            label_config=cfg.path(cfg.labeling_config).read_text(encoding="utf-8"),
        )  # fmt: skip
    assert sorted(p.name for p in written) == [f"{d}.json" for d in DOC_IDS]
    for doc in docs:
        fresh = json.loads((tmp_path / f"{doc.doc_id}.json").read_text(encoding="utf-8"))
        assert isinstance(fresh, list) and len(fresh) == 1
        new, old = fresh[0], committed_export(cfg, doc.doc_id)
        assert list(new) == list(old), "the export's task fields changed"
        assert {k: v for k, v in new.items() if k not in SERVER_TASK_FIELDS} == {
            k: v for k, v in old.items() if k not in SERVER_TASK_FIELDS
        }
        assert len(new["annotations"]) == len(old["annotations"]) == 1
        new_ann, old_ann = new["annotations"][0], old["annotations"][0]
        assert {k: v for k, v in new_ann.items() if k not in SERVER_ANNOTATION_FIELDS} == {
            k: v for k, v in old_ann.items() if k not in SERVER_ANNOTATION_FIELDS
        }
        assert new_ann["ground_truth"] is True and new_ann["was_cancelled"] is False
        text = (cfg.path(cfg.text_dir) / f"{doc.doc_id}.txt").read_text(encoding="utf-8")
        assert new["data"]["text"] == text
        spans = [i["value"] for i in new_ann["result"] if "start" in i.get("value", {})]
        assert spans and all(text[v["start"] : v["end"]] == v["text"] for v in spans)
