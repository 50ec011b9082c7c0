"""Fault run: the end-to-end event load while Redis is stopped for 10 s and the worker is SIGKILLed.

    python bench/events_faults.py [--seconds 40] [--threads 8] [--postgres URL]

Decisions plus their view and click beacons against gunicorn (2 web workers) with one rq worker,
kept up by a supervisor loop as a process manager would. Mid-stream the worker (and its work horse)
is SIGKILLed once while it holds a batch, then restarted; later Redis (append-only file on, as in
production) is stopped for 10 s and started again, while the web processes spool events to disk.
After the load the run waits for the pipeline to drain and compares what clients were answered
(200 decision = impression, 204 view, 302 click) with the raw rows and rollups stored, per type
and per decision id. Exit 1 on any event lost or doubled.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from http.client import HTTPConnection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, ensure_database, gunicorn, import_catalog  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402

from adserver.catalog.files import read_file  # noqa: E402
from adserver.events import reconcile  # noqa: E402
from adserver.infra import keys, migrate, storage  # noqa: E402
from adserver.infra.counters import COLUMN, EVENT_TYPES, NONBILLABLE  # noqa: E402
from adserver.infra.redis_server import free_port, start_local  # noqa: E402
from tests.processes import kill_worker_and_horse  # noqa: E402 (the fault test kills the same way)

PORT = free_port()  # a fixed port could be another process's server
UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
BODY = json.dumps(
    {"placement": "article-footer", "article": {"topic": "artificial-intelligence", "keywords": ["agents"]}}
).encode()
TYPES = EVENT_TYPES


class Load:
    """Client threads: decision, then its view beacon, then its click; what each answer confirmed."""

    def __init__(self, threads: int):
        self.threads = threads
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.sent: dict[str, set[str]] = {t: set() for t in TYPES}
        self.errors: Counter = Counter()

    def _request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        conn = HTTPConnection("127.0.0.1", PORT, timeout=10)
        try:
            headers = {"User-Agent": UA}
            if body is not None:
                headers["Content-Type"] = "application/json"
            conn.request(method, path, body, headers)
            r = conn.getresponse()
            return r.status, r.read()
        finally:
            conn.close()

    def _client(self) -> None:
        while not self.stop.is_set():
            try:
                status, raw = self._request("POST", "/v1/decision", BODY)
            except OSError as e:
                self.errors[f"decision {type(e).__name__}"] += 1
                continue
            if status != 200:
                self.errors[f"decision {status}"] += 1
                continue
            d = json.loads(raw)
            confirmed = ["impression"]
            for method, url, kind, ok in (
                ("POST", d["tracking"]["view_url"], "view", 204),
                ("GET", d["tracking"]["click_url"], "click", 302),
            ):
                try:
                    status, _ = self._request(method, "/" + url.split("/", 3)[3])
                except OSError as e:
                    self.errors[f"{kind} {type(e).__name__}"] += 1
                    continue
                if status == ok:
                    confirmed.append(kind)
                else:
                    self.errors[f"{kind} {status}"] += 1
            with self.lock:
                for kind in confirmed:
                    self.sent[kind].add(d["decision_id"])

    def start(self) -> list[threading.Thread]:
        ts = [threading.Thread(target=self._client, daemon=True) for _ in range(self.threads)]
        for t in ts:
            t.start()
        return ts

    def counts(self) -> dict[str, int]:
        with self.lock:
            return {t: len(ids) for t, ids in self.sent.items()}


class Supervised:
    """One `adserver worker`, restarted whenever it exits (as a Procfile process manager does)."""

    def __init__(self, env: dict):
        self.env = env
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _spawn(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "adserver", "worker"],
            env=self.env,
            cwd=ROOT,
            start_new_session=True,  # its own process group: SIGKILL reaches the work horse too
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.starts += 1

    def start(self) -> None:
        self._spawn()
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.wait(0.5):
            with self._lock:
                if self.proc.poll() is not None:
                    time.sleep(0.5)
                    self._spawn()

    def kill(self) -> int:
        """SIGKILL the worker and its work horse (rq puts the horse in a process group of its own, so a
        signal to the worker's group alone leaves it writing); the supervisor starts a new one. Returns
        how many work horses were killed."""
        with self._lock:
            horses = kill_worker_and_horse(self.proc.pid)
            self.proc.wait()
            return len(horses)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        with self._lock:
            if self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(20)


def stored(db: storage.Database) -> tuple[dict[str, set[str]], dict[str, int], dict[str, int]]:
    """Decision ids of the raw rows per type, and the rollup totals per type (billable or not: a click
    served while Redis was away, past its campaign's budget, is stored as not billable), and the not
    billable part of them."""
    e, r = storage.Event, storage.DailyRollup
    with db.sessionmaker() as s:
        raw: dict[str, set[str]] = {t: set() for t in TYPES}
        for decision_id, kind in s.execute(select(e.decision_id, e.event_type)):
            raw[kind].add(decision_id)
        columns = (*(COLUMN[t] for t in TYPES), *(NONBILLABLE[t] for t in TYPES))
        *billed, i, v, c = s.execute(select(*(func.sum(getattr(r, col)) for col in columns))).one()
    not_billed = {t: int(n or 0) for t, n in zip(TYPES, (i, v, c), strict=True)}
    return raw, {t: int(b or 0) + not_billed[t] for t, b in zip(TYPES, billed, strict=True)}, not_billed


def run(args) -> bool:
    tmp = Path(tempfile.mkdtemp(prefix="adserver-faults-"))
    url = ensure_database(args.postgres) if args.postgres else f"sqlite:///{tmp}/faults.sqlite3"
    db = storage.Database(url)
    migrate.upgrade(db)
    with db.engine.begin() as conn:
        for table in ("events", "daily_rollups", "event_folds"):
            conn.execute(text(f"DELETE FROM {table}"))
    import_catalog(db, read_file(ROOT / "config" / "catalog.example.yaml"))
    redis = start_local(durable=True)  # production runs Redis with appendonly yes
    env = dict(
        os.environ,
        REDIS_URL=redis.url,
        DATABASE_URL=url,
        SECRET_KEY="bench-secret-key-123456",
        ENVIRONMENT="development",
        SPOOL_DIR=str(tmp / "spool"),
        BEACON_RATE_LIMIT="100000000",
        IMPRESSION_RATE_LIMIT="100000000",  # one client address: all load comes from here
    )
    worker = Supervised(env)
    load = Load(args.threads)
    t0 = time.perf_counter()

    def log(msg: str) -> None:
        print(f"  [{time.perf_counter() - t0:5.1f}s] {msg}  sent so far {load.counts()}", flush=True)

    import redis as redis_lib

    r = redis_lib.Redis.from_url(redis.url)
    try:
        with gunicorn("adserver:create_app()", PORT, env, 2):
            worker.start()
            t0 = time.perf_counter()
            threads = load.start()
            log("load started")
            time.sleep(args.seconds * 0.15)
            deadline = time.monotonic() + 10  # kill it while it holds a batch, if one shows up in time
            while time.monotonic() < deadline and not r.zcard(keys.BATCHES):
                time.sleep(0.002)
            holding = sum(r.llen(k) for k in r.zrange(keys.BATCHES, 0, -1))
            horses = worker.kill()
            left = sum(r.llen(k) for k in r.zrange(keys.BATCHES, 0, -1))
            log(
                f"worker and {horses} work horse(s) SIGKILLed while holding a batch of {holding} events, {left} "
                "of them left unfinished (0: the batch was done just before the kill landed); the supervisor "
                "restarts it, and the new worker writes what was left at its start"
            )
            time.sleep(args.seconds * 0.2)
            redis.stop()
            log("Redis stopped")
            time.sleep(10)
            spooled = sum(1 for f in (tmp / "spool").glob("*.jsonl") for _ in f.open())
            redis.start()
            log(f"Redis started again; {spooled} events were spooled to disk meanwhile")
            remaining = args.seconds - (time.perf_counter() - t0)
            time.sleep(max(remaining, 2))
            load.stop.set()
            for t in threads:
                t.join()
            t_load = time.perf_counter() - t0
            sent = load.counts()
            log(f"load stopped after {t_load:.1f}s ({sum(sent.values()) / t_load:.0f} events/s offered)")
            # Drain: spools replay from the web processes, the stale batch of the killed worker is
            # claimed by the tick after jobs.STALE_BATCH_SECONDS.
            drain_deadline = time.monotonic() + args.drain_timeout
            while time.monotonic() < drain_deadline:
                raw, _, _ = stored(db)
                if all(load.sent[t] <= raw[t] for t in TYPES):
                    break
                time.sleep(1)
            t_drained = time.perf_counter() - t0
            time.sleep(2)  # anything still arriving would be a double
            raw, rollups, not_billed = stored(db)
            # What `adserver events reconcile` would say: raw rows, rollups and the Redis counters per
            # campaign, type and traffic kind (the run stays inside one UTC day unless it starts at midnight).
            mismatches = reconcile.differences(db, r, datetime.now(UTC).date(), keys.SINGLE)
    finally:
        worker.stop()
        redis.stop()
        db.dispose()
    print(f"  drained {t_drained - t_load:.1f}s after the load stopped; worker started {worker.starts} times")
    if load.errors:
        print(f"  client-side errors (not counted as sent): {dict(load.errors)}")
    ok = True
    # lost: confirmed to a client, not stored. doubled: counted in the rollups more often than stored
    # (raw rows are unique per decision and type). unconfirmed: stored though the client saw an error.
    # not billed: of the rollups, those past a budget (served while Redis was away) or from bots.
    print(
        f"  {'type':<11}{'sent':>8}{'stored':>8}{'rollups':>9}{'lost':>6}{'doubled':>9}{'unconfirmed':>13}"
        f"{'not billed':>12}"
    )
    for t in TYPES:
        lost = len(load.sent[t] - raw[t])
        unconfirmed = len(raw[t] - load.sent[t])
        doubled = rollups[t] - len(raw[t])
        errors = sum(n for k, n in load.errors.items() if k.startswith(t if t != "impression" else "decision"))
        ok &= lost == 0 and doubled == 0 and unconfirmed <= errors
        print(
            f"  {t:<11}{len(load.sent[t]):>8}{len(raw[t]):>8}{rollups[t]:>9}{lost:>6}{doubled:>9}{unconfirmed:>13}"
            f"{not_billed[t]:>12}"
        )
    print(f"  reconcile (raw rows vs rollups vs Redis counters): {len(mismatches)} differences")
    for row in mismatches:
        print(f"    {row}")
    ok &= not mismatches
    print(f"  fault run: {'OK, zero lost, zero doubled' if ok else 'FAILED'}")
    return ok


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=40.0, help="length of the load (>= 25: it spans both faults)")
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--drain-timeout", type=float, default=180.0)
    ap.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES_URL", ""), help="else a fresh SQLite")
    args = ap.parse_args()
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(f"fault run on {backend}: {args.seconds:.0f}s of load, {args.threads} clients")
    sys.exit(0 if run(args) else 1)


if __name__ == "__main__":
    main()
