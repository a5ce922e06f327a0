"""Progress over documents for `check` and `build`: a rich bar on a terminal, a plain line every few
seconds elsewhere (CI logs), nothing with --quiet. Always on stderr, so stdout stays the result."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

PLAIN_EVERY = 10.0  # seconds between plain lines


@contextmanager
def documents(total: int, what: str, *, quiet: bool = False) -> Iterator[Callable[[int], None]]:
    """Yields advance(n): call it once per document done."""
    if quiet or total == 0:
        yield lambda n=1: None
        return
    if sys.stderr.isatty():
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        with Progress(TextColumn(what), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                      console=Console(stderr=True), transient=True, redirect_stdout=False) as bar:  # fmt: skip
            task = bar.add_task(what, total=total)
            yield lambda n=1: bar.advance(task, n)
        return
    started = last = time.monotonic()
    done = 0

    def advance(n: int = 1) -> None:
        nonlocal done, last
        done += n
        now = time.monotonic()
        if now - last >= PLAIN_EVERY or done == total:
            rate = done / max(now - started, 1e-9)
            print(f"{what}: {done}/{total} documents, {now - started:.0f}s, {rate:.1f} docs/s", file=sys.stderr, flush=True)
            last = now

    yield advance
