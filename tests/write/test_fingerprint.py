"""inputs.sha256: every input file of a build with its SHA-256, the shards' hashes merged with the rest."""

from __future__ import annotations

import hashlib
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from builder.config import load_config
from builder.release import build
from builder.write.fingerprint import MANIFEST, key


def _expected(root: Path) -> str:
    cfg = load_config(root)
    files = [cfg.path(cfg.labeling_config), cfg.path(cfg.registry)]
    for rel in (cfg.raw_dir, cfg.text_dir, cfg.export_dir):
        files += [p for p in cfg.path(rel).rglob("*") if p.is_file()]
    return "".join(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(root).as_posix()}\n" for p in sorted(set(files)))


def test_the_manifest_lists_every_input_with_its_hash(corpus: Path, tmp_path: Path) -> None:
    (corpus / "raw" / "notes").mkdir()
    (corpus / "raw" / "notes" / "README.txt").write_text("not a capture\n", encoding="utf-8")  # no document's file
    _, manifest = build.build(load_config(corpus), tmp_path / "ds")
    text = (tmp_path / "ds" / MANIFEST).read_text(encoding="utf-8")
    assert text == _expected(corpus)
    assert "raw/notes/README.txt" in text and MANIFEST in manifest.files


def test_many_shards_give_the_same_manifest_and_a_long_list_is_summarised(cli, tmp_path: Path) -> None:
    from replicate import make_corpus, set_settings

    from builder.cli.main import app

    root = tmp_path / "corpus"
    make_corpus(root, 60, {"shard_docs": 7})
    assert cli.invoke(app, ["build", "--root", str(root), "--out", str(tmp_path / "a"), "--quiet"]).exit_code == 0
    set_settings(root, {"shard_docs": 1000})
    assert cli.invoke(app, ["build", "--root", str(root), "--out", str(tmp_path / "b"), "--quiet"]).exit_code == 0
    a, b = ((tmp_path / d / MANIFEST).read_text(encoding="utf-8") for d in "ab")
    assert a == b
    lines = a.splitlines()
    assert len(lines) > 100 and a == _expected(root)
    readme = (tmp_path / "b" / "README.md").read_text(encoding="utf-8")
    assert f"Inputs: {len(lines)} files" in readme and hashlib.sha256(a.encode()).hexdigest() in readme


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.text(alphabet="-./_ a0Zকখ\x01~", min_size=1, max_size=4).filter(lambda c: "/" not in c),
                         min_size=1, max_size=4), min_size=2, max_size=12))  # fmt: skip
def test_the_path_key_orders_as_pathlib_compares_components(paths: list[list[str]]) -> None:
    rels = ["/".join(p) for p in paths]
    assert sorted(rels, key=key) == sorted(rels, key=lambda r: tuple(r.split("/")))
