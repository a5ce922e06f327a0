"""Progress over documents for `check` and `build`: a rich bar on a terminal, a plain line every few
seconds elsewhere (CI logs), nothing with --quiet. Always on stderr, so stdout stays the result.

The total is told by whoever knows it (the pipeline, once it has read raw/sources.csv): `start(total)`,
then `advance()` per document."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

PLAIN_EVERY = 10.0  # seconds between plain lines


class Progress:
    def __init__(self, what: str, quiet: bool, stack: ExitStack) -> None:
        self.what, self.quiet, self._stack = what, quiet, stack
        self.total = self.done = 0
        self._bar = self._task = None
        self._started = self._last = time.monotonic()

    def start(self, total: int) -> None:
        self.total = total
        if self.quiet or total == 0 or not sys.stderr.isatty():
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
        from rich.progress import Progress as Bar

        self._bar = self._stack.enter_context(Bar(
            TextColumn(self.what), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
            console=Console(stderr=True), transient=True, redirect_stdout=False,
        ))  # fmt: skip
        self._task = self._bar.add_task(self.what, total=total)

    def advance(self, n: int = 1) -> None:
        self.done += n
        if self.quiet or self.total == 0:
            return
        if self._bar is not None:
            self._bar.advance(self._task, n)
            return
        now = time.monotonic()
        if now - self._last >= PLAIN_EVERY or self.done == self.total:
            rate = self.done / max(now - self._started, 1e-9)
            print(f"{self.what}: {self.done}/{self.total} documents, {now - self._started:.0f}s, {rate:.1f} docs/s",
                  file=sys.stderr, flush=True)  # fmt: skip
            self._last = now


@contextmanager
def documents(what: str, *, quiet: bool = False) -> Iterator[Progress]:
    with ExitStack() as stack:
        yield Progress(what, quiet, stack)
