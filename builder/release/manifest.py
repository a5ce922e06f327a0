"""What a build wrote, as the card and the checks read it."""

from __future__ import annotations

from dataclasses import dataclass, field

from builder import schema


@dataclass(frozen=True, slots=True)
class Manifest:
    """What a build wrote: files with hashes, rows and Arrow bytes per split, label counts."""

    schema_version: str
    builder_version: str
    files: tuple[str, ...]  # paths relative to the dataset folder, POSIX, sorted
    sha256: dict[str, str]  # file -> hex digest
    file_bytes: dict[str, int]  # file -> size on disk
    rows: dict[str, dict[str, int]]  # config -> split -> rows; only written (non-empty) splits
    num_bytes: dict[str, dict[str, int]]  # config -> split -> Arrow in-memory bytes of values and offsets (no validity bitmaps)
    data_files: dict[str, dict[str, tuple[str, ...]]]  # config -> split -> its Parquet files, in order
    empty_splits: dict[str, tuple[str, ...]]  # config -> splits that had no rows and were omitted
    # config -> label path (schema.label_fields) -> split -> label -> count, all labels in scheme order
    labels: dict[str, dict[str, dict[str, dict[str, int]]]]
    outlets: dict[str, int] = field(default_factory=dict)  # documents per outlet registry id
    notes: tuple[str, ...] = ()  # what the write did besides writing (leftovers removed, clone files kept)

    @property
    def configs(self) -> tuple[str, ...]:
        """Configs with at least one row, in schema order."""
        return tuple(c for c in schema.CONFIGS if self.rows.get(c))
