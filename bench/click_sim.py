"""Click-learning simulation: does the CTR term with Thompson sampling find the best card per topic?

A hidden true CTR per (topic, campaign); each impression is one `decide()` on a fresh article of a
random topic (no topic field: the model reads the title), a click is drawn from the true CTR of the
card served, and the counts are fed back the way the rollups would (`MemoryClickStats`, updated in
batches like the periodic rollup refresh). Compared with the oracle (always the truly best campaign for
the topic) and relevance-only ranking (the same model without click feedback).

This drives `decide()` + the feedback updater directly, not the HTTP service: the events pipeline
(`daily_rollups`) is not merged on this branch. Run: `.venv/bin/python bench/click_sim.py`.
"""

from __future__ import annotations

import argparse
import random

import numpy as np

from adserver.context import ArticleContext
from adserver.decision import decide
from adserver.model.catalogs import snapshot_from_file
from adserver.model.feedback import MemoryClickStats
from adserver.model.ranker import ModelRanker
from adserver.model.train import fit
from adserver.settings import ROOT

CATALOG = ROOT / "bench" / "click_sim_catalog.yaml"
TOPICS = {
    "tech": ["New chip doubles laptop battery life", "Software update fixes browser security flaw"],
    "sport": ["Striker scores twice as City win the cup", "Tennis champion reaches the final"],
    "business": ["Shares fall as bank profits slip", "Retail sales rise as inflation eases"],
    "politics": ["Minister faces vote on new tax bill", "Parliament debates election reform"],
    "entertainment": ["Film tops the box office on opening weekend", "Band announces world tour and album"],
}


def true_ctrs(campaign_ids: list[str], targets: dict[str, set[str]], rng: random.Random) -> dict:
    """Hidden CTRs: on-topic campaigns 1-4%, off-topic 0.2-1%; the best is not always the most relevant."""
    return {
        (t, c): rng.uniform(0.01, 0.04) if t in targets[c] else rng.uniform(0.002, 0.01)
        for t in TOPICS
        for c in campaign_ids
    }


def run(n: int, feedback: bool, seed: int, batch: int, model, snapshot, ctr: dict) -> np.ndarray:
    rng = random.Random(seed)
    stats = MemoryClickStats() if feedback else None
    ranker = ModelRanker(model, click_stats=stats, seed=seed)
    clicks = np.zeros(n)
    pending: dict[tuple[str, str], list[int]] = {}
    for i in range(n):
        topic = rng.choice(list(TOPICS))
        ctx = ArticleContext.create("article-footer", title=rng.choice(TOPICS[topic]))
        out = decide(ctx, snapshot, ranker=ranker, rng=rng)
        cid = out.decision.campaign.id
        clicked = rng.random() < ctr[(topic, cid)]
        clicks[i] = clicked
        if stats is not None:
            key = (ranker.context_topic(ctx), cid)
            p = pending.setdefault(key, [0, 0])
            p[0] += 1
            p[1] += int(clicked)
            if (i + 1) % batch == 0:  # the rollup refresh: counts arrive in batches, not per click
                for (t, c), (imps, cl) in pending.items():
                    stats.add(t, c, imps, cl)
                pending.clear()
    return clicks


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--impressions", type=int, default=50_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--batch", type=int, default=500, help="impressions between click-count refreshes")
    args = ap.parse_args()
    snapshot = snapshot_from_file(CATALOG)
    model = fit(snapshot.campaigns).model
    ids = [c.id for c in snapshot.campaigns]
    targets = {c.id: set(c.targeting.topics) for c in snapshot.campaigns}
    ctr = true_ctrs(ids, targets, random.Random(args.seed))
    oracle_ctr = float(np.mean([max(ctr[(t, c)] for c in ids) for t in TOPICS]))
    learned = run(args.impressions, True, args.seed, args.batch, model, snapshot, ctr)
    relevance = run(args.impressions, False, args.seed, args.batch, model, snapshot, ctr)
    last = 10_000
    rows = [
        ("oracle (expected)", oracle_ctr, oracle_ctr),
        ("relevance only", relevance.mean(), relevance[-last:].mean()),
        ("relevance + CTR (Thompson)", learned.mean(), learned[-last:].mean()),
    ]
    print(f"{args.impressions} impressions, {len(ids)} campaigns, {len(TOPICS)} topics, refresh every {args.batch}")
    print(f"{'policy':30} {'cumulative CTR':>15} {'last 10k CTR':>13} {'last 10k / oracle':>18}")
    for name, cum, tail in rows:
        print(f"{name:30} {cum:15.4%} {tail:13.4%} {tail / oracle_ctr:18.1%}")


if __name__ == "__main__":
    main()
