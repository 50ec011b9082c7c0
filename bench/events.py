"""Event pipeline throughput and exactness.

    python bench/events.py [--decisions 3000] [--drain 100000] [--postgres URL]

1. End to end: concurrent decisions plus their view and click beacons against gunicorn (2 workers)
   with one rq worker running; waits for the queue to drain and checks stored == sent exactly.
2. Drain rate: N events queued in Redis, then one `adserver worker --burst`; events/s persisted
   into SQLite (and PostgreSQL with --postgres), with and without the worker's start-up (imports,
   model load). Target: >= 5,000 events/s, zero lost, zero doubled.

The fault run (worker SIGKILL, Redis outage) is `bench/events_faults.py`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from http.client import HTTPConnection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, ensure_database, gunicorn, import_catalog, stack  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402

from adserver.catalog.files import read_file  # noqa: E402
from adserver.infra import keys, storage  # noqa: E402
from adserver.infra.redis_server import free_port  # noqa: E402
from tests.builders import zahid_event  # noqa: E402

PORT = free_port()  # never a fixed port: another process's server could answer there

UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
BODY = json.dumps(
    {"placement": "article-footer", "article": {"topic": "artificial-intelligence", "keywords": ["agents"]}}
).encode()


def raw_count(db) -> int:
    with db.sessionmaker() as s:
        return s.scalar(select(func.count()).select_from(storage.Event))


def end_to_end(s, env, decisions: int, threads: int = 8) -> None:
    sent = {"impression": 0, "view": 0, "click": 0}
    lock = threading.Lock()
    per_thread = decisions // threads

    def client_loop():
        conn = HTTPConnection("127.0.0.1", PORT, timeout=10)
        for _ in range(per_thread):
            conn.request("POST", "/v1/decision", BODY, {"Content-Type": "application/json", "User-Agent": UA})
            r = conn.getresponse()
            d = json.loads(r.read())
            conn.close()
            conn = HTTPConnection("127.0.0.1", PORT, timeout=10)
            counts = {"impression": 1}
            for method, url, kind in (
                ("POST", d["tracking"]["view_url"], "view"),
                ("GET", d["tracking"]["click_url"], "click"),
            ):
                conn.request(method, "/" + url.split("/", 3)[3], headers={"User-Agent": UA})
                rr = conn.getresponse()
                rr.read()
                conn.close()
                conn = HTTPConnection("127.0.0.1", PORT, timeout=10)
                if rr.status in (204, 302):
                    counts[kind] = 1
            with lock:
                for k, v in counts.items():
                    sent[k] += v

    worker = subprocess.Popen(
        [sys.executable, "-m", "adserver", "worker"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        unlimited = {"BEACON_RATE_LIMIT": "100000000", "IMPRESSION_RATE_LIMIT": "100000000"}  # one client address
        with gunicorn("adserver:create_app()", PORT, {**env, **unlimited}, 2):
            t0 = time.perf_counter()
            ts = [threading.Thread(target=client_loop) for _ in range(threads)]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
            t_sent = time.perf_counter() - t0
            total = sum(sent.values())
            while raw_count(s["db"]) < total and time.perf_counter() - t0 < t_sent + 120:
                time.sleep(0.2)
            t_all = time.perf_counter() - t0
    finally:
        worker.terminate()
        worker.wait(20)
    stored = raw_count(s["db"])
    print(
        f"  end to end: {sent} sent in {t_sent:.1f}s ({total / t_sent:.0f} events/s offered); "
        f"{stored} stored after {t_all:.1f}s; lost {total - stored if stored < total else 0}, "
        f"doubled {stored - total if stored > total else 0}"
    )


def drain(s, env, n: int, label: str) -> None:
    import redis as redis_lib

    r = redis_lib.Redis.from_url(env["REDIS_URL"])
    with s["db"].engine.begin() as conn:
        conn.execute(text("DELETE FROM events"))
        conn.execute(text("DELETE FROM daily_rollups"))
    pipe = r.pipeline(transaction=False)
    day = None
    for i in range(n):
        e = zahid_event(uuid.uuid4().hex, score=5.0, ua_class="desktop", ip_hash="x" * 32)
        day = e.day
        pipe.rpush(keys.INCOMING, e.to_json())
        if i % 5000 == 4999:
            pipe.execute()
    pipe.execute()
    marks: dict[str, float] = {}
    done = threading.Event()

    def watch() -> None:  # when the first batch is taken and when the last one is written (Redis side)
        while not done.is_set():
            waiting, in_flight = r.llen(keys.INCOMING), r.zcard(keys.BATCHES)
            now = time.perf_counter()
            if "first" not in marks and waiting < n:
                marks["first"] = now
            if "first" in marks and not waiting and not in_flight:
                marks["last"] = now
                return
            time.sleep(0.002)

    watcher = threading.Thread(target=watch, daemon=True)
    t0 = time.perf_counter()
    watcher.start()
    subprocess.run(
        [sys.executable, "-m", "adserver", "worker", "--burst"], env=env, cwd=ROOT, check=True, capture_output=True
    )
    # burst mode enqueues one job; it keeps taking batches until the list is empty
    elapsed = time.perf_counter() - t0
    done.set()
    watcher.join()
    stored = raw_count(s["db"])
    r.delete(keys.counts(day))
    writing = marks.get("last", t0 + elapsed) - marks.get("first", t0)
    print(
        f"  drain into {label}: {n} events by one worker in {elapsed:.2f}s = {n / elapsed:,.0f} events/s "
        f"including worker start-up ({n / writing:,.0f} events/s from the first batch taken to the last "
        f"written, {writing:.2f}s); stored {stored}, lost {n - stored if stored < n else 0}, "
        f"doubled {stored - n if stored > n else 0}  target >= 5,000/s {'OK' if n / elapsed >= 5000 else 'MISS'}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--decisions", type=int, default=2000)
    ap.add_argument("--drain", type=int, default=100000)
    ap.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES_URL", ""))
    args = ap.parse_args()
    with stack() as s:
        env = dict(
            os.environ,
            REDIS_URL=s["redis_url"],
            DATABASE_URL=s["database_url"],
            SECRET_KEY="bench-secret-key-123456",
            ENVIRONMENT="development",
        )
        import_catalog(s["db"], read_file(ROOT / "config" / "catalog.example.yaml"))
        end_to_end(s, env, args.decisions)
        drain(s, env, args.drain, "SQLite")
    if args.postgres:
        from adserver.infra.migrate import upgrade
        from adserver.infra.storage import Database

        db = Database(ensure_database(args.postgres))
        upgrade(db)
        with stack(args.postgres) as s:
            env = dict(
                os.environ,
                REDIS_URL=s["redis_url"],
                DATABASE_URL=args.postgres,
                SECRET_KEY="bench-secret-key-123456",
                ENVIRONMENT="development",
            )
            import_catalog(s["db"], read_file(ROOT / "config" / "catalog.example.yaml"))
            drain(s, env, args.drain, "PostgreSQL")
        db.dispose()


if __name__ == "__main__":
    main()
