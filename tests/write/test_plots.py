"""builder.write.plots: deterministic PNG figures referenced from the card, and entity agreement between annotators."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from conftest import copy_inputs

from builder.config import load_config
from builder.release import build, card
from builder.run import pipeline
from builder.write import plots

ALWAYS = sorted(n for n in plots.FIGURES if n != "entity_agreement.png")  # that one needs two annotators
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, pipeline.Outcome]:
    """The repository's corpus built twice into two folders."""
    root = copy_inputs(tmp_path_factory.mktemp("corpus"))
    cfg = load_config(root)
    outcome = pipeline.check(cfg, keep_rows=True)
    pipeline.require_clean(outcome)
    first, second = root / "out" / "one", root / "out" / "two"
    build.build(cfg, first)
    build.build(cfg, second)
    return first, second, outcome


def test_two_builds_give_identical_pngs(built: tuple[Path, Path, pipeline.Outcome]) -> None:
    first, second, _ = built
    names = sorted(p.name for p in (first / plots.IMAGES_DIR).glob("*.png"))
    assert names == ALWAYS
    for name in names:
        assert (first / plots.IMAGES_DIR / name).read_bytes() == (second / plots.IMAGES_DIR / name).read_bytes(), name


def test_pngs_are_valid_and_carry_no_version(built: tuple[Path, Path, pipeline.Outcome]) -> None:
    first, _, _ = built
    for name in ALWAYS:
        data = (first / plots.IMAGES_DIR / name).read_bytes()
        assert data.startswith(PNG_SIGNATURE), name
        assert len(data) > 5_000, name  # a real chart, not an empty canvas
        assert b"matplotlib" not in data.lower() and b"tIME" not in data, name


def test_writing_again_in_the_same_process_is_identical(built: tuple[Path, Path, pipeline.Outcome], tmp_path: Path) -> None:
    first, _, outcome = built
    plots.write_plots(tmp_path, outcome.stats, outcome.scheme, outcome.splits)
    for name in ALWAYS:
        assert (tmp_path / plots.IMAGES_DIR / name).read_bytes() == (first / plots.IMAGES_DIR / name).read_bytes(), name


def test_a_figure_already_drawn_is_copied_and_a_changed_one_drawn(built: tuple[Path, Path, pipeline.Outcome], tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    first, _, outcome = built
    memo = plots.Memo(tmp_path / "memo", "salt")
    plots.write_plots(tmp_path / "a", outcome.stats, outcome.scheme, outcome.splits, memo)
    assert len(memo.used) == len(ALWAYS) and sorted(p.name for p in memo.folder.iterdir()) == sorted(memo.used)
    drawn: list[str] = []
    real = plots._bars
    monkeypatch.setattr(plots, "_bars", lambda path, **figure: (drawn.append(path.name), real(path, **figure)))
    fewer = dataclasses.replace(outcome.stats, stance={})  # one figure shows other numbers, the rest the same
    again = plots.Memo(tmp_path / "memo", "salt")
    plots.write_plots(tmp_path / "b", fewer, outcome.scheme, outcome.splits, again)
    assert drawn == ["stance_targets.png"]
    for name in ALWAYS:
        assert (tmp_path / "b" / plots.IMAGES_DIR / name).read_bytes() == (first / plots.IMAGES_DIR / name).read_bytes() or name == drawn[0]
    again.prune()  # the old stance figure was not shown this time
    assert sorted(p.name for p in memo.folder.iterdir()) == sorted(again.used) and len(again.used) == len(ALWAYS)
    other = plots.Memo(tmp_path / "memo", "another build key")
    assert other.key({"title": "x"}) != again.key({"title": "x"})


def test_readme_references_each_image_and_each_reference_exists(built: tuple[Path, Path, pipeline.Outcome]) -> None:
    first, _, _ = built
    readme = (first / "README.md").read_text(encoding="utf-8")
    block = readme.split(card.marker("PLOTS"))[1].split(card.marker("PLOTS", end=True))[0]
    referenced = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", readme)
    assert referenced, "no image referenced"
    for rel in referenced:
        assert not rel.startswith(("/", "http")) and (first / rel).is_file(), rel
    for name in ALWAYS:
        assert f"({plots.IMAGES_DIR}/{name})" in block, name
    assert "entity_agreement.png" not in block  # one annotator per document
    assert card.marker("AGREEMENT") in readme and card.marker("AGREEMENT", end=True) in readme


def test_plots_block_without_figures_says_so() -> None:
    manifest = type("M", (), {"files": ("README.md",)})()
    assert card._plots_block(manifest) == "No figures in this build."


# --- agreement ------------------------------------------------------------------------------------


def _entities(*spans: tuple[int, int, str]) -> list[dict]:
    return [{"id": f"e{i}", "start": s, "end": e, "text": "x" * (e - s), "label": lab, "entity_id": None} for i, (s, e, lab) in enumerate(spans)]


FOUR = [(0, 5, "PER"), (10, 14, "GPE"), (20, 30, "ORG"), (40, 44, "NORP")]


def _ann(doc: str, ann_id: int, annotator: str, spans: list[tuple[int, int, str]], in_gold: bool = False) -> dict:
    return {"doc_id": doc, "annotation_id": ann_id, "annotator": annotator, "in_gold": in_gold, "entities": _entities(*spans)}


def test_identical_annotations_agree_fully() -> None:
    [doc] = plots.entity_agreement([_ann("d1", 1, "a", FOUR, True), _ann("d1", 2, "b", FOUR)])
    assert (doc.doc_id, doc.annotations, doc.annotators, doc.pairs, doc.f1) == ("d1", 2, 2, 1, 1.0)


def test_one_entity_dropped_out_of_four() -> None:
    [doc] = plots.entity_agreement([_ann("d1", 1, "a", FOUR), _ann("d1", 2, "b", FOUR[:3])])
    assert doc.f1 == pytest.approx(6 / 7)  # P 1, R 3/4


def test_label_or_offset_mismatch_counts_as_disagreement() -> None:
    other = [(0, 5, "ORG"), (10, 15, "GPE"), *FOUR[2:]]
    [doc] = plots.entity_agreement([_ann("d1", 1, "a", FOUR), _ann("d1", 2, "b", other)])
    assert doc.f1 == pytest.approx(0.5)


def test_three_annotators_average_their_pairs_and_documents_stay_apart() -> None:
    rows = [
        _ann("d1", 1, "a", FOUR),
        _ann("d1", 2, "b", FOUR),
        _ann("d1", 3, "c", FOUR[:3]),
        _ann("d2", 4, "a", FOUR),  # one annotation: no agreement for d2
    ]
    [doc] = plots.entity_agreement(rows)
    assert doc.doc_id == "d1" and doc.pairs == 3
    assert doc.f1 == pytest.approx((1 + 6 / 7 + 6 / 7) / 3)


def test_same_annotator_twice_is_not_agreement() -> None:
    assert plots.entity_agreement([_ann("d1", 1, "a", FOUR), _ann("d1", 2, "a", FOUR[:1])]) == []


def test_both_empty_agree() -> None:
    assert plots.span_f1([], []) == 1.0 and plots.span_f1([], _entities(FOUR[0])) == 0.0


def test_agreement_markdown_with_and_without_several_annotators(built: tuple[Path, Path, pipeline.Outcome]) -> None:
    _, _, outcome = built
    stats = outcome.stats
    single = plots.agreement_markdown(stats.agreement, stats.annotated_docs, stats.annotations)
    assert "one annotator only" in single and "2 document(s)" in single

    rows = [_ann("d1", 1, "a", FOUR, True), _ann("d1", 2, "b", FOUR[:3]), _ann("d2", 3, "a", FOUR)]
    text = plots.agreement_markdown(plots.entity_agreement(rows), 2, 3)
    assert "1 of 2" in text and "**0.857**" in text and "| `d1` | 2 | 2 | 1 | 0.857 |" in text


def test_agreement_block_in_readme(built: tuple[Path, Path, pipeline.Outcome]) -> None:
    first, _, outcome = built
    readme = (first / "README.md").read_text(encoding="utf-8")
    block = readme.split(card.marker("AGREEMENT"))[1].split(card.marker("AGREEMENT", end=True))[0].strip()
    # build.card_inputs passes plots.agreement_markdown as CardInputs.agreement; without it the block says so.
    stats = outcome.stats
    fresh = plots.agreement_markdown(stats.agreement, stats.annotated_docs, stats.annotations)
    assert block in (fresh, "Inter-annotator agreement was not computed for this build.")
    filled = card.fill_blocks(
        f"a\n{card.marker('AGREEMENT')}\nold\n{card.marker('AGREEMENT', end=True)}\nb\n",
        {"AGREEMENT": fresh},
    )
    assert "one annotator only" in filled and "old" not in filled


def test_agreement_figure_with_two_annotators(built: tuple[Path, Path, pipeline.Outcome], tmp_path: Path) -> None:
    _, _, outcome = built
    stats = dataclasses.replace(outcome.stats, agreement=plots.entity_agreement([_ann("d1", 1, "a", FOUR, True), _ann("d1", 2, "b", FOUR[:3])]))
    one, two = tmp_path / "one", tmp_path / "two"
    written = plots.write_plots(one, stats, outcome.scheme, outcome.splits)
    plots.write_plots(two, stats, outcome.scheme, outcome.splits)
    assert sorted(p.name for p in written) == sorted(plots.FIGURES)
    data = (one / plots.IMAGES_DIR / "entity_agreement.png").read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 5_000
    assert data == (two / plots.IMAGES_DIR / "entity_agreement.png").read_bytes()
    manifest = type("M", (), {"files": tuple(f"{plots.IMAGES_DIR}/{n}" for n in plots.FIGURES)})()
    assert card._plots_block(manifest).count("](images/") == len(plots.FIGURES)


def test_agreement_is_counted_for_every_document_but_kept_for_the_first_only() -> None:
    """The statistics hold at most KEEP_AGREEMENT documents however large the corpus; mean and count cover all."""
    from builder.write.parts import Stats

    total = Stats()
    for shard in range(3):
        part = Stats()
        for k in range(150):
            d = plots.DocAgreement(f"d{shard}-{k:03d}", 2, 2, 1, 0.5 if k % 2 else 1.0)
            part.agreement.append(d)
            part.agreed += 1
            part.agreement_f1 += d.f1
        total.merge(part)
    assert total.agreed == 450 and len(total.agreement) == plots.KEEP_AGREEMENT
    assert [d.doc_id for d in total.agreement[:2]] == ["d0-000", "d0-001"] and total.agreement[-1].doc_id == "d1-049"
    text = plots.agreement_markdown(total.agreement, 500, 1000, agreed=total.agreed, f1_sum=total.agreement_f1)
    assert "Documents with two or more annotators: 450 of 500; mean pairwise entity F1: **0.750**." in text
    assert f"{450 - plots.MAX_AGREEMENT_ROWS} more not listed" in text
