"""SHA-256 of a shard's input files, remembered by what `stat` says of them, the way git's index does.

A rebuild would otherwise read every capture, text and export again only to find them unchanged (at 10k
documents about 0.5 GB). A file's digest is taken from the memo only if its size, mtime, ctime and inode
are those recorded with it, and it was last modified at least `RACY_NS` before it was hashed: a file
changed again within the filesystem's timestamp tick of its hashing would otherwise look unchanged.
Anything else is hashed again. One memo per shard rank (`<cache>/hashes/<rank>.tsv`), written by the
process that hashed the shard's files, so no file is written by two processes.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from builder.run.cache import HASHES
from builder.write.fingerprint import sha256_file

RACY_NS = 1_000_000_000  # a file modified within this of its hashing is hashed again next time


def _stamp(st: os.stat_result) -> str:
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_ino}"


class HashMemo:
    """Digests of one shard's files: `known` (from the memo only, or None) and `sha` (hashing what it must)."""

    def __init__(self, cache: Path | None, rank: int | str) -> None:
        name = f"{rank:05d}" if isinstance(rank, int) else rank
        self.path = None if cache is None else cache / HASHES / f"{name}.tsv"
        self.old: dict[str, tuple[str, str]] = {}  # path → (stamp, sha256)
        self.new: dict[str, tuple[str, str]] = {}
        if self.path is not None:
            try:
                with self.path.open(encoding="utf-8") as f:
                    for line in f:
                        sha, stamp, rel = line.rstrip("\n").split("\t", 2)
                        self.old[rel] = (stamp, sha)
            except (OSError, ValueError):
                self.old = {}  # no memo, or a broken one: everything is hashed

    def known(self, path: str | Path, st: os.stat_result | None = None) -> str | None:
        """The digest of path if the memo vouches for it, else None (nothing is read). `st`: its stat, if taken."""
        if st is None:
            try:
                st = os.stat(path)
            except OSError:
                return None
        key = self._key(path, st)
        seen = self.old.get(key)
        if seen is None or seen[0] != self._stamp(st):
            return None
        self.new[key] = seen
        return seen[1]

    def sha(self, path: str | Path, st: os.stat_result | None = None) -> str:
        found = self.known(path, st)
        if found is not None:
            return found
        started = time.time_ns()
        sha = sha256_file(path)
        st = os.stat(path)
        if self._settled(st, started - RACY_NS):
            self.new[self._key(path, st)] = (self._stamp(st), sha)
        return sha

    def _settled(self, st: os.stat_result, before: int) -> bool:
        return st.st_mtime_ns < before and st.st_ctime_ns < before

    def _key(self, path: str | Path, st: os.stat_result) -> str:
        return str(path)

    def _stamp(self, st: os.stat_result) -> str:
        return _stamp(st)

    def save(self) -> None:
        """Keep what this shard hashed or vouched for (a memo that cannot be written only costs time)."""
        if self.path is None or self.new == self.old:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}")
            tmp.write_text("".join(f"{sha}\t{stamp}\t{rel}\n" for rel, (stamp, sha) in sorted(self.new.items())), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError:
            pass


class OutputMemo(HashMemo):
    """Digests of the dataset folder's files (its manifest lists them). A cached shard's files are hard links
    to the cache's own read-only files, linked and renamed anew by every build: the same inode, bytes and
    mtime, but a new ctime and path. So a file is found by device and inode and vouched for by size and
    mtime; the racy rule still applies to when it was last changed."""

    def __init__(self, cache: Path | None) -> None:
        super().__init__(cache, "output")

    def _key(self, path: str | Path, st: os.stat_result) -> str:
        return f"{st.st_dev}:{st.st_ino}"

    def _stamp(self, st: os.stat_result) -> str:
        return f"{st.st_size}:{st.st_mtime_ns}"

    def _settled(self, st: os.stat_result, before: int) -> bool:
        return st.st_mtime_ns < before
