"""The committed dataset card (dataset_card.md) ← a fresh build's README: same prose, fresh blocks.

`dataset_card.md` holds the hand-written prose plus the generated parts (YAML front matter and
the BUILDER marker blocks). Regenerating replaces only the generated parts, so prose edits
survive; a stale committed card (inputs changed, card not regenerated) fails `builder card --check`.
"""

from __future__ import annotations

import difflib
import tempfile
from dataclasses import dataclass
from pathlib import Path

from builder.atomic import write_atomic
from builder.config import BuildConfig
from builder.errors import BuildError
from builder.release import build
from builder.release.card import read_front_matter, validate_folder
from builder.release.cardcheck import check_front_matter


class InvalidCard(BuildError):
    """The generated card would not pass the Hub's (offline) checks."""


@dataclass(frozen=True, slots=True)
class CardState:
    fresh: str  # what dataset_card.md should contain
    committed: str
    path: Path

    @property
    def stale(self) -> bool:
        return self.fresh != self.committed

    def diff(self, lines: int = 12) -> str:
        d = difflib.unified_diff(self.committed.splitlines(), self.fresh.splitlines(), "committed", "fresh", lineterm="", n=0)
        return "\n".join(list(d)[:lines])


def card_state(cfg: BuildConfig) -> CardState:
    """Build into a temporary folder, validate its card offline, and compare it with dataset_card.md."""
    with tempfile.TemporaryDirectory(prefix="bn-news-card-") as tmp:
        folder = Path(tmp) / "dataset"
        outcome, _ = build.build(cfg, folder)
        problems = validate_folder(folder, scheme=outcome.scheme) + check_front_matter(read_front_matter(folder / "README.md"))
        if problems:
            raise InvalidCard("the generated card fails validation: " + "; ".join(problems), "fix builder/card.py or the settings it reads")
        fresh = (folder / "README.md").read_text(encoding="utf-8")
    path = cfg.path(cfg.card_prose)
    committed = path.read_text(encoding="utf-8") if path.is_file() else ""
    return CardState(fresh, committed, path)


def refresh_card(cfg: BuildConfig) -> CardState:
    """Write the fresh card into dataset_card.md (atomically) when it differs."""
    state = card_state(cfg)
    if state.stale:
        write_atomic(state.path, state.fresh)
    return state
