"""The committed dataset card is regenerated from a build and checked for staleness (the CI gate)."""

from __future__ import annotations

from pathlib import Path

from conftest import REPO, apply_edits

from builder.cli.main import app


def test_committed_card_is_up_to_date(cli) -> None:
    result = cli.invoke(app, ["card", "--check", "--root", str(REPO)])
    assert result.exit_code == 0, result.output
    assert "is up to date" in result.stdout


def test_stale_card_fails_check_and_regeneration_keeps_prose(cli, corpus: Path) -> None:
    card = corpus / "dataset_card.md"
    apply_edits(corpus, [{"file": "dataset_card.md", "replace_text": ["A small research corpus", "A SMALL research corpus"]}])
    apply_edits(corpus, [{"file": "annotations/registry.csv", "replace_text": ["AFP,ORG,media,এএফপি,এএফপি", "AFP,ORG,media,এএফপি,এ এফ পি|এএফপি"]}])
    before = card.read_bytes()
    stale = cli.invoke(app, ["card", "--check", "--root", str(corpus)])
    assert stale.exit_code == 1
    assert "is stale" in stale.stderr and "hint: run `builder card`" in stale.stderr
    assert card.read_bytes() == before  # --check writes nothing
    assert cli.invoke(app, ["card", "--root", str(corpus)]).exit_code == 0
    text = card.read_text(encoding="utf-8")
    assert "A SMALL research corpus" in text  # hand-written prose survives
    assert text.startswith("---\n") and "config_name: documents" in text
    assert cli.invoke(app, ["card", "--check", "--root", str(corpus)]).exit_code == 0
