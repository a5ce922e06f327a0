"""Heavy imports (spaCy, datasets, matplotlib) without the cyclic garbage collector running through them.

An import of such a library makes hundreds of thousands of objects and almost no garbage; each object
counts towards the collector's thresholds, so a collection of the oldest generation, which walks every
object made so far, runs again and again, and each walks more. With the collector paused, datasets and
matplotlib, imported after spaCy (a rebuild, the reduce), take about three quarters of the time; spaCy,
imported first into a small process, gains little. What the import leaves is then frozen out of the
collector's sight."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_collector() -> Iterator[None]:
    """Within: no automatic collection. After: what was made is frozen (gc.freeze: never walked again),
    and the collector runs as it did before."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()
