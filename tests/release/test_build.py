"""`builder build` as a whole: the figures drawn beside the rest of the reduce, and their memo."""

from __future__ import annotations

from pathlib import Path

from builder.cli.main import app


def test_figures_are_drawn_and_remembered_for_the_next_build(cli, corpus: Path, tmp_path: Path) -> None:
    """The figures are drawn in a forked child while the builder writes the rest; the memo keeps exactly
    the figures the build shows (the child's memo is handed back: a lost one would be pruned)."""
    out = tmp_path / "out"
    for _ in range(2):
        result = cli.invoke(app, ["build", "--root", str(corpus), "--out", str(out), "--quiet"])
        assert result.exit_code == 0, result.output
        images = {p.read_bytes() for p in (out / "images").glob("*.png")}
        kept = {p.read_bytes() for p in (corpus / "build/cache/plots").glob("*.png")}
        assert len(images) >= 3 and kept == images
