"""Where `builder build` may write, through the CLI: never on the inputs, never over a user's folder,
a clear line when the disk is full or read-only, and no leftovers from an interrupted build."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import tree_digest

from builder.cli.main import app
from builder.write.outfolder import MARKER

INPUTS = ("raw", "text", "annotations")


def inputs(corpus: Path) -> dict[str, bytes]:
    return {k: v for k, v in tree_digest(corpus).items() if k.split("/", 1)[0] in INPUTS}


@pytest.mark.parametrize("out", ["raw/dataset", "annotations/export/dataset", "text", ".", "raw"])
def test_output_on_the_inputs_is_refused(cli, corpus: Path, out: str) -> None:
    before = inputs(corpus)
    result = cli.invoke(app, ["build", "--root", str(corpus), "--out", str(corpus / out)])
    assert result.exit_code == 1, result.output
    assert "would put the dataset" in result.stderr and "hint: write the dataset outside raw/" in result.stderr
    assert inputs(corpus) == before
    assert not (corpus / out / "README.md").exists() or out == "."


def test_out_dir_in_pyproject_that_is_an_input_is_refused(cli, corpus: Path) -> None:
    pyproject = corpus / "pyproject.toml"
    pyproject.write_text(pyproject.read_text(encoding="utf-8").replace('out_dir = "build/dataset"', 'out_dir = "raw"'), encoding="utf-8")
    before = inputs(corpus)
    result = cli.invoke(app, ["build", "--root", str(corpus)])
    assert result.exit_code == 1 and "over the inputs (raw/)" in result.stderr
    assert inputs(corpus) == before


def test_a_symlink_out_into_the_inputs_is_refused(cli, corpus: Path, tmp_path: Path) -> None:
    (tmp_path / "sneaky").symlink_to(corpus / "annotations")
    result = cli.invoke(app, ["build", "--root", str(corpus), "--out", str(tmp_path / "sneaky" / "ds")])
    assert result.exit_code == 1 and "inside the inputs (annotations/)" in result.stderr


def test_a_folder_of_the_users_is_refused_and_kept(cli, corpus: Path, tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "MY_NOTES.md").write_text("my notes\n", encoding="utf-8")
    (mine / "README.md").write_text("my readme\n", encoding="utf-8")
    result = cli.invoke(app, ["build", "--root", str(corpus), "--out", str(mine)])
    assert result.exit_code == 1
    assert "holds 2 file(s) the builder did not write (MY_NOTES.md, README.md)" in result.stderr
    assert sorted(p.name for p in mine.iterdir()) == ["MY_NOTES.md", "README.md"]


def test_a_file_added_to_a_previous_build_is_not_swapped_away(cli, corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "ds"
    assert cli.invoke(app, ["build", "--root", str(corpus), "--out", str(out)]).exit_code == 0
    (out / "MY_NOTES.md").write_text("notes\n", encoding="utf-8")
    result = cli.invoke(app, ["build", "--root", str(corpus), "--out", str(out)])
    assert result.exit_code == 1 and "MY_NOTES.md" in result.stderr
    assert (out / "MY_NOTES.md").read_text(encoding="utf-8") == "notes\n"


def _git(folder: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(folder), *args], check=True, capture_output=True, text=True,
                          env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
                               "GIT_COMMITTER_EMAIL": "t@example.org", "HOME": str(folder), "PATH": "/usr/bin:/bin"}).stdout  # fmt: skip


def test_a_hub_clone_keeps_its_git_and_the_users_files(cli, corpus: Path, tmp_path: Path) -> None:
    from datasets import load_dataset

    clone = tmp_path / "hub-clone"
    clone.mkdir()
    _git(clone, "init", "-q")
    (clone / ".gitattributes").write_text("*.parquet filter=lfs diff=lfs merge=lfs -text\n", encoding="utf-8")
    (clone / "README.md").write_text("---\nlicense: other\n---\nold card\n", encoding="utf-8")
    (clone / "MY_NOTES.md").write_text("untracked notes\n", encoding="utf-8")
    _git(clone, "add", ".gitattributes", "README.md")
    _git(clone, "commit", "-qm", "init")
    for _ in range(2):  # a first build into the clone, then a rebuild
        result = cli.invoke(app, ["build", "--root", str(corpus), "--out", str(clone)])
        assert result.exit_code == 0, result.output
        assert "kept 1 file(s) of the clone that the builder did not write" in result.stdout  # MY_NOTES.md
    assert (clone / "MY_NOTES.md").read_text(encoding="utf-8") == "untracked notes\n"
    assert (clone / ".gitattributes").read_text(encoding="utf-8").startswith("*.parquet filter=lfs")
    assert _git(clone, "log", "--oneline").strip().endswith("init"), "the clone's history is intact"
    assert "old card" not in (clone / "README.md").read_text(encoding="utf-8")
    assert (clone / MARKER).is_file()
    docs = load_dataset(str(clone), cache_dir=str(tmp_path / "c"))
    assert sum(s.num_rows for s in docs.values()) == 2


@contextlib.contextmanager
def tmpfs(path: Path, size: str, *options: str) -> Iterator[Path]:
    path.mkdir(parents=True, exist_ok=True)
    opts = ",".join((f"size={size}", *options))
    if subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(path)], capture_output=True).returncode != 0:
        pytest.skip("this machine does not allow mounting a tmpfs (needs root)")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


@pytest.mark.parametrize("previous", [False, True], ids=["empty", "previous-build"])
def test_a_full_disk_is_one_clear_line_and_the_previous_build_stays(cli, corpus: Path, tmp_path: Path, previous: bool) -> None:
    with tmpfs(tmp_path / "small", "64k") as small:  # smaller than one build
        out = small / "ds"
        if previous:  # a tiny previous "build": the marker says the builder wrote it
            out.mkdir()
            (out / "README.md").write_text("previous\n", encoding="utf-8")
            (out / "data").mkdir()
            (out / MARKER).write_text('{"files": ["README.md"]}\n', encoding="utf-8")
        before = tree_digest(small)
        result = cli.invoke(app, ["build", "--root", str(corpus), "--out", str(out)])
        assert result.exit_code == 1, result.output
        assert "Error: cannot write the dataset to " in result.stderr and "the disk is full" in result.stderr
        assert "Traceback" not in result.output and "hint: free space" in result.stderr
        assert tree_digest(small) == before, "the previous build is intact and no temporary folder is left"
        assert sorted(p.name for p in small.iterdir()) == (["ds"] if previous else [])


def test_a_read_only_output_is_one_clear_line(cli, corpus: Path, tmp_path: Path) -> None:
    with tmpfs(tmp_path / "ro", "1m", "ro") as ro:
        result = cli.invoke(app, ["build", "--root", str(corpus), "--out", str(ro / "ds")])
    assert result.exit_code == 1, result.output
    assert "the file system is read-only" in result.stderr and "Traceback" not in result.output


def test_leftovers_of_an_interrupted_build_are_cleaned_up_and_reported(cli, corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "ds"
    assert cli.invoke(app, ["build", "--root", str(corpus), "--out", str(out)]).exit_code == 0
    built = tree_digest(out)
    # kill -9 between the two renames of a swap: the previous build is aside, a finished one beside it
    out.rename(tmp_path / ".ds.old-killed")
    (tmp_path / ".ds.tmp-killed").mkdir()
    (tmp_path / ".ds.tmp-killed" / "half.parquet").write_bytes(b"PAR1")
    result = cli.invoke(app, ["build", "--root", str(corpus), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "restored the previous build from .ds.old-killed" in result.stdout
    assert "removed .ds.tmp-killed, left by an interrupted build" in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".ds")) == []
    assert tree_digest(out) == built


def test_builds_killed_at_any_moment_leave_nothing_the_next_build_does_not_clean(corpus: Path, tmp_path: Path) -> None:
    import signal
    import sys
    import time

    out = tmp_path / "ds"
    cmd = [sys.executable, "-m", "builder.cli.main", "build", "--root", str(corpus), "--out", str(out)]
    assert subprocess.run(cmd, capture_output=True).returncode == 0
    good = tree_digest(out)
    for delay in (0.8, 1.4, 2.0):  # somewhere between start-up and the final rename
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        done = subprocess.run(cmd, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert sorted(p.name for p in tmp_path.iterdir() if p.name != "corpus") == ["ds"], f"leftovers after a kill at {delay}s"
        assert tree_digest(out) == good
