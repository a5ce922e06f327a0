"""The reduce beside the data: the parts' exports, browser records and statistics → files of the dataset folder.

Every part is read in rank order (doc_id order) and streamed, so nothing here holds the corpus:
CoNLL and JSONL parts are concatenated, DocBins and browser pages keep their files per shard (the index
and the page list are written here), and the figures and Croissant metadata come from the merged statistics (builder.write.parts.Stats).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from builder import schema
from builder.scheme import Scheme
from builder.write import browser, croissant, exports, plots
from builder.write.parts import Stats
from builder.write.shards import place_parts

EXPORTS = exports.EXPORTS


def _concat(sources: Sequence[Path], target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as out:
        for path in sources:
            with path.open("rb") as f:
                _append(f, out)


def _append(f, out) -> None:
    """The rest of file f onto out: inside the kernel where it can (copy_file_range), else through Python."""
    copy = getattr(os, "copy_file_range", None)
    if copy is not None:
        try:
            while copy(f.fileno(), out.fileno(), 1 << 30):
                pass
            return
        except OSError:  # another filesystem, or one that cannot: the portable way, from where it stopped
            pass
    shutil.copyfileobj(f, out, 1 << 20)


def _of_parts(parts: Sequence[Path], rel: str) -> list[Path]:
    """`<part>/<rel>` of every part that wrote one, in rank order."""
    return [p / rel for p in parts if (p / rel).is_file()]


def write_artefacts(root: Path, parts: Sequence[Path], stats: Stats, scheme: Scheme, splits: Sequence[str], *,
                    license: str, memo: plots.Memo | None = None, figures: bool = True) -> None:  # fmt: skip
    """exports/ (CoNLL, DocBin, attributions.jsonl), croissant.json, browser/ and (`figures`) images/ into root."""
    for split in splits:
        found = _of_parts(parts, f"conll/{split}.conll")
        if found:
            _concat(found, root / EXPORTS / "conll" / f"{split}.conll")
    place_parts(root, parts, "spacy", f"{EXPORTS}/spacy", ".spacy")
    _concat([path for split in splits for path in _of_parts(parts, f"attributions/{split}.jsonl")], root / EXPORTS / "attributions.jsonl")
    configs = [c for c in schema.CONFIGS if any(stats.rows.get(c, {}).values())]
    croissant.write_croissant(root, configs, scheme, license=license)
    browser.place_pages(root, parts)
    if figures:
        plots.write_plots(root, stats, scheme, splits, memo)
