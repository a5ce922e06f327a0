"""`[tool.builder]` in pyproject.toml → BuildConfig. CLI flags override single fields."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from builder.errors import BadConfig, MissingInput


@dataclass(frozen=True, slots=True)
class BuildConfig:
    root: Path  # repository root; every other path is relative to it
    raw_dir: str = "raw"
    text_dir: str = "text"
    export_dir: str = "annotations/export"
    labeling_config: str = "annotations/labeling_config.xml"
    registry: str = "annotations/registry.csv"
    card_prose: str = "dataset_card.md"
    out_dir: str = "build/dataset"
    split_salt: str = "bn-news-v1"
    split_ratios: dict[str, int] = field(default_factory=lambda: {"train": 80, "validation": 10, "test": 10})
    license: str = "cc-by-nc-4.0"
    # Label Studio users (e-mail or numeric id as exported) whose annotation is taken as gold when
    # no annotation is flagged ground truth: see builder.annotate.adjudicate.
    reviewers: list[str] = field(default_factory=list)
    ls_project: str = "bn-news"  # title of the Label Studio project the `builder ls` verbs work on
    # Secret of the annotator pseudonyms: part of the source repository (which holds the raw exports with
    # user ids anyway), never of the released dataset. Changing it changes every pseudonym.
    pseudonym_key: str = "annotations/pseudonym.key"
    # Documents per map shard: each shard writes one part of every file (data/<config>/<split>-NNNNN-of-MMMMM.parquet),
    # so this, not the number of workers, decides the file layout. Smaller: a rebuild after one changed export
    # redoes fewer documents' files (about 1.6 s for 500 here, 3.3 s for 1,000), at the price of more files.
    shard_docs: int = 500
    cache_dir: str = "build/cache"  # the shards of the last build (builder.run.cache), reused by the next one

    def path(self, rel: str) -> Path:
        return self.root / rel

    def rel(self, p: Path) -> str:
        """Repository-relative POSIX path for messages (never an absolute machine path)."""
        # The path as named, not where a symlink leads: a link out of the repository is reported by its name.
        for path, root in ((Path(os.path.abspath(p)), Path(os.path.abspath(self.root))), (p.resolve(), self.root.resolve())):
            try:
                return path.relative_to(root).as_posix() or "."
            except ValueError:
                continue
        return p.as_posix()

    def with_overrides(self, **kw: object) -> BuildConfig:
        return replace(self, **{k: v for k, v in kw.items() if v is not None})


def load_config(root: Path) -> BuildConfig:
    """Read pyproject.toml at `root`; unknown keys are an error, so typos do not pass silently."""
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        raise MissingInput(f"{pyproject.name} not found in {root.name or '.'}", "run the builder from the repository root or pass --root")
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise BadConfig(f"pyproject.toml: {e}", "fix the TOML syntax") from e
    section = {k.replace("-", "_"): v for k, v in data.get("tool", {}).get("builder", {}).items()}
    section.pop("annotations_dir", None)  # documentation only: the folder holding the inputs below
    known = set(BuildConfig.__dataclass_fields__) - {"root"}
    unknown = sorted(set(section) - known)
    if unknown:
        raise BadConfig(f"pyproject.toml [tool.builder]: unknown keys {unknown}", f"known keys: {sorted(known)}")
    return BuildConfig(root=root, **section)


def load_pseudonym_key(cfg: BuildConfig) -> bytes:
    """The bytes of the pseudonym key file (stripped); a missing or short key is a BadConfig with the fix."""
    path = cfg.path(cfg.pseudonym_key)
    make = "python3 -c 'import secrets; print(secrets.token_hex(32))' > " + cfg.pseudonym_key
    try:
        key = path.read_bytes().strip()
    except FileNotFoundError:
        raise MissingInput(f"{cfg.pseudonym_key} not found (the secret of the annotator pseudonyms)",
                           f"restore it from git; a new corpus makes one with: {make}") from None  # fmt: skip
    except OSError as e:
        raise BadConfig(f"{cfg.pseudonym_key}: cannot be read ({e.strerror})", "make it a readable regular file") from None
    if len(key) < 32:
        raise BadConfig(f"{cfg.pseudonym_key} holds {len(key)} byte(s); a key needs at least 32",
                        f"make one with: {make} (every pseudonym changes with the key)")  # fmt: skip
    return key
