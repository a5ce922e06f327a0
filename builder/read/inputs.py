"""Reading an input file: a regular file inside the repository, of bounded size — or a reason why not.

A capture that is a symlink to a file outside the repository would publish a private file; a FIFO would
hang the build; /dev/zero would exhaust memory. So every input is resolved (symlinks followed), must lie
inside the repository root, must be a regular file, and may not exceed its size limit; anything else is
`Refused` with a problem code, which the stage turns into a Problem naming the file.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

MiB = 1024 * 1024
# A table (raw/sources.csv, text/raw_sha256.csv) has a row per document: 256 MiB is about a million rows.
LIMITS = {"capture": 5 * MiB, "export": 64 * MiB, "text": 8 * MiB, "table": 256 * MiB}


class Refused(Exception):
    def __init__(self, code: str, message: str, hint: str) -> None:
        super().__init__(message)
        self.code, self.message, self.hint = code, message, hint


def read_input(path: Path, root: Path, kind: str) -> bytes:
    """The bytes of `path`; raises Refused (or FileNotFoundError when nothing is there)."""
    name = os.fspath(path)
    try:
        st: os.stat_result | None = os.lstat(name)
    except (FileNotFoundError, NotADirectoryError):
        raise FileNotFoundError(path) from None
    folder, base = os.path.split(name)
    if stat.S_ISLNK(st.st_mode) or base in ("", os.curdir, os.pardir):
        resolved, st = os.path.realpath(name), None  # followed below, where a dangling link is unreadable
    else:
        # the file itself is no link, so only its folder can lead elsewhere: one realpath of the folder
        # (os.path, not pathlib: this runs for every capture, text and export of the corpus)
        resolved = os.path.join(_realdir(folder or os.curdir), base)
    if not _inside(resolved, _realdir(os.fspath(root))):
        raise Refused("input-outside-repo", "is a symlink to a file outside the repository",
                      "inputs must be files inside the repository: copy the file in instead of linking to it")  # fmt: skip
    try:
        st = os.stat(resolved) if st is None else st
    except OSError as e:
        raise Refused("input-unreadable", f"cannot be read ({e.strerror})", "restore the file from git") from None
    if not stat.S_ISREG(st.st_mode):
        what = ("a FIFO" if stat.S_ISFIFO(st.st_mode) else "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)
                else "a folder" if stat.S_ISDIR(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode) else "not a regular file")  # fmt: skip
        raise Refused("input-not-regular", f"is {what}, not a regular file", "inputs are regular files; replace it with the real file")
    limit = LIMITS[kind]
    if st.st_size > limit:
        raise Refused(f"{kind}-too-large", f"is {st.st_size:,} bytes; a {kind} file may hold at most {limit:,}",
                      "split it, or check that it is the right file")  # fmt: skip
    with open(resolved, "rb") as f:
        # the size it had, plus one byte to see growth: read(limit + 1) would allocate the whole limit
        # (64 MiB for an export) on every call, which cost five times the read itself
        data = f.read(st.st_size + 1)
        if len(data) > st.st_size:  # it grew since the stat: on, up to the limit
            data += f.read(limit + 1 - len(data))
    if len(data) > limit:
        raise Refused(f"{kind}-too-large", f"grew past {limit:,} bytes while being read", "check the file")
    return data


def _inside(path: str, folder: str) -> bool:
    """Path.is_relative_to for two absolute, normalised paths (realpath's): `folder` itself or below it."""
    return path == folder or path.startswith(folder if folder.endswith(os.sep) else folder + os.sep)


_REAL: dict[str, tuple[int, int, str]] = {}  # folder → (device, inode, realpath) when it was last resolved


def _realdir(folder: str) -> str:
    """os.path.realpath of a folder, remembered with the device and inode the path led to: a path that now
    leads to another folder (a link changed) is resolved again. One stat instead of a stat per component."""
    if not os.path.isabs(folder):
        return os.path.realpath(folder)
    try:
        st = os.stat(folder)
    except OSError:
        return os.path.realpath(folder)
    hit = _REAL.get(folder)
    if hit is not None and hit[0] == st.st_dev and hit[1] == st.st_ino:
        return hit[2]
    if len(_REAL) >= 1024:
        _REAL.clear()
    real = os.path.realpath(folder)
    _REAL[folder] = (st.st_dev, st.st_ino, real)
    return real
