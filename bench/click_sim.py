"""Click-learning simulation through the service: does the CTR term with Thompson sampling find the best card?

A hidden true CTR per (topic, campaign). Each impression is a real `POST /v1/decision` (an article of a
random topic, title only, no topic field: the model reads it) to the real app (werkzeug serving the Flask
app in a thread, a private redis-server, SQLite, an active model in a private models directory). A click
drawn from the true CTR of the card served is a real `GET` of the returned `tracking.click_url`. The
events go the production way: the web process queues them in Redis, `events.jobs.persist_pending` (run here
in-process instead of by an rq worker) writes them to SQL and the `daily_rollups`, and the ranker's
`RollupClickStats` re-reads the rollups every `--refresh` impressions (production: every
`click_stats_poll_seconds`). Compared with the oracle (always the truly best campaign for the topic) and
relevance-only ranking (the same service with the CTR term off).

Run: `.venv/bin/python bench/click_sim.py` (50,000 impressions per policy; `--impressions` to change).
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import sys
import tempfile
import threading
import time
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, stack  # noqa: E402

from adserver import create_app  # noqa: E402
from adserver.catalog.files import import_catalog, read_file  # noqa: E402
from adserver.events.jobs import persist_pending, use  # noqa: E402
from adserver.infra.redis_server import free_port  # noqa: E402
from adserver.model import artifacts  # noqa: E402
from adserver.model.catalogs import snapshot_from_file  # noqa: E402
from adserver.model.train import fit  # noqa: E402

CATALOG = ROOT / "bench" / "click_sim_catalog.yaml"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
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


class Service:
    """The app on a private stack, served over HTTP from a thread; the model trained on the catalog only."""

    def __init__(self, env: dict, feedback: bool):
        self.tmp = tempfile.mkdtemp(prefix="adserver-clicksim-")
        models_dir = Path(self.tmp) / "models"
        models_dir.mkdir()
        snapshot = snapshot_from_file(CATALOG)
        result = fit(snapshot.campaigns)
        version = artifacts.save(models_dir, result.model, result.info).name
        artifacts.activate(models_dir, version)
        self.app = create_app(
            {
                "database_url": env["database_url"],
                "redis_url": env["redis_url"],
                "secret_key": "click-simulation-secret-key",
                "environment": "test",
                "models_dir": str(models_dir),
                "spool_dir": str(Path(self.tmp) / "spool"),
                "catalog_poll_seconds": 0,
                "click_stats_poll_seconds": 0,  # re-read by `refresh()` below, at a fixed impression count
                "beacon_rate_limit": 10**9,  # every simulated reader comes from 127.0.0.1
            }
        )
        self.svc = self.app.extensions["adserver"]
        import_catalog(self.svc.db, read_file(CATALOG))
        self.svc.catalog.refresh(force=True)
        if not feedback:
            self.svc.ranker.click_stats = None  # relevance only: the same service with the CTR term off
        use(self.svc)  # persist_pending writes through this process's SQL and Redis
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log line per request
        self.server = make_server("127.0.0.1", free_port(), self.app, threaded=False)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.port = self.server.server_port

    def refresh(self) -> int:
        """What production does between two polls: persist queued events, re-read the rollups."""
        n = persist_pending()
        stats = self.svc.ranker.click_stats
        if stats is not None:
            stats.refresh()
        return n

    def close(self) -> None:
        self.server.shutdown()
        self.svc.close()


def run(n: int, feedback: bool, seed: int, refresh: int, ctr: dict) -> tuple[np.ndarray, dict]:
    rng = random.Random(seed)
    clicks = np.zeros(n)
    with stack() as env:
        service = Service(env, feedback)
        conn = HTTPConnection("127.0.0.1", service.port, timeout=10)
        headers = {"Content-Type": "application/json", "User-Agent": BROWSER}
        started = time.perf_counter()
        persisted = no_fill = 0
        try:
            for i in range(n):
                topic = rng.choice(list(TOPICS))
                body = {"placement": "article-footer", "article": {"title": rng.choice(TOPICS[topic])}}
                conn.request("POST", "/v1/decision", json.dumps(body), headers)
                resp = conn.getresponse()
                raw = resp.read()
                if resp.status == 204:
                    no_fill += 1
                    continue
                if resp.status != 200:
                    raise RuntimeError(f"decision {i}: HTTP {resp.status} {raw[:200]!r}")
                decision = json.loads(raw)
                if rng.random() < ctr[(topic, decision["campaign"]["id"])]:
                    conn.request("GET", urlsplit(decision["tracking"]["click_url"]).path, headers=headers)
                    resp = conn.getresponse()
                    resp.read()
                    if resp.status != 302:
                        raise RuntimeError(f"click {i}: HTTP {resp.status}")
                    clicks[i] = 1
                if (i + 1) % refresh == 0:
                    persisted += service.refresh()
            persisted += service.refresh()
            seconds = time.perf_counter() - started
        finally:
            conn.close()
            service.close()
        with env["db"].engine.connect() as c:
            from sqlalchemy import text

            imps, cl = c.execute(text("SELECT SUM(impressions), SUM(clicks) FROM daily_rollups")).one()
            topics = dict(c.execute(text("SELECT topic, SUM(impressions) FROM daily_rollups GROUP BY topic")).all())
    info = {
        "seconds": round(seconds, 1),
        "requests_per_s": round((n + clicks.sum()) / seconds),
        "events_persisted": persisted,
        "rollup_impressions": int(imps or 0),
        "rollup_clicks": int(cl or 0),
        "no_fill": no_fill,
        "impressions_by_counted_topic": {t or "(none)": int(v) for t, v in sorted(topics.items())},
    }
    return clicks, info


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--impressions", type=int, default=50_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--refresh", type=int, default=500, help="impressions between rollup refreshes")
    args = ap.parse_args()
    snapshot = snapshot_from_file(CATALOG)
    ids = [c.id for c in snapshot.campaigns]
    targets = {c.id: set(c.targeting.topics) for c in snapshot.campaigns}
    ctr = true_ctrs(ids, targets, random.Random(args.seed))
    oracle_ctr = float(np.mean([max(ctr[(t, c)] for c in ids) for t in TOPICS]))
    learned, learned_info = run(args.impressions, True, args.seed, args.refresh, ctr)
    relevance, relevance_info = run(args.impressions, False, args.seed, args.refresh, ctr)
    last = min(10_000, args.impressions)
    rows = [
        ("oracle (expected)", oracle_ctr, oracle_ctr),
        ("relevance only", relevance.mean(), relevance[-last:].mean()),
        ("relevance + CTR (Thompson)", learned.mean(), learned[-last:].mean()),
    ]
    print(
        f"{args.impressions} impressions per policy over HTTP, {len(ids)} campaigns, {len(TOPICS)} topics, "
        f"rollups re-read every {args.refresh}"
    )
    print(f"{'policy':30} {'cumulative CTR':>15} {'last 10k CTR':>13} {'last 10k / oracle':>18}")
    for name, cum, tail in rows:
        print(f"{name:30} {cum:15.4%} {tail:13.4%} {tail / oracle_ctr:18.1%}")
    print(json.dumps({"relevance + CTR": learned_info, "relevance only": relevance_info}))


if __name__ == "__main__":
    main()
