"""Slow clients vs the serving configuration: /healthz latency while 50 connections trickle their
headers, and decision throughput, for the old setup (sync workers) and the new one (gthread), same run.

    python bench/slow_clients.py [--slow 50] [--seconds 10] [--workers 2] [--rounds 3] [--threads 64]

Both servers run config/gunicorn.conf.py, one with WEB_THREADS=1 (gunicorn's sync workers, as before
issue 11), one with the default threads. Each slow connection sends a request line, then one header
byte a second and never finishes, as a slowloris client does. Meanwhile a probe asks /healthz every
100 ms (5 s timeout: a probe that waits longer counts as 5 s). Throughput: wrk, 2 threads x 16
connections, a decision per request (event path on, one rq worker persisting), no slow clients, in
rounds alternating between the two setups; the median run of each and the ratio per round are printed.
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, gunicorn, import_catalog, stack, wrk  # noqa: E402
from decision import BODY  # noqa: E402

from adserver.catalog.files import read_file  # noqa: E402

PROBE_TIMEOUT = 5.0


@contextmanager
def server(s: dict, threads: int, workers: int):
    env = {
        "REDIS_URL": s["redis"].socket_url,
        "DATABASE_URL": s["database_url"],
        "SECRET_KEY": "bench-secret-key-123456",
        "ENVIRONMENT": "development",
        "IMPRESSION_RATE_LIMIT": "1000000000",  # wrk is one address
        "WEB_THREADS": str(threads),
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "adserver", "worker"],
        env=dict(os.environ, **env),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with gunicorn("adserver:create_app()", 0, env, workers) as base:
            wrk(base + "/v1/decision", BODY, seconds=2)  # warm every worker up
            yield base
    finally:
        worker.terminate()
        worker.wait(30)


@contextmanager
def slow_connections(base: str, n: int):
    """n connections that send a request line, then a header byte a second, never the end."""
    host, port = base.removeprefix("http://").split(":")
    socks = []
    for _ in range(n):
        sock = socket.create_connection((host, int(port)))
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: bench\r\nX-Slow: ")
        socks.append(sock)
    stop = threading.Event()

    def trickle():
        while not stop.wait(1.0):
            for sock in socks:
                try:
                    sock.sendall(b"a")
                except OSError:
                    pass  # the server gave up on it: fine

    t = threading.Thread(target=trickle, daemon=True)
    t.start()
    time.sleep(1.5)  # let the server accept them all
    try:
        yield
    finally:
        stop.set()
        t.join()
        for sock in socks:
            sock.close()


def probe_healthz(base: str, seconds: float) -> list[float]:
    host, port = base.removeprefix("http://").split(":")
    out = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        t = time.perf_counter()
        try:
            c = http.client.HTTPConnection(host, int(port), timeout=PROBE_TIMEOUT)
            c.request("GET", "/healthz")
            ok = c.getresponse().status == 200
            c.close()
            out.append(time.perf_counter() - t if ok else PROBE_TIMEOUT)
        except OSError:
            out.append(PROBE_TIMEOUT)
        time.sleep(0.1)
    return out


def summary(lat: list[float]) -> str:
    ms = sorted(x * 1000 for x in lat)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    slow = sum(1 for x in ms if x >= 100)
    return (
        f"{len(ms)} probes, p50 {statistics.median(ms):.1f} ms, p99 {p99:.1f} ms, max {ms[-1]:.1f} ms, "
        f"{slow} at 100 ms or more"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--slow", type=int, default=50, help="slow connections held open")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3, help="interleaved throughput runs per setup")
    ap.add_argument("--threads", type=int, default=int(os.environ.get("WEB_THREADS", "64")), help="new setup")
    args = ap.parse_args()
    example = read_file(ROOT / "config" / "catalog.example.yaml")
    setups = {"old: sync workers": 1, f"new: gthread x {args.threads} threads": args.threads}
    print(f"gunicorn, {args.workers} workers each; {args.slow} slow connections; probes and wrk {args.seconds}s")
    with ExitStack() as servers:
        bases = {}
        for label, threads in setups.items():
            s = servers.enter_context(stack())
            import_catalog(s["db"], example)
            bases[label] = servers.enter_context(server(s, threads, args.workers))
        for label, base in bases.items():
            quiet = probe_healthz(base, 2)
            with slow_connections(base, args.slow):
                held = probe_healthz(base, args.seconds)
            print(f"{label}")
            print(f"  /healthz, no slow clients:      {summary(quiet)}")
            print(f"  /healthz, {args.slow} slow connections: {summary(held)}")
        # Throughput in interleaved rounds: the shared machine drifts more between runs than the setups differ.
        runs: dict[str, list[dict]] = {label: [] for label in bases}
        for _ in range(args.rounds):
            for label, base in bases.items():
                runs[label].append(wrk(base + "/v1/decision", BODY, seconds=args.seconds))
        old, new = (runs[label] for label in bases)
        for label, rs in runs.items():
            mid = sorted(rs, key=lambda r: r["rps"])[len(rs) // 2]
            print(
                f"decisions, {label} (wrk 2x16, median of {len(rs)}): {mid['rps']:.0f} req/s, p50 "
                f"{mid['p50_ms']:.2f} ms, p99 {mid['p99_ms']:.2f} ms; rounds "
                + " / ".join(f"{r['rps']:.0f}" for r in rs)
                + f"; {sum(r['errors'] for r in rs)} errors"
            )
        print(
            "new / old, round by round: "
            + " / ".join(f"{n['rps'] / o['rps']:.2f}" for o, n in zip(old, new, strict=True))
        )


if __name__ == "__main__":
    main()
