"""The per-document map on all cores (datatrove's local executor) gives the same bytes as one process."""

from __future__ import annotations

import dataclasses
import json
import shutil
import stat
from pathlib import Path

import pytest
from conftest import tree_digest

from builder import schema
from builder.cli.main import app
from builder.config import load_config
from builder.read.sources import read_sources
from builder.run import cache, engine


def test_workers_and_engines_give_a_byte_identical_dataset(cli, corpus: Path, tmp_path: Path) -> None:
    folders = {}
    for name, args in {"inline": ["--engine", "inline"], "w1": ["--workers", "1"], "w2": ["--workers", "2"],
                       "w3": ["--workers", "3"]}.items():  # fmt: skip
        out = tmp_path / name
        result = cli.invoke(app, ["build", "--root", str(corpus), "--out", str(out), "--quiet", *args])
        assert result.exit_code == 0, result.output
        folders[name] = tree_digest(out)
    assert folders["inline"] == folders["w1"] == folders["w2"] == folders["w3"]


def test_problems_from_workers_are_the_same_in_a_stable_order(cli, corpus: Path) -> None:
    from replicate import set_settings

    set_settings(corpus, {"shard_docs": 1})  # each document in its own shard: the problems come from two workers
    for doc in ("000_ba2a176cc4aaac8d", "003_def7398b55f8b37b"):
        text = corpus / "text" / f"{doc}.txt"
        body = text.read_text(encoding="utf-8")
        text.write_text(body[:200] + "।" + body[200:], encoding="utf-8")
    outputs = [cli.invoke(app, ["check", "--root", str(corpus), "--quiet", "--workers", w]) for w in ("1", "2")]
    assert all(r.exit_code == 1 for r in outputs)
    assert outputs[0].stderr == outputs[1].stderr
    assert "text-drift  text/000_ba2a176cc4aaac8d.txt" in outputs[0].stderr and "text-drift  text/003_def7398b55f8b37b.txt" in outputs[0].stderr


def test_a_crash_in_a_worker_names_the_document(corpus: Path) -> None:
    from builder.run import pipeline

    cfg = load_config(corpus)
    sources, _ = read_sources(cfg.path(cfg.raw_dir))
    broken = engine.Context(None, None, None, "", (), "", {})  # type: ignore[arg-type] - a bug stand-in
    # one document per shard, two spawned workers: the crash happens in another process and comes back named
    with pytest.raises(engine.DocCrash, match=f"processing document {sources[0].doc_id} failed") as e:
        list(engine.map_documents(engine.listed, (sources, {}, {}), broken, workers=2, shard_docs=1))
    assert "Traceback" in str(e.value) and "this is a bug" in e.value.hint
    assert pipeline  # the pipeline module imports the engine it uses


def test_a_crash_leaves_no_dataset_folder_and_no_temporary_one(corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from builder.release import build

    def crash(source, *args):
        raise RuntimeError(f"a bug on {source.doc_id}")

    monkeypatch.setattr(engine, "process", crash)  # inline: the map runs in this process
    out = tmp_path / "out" / "dataset"
    out.parent.mkdir()
    with pytest.raises(engine.DocCrash, match="processing document 000_ba2a176cc4aaac8d failed"):
        build.build(load_config(corpus), out, engine="inline", cache=False)
    assert list(out.parent.iterdir()) == []


def test_unknown_engine_is_refused(corpus: Path) -> None:
    ctx = engine.Context(Path("."), Path("."), None, "", (), "", {})  # type: ignore[arg-type]
    with pytest.raises(engine.BuildError, match="unknown engine"):
        list(engine.map_documents(engine.listed, ([], {}, {}), dataclasses.replace(ctx), workers=2, engine="spark"))


def test_an_export_named_after_another_document_is_a_named_problem(cli, corpus: Path) -> None:
    export = corpus / "annotations" / "export"
    a, b = "000_ba2a176cc4aaac8d", "003_def7398b55f8b37b"
    (export / f"{a}.json").rename(export / "tmp.json")
    (export / f"{b}.json").rename(export / f"{a}.json")  # b's task in a file named after a
    (export / "tmp.json").rename(export / f"{b}.json")
    result = cli.invoke(app, ["check", "--root", str(corpus), "--quiet"])
    assert result.exit_code == 1
    assert f"export-misnamed  annotations/export/{a}.json" in result.stderr and f"move this task to {b}.json" in result.stderr


def test_an_extra_export_file_is_still_read_and_routed(cli, corpus: Path) -> None:
    export = corpus / "annotations" / "export"
    (export / "000_ba2a176cc4aaac8d.json").rename(export / "batch-2026-11.json")  # not named after its document
    result = cli.invoke(app, ["check", "--root", str(corpus), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "ok: 2 annotated document(s)" in result.stdout


@pytest.fixture(scope="module")
def seven(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Seven documents (the seeds replicated) in shards of two: four shards, the last one short."""
    from replicate import make_corpus

    root = tmp_path_factory.mktemp("seven")
    make_corpus(root, 7, {"shard_docs": 2})
    return root


def test_many_shards_give_the_same_bytes_for_any_worker_count(cli, seven: Path, tmp_path: Path) -> None:
    digests = {}
    for name, args in {"inline": ["--engine", "inline"], "w2": ["--workers", "2"], "w3": ["--workers", "3"]}.items():
        out = tmp_path / name
        result = cli.invoke(app, ["build", "--root", str(seven), "--out", str(out), "--quiet", *args])
        assert result.exit_code == 0, result.output
        digests[name] = tree_digest(out)
    assert digests["inline"] == digests["w2"] == digests["w3"]
    files = sorted(f for f in digests["inline"] if f.startswith("data/documents/"))
    # every shard wrote its part; the split's parts are numbered the way the Hub names shards
    by_split: dict[str, list[str]] = {}
    for f in files:
        by_split.setdefault(f.split("/")[-1].split("-")[0], []).append(f)
    for split, names in by_split.items():
        n = len(names)
        assert names == [f"data/documents/{split}-{k:05d}-of-{n:05d}.parquet" for k in range(n)]
    assert sum(len(v) for v in by_split.values()) > len(by_split)  # more than one file for some split
    assert not any(".parts" in f for f in digests["inline"])


def test_the_shard_layout_changes_files_not_rows(cli, seven: Path, tmp_path: Path) -> None:
    import datasets
    from replicate import set_settings

    small, one = tmp_path / "small", tmp_path / "one"
    assert cli.invoke(app, ["build", "--root", str(seven), "--out", str(small), "--quiet"]).exit_code == 0
    whole = shutil.copytree(seven, tmp_path / "whole")
    set_settings(whole, {"shard_docs": 1000})
    assert cli.invoke(app, ["build", "--root", str(whole), "--out", str(one), "--quiet"]).exit_code == 0
    assert len(list((one / "data" / "documents").iterdir())) < len(list((small / "data" / "documents").iterdir()))
    for config in ("documents", "ner", "attribution"):
        a = datasets.load_dataset(str(small), config)
        b = datasets.load_dataset(str(one), config)
        assert a.keys() == b.keys()
        for split in a:
            assert a[split].features == b[split].features
            assert a[split].to_list() == b[split].to_list(), (config, split)


def _relabel(export: Path) -> None:
    """An annotator relabels one entity of the document."""
    tasks = json.loads(export.read_text(encoding="utf-8"))
    region = next(r for r in tasks[0]["annotations"][0]["result"] if r.get("value", {}).get("labels") in (["PER"], ["ORG"]))
    region["value"]["labels"] = ["ORG"] if region["value"]["labels"] == ["PER"] else ["PER"]
    export.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")


def test_a_rebuild_reuses_unchanged_shards_and_documents_and_equals_a_clean_build(cli, seven: Path, tmp_path: Path) -> None:
    corpus = shutil.copytree(seven, tmp_path / "corpus", ignore=shutil.ignore_patterns("build"))
    out, clean = tmp_path / "out", tmp_path / "clean"
    first = cli.invoke(app, ["build", "--root", str(corpus), "--out", str(out), "--quiet"])
    assert first.exit_code == 0 and "from build/cache/" not in first.stdout
    exports = sorted((corpus / "annotations" / "export").glob("*.json"))
    _relabel(exports[0])  # one shard of four is stale; the other document in it is not
    again = cli.invoke(app, ["build", "--root", str(corpus), "--out", str(out), "--quiet"])
    assert again.exit_code == 0, again.output
    assert "(3 of 4 shard(s) unchanged, 6 of 7 document(s) reused, from build/cache/)" in again.stdout
    assert cli.invoke(app, ["build", "--root", str(corpus), "--out", str(clean), "--quiet", "--no-cache"]).exit_code == 0
    assert tree_digest(out) == tree_digest(clean)
    assert len([e for e in (corpus / "build" / "cache").iterdir() if e.name not in ("hashes", "plots", "last-build")]) == 4  # the stale entry is gone
    # the cache says which build filled it: the next build with that key knows it is a rebuild
    last = (corpus / "build" / "cache" / "last-build").read_text(encoding="ascii").strip()
    assert last == cache.build_key(load_config(corpus), schema.SCHEMA_VERSION)
    # the unchanged shards' files are the cache's, linked, not copied; no one may write them in place
    placed = sorted((out / "data" / "documents").glob("*.parquet"))
    assert all(f.stat().st_nlink == 2 and stat.S_IMODE(f.stat().st_mode) == 0o444 for f in placed)
    # the rebuilt shard kept its reused document too: changing the changed one's neighbour reuses the first
    _relabel(exports[1])
    third = cli.invoke(app, ["build", "--root", str(corpus), "--out", str(out), "--quiet"])
    assert "(3 of 4 shard(s) unchanged, 6 of 7 document(s) reused, from build/cache/)" in third.stdout, third.output
    assert cli.invoke(app, ["build", "--root", str(corpus), "--out", str(clean), "--quiet", "--no-cache"]).exit_code == 0
    assert tree_digest(out) == tree_digest(clean)


def test_a_cached_part_is_linked_not_copied_and_a_gone_entry_is_a_miss(cli, seven: Path, tmp_path: Path) -> None:
    """A rebuild's staging process links the hits' parts (link_part); the builder then reads their results only."""
    corpus = shutil.copytree(seven, tmp_path / "corpus", ignore=shutil.ignore_patterns("build"))
    assert cli.invoke(app, ["build", "--root", str(corpus), "--out", str(tmp_path / "out"), "--quiet"]).exit_code == 0
    folder = corpus / "build" / "cache"
    key = sorted(e.name for e in folder.iterdir() if cache._is_entry(e.name))[0]
    part = tmp_path / "part"
    assert cache.link_part(folder, key, part)
    stored = sorted(f.relative_to(folder / key / cache.PART) for f in (folder / key / cache.PART).rglob("*") if f.is_file())
    assert stored and stored == sorted(f.relative_to(part) for f in part.rglob("*") if f.is_file())
    assert all((part / f).samefile(folder / key / cache.PART / f) for f in stored)
    (part / "stray").write_text("x", encoding="utf-8")
    assert cache.load(folder, key, part, linked=True) is not None and (part / "stray").exists()  # left as it is
    assert cache.load(folder, key, part) is not None and not (part / "stray").exists()  # linked afresh
    assert cache.load(folder, "0" * 64, part) is None and not cache.link_part(folder, "0" * 64, tmp_path / "other")


def test_reused_rows_fill_the_same_batches_and_row_groups_as_fresh_ones(cli, seven: Path, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """One shard of seven documents, batches of two documents and row groups of five rows: a changed
    document in the middle sits in a batch with a reused one, and reused rows span row groups."""
    import pyarrow.parquet as pq
    from replicate import set_settings

    from builder.write import table

    monkeypatch.setattr(table, "SUB_DOCS", 2)
    monkeypatch.setattr(table, "BATCH_ROWS", 5)
    corpus = shutil.copytree(seven, tmp_path / "corpus", ignore=shutil.ignore_patterns("build"))
    set_settings(corpus, {"shard_docs": 7})
    out, clean = tmp_path / "out", tmp_path / "clean"
    build = ["build", "--root", str(corpus), "--quiet", "--engine", "inline"]
    assert cli.invoke(app, [*build, "--out", str(out)]).exit_code == 0
    _relabel(sorted((corpus / "annotations" / "export").glob("*.json"))[3])
    again = cli.invoke(app, [*build, "--out", str(out)])
    assert "(0 of 1 shard(s) unchanged, 6 of 7 document(s) reused, from build/cache/)" in again.stdout, again.output
    assert cli.invoke(app, [*build, "--out", str(clean), "--no-cache"]).exit_code == 0
    assert tree_digest(out) == tree_digest(clean)
    ner = pq.ParquetFile(next((out / "data" / "ner").glob("train-*.parquet")))
    assert ner.metadata.num_row_groups > 2 and ner.metadata.row_group(0).num_rows == 5


def test_a_change_of_the_builder_or_its_settings_misses_the_cache(corpus: Path) -> None:
    cfg = load_config(corpus)
    key = cache.build_key(cfg, "1")
    assert cache.build_key(cfg, "1") == key
    assert cache.build_key(cfg, "2") != key  # schema version
    assert cache.build_key(dataclasses.replace(cfg, split_salt="other"), "1") != key
    (corpus / "annotations" / "registry.csv").write_text(
        (corpus / "annotations" / "registry.csv").read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert cache.build_key(cfg, "1") != key


def test_progress_counts_every_document_from_the_workers(seven: Path) -> None:
    from contextlib import ExitStack

    from builder.run import pipeline
    from builder.run.progress import Progress

    with ExitStack() as stack:
        shown = Progress("check", True, stack)
        out = pipeline.check(load_config(seven), shown, workers=2)
    assert out.shards == 4 and shown.total == shown.done == 7


def test_check_reuses_the_last_builds_shards_and_still_sees_a_change(cli, seven: Path, tmp_path: Path) -> None:
    corpus = shutil.copytree(seven, tmp_path / "corpus", ignore=shutil.ignore_patterns("build"))
    assert cli.invoke(app, ["build", "--root", str(corpus), "--out", str(tmp_path / "out"), "--quiet"]).exit_code == 0
    fresh = cli.invoke(app, ["check", "--root", str(corpus), "--quiet", "--no-cache"])
    cached = cli.invoke(app, ["check", "--root", str(corpus), "--quiet"])
    assert fresh.exit_code == cached.exit_code == 0 and fresh.stdout == cached.stdout
    text = sorted((corpus / "text").glob("*.txt"))[0]
    body = text.read_text(encoding="utf-8")
    text.write_text(body[:200] + "।" + body[200:], encoding="utf-8")
    after = cli.invoke(app, ["check", "--root", str(corpus), "--quiet"])
    assert after.exit_code == 1 and f"text-drift  text/{text.name}" in after.stderr


def test_a_worker_converts_rows_without_loading_pandas() -> None:
    """pyarrow would import pandas (~60 MB per worker) on its first list conversion; a worker finds none."""
    import subprocess
    import sys

    code = ("import sys; from builder.run import process; process.without_pandas(); import pyarrow as pa; "
            "b = pa.RecordBatch.from_pylist([{'a': 1, 's': 'x'}]); print(b.num_rows, 'pandas' in sys.modules)")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["1", "False"]


def test_a_rebuilds_forked_shard_converts_rows_without_loading_pandas() -> None:
    """The one shard of a rebuild runs in a child forked from the builder, which loads no pandas either."""
    import subprocess
    import sys

    code = ("import sys; import pyarrow as pa; from builder.run import engine, fork; "
            "engine.run_shard = lambda job, rank: (pa.RecordBatch.from_pylist([{'a': rank}]).num_rows, 'pandas' in sys.modules); "
            "print(*fork.forked(engine._shard_apart, None, 3))")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["1", "False"]


def test_datatrove_logs_nothing_from_the_workers_and_a_rebuild_loads_no_loguru(seven: Path, tmp_path: Path) -> None:
    """Workers are quiet (datatrove logs each task through loguru unless told not to); the builder's own
    process loads loguru only when it makes a datatrove executor."""
    import subprocess
    import sys

    run = [sys.executable, "-c", "import sys; from builder.cli.main import main; sys.argv[0] = 'builder'; main()"]
    out = subprocess.run([*run, "build", "--root", str(seven), "--out", str(tmp_path / "ds"), "--workers", "2", "--no-cache", "--quiet"],
                         capture_output=True, text=True, timeout=600)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "datatrove" not in out.stderr and "| INFO" not in out.stderr, out.stderr
    code = "import sys; import builder.run.engine, builder.release.build; print('loguru' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"
