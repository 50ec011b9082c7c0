"""Figures for the snippet and the reports (issue 5).

    python bench/embed.py [--loads 20] [--days 90] [--campaigns 1000] [--database-url URL]

1. gzipped size of adserver/static/embed.js;
2. time from embed.js starting to load to the card painted on /demo (Performance API in headless
   Chromium, median of N loads; gunicorn, private Redis and SQLite);
3. report query time over DAYS x CAMPAIGNS rows of daily_rollups written straight into SQL.
"""

from __future__ import annotations

import argparse
import gzip
import random
import statistics
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, gunicorn, import_catalog, stack  # noqa: E402

from adserver.catalog.files import read_file  # noqa: E402
from adserver.events import reporting  # noqa: E402
from adserver.infra import storage  # noqa: E402
from tests.builders import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

# Stamps the moment the slot is filled, then the next frame after it (the card's first paint).
PAINT_PROBE = """
new MutationObserver(function (_, obs) {
  var slot = document.querySelector('[data-adserver-state=filled]');
  if (!slot) return;
  obs.disconnect();
  requestAnimationFrame(function () { setTimeout(function () { window.__painted = performance.now(); }); });
}).observe(document, {subtree: true, attributes: true, attributeFilter: ['data-adserver-state']});
"""


def embed_size() -> tuple[int, int]:
    raw = (ROOT / "adserver" / "static" / "embed.js").read_bytes()
    return len(raw), len(gzip.compress(raw, compresslevel=9))


def time_to_card(loads: int) -> list[float]:
    """Milliseconds from the embed.js request start to the card painted, one per fresh page load."""
    from playwright.sync_api import sync_playwright

    out = []
    with stack() as s:
        import_catalog(s["db"], read_file(ROOT / "config" / "catalog.example.yaml"))
        env = {
            "REDIS_URL": s["redis_url"],
            "DATABASE_URL": s["database_url"],
            "SECRET_KEY": "bench-secret-key-123456",
            "ENVIRONMENT": "development",
        }
        with gunicorn("adserver:create_app()", 0, env, 2) as base, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for i in range(loads + 1):  # the first load warms the server up and is not counted
                ctx = browser.new_context()
                ctx.add_init_script(PAINT_PROBE)
                page = ctx.new_page()
                page.goto(f"{base}/demo")
                page.wait_for_function("window.__painted !== undefined", timeout=10_000)
                ms = page.evaluate(
                    "window.__painted - performance.getEntriesByType('resource')"
                    ".find(e => e.name.endsWith('/embed.js')).startTime"
                )
                if i:
                    out.append(ms)
                ctx.close()
            browser.close()
    return out


def seed_rollups(db: storage.Database, days: int, campaigns: int, advertisers: int = 50) -> int:
    rng = random.Random(5)
    start = date.today() - timedelta(days=days)
    with db.session() as s:
        for a in range(advertisers):
            s.add(storage.Advertiser(id=f"adv-{a}", name=f"Advertiser {a}"))
        s.flush()
        for c in range(campaigns):
            s.add(
                storage.Campaign(
                    id=f"camp-{c}",
                    advertiser_id=f"adv-{c % advertisers}",
                    name=f"Campaign {c}",
                    pricing_model="cpm",
                    price=Decimal("2.5"),
                )
            )
    rows = []
    for d in range(days):
        for c in range(campaigns):
            imp = rng.randint(50, 5000)
            views = imp * rng.randint(40, 80) // 100
            rows.append(
                {
                    "day": start + timedelta(days=d),
                    "campaign_id": f"camp-{c}",
                    "creative_id": f"camp-{c}-card",
                    "placement": "article-footer",
                    "topic": rng.choice(["business", "sport", "technology", "politics"]),
                    "impressions": imp,
                    "views": views,
                    "clicks": views // rng.randint(50, 300),
                    "nonbillable_impressions": imp // 50,
                    "nonbillable_views": 0,
                    "nonbillable_clicks": 0,
                    "spend": Decimal(imp) * Decimal("0.0025"),
                }
            )
    with db.engine.begin() as conn:
        for i in range(0, len(rows), 5000):
            conn.execute(storage.DailyRollup.__table__.insert(), rows[i : i + 5000])
    return len(rows)


def report_times(database_url: str | None, days: int, campaigns: int) -> None:
    with stack(database_url) as s:
        db = s["db"]
        t = time.perf_counter()
        n = seed_rollups(db, days, campaigns)
        print(f"seeded {n:,} rollup rows ({days} days x {campaigns:,} campaigns) in {time.perf_counter() - t:.1f}s")
        end = date.today()
        begin = end - timedelta(days=days)
        cases = [
            ("advertiser (20 campaigns), by day", reporting.ReportQuery(begin, end, ("day",), "adv-7")),
            ("advertiser, by day+campaign", reporting.ReportQuery(begin, end, ("day", "campaign"), "adv-7")),
            ("operator (all 1,000), by day", reporting.ReportQuery(begin, end, ("day",), None)),
            ("operator, by campaign", reporting.ReportQuery(begin, end, ("campaign",), None)),
        ]
        for label, q in cases:
            times = []
            for _ in range(5):
                t = time.perf_counter()
                r = reporting.run_report(db, q)
                times.append((time.perf_counter() - t) * 1000)
            print(f"  {label:38s} {len(r.rows):6,} rows  median {statistics.median(times):8.1f} ms (5 runs)")
        if database_url and database_url.startswith("postgresql"):
            with db.engine.begin() as conn:
                conn.execute(storage.DailyRollup.__table__.delete())
                conn.execute(storage.Campaign.__table__.delete())
                conn.execute(storage.Advertiser.__table__.delete())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--loads", type=int, default=20)
    ap.add_argument("--days", type=int, default=90)
    ap.add_argument("--campaigns", type=int, default=1000)
    ap.add_argument("--database-url", help="Report timings on this database (default: a fresh SQLite)")
    ap.add_argument("--skip-browser", action="store_true")
    args = ap.parse_args()
    raw, gz = embed_size()
    print(f"embed.js: {raw:,} bytes, {gz:,} bytes gzipped (limit 4,096)")
    if not args.skip_browser:
        ms = time_to_card(args.loads)
        print(
            f"/demo: embed.js request start -> card painted: median {statistics.median(ms):.0f} ms, "
            f"min {min(ms):.0f}, max {max(ms):.0f} ({len(ms)} loads)"
        )
    report_times(args.database_url, args.days, args.campaigns)


if __name__ == "__main__":
    main()
