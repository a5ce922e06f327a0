"""How a process of the builder that maps documents is set up, and how it gives memory back."""

from __future__ import annotations

import functools
import sys


def tune_process() -> None:
    """Settings for a process that maps documents (a worker, or the builder itself with --engine inline)."""
    import gc

    import pyarrow as pa

    # malloc returns freed memory; pyarrow's default mimalloc pool keeps it, which a worker's RSS shows
    pa.set_memory_pool(pa.system_memory_pool())
    # A document allocates many small, short-lived objects and no cycles worth chasing often: fewer full
    # collections, and none that walks the modules already imported.
    gc.freeze()
    gc.set_threshold(20_000, 50, 50)


class _NoPandas:
    """An import finder that finds no pandas (a None in sys.modules does not stop pyarrow's Cython import)."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name == "pandas" or name.startswith("pandas."):
            raise ModuleNotFoundError("a worker of the builder does not load pandas", name=name)
        return None


def without_pandas() -> None:
    """In a worker: pyarrow imports pandas (~60 MB of RSS) the first time it converts Python lists, only to
    ask whether they are pandas objects; nothing a worker runs needs pandas, so that import finds none."""
    if "pandas" not in sys.modules and not any(isinstance(f, _NoPandas) for f in sys.meta_path):
        sys.meta_path.insert(0, _NoPandas())


def release_memory() -> None:
    """Hand the staged inputs' memory back to the system before the workers start."""
    import gc

    gc.collect()
    trim()


def trim() -> None:
    """glibc keeps freed heap pages (Arrow buffers, spaCy docs) in the process; give them back (~1 ms)."""
    glibc_trim = _malloc_trim()
    if glibc_trim is not None:
        glibc_trim(0)


@functools.cache
def _malloc_trim():
    """glibc's malloc_trim, or None. Loaded by name: ctypes.util.find_library runs ldconfig in a forked
    child, a momentary copy of the whole worker that a memory reading counts twice."""
    import ctypes

    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc: nothing to trim
        return None
