"""builder.labelstudio.project and `builder ls`: gazetteer, config orphans, stable atomic pull, and server faults.

The first half needs no server. The `server` tests share the live session server of ls_fixtures.py (one
project per test) and fail, never skip, when it cannot start. Every fault must exit 1 with a message and a
hint, never show the token, and leave annotations/ unchanged.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from conftest import tree_digest

from builder.cli.ls import ls_app
from builder.config import load_config
from builder.labelstudio import gazetteer as G
from builder.labelstudio import project as L
from builder.labelstudio import pull as P
from builder.labelstudio import session as S
from builder.labelstudio.template import free_port

pytest.register_assert_rewrite("ls_fixtures")  # before its import: its asserts get pytest's messages
from ls_fixtures import FaultProxy

pytest_plugins = ["ls_fixtures"]  # one registration for every module: ONE session server

A, B = "000_ba2a176cc4aaac8d", "003_def7398b55f8b37b"
TOKEN = "not-a-real-token-0123456789abcdef01234567"


def exported(corpus: Path, doc_id: str) -> dict[str, Any]:
    return json.loads((corpus / "annotations" / "export" / f"{doc_id}.json").read_text(encoding="utf-8"))[0]


def config_xml(corpus: Path) -> str:
    return (corpus / "annotations" / "labeling_config.xml").read_text(encoding="utf-8")


def without_target(xml: str, target: str) -> str:
    """The config with one stance target (a Taxonomy branch) removed from every Taxonomy."""
    return re.sub(rf'\s*<Choice value="{re.escape(target)}">(?:\s*<Choice value="[^"]*"/>)*\s*</Choice>', "", xml)


def invoke(cli, corpus: Path, *args: str, env: dict[str, str]) -> Any:
    return cli.invoke(ls_app, [*args, "--root", str(corpus)], env=env)


def assert_failed(result: Any, message: str, secret: str) -> None:
    assert result.exit_code == 1, result.output
    assert message in result.output, result.output
    assert "hint: " in result.output
    assert "Traceback" not in result.output
    assert secret not in result.output


# --- gazetteer -----------------------------------------------------------------------------------------------


def test_gazetteer_leaves_out_the_document_itself_and_takes_the_majority_label():
    surfaces = {
        "a": Counter({("ঢাকা", "GPE"): 2, ("কেসিএনএ", "ORG"): 1}),
        "b": Counter({("ঢাকা", "LOC"): 1, ("পুতিন", "PER"): 1}),
        "c": Counter({("রুশ", "NORP"): 1, ("পুতিন", "PER"): 1, ("কেসিএনএ", "GPE"): 1}),
    }
    assert G.gazetteer(surfaces, exclude="a") == {"পুতিন": "PER", "ঢাকা": "LOC", "রুশ": "NORP", "কেসিএনএ": "GPE"}
    gaz = G.gazetteer(surfaces, exclude="c")
    assert gaz == {"ঢাকা": "GPE", "কেসিএনএ": "ORG", "পুতিন": "PER"}  # its own রুশ is not there
    assert "ঢাকা" not in G.gazetteer({**surfaces, "d": Counter({("ঢাকা", "LOC"): 1})}, exclude="x")  # 2:2 tie


def test_matches_are_whole_words_longest_first_and_never_overlap():
    text = "কিম জং\u00a0উন ও কিমের দল; পরে কিম এলেন জং"
    gaz = {"কিম": "PER", "কিম জং উন": "PER", "জং": "ORG", "দল": "ORG"}
    found = [(i["value"]["text"], i["value"]["labels"][0]) for i in G.match(text, gaz)]
    assert found == [("কিম জং\u00a0উন", "PER"), ("দল", "ORG"), ("কিম", "PER"), ("জং", "ORG")]
    items = G.match(text, gaz)
    assert all(text[i["value"]["start"] : i["value"]["end"]] == i["value"]["text"] for i in items)
    assert len({i["id"] for i in items}) == len(items) and {i["from_name"] for i in items} == {"entity"}


def test_gazetteer_version_is_a_stable_hash_of_its_content():
    gaz = {"ঢাকা": "GPE", "পুতিন": "PER"}
    version = G.gazetteer_version(gaz)
    assert re.fullmatch(r"gazetteer-[0-9a-f]{12}", version)
    assert G.gazetteer_version(dict(reversed(gaz.items()))) == version
    assert G.gazetteer_version({**gaz, "পুতিন": "ORG"}) != version


def test_gold_surfaces_come_from_the_committed_exports(corpus):
    surfaces = G.gold_surfaces(load_config(corpus))
    assert set(surfaces) == {A, B}
    gaz = G.gazetteer(surfaces, exclude=A)
    assert set(gaz) == {s for s, _ in surfaces[B]} - {s for s, labels in _ties(surfaces[B])}
    assert "ভ্লাদিমির পুতিন" in gaz  # the NBSP of the text became a space: it matches either


def _ties(counts: Counter[tuple[str, str]]) -> list[tuple[str, list[str]]]:
    by_surface: dict[str, Counter[str]] = {}
    for (s, label), n in counts.items():
        by_surface.setdefault(s, Counter())[label] += n
    return [(s, list(c)) for s, c in by_surface.items() if len(c) > 1 and len(set(c.values())) == 1]


# --- labeling config changes ---------------------------------------------------------------------------------


def test_the_committed_config_orphans_nothing(corpus):
    tasks = [exported(corpus, A), exported(corpus, B)]
    assert L.orphans(config_xml(corpus), tasks) == {}


def test_orphans_name_every_lost_value_with_the_number_of_annotations(corpus):
    tasks = [exported(corpus, A), exported(corpus, B)]
    target = next(i["value"]["taxonomy"][0][0] for i in tasks[0]["annotations"][0]["result"] if i["from_name"] == "stance")
    expected: Counter[str] = Counter()  # per annotation, every taxonomy path below the removed target
    for ann in (a for t in tasks for a in t["annotations"]):
        expected.update({f"{i['from_name']}: {' → '.join(p)}" for i in ann["result"] if i["type"] == "taxonomy"
                         for p in i["value"]["taxonomy"] if p[0] == target})  # fmt: skip
    xml = without_target(config_xml(corpus), target)
    xml = xml.replace('<Label value="GPE" background="#4363d8" hotkey="3"/>', "").replace('<Relation value="refers-to"/>', "")
    xml = xml.replace('name="provenance"', 'name="provenance_chain"')
    lost = L.orphans(xml, tasks)
    assert expected and {k: n for k, n in lost.items() if f": {target} → " in k} == dict(expected)
    assert lost["entity: GPE"] == 2 and lost["relation label 'refers-to'"] == 2
    assert lost["control 'provenance' (textarea)"] == 2
    assert len(lost) == len(expected) + 3
    appended = config_xml(corpus).replace('<Label value="EVENT"', '<Label value="MISC" background="#000000"/>\n    <Label value="EVENT"')
    assert L.orphans(appended, tasks) == {}


def test_a_malformed_config_is_refused_before_any_server_call():
    with pytest.raises(L.BadConfig, match="not well-formed XML"):
        L.vocabulary("<View><Labels></View>")


# --- pull: parsing and writing -------------------------------------------------------------------------------


def test_pull_writes_stable_files_and_reports_unchanged_ones(corpus, tmp_path):
    tasks = [exported(corpus, A), exported(corpus, B), {"id": 9, "data": {"doc_id": "new_doc", "text": "x"}, "annotations": []}]
    tasks[0]["drafts"] = [{"id": 1, "result": []}]
    out = tmp_path / "annotations" / "export"
    report = P.write_exports(tasks, out)
    assert sorted(p.name for p in report.written) == [f"{A}.json", f"{B}.json"] and report.unannotated == 1
    content = (out / f"{A}.json").read_text(encoding="utf-8")
    assert content.endswith("}\n]\n") and '"completed_by": 1' in content and "\\u09" not in content  # real UTF-8
    assert content == json.dumps(json.loads(content), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    assert "drafts" not in json.loads(content)[0]
    before = tree_digest(tmp_path)
    again = P.write_exports(tasks, out)
    assert again.written == [] and sorted(again.unchanged) == [A, B]
    assert tree_digest(tmp_path) == before, "nothing may be rewritten"
    assert [p.name for p in (tmp_path / "annotations").iterdir()] == ["export"], "no staging folder may be left"
    tasks[1]["annotations"][0]["lead_time"] = 99.0  # changed, but not newer: the server would replace local work
    with pytest.raises(P.PullRefused, match="1 replaced"):
        P.write_exports(tasks[1:], out)
    assert tree_digest(tmp_path) == before
    third = P.write_exports(tasks[1:], out, replace=True, backup_root=tmp_path / "backup")
    assert [p.name for p in third.written] == [f"{B}.json"] and third.kept == [A]
    (saved,) = (tmp_path / "backup").iterdir()
    assert (saved / f"{B}.json").read_bytes() == before[f"annotations/export/{B}.json"]


def _ann(uid: str, aid: int, at: str, n: int = 1) -> dict:
    return {"id": aid, "unique_id": uid, "updated_at": at, "completed_by": 1, "result": [{"id": str(i)} for i in range(n)]}


def _task(*anns: dict, task_id: int = 5, project: int = 1) -> dict:
    return {"id": task_id, "project": project, "data": {"doc_id": "d", "text": "x"}, "annotations": list(anns)}


def test_pull_adds_and_updates_without_asking_and_never_removes_silently(tmp_path):
    out = tmp_path / "export"
    P.write_exports([_task(_ann("u1", 1, "2026-01-01"))], out)
    grown = P.write_exports([_task(_ann("u1", 1, "2026-01-01"), _ann("u2", 2, "2026-01-02"))], out)
    assert grown.plan.docs[0].summary() == "d: 1 added, 1 unchanged" and grown.written
    edited = P.write_exports([_task(_ann("u1", 1, "2026-02-01", n=3), _ann("u2", 2, "2026-01-02"))], out)
    assert edited.plan.docs[0].summary() == "d: 1 updated, 1 unchanged" and edited.written
    before = (out / "d.json").read_bytes()
    with pytest.raises(P.PullRefused) as refused:
        P.write_exports([_task(_ann("u2", 2, "2026-01-02"))], out)
    assert "1 removed" in str(refused.value) and "annotation 1 by user 1, 3 result item(s)" in str(refused.value)
    assert "--replace" in refused.value.hint and (out / "d.json").read_bytes() == before
    dry = P.write_exports([_task(_ann("u2", 2, "2026-01-02"))], out, replace=True, dry_run=True)
    assert dry.written == [out / "d.json"] and (out / "d.json").read_bytes() == before


def test_a_reset_server_is_named_even_when_its_ids_collide(tmp_path):
    out = tmp_path / "export"
    P.write_exports([_task(_ann("old-uuid", 1, "2026-01-01", n=100), task_id=12, project=3)], out)
    # A fresh server: task 1 of project 1, annotation id 1 again, but another annotation (unique_id) with less in it.
    with pytest.raises(P.PullRefused) as refused:
        P.write_exports([_task(_ann("new-uuid", 1, "2026-12-01", n=2), task_id=1, project=1)], out)
    message = str(refused.value)
    assert "looks reset, or is another server" in message and "task id 1 on the server, 12 in the local file" in message
    assert "1 added" in message and "1 removed" in message


@pytest.mark.parametrize(
    ("tasks", "message"),
    [
        ([{"id": 1, "data": {"doc_id": "d"}, "annotations": [{"id": 1}]},
          {"id": 2, "data": {"doc_id": "d"}, "annotations": [{"id": 2}]}], "is annotated in 2 tasks"),
        ([{"id": 1, "data": {"doc_id": "../evil"}, "annotations": [{"id": 1}]}], "is not a plain file stem"),
    ],
    ids=["duplicate-doc", "unsafe-doc-id"],
)  # fmt: skip
def test_pull_refuses_exports_it_cannot_write_one_file_per_document(tmp_path, tasks, message):
    with pytest.raises(S.LabelStudioError, match=message):
        P.write_exports(tasks, tmp_path / "export")
    assert list(tmp_path.iterdir()) == []


def test_a_truncated_export_through_the_seam_changes_nothing(corpus):
    raw = json.dumps([exported(corpus, A), exported(corpus, B)], ensure_ascii=False).encode("utf-8")
    before = tree_digest(corpus / "annotations")
    session = S.Session("http://127.0.0.1:1", client=None)  # never reached: parsing fails first
    with pytest.raises(S.ExportIncomplete, match=r"is not complete JSON .* bytes arrived") as err:
        P.pull(session, S.Project(1, "bn-news"), corpus / "annotations" / "export", fetch=lambda: raw[: len(raw) // 2])
    assert "nothing was written" in err.value.hint
    assert tree_digest(corpus / "annotations") == before


# --- CLI faults without a server -----------------------------------------------------------------------------


@pytest.mark.parametrize("verb", ["setup", "push", "predict", "pull"])
def test_server_down_is_a_clear_error(cli, corpus, verb):
    before = tree_digest(corpus / "annotations")
    env = {"LABEL_STUDIO_URL": f"http://127.0.0.1:{free_port()}", "LABEL_STUDIO_API_KEY": TOKEN}
    result = invoke(cli, corpus, verb, env=env)
    assert_failed(result, "cannot connect to Label Studio at http://127.0.0.1:", TOKEN)
    assert "LABEL_STUDIO_URL" in result.output
    assert tree_digest(corpus / "annotations") == before


def test_missing_url_or_token_names_the_variables(cli, corpus):
    result = invoke(cli, corpus, "pull", env={"LABEL_STUDIO_URL": "", "LABEL_STUDIO_API_KEY": TOKEN})
    assert_failed(result, "no Label Studio URL given", TOKEN)
    result = invoke(cli, corpus, "pull", env={"LABEL_STUDIO_URL": "http://127.0.0.1:1", "LABEL_STUDIO_API_KEY": ""})
    assert_failed(result, "no Label Studio API token given", TOKEN)
    assert "LABEL_STUDIO_API_KEY" in result.output


def test_help_never_shows_the_token(cli):
    result = cli.invoke(ls_app, ["pull", "--help"], env={"LABEL_STUDIO_API_KEY": TOKEN})
    assert result.exit_code == 0 and "LABEL_STUDIO_API_KEY" in result.output and TOKEN not in result.output


# --- live server: faults -------------------------------------------------------------------------------------


@pytest.mark.server
@pytest.mark.parametrize("verb", ["setup", "push", "pull"])
def test_a_wrong_token_is_a_clear_error(cli, corpus, ls_server, title, verb):
    before = tree_digest(corpus / "annotations")
    result = invoke(cli, corpus, verb, "--title", title, env={"LABEL_STUDIO_URL": ls_server.url, "LABEL_STUDIO_API_KEY": TOKEN})
    assert_failed(result, "rejected the API token (HTTP 401", TOKEN)
    assert ls_server.api_key not in result.output
    assert tree_digest(corpus / "annotations") == before


@pytest.mark.server
@pytest.mark.parametrize("verb", ["push", "predict", "pull"])
def test_a_missing_project_says_to_run_setup(cli, corpus, ls_env, title, verb):
    before = tree_digest(corpus / "annotations")
    result = invoke(cli, corpus, verb, "--title", title, env=ls_env)
    assert_failed(result, f"has no project titled {title!r}", ls_env["LABEL_STUDIO_API_KEY"])
    assert "builder ls setup" in result.output
    assert tree_digest(corpus / "annotations") == before


@pytest.mark.server
@pytest.mark.parametrize(("mode", "message"), [("truncate", "is not complete JSON"), ("drop", "broke off")])
def test_a_half_written_export_changes_nothing(cli, corpus, ls_server, ls_env, title, mode, message):
    from label_studio_sdk import LabelStudio

    assert invoke(cli, corpus, "setup", "--title", title, env=ls_env).exit_code == 0
    assert invoke(cli, corpus, "push", "--title", title, env=ls_env).exit_code == 0
    admin = LabelStudio(base_url=ls_server.url, api_key=ls_server.api_key)
    project = S.require_project(S.Session(ls_server.url, admin), title)
    task = next(t for t in admin.tasks.list(project=project.id) if t.data["doc_id"] == A)
    admin.annotations.create(id=task.id, result=exported(corpus, A)["annotations"][0]["result"], lead_time=5.0)
    before = tree_digest(corpus / "annotations")
    with FaultProxy(ls_server.url, mode) as proxy:
        result = invoke(cli, corpus, "pull", "--title", title, env={**ls_env, "LABEL_STUDIO_URL": proxy.url})
    assert proxy.exports_cut == 1
    assert_failed(result, message, ls_env["LABEL_STUDIO_API_KEY"])
    assert "nothing was written" in result.output
    assert tree_digest(corpus / "annotations") == before
    assert [p.name for p in (corpus / "annotations").iterdir() if p.name.startswith(".")] == []
    # the real one works (with --replace: the committed gold came from another server)
    assert "1 written" in invoke(cli, corpus, "pull", "--title", title, "--replace", env=ls_env).output


# --- live server: setup, push, predict -----------------------------------------------------------------------


@pytest.mark.server
def test_setup_refuses_a_config_that_orphans_used_values_and_accepts_additions(cli, corpus, ls_server, ls_env, title):
    from label_studio_sdk import LabelStudio

    setup = lambda: invoke(cli, corpus, "setup", "--title", title, env=ls_env)
    assert "created" in setup().output
    assert invoke(cli, corpus, "push", "--title", title, env=ls_env).exit_code == 0
    admin = LabelStudio(base_url=ls_server.url, api_key=ls_server.api_key)
    project = S.require_project(S.Session(ls_server.url, admin), title)
    tasks = {t.data["doc_id"]: t.id for t in admin.tasks.list(project=project.id)}
    for doc_id in (A, B):
        admin.annotations.create(id=tasks[doc_id], result=exported(corpus, doc_id)["annotations"][0]["result"])
    on_server = admin.projects.get(project.id).label_config

    path = corpus / "annotations" / "labeling_config.xml"
    original = path.read_text(encoding="utf-8")
    path.write_text(without_target(original.replace('<Label value="GPE" background="#4363d8" hotkey="3"/>', ""), "Russia"), encoding="utf-8")
    result = setup()
    assert_failed(result, "refusing to change the labeling config", ls_env["LABEL_STUDIO_API_KEY"])
    assert "entity: GPE — used by 2 annotation(s)" in result.output
    assert re.search(r"stance: Russia → (FAVOR|AGAINST|NONE) — used by \d+ annotation\(s\)", result.output), result.output
    assert admin.projects.get(project.id).label_config == on_server, "a refused config must not reach the server"

    path.write_text(original.replace('<Label value="EVENT"', '<Label value="MISC" background="#000000"/>\n    <Label value="EVENT"'), encoding="utf-8")
    assert "updated" in setup().output
    assert "MISC" in admin.projects.get(project.id).label_config
    assert "nothing changed" in setup().output


@pytest.mark.server
def test_push_updates_unannotated_tasks_skips_annotated_ones_and_never_duplicates(cli, corpus, ls_server, ls_env, title, monkeypatch):
    from label_studio_sdk import LabelStudio

    monkeypatch.setattr(S, "PAGE_SIZE", 1)  # every lookup has to page through the whole project
    push = lambda *a: invoke(cli, corpus, "push", "--title", title, *a, env=ls_env)
    assert invoke(cli, corpus, "setup", "--title", title, env=ls_env).exit_code == 0
    assert "1 created (000_ba2a176cc4aaac8d), 0 updated, 0 unchanged" in push("--doc", A).output
    assert "1 created (003_def7398b55f8b37b), 0 updated, 1 unchanged" in push().output
    assert "0 created, 0 updated, 2 unchanged" in push().output

    admin = LabelStudio(base_url=ls_server.url, api_key=ls_server.api_key)
    project = S.require_project(S.Session(ls_server.url, admin), title)
    tasks = {t.data["doc_id"]: t for t in admin.tasks.list(project=project.id)}
    assert set(tasks) == {A, B} and tasks[A].data["outlet"] == "BSS" and tasks[A].data["title"]
    admin.annotations.create(id=tasks[A].id, result=exported(corpus, A)["annotations"][0]["result"])
    for doc_id in (A, B):
        text = corpus / "text" / f"{doc_id}.txt"
        text.write_bytes(text.read_bytes() + "\nশেষ।".encode())
    result = push()
    assert result.exit_code == 0, result.output
    assert "0 created, 1 updated (003_def7398b55f8b37b), 0 unchanged, 1 skipped" in result.output
    assert f"skipped {A}: the text changed but task {tasks[A].id} has 1 annotation(s); it is never overwritten" in result.output
    after = {t.data["doc_id"]: t for t in admin.tasks.list(project=project.id)}
    assert len(after) == 2 and len(list(admin.tasks.list(project=project.id))) == 2
    assert after[B].data["text"].endswith("\nশেষ।") and after[A].data == tasks[A].data
    assert "0 created, 0 updated, 1 unchanged (003_def7398b55f8b37b), 1 skipped" in push().output  # still nothing duplicated or overwritten


@pytest.mark.server
def test_predictions_come_from_other_documents_and_are_not_stacked(cli, corpus, ls_server, ls_env, title):
    from label_studio_sdk import LabelStudio

    assert invoke(cli, corpus, "setup", "--title", title, env=ls_env).exit_code == 0
    result = invoke(cli, corpus, "push", "--title", title, "--predictions", env=ls_env)
    assert "gazetteer predictions in project" in result.output and ": 2 created" in result.output, result.output
    admin = LabelStudio(base_url=ls_server.url, api_key=ls_server.api_key)
    project = S.require_project(S.Session(ls_server.url, admin), title)
    tasks = {t.data["doc_id"]: t for t in admin.tasks.list(project=project.id)}

    def predictions(doc_id: str) -> list[Any]:
        return list(admin.predictions.list(task=tasks[doc_id].id))

    first = {d: predictions(d) for d in (A, B)}
    surfaces = G.gold_surfaces(load_config(corpus))
    for doc_id, other in ((A, B), (B, A)):
        (pred,) = first[doc_id]
        gaz = G.gazetteer(surfaces, exclude=doc_id)
        assert pred.model_version == G.gazetteer_version(gaz)
        text = tasks[doc_id].data["text"]
        spans = sorted((i["value"]["start"], i["value"]["end"]) for i in pred.result)
        assert spans and all(e1 <= s2 for (_, e1), (s2, _) in pairwise(spans)), "no overlaps"
        assert {text[s:e].replace("\u00a0", " ") for s, e in spans} <= {s for s, _ in surfaces[other]}
    assert "2 unchanged" in invoke(cli, corpus, "predict", "--title", title, env=ls_env).output
    assert {d: [p.id for p in predictions(d)] for d in (A, B)} == {d: [p.id for p in first[d]] for d in (A, B)}

    # B's gold loses an entity: A's gazetteer (made from B) changes, B's (made from A) does not.
    path = corpus / "annotations" / "export" / f"{B}.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    result_items = data[0]["annotations"][0]["result"]
    linked = {i.get(k) for i in result_items if i.get("type") == "relation" for k in ("from_id", "to_id")}
    drop = next(i for i in result_items if i.get("from_name") == "entity" and i["id"] not in linked
                and sum(1 for j in result_items if j.get("value", {}).get("text") == i["value"]["text"]) == 1)  # fmt: skip
    result_items.remove(drop)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    out = invoke(cli, corpus, "predict", "--title", title, env=ls_env).output
    assert "0 created, 1 replaced (000_ba2a176cc4aaac8d), 1 unchanged (003_def7398b55f8b37b)" in out, out
    (new,) = predictions(A)
    assert new.model_version != first[A][0].model_version and [p.id for p in predictions(B)] == [first[B][0].id]


@pytest.mark.server
def test_a_pull_with_a_task_the_corpus_does_not_know_writes_nothing(cli, corpus, ls_server, ls_env, title):
    from label_studio_sdk import LabelStudio

    assert invoke(cli, corpus, "setup", "--title", title, env=ls_env).exit_code == 0
    assert invoke(cli, corpus, "push", "--title", title, env=ls_env).exit_code == 0
    admin = LabelStudio(base_url=ls_server.url, api_key=ls_server.api_key)
    project = S.require_project(S.Session(ls_server.url, admin), title)
    admin.projects.import_tasks(id=project.id, request=[{"data": {"doc_id": "000_junk", "text": "junk"}}])
    for task in admin.tasks.list(project=project.id):
        admin.annotations.create(id=task.id, result=[], was_cancelled=False)
    before = tree_digest(corpus / "annotations")
    result = invoke(cli, corpus, "pull", "--title", title, "--replace", env=ls_env)
    assert_failed(result, "carry a doc_id that raw/sources.csv does not list ('000_junk')", ls_env["LABEL_STUDIO_API_KEY"])
    assert "nothing was written" in result.output
    assert tree_digest(corpus / "annotations") == before
