"""A small load generator run as its own process: keep-alive connections on threads, optional rate limit.

Prints one JSON line: {"requests", "errors", "seconds", "rps", "p50_ms", "p99_ms"}.
Used by bench/decision.py when wrk is missing, and always for the rate-limited (50% of peak) run.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import threading
import time


def worker(host, port, path, bodies, deadline, interval, latencies, errors, lock):
    conn = http.client.HTTPConnection(host, port, timeout=5)
    headers = {"Content-Type": "application/json", "Connection": "keep-alive"}
    local, errs = [], 0
    next_at = time.perf_counter()
    while True:
        now = time.perf_counter()
        if now >= deadline:
            break
        if interval:
            if now < next_at:
                time.sleep(next_at - now)
            next_at += interval
        body = random.choice(bodies) if bodies else None
        t0 = time.perf_counter()
        try:
            conn.request("POST" if body else "GET", path, body=body, headers=headers)
            resp = conn.getresponse()
            resp.read()
            if resp.status >= 400:
                errs += 1
        except (OSError, http.client.HTTPException):
            errs += 1
            conn.close()
            conn = http.client.HTTPConnection(host, port, timeout=5)
            continue
        local.append(time.perf_counter() - t0)
    conn.close()
    with lock:
        latencies.extend(local)
        errors.append(errs)


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--path", required=True)
    p.add_argument("--bodies", help="JSON file with a list of request bodies (POST); none: GET")
    p.add_argument("--threads", type=int, default=8)
    p.add_argument("--seconds", type=float, default=10)
    p.add_argument("--rate", type=float, default=0, help="total requests/s (0: as fast as possible)")
    a = p.parse_args()
    bodies = [json.dumps(b) for b in json.load(open(a.bodies))] if a.bodies else []
    latencies: list[float] = []
    errors: list[int] = []
    lock = threading.Lock()
    interval = a.threads / a.rate if a.rate else 0
    start = time.perf_counter()
    deadline = start + a.seconds
    threads = [
        threading.Thread(
            target=worker, args=(a.host, a.port, a.path, bodies, deadline, interval, latencies, errors, lock)
        )
        for _ in range(a.threads)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    latencies.sort()
    print(
        json.dumps(
            {
                "requests": len(latencies),
                "errors": sum(errors),
                "seconds": round(elapsed, 2),
                "rps": round(len(latencies) / elapsed, 1),
                "p50_ms": round(percentile(latencies, 0.50) * 1000, 2),
                "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
