"""Local files for events Redis could not take, replayed once it answers."""

from __future__ import annotations

import glob
import os
import threading
import time
from pathlib import Path


class Spool:
    """Append-only local files for events Redis could not take; fsync'd every `sync_every` lines."""

    def __init__(self, directory: Path, sync_every: int = 50, sync_seconds: float = 0.5):
        self.dir = directory
        self.sync_every = sync_every
        self.sync_seconds = sync_seconds
        self._lock = threading.Lock()
        self._fh = None
        self._pending = 0
        self._last_sync = time.monotonic()

    def _path(self) -> Path:
        return self.dir / f"events-{os.getpid()}.jsonl"

    def append(self, line: str) -> None:
        with self._lock:
            if self._fh is None or self._fh.closed:
                self.dir.mkdir(parents=True, exist_ok=True)
                self._fh = open(self._path(), "a", encoding="utf-8")  # noqa: SIM115 (kept open on purpose)
            self._fh.write(line + "\n")
            self._pending += 1
            if self._pending >= self.sync_every or time.monotonic() - self._last_sync > self.sync_seconds:
                self._sync()

    def _sync(self) -> None:
        if self._fh and not self._fh.closed and self._pending:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._pending = 0
            self._last_sync = time.monotonic()

    def flush(self) -> None:
        with self._lock:
            self._sync()

    def files(self) -> list[Path]:
        return sorted(Path(p) for p in glob.glob(str(self.dir / "events-*.jsonl")))

    def size(self) -> int:
        return sum(1 for f in self.files() for _ in open(f, encoding="utf-8"))

    def drain(self, push, everyone: bool = False) -> int:
        """Hand spooled lines to `push(line)`; a file is removed only once all of it went through.

        By default only this process's own file (under the lock, so no append races the removal);
        `everyone` also takes the files of processes that are gone (the CLI's replay)."""
        moved = 0
        with self._lock:
            self._sync()
            if self._fh is not None:
                self._fh.close()
                self._fh = None
            for f in self.files():
                pid = int(f.name.split("-")[1].split(".")[0])
                if pid != os.getpid() and not (everyone and not process_alive(pid)):
                    continue
                with open(f, encoding="utf-8") as fh:
                    for line in fh:
                        if line.strip():
                            push(line.strip())
                            moved += 1
                f.unlink()
        return moved


def process_alive(pid: int) -> bool:
    """Whether a process with this id runs on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
