"""The corpus's doc_ids as one sorted string and an array of offsets: exact membership in a few bytes a document.

The builder's own process keeps the doc_ids while the workers map (a task in another document's export
file is named against them). A set of 100k strings costs some 10 MB by itself, and, worse, its small
objects sit among the freed sources rows, so that memory could not go back to the system: the main
process grew by about 1 KB a document. Here there are two allocations, whatever the corpus.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterable

SEP = "\n"  # cannot occur in a doc_id (builder.read.sources checks the pattern)


class IdSet:
    def __init__(self, ids: Iterable[str]) -> None:
        ordered = sorted(set(ids))
        self.blob = SEP.join(ordered)
        self.starts = array("q")
        at = 0
        for doc_id in ordered:
            self.starts.append(at)
            at += len(doc_id) + 1
        self.starts.append(at)

    def __len__(self) -> int:
        return len(self.starts) - 1

    def _id(self, i: int) -> str:
        return self.blob[self.starts[i] : self.starts[i + 1] - 1]

    def __contains__(self, doc_id: object) -> bool:
        if not isinstance(doc_id, str) or SEP in doc_id:
            return False
        i = bisect_left(range(len(self)), doc_id, key=self._id)
        return i < len(self) and self._id(i) == doc_id
