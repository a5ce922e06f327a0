"""builder.read.inputs.read_input: what it reads and what it refuses, wherever a link in the path points."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from builder.read.inputs import Refused, read_input


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "raw").mkdir(parents=True)
    (root / "raw/page.txt").write_bytes(b"inside")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere/secret.txt").write_bytes(b"outside")
    return root


def _code(path: Path, root: Path) -> str:
    with pytest.raises(Refused) as caught:
        read_input(path, root, "capture")
    return caught.value.code


def test_a_file_inside_is_read(repo: Path) -> None:
    assert read_input(repo / "raw/page.txt", repo, "capture") == b"inside"


def test_a_link_to_a_file_inside_is_read(repo: Path) -> None:
    (repo / "raw/link.txt").symlink_to(repo / "raw/page.txt")
    assert read_input(repo / "raw/link.txt", repo, "capture") == b"inside"


def test_a_file_under_a_folder_linked_out_of_the_repository_is_refused(repo: Path) -> None:
    (repo / "raw/out").symlink_to(repo.parent / "elsewhere")
    assert _code(repo / "raw/out/secret.txt", repo) == "input-outside-repo"


def test_a_file_linked_out_and_a_dotdot_path_out_are_refused(repo: Path) -> None:
    (repo / "raw/link.txt").symlink_to(repo.parent / "elsewhere/secret.txt")
    assert _code(repo / "raw/link.txt", repo) == "input-outside-repo"
    assert _code(repo / "raw/../../elsewhere/secret.txt", repo) == "input-outside-repo"


def test_a_sibling_folder_sharing_the_roots_name_as_prefix_is_outside(repo: Path) -> None:
    twin = repo.parent / (repo.name + "2")
    twin.mkdir()
    (twin / "x.txt").write_bytes(b"twin")
    assert _code(twin / "x.txt", repo) == "input-outside-repo"


def test_a_root_reached_through_a_link_still_holds_its_files(repo: Path) -> None:
    alias = repo.parent / "alias"
    alias.symlink_to(repo)
    assert read_input(alias / "raw/page.txt", alias, "capture") == b"inside"
    assert read_input(repo / "raw/page.txt", alias, "capture") == b"inside"


def test_a_relative_path_is_read_against_the_working_folder(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo / "raw")
    assert read_input(Path("page.txt"), repo, "capture") == b"inside"
    monkeypatch.chdir(repo.parent)
    assert _code(Path("elsewhere/secret.txt"), repo) == "input-outside-repo"


def test_missing_dangling_folder_and_too_large(repo: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_input(repo / "raw/none.txt", repo, "capture")
    with pytest.raises(FileNotFoundError):
        read_input(repo / "raw/page.txt/below", repo, "capture")
    (repo / "raw/dangling.txt").symlink_to(repo / "raw/gone.txt")
    assert _code(repo / "raw/dangling.txt", repo) == "input-unreadable"
    assert _code(repo / "raw", repo) == "input-not-regular"
    assert _code(repo / "raw/..", repo) == "input-not-regular"
    (repo / "raw/big.txt").write_bytes(b"x" * (5 * 1024 * 1024 + 1))
    assert _code(repo / "raw/big.txt", repo) == "capture-too-large"


def test_a_fifo_is_named_not_opened(repo: Path) -> None:
    os.mkfifo(repo / "raw/pipe")
    assert _code(repo / "raw/pipe", repo) == "input-not-regular"


def test_a_folder_that_becomes_a_link_out_is_resolved_again(repo: Path) -> None:
    """The folder's resolution is remembered; a folder swapped for a link elsewhere is not trusted from memory."""
    (repo / "raw/sub").mkdir()
    (repo / "raw/sub/page.txt").write_bytes(b"inside")
    assert read_input(repo / "raw/sub/page.txt", repo, "capture") == b"inside"
    (repo / "raw/sub/page.txt").unlink()
    (repo / "raw/sub").rmdir()
    (repo.parent / "elsewhere/page.txt").write_bytes(b"outside")
    (repo / "raw/sub").symlink_to(repo.parent / "elsewhere")
    assert _code(repo / "raw/sub/page.txt", repo) == "input-outside-repo"


def test_a_file_that_grows_past_the_limit_while_read_is_refused(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The size is taken from a stat; a file longer by the time it is read is read on, up to the limit."""
    import builder.read.inputs as inputs

    page = repo / "raw/page.txt"
    real_lstat = os.lstat

    def stale(path, *args, **kwargs):  # the size before an append of a whole capture limit
        st = real_lstat(path, *args, **kwargs)
        if os.fspath(path) == os.fspath(page):
            page.write_bytes(b"x" * (inputs.LIMITS["capture"] + 1))
        return st

    assert read_input(repo / "raw/page.txt", repo, "capture") == b"inside"
    monkeypatch.setattr(inputs.os, "lstat", stale)
    assert _code(page, repo) == "capture-too-large"
