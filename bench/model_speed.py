"""Scoring latency of the relevance model: p50/p99 of `ModelRanker.rank` with 12, 100 and 5,000 campaigns.

Synthetic campaigns (topics and keywords drawn from the IAB taxonomy, descriptions from the primer);
the model is trained on them (catalog only). `rank` is timed as a decision calls it (no reasons in
words; `explain_p50_ms` with them), and the article encoding both ways: the request path's
`encode_one` against scikit-learn's `transform` on one document, which it replaces. With the `embedding`
extra installed it runs again with the dense-embedding opinion (the article embedded once per decision).
Run: `.venv/bin/python bench/model_speed.py`.
"""

from __future__ import annotations

import random
import statistics
import time

from adserver.model import embedding as dense
from adserver.model.features import article_text, iab_nodes, label_of, primer
from adserver.model.ranker import ModelRanker
from adserver.model.train import fit
from adserver.serving.context import ArticleContext
from adserver.serving.snapshot import Campaign, CatalogSnapshot, Creative, Targeting

ARTICLES = [
    ("Nvidia unveils a chip for robots", "The company says its new processor runs AI agents on the device."),
    ("Striker's late goal wins the cup final", "A header in extra time settled the match in front of 80,000 fans."),
    ("Central bank holds interest rates", "Inflation eased but the economy is still fragile, the governor said."),
    ("", ""),
    (
        "Mars probe finds signs of ancient water",
        "Scientists say the rover's data point to a lake billions of years ago.",
    ),
]


def synthetic_campaigns(n: int, seed: int = 0) -> tuple[Campaign, ...]:
    rng = random.Random(seed)
    nodes = [p for p in iab_nodes() if len(p) > 1]
    lines = [line for ls in primer().values() for line in ls]
    out = []
    for i in range(n):
        path = rng.choice(nodes)
        topics = {label_of(path[0]), label_of(path[-1])}
        words = rng.choice(lines).split()
        out.append(
            Campaign(
                id=f"c{i:05d}",
                advertiser_id=f"a{i % 50}",
                advertiser_name=f"Advertiser {i % 50}",
                name=f"{path[-1]} offer {i}",
                status="active",
                pricing_model="cpm",
                price=2.0,
                description=" ".join(rng.sample(words, min(8, len(words)))) + f" for readers of {path[-1]}",
                targeting=Targeting.from_dict({"topics": sorted(topics), "keywords": rng.sample(words, 3)}),
                creatives=(
                    Creative(f"cr{i}", f"c{i:05d}", "Sponsor", f"{path[-1]} deals", "Go", "https://example.com"),
                ),
            )
        )
    return tuple(out)


def percentiles(f, items, repeats: int) -> tuple[float, float]:
    for x in items:
        f(x)
    times = []
    for i in range(repeats):
        x = items[i % len(items)]
        t0 = time.perf_counter()
        f(x)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return round(statistics.median(times), 3), round(times[int(len(times) * 0.99) - 1], 3)


def measure(n: int, repeats: int = 400, embedding: bool = False) -> dict:
    campaigns = synthetic_campaigns(n)
    snapshot = CatalogSnapshot.build(1, campaigns)
    t0 = time.perf_counter()
    model = fit(campaigns[:300], embedding=embedding).model
    train_s = time.perf_counter() - t0
    ranker = ModelRanker(model)
    t0 = time.perf_counter()
    ranker.index(model, snapshot)
    index_s = time.perf_counter() - t0
    ctxs = [ArticleContext.create("article-footer", title=t, summary=s) for t, s in ARTICLES]
    p50, p99 = percentiles(lambda c: ranker.rank(c, campaigns, snapshot, explain=False), ctxs, repeats)
    explain_p50, _ = percentiles(lambda c: ranker.rank(c, campaigns, snapshot), ctxs, repeats)
    texts = [article_text(c) for c in ctxs]
    fast_p50, _ = percentiles(model.encode_one, texts, repeats)
    sklearn_p50, _ = percentiles(lambda t: model.encoder.transform([t]), texts, repeats)
    out = {
        "campaigns": n,
        "embedding": embedding,
        "p50_ms": p50,
        "p99_ms": p99,
        "explain_p50_ms": explain_p50,
        "encode_one_p50_ms": fast_p50,
        "sklearn_transform_p50_ms": sklearn_p50,
        "index_build_s": round(index_s, 2),
        "train_s": round(train_s, 2),
    }
    if embedding:
        embed_one = model.embedding.embedder().embed_one
        out["embed_one_p50_ms"], out["embed_one_p99_ms"] = percentiles(embed_one, texts, repeats)
        out["embed_one_4000_chars_p99_ms"] = percentiles(embed_one, ["word " * 800], 300)[1]
    return out


def main() -> None:
    variants = (False, True) if dense.available() else (False,)
    for embedding in variants:
        for n in (12, 100, 5000):
            print(measure(n, repeats=2000 if n <= 100 else 300, embedding=embedding))


if __name__ == "__main__":
    main()
