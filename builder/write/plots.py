"""Figures of the dataset (PNG, into `images/` of the dataset folder) and inter-annotator agreement.

The PNGs are deterministic: Agg backend, matplotlib's default style (no user matplotlibrc), fixed
size and dpi, and no Software/date metadata, so two builds from the same rows give the same bytes
(with the same matplotlib and FreeType versions). Labels are English and registry ids: the build
machine has no Bengali font.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import os
import shutil
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from builder.imports import paused_collector

IMAGES_DIR = "images"
# file name -> caption, in the order the card shows them
FIGURES: dict[str, str] = {
    "entity_labels.png": "Entity labels per split (documents config, gold entities)",
    "attribution_source_types.png": "Attributions per source type (attribution config)",
    "stance_targets.png": "Stance labels per target (stance config)",
    # only when some document has annotations by two or more annotators:
    "entity_agreement.png": "Entity agreement per document (mean pairwise F1)",
}
_SIZE = (8.0, 4.5)  # inches
_DPI = 100
ENTITY_LABELS = "entities[].label"  # the label path of the documents config counted by the writer
KEEP_AGREEMENT = 200  # documents the statistics keep one by one (the card's table); the rest are counted
MAX_AGREEMENT_BARS = 40  # one bar per document: beyond this the figure is unreadable; the card table has them all
MAX_AGREEMENT_ROWS = KEEP_AGREEMENT  # rows of the card's per-document agreement table
_SPLIT_COLOURS = ("#4c72b0", "#dd8452", "#55a868", "#c44e52")
_STANCE_COLOURS = {"FAVOR": "#55a868", "AGAINST": "#c44e52", "NONE": "#8c8c8c"}

# --- figures --------------------------------------------------------------------------------------


class Memo:
    """Figures drawn by earlier builds, by what they show: a rebuild whose counts did not change copies the PNG
    instead of drawing it again. `salt`: what else the bytes depend on (the build's cache key)."""

    def __init__(self, folder: Path, salt: str) -> None:
        from importlib.metadata import version  # not `import matplotlib`: with every figure kept, none is drawn

        self.folder, self.salt = Path(folder), f"{salt}\0{version('matplotlib')}"
        self.used: set[str] = set()

    def key(self, figure: Mapping[str, Any]) -> str:
        return hashlib.sha256((self.salt + repr(sorted(figure.items()))).encode()).hexdigest() + ".png"

    def prune(self) -> None:
        """Drop the figures this build did not show."""
        for path in self.folder.glob("*.png") if self.folder.is_dir() else ():
            if path.name not in self.used:
                path.unlink(missing_ok=True)


def write_plots(folder: Path, stats: Any, scheme: Any, splits: Sequence[str], memo: Memo | None = None) -> list[Path]:
    """Write every figure of FIGURES into folder/images/ from the reduced statistics (builder.write.parts.Stats)."""
    _bars = functools.partial(_figure, memo=memo)
    splits = [s for s in splits if stats.rows.get("documents", {}).get(s)]
    out = Path(folder) / IMAGES_DIR
    out.mkdir(parents=True, exist_ok=True)

    entity = stats.labels.get("documents", {}).get(ENTITY_LABELS, {})
    _bars(
        out / "entity_labels.png",
        categories=list(scheme.entity_labels),
        series={s: [entity.get(s, {}).get(label, 0) for label in scheme.entity_labels] for s in splits},
        colours=dict(zip(splits, itertools.cycle(_SPLIT_COLOURS))),
        title=FIGURES["entity_labels.png"],
        xlabel="entity label",
        ylabel="mentions",
        stacked=False,
    )

    by_type = {s: stats.source_types.get(s, {}) for s in splits}
    types = sorted(set().union(*by_type.values())) if by_type else []
    _bars(
        out / "attribution_source_types.png",
        categories=types,
        series={s: [by_type[s].get(t, 0) for t in types] for s in splits},
        colours=dict(zip(splits, itertools.cycle(_SPLIT_COLOURS))),
        title=FIGURES["attribution_source_types.png"],
        xlabel="source type",
        ylabel="attributions",
        stacked=True,
    )

    stance = stats.stance
    targets = [t for t in scheme.stance_targets if any(stance.get((t, lab)) for lab in scheme.stance_labels)]
    _bars(
        out / "stance_targets.png",
        categories=targets,
        series={lab: [stance.get((t, lab), 0) for t in targets] for lab in scheme.stance_labels},
        colours={lab: _STANCE_COLOURS.get(lab, "#937860") for lab in scheme.stance_labels},
        title=FIGURES["stance_targets.png"],
        xlabel="target (registry id)",
        ylabel="stance rows",
        stacked=True,
        horizontal=True,
    )
    written = [out / name for name in FIGURES if name != "entity_agreement.png"]

    per_doc = stats.agreement[:MAX_AGREEMENT_BARS]
    agreed = max(stats.agreed, len(stats.agreement))
    if per_doc:
        _bars(
            out / "entity_agreement.png",
            categories=[d.doc_id for d in per_doc],
            series={"mean pairwise F1": [d.f1 for d in per_doc]},
            colours={"mean pairwise F1": _SPLIT_COLOURS[0]},
            title=FIGURES["entity_agreement.png"] + (f" (first {MAX_AGREEMENT_BARS} of {agreed})" if agreed > MAX_AGREEMENT_BARS else ""),
            xlabel="document",
            ylabel="F1 (span and label, exact match)",
            stacked=True,
            horizontal=True,
            integer=False,
        )
        written.append(out / "entity_agreement.png")
    return written


@functools.cache
def matplotlib_modules() -> tuple[Any, Any, Any, Any]:
    """What the figures use of matplotlib, imported once (a rebuild's builder does it ahead, while its changed
    shard runs) and before any figure exists: a drawn figure holds reference cycles, which the freeze after a
    paused-collector import would otherwise keep for good."""
    with paused_collector():
        import matplotlib
        import matplotlib.style  # the Agg canvas below is used directly, never pyplot's global state
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.ticker import MaxNLocator
    return matplotlib, FigureCanvasAgg, Figure, MaxNLocator


def _figure(path: Path, *, memo: Memo | None, **figure: Any) -> None:
    """_bars(path, **figure), or its PNG from the memo when the same figure was drawn before."""
    if memo is None:
        return _bars(path, **figure)
    name = memo.key(figure)
    memo.used.add(name)
    kept = memo.folder / name
    try:
        shutil.copyfile(kept, path)
        return None
    except OSError:
        pass  # not drawn yet
    _bars(path, **figure)
    try:
        memo.folder.mkdir(parents=True, exist_ok=True)
        tmp = kept.with_name(f".{name}.{os.getpid()}")
        shutil.copyfile(path, tmp)
        os.replace(tmp, kept)
    except OSError:
        pass  # a memo that cannot be written only costs drawing
    return None


def _bars(
    path: Path,
    *,
    categories: list[str],
    series: Mapping[str, list[float]],
    colours: Mapping[str, str],
    title: str,
    xlabel: str,
    ylabel: str,
    stacked: bool,
    horizontal: bool = False,
    integer: bool = True,
) -> None:
    matplotlib, FigureCanvasAgg, Figure, MaxNLocator = matplotlib_modules()
    with matplotlib.style.context("default"), matplotlib.rc_context({"font.family": "DejaVu Sans"}):
        fig = Figure(figsize=_SIZE, dpi=_DPI)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        positions = list(range(len(categories)))
        n = max(len(series), 1)
        width = 0.8 if stacked else 0.8 / n
        base = [0] * len(categories)
        for i, (name, values) in enumerate(series.items()):
            offset = list(positions) if stacked else [p - 0.4 + width * (i + 0.5) for p in positions]
            if horizontal:
                ax.barh(offset, values, height=width, left=base if stacked else None, label=name, color=colours[name])
            else:
                ax.bar(offset, values, width=width, bottom=base if stacked else None, label=name, color=colours[name])
            if stacked:
                base = [b + v for b, v in zip(base, values)]
        if horizontal:
            ax.set_yticks(positions, categories)
            ax.invert_yaxis()
            ax.set_xlabel(ylabel)
            ax.set_ylabel(xlabel)
            ax.xaxis.set_major_locator(MaxNLocator(integer=integer))
            if not integer:
                ax.set_xlim(0, 1)
        else:
            ax.set_xticks(positions, categories)
            ax.set_xlabel(xlabel)
            ax.set_ylabel(ylabel)
            ax.yaxis.set_major_locator(MaxNLocator(integer=integer))
        if not categories:
            ax.text(0.5, 0.5, "no rows", ha="center", va="center", transform=ax.transAxes)
        ax.set_title(title)
        if len(series) > 1 and categories:
            ax.legend(frameon=False)
        fig.tight_layout()
        fig.savefig(path, format="png", dpi=_DPI, metadata={"Software": None})


# --- agreement ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DocAgreement:
    doc_id: str
    annotations: int
    annotators: int
    pairs: int
    f1: float  # mean pairwise F1 over pairs of annotations by different annotators


def span_f1(a: Iterable[Mapping[str, Any]], b: Iterable[Mapping[str, Any]]) -> float:
    """Exact-match F1 of two entity lists: an entity is (start, end, label); 1.0 when both are empty."""
    sa = {(e["start"], e["end"], e["label"]) for e in a}
    sb = {(e["start"], e["end"], e["label"]) for e in b}
    if not sa and not sb:
        return 1.0
    return 2 * len(sa & sb) / (len(sa) + len(sb))


def doc_agreement(doc_id: str, rows: Iterable[Mapping[str, Any]]) -> DocAgreement | None:
    """Mean pairwise entity F1 of one document's `annotations` rows; None below two annotators.

    Pairs of annotations by the same annotator are not compared: that would be self-agreement."""
    anns = sorted(rows, key=lambda r: r["annotation_id"])
    scores = [span_f1(x["entities"], y["entities"]) for x, y in itertools.combinations(anns, 2) if x["annotator"] != y["annotator"]]
    if not scores:
        return None
    return DocAgreement(doc_id, len(anns), len({r["annotator"] for r in anns}), len(scores), sum(scores) / len(scores))


def entity_agreement(rows: Iterable[Mapping[str, Any]]) -> list[DocAgreement]:
    """doc_agreement of every document of `annotations` rows (any splits, any order), by doc_id."""
    by_doc: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for row in rows:
        by_doc[row["doc_id"]].append(row)
    found = (doc_agreement(doc_id, by_doc[doc_id]) for doc_id in sorted(by_doc))
    return [d for d in found if d is not None]


def agreement_markdown(per_doc: Sequence[DocAgreement], docs: int, annotations: int, *, agreed: int | None = None,
                       f1_sum: float | None = None) -> str:  # fmt: skip
    """The card's AGREEMENT block: `per_doc` for documents with two or more annotators, of `docs`
    documents with `annotations` annotations in all (builder.write.parts.Stats). `agreed` and `f1_sum`:
    how many such documents there are and the sum of their F1, when `per_doc` is only the first of them."""
    agreed = len(per_doc) if agreed is None else agreed
    f1_sum = sum(d.f1 for d in per_doc) if f1_sum is None else f1_sum
    if not agreed:
        return (
            f"Every document has annotations by one annotator only ({docs} document(s), {annotations} annotation(s)), "
            "so inter-annotator agreement cannot be measured yet."
        )
    mean = f1_sum / agreed
    out = [
        "Entity agreement: for each pair of annotations of a document by different annotators, the F1 of "
        "their entities with exact match of span (start, end) and label; averaged over the pairs of a "
        "document, then over documents.",
        "",
        f"Documents with two or more annotators: {agreed} of {docs}; mean pairwise entity F1: **{mean:.3f}**.",
        "",
        "| document | annotations | annotators | pairs | mean F1 |",
        "|---|---|---|---|---|",
    ]
    out += [f"| `{d.doc_id}` | {d.annotations} | {d.annotators} | {d.pairs} | {d.f1:.3f} |" for d in per_doc[:MAX_AGREEMENT_ROWS]]
    if agreed > MAX_AGREEMENT_ROWS:
        out += ["", f"(the first {MAX_AGREEMENT_ROWS} documents by doc_id; {agreed - MAX_AGREEMENT_ROWS} more not listed)"]
    return "\n".join(out)
