"""pyproject.toml [tool.builder] → BuildConfig; typos are errors, not silently ignored settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.config import load_config
from builder.errors import BadConfig, MissingInput

REPO = Path(__file__).resolve().parents[1]


def test_repository_settings_load() -> None:
    cfg = load_config(REPO)
    assert cfg.export_dir == "annotations/export" and cfg.split_ratios == {"train": 80, "validation": 10, "test": 10}
    assert cfg.rel(REPO / "raw" / "sources.csv") == "raw/sources.csv"


def test_unknown_key_is_an_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.builder]\nsplit_sallt = "x"\n', encoding="utf-8")
    with pytest.raises(BadConfig, match="split_sallt"):
        load_config(tmp_path)


def test_missing_and_malformed_pyproject(tmp_path: Path) -> None:
    with pytest.raises(MissingInput):
        load_config(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.builder\n", encoding="utf-8")
    with pytest.raises(BadConfig, match="pyproject.toml"):
        load_config(tmp_path)
