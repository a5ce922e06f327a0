"""The annotation round trip through a live Label Studio, driven by `builder ls` (CliRunner, env URL/token).

setup → push (+ gazetteer predictions) → two different users annotate through the API → pull → builder build →
datasets.load_dataset → push again → pull again: annotations/ must be byte-identical to the first pull.
Marked `server`; fails (never skips) when the server cannot start. Prints the measured times (pytest -s) and
adds them to the terminal summary.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import tree_digest

from builder.cli.ls import ls_app
from builder.cli.main import app
from builder.labelstudio.pull import render

pytest.register_assert_rewrite("ls_fixtures")  # before its import: its asserts get pytest's messages
from ls_fixtures import TIMINGS, signup_user

pytest_plugins = ["ls_fixtures"]  # one registration for every module: ONE session server

ANNOTATION_FIELDS = {"completed_by", "created_at", "updated_at", "lead_time", "ground_truth", "was_cancelled", "result"}


def second_opinion(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The gold minus its last entity region that nothing links to: a valid, slightly different annotation."""
    linked = {i.get(k) for i in items if i.get("type") == "relation" for k in ("from_id", "to_id")}
    drop = [i for i in items if i.get("from_name") == "entity" and i["id"] not in linked][-1]
    return [i for i in items if i is not drop]


@pytest.mark.server
def test_push_annotate_pull_build_is_a_byte_identical_round_trip(cli, corpus: Path, ls_server, ls_env, title, capsys, tmp_path):
    from datasets import load_dataset
    from label_studio_sdk import LabelStudio

    export_dir = corpus / "annotations" / "export"
    gold = {p.stem: json.loads(p.read_text(encoding="utf-8"))[0]["annotations"][0]["result"] for p in export_dir.glob("*.json")}
    assert len(gold) == 2

    def ls(*args: str) -> str:
        result = cli.invoke(ls_app, [*args, "--root", str(corpus), "--title", title], env=ls_env)
        assert result.exit_code == 0, result.output
        assert ls_server.api_key not in result.output
        return result.output

    started = time.perf_counter()
    # A fresh project: every document starts unannotated on the server, while the committed gold of the
    # other document feeds each one's gazetteer.
    assert " created from annotations/labeling_config.xml" in ls("setup")
    assert "nothing changed" in ls("setup")
    out = ls("push", "--predictions")
    assert "2 created" in out and "gazetteer predictions" in out and ": 2 created" in out.splitlines()[1], out

    admin = LabelStudio(base_url=ls_server.url, api_key=ls_server.api_key)
    admin_id = admin.users.whoami().id
    user2_id, token2 = signup_user(ls_server.url, ls_server.api_key, "annotator2@bn-news.example.org", "Two-annotators-2026")
    assert user2_id != admin_id
    second = LabelStudio(base_url=ls_server.url, api_key=token2)
    project = next(p for p in admin.projects.list(title=title) if p.title == title)
    tasks = {t.data["doc_id"]: t.id for t in admin.tasks.list(project=project.id)}
    for doc_id, items in sorted(gold.items()):
        assert len(admin.predictions.list(task=tasks[doc_id])) == 1
        admin.annotations.create(id=tasks[doc_id], result=items, ground_truth=True, was_cancelled=False, lead_time=41.5)
        second.annotations.create(id=tasks[doc_id], result=second_opinion(items), was_cancelled=False, lead_time=63.0)

    # The corpus holds the committed gold, made on another server: the pull must see that and refuse.
    committed = tree_digest(corpus / "annotations")
    refused = cli.invoke(ls_app, ["pull", "--root", str(corpus), "--title", title], env=ls_env)
    assert refused.exit_code == 1, refused.output
    assert "refusing to pull" in refused.output and "looks reset, or is another server" in refused.output
    assert "--replace" in refused.output and "nothing was written" in refused.output
    assert tree_digest(corpus / "annotations") == committed
    replaced = ls("pull", "--replace")
    assert "2 written, 0 unchanged" in replaced and "the replaced files were saved in .builder/replaced/" in replaced
    (backup,) = (corpus / ".builder" / "replaced").iterdir()
    assert {p.name: p.read_bytes() for p in backup.iterdir()} == {
        k.split("/", 1)[1]: v for k, v in committed.items() if k.startswith("export/")
    }, "what --replace overwrote is kept, byte for byte"
    for doc_id, items in gold.items():
        content = (export_dir / f"{doc_id}.json").read_text(encoding="utf-8")
        (task,) = json.loads(content)
        assert content == render([task]), "pull must write the stable formatting"
        assert "drafts" not in task and task["data"]["doc_id"] == doc_id
        anns = task["annotations"]
        assert [a["completed_by"] for a in anns] == [admin_id, user2_id], "each annotation carries its own user"
        assert all(ANNOTATION_FIELDS <= set(a) for a in anns)
        assert [a["ground_truth"] for a in anns] == [True, False] and not any(a["was_cancelled"] for a in anns)
        assert anns[0]["result"] == items and anns[1]["result"] == second_opinion(items)

    out_dir = corpus / "build" / "dataset"
    built = cli.invoke(app, ["build", "--root", str(corpus), "--out", str(out_dir)])
    assert built.exit_code == 0, built.output
    documents = load_dataset(str(out_dir), cache_dir=str(tmp_path / "hf-cache"))  # never the home cache
    assert sum(split.num_rows for split in documents.values()) == 2
    assert {row["doc_id"] for split in documents.values() for row in split} == set(gold)
    assert {row["gold_policy"] for split in documents.values() for row in split} == {"ground_truth"}
    per_annotator = load_dataset(str(out_dir), "annotations", cache_dir=str(tmp_path / "hf-cache"))
    rows = sorted((r for split in per_annotator.values() for r in split), key=lambda r: (r["doc_id"], r["annotation_id"]))
    assert len(rows) == 4 and len({r["annotator"] for r in rows}) == 2, "both annotators' work is in the dataset"
    assert [r["in_gold"] for r in rows] == [True, False, True, False]
    assert [r["lead_time"] for r in rows] == [41.5, 63.0, 41.5, 63.0]
    assert all(len(rows[i]["entities"]) == len(rows[i + 1]["entities"]) + 1 for i in (0, 2))

    pulled = tree_digest(corpus / "annotations")
    out = ls("push", "--predictions")
    assert "0 created, 0 updated, 2 unchanged" in out, out
    assert out.count("pre-annotations are only for unannotated tasks") == 2, out
    assert "0 written, 2 unchanged" in ls("pull")
    assert tree_digest(corpus / "annotations") == pulled, "push → pull after a pull must leave annotations/ byte-identical"

    TIMINGS["round trip"] = round_trip = time.perf_counter() - started
    with capsys.disabled():
        print(f"\nround trip report: server start {ls_server.start_seconds:.1f}s, full round trip {round_trip:.1f}s")
    assert ls_server.start_seconds + round_trip < 300, "the module must stay under 5 minutes"


@pytest.mark.server
def test_one_annotator_twice_and_server_side_edits_and_deletions(cli, corpus: Path, ls_server, ls_env, title, tmp_path):
    """Two annotations of one task by ONE user (the UI's "Create an annotation"): the latest is the gold.
    Then an edit on the server is pulled without --replace, and a deletion on the server is refused."""
    from datasets import load_dataset
    from label_studio_sdk import LabelStudio

    export_dir = corpus / "annotations" / "export"
    gold = {p.stem: json.loads(p.read_text(encoding="utf-8"))[0]["annotations"][0]["result"] for p in export_dir.glob("*.json")}
    for p in export_dir.glob("*.json"):
        p.unlink()  # a corpus whose documents are not annotated yet

    def ls(*args: str, code: int = 0) -> str:
        result = cli.invoke(ls_app, [*args, "--root", str(corpus), "--title", title], env=ls_env)
        assert result.exit_code == code, result.output
        return result.output

    ls("setup")
    ls("push")
    user_id, token = signup_user(ls_server.url, ls_server.api_key, f"solo{time.monotonic_ns()}@bn-news.example.org", "Solo-annotator-2026")
    user = LabelStudio(base_url=ls_server.url, api_key=token)
    admin = LabelStudio(base_url=ls_server.url, api_key=ls_server.api_key)
    project = next(p for p in admin.projects.list(title=title) if p.title == title)
    tasks = {t.data["doc_id"]: t.id for t in admin.tasks.list(project=project.id)}
    (a, b) = sorted(gold)
    first = user.annotations.create(id=tasks[a], result=second_opinion(gold[a]), was_cancelled=False)
    time.sleep(0.05)
    latest = user.annotations.create(id=tasks[a], result=gold[a], was_cancelled=False)
    user.annotations.create(id=tasks[b], result=gold[b], was_cancelled=False)
    assert "2 written" in ls("pull")

    out_dir = corpus / "build" / "dataset"
    built = cli.invoke(app, ["build", "--root", str(corpus), "--out", str(out_dir)])
    assert built.exit_code == 0, built.output
    docs = {r["doc_id"]: r for split in load_dataset(str(out_dir), cache_dir=str(tmp_path / "c")).values() for r in split}
    entities = sum(1 for i in gold[a] if i.get("from_name") == "entity")
    assert docs[a]["gold_policy"] == "single" and docs[a]["annotation_ids"] == [latest.id]
    assert len(docs[a]["entities"]) == entities, "the user's latest annotation is the gold, not an empty merge"
    rows = [r for split in load_dataset(str(out_dir), "annotations", cache_dir=str(tmp_path / "c")).values() for r in split if r["doc_id"] == a]
    assert sorted((r["annotation_id"], r["in_gold"]) for r in rows) == [(first.id, False), (latest.id, True)]

    # An edit in Label Studio is newer than the local copy: pulled without --replace.
    user.annotations.update(id=first.id, result=gold[a])
    out = ls("pull")
    assert "1 updated" in out and "1 written" in out, out
    # A deletion on the server would shrink the local export: refused, nothing written.
    before = tree_digest(corpus / "annotations")
    user.annotations.delete(id=first.id)
    out = ls("pull", code=1)
    assert "1 removed" in out and f"annotation {first.id} by user {user_id}" in out and "(only in the local file)" in out
    assert tree_digest(corpus / "annotations") == before
    assert "would write" in ls("pull", "--dry-run", "--replace") and tree_digest(corpus / "annotations") == before
