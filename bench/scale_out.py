"""Scale-out: decisions/s and events/s through 1 and then 2 web servers (separate gunicorn masters, as two
hosts would run), with 2 rq workers, on one Redis (or, with --cluster, a local 3-master Redis Cluster of
16 shards, rq on a plain Redis beside it) and PostgreSQL.

    python bench/scale_out.py [--cluster] [--rounds 3] [--seconds 6] [--threads 8] [--postgres URL]

Both servers run throughout; a round drives decisions with their view and click beacons through the first
server only, or through both (round robin, each beacon to the other server than its decision), 1 and 2
interleaved, round after round; medians and the ratio 2/1 are printed. Then every event sent must be in
SQL exactly once. The load generator runs on the same cores as the servers: on a small machine the ratio
says more about cores than about the design (each server is one gunicorn worker of 64 threads).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from contextlib import ExitStack
from http.client import HTTPConnection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, gunicorn, import_catalog  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from adserver.catalog.files import read_file  # noqa: E402
from adserver.infra import migrate, storage  # noqa: E402
from adserver.infra.redis_server import start_local  # noqa: E402
from tests.conftest import throwaway_postgres  # noqa: E402
from tests.redis_topologies import start_cluster  # noqa: E402

UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
BODY = json.dumps(
    {"placement": "article-footer", "article": {"topic": "artificial-intelligence", "keywords": ["agents"]}}
).encode()


def drive(servers: list[str], seconds: float, threads: int) -> tuple[int, int]:
    """(decisions, events) sent in `seconds` by `threads` readers; each decision's view and click go to
    the next server (the same one when there is one)."""
    counts = [0, 0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def reader(offset: int):
        conns = [HTTPConnection(*s.split(":"), timeout=10) for s in servers]
        decisions = events = 0
        i = offset
        while time.monotonic() < stop:
            here, there = conns[i % len(conns)], conns[(i + 1) % len(conns)]
            here.request("POST", "/v1/decision", BODY, {"Content-Type": "application/json", "User-Agent": UA})
            r = here.getresponse()
            d = json.loads(r.read())
            assert r.status == 200, r.status
            for method, url in (("POST", d["tracking"]["view_url"]), ("GET", d["tracking"]["click_url"])):
                there.request(method, "/" + url.split("/", 3)[3], headers={"User-Agent": UA})
                there.getresponse().read()
            decisions, events, i = decisions + 1, events + 3, i + 1
        with lock:
            counts[0] += decisions
            counts[1] += events

    pool = [threading.Thread(target=reader, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return counts[0], counts[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=6.0)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--cluster", action="store_true", help="the service's Redis: a local 3-master cluster")
    args = ap.parse_args()
    with ExitStack() as stack:
        redis = start_local()
        stack.callback(redis.stop)
        topology = {}
        if args.cluster:
            cluster = start_cluster()
            stack.callback(cluster.stop)
            topology = dict(REDIS_CLUSTER_NODES=cluster.addresses, RQ_REDIS_URL=redis.url)
        print(f"Redis: {'a 3-master cluster (rq on a plain Redis)' if args.cluster else 'one server'}")
        url = stack.enter_context(throwaway_postgres("adserver_bench", args.postgres))
        db = storage.Database(url)
        stack.callback(db.dispose)
        migrate.upgrade(db)
        import_catalog(db, read_file(ROOT / "config" / "catalog.example.yaml"))
        env = dict(
            DATABASE_URL=url,
            REDIS_URL=redis.url,
            SECRET_KEY="bench-secret-key-0123456789abcdef",
            ENVIRONMENT="test",
            MODELS_DIR=str(ROOT / "models"),
            BEACON_RATE_LIMIT="10000000",
            IMPRESSION_RATE_LIMIT="10000000",
            **topology,
        )
        servers = [
            stack.enter_context(gunicorn("adserver:create_app()", 0, env, workers=1)).removeprefix("http://")
            for _ in range(2)
        ]
        for _ in range(2):
            w = subprocess.Popen(
                [sys.executable, "-m", "adserver", "worker"],
                env=dict(os.environ, **env),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            stack.callback(w.wait, 20)
            stack.callback(w.terminate)
        sent = drive(servers, 2.0, args.threads)[1]  # warm-up: plans cached, connections open
        results: dict[int, list[tuple[float, float]]] = {1: [], 2: []}
        for r in range(args.rounds):
            for n in (1, 2):
                t0 = time.monotonic()
                decisions, events = drive(servers[:n], args.seconds, args.threads)
                took = time.monotonic() - t0
                sent += events
                results[n].append((decisions / took, events / took))
                rates = f"{decisions / took:7.1f} decisions/s, {events / took:7.1f} events/s"
                print(f"round {r + 1}, {n} web server(s): {rates}")
        for n in (1, 2):
            dec = statistics.median(x for x, _ in results[n])
            ev = statistics.median(y for _, y in results[n])
            print(f"median, {n} web server(s): {dec:7.1f} decisions/s, {ev:7.1f} events/s")
        ratio = statistics.median(x for x, _ in results[2]) / statistics.median(x for x, _ in results[1])
        print(f"2 servers / 1 server: {ratio:.2f}x decisions/s")
        deadline = time.monotonic() + 120
        stored = 0
        while time.monotonic() < deadline:
            with db.sessionmaker() as s:
                stored = s.scalar(select(func.count()).select_from(storage.Event))
            if stored >= sent:
                break
            time.sleep(0.5)
        time.sleep(1.0)
        with db.sessionmaker() as s:
            stored = s.scalar(select(func.count()).select_from(storage.Event))
        print(f"events sent {sent}, stored {stored}: {'exact' if stored == sent else 'MISMATCH'}")


if __name__ == "__main__":
    main()
