"""Cost of the budget gate per decision: `decide()` with `RedisBudget` (real local Redis) vs `Unlimited`.

    python bench/budget.py [--decisions 5000] [--campaigns 12]

Single-threaded, in-process: the figure is the gate's added latency per decision (Redis round trips
on loopback), not server throughput. Budgets are large, so every decision books a CPM impression.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402

from adserver.events.pacing import RedisBudget  # noqa: E402
from adserver.infra.redis_server import start_local  # noqa: E402
from adserver.serving.budget import Unlimited  # noqa: E402
from adserver.serving.decision import decide  # noqa: E402
from adserver.serving.snapshot import CatalogSnapshot  # noqa: E402
from tests.builders import article, campaign  # noqa: E402


def run(snapshot: CatalogSnapshot, gate, n: int) -> float:
    ctx = article(topic="sport", keywords=["football"])
    start = time.perf_counter()
    for _ in range(n):
        assert decide(ctx, snapshot, budget=gate).decision is not None
    return (time.perf_counter() - start) / n * 1e6


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--decisions", type=int, default=5000)
    p.add_argument("--campaigns", type=int, default=12)
    args = p.parse_args()
    campaigns = tuple(
        replace(
            campaign(f"c{i}", targeting={"topics": ["sport"]}),
            total_budget=1e9,
            daily_budget=1e8,
            pacing="even" if i % 2 else "asap",
        )
        for i in range(args.campaigns)
    )
    snapshot = CatalogSnapshot.build(1, campaigns)
    server = start_local()
    try:
        client = redis.Redis.from_url(server.url)
        gate = RedisBudget(client)
        run(snapshot, gate, 200)  # warm up (script load, connections)
        run(snapshot, Unlimited(), 200)
        unlimited = run(snapshot, Unlimited(), args.decisions)
        redis_us = run(snapshot, gate, args.decisions)
        cmds = client.info("commandstats")
        evalsha = cmds.get("cmdstat_evalsha", {}).get("calls", 0)
        mget = cmds.get("cmdstat_mget", {}).get("calls", 0)
    finally:
        server.stop()
    total = args.decisions + 200
    print(f"decisions: {args.decisions}, campaigns: {args.campaigns}")
    print(f"Unlimited:   {unlimited:8.1f} us/decision")
    print(f"RedisBudget: {redis_us:8.1f} us/decision  (+{redis_us - unlimited:.1f} us)")
    print(f"Redis calls per decision: EVALSHA {evalsha / total:.2f}, MGET {mget / total:.2f}")


if __name__ == "__main__":
    main()
