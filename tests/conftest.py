"""Shared fixtures: a copy of the real corpus inputs in tmp_path, the CLI runner, offline HF settings."""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

# datasets reads these when it is first imported, so they are set before any test module imports it:
# no Hub, and no test writes into the user's ~/.cache/huggingface.
# HOME and every cache point into a private folder, removed at exit: a test can neither depend on nor
# change what README's own steps (load_dataset, builder server, …) left in the user's home and caches.
# The pre-migrated Label Studio template is the one exception worth keeping between runs (20-50 s to
# build): it lives in the repository's git-ignored build/ folder, never in the user's cache.
_REAL_HOME = Path(os.environ.get("HOME") or Path.home())
_WATCHED = [_REAL_HOME / ".cache" / name for name in ("huggingface", "bn-news-builder")] + [_REAL_HOME / ".config" / "label-studio"]
os.environ["HF_HUB_OFFLINE"] = "1"
_PRIVATE = tempfile.mkdtemp(prefix="bn-news-tests-")
atexit.register(shutil.rmtree, _PRIVATE, ignore_errors=True)
os.environ["HOME"] = os.path.join(_PRIVATE, "home")
os.environ["XDG_CACHE_HOME"] = os.path.join(_PRIVATE, "cache")
os.environ["HF_HOME"] = os.path.join(_PRIVATE, "hf")
os.environ["HF_DATASETS_CACHE"] = os.path.join(_PRIVATE, "hf-datasets")
os.makedirs(os.environ["HOME"])
os.environ.setdefault("BN_NEWS_LS_CACHE", str(Path(__file__).resolve().parents[1] / "build" / "test-cache"))

import pytest  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))  # bench/replicate.py: the benchmark's corpus generator, for scale tests
SHARED = REPO.parent / "shared"  # public test material; tests that use it skip when it is absent
INPUTS = ("pyproject.toml", "dataset_card.md", "raw", "text", "annotations")


def _snapshot() -> dict[str, tuple[int, int]]:
    """Every file and folder below the watched places in the real home, with size and mtime."""
    seen: dict[str, tuple[int, int]] = {}
    for top in _WATCHED:
        for p in [top, *top.rglob("*")] if top.exists() else []:
            with contextlib.suppress(OSError):
                st = p.lstat()
                seen[str(p)] = (st.st_size, st.st_mtime_ns)
    return seen


_BEFORE = _snapshot()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The run fails when anything under the user's real caches changed (checked, not assumed)."""
    after = _snapshot()
    changed = sorted(k for k in set(_BEFORE) | set(after) if _BEFORE.get(k) != after.get(k))
    if changed:
        session.config.get_terminal_writer().line(
            f"FAILED: the tests changed {len(changed)} path(s) in the user's home caches, e.g. {changed[:3]}", red=True
        )
        session.exitstatus = 1


@pytest.fixture(autouse=True)
def _offline_hf(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No Hub, and a private datasets cache so stale Arrow caches cannot leak between tests."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path_factory.mktemp("hf-cache")))


def copy_inputs(root: Path) -> Path:
    """Copy the repository's inputs into `root`, laid out like the repository."""
    root.mkdir(parents=True, exist_ok=True)
    for name in INPUTS:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, root / name)
        elif src.exists():
            shutil.copy2(src, root / name)
    return root


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A copy of the repository's inputs, safe to break."""
    return copy_inputs(tmp_path / "corpus")


@pytest.fixture
def cli() -> CliRunner:
    return CliRunner()


def tree_digest(root: Path) -> dict[str, bytes]:
    """Every file under root with its bytes: compare before/after to prove nothing was modified."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def apply_edits(root: Path, edits: list[dict[str, Any]]) -> None:
    """Apply a bad-fixture's edits to a corpus copy (see tests/data/bad/README.md)."""
    for edit in edits:
        path = root / edit["file"]
        if "copy_from" in edit:
            shutil.copy2(root / edit["copy_from"], path)
        if "write" in edit:
            path.write_text(edit["write"], encoding="utf-8")
            continue
        if "replace_text" in edit:
            old, new = edit["replace_text"]
            content = path.read_text(encoding="utf-8")
            assert old in content, f"{edit['file']}: {old!r} not found"
            path.write_text(content.replace(old, new, 1), encoding="utf-8")
            continue
        if "set" not in edit and "remove" not in edit:
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        node = _select(data, edit)
        for pointer, value in edit.get("set", {}).items():
            _put(node, pointer, value)
        for pointer in edit.get("remove", []):
            parent, key = _parent(node, pointer)
            del parent[key]
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")


def _select(data: Any, edit: dict[str, Any]) -> Any:
    """The node an edit starts from: a task, an annotation, or a result item picked by its fields."""
    node = data[edit.get("task", 0)] if isinstance(data, list) else data
    if "item" not in edit and "relation" not in edit:
        return node
    result = node["annotations"][edit.get("annotation", 0)]["result"]
    want = edit.get("item") or edit["relation"]
    matches = [r for r in result if all(r.get(k) == v for k, v in want.items())]
    assert matches, f"no result item matches {want}"
    return matches[0]


def _parent(node: Any, pointer: str) -> tuple[Any, Any]:
    parts = [p for p in pointer.strip("/").split("/")]
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    last = parts[-1]
    return node, int(last) if isinstance(node, list) else last


def _put(node: Any, pointer: str, value: Any) -> None:
    parent, key = _parent(node, pointer)
    if isinstance(parent, list) and key == len(parent):
        parent.append(value)  # one past the end appends
    else:
        parent[key] = value
