"""Bad inputs that are not a simple edit of a file: links out, FIFOs, devices, hostile JSON, broken
settings. Each through the CLI in a corpus copy: exit 1, the problem code with file and hint, inputs
byte-identical, no traceback, no hang."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest
from conftest import tree_digest

from builder.cli.main import app

BSS = "000_ba2a176cc4aaac8d"
EXPORT = f"annotations/export/{BSS}.json"


def run(cli, corpus: Path, *args: str):
    before = tree_digest(corpus)
    result = cli.invoke(app, [*args, "--root", str(corpus)])
    assert "Traceback" not in result.output, result.output
    if args[0] == "check":
        assert tree_digest(corpus) == before, "check never changes an input"
    return result


def test_a_capture_linked_to_a_file_outside_the_repository_is_refused(cli, corpus: Path, tmp_path: Path) -> None:
    secret = tmp_path / "private.txt"
    secret.write_text((corpus / f"raw/captures/{BSS}.txt").read_text(encoding="utf-8") + "\nPRIVATE\n", encoding="utf-8")
    capture = corpus / f"raw/captures/{BSS}.txt"
    capture.unlink()
    capture.symlink_to(secret)
    result = run(cli, corpus, "check")
    assert result.exit_code == 1
    assert f"input-outside-repo  raw/captures/{BSS}.txt" in result.stderr and "hint: inputs must be files inside" in result.stderr
    cleaned = run(cli, corpus, "clean")
    assert cleaned.exit_code == 1 and "PRIVATE" not in (corpus / f"text/{BSS}.txt").read_text(encoding="utf-8")


@pytest.fixture
def no_hang():
    """Fail instead of hanging the suite: SIGALRM after 60 s raises in the test."""
    def hung(signum, frame):
        raise AssertionError("hung: the command blocked for 60 s")

    old = signal.signal(signal.SIGALRM, hung)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def test_a_fifo_in_the_exports_is_named_not_read(cli, corpus: Path, no_hang) -> None:
    os.mkfifo(corpus / "annotations/export/extra.json")
    result = run(cli, corpus, "check")  # would hang forever if the FIFO were opened
    assert result.exit_code == 1
    assert "input-not-regular  annotations/export/extra.json" in result.stderr and "is a FIFO" in result.stderr


def test_a_capture_that_is_a_fifo_through_a_symlink_is_named_as_such(cli, corpus: Path, no_hang) -> None:
    fifo = corpus / "raw/captures/pipe"
    os.mkfifo(fifo)
    capture = corpus / f"raw/captures/{BSS}.txt"
    capture.unlink()
    capture.symlink_to(fifo)
    result = run(cli, corpus, "check")
    assert result.exit_code == 1
    assert f"input-not-regular  raw/captures/{BSS}.txt" in result.stderr
    assert "does not exist" not in result.stderr and "annotation-unknown-doc" not in result.stderr


def test_an_export_linked_to_dev_zero_is_refused(cli, corpus: Path) -> None:
    (corpus / "annotations/export/zero.json").symlink_to("/dev/zero")
    result = run(cli, corpus, "check")
    assert result.exit_code == 1 and "input-outside-repo  annotations/export/zero.json" in result.stderr


def _edit_export(corpus: Path, text: str) -> None:
    (corpus / EXPORT).write_text(text, encoding="utf-8")


def test_deeply_nested_json_is_malformed_not_a_crash(cli, corpus: Path) -> None:
    _edit_export(corpus, "[" * 100_000 + "]" * 100_000)
    result = run(cli, corpus, "check")
    assert result.exit_code == 1 and f"malformed-json  {EXPORT}" in result.stderr and "nested too deeply" in result.stderr


def test_nan_in_an_export_is_never_published(cli, corpus: Path) -> None:
    raw = (corpus / EXPORT).read_text(encoding="utf-8")
    _edit_export(corpus, raw.replace('"lead_time": 0.0', '"lead_time": NaN', 1))
    result = run(cli, corpus, "check")
    assert result.exit_code == 1 and "holds NaN, which is not JSON" in result.stderr


def test_an_impossible_date_names_its_field(cli, corpus: Path) -> None:
    data = json.loads((corpus / EXPORT).read_text(encoding="utf-8"))
    data[0]["annotations"][0]["updated_at"] = "2026-02-30T10:00:00Z"
    _edit_export(corpus, json.dumps(data, ensure_ascii=False))
    result = run(cli, corpus, "check")
    assert result.exit_code == 1 and "at /0/annotations/0/updated_at:" in result.stderr and "date-time" in result.stderr


def test_a_lone_surrogate_in_an_annotators_email_builds(cli, corpus: Path, tmp_path: Path) -> None:
    data = json.loads((corpus / EXPORT).read_text(encoding="utf-8"))
    data[0]["annotations"][0]["completed_by"] = {"id": 1, "email": "x\udcff@example.org"}
    (corpus / EXPORT).write_text(json.dumps(data), encoding="ascii")  # \udcff escaped, as a server may send it
    result = cli.invoke(app, ["build", "--root", str(corpus), "--out", str(tmp_path / "ds")])
    assert result.exit_code == 0, result.output


def test_an_annotation_over_the_size_limit_is_a_named_problem(cli, corpus: Path) -> None:
    from builder.annotate.annotation import MAX_RESULT_ITEMS

    data = json.loads((corpus / EXPORT).read_text(encoding="utf-8"))
    result_items = data[0]["annotations"][0]["result"]
    entity = next(i for i in result_items if i.get("from_name") == "entity")
    result_items += [dict(entity, id=f"x{k}") for k in range(MAX_RESULT_ITEMS)]
    _edit_export(corpus, json.dumps(data, ensure_ascii=False))
    result = run(cli, corpus, "check")
    assert result.exit_code == 1 and "annotation-too-large" in result.stderr and f"at most {MAX_RESULT_ITEMS:,}" in result.stderr


def test_a_registry_without_a_column_is_refused(cli, corpus: Path) -> None:
    path = corpus / "annotations/registry.csv"
    rows = path.read_text(encoding="utf-8").splitlines()
    header = rows[0].split(",")
    k = header.index("source_type")
    path.write_text("\n".join(",".join(c for j, c in enumerate(r.split(",")) if j != k) for r in rows) + "\n", encoding="utf-8")
    result = run(cli, corpus, "check")
    assert result.exit_code == 1 and "column(s) ['source_type'] missing" in result.stderr and "hint: " in result.stderr


@pytest.mark.parametrize("command", [["build"], ["clean"], ["card"], ["gold", "--check"], ["check"]])
@pytest.mark.parametrize("broken", ["[tool.builder\nraw_dir = 'raw'\n", "[tool.builder]\nraw_dirr = 'raw'\n"], ids=["bad-toml", "unknown-key"])
def test_a_broken_pyproject_is_one_message_in_every_command(cli, corpus: Path, command, broken: str) -> None:
    (corpus / "pyproject.toml").write_text(broken, encoding="utf-8")
    result = cli.invoke(app, [*command, "--root", str(corpus)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "pyproject.toml" in result.stderr and "hint: " in result.stderr
    if "raw_dirr" in broken:
        assert "'raw_dirr'" in result.stderr and "raw_dir" in result.stderr.split("hint:", 1)[1]


def test_publish_with_a_malformed_repo_id_is_a_clear_error(cli, corpus: Path) -> None:
    result = cli.invoke(app, ["publish", "not a/valid repo!!", "--push", "--root", str(corpus)], env={"HF_TOKEN": "hf_" + "x" * 30})
    assert result.exit_code == 1 and "is not a valid Hub repo id" in result.stderr and "Traceback" not in result.output


def test_a_dry_run_says_nothing_was_checked_against_the_hub(cli, corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "ds"
    assert cli.invoke(app, ["build", "--root", str(corpus), "--out", str(out)]).exit_code == 0
    result = cli.invoke(app, ["publish", "my-lab/bn-news", "--folder", str(out), "--root", str(corpus)], env={"HF_TOKEN": "fake"})
    assert result.exit_code == 0, result.output
    assert "nothing was checked against the Hub" in result.stdout and "fake" not in result.stdout


def test_a_short_token_does_not_garble_messages() -> None:
    from builder.cli.ls import _mask

    assert _mask("fix the TOML syntax", "x") == "fix the TOML syntax"
    token = "0123456789abcdef0123"
    assert _mask(f"token {token} rejected; see {token}x", token) == f"token *** rejected; see {token}x"
