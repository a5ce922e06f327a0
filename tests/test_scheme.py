"""Labeling config + registry → Scheme; a config the builder cannot use is refused with its reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.errors import BadConfig
from builder.scheme import load_scheme, surface_key

REPO = Path(__file__).resolve().parents[1]
CONFIG = (REPO / "annotations/labeling_config.xml").read_text(encoding="utf-8")
REGISTRY = (REPO / "annotations/registry.csv").read_text(encoding="utf-8")


def _load(tmp_path: Path, config: str = CONFIG, registry: str = REGISTRY):
    (tmp_path / "c.xml").write_text(config, encoding="utf-8")
    (tmp_path / "r.csv").write_text(registry, encoding="utf-8")
    return load_scheme(tmp_path / "c.xml", tmp_path / "r.csv")


def test_order_of_labels_comes_from_the_config(tmp_path: Path) -> None:
    scheme = _load(tmp_path)
    assert scheme.entity_labels == ("PER", "ORG", "GPE", "LOC", "NORP", "EVENT")
    assert scheme.bio_tags[:3] == ("O", "B-PER", "I-PER")
    assert scheme.stance_labels == ("FAVOR", "AGAINST", "NONE")
    assert scheme.attribution_types == ("direct", "indirect", "mixed")


def test_aliases_link_through_nbsp_and_quotes(tmp_path: Path) -> None:
    scheme = _load(tmp_path)
    assert scheme.link("ভ্লাদিমির\u00a0পুতিন") == "Vladimir Putin"
    assert scheme.link("‘কেসিএনএ’") == "KCNA"
    assert scheme.link("অজানা") is None
    assert surface_key("  কিম   জং\u00a0উন ") == "কিম জং উন"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c, r: (c.replace('name="provenance"', 'name="source_note"'), r), 'control name="provenance" is missing'),
        (lambda c, r: (c.replace("<View>", "<View", 1), r), "not well-formed XML"),
        (lambda c, r: (c.replace('<Relation value="cue"/>', ""), r), "relations must be"),
        (lambda c, r: (c.replace('<Choice value="AGAINST"/>', "", 1), r), "offers"),
        (lambda c, r: (c, r.replace("Ukraine peace process,TOPIC", "Ukraine peace talks,TOPIC")), "have no registry row"),
        (lambda c, r: (c, r + "Kim Again,PER,government,কিম,কিম\n"), "names both"),
    ],
    ids=["missing-control", "bad-xml", "missing-relation", "uneven-taxonomy", "target-not-in-registry", "ambiguous-alias"],
)
def test_unusable_config_is_refused(tmp_path: Path, change, message: str) -> None:
    config, registry = change(CONFIG, REGISTRY)
    with pytest.raises(BadConfig, match=message):
        _load(tmp_path, config, registry)
