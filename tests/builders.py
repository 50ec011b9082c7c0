"""Shared builders and helpers: catalog values for pure tests, catalog files, events, requests, rollups."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select, true

from adserver.catalog.files import read_file, validate_catalog
from adserver.errors import CatalogError
from adserver.events import jobs
from adserver.events.event import Event
from adserver.forecast.articles import Reading
from adserver.infra import counters, storage
from adserver.serving.context import ArticleContext
from adserver.serving.ranking import OverlapRanker
from adserver.serving.snapshot import Campaign, CatalogSnapshot, Creative, Targeting

# Headless Chromium as the browser tests and bench/embed.py drive it (Debian's, never a downloaded one).
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def creative(campaign_id: str, **kw) -> Creative:
    values = dict(
        id=f"{campaign_id}-card",
        campaign_id=campaign_id,
        display_name="Sponsor",
        title="A sponsor title",
        cta_text="Go",
        landing_url="https://sponsor.example/",
    )
    values.update(kw)
    return Creative(**values)


def campaign(id: str = "c1", *, targeting: dict | None = None, **kw) -> Campaign:
    """A runnable campaign; keyword arguments override any field, `targeting` is the file's dict form."""
    values = dict(
        id=id,
        advertiser_id="adv",
        advertiser_name="Advertiser",
        name=id,
        status="active",
        pricing_model="cpm",
        price=5.0,
        priority=1,
        targeting=Targeting.from_dict(targeting or {}),
        creatives=(creative(id),),
    )
    values.update(kw)
    return Campaign(**values)


def topical_campaign(cid: str, topics=(), keywords=(), description="", priority=0) -> Campaign:
    """A CPM campaign with one card, targeting `topics` and `keywords` (the model tests' shape)."""
    return Campaign(
        id=cid,
        advertiser_id="a",
        advertiser_name="A",
        name="Offer",
        status="active",
        pricing_model="cpm",
        price=1.0,
        priority=priority,
        description=description,
        targeting=Targeting.from_dict({"topics": list(topics), "keywords": list(keywords)}),
        creatives=(Creative(f"{cid}-card", cid, "A", "Offer", "Go", "https://a.example"),),
    )


def snapshot(*campaigns: Campaign) -> CatalogSnapshot:
    return CatalogSnapshot.build(1, tuple(campaigns))


def article(placement: str = "article-footer", **kw) -> ArticleContext:
    return ArticleContext.create(placement, **kw)


class CountingRanker(OverlapRanker):
    """The overlap ranker, counting how often it prepares an article (plans reuse that work)."""

    def __init__(self):
        self.prepared = 0

    def prepare(self, ctx, campaigns, snapshot):
        self.prepared += 1
        return super().prepare(ctx, campaigns, snapshot)


def sport_article(**kw) -> ArticleContext:
    return ArticleContext.create("article-footer", title="Cup final tonight", topic="sport", **kw)


TODAY = date(2026, 6, 15)

_MINIMAL_FILE = {
    "advertisers": [
        {
            "id": "acme",
            "name": "Acme",
            "domain": "acme.example",
            "campaigns": [
                {
                    "id": "acme-spring",
                    "name": "Spring",
                    "pricing": {"model": "cpc", "price": 0.5},
                    "budget": {"total": 100, "daily": 10},
                    "targeting": {"topics": ["technology"], "keywords": ["gadgets"]},
                    "creatives": [
                        {
                            "id": "acme-spring-card",
                            "display_name": "Acme",
                            "title": "Acme gadgets",
                            "cta": {"text": "Buy", "url": "https://acme.example/buy"},
                        }
                    ],
                }
            ],
        }
    ]
}


def catalog_file() -> dict:
    """A fresh, valid one-advertiser catalog file (mutate it freely)."""
    return copy.deepcopy(_MINIMAL_FILE)


def zahid_event(decision_id: str, event_type: str = "impression", **kw) -> Event:
    """An event of the example catalog's zahid.host card, as a web process would queue it."""
    values = dict(
        decision_id=decision_id,
        event_type=event_type,
        campaign_id="zahid-ai-side-projects",
        creative_id="zahid-agents-card",
        advertiser_id="zahid-host",
        placement="article-footer",
        topic="artificial-intelligence",
    )
    values.update(kw)
    return Event(**values)


# --- requests as a browser sends them, and what they leave in the rollups ---------------------------

BROWSER = {
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
}
GOOGLEBOT = {"User-Agent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"}
AI = {"placement": "article-footer", "article": {"topic": "artificial-intelligence", "keywords": ["agents"]}}
REASON_COLUMNS = list(counters.APART)


AI_ARTICLE = {
    "placement": "article-footer",
    "article": {
        "id": "art-37310",
        "title": "Japan's manufacturing sector and the race for physical AI",
        "topic": "artificial-intelligence",
        "keywords": ["agents", "robotics", "nvidia"],
        "sentiment": "neutral",
        "language": "en",
    },
}


def post_decision(client, body=AI_ARTICLE, **kw):
    return client.post("/v1/decision", json=body, **kw)


def serve(client, headers=BROWSER) -> dict:
    r = client.post("/v1/decision", json=AI, headers=headers)
    assert r.status_code == 200
    return r.get_json()


def raw_count(db) -> int:
    """Raw event rows stored."""
    with db.sessionmaker() as s:
        return s.scalar(select(func.count()).select_from(storage.Event))


def stored_once_after_a_failover(client, svc, served: list[dict], unreplicated: int) -> None:
    """Replay the spool, send every served decision's view and persist: every event is stored once, but
    for at most `unreplicated` impressions the old master had queued and its replica had not yet received
    (replication is asynchronous); those spooled or queued since are all there, and none twice."""
    svc.events.replay_spool()
    for d in served:
        assert client.post(path(d["tracking"]["view_url"]), headers=BROWSER).status_code == 204
    jobs.persist_pending(batch="test")
    stored = raw_count(svc.db)
    assert len(served) * 2 - unreplicated <= stored <= len(served) * 2
    assert jobs.persist_pending(batch="test") == 0


def path(url: str) -> str:
    return urlsplit(url).path


def rollup(db, campaign: str | None = "zahid-ai-side-projects") -> dict:
    """Summed rollups of one campaign, or of all of them with campaign=None."""
    r = storage.DailyRollup
    with db.sessionmaker() as s:
        row = s.execute(
            select(
                func.sum(r.impressions),
                func.sum(r.views),
                func.sum(r.clicks),
                func.sum(r.nonbillable_impressions),
                func.sum(r.nonbillable_views),
                func.sum(r.nonbillable_clicks),
                func.sum(r.spend),
                *(func.sum(getattr(r, c)) for c in REASON_COLUMNS),
            ).where(r.campaign_id == campaign if campaign else true())
        ).one()
    cols = ["impressions", "views", "clicks", "nb_impressions", "nb_views", "nb_clicks", "spend", *REASON_COLUMNS]
    return {
        k: (float(v) if k == "spend" else int(v or 0)) if v is not None else 0 for k, v in zip(cols, row, strict=False)
    }


# --- report fixtures' rows, catalog file errors -------------------------------------------------------

ZAHID, LEDGERLY = "zahid-host", "ledgerly"
ZAHID_CAMPAIGN, LEDGERLY_CAMPAIGN = "zahid-ai-side-projects", "ledgerly-index-investing"


def rollup_row(
    day, campaign, imp, views, clicks, spend="0", creative="c1", placement="article-footer", topic="ai", nb=0, **apart
):
    return storage.DailyRollup(
        **apart,
        day=day,
        campaign_id=campaign,
        creative_id=creative,
        placement=placement,
        topic=topic,
        impressions=imp,
        views=views,
        clicks=clicks,
        nonbillable_impressions=nb,
        nonbillable_views=0,
        nonbillable_clicks=0,
        spend=Decimal(spend),
    )


CAMPAIGN = "advertisers.0.campaigns.0"


def errors_of(data) -> dict[str, list[str]]:
    with pytest.raises(CatalogError) as exc:
        validate_catalog(data)
    return exc.value.fields


# --- the operator CLI ---------------------------------------------------------------------------------

AI_ARGS = ["--topic", "artificial-intelligence", "--keywords", "agents,nvidia", "--title", "Japan's race for AI"]


def widest_line(stdout: str) -> int:
    return max(len(line) for line in stdout.splitlines())


# --- the reader's device and the example catalog with more targeting (issue 15's rules) -------------------

BROWSER_AGENTS = {
    "mobile": [
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.1 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 "
        "Mobile Safari/537.36",
    ],
    "tablet": [
        "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 "
        "Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 "
        "Safari/537.36",
    ],
    "desktop": [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
        "Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 "
        "Safari/605.1.15",
        "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
    ],
}


GERMAN, BRITISH, FRENCH = "5.9.0.1", "81.2.69.160", "80.67.169.12"  # RIR-assigned blocks (iptocc's table)


def example_with(**targeting) -> dict:
    """The example catalog file with zahid.host's AI campaign given more targeting."""
    data = read_file(Path(__file__).resolve().parent.parent / "config" / "catalog.example.yaml")
    for adv in data["advertisers"]:
        for c in adv["campaigns"]:
            if c["id"] == ZAHID_CAMPAIGN:
                c["targeting"].update(targeting)
    return data


# --- the reach forecast's recorded decisions ---------------------------------------------------------------

AI_READING = Reading("artificial-intelligence", "artificial-intelligence", ("agents",), "Agents at work", "", "en")
CUP_READING = Reading("sport", "sport", (), "Cup final tonight", "", "en")


def recorded_decisions(db, days: int = 28) -> list[date]:
    """`days` of recorded decisions before today: the AI article read 100 times a weekday (60 in Germany on desktops
    at 10:00 UTC, 40 in France on phones at 20:00), twice that at weekends; the cup final 50 times a day on phones
    in Germany at 18:00."""
    today = datetime.now(UTC).date()
    span = [today - timedelta(days=i) for i in range(days, 0, -1)]
    with db.session() as s:
        readings = (AI_READING, CUP_READING)
        s.add_all(storage.ReachArticle(id=r.encoded()[0], reading=r.__dict__, seen_on=span[-1]) for r in readings)
        for day in span:
            weekend = 2 if day.weekday() >= 5 else 1
            for hour, country, device, topic, n in (
                (10, "DE", "desktop", "artificial-intelligence", 60 * weekend),
                (20, "FR", "mobile", "artificial-intelligence", 40 * weekend),
                (18, "DE", "mobile", "sport", 50),
            ):
                s.add(storage.ReachAudience(day=day, hour=hour, site="", placement="article-footer", country=country,
                                            device=device, topic=topic, decisions=n))  # fmt: skip
            for article, n in ((AI_READING, 100 * weekend), (CUP_READING, 50)):
                s.add(storage.ReachArticleDay(day=day, site="", placement="article-footer",
                                              article=article.encoded()[0], decisions=n))  # fmt: skip
    return span
