"""Decision throughput and latency vs a bare Flask endpoint, same gunicorn setup, same run.

    python bench/decision.py [--seconds 8] [--rounds 3] [--workers 2] [--no-rq-worker] [--tcp]
    python bench/decision.py --rules [--rounds 5]     # request-path cost per targeting rule class, in-process
    python bench/decision.py --reach [--rounds 7]     # the reach forecast's counting, on against off, in-process

Targets (issue 2): decision >= 0.6x bare with 12 campaigns, >= 0.4x with 1,000; p99 < 15 ms at
half of the measured peak. Issue 10: decision >= 0.6x of the floor (bare + one Redis round trip) at both.
Issue 19: >= 0.35x of the floor when every article is new; in-process (`--rules`), the baseline decision
with a cached plan at most 300 us of CPU.
Load comes from wrk (a separate process), paced by wrk's `delay` hook for the half-load run. The targets
are judged on one article read by every reader (the issue's benchmark); a Zipf mix over 1,000 articles
and a run where every request is a new article are printed beside it, since per-article work is reused
between readers of an article.

Redis runs on this host and is reached over its Unix socket, as a one-host deployment would
(`--tcp` for the loopback TCP figure).
"""

from __future__ import annotations

import argparse
import copy
import io
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, gunicorn, import_catalog, inprocess_app, stack, wrk  # noqa: E402
from werkzeug.test import EnvironBuilder  # noqa: E402

from adserver.catalog.files import read_file  # noqa: E402
from adserver.infra.redis_server import start_local  # noqa: E402
from adserver.model import tone  # noqa: E402
from adserver.model.features import article_text  # noqa: E402
from adserver.serving.context import ArticleContext  # noqa: E402

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


@contextmanager
def decision_server(s: dict, catalog: dict, args, also: dict | None = None) -> Iterator[str]:
    """gunicorn serving the app on its own stack (Redis, SQLite), with the event path on, as in
    production: every decision books its budget and queues its impression, and one rq worker
    persists them to SQL meanwhile (on the same 2 cores)."""
    for data in (also, catalog):
        if data:
            import_catalog(s["db"], data)
    env = stack_env(s, args)
    worker = subprocess.Popen(
        [sys.executable, "-m", "adserver", "worker"] if not args.no_rq_worker else ["sleep", "3600"],
        env=dict(os.environ, **env),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with gunicorn("adserver:create_app()", 0, env, args.workers) as base:
            wrk(base + "/v1/decision", BODY, seconds=2)  # warm up every worker's snapshot
            yield base + "/v1/decision"
    finally:
        worker.terminate()
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:  # rq's pubsub thread can sleep out its 60-second poll before exiting
            worker.kill()
            worker.wait()


def stack_env(s: dict, args) -> dict:
    redis_url = s["redis_url"] if args.tcp else s["redis"].socket_url
    return {
        "REDIS_URL": redis_url,
        "DATABASE_URL": s["database_url"],
        "SECRET_KEY": "bench-secret-key-123456",
        "ENVIRONMENT": "development",
        "IMPRESSION_RATE_LIMIT": "1000000000",  # wrk is one address; readers are many: bill them all
    }


def median_run(runs: list[dict]) -> dict:
    """The run of median throughput (its latencies with it)."""
    return sorted(runs, key=lambda r: r["rps"])[len(runs) // 2]


def line(label: str, r: dict, half: dict | None = None) -> str:
    out = f"  {label:<28} {r['rps']:>8.0f} req/s  p50 {r['p50_ms']:.2f} ms  p99 {r['p99_ms']:.2f} ms"
    if half is not None:
        out += f"  | at half of peak ({half['rps']:.0f}/s): p50 {half['p50_ms']:.2f} ms  p99 {half['p99_ms']:.2f} ms"
    return out


# --- cost per targeting rule class (issue 15) ---------------------------------------------------------------

GERMAN_READER = "5.9.0.1"  # an address iptocc places in Germany
DESKTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
RULES = {
    "device": {"devices": ["mobile", "tablet", "desktop"]},
    "geography": {"regions": ["EU", "UK", "NORTH-AMERICA"], "exclude_countries": ["RU"]},
    "schedule": {"schedule": {"hours": ["00-24"], "timezone": "Europe/Berlin"}},
    "brand safety": {"exclude_categories": ["crime", "disasters", "death-and-tragedy", "war-and-conflict"]},
}


# The site check (issue 22): the catalog gets a site with rules of its own, every paid campaign targets it, and
# every request comes from one of its pages (a `*.` subdomain: the longest match) naming it.
BENCH_SITE = {
    "id": "bench-news",
    "name": "Bench News",
    "domains": ["news.example", "*.news.example"],
    "blocked_advertisers": ["nobody"],  # a rule of its own, so the per-request site rules run
}  # no exclude_categories: reading the article's categories is brand safety's cost, measured there
SITE_TARGET = 1.05  # the site check may cost at most 5% of a decision
REACH_TARGET = 1.03  # counting a decision for the reach forecast (issue 23): at most 3% of it
BASELINE_TARGET_US = 300  # issue 19: a plain decision with its plan cached, CPU per request in-process
COLD_FLOOR_TARGET = 0.35  # issue 19: every article new, against the floor


def rules_catalog(rules: dict) -> dict:
    """The example catalog with budgets that never run out (every variant takes the same path) and no sentiment
    exclusions (they belong to brand safety), each paid campaign given `rules` (all of which the benchmark's
    reader and article pass: the rules are evaluated, not short-circuited)."""
    data = read_file(ROOT / "config" / "catalog.example.yaml")
    for adv in data["advertisers"]:
        for c in adv["campaigns"]:
            budget = c.get("budget") or {}
            c["budget"] = {k: (v * 10_000 if v is not None else None) for k, v in budget.items()}
            c.setdefault("targeting", {}).pop("exclude_sentiments", None)
            if not c.get("house"):
                c["targeting"].update(copy.deepcopy(rules))
                if "exclude_categories" in rules:
                    c["targeting"]["exclude_sentiments"] = ["negative"]
    if "sites" in rules:
        data["sites"] = [copy.deepcopy(BENCH_SITE)]
    return data


def rule_costs(args) -> None:
    """Each rule class on its own app (the same Redis, its own SQLite catalog), called as WSGI in-process with
    a desktop browser's User-Agent from a German address, articles sent without `sentiment` (so brand safety
    estimates it). Interleaved rounds; per round the CPU time per request (this thread's) and its ratio to the
    baseline of the same round; medians reported. Two workloads: one article read by every reader (its plan
    cached) and every request a new article (everything per-article done each time)."""
    variants = {
        "baseline": {},
        **{k: v for k, v in RULES.items()},
        "all four": {k: v for r in RULES.values() for k, v in r.items()},
        "site": {"sites": [BENCH_SITE["id"]]},
    }
    if args.only:
        variants = {k: v for k, v in variants.items() if k == "baseline" or k in args.only.split(",")}
    overrides: dict[str, dict] = {}
    if args.reach:  # the same catalog twice: the baseline without the reach forecast's counting, then with it
        variants = {"baseline": {}, "reach counting": {}}
        overrides = {"baseline": {"reach_counting": False}}
    redis = start_local()
    tmp = Path(tempfile.mkdtemp(prefix="adserver-rules-"))
    apps = {}
    try:
        for name, rules in variants.items():
            apps[name] = inprocess_app(tmp, len(apps), rules_catalog(rules), redis.url, overrides.get(name))

        def body(i: int | None) -> dict:
            article = {k: v for k, v in BODY["article"].items() if k != "sentiment"}
            if i is not None:  # a new article: its own title, so no plan or parse is reused
                article["title"] = f"{article['title']}, part {i}"
            # The site is named and the page's Origin sent on every variant: without sites they are not read.
            return {"placement": "article-footer", "article": article, "site": BENCH_SITE["id"]}

        def environ(payload: dict) -> dict:
            b = EnvironBuilder(
                path="/v1/decision",
                method="POST",
                json=payload,
                headers={"User-Agent": DESKTOP, "Origin": "https://www.news.example"},
                environ_base={"REMOTE_ADDR": GERMAN_READER},
            )
            return b.get_environ()

        def run(app, payloads: list[dict]) -> float:
            envs = [environ(p) for p in payloads]
            raw = [e["wsgi.input"].read() for e in envs]
            status = []

            def start_response(s, h, exc_info=None):
                status.append(s)

            # CPU time of this thread: on a shared machine wall time measures the neighbours more than the rules
            # (Redis's own work is in its process and the same for every variant).
            t = time.thread_time()
            for e, data in zip(envs, raw, strict=True):
                e["wsgi.input"] = io.BytesIO(data)
                for _ in app(e, start_response):
                    pass
            elapsed = time.thread_time() - t
            if any(not s.startswith("200") for s in status):
                raise SystemExit(f"a decision failed: {[s for s in status if not s.startswith('200')][:3]}")
            return elapsed / len(payloads) * 1e6

        one = [body(None)] * args.requests
        for app in apps.values():  # warm: plans, parse memo, the reader's first reads
            run(app, one[:200])
        times: dict[str, dict[str, list[float]]] = {w: {k: [] for k in apps} for w in ("one article", "new articles")}
        counter = 0
        for r in range(args.rounds):
            order = list(apps) if r % 2 == 0 else list(reversed(apps))  # interleaved, alternating order
            for name in order:
                times["one article"][name].append(run(apps[name], one))
                fresh = [body(counter + i) for i in range(args.requests // 4)]
                times["new articles"][name].append(run(apps[name], fresh))
            counter += args.requests
        print(
            f"CPU per request, in-process WSGI (POST /v1/decision), {args.rounds} interleaved rounds of {args.requests}"
        )
        print(
            f"(one article) and {args.requests // 4} (new articles) requests; medians; ratio: to the baseline of "
            "the same round\n"
        )
        for workload, per in times.items():
            print(f"{workload}:")
            for name, values in per.items():
                ratios = [v / b for v, b in zip(values, per["baseline"], strict=True)]
                if name == "baseline" and workload == "one article":
                    ok = statistics.median(values) <= BASELINE_TARGET_US
                    flag = "  OK" if ok else f"  MISS (target <= {BASELINE_TARGET_US} us)"
                elif name == "baseline":
                    flag = ""
                elif name == "all four":  # the target is per rule class; four classes add up
                    flag = "  (no target: the four classes together)"
                elif name == "reach counting":
                    ok = statistics.median(ratios) <= REACH_TARGET
                    flag = "  OK" if ok else f"  MISS (target <= {REACH_TARGET:.2f}x)"
                elif name == "site":
                    ok = statistics.median(ratios) <= SITE_TARGET
                    flag = "  OK" if ok else f"  MISS (target <= {SITE_TARGET:.2f}x: the site check)"
                else:
                    flag = "  OK" if statistics.median(ratios) <= 1.10 else "  MISS (target <= 1.10x per class)"
                print(
                    f"  {name:<14} {statistics.median(values):8.0f} us   {statistics.median(ratios):.3f}x"
                    f"   [rounds: {', '.join(f'{x:.2f}' for x in ratios)}]{flag}"
                )
        if "site" in apps:
            baseline = statistics.median(times["one article"]["baseline"])
            site_check_costs(apps["site"].extensions["adserver"].catalog.get(), baseline, args.rounds)
        if args.reach:
            baseline = statistics.median(times["one article"]["baseline"])
            count_costs(apps["reach counting"].extensions["adserver"].reach, baseline, args.rounds)
        else:
            reading_costs(next(iter(apps.values())).extensions["adserver"].matcher, args.rounds)
    finally:
        for app in apps.values():
            app.extensions["adserver"].close()
        redis.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def count_costs(tally, baseline_us: float, rounds: int, n: int = 50_000) -> None:
    """The reach forecast's counting alone (the ratios above move more than it costs): a decision counted on an
    article already read, and the reading of a new article (once per plan); its sends to Redis (once a second)
    included. Best of rounds; its share of the baseline decision's median CPU time above."""
    from adserver.serving.context import ArticleContext
    from adserver.serving.plans import Plan

    ctx = ArticleContext.create("article-footer", **BODY["article"])
    plan = Plan(ctx, [], None, "artificial-intelligence")
    best, first = float("inf"), float("inf")
    for _ in range(rounds):
        t = time.thread_time()
        for _ in range(n):
            tally.count(plan, "", "desktop", "DE")
        best = min(best, (time.thread_time() - t) / n * 1e6)
        plans = [Plan(ctx, [], None, "artificial-intelligence") for _ in range(n // 10)]
        t = time.thread_time()
        for p in plans:
            tally.count(p, "", "desktop", "DE")
        first = min(first, (time.thread_time() - t) / len(plans) * 1e6)
    tally.flush()
    share = best / baseline_us
    flag = "OK" if 1 + share <= REACH_TARGET else f"MISS (target <= {REACH_TARGET - 1:.0%})"
    print(
        f"\ncounting alone, per decision: {best:.2f} us ({share:.2%} of the baseline decision's {baseline_us:.0f} us)"
        f"  {flag}; a new article's first count (its reading and id): {first:.1f} us"
    )


def site_check_costs(snapshot, baseline_us: float, rounds: int, n: int = 20_000) -> None:
    """The site check's own work per request, timed alone (the ratios above move more than it costs): the
    page's host from its Origin, its site (a `*.` domain: the longest match), and the site's and campaigns'
    rules on every paid campaign (an upper bound: a decision checks only its
    contenders). Best of rounds; its share of the baseline decision's median CPU time above."""
    from adserver.serving import eligibility, sites
    from adserver.serving.context import ArticleContext

    on = ArticleContext.create("article-footer", BENCH_SITE["id"], **BODY["article"])
    paid = [c for c in snapshot.campaigns if not c.house]
    best = float("inf")
    for _ in range(rounds):
        t = time.thread_time()
        for _ in range(n):
            host = sites.page_host("https://www.news.example", None, on.url)
            page = sites.page(snapshot.sites, BENCH_SITE["id"], host)
            site = snapshot.sites.get(page.site)
            for c in paid:
                eligibility.site_reason(c, on, site)
        best = min(best, (time.thread_time() - t) / n * 1e6)
    share = best / baseline_us
    flag = "OK" if 1 + share <= SITE_TARGET else f"MISS (target <= {SITE_TARGET - 1:.0%})"
    print(
        f"\nthe site check alone, per request ({len(paid)} campaigns checked): {best:.1f} us, "
        f"{share:.1%} of the baseline decision ({baseline_us:.0f} us)  {flag}"
    )


def reading_costs(matcher, rounds: int, batch: int = 50) -> None:
    """What brand safety adds to a new article's reading, measured apart (on a busy machine the per-request
    ratios above move more than that): per article, its embedding, the topic reading on it, the sensitive
    categories on the same embedding, the tone on it (and, for comparison, VADER alone: the estimate before the
    tone reader, which reads VADER's score as one feature). Batches of new articles (each embedded first, so the
    later parts find it as the plan does), interleaved; the CPU time of the best round, per article."""
    article = {k: v for k, v in BODY["article"].items() if k != "sentiment"}
    parts = {
        "embedding": lambda c: matcher.embed(article_text(c)),
        "embedding, no headline (before)": lambda c: matcher.encoder.embed_one(article_text(c)),
        "topic reading": matcher.read,
        "sensitive categories": lambda c: matcher.annotate(c, False, True),
        "tone": lambda c: matcher.annotate(c, True, False),
        "VADER alone (before)": lambda c: tone.lexicon_tone(f"{c.title} . {c.summary}"),
    }
    best = dict.fromkeys(parts, float("inf"))
    for r in range(rounds * 4):
        for name, part in parts.items():
            fresh = [
                ArticleContext.create("article-footer", **{**article, "title": f"{article['title']} {name} {r} {i}"})
                for i in range(batch)
            ]
            if not name.startswith("embedding"):
                for c in fresh:
                    matcher.embed(article_text(c))
            t = time.thread_time()
            for c in fresh:
                part(c)
            best[name] = min(best[name], (time.thread_time() - t) / batch * 1e6)
    print("\nper new article, apart (best of rounds):")
    for name, us in best.items():
        print(f"  {name:<32} {us:7.1f} us")
    shared = best["topic reading"] + best["sensitive categories"]
    after = best["embedding"] + shared + best["tone"]
    before = best["embedding, no headline (before)"] + shared + best["VADER alone (before)"]
    print(f"  all readings: {after:.1f} us with the tone reader, {before:.1f} us with VADER: {after / before:.3f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=3, help="interleaved peak runs per server; medians are reported")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--no-rq-worker", action="store_true", help="leave impressions queued in Redis meanwhile")
    ap.add_argument("--tcp", action="store_true", help="reach Redis over TCP loopback instead of its Unix socket")
    ap.add_argument("--rules", action="store_true", help="cost per targeting rule class, in-process (issue 15)")
    ap.add_argument("--requests", type=int, default=2000, help="--rules: requests per variant and round")
    ap.add_argument("--only", default="", help="--rules: these classes (comma-separated) beside the baseline")
    ap.add_argument("--reach", action="store_true", help="the reach forecast's counting, on against off (issue 23)")
    args = ap.parse_args()
    if args.rules or args.reach:
        rule_costs(args)
        return
    threads = os.environ.get("WEB_THREADS", "64")
    print(f"gunicorn workers: {args.workers} x {threads} threads (config/gunicorn.conf.py; WEB_THREADS=1: sync)")
    print(f"load: wrk 2 threads x 16 connections, {args.seconds}s per run")
    print("decisions run with the event path on: budget booked and impression queued per decision, one rq worker")
    print(
        f"peaks: {args.rounds} rounds of bare, 12 and 1,000 campaigns and the floor in turn (a noisy shared machine "
        "drifts between runs); the median of each is reported"
    )
    with stack() as s12, stack() as s1000, ExitStack() as servers:
        print(f"Redis on this host, over {'TCP loopback' if args.tcp else 'its Unix socket'} (one per server)")
        base = servers.enter_context(
            gunicorn("bare_app:create_app()", 0, stack_env(s12, args), args.workers, chdir=ROOT / "bench")
        )
        wrk(base + "/bare", BODY, seconds=2)
        example = read_file(ROOT / "config" / "catalog.example.yaml")
        urls = {
            "bare": base + "/bare",
            "12": servers.enter_context(decision_server(s12, example, args)),
            "1000": servers.enter_context(decision_server(s1000, generated_catalog(1000), args, also=example)),
        }
        # The floor (bare + one trivial EVALSHA) is a peak of its own, in the same interleaved rounds.
        peak_urls = {**urls, "floor": base + "/bare-redis"}
        peaks: dict[str, list[dict]] = {k: [] for k in peak_urls}
        for _ in range(args.rounds):
            for k, url in peak_urls.items():
                peaks[k].append(wrk(url, BODY, seconds=args.seconds))
        peak = {k: median_run(v) for k, v in peaks.items()}
        floor = peak["floor"]
        half = {k: wrk(url, BODY, seconds=args.seconds, rate=peak[k]["rps"] / 2) for k, url in urls.items()}
        mix = {k: wrk(url, MIX, seconds=args.seconds) for k, url in urls.items()}  # bare: the same wrk script cost
        cold = {k: wrk(url, COLD, seconds=args.seconds) for k, url in urls.items() if k != "bare"}
        # Per-article work (the topic reader, ranking) is cached by content: the day's mix and all-new
        # articles show what a first read costs, at half of their own peak.
        half_mix = {k: wrk(urls[k], MIX, seconds=args.seconds, rate=mix[k]["rps"] / 2) for k in ("12", "1000")}
        half_cold = {k: wrk(urls[k], COLD, seconds=args.seconds, rate=cold[k]["rps"] / 2) for k in ("12", "1000")}
    errors = sum(
        r["errors"] for k in ("12", "1000") for r in (*peaks[k], half[k], mix[k], cold[k], half_mix[k], half_cold[k])
    )
    print(line("bare Flask {ok: true}", peak["bare"], half["bare"]))
    print(f"  {'  with the article bodies':<28} {mix['bare']['rps']:>8.0f} req/s")
    print(
        f"  {'  + one Redis round trip':<28} {floor['rps']:>8.0f} req/s  ({floor['rps'] / peak['bare']['rps']:.2f}x: "
        "the ceiling of any design that asks Redis once per decision)"
    )
    for k, label in (("12", "decision, 12 campaigns"), ("1000", "decision, 1,000+ campaigns")):
        print(line(label, peak[k], half[k]))
        print(line("  1,000 articles (Zipf)", mix[k], half_mix[k]))
        print(line("  every article new", cold[k], half_cold[k]))
    print(f"  errors (non-2xx) in all decision runs: {errors}")
    print()
    rounds = {
        k: ", ".join(f"{d['rps'] / b['rps']:.2f}" for d, b in zip(peaks[k], peaks["bare"], strict=True))
        for k in ("12", "1000")
    }
    for k, label, target in (("12", "12 campaigns:   ", 0.6), ("1000", "1,000 campaigns:", 0.4)):
        r = peak[k]["rps"] / peak["bare"]["rps"]
        print(
            f"ratio vs bare, {label} {r:.2f}x  (target >= {target})  {'OK' if r >= target else 'MISS'}"
            f"   [round by round: {rounds[k]}]"
        )
    for k, label in (("12", "12 campaigns:   "), ("1000", "1,000 campaigns:")):
        by_round = [d["rps"] / f["rps"] for d, f in zip(peaks[k], peaks["floor"], strict=True)]
        r = statistics.median(by_round)
        print(
            f"ratio vs the floor, {label} {r:.2f}x  (target >= 0.6)  {'OK' if r >= 0.6 else 'MISS'}"
            f"   [round by round: {', '.join(f'{x:.2f}' for x in by_round)}]"
        )
    r_small = peak["12"]["rps"] / peak["bare"]["rps"]
    print(
        f"event path on (issue 3), 12 campaigns: {r_small:.2f}x  (target >= 0.5)  {'OK' if r_small >= 0.5 else 'MISS'}"
    )
    for k, label in (("12", "12 campaigns:   "), ("1000", "1,000 campaigns:")):
        r = cold[k]["rps"] / floor["rps"]
        print(
            f"every article new vs the floor, {label} {r:.2f}x  (target >= {COLD_FLOOR_TARGET})  "
            f"{'OK' if r >= COLD_FLOOR_TARGET else 'MISS'}"
        )
    for k, label in (("12", "12"), ("1000", "1,000")):
        m, c = mix[k]["rps"] / mix["bare"]["rps"], cold[k]["rps"] / mix["bare"]["rps"]
        print(f"  {label} campaigns, 1,000 articles (Zipf): {m:.2f}x; every article new: {c:.2f}x  (no target)")
    for k, label in (("12", "12"), ("1000", "1,000")):
        for what, runs in (("one article", half), ("Zipf", half_mix), ("all new", half_cold)):
            p99 = runs[k]["p99_ms"]
            print(
                f"p99 at half of peak, {label} campaigns, {what}: {p99:.2f} ms (target < 15)  "
                f"{'OK' if p99 < 15 else 'MISS'}"
            )


if __name__ == "__main__":
    main()
