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

from builder.cli import app
from builder.cli_ls import ls_app
from builder.lsproject import render

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

    assert "2 written, 0 unchanged" in ls("pull")
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
