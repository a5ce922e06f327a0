"""Where a build may land, and how it replaces what is there without losing anybody's files.

* Never on the inputs: the output may not be, contain, or lie inside raw/, text/ or annotations/ (paths
  resolved, symlinks followed), so `--out raw/dataset` or `--out .` is refused before anything is written.
* Only over a folder the builder made. Every build writes `MARKER`, listing the files it wrote. A target
  that is missing or empty is fresh; one with the marker (or a build from before the marker: README.md and
  data/ and nothing but builder folders) is replaced whole by an atomic rename; one holding anything
  else is refused, naming the files, unless it is a git clone (a Hub dataset repository): then the build's
  files are moved in one by one, the previous build's files that this one no longer writes are deleted,
  and `.git`, `.gitattributes` and every file the builder never wrote stay as they are.
* One build at a time per target: a lock on its parent folder serialises concurrent builds. Under the lock,
  what an interrupted build left (`.<name>.tmp-*`, `.<name>.old-*`) is cleaned up, and a previous build
  that a kill left renamed aside is put back first.
* Write errors (disk full, read-only, permission) become one line with a hint; the previous build stays.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from builder.errors import BuildError

MARKER = ".builder-dataset.json"
BUILDER_NAMES = frozenset({"README.md", "data", "browser", "images", "exports", "croissant.json", MARKER})
KEEP_IN_CLONE = frozenset({".git", ".gitattributes", ".gitignore", ".huggingface"})


class UnsafeOutput(BuildError):
    """The output path is, holds or lies inside the inputs, or holds files the builder did not write."""


class WriteFailed(BuildError):
    """The file system refused the write (full, read-only, no permission)."""


@dataclass(slots=True)
class Target:
    path: Path
    mode: str  # fresh, replace, clone
    previous: frozenset[str] = frozenset()  # files the previous build wrote (its marker)
    notes: list[str] = field(default_factory=list)


def refuse_inputs(out_dir: Path, inputs: Sequence[Path], show: str) -> None:
    """Refuse an output that is an input folder, inside one, or that contains one."""
    out = out_dir.resolve()
    for folder in inputs:
        f = folder.resolve()
        if out == f or out.is_relative_to(f) or f.is_relative_to(out):
            raise UnsafeOutput(
                f"--out {show} would put the dataset {'inside' if out != f and out.is_relative_to(f) else 'over'} "
                f"the inputs ({folder.name}/)",
                "write the dataset outside raw/, text/ and annotations/, e.g. build/dataset (the default)",
            )


def _files(root: Path) -> set[str]:
    out = set()
    for dirpath, dirnames, filenames in os.walk(root):
        rel = Path(dirpath).relative_to(root)
        if rel == Path(".") and ".git" in dirnames:
            dirnames.remove(".git")
        out.update((rel / f).as_posix() for f in filenames)
    return out


def _marker_files(path: Path) -> frozenset[str] | None:
    try:
        data = json.loads((path / MARKER).read_text(encoding="utf-8"))
        return frozenset(str(f) for f in data["files"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def classify(out_dir: Path, show: str) -> Target:
    if not out_dir.exists() and not out_dir.is_symlink():
        return Target(out_dir, "fresh")
    if not out_dir.is_dir():
        raise UnsafeOutput(f"--out {show} exists and is not a folder", "choose another output path")
    names = {p.name for p in out_dir.iterdir()}
    if not names:
        return Target(out_dir, "fresh")
    previous = _marker_files(out_dir)
    present = {f for f in _files(out_dir) if f != MARKER}
    if (out_dir / ".git").exists():
        return Target(out_dir, "clone", previous or frozenset())
    if previous is not None:
        foreign = sorted(present - previous)
    elif {"README.md", "data"} <= names and names <= BUILDER_NAMES:
        foreign = []  # a build from before the marker
    else:
        foreign = sorted(present)
    if foreign:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        raise UnsafeOutput(
            f"--out {show} holds {len(foreign)} file(s) the builder did not write ({shown}); nothing was written",
            "point --out at an empty folder or a previous build; move your own files out first; "
            "a git clone of the Hub dataset repository is also fine (its .git and your files are kept)",
        )
    return Target(out_dir, "replace", previous or frozenset())


def write_marker(folder: Path) -> None:
    files = sorted(f for f in _files(folder) if f != MARKER)
    text = json.dumps({"written_by": "bn-news-attribution-builder", "files": files}, indent=1) + "\n"
    (folder / MARKER).write_text(text, encoding="utf-8")


@contextlib.contextmanager
def locked(out_dir: Path) -> Iterator[list[str]]:
    """Hold the target's lock; yields the clean-up notes of leftovers from interrupted builds."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    # The lock is on the parent folder itself: no lock file is left beside the user's folder.
    fd = os.open(out_dir.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield _clean_leftovers(out_dir)
    finally:
        os.close(fd)


def _clean_leftovers(out_dir: Path) -> list[str]:
    notes = []
    olds = sorted(out_dir.parent.glob(f".{out_dir.name}.old-*"))
    if olds and not out_dir.exists():
        os.rename(olds[-1], out_dir)  # killed between the two renames: the previous build goes back
        notes.append(f"restored the previous build from {olds[-1].name}, left by an interrupted build")
        olds = olds[:-1]
    for leftover in olds + sorted(out_dir.parent.glob(f".{out_dir.name}.tmp-*")):
        shutil.rmtree(leftover, ignore_errors=True)
        notes.append(f"removed {leftover.name}, left by an interrupted build")
    return notes


def swap_in(tmp: Path, target: Target) -> list[str]:
    """Put the finished build in place; returns notes (files kept in a clone)."""
    out = target.path
    if target.mode == "fresh":
        if out.exists():
            out.rmdir()  # empty, checked by classify
        os.rename(tmp, out)
        return []
    if target.mode == "replace":
        old = tmp.with_name(tmp.name.replace(".tmp-", ".old-", 1))
        os.rename(out, old)
        try:
            os.rename(tmp, out)
        except BaseException:
            os.rename(old, out)
            raise
        shutil.rmtree(old, ignore_errors=True)
        return []
    new = _files(tmp)
    for rel in sorted(new):
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp / rel, out / rel)
    for rel in sorted(target.previous - new):
        with contextlib.suppress(FileNotFoundError):
            (out / rel).unlink()
    shutil.rmtree(tmp, ignore_errors=True)
    kept = sorted(f for f in _files(out) - new if not f.split("/", 1)[0] in KEEP_IN_CLONE)
    stale = [f for f in kept if f.startswith("data/")]
    notes = [f"kept {len(kept)} file(s) of the clone that the builder did not write"] if kept else []
    if stale:
        notes.append(f"data/ still holds {len(stale)} file(s) this build did not write (e.g. {stale[0]}); "
                     "load_dataset may read them: delete them with git rm if they are stale")  # fmt: skip
    return notes


def write_error(e: OSError, show: str) -> WriteFailed:
    reason = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is used up",
              errno.EROFS: "the file system is read-only", errno.EACCES: "permission denied",
              errno.EPERM: "permission denied"}.get(e.errno, e.strerror or type(e).__name__)  # fmt: skip
    return WriteFailed(f"cannot write the dataset to {show}: {reason}; the previous build (if any) is unchanged",
                       "free space or choose a writable --out, then build again")  # fmt: skip
