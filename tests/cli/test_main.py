"""The command line: exit codes, problem output for every bad-input fixture, atomic output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import apply_edits, tree_digest

from builder.cli.main import app

BAD = sorted((Path(__file__).parents[1] / "data" / "bad").glob("*.json"))


def test_check_passes_on_the_corpus(cli, corpus: Path) -> None:
    result = cli.invoke(app, ["check", "--root", str(corpus)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ok: 2 annotated document(s)")


@pytest.mark.parametrize("fixture", BAD, ids=[p.stem for p in BAD])
def test_bad_input_gives_its_code_file_and_exit_1(cli, corpus: Path, fixture: Path) -> None:
    spec = json.loads(fixture.read_text(encoding="utf-8"))
    apply_edits(corpus, spec["edits"])
    before = {name: tree_digest(corpus / name) for name in ("raw", "annotations", "text")}
    result = cli.invoke(app, ["build", "--root", str(corpus), "--out", str(corpus / "out"), "--quiet"])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    code, where = lines[0].split("  ", 1)
    assert code == fixture.stem
    assert where.startswith(spec["file"]), where
    summary = next(line for line in lines if "problem(s):" in line)
    codes = {part.rsplit(" ", 1)[0] for part in summary.split(": ", 1)[1].split(", ")}
    assert codes == {fixture.stem}, result.stderr
    assert "hint:" in result.stderr
    assert not (corpus / "out").exists(), "no dataset folder may be written on failure"
    assert {name: tree_digest(corpus / name) for name in ("raw", "annotations", "text")} == before


def test_build_writes_folder_and_replaces_it_atomically(cli, corpus: Path) -> None:
    out = corpus / "out"
    assert cli.invoke(app, ["build", "--root", str(corpus), "--out", str(out)]).exit_code == 0
    first = tree_digest(out)
    assert "README.md" in first and any(k.startswith("data/ner/") for k in first)
    # A broken input afterwards: the previous folder must survive untouched.
    (corpus / "annotations/export/broken.json").write_text("[{", encoding="utf-8")
    assert cli.invoke(app, ["build", "--root", str(corpus), "--out", str(out)]).exit_code == 1
    assert tree_digest(out) == first
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".out")] == []


def test_missing_pyproject_is_a_clear_error(cli, tmp_path: Path) -> None:
    result = cli.invoke(app, ["check", "--root", str(tmp_path)])
    assert result.exit_code == 1
    assert "pyproject.toml not found" in result.stderr and "hint:" in result.stderr


def test_gold_check_resolves_every_spec_without_a_server(cli, corpus: Path) -> None:
    result = cli.invoke(app, ["gold", "--check", "--root", str(corpus)])
    assert result.exit_code == 0, result.output
    assert "000_ba2a176cc4aaac8d: 67 entity mentions, 16 attributions, all checks pass" in result.stdout


def test_gold_spec_that_no_longer_fits_the_text_fails(cli, corpus: Path) -> None:
    apply_edits(corpus, [{"file": "text/003_def7398b55f8b37b.txt", "replace_text": ["কিম", "কিমের"]}])
    result = cli.invoke(app, ["gold", "--check", "--root", str(corpus)])
    assert result.exit_code == 1
    assert "003_def7398b55f8b37b" in result.stderr and "hint:" in result.stderr


def test_gold_refuses_to_overwrite_an_export_holding_other_annotations(cli, corpus: Path) -> None:
    import json

    path = corpus / "annotations/export/003_def7398b55f8b37b.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    extra = dict(data[0]["annotations"][0], id=77, ground_truth=False, result=data[0]["annotations"][0]["result"][:3])
    data[0]["annotations"].append(extra)  # an annotator's work, pulled
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    before = path.read_bytes()
    result = cli.invoke(app, ["gold", "--root", str(corpus)])
    assert result.exit_code == 1, result.output
    assert "refusing to seed" in result.stderr and "003_def7398b55f8b37b: 1 of 2 local annotation(s) differ" in result.stderr
    assert "--replace" in result.stderr and path.read_bytes() == before


@pytest.mark.parametrize("command", [c.name or c.callback.__name__ for c in app.registered_commands])
def test_every_command_is_documented_in_readme(command: str) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert f"builder {command}" in readme


def test_annotated_chain_missing_a_credited_agency_is_a_notice(cli, corpus: Path) -> None:
    apply_edits(corpus, [{"file": "annotations/export/000_ba2a176cc4aaac8d.json", "item": {"from_name": "provenance"},
                          "set": {"value/text/0": "BSS > KCNA"}}])
    result = cli.invoke(app, ["check", "--root", str(corpus)])
    assert result.exit_code == 0, result.output
    assert "provenance-unconfirmed" in result.stdout and "'AFP'" in result.stdout


@pytest.mark.parametrize("args", [["card"], ["build"], ["ls", "pull"], ["gold"], ["server"], ["add"]])
def test_help_shows_no_placeholder_on_flags_that_take_no_value(cli, args) -> None:
    result = cli.invoke(app, [*args, "--help"])
    assert result.exit_code == 0 and "<bool>" not in result.output and "--help" in result.output


def test_help_texts_say_what_each_option_is_for(cli) -> None:
    predict = cli.invoke(app, ["ls", "predict", "--help"]).output
    assert "doc_id to pre-annotate" in predict and "to push" not in predict
    server = cli.invoke(app, ["server", "--help"]).output
    assert "--root" in server and "8080" in server and "--temporary" in server and ".label-studio" in server


def test_the_card_and_readme_name_every_config() -> None:
    from builder import schema

    repo = Path(__file__).resolve().parents[2]
    card = (repo / "dataset_card.md").read_text(encoding="utf-8")
    readme = (repo / "README.md").read_text(encoding="utf-8")
    words = {3: "Three", 4: "Four", 5: "Five", 6: "Six", 7: "Seven"}
    assert f"{words[len(schema.CONFIGS)]} configurations" in card
    for config in schema.CONFIGS:
        assert f"| `{config}`" in card.split("## Dataset Structure", 1)[1].split("```", 1)[0], config
        assert f"`{config}`" in readme, config
    assert "`map entry` = struct{" in card


def _entry_point(corpus: Path, *args: str) -> subprocess.CompletedProcess:
    """The console script's function, as `builder …` runs it, in a child process whose output is a pipe."""
    code = "import sys; from builder.cli.main import main; sys.argv = ['builder', *sys.argv[1:]]; main()"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # stdout to a pipe is then block-buffered
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300, env=env)


def test_the_entry_point_keeps_the_exit_status_and_all_output(corpus: Path) -> None:
    good = _entry_point(corpus, "check", "--root", str(corpus), "--quiet")
    assert good.returncode == 0, good.stderr
    assert good.stdout.startswith("ok: 2 annotated document(s)")  # the output reaches the pipe before the exit
    apply_edits(corpus, json.loads((BAD[0].parent / "text-drift.json").read_text(encoding="utf-8"))["edits"])
    bad = _entry_point(corpus, "check", "--root", str(corpus), "--quiet")
    assert bad.returncode == 1
    assert bad.stderr.startswith("text-drift  ")
    assert _entry_point(corpus, "no-such-command").returncode == 2  # click's usage error


def test_the_entry_point_runs_exit_handlers(tmp_path: Path) -> None:
    """Module teardown is skipped, the exit handlers are not (temporary folders, multiprocessing, logging)."""
    mark = tmp_path / "handler-ran"
    code = ("import atexit, pathlib, sys; atexit.register(pathlib.Path(sys.argv[1]).touch); "
            "from builder.cli.main import main; sys.argv = ['builder', '--help']; main()")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code, str(mark)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Usage" in done.stdout
    assert mark.exists()
