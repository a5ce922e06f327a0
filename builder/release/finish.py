"""The reduce's last step: the parts' Parquet files placed under the Hub's shard names, then the card
(builder.release.card) from the merged statistics, and the manifest of every file written with its hash.
`write_dataset` is the same writer for rows that are already derived (tests, small tools).
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import builder
from builder import schema
from builder.errors import BuildError
from builder.release.manifest import Manifest
from builder.run.hashmemo import HashMemo
from builder.scheme import Scheme
from builder.write import outfolder, table
from builder.write import parts as parts_module
from builder.write.fingerprint import sha256_file
from builder.write.outfolder import UnsafeOutput  # noqa: F401 - re-exported: callers catch it from here
from builder.write.parts import Stats
from builder.write.shards import DATA_DIR, PARTS_DIR, SPLITS, place_parts

if TYPE_CHECKING:
    from builder.release.card import CardInputs

README = "README.md"


class InvalidRow(BuildError):
    """A row handed to the writer does not match the output schema."""


class EmptyDataset(BuildError):
    """The default config has no rows, so there is no dataset to write."""


def finish(root: Path, parts: Sequence[Path], stats: Stats, scheme: Scheme, inputs: CardInputs, memo: HashMemo | None = None) -> Manifest:
    """The data files of the parts into root/data/, then the card from the statistics. `memo`: digests of
    files an earlier build hashed (builder.run.hashmemo.OutputMemo), for the manifest of the folder's files."""
    from builder.release import card as card_module  # datasets and the Hub's card types: only once the map is done

    data_files = {config: place_parts(root, parts, f"{DATA_DIR}/{config}", f"{DATA_DIR}/{config}", ".parquet")
                  for config in schema.CONFIGS}  # fmt: skip
    if not stats.rows.get("documents"):
        raise EmptyDataset("no documents to write", "the documents config is the default config and needs rows")
    full = Stats(labels={config: parts_module.empty_labels(config, scheme, SPLITS) for config in schema.CONFIGS})
    full.merge(stats)  # every label of every config and split, zero where nothing was counted
    rows = {c: {s: stats.rows[c][s] for s in SPLITS if stats.rows.get(c, {}).get(s)} for c in schema.CONFIGS}
    manifest = Manifest(
        schema_version=schema.SCHEMA_VERSION,
        builder_version=builder.__version__,
        files=(),
        sha256={},
        file_bytes={},
        rows=rows,
        num_bytes={c: {s: stats.num_bytes[c][s] for s in rows[c]} for c in schema.CONFIGS},
        data_files={c: {s: data_files[c][s] for s in rows[c]} for c in schema.CONFIGS},
        empty_splits={c: tuple(s for s in SPLITS if s not in rows[c]) for c in schema.CONFIGS},
        labels=full.labels,
        outlets=dict(sorted(stats.outlets.items())),
    )
    shutil.rmtree(root / PARTS_DIR, ignore_errors=True)  # before the file list: the parts are not part of the release
    sizes = _sizes(root)
    manifest = _with_files(root, manifest, sizes, digests=False)  # the card needs the Parquet sizes, not hashes
    readme = card_module.render_readme(manifest, scheme, inputs)
    (root / README).write_text(readme, encoding="utf-8", newline="\n")
    sizes[README] = (root / README).stat().st_size  # the one file written since the listing
    return _with_files(root, manifest, sizes, memo=memo)


def write_dataset(
    out_dir: Path,
    configs: Mapping[str, Mapping[str, Iterable[dict]]],
    scheme: Scheme,
    *,
    card: CardInputs,
    extras: Sequence[Callable[[Path], None]] = (),
    show: str | None = None,
) -> Manifest:
    """Rows per config and split (in memory or streamed) plus README.md into out_dir, as one part.

    The build itself goes through the map's parts (builder.release.build); this is the same writer for rows
    that are already derived."""
    out_dir = Path(out_dir)
    show = show or out_dir.name or str(out_dir)
    _check_names(configs)

    def fill(tmp: Path) -> Manifest:
        part = tmp / PARTS_DIR / "00000"
        writer = parts_module.PartWriter(part, scheme, SPLITS, exports=False)
        for config in schema.CONFIGS:
            for split in SPLITS:
                chunk: list[dict] = []
                for row in configs.get(config, {}).get(split, ()):
                    chunk.append(row)
                    if len(chunk) == table.BATCH_ROWS:
                        writer.add_rows(config, split, chunk)
                        chunk = []
                writer.add_rows(config, split, chunk)
        summary = writer.close()
        if summary.problems:
            p = summary.problems[0]
            raise InvalidRow(f"{p.record}: at {p.pointer}: {p.message}",
                             "the stage that derives output rows produced a row outside builder/schema/fields.py; fix it there")  # fmt: skip
        for extra in extras:  # artefacts beside the data: swapped in together
            extra(tmp)
        return finish(tmp, [part], summary.stats, scheme, card)

    return into_folder(out_dir, show, fill)


def _check_names(configs: Mapping[str, Mapping[str, Iterable[dict]]]) -> None:
    unknown = [c for c in configs if c not in schema.CONFIGS]
    if unknown:
        raise ValueError(f"unknown config(s) {unknown}; expected some of {schema.CONFIGS}")
    for config, splits in configs.items():
        bad = [s for s in splits if s not in SPLITS]
        if bad:
            raise ValueError(f"config {config!r}: unknown split(s) {bad}; expected some of {SPLITS}")


def _sizes(root: Path) -> dict[str, int]:
    """Every file below root (repository-relative POSIX path) with its size; os.walk and strings, not
    pathlib: a dataset folder of 100k documents has thousands of files."""
    top = str(root)
    out: dict[str, int] = {}
    for folder, _, names in os.walk(top):
        rel = os.path.relpath(folder, top).replace(os.sep, "/")
        for name in names:
            st = os.stat(os.path.join(folder, name))
            if stat.S_ISREG(st.st_mode):
                out[name if rel == "." else f"{rel}/{name}"] = st.st_size
    return out


def _with_files(root: Path, manifest: Manifest, sizes: dict[str, int], digests: bool = True, memo: HashMemo | None = None) -> Manifest:
    files = sorted(sizes)
    return replace(
        manifest,
        files=tuple(files),
        sha256=_digests(root, files, memo) if digests else {},
        file_bytes={f: sizes[f] for f in files},
    )


def _digests(root: Path, files: list[str], memo: HashMemo | None = None) -> dict[str, str]:
    """sha256 of every file, on all cores: hashlib lets go of the GIL while it hashes, so threads suffice.
    A file the memo vouches for (a cached shard's, linked again) is not read."""
    from concurrent.futures import ThreadPoolExecutor

    from builder.run.engine import default_workers

    digest = (lambda f: sha256_file(root / f)) if memo is None else (lambda f: memo.sha(root / f))
    with ThreadPoolExecutor(min(default_workers(), 8)) as pool:
        out = dict(zip(files, pool.map(digest, files)))
    if memo is not None:
        memo.save()
    return out


def into_folder(out_dir: Path, show: str, fill: Callable[[Path], Manifest]) -> Manifest:
    """Run `fill(tmp)` on a fresh temporary folder beside out_dir, then swap it in (builder.write.outfolder).

    On any failure the temporary folder goes and out_dir stays as it was: never a half-written folder."""
    try:
        with outfolder.locked(out_dir) as notes:
            target = outfolder.classify(out_dir, show)
            # Same parent as out_dir, so the final rename never crosses a filesystem.
            tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
            try:
                os.chmod(tmp, 0o755)  # mkdtemp makes it 0700; the published folder should be readable
                manifest = fill(tmp)
                outfolder.write_marker(tmp)
                notes += outfolder.swap_in(tmp, target)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
    except OSError as e:
        raise outfolder.write_error(e, show) from None
    return replace(manifest, notes=tuple(notes))
