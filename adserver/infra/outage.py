"""While Redis is away every decision and beacon hits the same failure: say so once per interval, with a
count, instead of once per event (under load a short outage buried the log in identical warnings)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

WARN_EVERY_SECONDS = 10.0


class OutageLog:
    """One warning per `interval` for each kind of repeating failure; the next one says how many were not
    logged meanwhile. The first of a new outage is logged at once."""

    def __init__(
        self,
        log: logging.Logger,
        interval: float = WARN_EVERY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.log = log
        self.interval = interval
        self.clock = clock
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}
        self._quiet: dict[str, int] = {}  # kind -> occurrences since its last warning

    def warning(self, kind: str, message: str, *args) -> None:
        now = self.clock()
        with self._lock:
            last = self._last.get(kind)
            if last is not None and now - last < self.interval:
                self._quiet[kind] = self._quiet.get(kind, 0) + 1
                return
            self._last[kind] = now
            quiet = self._quiet.pop(kind, 0)
        if quiet:
            self.log.warning(f"{message} (and {quiet} more since the last warning)", *args)
        else:
            self.log.warning(message, *args)
