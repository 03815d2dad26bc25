"""Pause Python's cyclic garbage collector around a bulk operation.

A bulk import holds a few hundred thousand live objects (the parsed document, its validated
records, the rows to write) for the length of a request. Each of them survives the young
generations, and the collector's full passes walk the whole heap again and again while they
pile up: about a third of an import request's CPU time. Those objects are freed by reference
counting when the request ends; the few reference cycles made meanwhile are collected by the
next pass after the pause.

The collector is process-wide and the API runs sync endpoints in a thread pool, so pauses are
counted: the collector is switched back on when the last overlapping pause ends, and only if it
was on when the first began.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """Disable the cyclic garbage collector for the ``with`` block (nesting and threads are
    counted)."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
