"""IdSet: exact membership of doc_ids, as a set would answer it."""

from __future__ import annotations

from builder.run.idset import IdSet


def test_membership_is_exact() -> None:
    ids = [f"doc-{k:05d}" for k in range(0, 2000, 3)] + ["a", "zz", "bss-2025-08-13-x"]
    found = IdSet(reversed(ids))
    assert len(found) == len(set(ids))
    for k in range(2000):
        assert (f"doc-{k:05d}" in found) == (k % 3 == 0)
    assert "a" in found and "zz" in found and "bss-2025-08-13-x" in found
    # prefixes, extensions, neighbours and the separator are not members
    assert "doc-0000" not in found and "doc-000000" not in found and "" not in found and "b" not in found
    assert "a\nzz" not in found and "doc-00000\n" not in found and 5 not in found


def test_an_empty_set_has_no_members() -> None:
    empty = IdSet(())
    assert len(empty) == 0 and "a" not in empty and "" not in empty
