"""Publish a built dataset folder to the Hugging Face Hub, only when it is checked and current.

`prepare` refuses (BuildError) when `check` finds problems or when the folder is stale: a fresh
build of the current inputs, written to a temporary folder, must have the same README.md and the
same data/ files (names and sha256) as the folder. It returns the commit plan: one
`CommitOperationAdd` per file, selected like `HfApi.upload_folder` does, computed locally (no
network). `push` sends that plan with `create_repo(exist_ok=True)` + `create_commit`; the token
comes from the caller (the CLI reads HF_TOKEN) and never appears in a message.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from builder.config import BuildConfig
from builder.errors import BuildError, InvalidCorpus

README = "README.md"
DATA_DIR = "data"


class NotPublishable(BuildError):
    """The folder must not be published as it is."""


class PublishFailed(BuildError):
    """The Hub could not be reached or refused the commit."""


@dataclass(frozen=True, slots=True)
class FileOp:
    path_in_repo: str
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class Plan:
    folder: Path
    operations: tuple  # CommitOperationAdd, in path order

    @property
    def files(self) -> list[FileOp]:
        return [FileOp(op.path_in_repo, op.upload_info.size, op.upload_info.sha256.hex()) for op in self.operations]

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)


def check_repo_id(repo_id: str) -> None:
    """The Hub's own rule for a repo id (huggingface_hub validates offline), as a PublishFailed."""
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    try:
        validate_repo_id(repo_id)
    except HFValidationError as e:
        raise PublishFailed(f"{repo_id!r} is not a valid Hub repo id ({str(e).splitlines()[0]})",
                            "write it as ORG/NAME with letters, digits, '-', '_' and '.', e.g. my-lab/bn-news") from None  # fmt: skip
    if "/" not in repo_id:
        raise PublishFailed(f"{repo_id!r} names no owner", "write it as ORG/NAME, e.g. my-lab/bn-news")


def commit_plan(folder: Path) -> Plan:
    """Every file upload_folder would send, as CommitOperationAdd (hashes computed locally)."""
    from huggingface_hub import CommitOperationAdd
    from huggingface_hub.utils import filter_repo_objects
    from huggingface_hub.utils._paths import DEFAULT_IGNORE_PATTERNS

    folder = Path(folder)
    rel = {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*")) if p.is_file()}
    keep = sorted(filter_repo_objects(list(rel), allow_patterns=None, ignore_patterns=DEFAULT_IGNORE_PATTERNS))
    ops = tuple(CommitOperationAdd(path_in_repo=r, path_or_fileobj=str(rel[r])) for r in keep)
    return Plan(folder, ops)


def _compared(folder: Path) -> dict[str, str]:
    """README.md and data/** of a folder → sha256."""
    import hashlib

    out = {}
    for p in sorted(folder.rglob("*")):
        if not p.is_file():
            continue
        rel = p.relative_to(folder).as_posix()
        if rel == README or rel.startswith(DATA_DIR + "/"):
            out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def stale_files(cfg: BuildConfig, folder: Path) -> list[str]:
    """Files of README.md/data/ that differ between the folder and a fresh build (also missing/extra)."""
    from builder.release import build

    tmp = Path(tempfile.mkdtemp(prefix="bn-news-publish-"))
    try:
        build.build(cfg, tmp / "dataset")
        fresh = _compared(tmp / "dataset")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    have = _compared(folder)
    return sorted(f for f in set(fresh) | set(have) if fresh.get(f) != have.get(f))


def prepare(cfg: BuildConfig, folder: Path) -> Plan:
    """Refuse a failing check or a stale folder; otherwise the commit plan of the folder."""
    folder = Path(folder)
    if not (folder / README).is_file() or not (folder / DATA_DIR).is_dir():
        raise NotPublishable(f"{folder.name}: not a built dataset folder (no {README} and {DATA_DIR}/)", "run `builder build` first")
    try:
        stale = stale_files(cfg, folder)  # a fresh build, which checks everything first
    except InvalidCorpus as e:
        raise NotPublishable(
            f"`builder check` fails ({e}); refusing to publish",
            "run `builder check`, fix the inputs, rebuild, then publish",
        ) from e
    if stale:
        shown = ", ".join(stale[:5]) + (f" and {len(stale) - 5} more" if len(stale) > 5 else "")
        raise NotPublishable(
            f"{folder.name} is stale: {shown} differ(s) from a fresh build of the current inputs",
            "run `builder build` and publish the new folder",
        )
    # The folder is fresh, so its README is exactly the card a build makes now.
    if (folder / README).read_bytes() != cfg.path(cfg.card_prose).read_bytes():
        raise NotPublishable(
            f"{cfg.card_prose} is stale: the committed card differs from the one this build publishes",
            "run `builder card`, review and commit dataset_card.md, then publish",
        )
    return commit_plan(folder)


def _offline() -> bool:
    value = os.environ.get("HF_HUB_OFFLINE", "").strip().lower()
    return value not in ("", "0", "false", "no", "off")


def push(plan: Plan, repo_id: str, *, token: str, revision: str | None = None, private: bool = True,
         message: str = "Publish dataset") -> str:
    """create_repo(exist_ok) + one create_commit of the plan; returns the commit URL."""
    import huggingface_hub
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError, HTTPError, OfflineModeIsEnabled

    endpoint = huggingface_hub.constants.ENDPOINT
    hint = "publish from a machine that can reach the Hub; the dry run (without --push) works offline"
    if _offline():
        raise PublishFailed("HF_HUB_OFFLINE is set: the Hub cannot be reached in offline mode", "unset HF_HUB_OFFLINE and retry; " + hint)

    def scrub(text: str) -> str:
        return text.replace(token, "***") if token else text

    try:
        api = HfApi(token=token)
        api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        if revision and revision != "main":
            api.create_branch(repo_id, repo_type="dataset", branch=revision, exist_ok=True)
        info = api.create_commit(
            repo_id, repo_type="dataset", operations=list(plan.operations), commit_message=message, revision=revision
        )
    except OfflineModeIsEnabled:
        raise PublishFailed("HF_HUB_OFFLINE is set: the Hub cannot be reached in offline mode", "unset HF_HUB_OFFLINE and retry; " + hint) from None
    except HfHubHTTPError as e:
        status = getattr(getattr(e, "response", None), "status_code", "?")
        raise PublishFailed(f"the Hub refused the commit ({status}): {scrub(str(e))}", "check HF_TOKEN's write access and the repo id") from None
    except (HTTPError, ConnectionError, OSError) as e:
        raise PublishFailed(f"cannot reach {endpoint}: {scrub(type(e).__name__ + ': ' + str(e))}", hint) from None
    return str(getattr(info, "commit_url", info))
