"""Issue 20, finding 4: can one advertiser's campaigns slow every publisher's decisions?

    python bench/self_service_attack.py [--rounds 5] [--requests 300]

Four catalogs, each its own app on one Redis, called as WSGI in-process with every request a new article
(nothing per-article reused): the example catalog alone (the baseline); plus the attack as it was found,
50 campaigns with a budget of 0 and 1,300 keywords each (a catalog file can still hold that; self-service
no longer takes more than 50); plus the same 50 with 50 keywords each and a budget of 0 (what self-service
now accepts); plus 50 with 50 keywords and money to spend (they are scored, and may win). Keywords are real
words that pass the relevance policy. Interleaved rounds; per round the wall time of each request; medians
of the rounds' p50 and p95, and their ratio to the baseline of the same round. Target: within 2x.
"""

from __future__ import annotations

import argparse
import io
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, inprocess_app  # noqa: E402
from werkzeug.test import EnvironBuilder  # noqa: E402
from wordfreq import top_n_list  # noqa: E402

from adserver.catalog.files import read_file  # noqa: E402
from adserver.catalog.policy import RelevancePolicy  # noqa: E402
from adserver.infra.redis_server import start_local  # noqa: E402

DESKTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
TITLES = [
    "Central bank raises interest rates again as inflation bites",
    "The striker who terrorises defences: how a teenager became the league's top scorer",
    "Why your sourdough fails, and the fix",
    "Japan's manufacturing sector and the race for physical AI",
    "How to prune roses in late winter",
    "Comedian cancels the rest of his tour after losing his voice",
]


def meaningful_words(n: int) -> list[str]:
    """Real English words the policy accepts as keywords, from the 3,000th most common on."""
    policy = RelevancePolicy()
    words = [w for w in top_n_list("en", 40_000)[3000:] if w.isalpha() and len(w) > 3]
    return [w for w in words if not policy.weak_keyword(w)][:n]


def with_attacker(keywords: int, budget: float | None) -> dict:
    data = read_file(ROOT / "config" / "catalog.example.yaml")
    words = meaningful_words(50 * keywords)
    campaigns = []
    for i in range(50):
        campaigns.append(
            {
                "id": f"attacker-{i}",
                "name": f"Attacker {i}",
                "pricing": {"model": "cpm", "price": 1.0},
                "budget": {"total": budget, "daily": budget},
                "targeting": {"keywords": words[i * keywords : (i + 1) * keywords]},
                "creatives": [
                    {
                        "id": f"attacker-{i}-card",
                        "display_name": "Attacker",
                        "title": "Everywhere",
                        "cta": {"text": "Go", "url": "https://attacker.example/"},
                    }
                ],
            }
        )
    data["advertisers"].append({"id": "attacker", "name": "Attacker", "campaigns": campaigns})
    return data


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--requests", type=int, default=300, help="new articles per catalog and round")
    args = ap.parse_args()
    variants = {
        "baseline": read_file(ROOT / "config" / "catalog.example.yaml"),
        "as found: 50 x 1,300 keywords, budget 0": with_attacker(1300, 0),
        "now: 50 x 50 keywords, budget 0": with_attacker(50, 0),
        "now: 50 x 50 keywords, spending": with_attacker(50, 1000),
    }
    redis = start_local()
    tmp = Path(tempfile.mkdtemp(prefix="adserver-attack-"))
    apps = {}
    try:
        for n, (name, data) in enumerate(variants.items()):
            apps[name] = inprocess_app(tmp, n, data, redis.url)

        def environ(i: int) -> dict:
            title = f"{TITLES[i % len(TITLES)]}, part {i}"  # a new article: no plan or parse reused
            body = {"placement": "article-footer", "article": {"title": title, "language": "en"}}
            return EnvironBuilder(
                path="/v1/decision", method="POST", json=body, headers={"User-Agent": DESKTOP}
            ).get_environ()

        def run(app, first: int, count: int) -> list[float]:
            envs = [environ(first + i) for i in range(count)]
            raw = [e["wsgi.input"].read() for e in envs]
            times = []

            def start_response(status, headers, exc_info=None):
                if not status.startswith(("200", "204")):
                    raise SystemExit(f"a decision failed: {status}")

            for e, data in zip(envs, raw, strict=True):
                e["wsgi.input"] = io.BytesIO(data)
                t = time.perf_counter()
                for _ in app(e, start_response):
                    pass
                times.append((time.perf_counter() - t) * 1000)
            return times

        for n, app in enumerate(apps.values()):  # warm: imports, the reader's first reads
            run(app, 10_000_000 + n * 1000, 50)
        p50 = {name: [] for name in apps}
        p95 = {name: [] for name in apps}
        counter = 0
        for r in range(args.rounds):
            order = list(apps) if r % 2 == 0 else list(reversed(apps))  # interleaved, alternating order
            for name in order:
                times = sorted(run(apps[name], counter, args.requests))
                counter += args.requests
                p50[name].append(statistics.median(times))
                p95[name].append(times[int(len(times) * 0.95)])
        print(f"new-article decisions, in-process WSGI, {args.rounds} interleaved rounds of {args.requests} each;")
        print("medians of the rounds' p50 and p95; ratio: to the baseline of the same round (target: within 2x)\n")
        for name in apps:
            r50 = statistics.median(a / b for a, b in zip(p50[name], p50["baseline"], strict=True))
            r95 = statistics.median(a / b for a, b in zip(p95[name], p95["baseline"], strict=True))
            flag = "" if name == "baseline" else ("  OK" if max(r50, r95) <= 2 else "  MISS")
            print(
                f"  {name:<42} p50 {statistics.median(p50[name]):6.2f} ms ({r50:.2f}x)"
                f"   p95 {statistics.median(p95[name]):6.2f} ms ({r95:.2f}x){flag}"
            )
    finally:
        for app in apps.values():
            app.extensions["adserver"].close()
        redis.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
