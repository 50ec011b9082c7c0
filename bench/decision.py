"""Decision throughput and latency vs a bare Flask endpoint, same gunicorn setup, same run.

    python bench/decision.py [--seconds 8] [--workers 2]

Targets (issue 2): decision >= 0.6x bare with 12 campaigns, >= 0.4x with 1,000; p99 < 15 ms at
half of the measured peak. Load comes from wrk (a separate process); the paced half-load run uses
a Python open-loop generator. The targets are judged on one article read by every reader (the
issue's benchmark); a Zipf mix over 1,000 articles and a run where every request is a new article
are printed beside it, since per-article work is reused between readers of an article.

Redis runs on this host and is reached over its Unix socket, as a one-host deployment would
(`--tcp` for the loopback TCP figure).
"""

from __future__ import annotations

import argparse
import copy
import os
import random
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, gunicorn, import_catalog, paced, stack, wrk  # noqa: E402

from adserver.catalog_file import read_file  # noqa: E402

BODY = {
    "placement": "article-footer",
    "article": {
        "title": "Japan's manufacturing sector and the race for physical AI",
        "topic": "artificial-intelligence",
        "keywords": ["agents", "robotics", "nvidia", "manufacturing"],
        "sentiment": "neutral",
        "language": "en",
    },
}

TOPICS = [
    "artificial-intelligence",
    "business",
    "sport",
    "politics",
    "travel",
    "health",
    "climate",
    "gaming",
    "food",
    "music",
    "science",
    "cybersecurity",
    "automotive",
    "economy",
    "film",
    "books",
]
WORDS = [
    "cloud",
    "agents",
    "robots",
    "stocks",
    "football",
    "election",
    "trains",
    "solar",
    "diet",
    "console",
    "recipes",
    "breach",
    "ev",
    "inflation",
    "cinema",
    "novel",
    "startups",
    "privacy",
    "tennis",
    "batteries",
]


def generated_catalog(n: int, seed: int = 7) -> dict:
    """n campaigns across 100 advertisers, with realistic targeting spread over topics and keywords."""
    rng = random.Random(seed)
    base = read_file(ROOT / "config" / "catalog.example.yaml")
    template = base["advertisers"][0]["campaigns"][0]
    advertisers = []
    for a in range(100):
        camps = []
        for c in range(n // 100):
            camp = copy.deepcopy(template)
            cid = f"gen-{a}-{c}"
            camp.update(id=cid, name=cid, priority=rng.choice([0, 0, 0, 1]))
            camp["targeting"] = {
                "topics": rng.sample(TOPICS, 2),
                "keywords": rng.sample(WORDS, 4),
                "exclude_keywords": rng.sample(WORDS, 1),
                "languages": ["en"],
            }
            camp["creatives"][0]["id"] = f"{cid}-card"
            camps.append(camp)
        advertisers.append({"id": f"gen-adv-{a}", "name": f"Advertiser {a}", "campaigns": camps})
    return {"advertisers": advertisers}


def articles(n: int, seed: int = 11) -> list[dict]:
    """n distinct article bodies: a topic, keywords and a title of their own each."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        topic = rng.choice(TOPICS)
        kws = rng.sample(WORDS, 3)
        title = f"{topic.replace('-', ' ').title()}: {kws[0]} and {kws[1]} in the spotlight, part {i}"
        out.append(
            {
                "placement": "article-footer",
                "article": {**BODY["article"], "title": title, "topic": topic, "keywords": kws},
            }
        )
    return out


def zipf_sequence(bodies: list[dict], length: int = 4000, s: float = 1.1, seed: int = 5) -> list[dict]:
    """Requests as a news site sees them: a few articles get most readers (Zipf over popularity rank)."""
    rng = random.Random(seed)
    weights = [1 / (rank + 1) ** s for rank in range(len(bodies))]
    return rng.choices(bodies, weights=weights, k=length)


# The workloads: one article read by everyone (the benchmark), a day's traffic over 1,000 articles,
# and the worst case where no two requests share an article (nothing per-article is ever reused).
MIX = zipf_sequence(articles(1000))
COLD = articles(5000, seed=12)


def run(label: str, env: dict, seconds: int, workers: int, with_worker: bool = True) -> dict:
    # The event path is on, as in production: every decision books its budget and queues its
    # impression, and one rq worker persists them to SQL meanwhile (on the same 2 cores).
    worker = subprocess.Popen(
        [sys.executable, "-m", "adserver", "worker"] if with_worker else ["sleep", "3600"],
        env=dict(os.environ, **env),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with gunicorn("adserver:create_app()", 0, env, workers) as base:
            wrk(base + "/v1/decision", BODY, seconds=2)  # warm up every worker's snapshot
            peak = wrk(base + "/v1/decision", BODY, seconds=seconds)
            half = paced(base + "/v1/decision", BODY, rate=peak["rps"] / 2)
            mix = wrk(base + "/v1/decision", MIX, seconds=seconds)
            cold = wrk(base + "/v1/decision", COLD, seconds=seconds)
    finally:
        worker.terminate()
        worker.wait(30)
    print(
        f"  {label:<28} {peak['rps']:>8.0f} req/s  p50 {peak['p50_ms']:.2f} ms  p99 {peak['p99_ms']:.2f} ms"
        f"  | at 50% load ({half['rate']:.0f}/s): p50 {half['p50_ms']:.2f} ms  p99 {half['p99_ms']:.2f} ms"
        f"  errors {peak['errors'] + half['errors'] + mix['errors'] + cold['errors']}"
    )
    for name, r in (("  1,000 articles (Zipf)", mix), ("  every article new", cold)):
        print(f"  {name:<28} {r['rps']:>8.0f} req/s  p50 {r['p50_ms']:.2f} ms  p99 {r['p99_ms']:.2f} ms")
    return {"peak": peak, "half": half, "mix": mix, "cold": cold}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--no-rq-worker", action="store_true", help="leave impressions queued in Redis meanwhile")
    ap.add_argument("--tcp", action="store_true", help="reach Redis over TCP loopback instead of its Unix socket")
    args = ap.parse_args()
    print(f"gunicorn sync workers: {args.workers}; load: wrk 2 threads x 16 connections, {args.seconds}s per run")
    print("decisions run with the event path on: budget booked and impression queued per decision, one rq worker")
    with stack() as s:
        redis_url = s["redis_url"] if args.tcp else s["redis"].socket_url
        print(f"Redis on this host, over {'TCP loopback' if args.tcp else 'its Unix socket'}: {redis_url}")
        env = {"REDIS_URL": redis_url, "DATABASE_URL": s["database_url"], "SECRET_KEY": "bench-secret-key-123456"}
        with gunicorn("bare_app:create_app()", 0, env, args.workers, chdir=ROOT / "bench") as base:
            wrk(base + "/bare", BODY, seconds=2)
            bare = wrk(base + "/bare", BODY, seconds=args.seconds)
            bare_half = paced(base + "/bare", BODY, rate=bare["rps"] / 2)
            bare_mix = wrk(base + "/bare", MIX, seconds=args.seconds)  # the same wrk script cost as the mixes
            floor = wrk(base + "/bare-redis", BODY, seconds=args.seconds)
        print(
            f"  {'bare Flask {ok: true}':<28} {bare['rps']:>8.0f} req/s  p50 {bare['p50_ms']:.2f} ms  "
            f"p99 {bare['p99_ms']:.2f} ms  | at 50% load: p99 {bare_half['p99_ms']:.2f} ms"
            + (
                ""
                if bare_half["achieved"] > 0.95 * bare_half["rate"]
                else f" (the Python generator reached {bare_half['achieved']:.0f} of {bare_half['rate']:.0f}/s)"
            )
        )
        print(f"  {'  with the article bodies':<28} {bare_mix['rps']:>8.0f} req/s")
        print(
            f"  {'  + one Redis round trip':<28} {floor['rps']:>8.0f} req/s  ({floor['rps'] / bare['rps']:.2f}x: "
            "the ceiling of any design that asks Redis once per decision)"
        )
        import_catalog(s["db"], read_file(ROOT / "config" / "catalog.example.yaml"))
        small = run("decision, 12 campaigns", env, args.seconds, args.workers, not args.no_rq_worker)
        import_catalog(s["db"], generated_catalog(1000))
        large = run("decision, 1,000+ campaigns", env, args.seconds, args.workers, not args.no_rq_worker)
    r_small = small["peak"]["rps"] / bare["rps"]
    r_large = large["peak"]["rps"] / bare["rps"]
    print()
    print(f"ratio vs bare, 12 campaigns:    {r_small:.2f}x  (target >= 0.6)  {'OK' if r_small >= 0.6 else 'MISS'}")
    print(f"ratio vs bare, 1,000 campaigns: {r_large:.2f}x  (target >= 0.4)  {'OK' if r_large >= 0.4 else 'MISS'}")
    print(
        f"event path on (issue 3), 12 campaigns: {r_small:.2f}x  (target >= 0.5)  {'OK' if r_small >= 0.5 else 'MISS'}"
    )
    for label, res in (("12", small), ("1,000", large)):
        mix, cold = res["mix"]["rps"] / bare_mix["rps"], res["cold"]["rps"] / bare_mix["rps"]
        print(f"  {label} campaigns, 1,000 articles (Zipf): {mix:.2f}x; every article new: {cold:.2f}x  (no target)")
    for label, res in (("12", small), ("1,000", large)):
        p99 = res["half"]["p99_ms"]
        print(f"p99 at half of peak, {label} campaigns: {p99:.2f} ms (target < 15)  {'OK' if p99 < 15 else 'MISS'}")


if __name__ == "__main__":
    main()
