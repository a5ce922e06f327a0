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

    def __init__(self, cache: Path | None, rank: int) -> None:
        self.path = None if cache is None else cache / HASHES / f"{rank:05d}.tsv"
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
        seen = self.old.get(str(path))
        if seen is None or seen[0] != _stamp(st):
            return None
        self.new[str(path)] = seen
        return seen[1]

    def sha(self, path: str | Path, st: os.stat_result | None = None) -> str:
        found = self.known(path, st)
        if found is not None:
            return found
        started = time.time_ns()
        sha = sha256_file(Path(path))
        st = os.stat(path)
        if st.st_mtime_ns < started - RACY_NS and st.st_ctime_ns < started - RACY_NS:
            self.new[str(path)] = (_stamp(st), sha)
        return sha

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
