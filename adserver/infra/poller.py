"""A refresh that runs in the background of each process: the catalog, the model and the click counts.

A daemon thread does not survive a fork (gunicorn's workers, rq's work horses), so the poller is
started per process: the first `ensure()` in a process loads synchronously, then starts its thread.
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from collections.abc import Callable
from typing import Protocol

log = logging.getLogger(__name__)

_pollers: weakref.WeakSet[Poller] = weakref.WeakSet()


class Stoppable(Protocol):
    """What refreshes itself in the background until stopped (a `Services` stops them on close)."""

    def stop(self) -> None: ...


class Poller:
    """Calls `refresh` every `seconds` in a daemon thread of the process that first called `ensure()`.

    `first` (default: `refresh`) is the synchronous load each process does before its thread starts;
    a failed background refresh is logged and retried at the next tick (the last good state stays).
    `seconds <= 0`: one load per process, no thread.
    """

    def __init__(
        self, name: str, refresh: Callable[[], object], seconds: float, first: Callable[[], object] | None = None
    ):
        self.name = name
        self.refresh = refresh
        self.first = first or refresh
        self.seconds = seconds
        self._pid: int | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        _pollers.add(self)

    def ensure(self) -> None:
        """Load and start polling unless this process already has (a forked child has not: `_after_fork`)."""
        if self._pid is not None:  # checked without a getpid() system call: a decision asks several holders
            return
        with self._lock:
            if self._pid is None:
                self.first()
                self._pid = os.getpid()
                if self.seconds > 0 and not self._stop.is_set():
                    threading.Thread(target=self._run, name=self.name, daemon=True).start()

    def _run(self) -> None:
        pid = os.getpid()
        while not self._stop.wait(self.seconds) and pid == os.getpid():
            try:
                self.refresh()
            except Exception:
                log.exception("%s: refresh failed; keeping the last good state", self.name)

    def stop(self) -> None:
        self._stop.set()

    def _after_fork(self) -> None:
        # The parent's thread is gone, and its lock may have been held by it at the fork.
        self._lock = threading.Lock()
        self._pid = None


def _reset_after_fork() -> None:
    for poller in list(_pollers):
        poller._after_fork()


os.register_at_fork(after_in_child=_reset_after_fork)
