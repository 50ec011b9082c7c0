"""Reach forecast accuracy: 35 days of simulated decisions, forecast on the first 28, checked on the next 7.

    python bench/forecast.py [--per-day 20000] [--seed 3]

Traffic: eight topics, each with its own volume, weekly profile (sport peaks at weekends, business on weekdays),
readers' countries and share of phones; phones read in the evening, desktops in office hours (UTC); a new set of
articles every day, each read less as it ages, with heavy-tailed popularity; keywords in some articles' keyword
lists and titles; two placements; traffic grows slowly (0.3% a day). Days 1-28 go through the real aggregate
(`forecast.tally` -> Redis -> `forecast.store.fold` -> SQL -> `load_window`) and each campaign is forecast with
`forecast.reach.forecast`. Days 29-35 are not counted: every decision of theirs is checked against each campaign
with the serving rules on the whole decision (its article, reader and minute): what the campaign, with no budget
to limit it, was eligible for. Target (issue 23): each forecast within 25% of that. Every article here carries
its publisher's topic (the topic model's reading, an approximation of its own, is not simulated).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import redis

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import stack  # noqa: E402

from adserver.forecast import store  # noqa: E402
from adserver.forecast.reach import forecast  # noqa: E402
from adserver.forecast.tally import ReachTally  # noqa: E402
from adserver.serving.context import ArticleContext  # noqa: E402
from adserver.serving.eligibility import reader_reason, rejection_reason  # noqa: E402
from adserver.serving.matching import DeclaredTopics  # noqa: E402
from adserver.serving.plans import Plan  # noqa: E402
from adserver.serving.snapshot import Campaign, CatalogSnapshot, Creative, Targeting  # noqa: E402
from adserver.serving.taxonomy import reported_topic  # noqa: E402

DAYS, TRAIN = 35, 28
TARGET = 0.25
PLACEMENTS = (("article-footer", 0.8), ("article-sidebar", 0.2))
COUNTRIES = ("DE", "GB", "FR", "US", "NL", "")  # '' unknown
# topic: (share of traffic, weekly profile Mon..Sun, country weights, share of phones, keywords)
TOPICS = {
    "sport": (0.22, (0.8, 0.7, 0.8, 0.8, 0.9, 1.6, 1.7), (3, 5, 1, 1, 1, 1), 0.7, ("football", "tennis", "transfer")),
    "politics": (0.18, (1.2, 1.2, 1.1, 1.1, 1.0, 0.6, 0.7), (5, 2, 2, 1, 1, 1), 0.5, ("election", "budget", "vote")),
    "business": (0.14, (1.3, 1.3, 1.2, 1.2, 1.1, 0.4, 0.5), (2, 3, 1, 3, 1, 1), 0.35, ("stocks", "startups", "merger")),
    "travel": (0.10, (0.9, 0.8, 0.8, 0.9, 1.1, 1.3, 1.2), (2, 2, 2, 1, 2, 1), 0.6, ("trains", "hotels", "flights")),
    "food": (0.09, (0.8, 0.8, 0.9, 0.9, 1.0, 1.3, 1.3), (1, 2, 3, 1, 1, 1), 0.65, ("recipes", "vegan", "baking")),
    "health": (0.10, (1.1, 1.0, 1.0, 1.0, 1.0, 0.9, 1.0), (2, 2, 2, 2, 1, 1), 0.55, ("sleep", "running", "diet")),
    "artificial-intelligence": (
        0.09,
        (1.2, 1.2, 1.2, 1.1, 1.0, 0.6, 0.7),
        (2, 2, 1, 4, 1, 1),
        0.3,
        ("agents", "robots"),
    ),
    "climate": (0.08, (1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0), (3, 2, 2, 1, 2, 1), 0.5, ("solar", "heatwave", "floods")),
}
# Hour of the day (UTC) of a read, by device: phones in the evening, desktops in office hours, tablets at night.
HOURLY = {
    "mobile": np.array([1, 1, 1, 1, 1, 2, 4, 6, 6, 4, 3, 3, 4, 3, 3, 3, 4, 5, 7, 9, 10, 9, 6, 3], float),
    "desktop": np.array([0.3, 0.2, 0.2, 0.2, 0.3, 0.5, 1, 3, 6, 8, 8, 7, 6, 7, 8, 8, 7, 5, 3, 2, 1.5, 1, 0.6, 0.4]),
    "tablet": np.array([2, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 4, 6, 8, 9, 7, 4], float),
}
ARTICLES_PER_TOPIC = 20  # new each day
GROWTH = 0.003  # a day


def campaign(cid: str, **targeting) -> Campaign:
    card = Creative(f"{cid}-card", cid, "x", "x", "x", "https://example.com/")
    return Campaign(cid, "bench", "bench", cid, "active", "cpm", 1.0, targeting=Targeting.from_dict(targeting),
                    creatives=(card,))  # fmt: skip


BERLIN_MORNINGS = {"days": ["mon", "tue", "wed", "thu", "fri"], "hours": ["07-10"], "timezone": "Europe/Berlin"}
EVENINGS = {"hours": ["18-23"], "timezone": "Europe/London"}
CAMPAIGNS = {
    "topic": [campaign("sport", topics=["sport"]), campaign("money", topics=["business", "economy"])],
    "keyword": [campaign("election", keywords=["election"]), campaign("kitchen", keywords=["vegan", "baking"])],
    "country": [campaign("uk", countries=["GB"]), campaign("dach", regions=[], countries=["DE"], topics=["politics"])],
    "device": [campaign("phones", devices=["mobile"]), campaign("desks", devices=["desktop"], topics=["business"])],
    "placement": [campaign("sidebar", placements=["article-sidebar"])],
    "schedule": [campaign("mornings", schedule=BERLIN_MORNINGS), campaign("evenings", schedule=EVENINGS)],
    "combined": [
        campaign("uk-sport-phones", topics=["sport"], countries=["GB"], devices=["mobile"], schedule=EVENINGS),
        campaign("de-politics-desk", topics=["politics"], countries=["DE"], devices=["desktop"],
                 schedule=BERLIN_MORNINGS, exclude_keywords=["budget"]),
    ],
}  # fmt: skip


class Article:
    def __init__(self, rng: np.random.Generator, topic: str, n: int, day: int):
        words = TOPICS[topic][4]
        keywords = [w for w in words if rng.random() < 0.25]
        in_title = [w for w in words if w not in keywords and rng.random() < 0.08]
        title = f"{topic} story {day}-{n}" + "".join(f" {w}" for w in in_title)
        self.topic, self.day = topic, day
        self.popularity = float(rng.lognormal(0.0, 0.8))
        self.ctx = {p: ArticleContext.create(p, title=title, topic=topic, keywords=keywords, language="en")
                    for p, _ in PLACEMENTS}  # fmt: skip
        self.plans = {p: Plan(c, [], None, reported_topic(topic)) for p, c in self.ctx.items()}

    def weight(self, day: int) -> float:
        age = day - self.day
        return self.popularity * (0.5**age) if 0 <= age < 5 else 0.0


def simulate(per_day: int, seed: int):
    """Each day's decisions: (article, placement, device, country, when)."""
    rng = np.random.default_rng(seed)
    start = datetime.now(UTC).date() - timedelta(days=TRAIN)
    articles: list[Article] = []
    countries = np.array(COUNTRIES)
    placements, p_weights = zip(*PLACEMENTS, strict=True)
    hourly = {d: h / h.sum() for d, h in HOURLY.items()}
    for d in range(DAYS):
        day = start + timedelta(days=d)
        articles = [a for a in articles if d - a.day < 5]
        for topic in TOPICS:
            articles += [Article(rng, topic, i, d) for i in range(ARTICLES_PER_TOPIC)]
        decisions = []
        for topic, (share, weekly, cw, phones, _) in TOPICS.items():
            mine = [a for a in articles if a.topic == topic]
            weights = np.array([a.weight(d) for a in mine])
            volume = per_day * share * weekly[day.weekday()] * (1 + GROWTH) ** d
            reads = rng.poisson(volume * weights / weights.sum())
            cw = np.array(cw, float) / sum(cw)
            for a, n in zip(mine, reads, strict=True):
                if not n:
                    continue
                device = rng.choice(
                    ["mobile", "desktop", "tablet"], n, p=[phones, (1 - phones) * 0.85, (1 - phones) * 0.15]
                )
                country = rng.choice(countries, n, p=cw)
                placement = rng.choice(placements, n, p=p_weights)
                minute = rng.integers(0, 60, n)
                for dev, c, p, m in zip(device, country, placement, minute, strict=True):
                    hour = int(rng.choice(24, p=hourly[dev]))
                    when = datetime(day.year, day.month, day.day, hour, int(m), tzinfo=UTC)
                    decisions.append((a, str(p), str(dev), str(c), when))
        yield day, decisions


def eligible(c: Campaign, a: Article, placement: str, device: str, country: str, when: datetime, memo: dict) -> bool:
    """The serving rules on one whole decision (`rejection_reason` with the reader's time, then the match)."""
    key = (c.id, a, placement)  # the article itself (an id() would be reused once it is collected)
    about = memo.get(key)
    if about is None:
        ctx = a.ctx[placement]
        about = memo[key] = rejection_reason(c, ctx, when.date(), ctx.text_words()) is None and bool(
            DeclaredTopics().fits(ctx, [c])[0].eligible
        )
    return about and reader_reason(c, ArticleContext(placement, device=device, country=country), when) is None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-day", type=int, default=20000, help="decisions a day (at the start)")
    ap.add_argument("--seed", type=int, default=3)
    args = ap.parse_args()
    everyone = [c for cs in CAMPAIGNS.values() for c in cs]
    actual: dict[str, float] = defaultdict(float)
    memo: dict = {}
    counted = 0
    t0 = time.perf_counter()
    with stack() as s:
        conn = redis.Redis.from_url(s["redis_url"])
        tally = ReachTally(conn)
        for d, (_day, decisions) in enumerate(simulate(args.per_day, args.seed)):
            if d < TRAIN:
                for a, p, dev, c, when in decisions:
                    tally.count(a.plans[p], "", dev, c, when.timestamp())
                tally.flush()
                counted += len(decisions)
                if d % 7 == 6:
                    store.fold(conn, s["db"])
            else:
                for a, p, dev, c, when in decisions:
                    for camp in everyone:
                        if eligible(camp, a, p, dev, c, when, memo):
                            actual[camp.id] += 1 / (DAYS - TRAIN)
        store.fold(conn, s["db"])
        fed = time.perf_counter() - t0
        today = datetime.now(UTC).date()
        window = store.load_window(s["db"], today)
        t1 = time.perf_counter()
        window.read, window.by_bucket  # noqa: B018 (once per window and process: `WindowCache`)
        prepared = time.perf_counter() - t1
        t1 = time.perf_counter()
        catalog = CatalogSnapshot.build(0, ())
        results = {c.id: forecast(c, window, catalog, today) for c in everyone}
        per_forecast = (time.perf_counter() - t1) / len(everyone)
        conn.close()
    print(f"{DAYS} days simulated ({counted} decisions counted over {TRAIN} days through the aggregate, {fed:.0f} s);")
    print(f"window: {len(window.days)} days, {len(window.audience)} audience rows, {len(window.articles)} article rows;"
          f" read in {prepared * 1000:.0f} ms once, then {per_forecast * 1000:.0f} ms per forecast\n")  # fmt: skip
    print(f"{'kind':<10} {'campaign':<18} {'forecast/day':>12} {'range':>15} {'eligible/day, next 7':>21} {'error':>8}")
    worst: dict[str, float] = {}
    for kind, camps in CAMPAIGNS.items():
        for c in camps:
            f, real = results[c.id], actual[c.id]
            err = (f.expected - real) / real if real else float("inf")
            worst[kind] = max(worst.get(kind, 0.0), abs(err))
            flag = "" if abs(err) <= TARGET else "  MISS"
            print(f"{kind:<10} {c.id:<18} {f.expected:>12} {f'{f.low}-{f.high}':>15} {real:>21.0f} {err:>+8.1%}{flag}")
    print()
    for kind, e in worst.items():
        print(f"worst error, {kind:<10} {e:6.1%}  (target within {TARGET:.0%})  {'OK' if e <= TARGET else 'MISS'}")
    print(f"all within {TARGET:.0%}: {'OK' if max(worst.values()) <= TARGET else 'MISS'}")


if __name__ == "__main__":
    main()
