"""The hash memo: a digest is reused only for a file that stat says is the one that was hashed."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from builder.run import hashmemo
from builder.run.hashmemo import HashMemo, OutputMemo


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files count as settled at once (otherwise a file must be a second older than its hashing)."""
    monkeypatch.setattr(hashmemo, "RACY_NS", -10**12)


def test_a_memo_vouches_for_an_unchanged_file_without_reading_it(tmp_path: Path, settled: None) -> None:
    f = tmp_path / "a.txt"
    f.write_bytes(b"one")
    first = HashMemo(tmp_path / "cache", 3)
    assert first.known(f) is None and first.sha(f) == _sha(b"one")
    first.save()
    again = HashMemo(tmp_path / "cache", 3)
    assert again.known(f) == _sha(b"one")
    assert HashMemo(tmp_path / "cache", 4).known(f) is None  # another shard's memo


@pytest.mark.parametrize("change", ["size", "new inode, same size and mtime"])
def test_a_changed_file_is_hashed_again(tmp_path: Path, settled: None, change: str) -> None:
    f = tmp_path / "a.txt"
    f.write_bytes(b"one")
    memo = HashMemo(tmp_path / "cache", 0)
    memo.sha(f)
    memo.save()
    before = f.stat()
    if change == "size":
        f.write_bytes(b"three")
    else:  # how editors save: a new file renamed over the old, its mtime set back
        tmp = tmp_path / "a.tmp"
        tmp.write_bytes(b"two")
        os.utime(tmp, ns=(before.st_atime_ns, before.st_mtime_ns))
        os.replace(tmp, f)
    memo = HashMemo(tmp_path / "cache", 0)
    assert memo.known(f) is None
    assert memo.sha(f) == _sha(f.read_bytes())


def test_a_file_changed_just_before_its_hashing_is_not_remembered(tmp_path: Path) -> None:
    """Within the filesystem's timestamp tick a second write could leave stat unchanged: no memo for it."""
    f = tmp_path / "a.txt"
    f.write_bytes(b"one")
    memo = HashMemo(tmp_path / "cache", 0)
    assert memo.sha(f) == _sha(b"one")
    memo.save()
    assert HashMemo(tmp_path / "cache", 0).known(f) is None


def test_a_broken_memo_only_costs_hashing(tmp_path: Path, settled: None) -> None:
    f = tmp_path / "a.txt"
    f.write_bytes(b"one")
    (tmp_path / "cache" / "hashes").mkdir(parents=True)
    (tmp_path / "cache" / "hashes" / "00000.tsv").write_text("not a memo line\n", encoding="utf-8")
    memo = HashMemo(tmp_path / "cache", 0)
    assert memo.known(f) is None and memo.sha(f) == _sha(b"one")


def test_the_output_memo_follows_a_file_through_links_and_renames(tmp_path: Path, settled: None) -> None:
    """A cached shard's file reaches each build's dataset folder as a new hard link, renamed: same inode and
    mtime, new path and ctime. The output memo vouches for it; a write in place or a new file is hashed."""
    cache = tmp_path / "cache" / "a.parquet"
    cache.parent.mkdir()
    cache.write_bytes(b"rows")
    memo = OutputMemo(tmp_path / "cache")
    assert memo.sha(cache) == _sha(b"rows")
    memo.save()
    linked = tmp_path / "out" / "train-00000-of-00001.parquet"
    linked.parent.mkdir()
    os.link(cache, tmp_path / "out" / "part.parquet")
    os.replace(tmp_path / "out" / "part.parquet", linked)
    assert OutputMemo(tmp_path / "cache").known(linked) == _sha(b"rows")
    assert HashMemo(tmp_path / "cache", "output").known(linked) is None  # the path memo asks for the old path and ctime
    before = linked.stat()
    with open(linked, "r+b") as f:  # same size, other bytes, written in place
        f.write(b"ROWS")
    os.utime(linked, ns=(before.st_atime_ns, before.st_mtime_ns + 1))
    again = OutputMemo(tmp_path / "cache")
    assert again.known(linked) is None and again.sha(linked) == _sha(b"ROWS")


def test_the_output_memo_ignores_a_recent_link_but_not_a_recent_write(tmp_path: Path) -> None:
    """Its racy rule asks only when the bytes last changed: a link made just now does not count."""
    f = tmp_path / "a.parquet"
    f.write_bytes(b"rows")
    old = f.stat().st_mtime_ns - 5 * 10**9
    os.utime(f, ns=(old, old))
    os.link(f, tmp_path / "b.parquet")  # ctime: now
    memo = OutputMemo(tmp_path / "cache")
    memo.sha(f)
    memo.save()
    assert OutputMemo(tmp_path / "cache").known(f) == _sha(b"rows")
    fresh = tmp_path / "c.parquet"
    fresh.write_bytes(b"new")
    memo = OutputMemo(tmp_path / "cache")
    memo.sha(fresh)
    memo.save()
    assert OutputMemo(tmp_path / "cache").known(fresh) is None
