"""One call in a forked child process of the builder: the staging of the shards, or a rebuild's one shard.

A fork starts at once with everything this process has imported, and whatever the call allocates leaves
with the child. The child runs that call, sends its result (or exception) back through a pipe and exits;
on Linux it is killed with its parent, so a killed build leaves no process behind.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable
from typing import Any

from builder.errors import BuildError


def can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def forked(fn: Callable[..., Any], *args: Any, idle: Callable[[], None] | None = None) -> Any:
    """fn(*args) in a forked child process, while this one runs `idle`; the child's exception comes back.
    The child runs that one call and exits; if this process is killed, so is it (it holds our stdout)."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(send, os.getpid(), fn, args), daemon=True)
    child.start()
    send.close()
    try:
        if idle is not None:
            idle()
        try:
            ok, value = receive.recv()
        except EOFError:
            child.join()
            raise BuildError(f"a process of the builder (pid {child.pid}) ended without a result (exit code {child.exitcode})",
                             "it was killed from outside, or ran out of memory; build again") from None  # fmt: skip
    except BaseException:
        child.kill()  # `idle` failed or Ctrl-C: the call's result would have no one to go to
        raise
    finally:
        receive.close()
        child.join()
    if ok:
        return value
    raise value


def _child(send: Any, parent: int, fn: Callable[..., Any], args: tuple) -> None:
    _die_with(parent)
    try:
        out = (True, fn(*args))
    except BaseException as e:  # noqa: BLE001 - sent to the parent, which raises it
        out = (False, e)
    try:
        send.send(out)
    except BrokenPipeError:
        return  # the parent is gone
    except Exception:  # noqa: BLE001 - a value that does not pickle: what it was, as text
        why = traceback.format_exception_only(out[1])[-1].strip() if not out[0] else f"an unpicklable {type(out[1]).__name__}"
        send.send((False, RuntimeError(why)))
    send.close()


def _die_with(parent: int) -> None:
    """Linux: this process gets SIGKILL when its parent dies (PR_SET_PDEATHSIG); elsewhere it finishes its call."""
    import ctypes
    import signal

    try:
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)
