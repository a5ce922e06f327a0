"""`builder build`: the pipeline with its parts written, the reduce, the card inputs (fingerprints, settings)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from builder.annotate.adjudicate import POLICY
from builder.config import BuildConfig
from builder.imports import paused_collector
from builder.release.finish import finish, into_folder
from builder.release.manifest import Manifest
from builder.run import pipeline
from builder.run.fork import can_fork, forked
from builder.run.hashmemo import OutputMemo
from builder.run.pipeline import Outcome
from builder.run.progress import Progress
from builder.write import plots
from builder.write.outfolder import refuse_inputs
from builder.write.shards import PARTS_DIR

if TYPE_CHECKING:
    from builder.release.card import CardInputs

PRETTY_NAME = "Bengali News: Entities, Source Attribution and Stance"


def card_inputs(cfg: BuildConfig, outcome: Outcome, folder: Path) -> CardInputs:
    """What the card says besides the data; writes folder/inputs.sha256 (builder.write.fingerprint) on the way."""
    with paused_collector():
        from builder.release.card import CardInputs  # datasets, unless the reduce's imports were done already
    from builder.write.fingerprint import write_manifest

    count, digest, listed = write_manifest(cfg, outcome.parts, folder)
    ratios = ", ".join(f"{k} {v}" for k, v in cfg.split_ratios.items())
    return CardInputs(
        prose_path=cfg.path(cfg.card_prose),
        license=cfg.license,
        pretty_name=PRETTY_NAME,
        input_fingerprints=listed,
        inputs_total=count,
        inputs_digest=digest,
        settings={
            "split": f"sha256(salt + doc_id) into {ratios} (salt {cfg.split_salt!r}); an explicit split in raw/sources.csv wins",
            "gold policy": POLICY,
            "documents not yet annotated (left out)": str(outcome.unannotated),
            "span offsets repaired (another offset convention)": str(sum(n.count for n in outcome.notices if n.code == "offsets-repaired")),
            "spans re-anchored (text changed after annotation)": str(sum(n.count for n in outcome.notices if n.code == "spans-reanchored")),
        },
        problems={},
        agreement=plots.agreement_markdown(outcome.stats.agreement, outcome.stats.annotated_docs, outcome.stats.annotations,
                                           agreed=outcome.stats.agreed, f1_sum=outcome.stats.agreement_f1),  # fmt: skip
        source_types={split: dict(sorted(counts.items())) for split, counts in outcome.stats.source_types.items() if counts},
    )


def _import_the_reduce() -> None:
    """What the reduce imports (the card's datasets, the figures' matplotlib), done while a rebuild's one
    changed shard runs in another process. Not during a whole build: the workers' memory is counted then.
    What these imports made lives until the build ends: frozen out of the collector's sight (paused_collector),
    a full collection triggered by the shards' results no longer walks hundreds of thousands of module objects."""
    plots.matplotlib_modules()
    with paused_collector():
        from builder.release import card  # noqa: F401  (imports datasets)
        from builder.write import assemble  # noqa: F401


def _figures(folder: Path, stats: Any, scheme: Any, splits: Any, memo: plots.Memo | None) -> set[str]:
    """The card's figures into folder/images/; the memo's figures they used (a forked child's memo is its own)."""
    plots.write_plots(folder, stats, scheme, splits, memo)
    return set() if memo is None else memo.used


def input_folders(cfg: BuildConfig) -> list[Path]:
    """Folders the build reads; the output may be none of them, inside none, and contain none."""
    folders = {cfg.path(cfg.raw_dir), cfg.path(cfg.text_dir), cfg.path(cfg.export_dir)}
    folders |= {cfg.path(cfg.labeling_config).parent, cfg.path(cfg.registry).parent}
    return sorted(folders)


def build(cfg: BuildConfig, out_dir: Path, progress: Progress | None = None, *, workers: int | None = None,
          engine: str = "local", cache: bool = True) -> tuple[Outcome, Manifest]:  # fmt: skip
    """Check and write the dataset folder in one pass: the map's shards write their parts into the temporary
    folder, the reduce assembles them there, and the folder is swapped in only if nothing failed.

    A problem anywhere raises InvalidCorpus (with every problem) and leaves out_dir as it was."""
    show = cfg.rel(out_dir)
    refuse_inputs(out_dir, input_folders(cfg), show)
    done: list[Outcome] = []

    def fill(tmp: Path) -> Manifest:
        outcome = pipeline.check(cfg, progress, workers=workers, engine=engine, parts=tmp / PARTS_DIR,
                                 cache=cfg.path(cfg.cache_dir) if cache else None, idle=_import_the_reduce)  # fmt: skip
        done.append(outcome)
        pipeline.require_clean(outcome)
        # Imported once the map's workers are gone: forked from a small process, each stays small.
        from builder.write import assemble

        if cache:
            from builder.run.cache import PLOTS

            memo.append(plots.Memo(cfg.path(cfg.cache_dir) / PLOTS, outcome.build_key))
        stats, scheme, splits = outcome.stats, outcome.scheme, outcome.splits
        inputs: list[CardInputs] = []

        def the_rest() -> None:
            inputs.append(card_inputs(cfg, outcome, tmp))
            assemble.write_artefacts(tmp, outcome.parts, stats, scheme, splits, license=cfg.license, figures=False)

        if can_fork():  # the figures in a child on the other core while this process hashes and concatenates
            used = forked(_figures, tmp, stats, scheme, splits, memo[0] if memo else None, idle=the_rest)
        else:
            the_rest()
            used = _figures(tmp, stats, scheme, splits, memo[0] if memo else None)
        if memo:
            memo[0].used |= used
        outputs = OutputMemo(cfg.path(cfg.cache_dir)) if cache else None
        return finish(tmp, outcome.parts, stats, scheme, inputs[0], outputs)

    memo: list[plots.Memo] = []
    manifest = into_folder(Path(out_dir), show, fill)
    if cache:
        from builder.run import cache as shard_cache

        shard_cache.prune(cfg.path(cfg.cache_dir), done[0].cache_keys)
        shard_cache.remember_build(cfg.path(cfg.cache_dir), done[0].build_key)
        memo[0].prune()
    return done[0], manifest
