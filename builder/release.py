"""A checked Outcome → the dataset folder: rows, card inputs (fingerprints, settings) and manifest."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from builder.card import CardInputs
from builder.config import BuildConfig
from builder import browser, exports, plots
from builder.adjudicate import POLICY
from builder.pipeline import Outcome
from builder.outfolder import refuse_inputs
from builder.write import Manifest, write_dataset

PRETTY_NAME = "Bengali News: Entities, Source Attribution and Stance"


def fingerprints(cfg: BuildConfig) -> dict[str, str]:
    """sha256 of every input file, so a reader can tell which inputs a release was built from."""
    roots = [cfg.raw_dir, cfg.text_dir, cfg.export_dir]
    files = [cfg.path(cfg.labeling_config), cfg.path(cfg.registry)]
    for rel in roots:
        files += [p for p in cfg.path(rel).rglob("*") if p.is_file()]
    return {cfg.rel(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(set(files))}


def card_inputs(cfg: BuildConfig, outcome: Outcome) -> CardInputs:
    ratios = ", ".join(f"{k} {v}" for k, v in cfg.split_ratios.items())
    return CardInputs(
        prose_path=cfg.path(cfg.card_prose),
        license=cfg.license,
        pretty_name=PRETTY_NAME,
        input_fingerprints=fingerprints(cfg),
        settings={
            "split": f"sha256(salt + doc_id) into {ratios} (salt {cfg.split_salt!r}); an explicit split in raw/sources.csv wins",
            "gold policy": POLICY,
            "documents not yet annotated (left out)": str(len(outcome.unannotated)),
            "span offsets repaired (another offset convention)": str(sum(n.count for n in outcome.notices if n.code == "offsets-repaired")),
            "spans re-anchored (text changed after annotation)": str(sum(n.count for n in outcome.notices if n.code == "spans-reanchored")),
        },
        problems={},
        agreement=plots.agreement_markdown(outcome.rows),
        source_types={
            split: dict(Counter(row["source_type"] for row in rows))
            for split, rows in outcome.rows["attribution"].items() if rows
        },
    )


def extras(cfg: BuildConfig, outcome: Outcome) -> list[Callable[[Path], None]]:
    """Artefacts written into the dataset folder beside the data, each `f(folder)`."""
    return [
        lambda folder: browser.write_browser(folder, outcome),
        exports.extra(cfg.license, outcome),
        lambda folder: plots.write_plots(folder, outcome),
    ]


def input_folders(cfg: BuildConfig) -> list[Path]:
    """Folders the build reads; the output may be none of them, inside none, and contain none."""
    folders = {cfg.path(cfg.raw_dir), cfg.path(cfg.text_dir), cfg.path(cfg.export_dir)}
    folders |= {cfg.path(cfg.labeling_config).parent, cfg.path(cfg.registry).parent}
    return sorted(folders)


def write(cfg: BuildConfig, outcome: Outcome, out_dir: Path) -> Manifest:
    show = cfg.rel(out_dir)
    refuse_inputs(out_dir, input_folders(cfg), show)
    return write_dataset(out_dir, outcome.rows, outcome.scheme, card=card_inputs(cfg, outcome),
                         extras=extras(cfg, outcome), show=show)  # fmt: skip
