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


def test_a_rebuilds_file_digests_come_from_the_memo_and_are_right(corpus: Path, tmp_path: Path, monkeypatch) -> None:
    """The manifest's sha256 of every file: a cached shard's files are linked again, not read again."""
    import hashlib

    from builder.config import load_config
    from builder.release import build
    from builder.run import hashmemo

    monkeypatch.setattr(hashmemo, "RACY_NS", -10**12)  # files count as settled at once
    cfg = load_config(corpus)
    build.build(cfg, tmp_path / "out")
    hashed: list[Path] = []
    real_sha = hashmemo.sha256_file
    monkeypatch.setattr(hashmemo, "sha256_file", lambda p: hashed.append(p) or real_sha(p))
    _, manifest = build.build(cfg, tmp_path / "out")
    out = tmp_path / "out"
    assert manifest.sha256 == {f: hashlib.sha256((out / f).read_bytes()).hexdigest() for f in manifest.files}
    assert any(p.name == "README.md" for p in hashed)  # written anew by every build: hashed
    assert any(f.endswith(".parquet") for f in manifest.files)
    assert not [p for p in hashed if p.suffix == ".parquet"]  # linked from the cache again: vouched for
